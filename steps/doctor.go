package steps

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// The doctor's check IDs (PRODUCT.md §5). They are a public interface:
// scripts match on them, so they never change.
const (
	CheckExportStatus         = "export-status"
	CheckAuthPrincipalKind    = "auth-principal-kind"
	CheckRoleExists           = "role-exists"
	CheckRoleAccount          = "role-account"
	CheckTrustPrincipal       = "trust-principal"
	CheckTrustExternalID      = "trust-external-id"
	CheckPermissionsActions   = "permissions-actions"
	CheckPermissionsAccount   = "permissions-resource-account"
	CheckPermissionsLogGroup  = "permissions-log-group"
	CheckPermissionsRegions   = "permissions-regions"
	CheckPermissionsBoundary  = "permissions-boundary"
	CheckLogGroupExists       = "log-group-exists"
	CheckLogGroupKMS          = "log-group-kms"
	CheckChannelsValid        = "channels-valid"
	CheckLogsArriving         = "logs-arriving"
	doctorDefaultWindow       = ArrivingWindow
	doctorDefaultArrivalGrace = 5 * time.Minute
)

// CheckIDs lists every check in the order a report shows them.
var CheckIDs = []string{
	CheckExportStatus, CheckAuthPrincipalKind, CheckRoleExists, CheckRoleAccount,
	CheckTrustPrincipal, CheckTrustExternalID, CheckPermissionsActions,
	CheckPermissionsAccount, CheckPermissionsLogGroup, CheckPermissionsRegions,
	CheckPermissionsBoundary, CheckLogGroupExists, CheckLogGroupKMS,
	CheckChannelsValid, CheckLogsArriving,
}

// Severity grades a finding.
type Severity string

// Severities, worst first.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
	SeverityOK      Severity = "ok"
)

// Finding is the outcome of one check, in the JSON shape PRODUCT.md §5
// fixes: every field is always present.
type Finding struct {
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	// Summary is one line; Detail explains it; Evidence quotes the exact
	// statement or field that shows it (one item a line); Fix says what to
	// do. Fixable is true when `doctor --fix` can repair it.
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Evidence string `json:"evidence"`
	Fix      string `json:"fix"`
	Fixable  bool   `json:"fixable"`
	// CausedBy lists the checks whose fault this finding follows from (it
	// is then a consequence, not a fault of its own, and no error unless
	// PRODUCT.md §5 makes it one, as export-status on a failed export);
	// empty for a root cause or a finding that is fine.
	CausedBy []string `json:"caused_by"`
}

// DoctorReport is the doctor's answer for one cluster. Its JSON form is
// exactly {"cluster_id", "status", "ok", "findings"}.
type DoctorReport struct {
	ClusterID string          `json:"cluster_id"`
	Status    cloudapi.Status `json:"status"`
	// OK is true when no finding is an error.
	OK       bool      `json:"ok"`
	Findings []Finding `json:"findings"`

	// ClusterName and the facts stay out of the JSON document.
	ClusterName string       `json:"-"`
	Facts       *DoctorFacts `json:"-"`
	ctx         *doctorContext
}

// Finding returns the finding of a check.
func (r *DoctorReport) Finding(check string) Finding {
	for _, f := range r.Findings {
		if f.Check == check {
			return f
		}
	}
	return Finding{Check: check}
}

// Problems are the errors, then the warnings. Within each, the findings
// that name a cause come before those that follow from one — the export's
// failed status, logs that do not arrive, a finding with CausedBy — so the
// field to fix is read first. Every view of a report lists them so.
func (r *DoctorReport) Problems() []Finding {
	consequence := func(fd Finding) bool {
		return fd.Check == CheckExportStatus || fd.Check == CheckLogsArriving || len(fd.CausedBy) > 0
	}
	var out []Finding
	for _, sev := range []Severity{SeverityError, SeverityWarning} {
		for _, later := range []bool{false, true} {
			for _, fd := range r.Findings {
				if fd.Severity == sev && consequence(fd) == later {
					out = append(out, fd)
				}
			}
		}
	}
	return out
}

// Counts returns how many findings have each severity.
func (r *DoctorReport) Counts() map[Severity]int {
	out := map[Severity]int{}
	for _, f := range r.Findings {
		out[f.Severity]++
	}
	return out
}

