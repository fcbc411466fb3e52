package cloudemu

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// The seeded organization and clusters. Tests refer to them by these names;
// the values never change between runs.
const (
	OrgID    = "9e3f2c4a-7b1d-4e8f-a2c6-5d0b8e1f3a72"
	OrgName  = "Acme Robotics"
	OrgLabel = "acme-robotics-4hx"

	// ProdAWS: Advanced on AWS, three regions of three nodes.
	ProdAWSClusterID   = "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30"
	ProdAWSClusterName = "prod-aws"
	ProdAWSAccountID   = "271828182845"

	// StagingAWS: Advanced on AWS, one region.
	StagingAWSClusterID   = "4a1e8b6c-2d3f-4a5b-9c7e-8f0d1b2a3c45"
	StagingAWSClusterName = "staging-aws"
	StagingAWSAccountID   = "577215664901"

	// StandardAWS: Standard on AWS; its account is only in keychain_config.
	StandardAWSClusterID   = "7c2b9e4d-1f6a-4b8c-a3d5-6e7f8a9b0c12"
	StandardAWSClusterName = "standard-aws"
	StandardAWSAccountID   = "161803398874"

	// AnalyticsGCP: Advanced on GCP; account_id is a GCP project.
	AnalyticsGCPClusterID   = "b5d8e1f2-3a4c-4d6e-8f9a-0b1c2d3e4f56"
	AnalyticsGCPClusterName = "analytics-gcp"
	AnalyticsGCPProject     = "crl-prod-analytics-6d2"

	// BasicDev: Basic on AWS; log export is not available on Basic.
	BasicDevClusterID   = "e2a4c6d8-9b1f-4e3a-b5c7-d9e1f3a5b7c9"
	BasicDevClusterName = "basic-dev"

	// RetiredAWS: a deleted Advanced cluster, listed only with
	// show_inactive=true.
	RetiredAWSClusterID   = "5f6e7d8c-9b0a-4c1d-9e2f-3a4b5c6d7e8f"
	RetiredAWSClusterName = "retired-aws"

	creatorID = "d4c3b2a1-6f5e-4d8c-9b7a-1e2f3a4b5c6d"
)

// ProdAWSRegions are prod-aws's regions, in the order the API lists them.
func ProdAWSRegions() []string { return []string{"us-east-1", "us-west-2", "eu-west-1"} }

// SeedRegion is one region of a seeded cluster.
type SeedRegion struct {
	Name  string
	Nodes int // 0 for Standard and Basic clusters, which have no nodes of their own
}

// SeedCluster describes a seeded cluster.
type SeedCluster struct {
	ID            string
	Name          string
	Plan          string
	CloudProvider string
	// AccountID is the cloud account the cluster acts from: account_id for
	// Advanced clusters, keychain_config.aws_account_id for Standard on AWS,
	// empty for Basic.
	AccountID string
	Regions   []SeedRegion
	// Inactive clusters (deleted) are listed only with show_inactive=true.
	Inactive bool
	Created  time.Time
}

var seedEpoch = time.Date(2023, 3, 14, 15, 9, 26, 0, time.UTC)

// fleetRegions are the AWS regions extra clusters are spread over.
var fleetRegions = []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1", "ca-central-1", "sa-east-1", "eu-north-1"}

// Seed lists the clusters a server created with Options.ExtraClusters =
// extra starts with, in creation order. Extra clusters are Advanced AWS
// clusters named fleet-0001, fleet-0002, … with IDs derived from their names.
func Seed(extra int) []SeedCluster {
	out := []SeedCluster{
		{ID: ProdAWSClusterID, Name: ProdAWSClusterName, Plan: PlanAdvanced, CloudProvider: CloudAWS, AccountID: ProdAWSAccountID,
			Regions: []SeedRegion{{"us-east-1", 3}, {"us-west-2", 3}, {"eu-west-1", 3}}, Created: seedEpoch},
		{ID: StagingAWSClusterID, Name: StagingAWSClusterName, Plan: PlanAdvanced, CloudProvider: CloudAWS, AccountID: StagingAWSAccountID,
			Regions: []SeedRegion{{"us-east-2", 3}}, Created: seedEpoch.Add(26 * time.Hour)},
		{ID: StandardAWSClusterID, Name: StandardAWSClusterName, Plan: PlanStandard, CloudProvider: CloudAWS, AccountID: StandardAWSAccountID,
			Regions: []SeedRegion{{"us-east-1", 0}}, Created: seedEpoch.Add(30 * 24 * time.Hour)},
		{ID: AnalyticsGCPClusterID, Name: AnalyticsGCPClusterName, Plan: PlanAdvanced, CloudProvider: CloudGCP, AccountID: AnalyticsGCPProject,
			Regions: []SeedRegion{{"us-central1", 3}}, Created: seedEpoch.Add(45 * 24 * time.Hour)},
		{ID: BasicDevClusterID, Name: BasicDevClusterName, Plan: PlanBasic, CloudProvider: CloudAWS,
			Regions: []SeedRegion{{"us-west-2", 0}}, Created: seedEpoch.Add(60 * 24 * time.Hour)},
		{ID: RetiredAWSClusterID, Name: RetiredAWSClusterName, Plan: PlanAdvanced, CloudProvider: CloudAWS, AccountID: "141421356237",
			Regions: []SeedRegion{{"us-east-1", 3}}, Inactive: true, Created: seedEpoch.Add(-90 * 24 * time.Hour)},
	}
	ns := uuid.MustParse(OrgID)
	for i := 0; i < extra; i++ {
		name := fmt.Sprintf("fleet-%04d", i+1)
		regions := []SeedRegion{{fleetRegions[i%len(fleetRegions)], 3}}
		if i%4 == 3 {
			regions = append(regions, SeedRegion{fleetRegions[(i+3)%len(fleetRegions)], 3})
		}
		out = append(out, SeedCluster{
			ID:            uuid.NewSHA1(ns, []byte(name)).String(),
			Name:          name,
			Plan:          PlanAdvanced,
			CloudProvider: CloudAWS,
			AccountID:     fmt.Sprintf("%012d", 300000000000+uint64(i+1)*104729),
			Regions:       regions,
			Created:       seedEpoch.Add(time.Duration(90*24+i) * time.Hour),
		})
	}
	return out
}

