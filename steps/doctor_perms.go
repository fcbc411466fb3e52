package steps

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
)

// The permission checks evaluate every request CockroachDB Cloud makes with
// the role (awsiam.RequiredRequests) against the role's policies with the
// project's evaluator, then attribute each refused request to exactly one
// check by asking what would have been allowed instead: the same action on
// any resource (else the action is missing), the same request in the
// cluster's account (the resource names the wrong account), the group
// without ":*" (the suffix is missing), the same request in another region
// (the region list misses this one), else the resources do not cover the
// log group. One fault therefore shows up as one finding.

// Kinds of permission problems.
const (
	permMissing       = "missing"   // no statement allows the action at all
	permDeny          = "deny"      // an explicit Deny applies
	permUndecided     = "undecided" // a condition cannot be decided
	permAccount       = "account"   // allowed only in the cluster's account
	permSuffix        = "suffix"    // allowed only on the group ARN without ":*"
	permDescribe      = "describe"  // DescribeLogGroups granted only on named groups
	permGroup         = "group"     // the resources do not cover the group
	permRegion        = "region"    // allowed only in other regions
	permBoundDeny     = "boundary-deny"
	permBoundMissing  = "boundary-missing"
	permBoundUndecide = "boundary-undecided"
)

// permRequest is one request with what it is about.
type permRequest struct {
	awsiam.Request
	Region string
	Group  string // "" for DescribeLogGroups, which names no group
}

// permIssue is one refused request and why.
type permIssue struct {
	req    permRequest
	kind   string
	refs   []awsiam.StatementRef
	reason string
	// cause is the check whose fault alone explains the refusal: the
	// request would be allowed in the cluster's account or in another
	// region once its resource is also shaped as the policy has it (a group
	// without ":*", DescribeLogGroups on a named group). Such an issue is a
	// consequence of that check, not a fault of its own.
	cause string
}

// permAnalysis is the outcome of evaluating every required request.
type permAnalysis struct {
	identity []awsiam.PolicySource
	boundary *awsiam.PolicySource
	// issues by check ID.
	issues map[string][]permIssue
	// allowedBy quotes the statements that allow the requests that pass.
	allowedBy []string
	// allowedRegions are the regions with at least one allowed request.
	allowedRegions []string
}

func (a *permAnalysis) has(check string) bool { return len(a.issues[check]) > 0 }

// fixableByPolicy: writing the tool's policy would repair every issue of
// the check (Deny, undecided conditions and boundaries it cannot).
func (a *permAnalysis) fixableByPolicy(check string) bool {
	if !a.has(check) {
		return false
	}
	for _, is := range a.issues[check] {
		switch is.kind {
		case permDeny, permUndecided, permBoundDeny, permBoundMissing, permBoundUndecide:
			return false
		}
	}
	return true
}

// needsPolicy: some refused request would be allowed by the tool's policy.
func (a *permAnalysis) needsPolicy() bool {
	for _, check := range []string{CheckPermissionsActions, CheckPermissionsAccount, CheckPermissionsLogGroup, CheckPermissionsRegions} {
		for _, is := range a.issues[check] {
			switch is.kind {
			case permMissing, permAccount, permSuffix, permDescribe, permGroup, permRegion:
				return true
			}
		}
	}
	return false
}

// permRequests lists what the cluster does with the role, tagged with
// region and group; DescribeLogGroups once per region.
func permRequests(account string, regions, groups []string) []permRequest {
	var out []permRequest
	for _, region := range regions {
		for i, group := range groups {
			for _, r := range awsiam.RequiredRequests(account, []string{region}, []string{group}) {
				g := group
				if r.Action == "logs:DescribeLogGroups" {
					if i > 0 {
						continue
					}
					g = ""
				}
				out = append(out, permRequest{Request: r, Region: region, Group: g})
			}
		}
	}
	return out
}

// permSameRequest finds the request for action among reqs.
func permSameRequest(reqs []awsiam.Request, action string) (awsiam.Request, bool) {
	for _, r := range reqs {
		if r.Action == action {
			return r, true
		}
	}
	return awsiam.Request{}, false
}