// DoctorOptions tune a diagnosis.
type DoctorOptions struct {
	// ArrivalWindow: a stream whose newest event is older than this does
	// not count as logs arriving (default 15 min).
	ArrivalWindow time.Duration
	// ArrivalGrace: an export enabled less than this long ago with no logs
	// yet is a warning, not an error, since logs are not back-filled
	// (default 5 min).
	ArrivalGrace time.Duration
}

// DoctorFacts is everything the checks look at, read with read-only calls.
// RunChecks is a pure function of it, so a user interface (or a test) can
// build or adjust facts and get the same report the command prints.
type DoctorFacts struct {
	Cluster cloudapi.Cluster
	Export  cloudapi.LogExportInfo
	Caller  awsiam.Identity
	Now     time.Time

	// Principal is auth_principal parsed; PrincipalErr says why it is not
	// an ARN at all.
	Principal    awsiam.ARN
	PrincipalErr error
	// PolicyRoles are the roles a policy ARN given as auth_principal is
	// attached to (iam:ListEntitiesForPolicy).
	PolicyRoles    []string
	PolicyRolesErr error

	// RoleARN is the role the role checks examine: auth_principal when it is
	// a role ARN, or the only role the policy it names is attached to.
	RoleARN string
	// Role is the role named like RoleARN's name, read in the caller's
	// account; RoleErr is a failed read (or an unreadable trust policy).
	Role    awsiam.RoleState
	RoleErr error
	// Policies are the role's attached, inline and boundary policies.
	Policies    awsiam.RolePolicySet
	PoliciesErr error

	// LogGroups are the export's log groups in each destination region.
	LogGroups []LogGroupFact

	// ToolPolicy is the managed policy --fix writes the permissions into:
	// the one attached to the role whose live tags say the tool made it for
	// this cluster, else this cluster's own default policy.
	ToolPolicy    awsiam.PolicyState
	ToolPolicyErr error
	// UsedElsewhere maps the role ARN to the name of another cluster whose
	// live export uses it. It is read (one pass over the organization's
	// exports) only when a finding offers to change the role's trust.
	UsedElsewhere map[string]string
	// RoleOurs: the role's live tags say the tool made it for this cluster.
	RoleOurs bool

	ArrivalWindow time.Duration
	ArrivalGrace  time.Duration
}

// ReadError is the first AWS read about the role, its policies or a log
// group that failed (not one that found nothing): the checks it feeds
// could not say anything, so no verdict rests on them. nil when every
// read answered.
func (f *DoctorFacts) ReadError() error {
	for _, err := range []error{f.PolicyRolesErr, f.RoleErr, f.PoliciesErr} {
		if err != nil {
			return err
		}
	}
	for _, lg := range f.LogGroups {
		if lg.Err != nil {
			return lg.Err
		}
		if lg.StreamsErr != nil {
			return lg.StreamsErr
		}
	}
	return nil
}

// LogGroupFact is one log group in one destination region.
type LogGroupFact struct {
	Region string
	Name   string
	State  awsiam.LogGroupState
	Err    error
	// Streams are the group's export streams, newest event first.
	Streams    []awsiam.StreamInfo
	StreamsErr error
}

// Diagnose reads the export configuration and status, the cluster, the
// role auth_principal names with its policies, and the log groups and their
// newest streams in each destination region — independent reads
// concurrently — and runs every check. It changes nothing.
func Diagnose(ctx context.Context, env *Env, clusterRef string, opts DoctorOptions) (*DoctorReport, error) {
	f, err := GatherDoctorFacts(ctx, env, clusterRef, opts)
	if err != nil {
		return nil, err
	}
	return RunChecks(f), nil
}

// GatherDoctorFacts does the reads of Diagnose. A failure to identify the
// cluster, read its export or identify the AWS caller is an error; a failed
// AWS read about the role or a log group is kept in the facts, and the
// checks that needed it report that they could not run.
func GatherDoctorFacts(ctx context.Context, env *Env, clusterRef string, opts DoctorOptions) (*DoctorFacts, error) {
	cluster, caller, info, err := lookUp(ctx, env, clusterRef)
	if err != nil {
		return nil, err
	}
	return gatherExportFacts(ctx, env, cluster, info, caller, opts)
}

