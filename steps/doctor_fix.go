package steps

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// FixKind names a repair the doctor can make.
type FixKind string

// Repairs, in the order they are applied.
const (
	FixCreateRole FixKind = "create-role"
	FixTrust      FixKind = "update-trust"
	FixPolicy     FixKind = "update-policy"
	FixLogGroup   FixKind = "create-log-group"
	FixExport     FixKind = "update-export"
)

// Fix is one repair, with the exact change it makes.
type Fix struct {
	Kind FixKind `json:"kind"`
	// Checks are the check IDs it repairs.
	Checks  []string `json:"checks"`
	Summary string   `json:"summary"`
	// Diff shows the change: document lines prefixed "- " (removed), "+ "
	// (added) or "  " (kept), a created resource as "+ " lines, and
	// configuration fields as "- field: old" / "+ field: new".
	Diff string `json:"diff"`

	roleName, rolePath string
	trust              *awsiam.PolicyDocument
	policy             awsiam.PolicySpec
	attach             bool
	region, logGroup   string
	retention          int32
	request            *cloudapi.EnableLogExportRequest
}

// FixPlan is what `doctor --fix` would change, decided from a report
// without any call.
type FixPlan struct {
	ClusterID   string `json:"cluster_id"`
	ClusterName string `json:"cluster_name"`
	Fixes       []Fix  `json:"fixes"`
	// Manual are the error and warning findings the plan leaves to the
	// user (their Fix says what to do).
	Manual []Finding `json:"manual"`
	// Reenable is set when the export should be enabled again once the
	// fixes are in: it failed, its logs stopped, or its role is recreated.
	// A plan that re-POSTs the configuration (FixExport) enables it anyway.
	Reenable       bool   `json:"reenable"`
	ReenableReason string `json:"reenable_reason,omitempty"`

	report *DoctorReport
}

// Empty reports whether there is nothing to change or re-enable.
func (p *FixPlan) Empty() bool { return len(p.Fixes) == 0 && !p.Reenable }

// PlanFixes decides the repairs for a report's findings. It is pure: the
// changes are computed from what Diagnose read, and shown as diffs before
// ApplyFixes makes them.
func PlanFixes(r *DoctorReport) *FixPlan {
	p := &FixPlan{ClusterID: r.ClusterID, ClusterName: r.ClusterName, Fixes: []Fix{}, Manual: []Finding{}, report: r}
	if r.ctx == nil {
		// A report assembled by hand: derive what the checks derive.
		r = RunChecks(r.Facts)
		p.report = r
	}
	f, c := r.Facts, r.ctx
	if !c.active {
		return p
	}

	p.planExport(c)
	creating := false
	if c.roleOwn && !f.Role.Exists && f.RoleErr == nil && r.Finding(CheckRoleExists).Severity == SeverityError {
		creating = true
		p.add(Fix{Kind: FixCreateRole, Checks: []string{CheckRoleExists},
			Summary:  "create role " + f.RoleARN + " trusted by the cluster's account " + c.clusterAccount,
			Diff:     doctorAddedLines("role "+f.RoleARN+", trust policy:", awsiam.TrustPolicy(c.clusterAccount, c.sentExtID).JSON()),
			roleName: doctorRoleName(f.RoleARN), rolePath: doctorIAMPath(f.RoleARN),
			trust: awsiam.TrustPolicy(c.clusterAccount, c.sentExtID)})
	}
	if c.roleOwn && f.Role.Exists {
		p.planTrust(c)
	}
	if c.roleOwn && (creating || (f.Role.Exists && c.perm != nil && c.perm.needsPolicy())) {
		p.planPolicy(c, creating)
	}
	if _, ok := c.logGroupGate(); ok {
		p.planLogGroups(c)
	}

	exporting := slices.ContainsFunc(p.Fixes, func(x Fix) bool { return x.Kind == FixExport })
	switch {
	case exporting:
	case f.Export.Status.Failed():
		p.Reenable, p.ReenableReason = true, fmt.Sprintf("the export is %s", f.Export.Status)
	case logsStopped(r.Finding(CheckLogsArriving)):
		p.Reenable, p.ReenableReason = true, "logs are not arriving"
	case creating:
		p.Reenable, p.ReenableReason = true, "the role is recreated, and CockroachDB Cloud must assume the new one"
	}

	covered := map[string]bool{CheckExportStatus: p.Reenable || exporting, CheckLogsArriving: p.Reenable || exporting}
	for _, x := range p.Fixes {
		for _, id := range x.Checks {
			covered[id] = true
		}
	}
	for _, fd := range r.Findings {
		if (fd.Severity == SeverityError || fd.Severity == SeverityWarning) && !covered[fd.Check] {
			p.Manual = append(p.Manual, fd)
		}
	}
	return p
}

func (p *FixPlan) add(x Fix) { p.Fixes = append(p.Fixes, x) }