// permNeuter keeps each Allow statement's actions and drops everything that
// limits where they apply, and makes Deny statements inert: evaluating a
// request against the result answers "does any statement allow this
// action at all?". Statement positions are kept so references still point
// at the user's statements.
func permNeuter(sources []awsiam.PolicySource) []awsiam.PolicySource {
	out := make([]awsiam.PolicySource, len(sources))
	for i, s := range sources {
		out[i] = s
		if s.Document == nil {
			continue
		}
		doc := s.Document.Clone()
		for j := range doc.Statement {
			st := &doc.Statement[j]
			st.Resource, st.NotResource, st.Condition = awsiam.StringList{"*"}, nil, nil
			st.Principal, st.NotPrincipal = nil, nil
			if st.Effect == awsiam.EffectDeny {
				st.Action, st.NotAction = awsiam.StringList{"crdb-logexport:NeverRequested"}, nil
			}
		}
		out[i].Document = doc
	}
	return out
}

// original returns the user's statement a reference (possibly into a
// neutered copy) points at, quoted.
func (a *permAnalysis) original(ref awsiam.StatementRef) string {
	for _, s := range append(append([]awsiam.PolicySource(nil), a.identity...), a.boundarySources()...) {
		if s.Kind != ref.Source.Kind || s.Name != ref.Source.Name || s.ARN != ref.Source.ARN {
			continue
		}
		if s.Document == nil || ref.Index < 0 || ref.Index >= len(s.Document.Statement) {
			return ref.String()
		}
		return doctorStatement(ref.String(), s.Document.Statement[ref.Index])
	}
	return doctorRef(ref)
}

func (a *permAnalysis) boundarySources() []awsiam.PolicySource {
	if a.boundary == nil {
		return nil
	}
	return []awsiam.PolicySource{*a.boundary}
}