func seedOrganization() organization {
	return organization{ID: OrgID, Name: OrgName, Label: OrgLabel, CreatedAt: seedEpoch.Add(-400 * 24 * time.Hour)}
}

// buildCluster fills in every field the API returns, with values shaped like
// the real service's.
func buildCluster(sc SeedCluster) *cluster {
	slug := sc.Name + "-" + sc.ID[:3]
	c := &cluster{
		CloudProvider:       sc.CloudProvider,
		CockroachVersion:    "v24.3.6",
		CreatedAt:           sc.Created,
		CreatorID:           creatorID,
		DeleteProtection:    "DISABLED",
		EgressTrafficPolicy: "ALLOW_ALL",
		ID:                  sc.ID,
		Labels:              map[string]string{},
		Name:                sc.Name,
		NetworkVisibility:   "PUBLIC",
		OperationStatus:     OperationNone,
		ParentID:            "root",
		Plan:                sc.Plan,
		State:               StateCreated,
		UpdatedAt:           sc.Created.Add(17 * time.Minute),
		UpgradeStatus:       "FINALIZED",
	}
	cloudPrefix := map[string]string{CloudAWS: "aws", CloudGCP: "gcp", CloudAzure: "azure"}[sc.CloudProvider]
	for _, r := range sc.Regions {
		reg := region{
			Name:        r.Name,
			NodeCount:   r.Nodes,
			SQLDNS:      fmt.Sprintf("%s.%s-%s.cockroachlabs.cloud", slug, cloudPrefix, r.Name),
			InternalDNS: fmt.Sprintf("internal-%s.%s-%s.cockroachlabs.cloud", slug, cloudPrefix, r.Name),
		}
		if sc.Plan == PlanAdvanced {
			reg.UIDNS = fmt.Sprintf("admin-%s.cockroachlabs.cloud", slug)
		}
		if sc.CloudProvider == CloudGCP {
			reg.PrivateEndpointDNS = fmt.Sprintf("private-%s.%s-%s.cockroachlabs.cloud", slug, cloudPrefix, r.Name)
		}
		c.Regions = append(c.Regions, reg)
	}
	if len(c.Regions) > 0 {
		c.SQLDNS = c.Regions[0].SQLDNS
	}
	switch sc.Plan {
	case PlanAdvanced:
		c.AccountID = sc.AccountID
		c.Config.Dedicated = &dedicatedConfig{MachineType: "m6i.xlarge", NumVirtualCPUs: 4, MemoryGiB: 16, StorageGiB: 150, DiskIOPS: 3000}
		if sc.CloudProvider == CloudGCP {
			c.Config.Dedicated = &dedicatedConfig{MachineType: "n2-standard-4", NumVirtualCPUs: 4, MemoryGiB: 16, StorageGiB: 150}
			c.CIDRRange = "172.28.0.0/14"
		}
	case PlanStandard:
		c.Config.Serverless = &serverlessConfig{RoutingID: slug, UpgradeType: "AUTOMATIC", UsageLimits: &usageLimits{ProvisionedVirtualCPUs: "2"}}
		c.EgressTrafficPolicy = "UNSPECIFIED"
		if sc.CloudProvider == CloudAWS {
			c.KeychainConfig = &keychainConfig{AWSAccountID: sc.AccountID}
		}
	case PlanBasic:
		c.Config.Serverless = &serverlessConfig{RoutingID: slug, UpgradeType: "AUTOMATIC"}
		c.EgressTrafficPolicy = "UNSPECIFIED"
	}
	switch sc.Name {
	case ProdAWSClusterName:
		c.Labels = map[string]string{"env": "prod", "team": "payments"}
		c.DeleteProtection = "ENABLED"
	case StagingAWSClusterName:
		c.Labels = map[string]string{"env": "staging", "team": "payments"}
	case AnalyticsGCPClusterName:
		c.Labels = map[string]string{"env": "prod", "team": "data"}
	case BasicDevClusterName:
		c.CockroachVersion = "v25.1.2"
		c.Labels = map[string]string{"env": "dev"}
	}
	if sc.Inactive {
		deleted := sc.Created.Add(200 * 24 * time.Hour)
		c.State = StateDeleted
		c.DeletedAt = &deleted
		c.UpdatedAt = deleted
	}
	return c
}