// logsStopped: logs do not arrive and enabling again is the repair, whether
// the finding is a fault of its own or the consequence of another.
func logsStopped(fd Finding) bool {
	return fd.Severity == SeverityError || len(fd.CausedBy) > 0 && fd.Fixable
}

// planExport re-POSTs the configuration when one of its fields is what is
// wrong: a policy ARN (or a role ARN with the wrong path or account) in
// auth_principal, or an external ID the trust policy requires but the
// configuration does not send.
func (p *FixPlan) planExport(c *doctorContext) {
	f := c.f
	r := p.report
	req := f.Export.Spec.Request()
	var checks []string
	if r.Finding(CheckAuthPrincipalKind).Fixable && len(f.PolicyRoles) == 1 {
		req.AuthPrincipal = f.PolicyRoles[0]
		checks = append(checks, CheckAuthPrincipalKind)
	}
	if fd := r.Finding(CheckRoleExists); fd.Fixable && f.Role.Exists && f.Role.ARN != f.RoleARN {
		req.AuthPrincipal = f.Role.ARN
		checks = append(checks, CheckRoleExists)
	}
	if fd := r.Finding(CheckRoleAccount); fd.Fixable && f.Role.Exists {
		req.AuthPrincipal = f.Role.ARN
		checks = append(checks, CheckRoleAccount)
	}
	if id := c.specExtIDFix(); id != "" {
		req.AWSExternalID = id
		checks = append(checks, CheckTrustExternalID)
	}
	if len(checks) == 0 {
		return
	}
	var diff []string
	field := func(name, old, new string) {
		if old != new {
			diff = append(diff, "- "+name+": "+orNone(old), "+ "+name+": "+new)
		}
	}
	field("auth_principal", f.Export.Spec.AuthPrincipal, req.AuthPrincipal)
	field("aws_external_id", f.Export.Spec.AWSExternalID, req.AWSExternalID)
	p.add(Fix{Kind: FixExport, Checks: checks,
		Summary: "POST the export configuration again with the corrected fields, then wait for ENABLED",
		Diff:    strings.Join(diff, "\n"), request: &req})
}

// planTrust repairs the trust policy: as setup writes it when the tool made
// the role and no other export uses it, otherwise by adding a statement for
// this cluster's account and keeping the others.
func (p *FixPlan) planTrust(c *doctorContext) {
	r := p.report
	var checks []string
	for _, id := range []string{CheckTrustPrincipal, CheckTrustExternalID} {
		fd := r.Finding(id)
		if fd.Fixable && fd.Severity != SeverityOK && fd.Severity != SeverityInfo {
			if id == CheckTrustExternalID && c.specExtIDFix() != "" {
				continue
			}
			checks = append(checks, id)
		}
	}
	if len(checks) == 0 {
		return
	}
	f := c.f
	want := awsiam.TrustPolicy(c.clusterAccount, c.sentExtID)
	current := ""
	if f.Role.Trust != nil {
		current = f.Role.Trust.JSON()
	} else {
		current = f.Role.TrustRaw
	}
	summary := "replace the trust policy of " + c.roleName() + " with the one setup writes"
	if !c.trustReplaceable() {
		if f.Role.Trust == nil {
			return
		}
		st := want.Statement[0]
		st.Sid = doctorTrustSid(f.Cluster.ID)
		merged := f.Role.Trust.Clone()
		merged.Statement = append(merged.Statement, st)
		if merged.Version == "" {
			merged.Version = awsiam.PolicyVersion
		}
		want = merged
		why := "it may serve others"
		if other := f.UsedElsewhere[f.Role.ARN]; other != "" {
			why = "the export of cluster " + other + " uses it"
		}
		summary = "add a statement to the trust policy of " + c.roleName() + " letting the cluster's account " + c.clusterAccount + " assume it (the existing statements stay: " + why + ")"
	}
	p.add(Fix{Kind: FixTrust, Checks: checks, Summary: summary,
		Diff: doctorLineDiff(current, want.JSON()), roleName: c.roleName(), trust: want})
}

// doctorTrustSid names the statement the doctor adds for one cluster.
func doctorTrustSid(clusterID string) string {
	id := strings.ReplaceAll(clusterID, "-", "")
	if len(id) > 12 {
		id = id[:12]
	}
	return "CockroachCloudLogExport" + id
}

