package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// Pre-flight: before a configuration is POSTed, the doctor's checks run on
// it — the configuration about to be sent, against the AWS side as it will
// be once the plan's own changes are made. A finding CockroachDB Cloud
// would fail on (a trust that does not let the cluster in with the external
// ID it sends, permissions that do not cover a log group or a region, a
// boundary or Deny) makes the POST a conflict in the plan, with the
// finding and its fix, instead of a certain CREDENTIALS_ERROR after it.

// preflightChecks are the checks whose error CockroachDB Cloud would meet
// when it assumes the role and writes: those stop a POST.
var preflightChecks = []string{
	CheckAuthPrincipalKind, CheckRoleExists, CheckTrustPrincipal, CheckTrustExternalID,
	CheckPermissionsActions, CheckPermissionsAccount, CheckPermissionsLogGroup,
	CheckPermissionsRegions, CheckPermissionsBoundary,
}

// preflight runs the checks over facts describing the configuration about
// to be sent, and returns the findings that would make it fail.
func preflight(f *DoctorFacts) []Finding {
	f.Now = f.Now.UTC()
	r := RunChecks(f)
	var out []Finding
	for _, fd := range r.Findings {
		if fd.Severity == SeverityError && slices.Contains(preflightChecks, fd.Check) && len(fd.CausedBy) == 0 {
			out = append(out, fd)
		}
	}
	return out
}

// preflightStep turns blocking findings into the conflict of step 10: the
// POST is not sent, and the plan says why and what fixes it.
func preflightStep(s *PlannedStep, findings []Finding, cluster string) {
	if len(findings) == 0 {
		return
	}
	s.Action = Conflict
	first := findings[0]
	s.Summary = "pre-flight: the configuration would fail once sent — " + first.Check + ": " + first.Summary
	s.Details = nil
	for _, fd := range findings {
		d := fd.Check + ": " + fd.Summary
		if fd.Evidence != "" {
			d += "\n" + indent(fd.Evidence, "  ")
		}
		s.Details = append(s.Details, d)
	}
	fix := first.Fix
	if first.Fixable {
		fix += " (`crdb-logexport doctor --cluster " + cluster + " --fix` can do this once the export uses this configuration)"
	}
	s.Details = append(s.Details, "Fix: "+fix)
}

func indent(text, prefix string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

// preflightSetup checks setup's configuration against the AWS side as the
// plan leaves it: the role with the trust the plan writes (or its own,
// when the plan does not change it), the permission policy the plan
// writes, and the log groups it creates. It reads nothing the plan has not
// read, except a permissions boundary's document when the role has one.
func preflightSetup(ctx context.Context, env *Env, p *SetupPlan) error {
	if !p.roleInOwnAccount || p.Step(StepEnable) == nil || !p.enableNeeded || len(p.Conflicts()) > 0 {
		return nil
	}
	f := &DoctorFacts{
		Cluster: p.cluster,
		Export:  cloudapi.LogExportInfo{Configured: true, Status: cloudapi.StatusEnabling, Spec: p.Request.Spec()},
		Caller:  awsiam.Identity{Account: p.YourAccount, ARN: p.CallerARN},
		Now:     env.now(),
		RoleARN: p.RoleARN, RoleOurs: p.roleOurs || !p.role.Exists,
		UsedElsewhere: map[string]string{},
	}
	f.Principal, f.PrincipalErr = awsiam.ParseARN(p.RoleARN)
	role := p.role
	if !role.Exists {
		role = awsiam.RoleState{Exists: true, ARN: p.RoleARN}
	}
	if !p.role.Exists || p.trustChange {
		role.Trust = p.Trust
	}
	f.Role = role
	if p.PolicyARN != "" {
		doc := p.Permission
		if p.policy.Exists && !p.policyOurs {
			doc = p.policy.Document
		}
		f.Policies.Attached = append(f.Policies.Attached, awsiam.ManagedPolicy{ARN: p.PolicyARN, Name: p.PolicyName, Document: doc})
		f.ToolPolicy = awsiam.PolicyState{Exists: true, ARN: p.PolicyARN, Document: doc}
	}
	if role.BoundaryARN != "" {
		st, err := awsiam.InspectPolicy(ctx, env.AWS.IAM, role.BoundaryARN)
		if err != nil && !st.Exists {
			return &StepError{Step: StepPermissions, Cause: fmt.Errorf("reading the role's permissions boundary: %w", err), Fix: awsFix(err, "iam:GetPolicy and iam:GetPolicyVersion"), Permanent: !awsiam.IsThrottling(err)}
		}
		f.Policies.Boundary = &awsiam.ManagedPolicy{ARN: role.BoundaryARN, Document: st.Document}
	}
	for _, region := range p.Regions {
		st := p.logGroups[region]
		st.Exists = true
		f.LogGroups = append(f.LogGroups, LogGroupFact{Region: region, Name: p.LogGroup, State: st})
	}
	preflightStep(p.Step(StepEnable), preflight(f), p.ClusterName)
	return nil
}

// preflightUpdate checks the new configuration against the role, trust
// and policies the update read, with the plan's own changes made (its new
// policy version, the log groups it creates).
func (p *UpdatePlan) preflightUpdate(cluster cloudapi.Cluster, caller awsiam.Identity, role awsiam.RoleState, set awsiam.RolePolicySet, readErr error, groups []awsiam.LogGroupState, now func() time.Time) {
	s := p.Step(StepEnable)
	if !p.post || !p.roleInOwnAccount || !role.Exists || readErr != nil || s == nil || len(p.Conflicts()) > 0 {
		return
	}
	f := &DoctorFacts{
		Cluster: cluster,
		Export:  cloudapi.LogExportInfo{Configured: true, Status: cloudapi.StatusEnabling, Spec: p.Desired},
		Caller:  caller, Now: now(),
		RoleARN: p.Desired.AuthPrincipal, Role: role,
		UsedElsewhere: map[string]string{},
	}
	f.Principal, f.PrincipalErr = awsiam.ParseARN(p.Desired.AuthPrincipal)
	f.Policies = set
	if p.policyChange {
		doc := p.Permission
		if p.bridge != nil {
			doc = p.bridge
		}
		f.Policies.Attached = slices.Clone(set.Attached)
		for i := range f.Policies.Attached {
			if f.Policies.Attached[i].ARN == p.PolicyARN {
				f.Policies.Attached[i].Document = doc
			}
		}
	}
	for i, at := range p.groupPairs() {
		st := groups[i]
		st.Exists = true
		f.LogGroups = append(f.LogGroups, LogGroupFact{Region: at.region, Name: at.name, State: st})
	}
	preflightStep(s, preflight(f), p.ClusterName)
}
