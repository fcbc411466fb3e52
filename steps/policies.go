package steps

import (
	"context"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
)

// PolicyDocs are the two IAM documents for a cluster, as `policy` prints them.
type PolicyDocs struct {
	ClusterID      string                 `json:"cluster_id"`
	ClusterName    string                 `json:"cluster_name"`
	ClusterAccount string                 `json:"cluster_account"`
	YourAccount    string                 `json:"your_account"`
	LogGroup       string                 `json:"log_group"`
	Regions        []string               `json:"regions"`
	ExternalID     string                 `json:"external_id,omitempty"`
	Trust          *awsiam.PolicyDocument `json:"trust_policy"`
	Permission     *awsiam.PolicyDocument `json:"permission_policy"`
}

// Policies computes the trust and permission documents setup would use,
// with read-only calls and without touching the journal.
func Policies(ctx context.Context, env *Env, in SetupInput) (*PolicyDocs, error) {
	cluster, org, caller, current, err := Discover(ctx, env, in.Cluster)
	if err != nil {
		return nil, err
	}
	p := &Plan{
		ClusterID: cluster.ID, ClusterName: cluster.Name, PlanType: cluster.Plan,
		Organization: org.Name, ClusterAccount: cluster.ExportAccountID(),
		YourAccount: caller.Account, CallerARN: caller.ARN, cluster: cluster,
	}
	scratch := &Journal{Settings: map[string]string{}}
	// "auto" reuses the external ID the export already sends; it must not
	// invent one nobody uses.
	if (in.ExternalID == "" || in.ExternalID == ExternalIDAuto) && currentExternalID(current) == "" {
		in.ExternalID = ExternalIDNone
	}
	if err := fillChoices(p, in, scratch, cluster, current); err != nil {
		return nil, err
	}
	return &PolicyDocs{
		ClusterID: p.ClusterID, ClusterName: p.ClusterName,
		ClusterAccount: p.ClusterAccount, YourAccount: p.YourAccount,
		LogGroup: p.LogGroup, Regions: p.Regions, ExternalID: p.ExternalID,
		Trust: p.Trust, Permission: p.Permission,
	}, nil
}