// planPolicy writes the least-privilege permission policy into the tool's
// policy and attaches it. It keeps the region restriction when the current
// document has one, extended to every destination region.
func (p *FixPlan) planPolicy(c *doctorContext, creating bool) {
	f := c.f
	tp := f.ToolPolicy
	spec := awsiam.PermissionSpec{Account: c.ownerAccount, LogGroups: c.groups}
	if tp.Document != nil && policyRestrictsRegions(tp.Document) {
		spec.Regions = c.regions
	}
	doc := awsiam.PermissionPolicy(spec)
	attached := false
	if !creating {
		for _, mp := range f.Policies.Attached {
			if mp.ARN == tp.ARN {
				attached = true
			}
		}
	}
	var diff []string
	switch {
	case f.ToolPolicyErr != nil && !tp.Exists:
		diff = append(diff, fmt.Sprintf("  (the current version of %s could not be read: %v)", tp.ARN, f.ToolPolicyErr))
		diff = append(diff, doctorAddedLines("", doc.JSON()))
	case !tp.Exists:
		diff = append(diff, doctorAddedLines("managed policy "+tp.ARN+":", doc.JSON()))
	case tp.Document == nil || !awsiam.Equivalent(tp.Document, doc):
		cur := "(unreadable)"
		if tp.Document != nil {
			cur = tp.Document.JSON()
		}
		diff = append(diff, "  "+tp.ARN+", new default version:", doctorLineDiff(cur, doc.JSON()))
	case attached:
		// Already in place: the refusal comes from elsewhere (a Deny, the
		// boundary), which the checks report as manual work.
		return
	}
	if !attached {
		diff = append(diff, "+ attach "+tp.ARN+" to role "+c.roleName())
	}
	var checks []string
	for _, id := range []string{CheckPermissionsActions, CheckPermissionsAccount, CheckPermissionsLogGroup, CheckPermissionsRegions} {
		if c.perm != nil && c.perm.fixableByPolicy(id) {
			checks = append(checks, id)
		}
	}
	if creating {
		checks = append(checks, CheckRoleExists)
	}
	name := tp.ARN[strings.LastIndex(tp.ARN, "/")+1:]
	p.add(Fix{Kind: FixPolicy, Checks: checks,
		Summary:  "write the least-privilege permission policy into " + tp.ARN + " and attach it to " + c.roleName(),
		Diff:     strings.Join(diff, "\n"),
		roleName: c.roleName(),
		policy: awsiam.PolicySpec{Account: c.ownerAccount, Name: name, Path: doctorIAMPath(tp.ARN),
			Description: "CloudWatch Logs access for CockroachDB Cloud log export (crdb-logexport)", Document: doc},
		attach: !attached})
}

// policyRestrictsRegions: every logs resource of the document names a concrete
// region.
func policyRestrictsRegions(doc *awsiam.PolicyDocument) bool {
	found := false
	for _, st := range doc.Statement {
		for _, res := range st.Resource {
			parts := strings.SplitN(res, ":", 6)
			if len(parts) < 5 || parts[2] != "logs" {
				continue
			}
			if parts[3] == "" || strings.ContainsAny(parts[3], "*?") {
				return false
			}
			found = true
		}
	}
	return found
}

func (p *FixPlan) planLogGroups(c *doctorContext) {
	retention := map[string]int32{}
	for _, lg := range c.f.LogGroups {
		if lg.State.Exists && lg.State.RetentionDays != nil {
			if _, ok := retention[lg.Name]; !ok {
				retention[lg.Name] = *lg.State.RetentionDays
			}
		}
	}
	for _, lg := range c.f.LogGroups {
		if lg.Err != nil || lg.State.Exists {
			continue
		}
		days, ok := retention[lg.Name]
		if !ok {
			days = DefaultRetentionDays
		}
		p.add(Fix{Kind: FixLogGroup, Checks: []string{CheckLogGroupExists},
			Summary: fmt.Sprintf("create log group %s in %s (retention %d days)", lg.Name, lg.Region, days),
			Diff:    fmt.Sprintf("+ log group %s in %s, retention %d days", lg.Name, lg.Region, days),
			region:  lg.Region, logGroup: lg.Name, retention: days})
	}
}

// doctorIAMPath is the IAM path of a role or policy ARN, "" for "/".
func doctorIAMPath(arn string) string {
	a, err := awsiam.ParseARN(arn)
	if err != nil || a.Path == "/" {
		return ""
	}
	return a.Path
}

// doctorAddedLines shows a created document: every line prefixed "+ ".
func doctorAddedLines(title, text string) string {
	var out []string
	if title != "" {
		out = append(out, "+ "+title)
	}
	for _, l := range strings.Split(text, "\n") {
		out = append(out, "+ "+l)
	}
	return strings.Join(out, "\n")
}

// doctorLineDiff compares two texts line by line and returns every line
// prefixed "  ", "- " or "+ ". Policy documents are small, so the whole
// document is shown with the changes marked.
func doctorLineDiff(a, b string) string {
	return strings.Join(LineDiff(strings.Split(a, "\n"), strings.Split(b, "\n")), "\n")
}

// LineDiff is the shortest edit from a to b (a longest common
// subsequence), every line prefixed "  ", "- " or "+ ". Policies are tens
// of lines, so the quadratic table is small.
func LineDiff(a, b []string) []string {
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			out = append(out, "  "+a[i])
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "- "+a[i])
			i++
		default:
			out = append(out, "+ "+b[j])
			j++
		}
	}
	return out
}