// gatherExportFacts does the reads of a diagnosis once the cluster, its
// export and the AWS caller are known.
func gatherExportFacts(ctx context.Context, env *Env, cluster cloudapi.Cluster, info cloudapi.LogExportInfo, caller awsiam.Identity, opts DoctorOptions) (*DoctorFacts, error) {
	if err := cluster.CheckCloudWatch(); err != nil {
		return nil, &StepError{Step: StepCluster, Cause: fmt.Errorf("%w: %v", ErrNotApplicable, err), Fix: "the doctor checks CloudWatch export of Advanced and Standard clusters on AWS", Permanent: true}
	}
	if info.Configured && info.Spec.Type != "" && info.Spec.Type != cloudapi.TypeAWSCloudWatch {
		return nil, &StepError{Step: StepCluster, Cause: fmt.Errorf("%w: the cluster exports to %s", ErrNotApplicable, info.Spec.Type), Fix: "the doctor checks CloudWatch export only", Permanent: true}
	}
	f := &DoctorFacts{
		Cluster: cluster, Export: info, Caller: caller, Now: env.now(),
		ArrivalWindow: opts.ArrivalWindow, ArrivalGrace: opts.ArrivalGrace,
	}
	if f.ArrivalWindow <= 0 {
		f.ArrivalWindow = doctorDefaultWindow
	}
	if f.ArrivalGrace <= 0 {
		f.ArrivalGrace = doctorDefaultArrivalGrace
	}
	if !doctorActive(info) {
		return f, nil
	}
	if info.Spec.AuthPrincipal != "" {
		f.Principal, f.PrincipalErr = awsiam.ParseARN(info.Spec.AuthPrincipal)
	}

	// Everything below is independent: the role side and each log group.
	var wg errgroup.Group
	wg.Go(func() error {
		doctorGatherRole(ctx, env, f)
		if f.PrincipalErr == nil && f.Principal.AccountID == caller.Account {
			doctorGatherToolPolicy(ctx, env, f)
		}
		return nil
	})
	regions := cluster.ExportRegions(info.Spec)
	groups := info.Spec.LogGroups()
	f.LogGroups = make([]LogGroupFact, 0, len(regions)*len(groups))
	for _, region := range regions {
		for _, name := range groups {
			f.LogGroups = append(f.LogGroups, LogGroupFact{Region: region, Name: name})
		}
	}
	for i := range f.LogGroups {
		lg := &f.LogGroups[i]
		wg.Go(func() error {
			logs := env.AWS.LogsFor(lg.Region)
			lg.State, lg.Err = awsiam.InspectLogGroup(ctx, logs, lg.Name)
			if lg.Err == nil && lg.State.Exists {
				lg.Streams, lg.StreamsErr = doctorStreams(ctx, logs, lg.Name)
			}
			return nil
		})
	}
	_ = wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := doctorGatherSharedUse(ctx, env, f); err != nil {
		return nil, err
	}
	return f, nil
}

// doctorGatherSharedUse looks, when the checks would offer to rewrite the
// role's trust, at which other clusters' live exports use the role: then
// --fix only adds a statement for this cluster instead. Healthy exports
// cost no pass over the organization.
func doctorGatherSharedUse(ctx context.Context, env *Env, f *DoctorFacts) error {
	f.UsedElsewhere = map[string]string{}
	if !f.Role.Exists || !f.RoleOurs {
		return nil
	}
	r := RunChecks(f)
	needed := false
	for _, id := range []string{CheckTrustPrincipal, CheckTrustExternalID} {
		if fd := r.Finding(id); fd.Severity == SeverityError && fd.Fixable {
			needed = true
		}
	}
	if !needed {
		return nil
	}
	used, err := exportsUsing(ctx, env, f.Cluster.ID, []string{f.Role.ARN})
	if err != nil {
		return err
	}
	f.UsedElsewhere = used
	return nil
}

// doctorActive: the export has a configuration worth checking.
func doctorActive(info cloudapi.LogExportInfo) bool {
	return info.Configured && info.Status != cloudapi.StatusDisabled && info.Status != cloudapi.StatusDisabling
}