// permLogsRegions lists the concrete regions the policies' logs resources name.
func permLogsRegions(sources []awsiam.PolicySource) []string {
	var out []string
	for _, s := range sources {
		if s.Document == nil {
			continue
		}
		for _, st := range s.Document.Statement {
			for _, res := range append(append(awsiam.StringList(nil), st.Resource...), st.NotResource...) {
				parts := strings.SplitN(res, ":", 6)
				if len(parts) < 5 || parts[0] != "arn" || parts[2] != "logs" {
					continue
				}
				if r := parts[3]; r != "" && !strings.ContainsAny(r, "*?") && !slices.Contains(out, r) {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// analysePermissions evaluates every required request.
func (c *doctorContext) analysePermissions() *permAnalysis {
	identity, boundary := awsiam.SourcesFrom(c.f.Policies)
	a := &permAnalysis{identity: identity, boundary: boundary, issues: map[string][]permIssue{}}
	neutered := permNeuter(identity)
	candidates := append(slices.Clone(c.regions), permLogsRegions(identity)...)
	seenAllow := map[string]bool{}
	add := func(check string, is permIssue) { a.issues[check] = append(a.issues[check], is) }
	for _, rq := range permRequests(c.ownerAccount, c.regions, c.groups) {
		ev := awsiam.Evaluate(identity, nil, rq.Request)
		switch ev.Decision {
		case awsiam.Allowed:
			if !slices.Contains(a.allowedRegions, rq.Region) {
				a.allowedRegions = append(a.allowedRegions, rq.Region)
			}
			for _, ref := range ev.DecidedBy {
				if q := doctorRef(ref); !seenAllow[q] {
					seenAllow[q] = true
					a.allowedBy = append(a.allowedBy, q)
				}
			}
			if boundary == nil {
				continue
			}
			switch evb := awsiam.Evaluate(identity, boundary, rq.Request); evb.Decision {
			case awsiam.Allowed:
			case awsiam.ExplicitDeny:
				add(CheckPermissionsBoundary, permIssue{req: rq, kind: permBoundDeny, refs: evb.DecidedBy, reason: evb.Reason})
			case awsiam.Undecided:
				add(CheckPermissionsBoundary, permIssue{req: rq, kind: permBoundUndecide, refs: evb.DecidedBy, reason: evb.Reason})
			default:
				add(CheckPermissionsBoundary, permIssue{req: rq, kind: permBoundMissing, reason: evb.Reason})
			}
		case awsiam.ExplicitDeny:
			add(CheckPermissionsActions, permIssue{req: rq, kind: permDeny, refs: ev.DecidedBy, reason: ev.Reason})
		case awsiam.Undecided:
			add(CheckPermissionsActions, permIssue{req: rq, kind: permUndecided, refs: ev.DecidedBy, reason: ev.Reason})
		default:
			check, is := c.whyRefused(rq, identity, neutered, candidates)
			add(check, is)
		}
	}
	return a
}

// whyRefused attributes an implicitly denied request to one check.
func (c *doctorContext) whyRefused(rq permRequest, identity, neutered []awsiam.PolicySource, candidates []string) (string, permIssue) {
	present := awsiam.Evaluate(neutered, nil, rq.Request)
	if present.Decision == awsiam.ImplicitDeny {
		return CheckPermissionsActions, permIssue{req: rq, kind: permMissing, reason: "no statement allows " + rq.Action}
	}
	mentions := present.DecidedBy
	allowed := func(r awsiam.Request) bool { return awsiam.Evaluate(identity, nil, r).Decision == awsiam.Allowed }
	variant := func(account, region string) (awsiam.Request, bool) {
		groups := []string{rq.Group}
		if rq.Group == "" {
			groups = nil
		}
		return permSameRequest(awsiam.RequiredRequests(account, []string{region}, groups), rq.Action)
	}
	if c.clusterAccount != "" && c.clusterAccount != c.ownerAccount {
		// In any region: a wrong account is the fault to name first, even
		// when the region list is wrong too.
		for _, region := range append([]string{rq.Region}, candidates...) {
			if r, ok := variant(c.clusterAccount, region); ok && allowed(r) {
				return CheckPermissionsAccount, permIssue{req: rq, kind: permAccount, refs: mentions}
			}
		}
	}
	prefix := "arn:aws:logs:" + rq.Region + ":" + c.ownerAccount + ":log-group:"
	if rq.Group != "" {
		bare := rq.Request
		bare.Resource = prefix + rq.Group
		if allowed(bare) {
			return CheckPermissionsLogGroup, permIssue{req: rq, kind: permSuffix, refs: mentions}
		}
	} else {
		for _, g := range c.groups {
			named := rq.Request
			named.Resource = prefix + g + ":log-stream:"
			if allowed(named) {
				return CheckPermissionsLogGroup, permIssue{req: rq, kind: permDescribe, refs: mentions}
			}
		}
	}
	for _, region := range candidates {
		if region == rq.Region {
			continue
		}
		if r, ok := variant(c.ownerAccount, region); ok && allowed(r) {
			return CheckPermissionsRegions, permIssue{req: rq, kind: permRegion, refs: mentions}
		}
	}
	return CheckPermissionsLogGroup, permIssue{req: rq, kind: permGroup, refs: mentions, cause: c.refusalCause(rq, allowed, candidates)}
}

// refusalCause finds the account or region fault that explains a refusal
// the resources' shape alone does not: the request, moved to the cluster's
// account (any region) or to another region of the owner's account, and
// with its resource shaped as a policy may grant it, is allowed. "" when
// neither is enough.
func (c *doctorContext) refusalCause(rq permRequest, allowed func(awsiam.Request) bool, candidates []string) string {
	shapes := func(account, region string) []awsiam.Request {
		prefix := "arn:aws:logs:" + region + ":" + account + ":log-group:"
		out := []awsiam.Request{}
		if rq.Group == "" {
			for _, g := range c.groups {
				r := rq.Request
				r.Resource = prefix + g + ":log-stream:"
				out = append(out, r)
			}
			return out
		}
		for _, r := range awsiam.RequiredRequests(account, []string{region}, []string{rq.Group}) {
			if r.Action == rq.Action {
				bare := r
				bare.Resource = prefix + rq.Group
				out = append(out, r, bare)
			}
		}
		return out
	}
	allowedIn := func(account, region string) bool {
		return slices.ContainsFunc(shapes(account, region), allowed)
	}
	if c.clusterAccount != "" && c.clusterAccount != c.ownerAccount {
		for _, region := range append([]string{rq.Region}, candidates...) {
			if allowedIn(c.clusterAccount, region) {
				return CheckPermissionsAccount
			}
		}
	}
	for _, region := range candidates {
		if region != rq.Region && allowedIn(c.ownerAccount, region) {
			return CheckPermissionsRegions
		}
	}
	return ""
}

// permGate says why the permission checks cannot run.
func (c *doctorContext) permGate() (Finding, bool) {
	if gate, ok := c.roleGate(); !ok {
		return gate, false
	}
	if c.f.PoliciesErr != nil {
		fd := doctorNotChecked("the role's policies could not be read: %v", c.f.PoliciesErr)
		fd.Fix = awsFix(c.f.PoliciesErr, "iam:ListAttachedRolePolicies, iam:ListRolePolicies, iam:GetRolePolicy, iam:GetPolicy and iam:GetPolicyVersion")
		return fd, false
	}
	return Finding{}, true
}

// checkPermissions produces the five permission findings.
func (c *doctorContext) checkPermissions() map[string]Finding {
	ids := []string{CheckPermissionsActions, CheckPermissionsAccount, CheckPermissionsLogGroup, CheckPermissionsRegions, CheckPermissionsBoundary}
	out := map[string]Finding{}
	if gate, ok := c.permGate(); !ok {
		for _, id := range ids {
			out[id] = gate
		}
		return out
	}
	a := c.analysePermissions()
	c.perm = a
	out[CheckPermissionsActions] = c.actionsFinding(a)
	out[CheckPermissionsAccount] = c.accountFinding(a)
	out[CheckPermissionsLogGroup] = c.logGroupFinding(a)
	out[CheckPermissionsRegions] = c.regionsFinding(a)
	out[CheckPermissionsBoundary] = c.boundaryFinding(a)
	return out
}

// permIssueSet gathers what a list of issues is about, without repeats.
type permIssueSet struct {
	actions, regions, groups, evidence []string
}

func (a *permAnalysis) collect(issues []permIssue) permIssueSet {
	var s permIssueSet
	add := func(list *[]string, v string) {
		if v != "" && !slices.Contains(*list, v) {
			*list = append(*list, v)
		}
	}
	for _, is := range issues {
		add(&s.actions, is.req.Action)
		add(&s.regions, is.req.Region)
		add(&s.groups, is.req.Group)
		for _, ref := range is.refs {
			add(&s.evidence, a.original(ref))
		}
	}
	return s
}

func (c *doctorContext) roleName() string { return doctorRoleName(c.f.RoleARN) }

func (c *doctorContext) policyFixText() string {
	return "--fix writes the least-privilege policy into " + c.f.ToolPolicy.ARN + " and attaches it to " + c.roleName()
}

// policiesExamined describes the role's identity policies for evidence.
func (a *permAnalysis) policiesExamined(role string) string {
	if len(a.identity) == 0 {
		return "role " + role + " has no attached or inline policy"
	}
	var names []string
	for _, s := range a.identity {
		names = append(names, s.String())
	}
	return "policies of role " + role + ": " + strings.Join(names, ", ")
}

func (c *doctorContext) actionsFinding(a *permAnalysis) Finding {
	issues := a.issues[CheckPermissionsActions]
	if len(issues) == 0 {
		return Finding{Severity: SeverityOK,
			Summary:  fmt.Sprintf("the role's policies allow all %d actions in every destination region", len(awsiam.RequiredActions)),
			Evidence: strings.Join(a.allowedBy, "\n")}
	}
	var missing, denied, undecided []permIssue
	for _, is := range issues {
		switch is.kind {
		case permMissing:
			missing = append(missing, is)
		case permDeny:
			denied = append(denied, is)
		default:
			undecided = append(undecided, is)
		}
	}
	fd := Finding{Severity: SeverityError}
	var summary, detail, fixes []string
	var evidence []string
	if len(denied) > 0 {
		s := a.collect(denied)
		summary = append(summary, strings.Join(s.actions, ", ")+" explicitly denied")
		detail = append(detail, doctorSentence(denied[0].reason)+"; an explicit Deny wins over every Allow.")
		evidence = append(evidence, s.evidence...)
		fixes = append(fixes, "remove or narrow the quoted Deny statement (this tool does not edit policies that deny: they are usually guardrails)")
	}
	if len(missing) > 0 {
		s := a.collect(missing)
		summary = append(summary, "no policy allows "+strings.Join(s.actions, ", "))
		detail = append(detail, "CockroachDB Cloud needs "+strings.Join(awsiam.RequiredActions, ", ")+" on the export's log groups; without "+strings.Join(s.actions, ", ")+" it cannot deliver.")
		evidence = append(evidence, a.policiesExamined(c.roleName()))
		for _, q := range a.allowedBy {
			if !slices.Contains(evidence, q) {
				evidence = append(evidence, q)
			}
		}
		fixes = append(fixes, c.policyFixText())
	}
	if len(undecided) > 0 {
		s := a.collect(undecided)
		if len(denied) == 0 && len(missing) == 0 {
			fd.Severity = SeverityWarning
		}
		summary = append(summary, "cannot decide "+strings.Join(s.actions, ", "))
		detail = append(detail, doctorSentence(undecided[0].reason)+".")
		evidence = append(evidence, s.evidence...)
		fixes = append(fixes, "check that the quoted condition holds for CockroachDB Cloud's requests")
	}
	fd.Summary = strings.Join(summary, "; ")
	fd.Detail = strings.Join(detail, " ")
	fd.Evidence = strings.Join(evidence, "\n")
	fd.Fix = strings.Join(fixes, "; ")
	fd.Fixable = a.fixableByPolicy(CheckPermissionsActions)
	return fd
}

func (c *doctorContext) accountFinding(a *permAnalysis) Finding {
	issues := a.issues[CheckPermissionsAccount]
	if len(issues) == 0 {
		return Finding{Severity: SeverityOK, Summary: fmt.Sprintf("the resources name the role owner's account %s", c.ownerAccount)}
	}
	s := a.collect(issues)
	return Finding{Severity: SeverityError,
		Summary:  fmt.Sprintf("the resource ARNs name the cluster's account %s instead of yours (%s)", c.clusterAccount, c.ownerAccount),
		Detail:   fmt.Sprintf("The log groups live in your account, the role's owner; the cluster's account only assumes the role. A resource in account %s matches none of your log groups, so %s are refused.", c.clusterAccount, strings.Join(s.actions, ", ")),
		Evidence: strings.Join(s.evidence, "\n"),
		Fix:      c.policyFixText(),
		Fixable:  true}
}

func (c *doctorContext) logGroupFinding(a *permAnalysis) Finding {
	var issues, consequences []permIssue
	for _, is := range a.issues[CheckPermissionsLogGroup] {
		if is.cause != "" && a.has(is.cause) {
			consequences = append(consequences, is)
		} else {
			issues = append(issues, is)
		}
	}
	if len(issues) == 0 && len(consequences) > 0 {
		return c.logGroupConsequence(a, consequences)
	}
	if len(issues) == 0 {
		if fd, wider := c.widerThanNeeded(); wider {
			return fd
		}
		return Finding{Severity: SeverityOK, Summary: "the resources cover " + strings.Join(c.groups, ", ") + " with the \":*\" suffix"}
	}
	byKind := map[string][]permIssue{}
	for _, is := range issues {
		byKind[is.kind] = append(byKind[is.kind], is)
	}
	var summary, detail, evidence []string
	if is := byKind[permSuffix]; len(is) > 0 {
		s := a.collect(is)
		summary = append(summary, "the log group resource lacks the \":*\" suffix")
		detail = append(detail, fmt.Sprintf("arn:aws:logs:REGION:%s:log-group:%s matches only the group itself; %s act on its streams and need …:log-group:%s:*.", c.ownerAccount, strings.Join(s.groups, ", "), strings.Join(s.actions, ", "), s.groups[0]))
		evidence = append(evidence, s.evidence...)
	}
	if is := byKind[permDescribe]; len(is) > 0 {
		s := a.collect(is)
		summary = append(summary, "logs:DescribeLogGroups is granted only on named log groups")
		detail = append(detail, fmt.Sprintf("DescribeLogGroups lists groups and names none, so it is authorised against the account's log-group namespace (arn:aws:logs:REGION:%s:log-group:*).", c.ownerAccount))
		evidence = append(evidence, s.evidence...)
	}
	if is := byKind[permGroup]; len(is) > 0 {
		s := a.collect(is)
		if len(s.groups) == 0 {
			// Only DescribeLogGroups, which names no group, was refused.
			s.groups = c.groups
		}
		summary = append(summary, "the resources do not cover log group "+strings.Join(s.groups, ", "))
		detail = append(detail, fmt.Sprintf("%s on %s in %s match no resource of the policies.", strings.Join(s.actions, ", "), strings.Join(s.groups, ", "), strings.Join(s.regions, ", ")))
		evidence = append(evidence, s.evidence...)
	}
	sev := SeverityError
	if len(byKind) == 1 && len(byKind[permDescribe]) > 0 {
		// The documented policy grants DescribeLogGroups like this too, and
		// an export can work without it (creating a group that exists only
		// fails harmlessly), so it is a warning rather than an error.
		sev = SeverityWarning
		detail = append(detail, "CockroachDB Cloud's look-up of the group may be refused; delivery itself is allowed.")
	}
	return Finding{Severity: sev, Summary: strings.Join(summary, "; "), Detail: strings.Join(detail, " "),
		Evidence: strings.Join(evidence, "\n"), Fix: c.policyFixText(), Fixable: true}
}

// logGroupConsequence is the finding of requests refused only because of
// another permission check's fault: it points to that check instead of
// reporting a second error.
func (c *doctorContext) logGroupConsequence(a *permAnalysis, issues []permIssue) Finding {
	s := a.collect(issues)
	var causes []string
	for _, is := range issues {
		if !slices.Contains(causes, is.cause) {
			causes = append(causes, is.cause)
		}
	}
	inCheckOrder(causes)
	return Finding{Severity: SeverityInfo, CausedBy: causes,
		Summary:  fmt.Sprintf("follows from %s: %s refused in %s for that reason", strings.Join(causes, ", "), strings.Join(s.actions, ", "), strings.Join(s.regions, ", ")),
		Detail:   fmt.Sprintf("The policies allow these requests on %s once %s is repaired: it is the same fault, reported once there.", strings.Join(c.groups, ", "), strings.Join(causes, " and ")),
		Evidence: strings.Join(s.evidence, "\n"),
		Fix:      "repaired with " + strings.Join(causes, ", ") + ": " + c.policyFixText(),
		Fixable:  a.fixableByPolicy(causes[0])}
}

func (c *doctorContext) regionsFinding(a *permAnalysis) Finding {
	issues := a.issues[CheckPermissionsRegions]
	if len(issues) == 0 {
		return Finding{Severity: SeverityOK, Summary: "the resources cover every destination region (" + strings.Join(c.regions, ", ") + ")"}
	}
	s := a.collect(issues)
	covered := "no region"
	if named := permLogsRegions(a.identity); len(a.allowedRegions) > 0 {
		covered = strings.Join(a.allowedRegions, ", ")
	} else if len(named) > 0 {
		covered = strings.Join(named, ", ")
	}
	return Finding{Severity: SeverityError,
		Summary:  fmt.Sprintf("the resources cover %s but not %s", covered, strings.Join(s.regions, ", ")),
		Detail:   fmt.Sprintf("Each region's logs are written in that region; a region restriction that misses %s loses its logs. The destination regions are %s.", strings.Join(s.regions, ", "), strings.Join(c.regions, ", ")),
		Evidence: strings.Join(s.evidence, "\n"),
		Fix:      c.policyFixText() + ", covering " + strings.Join(c.regions, ", "),
		Fixable:  true}
}

func (c *doctorContext) boundaryFinding(a *permAnalysis) Finding {
	if a.boundary == nil {
		return Finding{Severity: SeverityOK, Summary: "the role has no permissions boundary"}
	}
	name := a.boundary.String()
	issues := a.issues[CheckPermissionsBoundary]
	if len(issues) == 0 {
		return Finding{Severity: SeverityOK, Summary: name + " allows every required action", Evidence: doctorField("PermissionsBoundaryArn", a.boundary.ARN)}
	}
	s := a.collect(issues)
	fd := Finding{Severity: SeverityError, Fix: "ask whoever administers " + name + " to allow " + strings.Join(s.actions, ", ") + " on the export's log groups; this tool does not change permissions boundaries"}
	evidence := []string{doctorField("PermissionsBoundaryArn", a.boundary.ARN)}
	undecidedOnly := true
	for _, is := range issues {
		if is.kind != permBoundUndecide {
			undecidedOnly = false
		}
	}
	switch {
	case undecidedOnly:
		fd.Severity = SeverityWarning
		fd.Summary = name + " may refuse " + strings.Join(s.actions, ", ")
		fd.Detail = doctorSentence(issues[0].reason) + "."
		evidence = append(evidence, s.evidence...)
	case len(s.evidence) > 0:
		fd.Summary = name + " denies " + strings.Join(s.actions, ", ")
		fd.Detail = "A permissions boundary caps what the role's policies grant: " + issues[0].reason + "."
		evidence = append(evidence, s.evidence...)
	default:
		fd.Summary = name + " does not allow " + strings.Join(s.actions, ", ")
		fd.Detail = "A permissions boundary caps what the role's policies grant: an action must be allowed by both. " + doctorSentence(issues[0].reason) + "."
		if doc := a.boundary.Document; doc != nil {
			for i, st := range doc.Statement {
				evidence = append(evidence, doctorStatement(fmt.Sprintf("Statement[%d] of %s", i, name), st))
			}
		}
	}
	fd.Evidence = strings.Join(evidence, "\n")
	return fd
}

// widerThanNeeded finds log groups that this tool's policy for this
// cluster grants beyond those the export uses: what an update leaves when
// it is interrupted between widening the policy (make before break) and
// narrowing it. Nothing is broken, but the role may write where the
// export does not, so it is a warning with the command that finishes the
// narrowing.
func (c *doctorContext) widerThanNeeded() (Finding, bool) {
	for _, p := range c.f.Policies.Attached {
		if own, _ := OwnershipOf(p.Tags, c.f.Cluster.ID); own != OursForThisCluster || p.Document == nil {
			continue
		}
		var extra, evidence []string
		for i, st := range p.Document.Statement {
			if st.Effect != awsiam.EffectAllow {
				continue
			}
			for _, r := range st.Resource {
				_, rest, ok := strings.Cut(r, ":log-group:")
				if !ok {
					continue
				}
				group := strings.TrimSuffix(rest, ":*")
				if group == "*" || slices.Contains(c.groups, group) || slices.Contains(extra, group) {
					continue
				}
				extra = append(extra, group)
				evidence = append(evidence, fmt.Sprintf("%s statement %d (%s): %s", p.ARN, i+1, st.Sid, r))
			}
		}
		if len(extra) > 0 {
			return Finding{Severity: SeverityWarning, Evidence: strings.Join(evidence, "\n"),
				Summary: fmt.Sprintf("this tool's policy %s also grants %s, which the export does not use", p.Name, strings.Join(extra, ", ")),
				Detail:  "An update widens the policy before it changes the export and narrows it once the new configuration is ENABLED; this one was not narrowed (the update was interrupted, or failed after the POST).",
				Fix:     fmt.Sprintf("`crdb-logexport update --cluster %s --yes` narrows it to exactly what the export needs", ShellQuote(c.f.Cluster.Name))}, true
		}
	}
	return Finding{}, false
}
