package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// UpdateTarget is what an update starts from: the cluster, who is acting
// in AWS, and the configuration in force.
type UpdateTarget struct {
	Cluster cloudapi.Cluster       `json:"cluster"`
	Caller  awsiam.Identity        `json:"caller"`
	Current cloudapi.LogExportInfo `json:"current"`
}

// errNoExport and errExportDisabled are the causes when update finds
// nothing to change.
var (
	errNoExport       = errors.New("log export is not configured")
	errExportDisabled = errors.New("disabled")
)

// LoadUpdate reads the cluster, the caller's AWS identity and the current
// configuration concurrently, and checks that there is an export to
// update. An interface shows Current to edit it, then calls PlanUpdate.
func LoadUpdate(ctx context.Context, env *Env, clusterRef string) (*UpdateTarget, error) {
	cluster, _, caller, current, err := Discover(ctx, env, clusterRef)
	if err != nil {
		return nil, err
	}
	// Nothing to update is no step's failure, and not one to resume: the
	// cluster needs setup instead (a usage error on the command line).
	setup := "set it up with `crdb-logexport setup --cluster " + cluster.Name + "`"
	nothing := func(cause error, fix string) error {
		return &StepError{Cause: cause, Fix: fix, Permanent: true, Usage: true}
	}
	switch {
	case !current.Configured:
		return nil, nothing(fmt.Errorf("%w for cluster %s", errNoExport, cluster.Name), setup)
	case current.Status == cloudapi.StatusDisabled:
		return nil, nothing(fmt.Errorf("log export of cluster %s is %w, so there is nothing to update", cluster.Name, errExportDisabled), setup)
	case current.Status == cloudapi.StatusDisabling:
		return nil, nothing(fmt.Errorf("log export of cluster %s is being disabled", cluster.Name), "wait for it with `crdb-logexport status --cluster "+cluster.Name+" --watch --until-terminal`, then "+setup)
	}
	return &UpdateTarget{Cluster: cluster, Caller: caller, Current: *current}, nil
}

// UpdateInput is an update as flags express it.
type UpdateInput struct {
	Cluster string   `json:"cluster,omitempty"`
	Edit    SpecEdit `json:"edit"`
	// RetentionDays for the log groups the update creates; 0 means
	// DefaultRetentionDays. Existing groups are not changed.
	RetentionDays int `json:"retention_days,omitempty"`
}

// PrepareUpdate is LoadUpdate, the edit, and PlanUpdate: the plan for a
// non-interactive update. It changes nothing.
func PrepareUpdate(ctx context.Context, env *Env, in UpdateInput) (*UpdatePlan, error) {
	t, err := LoadUpdate(ctx, env, in.Cluster)
	if err != nil {
		return nil, err
	}
	// The edit applies to the configuration as it is once no other run of
	// this machine changes it.
	if waited, err := env.HoldCluster(ctx, t.Cluster.ID); err != nil {
		return nil, err
	} else if waited {
		if t, err = LoadUpdate(ctx, env, in.Cluster); err != nil {
			return nil, err
		}
	}
	desired, err := in.Edit.Apply(t.Current.Spec)
	if err != nil {
		return nil, &StepError{Step: StepEnable, Cause: err, Fix: "fix the flags; `crdb-logexport update --help` shows their syntax", Permanent: true}
	}
	return PlanUpdate(ctx, env, t, desired, in.RetentionDays)
}

// UpdatePlan is what an update will do: the configuration before and
// after, and the AWS changes the new one needs, each step as create,
// exists-ok, exists-will-change or conflict.
type UpdatePlan struct {
	ClusterID      string                 `json:"cluster_id"`
	ClusterName    string                 `json:"cluster_name"`
	PlanType       cloudapi.Plan          `json:"plan_type"`
	ClusterAccount string                 `json:"cluster_account"`
	YourAccount    string                 `json:"your_account"`
	CallerARN      string                 `json:"caller_arn"`
	Current        cloudapi.LogExportInfo `json:"current"`
	Desired        cloudapi.LogExportSpec `json:"desired"`
	// Diff is every field that changes; empty when the configuration stays
	// as it is.
	Diff []SpecChange `json:"diff"`
	// Regions and LogGroups are where the new configuration delivers.
	Regions       []string `json:"regions"`
	LogGroups     []string `json:"log_groups"`
	RetentionDays int      `json:"retention_days"`
	// PolicyARN is the tool's permission policy on the role, when the plan
	// changes it; Permission is its new document.
	PolicyARN  string                 `json:"policy_arn,omitempty"`
	Permission *awsiam.PolicyDocument `json:"permission_policy,omitempty"`
	Steps      []PlannedStep          `json:"steps"`

	roleName         string
	roleAccount      string
	roleInOwnAccount bool
	missing          []groupAt
	// unfinished are log groups an interrupted update created without
	// giving them their retention.
	unfinished   []groupAt
	policyChange bool
	// bridge is what the policy holds while the update is made, when the
	// export in force relies on the policy that changes: it grants the old
	// log groups and the new ones, so the export keeps working until the
	// new configuration is ENABLED; then Permission replaces it.
	bridge *awsiam.PolicyDocument
	// narrowLater: the policy change only takes away what the new
	// configuration does not need; it waits until that one is ENABLED.
	narrowLater bool
	post        bool
	// priorState is what the plan read (see SavedPlan).
	priorState []PriorState
}

// groupAt is one log group in one region.
type groupAt struct{ region, name string }

// Changes reports whether applying the plan changes anything.
func (p *UpdatePlan) Changes() bool {
	return slices.ContainsFunc(p.Steps, func(s PlannedStep) bool { return s.Action == Create || s.Action == WillChange })
}

// Conflicts lists the steps that stop the update.
func (p *UpdatePlan) Conflicts() []PlannedStep { return conflicts(p.Steps) }

