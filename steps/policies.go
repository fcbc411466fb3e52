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
// with read-only calls: the role setup would use is read for the external
// ID its trust already requires, so the ID shown is the one setup sends
// (generated and written to the journal when the cluster has none yet).
func Policies(ctx context.Context, env *Env, in SetupInput) (*PolicyDocs, error) {
	cluster, org, caller, current, err := Discover(ctx, env, in.Cluster)
	if err != nil {
		return nil, err
	}
	journal, err := env.openJournal(cluster.ID, cluster.Name)
	if err != nil {
		return nil, err
	}
	p := &SetupPlan{
		ClusterID: cluster.ID, ClusterName: cluster.Name, PlanType: cluster.Plan,
		Organization: org.Name, ClusterAccount: cluster.ExportAccountID(),
		YourAccount: caller.Account, CallerARN: caller.ARN, cluster: cluster,
	}
	if err := fillChoices(p, in, journal, cluster, current); err != nil {
		return nil, err
	}
	if p.roleInOwnAccount {
		st, err := awsiam.InspectRole(ctx, env.AWS.IAM, p.RoleName)
		if err != nil && !st.Exists {
			return nil, &StepError{Step: StepRole, Cause: err, Fix: awsFix(err, "iam:GetRole"), Permanent: !awsiam.IsThrottling(err)}
		}
		p.role = st
	}
	if err := resolveExternalID(p, in, journal, current); err != nil {
		return nil, err
	}
	if err := finishChoices(p, in, cluster); err != nil {
		return nil, err
	}
	return &PolicyDocs{
		ClusterID: p.ClusterID, ClusterName: p.ClusterName,
		ClusterAccount: p.ClusterAccount, YourAccount: p.YourAccount,
		LogGroup: p.LogGroup, Regions: p.Regions, ExternalID: p.ExternalID,
		Trust: p.Trust, Permission: p.Permission,
	}, nil
}