// doctorGatherRole reads what auth_principal leads to: for a role ARN, the role
// and its policies; for a policy ARN, the roles it is attached to (and, when
// there is exactly one, that role).
func doctorGatherRole(ctx context.Context, env *Env, f *DoctorFacts) {
	if f.PrincipalErr != nil || f.Export.Spec.AuthPrincipal == "" {
		return
	}
	switch f.Principal.Kind {
	case awsiam.KindRole:
		f.RoleARN = f.Principal.String()
		// A role in the cluster's account is the classic mix-up of the two
		// accounts: a role of the same name in the caller's account is then
		// probably the one meant, so it is read too.
		if f.Principal.AccountID != f.Caller.Account && f.Principal.AccountID != f.Cluster.ExportAccountID() {
			return
		}
	case awsiam.KindPolicy:
		if f.Principal.AccountID != f.Caller.Account {
			return
		}
		f.PolicyRoles, f.PolicyRolesErr = awsiam.RolesForPolicy(ctx, env.AWS.IAM, f.Principal.String())
		if f.PolicyRolesErr != nil || len(f.PolicyRoles) != 1 {
			return
		}
		f.RoleARN = f.PolicyRoles[0]
	default:
		return
	}
	name := doctorRoleName(f.RoleARN)
	var g errgroup.Group
	g.Go(func() error {
		f.Role, f.RoleErr = awsiam.InspectRole(ctx, env.AWS.IAM, name)
		return nil
	})
	g.Go(func() error {
		f.Policies, f.PoliciesErr = awsiam.RolePolicies(ctx, env.AWS.IAM, name)
		return nil
	})
	_ = g.Wait()
	if !f.Role.Exists && awsiam.IsNotFound(f.PoliciesErr) {
		f.PoliciesErr = nil
	}
}

// doctorGatherToolPolicy finds the managed policy --fix would write the
// permissions into — among the role's attached policies, the one the
// tool made for this cluster (its live tags say so), else this cluster's
// own default policy — and reads it, so the fix can show the exact change.
// It also settles whether the role itself is the tool's for this cluster.
func doctorGatherToolPolicy(ctx context.Context, env *Env, f *DoctorFacts) {
	j := env.readJournal(f.Cluster.ID, f.Cluster.Name)
	if f.Role.Exists {
		f.RoleOurs = ownsLive(f.Role.Tags, f.Cluster.ID, j, KindRole, f.Role.ARN, "", f.Role.CreateDate)
	}
	arn := awsiam.PolicyARN(f.Caller.Account, DefaultPolicyNameFor(f.Cluster.Name, f.Cluster.ID), "")
	for _, mp := range f.Policies.Attached {
		if ownsLive(mp.Tags, f.Cluster.ID, j, KindPolicy, mp.ARN, "", mp.Created) {
			arn = mp.ARN
			break
		}
	}
	st, err := awsiam.InspectPolicy(ctx, env.AWS.IAM, arn)
	st.ARN = arn
	f.ToolPolicy, f.ToolPolicyErr = st, err
}

func doctorRoleName(roleARN string) string {
	a, err := awsiam.ParseARN(roleARN)
	if err != nil {
		return ""
	}
	return a.Name
}

// RunChecks runs every check of PRODUCT.md §5 over the facts. It does no
// I/O: the same facts always give the same report.
func RunChecks(f *DoctorFacts) *DoctorReport {
	c := newDoctorContext(f)
	r := &DoctorReport{ClusterID: f.Cluster.ID, ClusterName: f.Cluster.Name, Status: f.Export.Status, Facts: f}
	byCheck := map[string]Finding{
		CheckAuthPrincipalKind: c.checkPrincipalKind(),
		CheckRoleExists:        c.checkRoleExists(),
		CheckRoleAccount:       c.checkRoleAccount(),
		CheckLogGroupExists:    c.checkLogGroupExists(),
		CheckLogGroupKMS:       c.checkLogGroupKMS(),
		CheckChannelsValid:     c.checkChannels(),
		CheckLogsArriving:      c.checkLogsArriving(),
	}
	byCheck[CheckTrustPrincipal], byCheck[CheckTrustExternalID] = c.checkTrust()
	for id, fd := range c.checkPermissions() {
		byCheck[id] = fd
	}
	r.ctx = c
	byCheck[CheckLogsArriving] = c.asConsequence(byCheck[CheckLogsArriving], byCheck)
	byCheck[CheckExportStatus] = c.checkExportStatus(byCheck)
	r.OK = true
	for _, id := range CheckIDs {
		fd := byCheck[id]
		fd.Check = id
		if fd.Severity == "" {
			fd.Severity = SeverityInfo
		}
		if fd.CausedBy == nil {
			fd.CausedBy = []string{}
		}
		if fd.Severity == SeverityError {
			r.OK = false
		}
		r.Findings = append(r.Findings, fd)
	}
	return r
}