// Step returns the planned step with the given id, or nil.
func (p *UpdatePlan) Step(id string) *PlannedStep { return stepByID(p.Steps, id) }

// WriteText renders the plan for people: the configuration diff, then
// each step.
func (p *UpdatePlan) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Update of cluster %s (%s, %s) — acting in AWS account %s as %s\n\n", p.ClusterName, p.ClusterID, p.PlanType, p.YourAccount, p.CallerARN)
	if len(p.Diff) == 0 {
		fmt.Fprintln(w, "The configuration stays as it is.")
	} else {
		fmt.Fprintln(w, "Configuration changes (everything else is kept and sent again):")
		for _, d := range p.Diff {
			fmt.Fprintf(w, "  %s\n      - %s\n      + %s\n", d.Field, d.Old, d.New)
		}
	}
	fmt.Fprintln(w)
	writeSteps(w, p.Steps)
}

func writeSteps(w io.Writer, steps []PlannedStep) {
	for _, s := range steps {
		number := "   "
		if s.Number > 0 {
			number = fmt.Sprintf("%2d.", s.Number)
		}
		fmt.Fprintf(w, "%s %-11s %s\n", number, actionMark[s.Action], s.Title)
		fmt.Fprintf(w, "    %s\n", s.Summary)
		for _, it := range s.Items {
			note := ""
			if it.Note != "" {
				note = " — " + it.Note
			}
			fmt.Fprintf(w, "      %-10s %s%s\n", actionMark[it.Action], it.Name, note)
		}
		for _, d := range s.Details {
			for _, line := range strings.Split(d, "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
}

// PlanUpdate validates the desired configuration and works out, with
// read-only calls run concurrently, what AWS needs for it: the log groups
// in every destination region, a role the cluster can assume (when the
// role changes), and permissions covering every log group. It changes
// nothing.
func PlanUpdate(ctx context.Context, env *Env, t *UpdateTarget, desired cloudapi.LogExportSpec, retentionDays int) (*UpdatePlan, error) {
	cluster := t.Cluster
	usage := func(step string, err error, fix string) error {
		return &StepError{Step: step, Cause: err, Fix: fix, Permanent: true}
	}
	if retentionDays == 0 {
		retentionDays = DefaultRetentionDays
	}
	if err := awsiam.ValidateRetentionDays(int32(retentionDays)); err != nil {
		return nil, usage(StepLogGroup, err, "choose another --retention-days")
	}
	if desired.AuthPrincipal != t.Current.Spec.AuthPrincipal {
		if err := checkPolicyARNGiven(ctx, env, desired.AuthPrincipal); err != nil {
			return nil, err
		}
	}
	if err := ValidateSpec(desired, cluster); err != nil {
		return nil, usage(StepEnable, err, "fix the configuration; nothing was changed")
	}
	if waited, err := env.HoldCluster(ctx, cluster.ID); err != nil {
		return nil, err
	} else if waited {
		// The edit was made to what the configuration was before another
		// run changed it: plan it only if that run left it as it was.
		now, err := env.Cloud.LogExport(ctx, cluster.ID)
		if err != nil {
			return nil, &StepError{Step: StepEnable, Cause: err, Fix: cloudAuthFix(err), Permanent: !transientCloud(err)}
		}
		if !cloudapi.SpecsEqual(now.Spec, t.Current.Spec) || now.Status != t.Current.Status {
			return nil, &StepError{Step: StepEnable, Cause: ErrStalePlan, Fix: "start the update again from the configuration as it is now", Permanent: true}
		}
	}
	role, _ := awsiam.ParseARN(desired.AuthPrincipal)
	p := &UpdatePlan{
		ClusterID: cluster.ID, ClusterName: cluster.Name, PlanType: cluster.Plan,
		ClusterAccount: cluster.ExportAccountID(),
		YourAccount:    t.Caller.Account, CallerARN: t.Caller.ARN,
		Current:       t.Current,
		Desired:       desired,
		Regions:       cluster.ExportRegions(desired),
		LogGroups:     desired.LogGroups(),
		RetentionDays: retentionDays,
		roleName:      role.Name,
		roleAccount:   role.AccountID,
	}
	p.roleInOwnAccount = role.AccountID == t.Caller.Account
	roleChanged := desired.AuthPrincipal != t.Current.Spec.AuthPrincipal

	// Read the AWS side concurrently.
	var (
		groupStates = make([]awsiam.LogGroupState, len(p.Regions)*len(p.LogGroups))
		roleState   awsiam.RoleState
		policies    awsiam.RolePolicySet
		rolePolErr  error
		journal     *Journal
	)
	g, gctx := errgroup.WithContext(ctx)
	if p.roleInOwnAccount {
		for i, at := range p.groupPairs() {
			g.Go(func() error {
				st, err := awsiam.InspectLogGroup(gctx, env.AWS.LogsFor(at.region), at.name)
				if err != nil {
					return &StepError{Step: StepLogGroup, Cause: fmt.Errorf("reading log group %s in %s: %w", at.name, at.region, err), Fix: awsFix(err, "logs:DescribeLogGroups"), Permanent: !awsiam.IsThrottling(err)}
				}
				groupStates[i] = st
				return nil
			})
		}
		g.Go(func() error {
			st, err := awsiam.InspectRole(gctx, env.AWS.IAM, p.roleName)
			switch {
			case err != nil && !st.Exists && roleChanged:
				return &StepError{Step: StepRoleARN, Cause: err, Fix: awsFix(err, "iam:GetRole"), Permanent: !awsiam.IsThrottling(err)}
			case err != nil && !st.Exists:
				// The role in use cannot be read: the permissions check
				// says so instead of blocking the update.
				rolePolErr = err
				return nil
			}
			roleState = st
			if !st.Exists {
				return nil
			}
			// A policy that cannot be read or parsed is a finding for the
			// plan, not a reason to stop planning.
			policies, rolePolErr = awsiam.RolePolicies(gctx, env.AWS.IAM, p.roleName)
			return nil
		})
	}
	g.Go(func() error {
		var err error
		journal, err = env.openJournal(cluster.ID, cluster.Name)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}

	if roleChanged && p.roleInOwnAccount && roleState.Exists {
		adoptRoleExternalID(p, roleState)
	}
	p.Diff = DiffSpecs(t.Current.Spec, p.Desired)

	p.planLogGroups(groupStates, journal)
	p.planRole(roleChanged, roleState)
	p.planPermissions(roleState, policies, rolePolErr, journal)
	if err := p.checkPolicyShared(ctx, env); err != nil {
		return nil, err
	}
	p.planEnable()
	p.preflightUpdate(cluster, t.Caller, roleState, policies, rolePolErr, groupStates, env.now)
	p.priorState = p.prior(roleState, policies, rolePolErr, groupStates)
	// Shown in the order of the documented procedure.
	slices.SortStableFunc(p.Steps, func(a, b PlannedStep) int { return a.Number - b.Number })
	return p, nil
}

// prior is what an update plan read: the export, and in the role's
// account the log groups, the role and every policy that shapes it.
func (p *UpdatePlan) prior(role awsiam.RoleState, set awsiam.RolePolicySet, readErr error, groups []awsiam.LogGroupState) []PriorState {
	cur := p.Current
	out := []PriorState{{Resource: "export of " + p.ClusterName, State: exportState(&cur)}}
	if !p.roleInOwnAccount {
		return out
	}
	for i, at := range p.groupPairs() {
		out = append(out, PriorState{Resource: "log group " + at.name + " in " + at.region, State: logGroupState(groups[i])})
	}
	out = append(out, PriorState{Resource: "role " + p.roleName, State: roleState(role)})
	policies := "unreadable"
	if readErr == nil {
		var parts []string
		for _, mp := range set.Attached {
			parts = append(parts, mp.ARN+" "+mp.Version+" "+policyText(mp.Document)+" tags "+tagText(mp.Tags))
		}
		for _, ip := range set.Inline {
			parts = append(parts, "inline "+ip.Name+" "+policyText(ip.Document))
		}
		if set.Boundary != nil {
			parts = append(parts, "boundary "+set.Boundary.ARN+" "+policyText(set.Boundary.Document))
		}
		policies = strings.Join(parts, "; ")
	}
	out = append(out, PriorState{Resource: "policies of role " + p.roleName, State: policies})
	return out
}

func (p *UpdatePlan) groupPairs() []groupAt {
	var out []groupAt
	for _, region := range p.Regions {
		for _, name := range p.LogGroups {
			out = append(out, groupAt{region, name})
		}
	}
	return out
}

func (p *UpdatePlan) add(id string, a Action, summary string, details ...string) *PlannedStep {
	p.Steps = append(p.Steps, PlannedStep{ID: id, Number: StepNumber(id), Title: StepTitle(id), Action: a, Summary: summary, Details: details})
	return &p.Steps[len(p.Steps)-1]
}

// trustExternalID is the external ID the cluster presents when assuming
// the role: the cluster ID for Standard clusters, else aws_external_id.
func (p *UpdatePlan) trustExternalID() string {
	if p.PlanType == cloudapi.PlanStandard {
		return p.ClusterID
	}
	return p.Desired.AWSExternalID
}

// adoptRoleExternalID: a new role whose trust requires exactly one
// external ID, other than the one the configuration sends, gets that one
// sent (Advanced only; Standard always sends the cluster ID).
func adoptRoleExternalID(p *UpdatePlan, role awsiam.RoleState) {
	if p.PlanType == cloudapi.PlanStandard || role.Trust == nil {
		return
	}
	if awsiam.EvaluateTrust(role.Trust, p.ClusterAccount, p.Desired.AWSExternalID).Allowed {
		return
	}
	if r := awsiam.EvaluateTrust(role.Trust, p.ClusterAccount, ""); len(r.ExternalIDs) == 1 &&
		awsiam.EvaluateTrust(role.Trust, p.ClusterAccount, r.ExternalIDs[0]).Allowed {
		p.Desired.AWSExternalID = r.ExternalIDs[0]
	}
}

func (p *UpdatePlan) planLogGroups(states []awsiam.LogGroupState, j *Journal) {
	summary := fmt.Sprintf("log group %s in %s", strings.Join(p.LogGroups, ", "), strings.Join(p.Regions, ", "))
	if !p.roleInOwnAccount {
		p.add(StepLogGroup, Info, summary+fmt.Sprintf(" — in the role's account %s, which this tool does not act in: make sure they exist there", p.roleAccount))
		return
	}
	s := p.add(StepLogGroup, ExistsOK, summary)
	for i, at := range p.groupPairs() {
		name := at.region
		if len(p.LogGroups) > 1 {
			name = at.name + " in " + at.region
		}
		st := states[i]
		if st.Exists && st.RetentionDays == nil && j.Intends(KindLogGroup, at.name, at.region) {
			p.unfinished = append(p.unfinished, at)
			s.Items = append(s.Items, PlanItem{Name: name, Action: WillChange, Note: fmt.Sprintf("retention never expire → %d days (an interrupted run created it)", p.RetentionDays)})
			continue
		}
		if st.Exists {
			s.Items = append(s.Items, PlanItem{Name: name, Action: ExistsOK, Note: "retention " + retentionText(st.RetentionDays)})
			continue
		}
		p.missing = append(p.missing, at)
		s.Items = append(s.Items, PlanItem{Name: name, Action: Create, Note: fmt.Sprintf("retention %d days", p.RetentionDays)})
	}
	s.Action = rollUp(s.Items)
}

func (p *UpdatePlan) planRole(changed bool, role awsiam.RoleState) {
	switch {
	case !changed:
		p.add(StepRoleARN, Info, "auth_principal unchanged: "+p.Desired.AuthPrincipal)
	case !p.roleInOwnAccount:
		p.add(StepRoleARN, Info, fmt.Sprintf("auth_principal → %s, a role in account %s, which this tool does not act in: check there that its trust lets arn:aws:iam::%s:root assume it%s", p.Desired.AuthPrincipal, p.roleAccount, p.ClusterAccount, p.externalIDText()))
	case !role.Exists:
		p.add(StepRoleARN, Conflict, fmt.Sprintf("role %s does not exist in account %s", p.Desired.AuthPrincipal, p.roleAccount),
			"Fix: create it first (`crdb-logexport policy --cluster "+p.ClusterName+"` prints its trust and permission policies), or pass the ARN of an existing role.")
	case role.Trust == nil || !awsiam.EvaluateTrust(role.Trust, p.ClusterAccount, p.trustExternalID()).Allowed:
		r := awsiam.EvaluateTrust(role.Trust, p.ClusterAccount, p.trustExternalID())
		p.add(StepRoleARN, Conflict, fmt.Sprintf("role %s does not let the cluster's account %s assume it%s: %s", p.Desired.AuthPrincipal, p.ClusterAccount, p.externalIDText(), r.Reason),
			"current trust policy:\n"+role.TrustRaw,
			"Fix: add a statement like this one to the role's trust policy:\n"+awsiam.TrustPolicy(p.ClusterAccount, p.trustExternalID()).JSON())
	default:
		p.add(StepRoleARN, WillChange, fmt.Sprintf("auth_principal → %s (its trust lets the cluster's account %s assume it%s)", p.Desired.AuthPrincipal, p.ClusterAccount, p.externalIDText()))
	}
}

func (p *UpdatePlan) externalIDText() string {
	if id := p.trustExternalID(); id != "" {
		return " with external ID " + id
	}
	return ""
}

// planPermissions checks, with the project's evaluator, that the role's
// policies allow every action on every log group in every destination
// region. When they do not and the tool's own permission policy is
// attached, the plan gives that policy a new version covering exactly the
// new configuration's log groups; a policy it does not own is never
// edited.
func (p *UpdatePlan) planPermissions(role awsiam.RoleState, set awsiam.RolePolicySet, readErr error, j *Journal) {
	scope := fmt.Sprintf("the %d logs actions on %s in %s", len(awsiam.RequiredActions), strings.Join(p.LogGroups, ", "), strings.Join(p.Regions, ", "))
	switch {
	case !p.roleInOwnAccount:
		p.add(StepPermissions, Info, "not checked: the role is in account "+p.roleAccount+"; its policies must allow "+scope)
		return
	case p.Step(StepRoleARN).Action == Conflict:
		p.add(StepPermissions, Info, "not checked until the role can be used: its policies must allow "+scope)
		return
	case readErr != nil:
		// Not a reason to refuse: the export itself will say whether the
		// role may write, and the user may lack only these read rights.
		p.add(StepPermissions, Info, "not checked: the role's policies cannot be read ("+readErr.Error()+"); they must allow "+scope,
			"To let this tool check them, the AWS identity running it needs iam:GetRole, iam:ListAttachedRolePolicies, iam:ListRolePolicies, iam:GetPolicy, iam:GetPolicyVersion and iam:GetRolePolicy.")
		return
	case !role.Exists:
		p.add(StepPermissions, Conflict, fmt.Sprintf("role %s does not exist", p.Desired.AuthPrincipal),
			"Fix: run `crdb-logexport doctor --cluster "+p.ClusterName+"` to see what is missing, or `crdb-logexport setup --cluster "+p.ClusterName+"` to recreate it.")
		return
	}
	identity, boundary := awsiam.SourcesFrom(set)
	reqs := awsiam.RequiredRequests(p.roleAccount, p.Regions, p.LogGroups)
	denied, explicit, undecided := judge(awsiam.EvaluateAll(identity, boundary, reqs))
	mine := p.ownPolicy(set, j)
	var exact *awsiam.PolicyDocument
	if mine != nil {
		spec := awsiam.PermissionSpec{Account: p.roleAccount, LogGroups: p.LogGroups}
		if restrictsRegions(mine.Document) {
			spec.Regions = p.Regions
		}
		exact = awsiam.PermissionPolicy(spec)
	}
	// narrowOnly: the role may already do everything, but the tool's own
	// policy grants more than the new configuration needs (log groups an
	// earlier configuration used, or a bridge an interrupted update left):
	// it is brought to exactly what is needed once the export is ENABLED.
	narrowOnly := mine != nil && len(denied)+len(explicit) == 0 && (mine.Document == nil || !awsiam.Equivalent(mine.Document, exact))
	switch {
	case len(explicit) > 0:
		p.add(StepPermissions, Conflict, "an explicit Deny in the role's policies blocks "+explicit[0].Request.Action+" on "+explicit[0].Request.Resource, explicit[0].Reason,
			"Fix: this tool does not edit policies it did not write; remove the Deny, or choose another log group.")
		return
	case narrowOnly:
		p.PolicyARN, p.Permission, p.policyChange, p.narrowLater = mine.ARN, exact, true, true
		p.add(StepPermissions, WillChange, fmt.Sprintf("the role's policies allow %s; once the new configuration is ENABLED, this tool's policy %s is narrowed to exactly that", scope, mine.ARN),
			"current:\n"+policyText(mine.Document), "new:\n"+exact.JSON())
		return
	case len(denied) == 0 && len(undecided) > 0:
		p.add(StepPermissions, Info, "the role's policies allow "+scope+" under conditions that can only be decided when the request is made", undecided[0].Reason)
		return
	case len(denied) == 0:
		p.add(StepPermissions, ExistsOK, "the role's policies allow "+scope)
		return
	}

	missing := fmt.Sprintf("the role's policies do not allow %s on %s", denied[0].Request.Action, denied[0].Request.Resource)
	if n := len(denied); n > 1 {
		missing += fmt.Sprintf(" (and %d more requests)", n-1)
	}
	if mine == nil {
		p.add(StepPermissions, Conflict, missing+", and none of its attached policies was made by this tool for this cluster",
			"Fix: grant them yourself (`crdb-logexport policy --cluster "+p.ClusterName+" --log-group "+p.Desired.LogName+"` prints a policy that does), then run this update again.")
		return
	}
	// Make before break: while the export in force relies on this policy,
	// the new version grants the old configuration's log groups as well;
	// the exact one follows once the new configuration is ENABLED.
	grant := exact
	cur := p.Current
	if cur.Configured && (cur.Status == cloudapi.StatusEnabled || cur.Status == cloudapi.StatusEnabling) && cur.Spec.AuthPrincipal == p.Desired.AuthPrincipal && mine.Document != nil {
		p.bridge = awsiam.BridgePolicy(mine.Document, exact)
		grant = p.bridge
	}
	// The new version must be enough: a permissions boundary can still
	// deny what it grants.
	for i := range identity {
		if identity[i].ARN == mine.ARN {
			identity[i].Document = grant
		}
	}
	if still, _, _ := judge(awsiam.EvaluateAll(identity, boundary, reqs)); len(still) > 0 {
		p.bridge = nil
		p.add(StepPermissions, Conflict, missing+"; a new version of "+mine.ARN+" would not be enough: "+still[0].Reason,
			"Fix: the role's permissions boundary must allow these actions too.")
		return
	}
	p.PolicyARN, p.Permission, p.policyChange = mine.ARN, exact, true
	details := []string{}
	if p.bridge != nil {
		details = append(details, "make before break: first a version granting the log groups of the configuration in force and the new ones, so the export keeps working whatever happens to the POST; once the new configuration is ENABLED, the version below replaces it")
	}
	details = append(details, "current:\n"+policyText(mine.Document), "new:\n"+exact.JSON())
	p.add(StepPermissions, WillChange, fmt.Sprintf("%s: new default version of %s granting %s", missing, mine.ARN, scope), details...)
}

func policyText(doc *awsiam.PolicyDocument) string {
	if doc == nil {
		return "(unreadable)"
	}
	return doc.JSON()
}

// checkPolicyShared asks the live world, before the plan changes the
// tool's policy, whether the export of another cluster uses a role the
// policy is attached to: then the change is a conflict.
func (p *UpdatePlan) checkPolicyShared(ctx context.Context, env *Env) error {
	if !p.policyChange {
		return nil
	}
	roles, err := awsiam.RolesForPolicy(ctx, env.AWS.IAM, p.PolicyARN)
	if err != nil {
		return &StepError{Step: StepPermissions, Cause: err, Fix: awsFix(err, "iam:ListEntitiesForPolicy"), Permanent: !awsiam.IsThrottling(err)}
	}
	used, err := exportsUsing(ctx, env, p.ClusterID, roles)
	if err != nil {
		return err
	}
	for _, r := range roles {
		if other := used[r]; other != "" {
			s := p.Step(StepPermissions)
			s.Action = Conflict
			s.Summary = fmt.Sprintf("changing the policy %s would change what the export of cluster %s may do (it is attached to the role that export uses, %s)", p.PolicyARN, other, r)
			s.Details = []string{"Fix: give this cluster its own role and policy with `crdb-logexport setup --cluster " + p.ClusterName + "` (default names are per cluster), then update."}
			p.policyChange, p.bridge, p.narrowLater = false, nil, false
			return nil
		}
	}
	return nil
}

// judge sorts evaluations into denied (implicitly), explicitly denied and
// undecided.
func judge(evs []awsiam.Evaluation) (denied, explicit, undecided []awsiam.Evaluation) {
	for _, ev := range evs {
		switch ev.Decision {
		case awsiam.ImplicitDeny:
			denied = append(denied, ev)
		case awsiam.ExplicitDeny:
			explicit = append(explicit, ev)
		case awsiam.Undecided:
			undecided = append(undecided, ev)
		}
	}
	return denied, explicit, undecided
}

// ownPolicy finds the tool's permission policy of this cluster among the
// role's attached ones: the one whose live tags say the tool made it for
// this cluster (or an earlier version did, as the journal records).
func (p *UpdatePlan) ownPolicy(set awsiam.RolePolicySet, j *Journal) *awsiam.ManagedPolicy {
	for i := range set.Attached {
		mp := &set.Attached[i]
		if ownsLive(mp.Tags, p.ClusterID, j, KindPolicy, mp.ARN, "", mp.Created) {
			return mp
		}
	}
	return nil
}

// restrictsRegions reports whether a permission policy names log-group
// resources in specific regions rather than "*" (setup --restrict-regions).
func restrictsRegions(doc *awsiam.PolicyDocument) bool {
	if doc == nil {
		return false
	}
	for _, st := range doc.Statement {
		for _, r := range st.Resource {
			if a, err := awsiam.ParseARN(r); err == nil && a.Service == "logs" && a.Region != "*" && a.Region != "" {
				return true
			}
		}
	}
	return false
}

func (p *UpdatePlan) planEnable() {
	cur := p.Current
	equal := cloudapi.SpecsEqual(cur.Spec, p.Desired)
	switch {
	case equal && (cur.Status == cloudapi.StatusEnabled || cur.Status == cloudapi.StatusEnabling):
		p.add(StepEnable, ExistsOK, fmt.Sprintf("configuration unchanged (%s)", cur.Status))
	case equal && !cur.Status.Known():
		p.add(StepEnable, Info, fmt.Sprintf("configuration unchanged; its status %s is not one this version knows, so it is not sent again", cur.Status))
	case equal:
		p.post = true
		s := p.add(StepEnable, WillChange, fmt.Sprintf("POST the same configuration again (status %s), then wait for ENABLED", cur.Status))
		if cur.UserMessage != "" {
			s.Details = append(s.Details, "last message: "+cur.UserMessage)
		}
	default:
		p.post = true
		s := p.add(StepEnable, WillChange, "POST the whole new configuration (the API replaces it), then wait for ENABLED and for streams in "+strings.Join(p.Regions, ", "))
		for _, d := range p.Diff {
			s.Details = append(s.Details, d.String())
		}
	}
}

// UpdateOptions tune ApplyUpdate.
type UpdateOptions struct {
	// SkipLogGroups and SkipPolicy decline the plan's offer to create the
	// missing log groups and to extend the permission policy.
	SkipLogGroups bool
	SkipPolicy    bool
	// NoWait returns once the POST is accepted.
	NoWait bool
	// PropagationLimit bounds re-enabling while IAM propagates a changed
	// policy or a young role (default 2 min).
	PropagationLimit time.Duration
	// StreamTimeout bounds the wait for log streams after ENABLED
	// (default 2 min).
	StreamTimeout time.Duration
	Watch         cloudapi.WatchOptions
}

// UpdateResult is what an update did.
type UpdateResult struct {
	ClusterID   string          `json:"cluster_id"`
	ClusterName string          `json:"cluster_name"`
	Status      cloudapi.Status `json:"status"`
	UserMessage string          `json:"user_message"`
	// Spec is the configuration as the API reports it afterwards.
	Spec               cloudapi.LogExportSpec `json:"spec"`
	Diff               []SpecChange           `json:"diff"`
	Created            []string               `json:"created"`
	Changed            []string               `json:"changed"`
	Steps              []AppliedStep          `json:"steps"`
	PropagationRetries int                    `json:"propagation_retries"`
	Streams            []RegionStreams        `json:"streams,omitempty"`
	JournalPath        string                 `json:"journal"`
}

// ApplyUpdate performs the plan: missing log groups (recorded in the
// journal as created by the tool), the permission policy's new version,
// then the POST of the whole configuration and the wait for ENABLED and
// log streams. Running it again after an interruption resumes: each step
// finds what the previous run finished.
func ApplyUpdate(ctx context.Context, env *Env, p *UpdatePlan, opts UpdateOptions, rep Reporter) (*UpdateResult, error) {
	if rep == nil {
		rep = NopReporter{}
	}
	journal, err := beginApply(ctx, env, p.Steps, p.ClusterID, p.ClusterName)
	if err != nil {
		return nil, err
	}
	res := &UpdateResult{
		ClusterID: p.ClusterID, ClusterName: p.ClusterName,
		Status: p.Current.Status, UserMessage: p.Current.UserMessage, Spec: p.Current.Spec,
		Diff: p.Diff, Created: []string{}, Changed: []string{}, Steps: []AppliedStep{}, JournalPath: journal.Path(),
	}
	run := stepRunner{now: env.now, rep: rep,
		record: func(id, status, detail string) { _ = journal.MarkStep("update:"+id, status, detail) },
		action: func(id string) Action { return p.Step(id).Action },
		done:   &appliedSteps{steps: &res.Steps},
	}.run

	if err := run(StepLogGroup, func() (string, error) { return p.createLogGroups(ctx, env, journal, opts, res) }); err != nil {
		return res, err
	}
	var policyChangedAt time.Time
	if err := run(StepPermissions, func() (string, error) {
		msg, changed, err := p.extendPolicy(ctx, env, journal, opts, res)
		if changed {
			policyChangedAt = env.now()
		}
		return msg, err
	}); err != nil {
		return res, err
	}
	if err := run(StepRoleARN, func() (string, error) { return "auth_principal = " + p.Desired.AuthPrincipal, nil }); err != nil {
		return res, err
	}
	err = run(StepEnable, func() (string, error) {
		return p.enable(ctx, env, journal, opts, rep, res, policyChangedAt)
	})
	return res, err
}

func (p *UpdatePlan) createLogGroups(ctx context.Context, env *Env, j *Journal, opts UpdateOptions, res *UpdateResult) (string, error) {
	todo := append(slices.Clone(p.missing), p.unfinished...)
	if p.roleInOwnAccount {
		// Groups in place may be ones an interrupted run made and did not
		// get to record.
		for _, at := range p.groupPairs() {
			if slices.Contains(todo, at) {
				continue
			}
			if err := finishLogGroup(ctx, env, j, p.ClusterID, at.name, at.region, awsiam.LogGroupState{}); err != nil {
				return "", err
			}
		}
	}
	switch {
	case len(todo) == 0:
		return p.Step(StepLogGroup).Summary, nil
	case opts.SkipLogGroups:
		return "not created (declined): the export cannot deliver to a missing log group unless the role may create it", nil
	}
	var (
		g    errgroup.Group
		mu   sync.Mutex
		made []string
	)
	for _, at := range todo {
		g.Go(func() error {
			if slices.Contains(p.missing, at) {
				if err := j.Intend(KindLogGroup, at.name, at.region); err != nil {
					return err
				}
			} else if ours, err := ownedLogGroup(ctx, env, j, p.ClusterID, at.name, at.region); err != nil {
				return err
			} else if !ours {
				// Made again by someone else since the interrupted run:
				// its retention is theirs to choose.
				return j.Finish(KindLogGroup, at.name, at.region)
			}
			r, err := awsiam.EnsureLogGroup(ctx, env.AWS.LogsFor(at.region), at.name, int32(p.RetentionDays), awsiam.ClusterTags(p.ClusterID, p.ClusterName))
			if r.Created {
				// Recorded even when setting its retention failed; the
				// intent stays, so the rerun sets it (unfinished).
				if err := j.RecordCreated(KindLogGroup, at.name, at.region); err != nil {
					return err
				}
				mu.Lock()
				res.Created = append(res.Created, fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", at.region, p.roleAccount, at.name))
				made = append(made, at.name+" in "+at.region)
				mu.Unlock()
			}
			if err != nil {
				return &StepError{Step: StepLogGroup, Cause: fmt.Errorf("log group %s in %s: %w", at.name, at.region, err), Fix: awsFix(err, "logs:CreateLogGroup and logs:PutRetentionPolicy"), Permanent: !awsiam.IsThrottling(err)}
			}
			return j.Finish(KindLogGroup, at.name, at.region)
		})
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	slices.Sort(res.Created)
	slices.Sort(made)
	msg := "the log groups exist"
	if len(made) > 0 {
		msg = "created " + strings.Join(made, ", ")
	}
	if len(p.unfinished) > 0 {
		var names []string
		for _, at := range p.unfinished {
			names = append(names, at.name+" in "+at.region)
		}
		msg += fmt.Sprintf("; retention of %d days set on %s", p.RetentionDays, strings.Join(names, ", "))
	}
	return msg, nil
}

func (p *UpdatePlan) extendPolicy(ctx context.Context, env *Env, j *Journal, opts UpdateOptions, res *UpdateResult) (string, bool, error) {
	switch {
	case !p.policyChange:
		return p.Step(StepPermissions).Summary, false, nil
	case opts.SkipPolicy:
		return "policy not changed (declined): the export will fail unless the role's policies are extended", false, nil
	}
	if p.narrowLater {
		return "the role's policies already allow what the new configuration needs; " + p.PolicyARN + " is narrowed to exactly that once it is ENABLED", false, nil
	}
	doc, note := p.Permission, ""
	if p.bridge != nil {
		doc, note = p.bridge, " granting the log groups in force and the new ones (narrowed once the new configuration is ENABLED)"
	}
	r, err := p.writePolicy(ctx, env, j, doc)
	if err != nil {
		return "", false, err
	}
	if r.NewVersion == "" {
		return r.ARN + " already grants what is needed", false, nil
	}
	res.Changed = append(res.Changed, r.ARN+" "+r.NewVersion)
	msg := fmt.Sprintf("%s: new default version %s%s", r.ARN, r.NewVersion, note)
	if r.PrunedVersion != "" {
		msg += " (deleted old version " + r.PrunedVersion + ")"
	}
	return msg, true, nil
}

// writePolicy gives the tool's policy a new default version holding doc,
// after checking its live tags still say it is this cluster's.
func (p *UpdatePlan) writePolicy(ctx context.Context, env *Env, j *Journal, doc *awsiam.PolicyDocument) (awsiam.PolicyResult, error) {
	arn, err := awsiam.ParseARN(p.PolicyARN)
	if err != nil {
		return awsiam.PolicyResult{}, err
	}
	r, err := awsiam.EnsurePolicy(ctx, env.AWS.IAM, awsiam.PolicySpec{
		Account:     arn.AccountID,
		Name:        arn.Name,
		Path:        arn.Path,
		Description: "CloudWatch Logs access for CockroachDB Cloud log export (crdb-logexport)",
		Document:    doc,
		MayChange: func(st awsiam.PolicyState) error {
			if ownsLive(st.Tags, p.ClusterID, j, KindPolicy, st.ARN, "", st.Created) {
				return nil
			}
			return fmt.Errorf("policy %s %s, so this tool does not give it a new version", st.ARN, notOursReason(st.Tags, p.ClusterID))
		},
	})
	if err != nil {
		return r, &StepError{Step: StepPermissions, Cause: err, Fix: awsFix(err, "iam:CreatePolicyVersion"), Permanent: !awsiam.IsThrottling(err)}
	}
	return r, nil
}

// enable POSTs the new configuration when it differs (or failed), follows
// the status to a terminal one, re-enabling while IAM propagates a change
// that local checks show to be right, then looks for log streams.
func (p *UpdatePlan) enable(ctx context.Context, env *Env, j *Journal, opts UpdateOptions, rep Reporter, res *UpdateResult, policyChangedAt time.Time) (string, error) {
	req := p.Desired.Request()
	if p.PlanType == cloudapi.PlanStandard {
		req.AWSExternalID = ""
	}
	// accepted is the export as the last answer described it: the POST's,
	// or planning's read when nothing is sent.
	accepted := p.Current
	// What a refused POST leaves, said truthfully: the configuration in
	// force is as it was; AWS changes made before the POST only added.
	refused := "check the message; the configuration in force was not changed"
	if len(res.Changed) > 0 || len(res.Created) > 0 {
		refused += "; AWS changes made for the new one only add to what it had (" + strings.Join(append(slices.Clone(res.Created), res.Changed...), "; ") + "), so it keeps working. Running the same update again finishes it"
	}
	post := func() error {
		info, err := postConfig(ctx, env, p.ClusterID, req, refused)
		if err == nil {
			accepted = info
		}
		return err
	}
	fail := func(err error) (string, error) {
		if p.bridge != nil {
			return "", bridgeKept(err)
		}
		return "", err
	}
	if p.post {
		if err := post(); err != nil {
			return "", err
		}
		res.Changed = append(res.Changed, "log export configuration of "+p.ClusterName)
	}
	// The journal follows the configuration in force; it is written once
	// the API has accepted it (or already had it).
	if err := p.recordSettings(j); err != nil {
		return "", err
	}
	if !p.post && p.Current.Status == cloudapi.StatusEnabled {
		res.Status, res.UserMessage, res.Spec = p.Current.Status, p.Current.UserMessage, p.Current.Spec
		if err := p.narrow(ctx, env, j, res); err != nil {
			return "", err
		}
		return "configuration unchanged; export ENABLED", nil
	}
	if opts.NoWait {
		res.Status, res.UserMessage, res.Spec = accepted.Status, accepted.UserMessage, accepted.Spec
		if p.bridge != nil || p.narrowLater {
			return "configuration accepted; not waiting (--no-wait). The permission policy still grants the previous configuration's log groups too: run the same update again once the export is ENABLED to narrow it", nil
		}
		return "configuration accepted; not waiting (--no-wait)", nil
	}

	rule := func(final cloudapi.StatusEvent, failingFor, limit time.Duration, attempt int) (time.Duration, string, bool) {
		return p.retryAfterFailure(ctx, env, j, final, failingFor, limit, attempt, policyChangedAt)
	}
	final, retries, why, err := settle(ctx, env, p.ClusterID, p.ClusterName, opts.Watch, opts.PropagationLimit, rep, rule, post)
	res.PropagationRetries = retries
	if final.Polls > 0 {
		res.Status, res.UserMessage, res.Spec = final.Info.Status, final.Info.UserMessage, final.Info.Spec
	}
	if err != nil {
		return fail(err)
	}
	if err := settled(final, why, p.ClusterName); err != nil {
		return fail(err)
	}
	if err := p.narrow(ctx, env, j, res); err != nil {
		return "", err
	}

	if !p.roleInOwnAccount {
		return "ENABLED; log streams not checked (the log groups are in account " + p.roleAccount + ")", nil
	}
	streams, err := waitForStreams(ctx, env, &SetupPlan{Regions: p.Regions, LogGroup: p.Desired.LogName}, opts.StreamTimeout, rep)
	res.Streams = streams
	if err != nil {
		return "", err
	}
	return enabledSummary(res.Streams, res.PropagationRetries, "the change", p.Desired.LogName, p.Regions), nil
}

// narrow brings the tool's policy to exactly what the configuration in
// force, now ENABLED, needs: after a bridge, or when it granted more.
func (p *UpdatePlan) narrow(ctx context.Context, env *Env, j *Journal, res *UpdateResult) error {
	if !p.policyChange || (p.bridge == nil && !p.narrowLater) {
		return nil
	}
	r, err := p.writePolicy(ctx, env, j, p.Permission)
	if err != nil {
		se, _ := AsStepError(err)
		return &StepError{Step: StepPermissions, Cause: fmt.Errorf("the export is ENABLED, but narrowing the permission policy failed: %w", se.Cause), Fix: "run the same update again to finish; the policy still grants the previous log groups too", Permanent: se.Permanent}
	}
	p.bridge, p.narrowLater = nil, false
	if r.NewVersion != "" {
		res.Changed = append(res.Changed, r.ARN+" "+r.NewVersion+" (narrowed to the new configuration)")
	}
	return nil
}

// recordSettings keeps the journal's view of the configuration in step
// with the API's, so a later setup, update or cleanup starts from the
// truth.
func (p *UpdatePlan) recordSettings(j *Journal) error {
	kv := map[string]string{
		"log_group": p.Desired.LogName,
		"role_arn":  p.Desired.AuthPrincipal,
		"regions":   strings.Join(p.Regions, ","),
	}
	if p.PlanType != cloudapi.PlanStandard {
		kv["external_id"] = p.Desired.AWSExternalID
	}
	return j.SetSettings(kv)
}

// retryAfterFailure decides whether a failed enable may be IAM eventual
// consistency (PRODUCT.md §4), and how long to wait before posting again:
// an assume-role failure of a young role whose trust checks out, or an
// access-denied failure right after this run changed the permission
// policy, when the role's policies now allow everything locally.
// Anything else stops at once.
func (p *UpdatePlan) retryAfterFailure(ctx context.Context, env *Env, j *Journal, final cloudapi.StatusEvent, failingFor, limit time.Duration, attempt int, policyChangedAt time.Time) (time.Duration, string, bool) {
	doctor := "run `crdb-logexport doctor --cluster " + p.ClusterName + "` for the exact fault"
	msg := strings.ToLower(final.Info.UserMessage)
	if strings.Contains(msg, "assumerole") || strings.Contains(msg, "assume role") || strings.Contains(msg, "assume the role") {
		sp := &SetupPlan{
			ClusterName: p.ClusterName, ClusterAccount: p.ClusterAccount,
			RoleName: p.roleName, ExternalID: p.trustExternalID(), PolicyARN: p.PolicyARN,
			roleInOwnAccount: p.roleInOwnAccount,
		}
		return propagationRetry(ctx, env, sp, j, final, failingFor, limit, attempt)
	}
	denied := strings.Contains(msg, "accessdenied") || strings.Contains(msg, "not authorized")
	if policyChangedAt.IsZero() || !denied || env.now().Sub(policyChangedAt) > limit || failingFor >= limit {
		return 0, doctor, false
	}
	set, err := awsiam.RolePolicies(ctx, env.AWS.IAM, p.roleName)
	if err != nil {
		return 0, "the role's policies cannot be read back: " + doctor, false
	}
	identity, boundary := awsiam.SourcesFrom(set)
	if still, explicit, _ := judge(awsiam.EvaluateAll(identity, boundary, awsiam.RequiredRequests(p.roleAccount, p.Regions, p.LogGroups))); len(still)+len(explicit) > 0 {
		return 0, "the role's policies still do not allow every action: " + doctor, false
	}
	wait := min(time.Duration(attempt+1)*5*time.Second, limit-failingFor)
	return wait, "the permission policy changed moments ago and IAM has not propagated it yet; the role's policies allow every action locally", true
}
