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
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
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
type SetupInput struct {
	Cluster       string // id or name
	LogGroup      string
	RetentionDays int  // 0: DefaultRetentionDays for new groups
	RetentionSet  bool // the user chose a retention: existing groups are changed to it too
	RoleName      string
	PolicyName    string
	// RoleARN brings an existing role instead of creating one.
	RoleARN string
	// RestrictRegions limits the policy's resources to the destination
	// regions instead of "*".
	RestrictRegions bool
	// ExternalID is "auto" (reuse one already in use, else generate one),
	// "none", or a value. Standard clusters always use the cluster ID.
	ExternalID   string
	Channels     []string // export only these (the rest become omitted_channels)
	OmitChannels []string
	Redact       *bool
	ExportRegion string
	// FromScratch starts a new run instead of resuming the journal's.
	FromScratch bool
}

// Plan is the outcome of detection: everything setup will send, and what
// each step will do.
type Plan struct {
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
	// madeRole and madePolicy are set when this run created them.
	madeRole, madePolicy bool
	trustChange          bool
	enableNeeded         bool
	// externalIDGenerated: "auto" invented the external ID; a brought-in
	// role whose trust already requires one should keep its own.
	externalIDGenerated bool
	// usedBy maps role and policy ARNs that other clusters' setups use to
	// those clusters' names.
	usedBy map[string]string
	// retentionPending marks, by region, log groups this tool created in a
	// run that ended before giving them their retention.
	retentionPending map[string]bool
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
		return cluster, cloudapi.Organization{}, caller, current, err
	}
	o, err := org()
	return cluster, o, caller, current, err
}

// discover is Discover with the organization still on its way: it is read
// last, after the export, so that its request does not delay the reads
// the plan depends on (the client sends at most one request every 100 ms),
// and the caller collects it with org() once its own next reads are under
// way.
func discover(ctx context.Context, env *Env, clusterRef string) (cloudapi.Cluster, awsiam.Identity, *cloudapi.LogExportInfo, func() (cloudapi.Organization, error), error) {
	cluster, caller, info, err := lookUp(ctx, env, clusterRef)
	if err != nil {
		return cluster, caller, nil, nil, err
	}
	current := &info
	if err := cluster.CheckCloudWatch(); err != nil {
		return cluster, caller, current, nil, &StepError{Step: StepCluster, Cause: fmt.Errorf("%w: %v", ErrNotApplicable, err), Fix: "CloudWatch export needs an Advanced or Standard cluster on AWS", Permanent: true}
	}
	type answer struct {
		org cloudapi.Organization
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		o, err := env.Cloud.Organization(ctx)
		if err != nil {
			err = orgError(err)
		}
		ch <- answer{o, err}
	}()
	return cluster, caller, current, sync.OnceValues(func() (cloudapi.Organization, error) {
		a := <-ch
		return a.org, a.err
	}), nil
}

