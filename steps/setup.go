package steps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// Defaults for names the user does not choose.
const (
	DefaultRoleName      = "CockroachCloudLogExportRole"
	DefaultPolicyName    = "CockroachCloudLogExportPolicy"
	DefaultRetentionDays = 30
)

// DefaultLogGroup is the log group a cluster exports to unless told
// otherwise.
func DefaultLogGroup(clusterName string) string { return "crdb-" + clusterName }

// External ID choices (--external-id).
const (
	ExternalIDAuto = "auto"
	ExternalIDNone = "none"
)

// Env is what the procedures talk to.
type Env struct {
	Cloud    *cloudapi.Client
	AWS      *awsiam.Clients
	Journals JournalStore
	// Now is the clock (time.Now when nil); Sleep waits (ctx-aware) and is
	// replaced in tests that must not wait for real.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Lock says what a run that changes a cluster does when another run
	// of this machine is changing it (see HoldCluster).
	Lock LockPolicy
	// DryRun: this run only plans (--dry-run) and takes no cluster lock.
	DryRun bool
	// Warn hears what a run noticed and did not stop for (a damaged
	// journal moved aside); nil drops it.
	Warn func(string)
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Env) warn(msg string) {
	if e.Warn != nil {
		e.Warn(msg)
	}
}