// Prepare turns the input and the discovered facts into a plan, with
// read-only AWS calls run concurrently. It changes nothing.
func Prepare(ctx context.Context, env *Env, in SetupInput) (*Plan, error) {
	if err := checkPolicyARNGiven(ctx, env, in.RoleARN); err != nil {
		return nil, err
	}
	cluster, caller, current, org, err := discover(ctx, env, in.Cluster)
	if err != nil {
		return nil, err
	}
	journal, err := env.Journals.Open(cluster.ID, cluster.Name)
	if err != nil {
		return nil, err
	}
	p := &Plan{
		ClusterID: cluster.ID, ClusterName: cluster.Name,
		PlanType: cluster.Plan, Cloud: cluster.CloudProvider,
		ClusterAccount: cluster.ExportAccountID(),
		YourAccount:    caller.Account,
		CallerARN:      caller.ARN,
		Current:        current,
		cluster:        cluster,
		logGroups:      map[string]awsiam.LogGroupState{},
	}
	if p.ClusterAccount == "" {
		return nil, &StepError{Step: StepClusterAccount, Cause: errors.New("the API did not return the cluster's AWS account ID"), Fix: "the cluster may still be creating; retry when its state is CREATED", Permanent: true}
	}
	if err := fillChoices(p, in, journal, cluster, current); err != nil {
		return nil, err
	}
	if err := detect(ctx, env, p); err != nil {
		return nil, err
	}
	o, err := org()
	if err != nil {
		return nil, err
	}
	p.Organization = o.Name
	markRetentionPending(p, journal)
	if p.usedBy, err = env.Journals.UsedElsewhere(cluster.ID); err != nil {
		return nil, err
	}
	adoptExternalID(p)
	buildSteps(p, in)
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
func fillChoices(p *Plan, in SetupInput, journal *Journal, cluster cloudapi.Cluster, current *cloudapi.LogExportInfo) error {
	usage := func(step string, err error, fix string) error {
		return &StepError{Step: step, Cause: err, Fix: fix, Permanent: true}
	}
	p.LogGroup = in.LogGroup
	if p.LogGroup == "" {
		p.LogGroup = DefaultLogGroup(cluster.Name)
	}
	if err := awsiam.ValidateLogGroupName(p.LogGroup); err != nil {
		return usage(StepLogGroup, err, "choose another --log-group")
	}
	p.RetentionDays = in.RetentionDays
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

	// The role: ours, or the user's.
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
		p.RoleName = firstNonEmpty(in.RoleName, DefaultRoleName)
		if err := awsiam.ValidateRoleName(p.RoleName); err != nil {
			return usage(StepRole, err, "choose another --role-name")
		}
		p.RoleARN = fmt.Sprintf("arn:aws:iam::%s:role/%s", p.YourAccount, p.RoleName)
		p.roleInOwnAccount = true
	}
	if p.roleInOwnAccount {
		p.PolicyName = firstNonEmpty(in.PolicyName, DefaultPolicyName)
		if err := awsiam.ValidatePolicyName(p.PolicyName); err != nil {
			return usage(StepPolicy, err, "choose another --policy-name")
		}
		p.PolicyARN = awsiam.PolicyARN(p.YourAccount, p.PolicyName, "")
	}

	// External ID by plan.
	switch cluster.Plan {
	case cloudapi.PlanStandard:
		if in.ExternalID != "" && in.ExternalID != ExternalIDAuto && in.ExternalID != cluster.ID {
			return usage(StepTrust, fmt.Errorf("Standard clusters always assume the role with the cluster ID (%s) as external ID; --external-id %s cannot be used", cluster.ID, in.ExternalID), "leave --external-id out")
		}
		p.ExternalID = cluster.ID
		p.ExternalIDRequired = true
	default:
		switch in.ExternalID {
		case ExternalIDNone:
		case "", ExternalIDAuto:
			p.ExternalID = firstNonEmpty(journal.Settings["external_id"], currentExternalID(current))
			if p.ExternalID == "" {
				p.ExternalID = newExternalID()
				p.externalIDGenerated = true
			}
		default:
			if err := validateExternalID(in.ExternalID); err != nil {
				return usage(StepTrust, err, "fix --external-id")
			}
			p.ExternalID = in.ExternalID
		}
		p.ExternalIDRequired = p.ExternalID != ""
	}

	p.Trust = awsiam.TrustPolicy(p.ClusterAccount, p.ExternalID)
	if p.roleInOwnAccount {
		spec := awsiam.PermissionSpec{Account: p.YourAccount, LogGroups: p.LogGroups}
		if in.RestrictRegions {
			spec.Regions = p.Regions
		}
		p.Permission = awsiam.PermissionPolicy(spec)
	}
	p.Request = cloudapi.EnableLogExportRequest{
		Type:            cloudapi.TypeAWSCloudWatch,
		LogName:         p.LogGroup,
		AuthPrincipal:   p.RoleARN,
		Region:          in.ExportRegion,
		Redact:          in.Redact,
		OmittedChannels: omitted,
	}
	if cluster.Plan != cloudapi.PlanStandard {
		p.Request.AWSExternalID = p.ExternalID
	}
	if err := p.Request.Validate(cluster); err != nil {
		return usage(StepEnable, err, "fix the export settings")
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
// the role, the policy and whether it is attached.
func detect(ctx context.Context, env *Env, p *Plan) error {
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
	if p.roleInOwnAccount {
		g.Go(func() error {
			st, err := awsiam.InspectRole(gctx, env.AWS.IAM, p.RoleName)
			if err != nil && !st.Exists {
				return &StepError{Step: StepRole, Cause: err, Fix: awsFix(err, "iam:GetRole"), Permanent: !awsiam.IsThrottling(err)}
			}
			p.role = st
			if st.Exists {
				attached, err := awsiam.IsPolicyAttached(gctx, env.AWS.IAM, p.RoleName, p.PolicyARN)
				if err != nil {
					return &StepError{Step: StepPolicy, Cause: err, Fix: awsFix(err, "iam:ListAttachedRolePolicies"), Permanent: !awsiam.IsThrottling(err)}
				}
				p.attached = attached
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
	return nil
}

// markRetentionPending finds log groups a run set out to create and did not
// finish — interrupted, or PutRetentionPolicy failed — and that have no
// retention: the rerun sets it, as it would have for a new group. Finished
// groups keep whatever retention they have.
func markRetentionPending(p *Plan, j *Journal) {
	p.retentionPending = map[string]bool{}
	for region, st := range p.logGroups {
		if st.Exists && st.RetentionDays == nil && j.Intends(KindLogGroup, p.LogGroup, region) {
			p.retentionPending[region] = true
		}
	}
}

// adoptExternalID keeps the external ID a brought-in role's trust already
// requires, instead of one "auto" just invented (which would only make the
// trust check fail).
func adoptExternalID(p *Plan) {
	if !p.externalIDGenerated || !p.BringOwnRole || p.role.Trust == nil {
		return
	}
	r := awsiam.EvaluateTrust(p.role.Trust, p.ClusterAccount, "")
	if r.Allowed {
		p.ExternalID, p.ExternalIDRequired = "", false
	} else if len(r.ExternalIDs) == 1 {
		p.ExternalID = r.ExternalIDs[0]
	} else {
		return
	}
	p.Trust = awsiam.TrustPolicy(p.ClusterAccount, p.ExternalID)
	p.Request.AWSExternalID = p.ExternalID
}

// awsFix says what to do about an AWS error from an operation.
func awsFix(err error, action string) string {
	switch {
	case awsiam.IsAccessDenied(err):
		return fmt.Sprintf("the AWS identity running this tool needs %s; ask an administrator or use a profile that has it (--profile)", action)
	case awsiam.IsThrottling(err):
		return "AWS is throttling requests; wait a minute and run the same command again"
	}
	return "check the AWS credentials and region, then run the same command again"
}

// buildSteps decides the action of each of the ten steps.
func buildSteps(p *Plan, in SetupInput) {
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
	switch {
	case !p.roleInOwnAccount:
		add(StepRole, Info, fmt.Sprintf("your role %s is in another account than the one this tool acts in (%s): it cannot be checked from here", p.RoleARN, p.YourAccount))
	case !p.role.Exists && p.BringOwnRole:
		add(StepRole, Conflict, fmt.Sprintf("role %s does not exist in account %s", p.RoleARN, p.YourAccount), "Fix: create it first, or leave out --role-arn to let this tool create "+DefaultRoleName+".")
	case !p.role.Exists:
		add(StepRole, Create, fmt.Sprintf("role %s", p.RoleARN))
	default:
		add(StepRole, ExistsOK, fmt.Sprintf("role %s exists (created %s)", p.role.ARN, p.role.CreateDate.UTC().Format(time.RFC3339)))
		p.RoleARN = p.role.ARN
		p.Request.AuthPrincipal = p.role.ARN
	}

	// 6–7. policy and what it grants
	switch {
	case !p.roleInOwnAccount:
		add(StepPolicy, Info, "the role is in another account: attach a policy like `crdb-logexport policy` prints there")
		add(StepPermissions, Info, "not checked (role in another account)")
	default:
		pol := add(StepPolicy, ExistsOK, fmt.Sprintf("policy %s attached to %s", p.PolicyARN, p.RoleName))
		switch {
		case !p.policy.Exists:
			pol.Action = Create
			pol.Summary = fmt.Sprintf("policy %s, attached to %s", p.PolicyARN, p.RoleName)
		case !p.attached:
			pol.Action = WillChange
			pol.Summary = fmt.Sprintf("policy %s exists; attach it to %s", p.PolicyARN, p.RoleName)
		}
		perm := add(StepPermissions, ExistsOK, permissionSummary(p, in))
		switch {
		case !p.policy.Exists:
			perm.Action = Create
		case (p.policy.Document == nil || !awsiam.Equivalent(p.policy.Document, p.Permission)) && p.usedBy[p.PolicyARN] != "":
			perm.Action = Conflict
			perm.Summary = fmt.Sprintf("policy %s is already used by the export of cluster %s and grants access to its log group; replacing it would break that export", p.PolicyARN, p.usedBy[p.PolicyARN])
			perm.Details = append(perm.Details, "Fix: give this cluster its own policy, e.g. --policy-name "+DefaultPolicyName+"-"+p.ClusterName)
		case p.policy.Document == nil || !awsiam.Equivalent(p.policy.Document, p.Permission):
			perm.Action = WillChange
			cur := "(unreadable)"
			if p.policy.Document != nil {
				cur = p.policy.Document.JSON()
			}
			note := fmt.Sprintf("new default version (policy has %d of 5 versions", p.policy.VersionCount)
			if p.policy.VersionCount >= 5 {
				note += "; the oldest non-default one is deleted first"
			}
			perm.Details = append(perm.Details, note+")", "current:\n"+cur, "new:\n"+p.Permission.JSON())
		}
	}

	// 8. trust
	switch {
	case !p.roleInOwnAccount:
		add(StepTrust, Info, fmt.Sprintf("make sure its trust policy lets arn:aws:iam::%s:root assume it%s", p.ClusterAccount, externalIDNote(p)))
	case !p.role.Exists:
		add(StepTrust, Create, fmt.Sprintf("trust arn:aws:iam::%s:root%s", p.ClusterAccount, externalIDNote(p)))
	case p.role.Trust != nil && awsiam.Equivalent(p.role.Trust, p.Trust):
		add(StepTrust, ExistsOK, fmt.Sprintf("trusts arn:aws:iam::%s:root%s", p.ClusterAccount, externalIDNote(p)))
	case p.BringOwnRole && p.role.Trust != nil && awsiam.EvaluateTrust(p.role.Trust, p.ClusterAccount, p.ExternalID).Allowed:
		add(StepTrust, ExistsOK, fmt.Sprintf("your trust policy lets arn:aws:iam::%s:root assume the role%s", p.ClusterAccount, externalIDNote(p)))
	case p.BringOwnRole:
		cur := p.role.TrustRaw
		if p.role.Trust != nil {
			cur = p.role.Trust.JSON()
		}
		add(StepTrust, Conflict, fmt.Sprintf("your role's trust policy does not let the cluster's account %s assume it%s", p.ClusterAccount, externalIDNote(p)),
			"current:\n"+cur, "Fix: add a statement like this one to the role's trust policy (this tool does not rewrite roles it did not create):\n"+p.Trust.JSON())
	case p.usedBy[p.role.ARN] != "":
		add(StepTrust, Conflict, fmt.Sprintf("role %s is already used by the export of cluster %s and trusts that cluster's account; replacing its trust would break that export", p.role.ARN, p.usedBy[p.role.ARN]),
			"Fix: give this cluster its own role and policy, e.g. --role-name "+DefaultRoleName+"-"+p.ClusterName+" --policy-name "+DefaultPolicyName+"-"+p.ClusterName)
	default:
		p.trustChange = true
		cur := p.role.TrustRaw
		if p.role.Trust != nil {
			cur = p.role.Trust.JSON()
		}
		add(StepTrust, WillChange, fmt.Sprintf("replace the trust policy of %s so the cluster's account %s can assume it%s", p.RoleName, p.ClusterAccount, externalIDNote(p)),
			"current:\n"+cur, "new:\n"+p.Trust.JSON())
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

func externalIDNote(p *Plan) string {
	switch {
	case p.PlanType == cloudapi.PlanStandard:
		return " with external ID = cluster ID " + p.ExternalID
	case p.ExternalID != "":
		return " with external ID " + p.ExternalID
	}
	return " (no external ID)"
}

func permissionSummary(p *Plan, in SetupInput) string {
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