func (e *Env) sleep(ctx context.Context, d time.Duration) error {
	if e.Sleep != nil {
		return e.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SetupInput is what the user chose (flags or wizard answers). Empty fields
// take defaults.
//
// Its JSON is part of a saved plan's format (steps.SavedPlan).
type SetupInput struct {
	Cluster       string `json:"cluster,omitempty"` // id or name
	LogGroup      string `json:"log_group,omitempty"`
	RetentionDays int    `json:"retention_days,omitempty"` // 0: DefaultRetentionDays for new groups
	RetentionSet  bool   `json:"retention_set,omitempty"`  // the user chose a retention: existing groups are changed to it too
	RoleName      string `json:"role_name,omitempty"`
	PolicyName    string `json:"policy_name,omitempty"`
	// RoleARN brings an existing role instead of creating one.
	RoleARN string `json:"role_arn,omitempty"`
	// RestrictRegions limits the policy's resources to the destination
	// regions instead of "*".
	RestrictRegions bool `json:"restrict_regions,omitempty"`
	// ExternalID is "auto" (reuse one already in use, else generate one),
	// "none", or a value. Standard clusters always use the cluster ID.
	ExternalID   string   `json:"external_id,omitempty"`
	Channels     []string `json:"channels"` // export only these (the rest become omitted_channels)
	OmitChannels []string `json:"omit_channels"`
	Redact       *bool    `json:"redact,omitempty"`
	ExportRegion string   `json:"export_region,omitempty"`
	// FromScratch starts a new run instead of resuming the journal's.
	FromScratch bool `json:"from_scratch,omitempty"`
}

// SetupPlan is the outcome of detection: everything setup will send, and what
// each step will do.
type SetupPlan struct {
	ClusterID      string                 `json:"cluster_id"`
	ClusterName    string                 `json:"cluster_name"`
	PlanType       cloudapi.Plan          `json:"plan_type"`
	Cloud          cloudapi.CloudProvider `json:"cloud_provider"`
	Organization   string                 `json:"organization"`
	ClusterAccount string                 `json:"cluster_account"`
	YourAccount    string                 `json:"your_account"`
	CallerARN      string                 `json:"caller_arn"`
	Regions        []string               `json:"regions"`
	LogGroup       string                 `json:"log_group"`
	LogGroups      []string               `json:"log_groups"`
	RetentionDays  int                    `json:"retention_days"`
	RoleName       string                 `json:"role_name,omitempty"`
	RoleARN        string                 `json:"role_arn"`
	BringOwnRole   bool                   `json:"bring_own_role"`
	PolicyName     string                 `json:"policy_name,omitempty"`
	PolicyARN      string                 `json:"policy_arn,omitempty"`
	ExternalID     string                 `json:"external_id,omitempty"`
	// ExternalIDRequired: the trust policy demands an external ID.
	ExternalIDRequired bool                            `json:"external_id_required"`
	Trust              *awsiam.PolicyDocument          `json:"trust_policy"`
	Permission         *awsiam.PolicyDocument          `json:"permission_policy,omitempty"`
	Request            cloudapi.EnableLogExportRequest `json:"request"`
	Current            *cloudapi.LogExportInfo         `json:"current,omitempty"`
	Steps              []PlannedStep                   `json:"steps"`

	cluster          cloudapi.Cluster
	logGroups        map[string]awsiam.LogGroupState // by region
	role             awsiam.RoleState
	roleInOwnAccount bool
	policy           awsiam.PolicyState
	attached         bool
	// roleOurs and policyOurs: the live tags say the tool made them for
	// this cluster (or an earlier version did, as the journal records), so
	// setup may change them. Anything else it only uses as it is.
	roleOurs, policyOurs bool
	// madeRole and madePolicy are set when this run created them.
	madeRole, madePolicy bool
	trustChange          bool
	enableNeeded         bool
	// roleSharedWith and policySharedWith name another cluster whose live
	// export uses the role, or a role the policy is attached to: changing
	// them would break that export. They are read only when a change to an
	// existing role or policy is planned.
	roleSharedWith, policySharedWith string
	// trustBridge and permissionBridge, when set, are what the trust and the
	// permission policy hold while the change is made: they allow both the
	// configuration in force and the new one, so the export keeps working
	// until the new one is ENABLED; then Trust and Permission replace them.
	trustBridge, permissionBridge *awsiam.PolicyDocument
	// retentionPending marks, by region, log groups this tool created in a
	// run that ended before giving them their retention.
	retentionPending map[string]bool
	// retentionSet: the user chose the retention (--retention-days).
	retentionSet bool
	journal      *Journal
	// input is what the plan was made from: the journal keeps it, so an
	// interrupted setup can be offered again with its answers.
	input SetupInput
}

// Reporter hears about progress. Every method may be called from several
// goroutines at once; implementations must be safe for that.
type Reporter interface {
	StepStarted(id string)
	StepDone(id string, action Action, summary string, took time.Duration)
	StepFailed(id string, err error, took time.Duration)
	// Status is each change the status watcher saw while waiting.
	Status(ev cloudapi.StatusEvent)
	// PropagationWait announces a wait for IAM to propagate a new or
	// changed role before enabling again.
	PropagationWait(wait, remaining time.Duration, reason string)
	// Streams reports log streams found in one region.
	Streams(r RegionStreams)
}

// NopReporter ignores progress.
type NopReporter struct{}

func (NopReporter) StepStarted(string)                                   {}
func (NopReporter) StepDone(string, Action, string, time.Duration)       {}
func (NopReporter) StepFailed(string, error, time.Duration)              {}
func (NopReporter) Status(cloudapi.StatusEvent)                          {}
func (NopReporter) PropagationWait(time.Duration, time.Duration, string) {}
func (NopReporter) Streams(RegionStreams)                                {}

// Discover runs the read-only calls of steps 2–4 concurrently and checks
// that CloudWatch export applies to the cluster.
func Discover(ctx context.Context, env *Env, clusterRef string) (cloudapi.Cluster, cloudapi.Organization, awsiam.Identity, *cloudapi.LogExportInfo, error) {
	cluster, caller, current, org, err := discover(ctx, env, clusterRef)
	if err != nil {
		return cluster, cloudapi.Organization{}, caller, nil, err
	}
	info, err := current()
	if err != nil {
		return cluster, cloudapi.Organization{}, caller, nil, err
	}
	o, err := org()
	return cluster, o, caller, info, err
}

// discover returns once the cluster and the caller are known (one round
// trip: the cluster list, the caller's identity and the organization go
// out together). The export and the organization are still on their way:
// the caller collects them with current() and org() once its own next
// reads — those that need the cluster or the account — are under way, so
// that they share a round trip.
func discover(ctx context.Context, env *Env, clusterRef string) (cloudapi.Cluster, awsiam.Identity, func() (*cloudapi.LogExportInfo, error), func() (cloudapi.Organization, error), error) {
	type orgAnswer struct {
		org cloudapi.Organization
		err error
	}
	orgCh := make(chan orgAnswer, 1)
	go func() {
		o, err := env.Cloud.Organization(ctx)
		if err != nil {
			err = orgError(err)
		}
		orgCh <- orgAnswer{o, err}
	}()
	org := sync.OnceValues(func() (cloudapi.Organization, error) {
		a := <-orgCh
		return a.org, a.err
	})
	cluster, caller, current, err := lookUpEarly(ctx, env, clusterRef)
	if err != nil {
		return cluster, caller, nil, org, err
	}
	if err := cluster.CheckCloudWatch(); err != nil {
		return cluster, caller, nil, org, &StepError{Step: StepCluster, Cause: fmt.Errorf("%w: %v", ErrNotApplicable, err), Fix: "CloudWatch export needs an Advanced or Standard cluster on AWS", Permanent: true}
	}
	return cluster, caller, current, org, nil
}

// PrepareSetup turns the input and the discovered facts into a plan, with
// read-only AWS calls run concurrently. It changes nothing.
func PrepareSetup(ctx context.Context, env *Env, in SetupInput) (*SetupPlan, error) {
	if err := checkPolicyARNGiven(ctx, env, in.RoleARN); err != nil {
		return nil, err
	}
	cluster, caller, currentFn, org, err := discover(ctx, env, in.Cluster)
	if err != nil {
		return nil, err
	}
	// One run changes a cluster at a time: the plan is made under the
	// lock, so what it reads is what the apply will find. A run that had
	// to wait reads everything again.
	if waited, err := env.HoldCluster(ctx, cluster.ID); err != nil {
		return nil, err
	} else if waited {
		if cluster, caller, currentFn, org, err = discover(ctx, env, in.Cluster); err != nil {
			return nil, err
		}
	}
	journal, err := env.openJournal(cluster.ID, cluster.Name)
	if err != nil {
		return nil, err
	}
	p := &SetupPlan{
		ClusterID: cluster.ID, ClusterName: cluster.Name,
		PlanType: cluster.Plan, Cloud: cluster.CloudProvider,
		ClusterAccount: cluster.ExportAccountID(),
		YourAccount:    caller.Account,
		CallerARN:      caller.ARN,
		cluster:        cluster,
		logGroups:      map[string]awsiam.LogGroupState{},
		input:          in,
	}
	p.journal = journal
	if p.ClusterAccount == "" {
		return nil, &StepError{Step: StepClusterAccount, Cause: errors.New("the API did not return the cluster's AWS account ID"), Fix: "the cluster may still be creating; retry when its state is CREATED", Permanent: true}
	}
	// The AWS side is read under the names the answers imply while the
	// export is still being read: one round trip for both. Only when the
	// export in force uses another role of this account (and no name was
	// given) is it read again under that name.
	if err := fillChoices(p, in, journal, cluster, nil); err != nil {
		return nil, err
	}
	detected := make(chan error, 1)
	go func() { detected <- detect(ctx, env, p, in) }()
	current, cerr := currentFn()
	if err := <-detected; err != nil {
		return nil, err
	}
	if cerr != nil {
		return nil, cerr
	}
	p.Current = current
	if in.RoleName == "" && in.RoleARN == "" && roleInForce(current, p.YourAccount) != "" && roleInForce(current, p.YourAccount) != p.RoleName {
		if err := fillChoices(p, in, journal, cluster, current); err != nil {
			return nil, err
		}
		p.logGroups = map[string]awsiam.LogGroupState{}
		if err := detect(ctx, env, p, in); err != nil {
			return nil, err
		}
	}
	o, err := org()
	if err != nil {
		return nil, err
	}
	p.Organization = o.Name
	if err := resolveExternalID(p, in, journal, current); err != nil {
		return nil, err
	}
	if err := finishChoices(p, in, cluster); err != nil {
		return nil, err
	}
	markRetentionPending(p, journal)
	judgeOwnership(p, journal)
	if err := findSharedUse(ctx, env, p); err != nil {
		return nil, err
	}
	buildSteps(p, in)
	if err := preflightSetup(ctx, env, p); err != nil {
		return nil, err
	}
	return p, nil
}

// checkPolicyARNGiven catches the most common mistake of step 9 — a policy
// ARN where the role ARN belongs — and names the roles that policy is
// attached to, so the user can pick the right ARN.
func checkPolicyARNGiven(ctx context.Context, env *Env, roleARN string) error {
	if roleARN == "" || awsiam.Classify(roleARN) != awsiam.KindPolicy {
		return nil
	}
	_, reason := awsiam.CheckRoleARN(roleARN)
	roles, err := awsiam.RolesForPolicy(ctx, env.AWS.IAM, roleARN)
	var fix string
	switch {
	case err != nil:
		fix = fmt.Sprintf("the roles it is attached to could not be listed (%v); find them with `aws iam list-entities-for-policy --policy-arn %s`", err, roleARN)
	case len(roles) == 0:
		fix = "that policy is attached to no role; attach it to the role CockroachDB Cloud should assume, or leave --role-arn out and let setup create one"
	case len(roles) == 1:
		fix = "it is attached to the role " + roles[0] + ": pass --role-arn " + roles[0]
	default:
		fix = "it is attached to these roles; pass one of them to --role-arn: " + strings.Join(roles, ", ")
	}
	return &StepError{Step: StepRoleARN, Cause: reason, Fix: fix, Permanent: true}
}

// fillChoices applies defaults and validates the user's choices.
func fillChoices(p *SetupPlan, in SetupInput, journal *Journal, cluster cloudapi.Cluster, current *cloudapi.LogExportInfo) error {
	usage := func(step string, err error, fix string) error {
		return &StepError{Step: step, Cause: err, Fix: fix, Permanent: true, Usage: true}
	}
	p.LogGroup = in.LogGroup
	if p.LogGroup == "" {
		p.LogGroup = DefaultLogGroup(cluster.Name)
	}
	if err := awsiam.ValidateLogGroupName(p.LogGroup); err != nil {
		return usage(StepLogGroup, err, "choose another --log-group")
	}
	p.RetentionDays, p.retentionSet = in.RetentionDays, in.RetentionSet
	if p.RetentionDays == 0 {
		p.RetentionDays = DefaultRetentionDays
	}
	if err := awsiam.ValidateRetentionDays(int32(p.RetentionDays)); err != nil {
		return usage(StepLogGroup, err, "choose another --retention-days")
	}

	if in.ExportRegion != "" {
		if !slices.Contains(cluster.RegionNames(), in.ExportRegion) {
			return usage(StepLogGroup, fmt.Errorf("--export-region %s is not one of the cluster's regions (%s)", in.ExportRegion, strings.Join(cluster.RegionNames(), ", ")), "pick one of the cluster's regions, or leave --export-region out to export each region to its own log group")
		}
		p.Regions = []string{in.ExportRegion}
	} else {
		p.Regions = cluster.RegionNames()
	}
	p.LogGroups = []string{p.LogGroup}

	// Channels: --channels is the allow-list, the rest are omitted.
	omitted := slices.Clone(in.OmitChannels)
	if len(in.Channels) > 0 {
		if len(in.OmitChannels) > 0 {
			return usage(StepEnable, errors.New("--channels and --omit-channels cannot be used together"), "use --channels to list what to export, or --omit-channels to list what to leave out")
		}
		if err := cloudapi.ValidateChannels(in.Channels); err != nil {
			return usage(StepEnable, err, "fix --channels")
		}
		omitted = nil
		for _, ch := range cloudapi.ExportableChannels() {
			if !slices.Contains(in.Channels, ch) {
				omitted = append(omitted, ch)
			}
		}
	}
	if err := cloudapi.ValidateChannels(omitted); err != nil {
		return usage(StepEnable, err, "fix --omit-channels")
	}

	// The role: the user's (--role-arn), the one named, the one the
	// export in force uses (in this account), or this cluster's own.
	if in.RoleARN != "" {
		arn, err := awsiam.CheckRoleARN(in.RoleARN)
		if err != nil {
			return usage(StepRoleARN, err, "pass the ARN of a role (arn:aws:iam::ACCOUNT:role/NAME) to --role-arn")
		}
		p.BringOwnRole = true
		p.RoleARN = arn.String()
		p.RoleName = arn.Name
		p.roleInOwnAccount = arn.AccountID == p.YourAccount
	} else {
		p.RoleName = firstNonEmpty(in.RoleName, roleInForce(current, p.YourAccount), DefaultRoleNameFor(cluster.Name, cluster.ID))
		if err := awsiam.ValidateRoleName(p.RoleName); err != nil {
			return usage(StepRole, err, "choose another --role-name")
		}
		p.RoleARN = fmt.Sprintf("arn:aws:iam::%s:role/%s", p.YourAccount, p.RoleName)
		p.roleInOwnAccount = true
	}
	if p.roleInOwnAccount {
		// The policy this cluster's setup made before (journal), when the
		// role is the one it made it for; else this cluster's own name.
		// Detection may still find the tool's policy of this cluster
		// attached to the role under another name.
		recorded := ""
		if a, err := awsiam.ParseARN(journal.Setting("policy_arn")); err == nil && journal.Setting("role_arn") == p.RoleARN && a.AccountID == p.YourAccount {
			recorded = a.Name
		}
		p.PolicyName = firstNonEmpty(in.PolicyName, recorded, DefaultPolicyNameFor(cluster.Name, cluster.ID))
		if err := awsiam.ValidatePolicyName(p.PolicyName); err != nil {
			return usage(StepPolicy, err, "choose another --policy-name")
		}
		p.PolicyARN = awsiam.PolicyARN(p.YourAccount, p.PolicyName, "")
	}
	p.Request = cloudapi.EnableLogExportRequest{
		Type:            cloudapi.TypeAWSCloudWatch,
		LogName:         p.LogGroup,
		AuthPrincipal:   p.RoleARN,
		Region:          in.ExportRegion,
		Redact:          in.Redact,
		OmittedChannels: omitted,
	}
	if cluster.Plan == cloudapi.PlanStandard && in.ExternalID != "" && in.ExternalID != ExternalIDAuto && in.ExternalID != cluster.ID {
		return usage(StepTrust, fmt.Errorf("Standard clusters always assume the role with the cluster ID (%s) as external ID; --external-id %s cannot be used", cluster.ID, in.ExternalID), "leave --external-id out")
	}
	if in.ExternalID != "" && in.ExternalID != ExternalIDAuto && in.ExternalID != ExternalIDNone && cluster.Plan != cloudapi.PlanStandard {
		if err := validateExternalID(in.ExternalID); err != nil {
			return usage(StepTrust, err, "fix --external-id")
		}
	}
	return nil
}

// roleFlag is the flag that chose the plan's role.
func roleFlag(p *SetupPlan) string {
	if p.BringOwnRole {
		return "--role-arn"
	}
	return "--role-name"
}

// roleInForce is the name of the role the export in force uses, when it
// is a role of the account this tool acts in: setup keeps using it rather
// than making a second one.
func roleInForce(current *cloudapi.LogExportInfo, account string) string {
	if current == nil || !current.Configured || current.Status == cloudapi.StatusDisabled {
		return ""
	}
	a, err := awsiam.ParseARN(current.Spec.AuthPrincipal)
	if err != nil || a.Kind != awsiam.KindRole || a.AccountID != account || a.Path != "/" && a.Path != "" {
		return ""
	}
	return a.Name
}

// resolveExternalID settles the external ID once per cluster: the one the
// role's live trust already requires, else the one the export in force
// sends, else the one this cluster's journal holds (sent before, or chosen
// by an earlier plan or `policy`), else a new one — which is written to
// the journal at once, so the dry run, the run that follows it and
// `policy` all show the same value, and two runs never invent two.
func resolveExternalID(p *SetupPlan, in SetupInput, j *Journal, current *cloudapi.LogExportInfo) error {
	switch {
	case p.PlanType == cloudapi.PlanStandard:
		p.ExternalID = p.ClusterID
	case in.ExternalID == ExternalIDNone:
		p.ExternalID = ""
	case in.ExternalID != "" && in.ExternalID != ExternalIDAuto:
		p.ExternalID = in.ExternalID
	default:
		if id, ok := trustedExternalID(p); ok {
			p.ExternalID = id
			break
		}
		p.ExternalID = firstNonEmpty(currentExternalID(current), j.Setting("external_id"), j.Setting("pending_external_id"))
		if p.ExternalID == "" {
			p.ExternalID = newExternalID()
			if err := j.SetSettings(map[string]string{"pending_external_id": p.ExternalID}); err != nil {
				return err
			}
		}
	}
	p.ExternalIDRequired = p.ExternalID != ""
	return nil
}

// trustedExternalID is what the existing role's live trust policy says of
// the external ID for the cluster's account: the one it requires, or ""
// when it requires none. It only answers when the trust lets the cluster
// in with that value.
func trustedExternalID(p *SetupPlan) (string, bool) {
	if !p.roleInOwnAccount || !p.role.Exists || p.role.Trust == nil {
		return "", false
	}
	r := awsiam.EvaluateTrust(p.role.Trust, p.ClusterAccount, "")
	if r.Allowed {
		return "", true
	}
	if len(r.ExternalIDs) == 1 && awsiam.EvaluateTrust(p.role.Trust, p.ClusterAccount, r.ExternalIDs[0]).Allowed {
		return r.ExternalIDs[0], true
	}
	return "", false
}

// finishChoices builds the documents and the request from the choices and
// the settled external ID, and checks the request.
func finishChoices(p *SetupPlan, in SetupInput, cluster cloudapi.Cluster) error {
	p.Trust = awsiam.TrustPolicy(p.ClusterAccount, p.ExternalID)
	if p.roleInOwnAccount {
		spec := awsiam.PermissionSpec{Account: p.YourAccount, LogGroups: p.LogGroups}
		if in.RestrictRegions {
			spec.Regions = p.Regions
		}
		p.Permission = awsiam.PermissionPolicy(spec)
	}
	if cluster.Plan != cloudapi.PlanStandard {
		p.Request.AWSExternalID = p.ExternalID
	}
	if err := p.Request.Validate(cluster); err != nil {
		return &StepError{Step: StepEnable, Cause: err, Fix: "fix the export settings", Permanent: true}
	}
	return nil
}

func currentExternalID(cur *cloudapi.LogExportInfo) string {
	if cur == nil || !cur.Configured {
		return ""
	}
	return cur.Spec.AWSExternalID
}

// newExternalID makes an unguessable external ID (AWS allows 2–1224
// characters of [\w+=,.@:/-]).
func newExternalID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "crdb-" + hex.EncodeToString(b)
}

func validateExternalID(s string) error {
	if len(s) < 2 || len(s) > 1224 {
		return fmt.Errorf("external ID must be 2 to 1224 characters, got %d", len(s))
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_+=,.@:/-", r)) {
			return fmt.Errorf("external ID may only contain letters, digits and _+=,.@:/- (found %q)", r)
		}
	}
	return nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// detect reads the AWS side concurrently: the log group in every region,
// the role, the policy and whether it is attached. When the role exists
// and the named policy is not attached to it, the policies that are get a
// look: one the tool made for this cluster under another name is the one
// setup keeps (unless --policy-name chose).
func detect(ctx context.Context, env *Env, p *SetupPlan, in SetupInput) error {
	g, gctx := errgroup.WithContext(ctx)
	states := make([]awsiam.LogGroupState, len(p.Regions))
	for i, region := range p.Regions {
		g.Go(func() error {
			st, err := awsiam.InspectLogGroup(gctx, env.AWS.LogsFor(region), p.LogGroup)
			if err != nil {
				return &StepError{Step: StepLogGroup, Cause: fmt.Errorf("reading log group %s in %s: %w", p.LogGroup, region, err), Fix: awsFix(err, "logs:DescribeLogGroups"), Permanent: !awsiam.IsThrottling(err)}
			}
			states[i] = st
			return nil
		})
	}
	var attachedARNs []string
	if p.roleInOwnAccount {
		g.Go(func() error {
			st, err := awsiam.InspectRole(gctx, env.AWS.IAM, p.RoleName)
			if err != nil && !st.Exists {
				return &StepError{Step: StepRole, Cause: err, Fix: awsFix(err, "iam:GetRole"), Permanent: !awsiam.IsThrottling(err)}
			}
			p.role = st
			if st.Exists {
				arns, err := awsiam.AttachedPolicyARNs(gctx, env.AWS.IAM, p.RoleName)
				if err != nil {
					return &StepError{Step: StepPolicy, Cause: err, Fix: awsFix(err, "iam:ListAttachedRolePolicies"), Permanent: !awsiam.IsThrottling(err)}
				}
				attachedARNs = arns
				p.attached = slices.Contains(arns, p.PolicyARN)
			}
			return nil
		})
		g.Go(func() error {
			st, err := awsiam.InspectPolicy(gctx, env.AWS.IAM, p.PolicyARN)
			if err != nil && !st.Exists {
				return &StepError{Step: StepPolicy, Cause: err, Fix: awsFix(err, "iam:GetPolicy"), Permanent: !awsiam.IsThrottling(err)}
			}
			p.policy = st
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, region := range p.Regions {
		p.logGroups[region] = states[i]
	}
	if p.role.Exists && !p.attached && in.PolicyName == "" {
		return adoptAttachedPolicy(ctx, env, p, attachedARNs)
	}
	return nil
}

// adoptAttachedPolicy switches the plan to a policy attached to the role
// that the tool made for this cluster, if there is one.
func adoptAttachedPolicy(ctx context.Context, env *Env, p *SetupPlan, attached []string) error {
	for _, arn := range attached {
		a, err := awsiam.ParseARN(arn)
		if err != nil || a.AccountID != p.YourAccount || arn == p.PolicyARN {
			continue
		}
		st, err := awsiam.InspectPolicy(ctx, env.AWS.IAM, arn)
		if err != nil && !st.Exists {
			return &StepError{Step: StepPolicy, Cause: err, Fix: awsFix(err, "iam:GetPolicy"), Permanent: !awsiam.IsThrottling(err)}
		}
		if o, _ := OwnershipOf(st.Tags, p.ClusterID); o == OursForThisCluster {
			p.PolicyName, p.PolicyARN, p.policy, p.attached = a.Name, arn, st, true
			return nil
		}
	}
	return nil
}

// markRetentionPending finds log groups a run set out to create and did not
// finish — interrupted, or PutRetentionPolicy failed — and that have no
// retention: the rerun sets it, as it would have for a new group. Finished
// groups keep whatever retention they have.
func markRetentionPending(p *SetupPlan, j *Journal) {
	p.retentionPending = map[string]bool{}
	for region, st := range p.logGroups {
		if st.Exists && st.RetentionDays == nil && j.Intends(KindLogGroup, p.LogGroup, region) {
			p.retentionPending[region] = true
		}
	}
}

// judgeOwnership reads the live tags of the existing role and policy: only
// what the tool made for this cluster is changed by setup.
func judgeOwnership(p *SetupPlan, j *Journal) {
	if p.role.Exists {
		p.roleOurs = ownsLive(p.role.Tags, p.ClusterID, j, KindRole, p.role.ARN, "", p.role.CreateDate)
	}
	if p.policy.Exists {
		p.policyOurs = ownsLive(p.policy.Tags, p.ClusterID, j, KindPolicy, p.PolicyARN, "", p.policy.Created)
	}
}

// trustWillChange and policyWillChange: setup is about to rewrite the
// existing role's trust or give the existing policy a new version.
func (p *SetupPlan) trustWillChange() bool {
	return p.roleInOwnAccount && !p.BringOwnRole && p.role.Exists && p.roleOurs &&
		(p.role.Trust == nil || !awsiam.Equivalent(p.role.Trust, p.Trust))
}

func (p *SetupPlan) policyWillChange() bool {
	return p.roleInOwnAccount && p.policy.Exists && p.policyOurs &&
		(p.policy.Document == nil || !awsiam.Equivalent(p.policy.Document, p.Permission))
}

// findSharedUse asks the live world, before a change to an existing role
// or policy is planned, whether another cluster's export uses the role or
// any role the policy is attached to; and, when the export in force uses
// what changes, plans a bridge so it keeps working through the change.
func findSharedUse(ctx context.Context, env *Env, p *SetupPlan) error {
	trust, policy := p.trustWillChange(), p.policyWillChange()
	if !trust && !policy {
		return nil
	}
	roles := []string{}
	if trust {
		roles = append(roles, p.role.ARN)
	}
	var policyRoles []string
	if policy {
		var err error
		if policyRoles, err = awsiam.RolesForPolicy(ctx, env.AWS.IAM, p.PolicyARN); err != nil {
			return &StepError{Step: StepPermissions, Cause: err, Fix: awsFix(err, "iam:ListEntitiesForPolicy"), Permanent: !awsiam.IsThrottling(err)}
		}
		roles = append(roles, policyRoles...)
	}
	used, err := exportsUsing(ctx, env, p.ClusterID, roles)
	if err != nil {
		return err
	}
	if trust {
		p.roleSharedWith = used[p.role.ARN]
	}
	for _, r := range policyRoles {
		if used[r] != "" {
			p.policySharedWith = used[r]
		}
	}
	// A bridge serves an export in force that is not already the one this
	// setup sends (then there is nothing to keep working but itself).
	cur := p.Current
	inForce := cur != nil && cur.Configured && (cur.Status == cloudapi.StatusEnabled || cur.Status == cloudapi.StatusEnabling) &&
		cur.Spec.AuthPrincipal == p.role.ARN && !cloudapi.SpecsEqual(cur.Spec, p.Request.Spec())
	if !inForce {
		return nil
	}
	sent := cur.Spec.AWSExternalID
	if p.PlanType == cloudapi.PlanStandard {
		sent = p.ClusterID
	}
	if trust && p.role.Trust != nil && awsiam.EvaluateTrust(p.role.Trust, p.ClusterAccount, sent).Allowed {
		p.trustBridge = awsiam.BridgePolicy(p.role.Trust, p.Trust)
	}
	if policy && p.policy.Document != nil {
		p.permissionBridge = awsiam.BridgePolicy(p.policy.Document, p.Permission)
	}
	return nil
}

// awsFix says what to do about an AWS error from an operation.
func awsFix(err error, action string) string {
	if fix, ok := awsReachFix(err, nil); ok {
		return fix
	}
	switch {
	case awsiam.IsAccessDenied(err):
		return fmt.Sprintf("the AWS identity running this tool needs %s; ask an administrator or use a profile that has it (--profile)", action)
	case awsiam.IsThrottling(err):
		return "AWS is throttling requests; wait a minute and run the same command again"
	}
	return "check the AWS credentials and region, then run the same command again"
}

// buildSteps decides the action of each of the ten steps.
func buildSteps(p *SetupPlan, in SetupInput) {
	add := func(id string, a Action, summary string, details ...string) *PlannedStep {
		p.Steps = append(p.Steps, PlannedStep{ID: id, Number: StepNumber(id), Title: StepTitle(id), Action: a, Summary: summary, Details: details})
		return &p.Steps[len(p.Steps)-1]
	}

	// 1. log groups
	lg := add(StepLogGroup, ExistsOK, fmt.Sprintf("log group %s in %s", p.LogGroup, strings.Join(p.Regions, ", ")))
	for _, region := range p.Regions {
		st := p.logGroups[region]
		switch {
		case !st.Exists:
			lg.Items = append(lg.Items, PlanItem{Name: region, Action: Create, Note: fmt.Sprintf("retention %d days", p.RetentionDays)})
		case (in.RetentionSet || p.retentionPending[region]) && (st.RetentionDays == nil || int(*st.RetentionDays) != p.RetentionDays):
			lg.Items = append(lg.Items, PlanItem{Name: region, Action: WillChange, Note: fmt.Sprintf("retention %s → %d days", retentionText(st.RetentionDays), p.RetentionDays)})
		default:
			note := "retention " + retentionText(st.RetentionDays)
			if st.KMSKeyID != "" {
				note += "; encrypted with " + st.KMSKeyID + " — its key policy must allow logs." + region + ".amazonaws.com"
			}
			lg.Items = append(lg.Items, PlanItem{Name: region, Action: ExistsOK, Note: note})
		}
	}
	lg.Action = rollUp(lg.Items)

	// 2–4: facts read from the API
	add(StepOrganization, Info, fmt.Sprintf("organization %q (from the API key)", p.Organization))
	add(StepCluster, Info, fmt.Sprintf("%s (%s), %s on %s, regions %s", p.ClusterName, p.ClusterID, p.PlanType, p.Cloud, strings.Join(p.cluster.RegionNames(), ", ")))
	acctNote := "account_id of the cluster"
	if p.PlanType == cloudapi.PlanStandard {
		acctNote = "keychain_config.aws_account_id of the Standard cluster"
	}
	add(StepClusterAccount, Info, fmt.Sprintf("cluster's AWS account %s (%s) — this account assumes your role; your resources stay in %s", p.ClusterAccount, acctNote, p.YourAccount))

	// 5. role
	roleFix := "Fix: leave --role-name out to use this cluster's own role (" + DefaultRoleNameFor(p.ClusterName, p.ClusterID) + "), or pass --role-arn with a role whose trust already lets the cluster in."
	switch {
	case !p.roleInOwnAccount:
		add(StepRole, Info, fmt.Sprintf("your role %s is in another account than the one this tool acts in (%s): it cannot be checked from here", p.RoleARN, p.YourAccount))
	case !p.role.Exists && p.BringOwnRole:
		add(StepRole, Conflict, fmt.Sprintf("role %s does not exist in account %s", p.RoleARN, p.YourAccount), "Fix: create it first, or leave out --role-arn to let this tool create "+DefaultRoleNameFor(p.ClusterName, p.ClusterID)+".")
	case !p.role.Exists:
		add(StepRole, Create, fmt.Sprintf("role %s, tagged as this tool's for %s", p.RoleARN, p.ClusterName))
	default:
		p.RoleARN = p.role.ARN
		p.Request.AuthPrincipal = p.role.ARN
		created := p.role.CreateDate.UTC().Format(time.RFC3339)
		switch o, other := OwnershipOf(p.role.Tags, p.ClusterID); {
		case p.BringOwnRole:
			add(StepRole, ExistsOK, fmt.Sprintf("your role %s exists (created %s); this tool never changes or deletes it", p.role.ARN, created))
		case p.roleOurs:
			add(StepRole, ExistsOK, fmt.Sprintf("role %s exists, made by this tool for this cluster (created %s)", p.role.ARN, created))
		case o == OursForAnotherCluster:
			add(StepRole, Conflict, fmt.Sprintf("role %s was made by crdb-logexport for cluster %s, not this one: using it would take it from that cluster's export", p.role.ARN, other), roleFix)
		default:
			add(StepRole, ExistsOK, fmt.Sprintf("role %s exists; %s. It is used as it is, never changed or deleted by this tool", p.role.ARN, notOursReason(p.role.Tags, p.ClusterID)))
		}
	}

	// 6–7. policy and what it grants
	policyFix := "Fix: leave --policy-name out to use this cluster's own policy (" + DefaultPolicyNameFor(p.ClusterName, p.ClusterID) + "), or choose another --policy-name."
	switch {
	case !p.roleInOwnAccount:
		add(StepPolicy, Info, "the role is in another account: attach a policy like `crdb-logexport policy` prints there")
		add(StepPermissions, Info, "not checked (role in another account)")
	default:
		pol := add(StepPolicy, ExistsOK, fmt.Sprintf("policy %s attached to %s", p.PolicyARN, p.RoleName))
		perm := add(StepPermissions, ExistsOK, permissionSummary(p, in))
		equivalent := p.policy.Document != nil && awsiam.Equivalent(p.policy.Document, p.Permission)
		o, other := OwnershipOf(p.policy.Tags, p.ClusterID)
		switch {
		case !p.policy.Exists:
			pol.Action = Create
			pol.Summary = fmt.Sprintf("policy %s, tagged as this tool's for %s, attached to %s", p.PolicyARN, p.ClusterName, p.RoleName)
			perm.Action = Create
		case o == OursForAnotherCluster:
			pol.Action = Conflict
			pol.Summary = fmt.Sprintf("policy %s was made by crdb-logexport for cluster %s, not this one: changing or attaching it would mix the two clusters' permissions", p.PolicyARN, other)
			pol.Details = append(pol.Details, policyFix)
			perm.Action, perm.Summary = Info, "not checked until the policy is this cluster's"
		case !p.attached:
			pol.Action = WillChange
			pol.Summary = fmt.Sprintf("policy %s exists; attach it to %s", p.PolicyARN, p.RoleName)
		}
		switch {
		case !p.policy.Exists || o == OursForAnotherCluster || equivalent:
		case !p.policyOurs:
			perm.Action = Conflict
			perm.Summary = fmt.Sprintf("policy %s exists and %s; it does not grant exactly what this export needs, and this tool does not rewrite policies it did not make for this cluster", p.PolicyARN, notOursReason(p.policy.Tags, p.ClusterID))
			perm.Details = append(perm.Details, policyFix)
		case p.policySharedWith != "":
			perm.Action = Conflict
			perm.Summary = fmt.Sprintf("policy %s also serves the export of cluster %s (it is attached to the role that export uses); replacing it would break that export", p.PolicyARN, p.policySharedWith)
			perm.Details = append(perm.Details, policyFix)
		default:
			perm.Action = WillChange
			cur := "(unreadable)"
			if p.policy.Document != nil {
				cur = p.policy.Document.JSON()
			}
			note := fmt.Sprintf("new default version (policy has %d of 5 versions", p.policy.VersionCount)
			if p.policy.VersionCount >= 5 {
				note += "; the oldest non-default one is deleted first"
			}
			perm.Details = append(perm.Details, note+")")
			if p.permissionBridge != nil {
				perm.Details = append(perm.Details, "make before break: the export in force keeps its grants (a version allowing old and new) until the new configuration is ENABLED, then the version below replaces it")
			}
			perm.Details = append(perm.Details, "current:\n"+cur, "new:\n"+p.Permission.JSON())
		}
	}

	// 8. trust
	curTrust := p.role.TrustRaw
	if p.role.Trust != nil {
		curTrust = p.role.Trust.JSON()
	}
	lets := p.role.Trust != nil && awsiam.EvaluateTrust(p.role.Trust, p.ClusterAccount, p.ExternalID).Allowed
	o, _ := OwnershipOf(p.role.Tags, p.ClusterID)
	switch {
	case !p.roleInOwnAccount:
		add(StepTrust, Info, fmt.Sprintf("make sure its trust policy lets arn:aws:iam::%s:root assume it%s", p.ClusterAccount, externalIDNote(p)))
	case !p.role.Exists:
		add(StepTrust, Create, fmt.Sprintf("trust arn:aws:iam::%s:root%s", p.ClusterAccount, externalIDNote(p)))
	case !p.BringOwnRole && o == OursForAnotherCluster:
		add(StepTrust, Info, "not checked: the role is another cluster's")
	case p.role.Trust != nil && awsiam.Equivalent(p.role.Trust, p.Trust):
		add(StepTrust, ExistsOK, fmt.Sprintf("trusts arn:aws:iam::%s:root%s", p.ClusterAccount, externalIDNote(p)))
	case (p.BringOwnRole || !p.roleOurs) && lets:
		add(StepTrust, ExistsOK, fmt.Sprintf("the role's trust policy lets arn:aws:iam::%s:root assume it%s", p.ClusterAccount, externalIDNote(p)))
	case p.BringOwnRole || !p.roleOurs:
		add(StepTrust, Conflict, fmt.Sprintf("the role's trust policy does not let the cluster's account %s assume it%s", p.ClusterAccount, externalIDNote(p)),
			"current:\n"+curTrust, "Fix: add a statement like this one to the role's trust policy (this tool does not rewrite roles it did not make for this cluster), or leave "+roleFlag(p)+" out to use this cluster's own role:\n"+p.Trust.JSON())
	case p.roleSharedWith != "":
		add(StepTrust, Conflict, fmt.Sprintf("role %s is used by the export of cluster %s; replacing its trust would break that export", p.role.ARN, p.roleSharedWith),
			"Fix: give this cluster its own role and policy: leave --role-name and --policy-name out (this cluster's own are "+DefaultRoleNameFor(p.ClusterName, p.ClusterID)+" and "+DefaultPolicyNameFor(p.ClusterName, p.ClusterID)+")")
	default:
		p.trustChange = true
		s := add(StepTrust, WillChange, fmt.Sprintf("replace the trust policy of %s so the cluster's account %s can assume it%s", p.RoleName, p.ClusterAccount, externalIDNote(p)))
		if p.trustBridge != nil {
			s.Details = append(s.Details, "make before break: the trust lets the export in force in as well until the new configuration is ENABLED, then the policy below replaces it")
		}
		s.Details = append(s.Details, "current:\n"+curTrust, "new:\n"+p.Trust.JSON())
	}

	// 9. role ARN
	add(StepRoleARN, Info, "auth_principal = "+p.RoleARN)

	// 10. enable
	cur := p.Current
	want := p.Request.Spec()
	switch {
	case cur == nil || !cur.Configured || cur.Status == cloudapi.StatusDisabled:
		p.enableNeeded = true
		add(StepEnable, Create, fmt.Sprintf("POST the configuration (log_name %s), then wait for ENABLED and for streams in %s", p.LogGroup, strings.Join(p.Regions, ", ")))
	case cloudapi.SpecsEqual(cur.Spec, want) && (cur.Status == cloudapi.StatusEnabled || cur.Status == cloudapi.StatusEnabling):
		add(StepEnable, ExistsOK, fmt.Sprintf("export already configured this way (%s)", cur.Status))
	case cloudapi.SpecsEqual(cur.Spec, want) && !cur.Status.Known():
		// Sending the same configuration again would not tell what the
		// status means, and waiting for a known one might never end.
		add(StepEnable, Info, fmt.Sprintf("export already configured this way; its status %s is not one this version knows, so the configuration is not sent again", cur.Status))
	default:
		p.enableNeeded = true
		s := add(StepEnable, WillChange, fmt.Sprintf("replace the current configuration (status %s) — the API replaces it whole", cur.Status))
		if !cloudapi.SpecsEqual(cur.Spec, want) {
			for _, c := range DiffSpecs(cur.Spec, want) {
				s.Details = append(s.Details, c.String())
			}
		}
		if cur.UserMessage != "" {
			s.Details = append(s.Details, "last message: "+cur.UserMessage)
		}
	}
}

func rollUp(items []PlanItem) Action {
	a := ExistsOK
	for _, it := range items {
		switch it.Action {
		case Conflict:
			return Conflict
		case Create:
			if a == ExistsOK {
				a = Create
			}
		case WillChange:
			a = WillChange
		}
	}
	return a
}

func retentionText(days *int32) string {
	if days == nil {
		return "never expire"
	}
	return fmt.Sprintf("%d days", *days)
}

func externalIDNote(p *SetupPlan) string {
	switch {
	case p.PlanType == cloudapi.PlanStandard:
		return " with external ID = cluster ID " + p.ExternalID
	case p.ExternalID != "":
		return " with external ID " + p.ExternalID
	}
	return " (no external ID)"
}

func permissionSummary(p *SetupPlan, in SetupInput) string {
	regions := "all regions"
	if in.RestrictRegions {
		regions = strings.Join(p.Regions, ", ")
	}
	return fmt.Sprintf("%d logs actions on log group %s in %s, account %s (yours, not the cluster's)",
		len(awsiam.RequiredActions), strings.Join(p.LogGroups, ", "), regions, p.YourAccount)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func boolText(b *bool) string {
	if b == nil || !*b {
		return "false"
	}
	return "true"
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
