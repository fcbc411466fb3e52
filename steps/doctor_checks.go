package steps

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// doctorContext holds what several checks derive from the facts.
type doctorContext struct {
	f      *DoctorFacts
	active bool
	// clusterAccount assumes the role; ownerAccount owns the role and the
	// log groups (auth_principal's account).
	clusterAccount string
	ownerAccount   string
	regions        []string
	groups         []string
	// sentExtID is the external ID the cluster sends with sts:AssumeRole
	// ("" when none); sentExtIDField quotes where it comes from.
	sentExtID      string
	sentExtIDField string
	// roleOwn: the role is in the caller's account and can be read.
	roleOwn bool
	trust   *awsiam.TrustResult
	perm    *permAnalysis
	// silent are the destination regions where no logs arrive although
	// the export is ENABLED (set by checkLogsArriving).
	silent []string
}

func newDoctorContext(f *DoctorFacts) *doctorContext {
	c := &doctorContext{
		f:              f,
		active:         doctorActive(f.Export),
		clusterAccount: f.Cluster.ExportAccountID(),
		regions:        f.Cluster.ExportRegions(f.Export.Spec),
		groups:         f.Export.Spec.LogGroups(),
	}
	if f.PrincipalErr == nil {
		c.ownerAccount = f.Principal.AccountID
	}
	if f.RoleARN != "" {
		if a, err := awsiam.ParseARN(f.RoleARN); err == nil {
			c.ownerAccount = a.AccountID
			c.roleOwn = a.AccountID == f.Caller.Account
		}
	}
	if f.Cluster.Plan == cloudapi.PlanStandard {
		c.sentExtID = f.Cluster.ID
		c.sentExtIDField = fmt.Sprintf("cluster ID (a Standard cluster always sends it as external ID): %q", f.Cluster.ID)
	} else {
		c.sentExtID = f.Export.Spec.AWSExternalID
		c.sentExtIDField = fmt.Sprintf("aws_external_id: %q", c.sentExtID)
	}
	return c
}

func doctorField(name, value string) string { return fmt.Sprintf("%s: %q", name, value) }

// doctorStatement renders a statement for evidence, as compact canonical JSON.
func doctorStatement(where string, st awsiam.Statement) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	// A statement holds only strings, lists and maps: it always encodes.
	_ = enc.Encode(st)
	return where + ": " + strings.TrimRight(b.String(), "\n")
}

func doctorRef(ref awsiam.StatementRef) string {
	if ref.JSON == "" {
		return ref.String()
	}
	return ref.String() + ": " + ref.JSON
}

func doctorAgo(now, t time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	return d.Round(time.Second).String() + " ago"
}

// inactive is the finding of a check that has nothing to look at because
// the export is not configured (or disabled).
func (c *doctorContext) inactive() Finding {
	name := c.f.Cluster.Name
	if !c.f.Export.Configured {
		return Finding{Severity: SeverityInfo, Summary: "nothing configured; run setup",
			Detail: "Log export has never been configured for this cluster, so there is nothing to check.",
			Fix:    "crdb-logexport setup --cluster " + name}
	}
	return Finding{Severity: SeverityInfo, Summary: fmt.Sprintf("log export is %s; nothing to check", c.f.Export.Status),
		Detail: "The checks look at an export that is enabled or failed; this one is turned off.",
		Fix:    "crdb-logexport setup --cluster " + name + " enables it again"}
}

// doctorSentence starts a reason from the evaluator with a capital letter,
// unless it starts with an ARN or an action, which keep their spelling.
func doctorSentence(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' || strings.HasPrefix(s, "arn:") || strings.HasPrefix(s, "logs:") || strings.HasPrefix(s, "sts:") {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func doctorNotChecked(format string, args ...any) Finding {
	return Finding{Severity: SeverityInfo, Summary: "not checked: " + fmt.Sprintf(format, args...)}
}

// roleGate explains why the checks of the role's trust and policies cannot
// run, or returns ok=true when they can.
func (c *doctorContext) roleGate() (Finding, bool) {
	f := c.f
	switch {
	case !c.active:
		return c.inactive(), false
	case f.RoleARN == "":
		return doctorNotChecked("auth_principal does not name a role (see %s)", CheckAuthPrincipalKind), false
	case !c.roleOwn:
		return doctorNotChecked("the role is in account %s and this tool acts in account %s (see %s)", c.ownerAccount, f.Caller.Account, CheckRoleAccount), false
	case !f.Role.Exists && f.RoleErr != nil:
		fd := doctorNotChecked("the role could not be read: %v", f.RoleErr)
		fd.Fix = awsFix(f.RoleErr, "iam:GetRole")
		return fd, false
	case !f.Role.Exists:
		return doctorNotChecked("the role does not exist (see %s)", CheckRoleExists), false
	}
	return Finding{}, true
}

func (c *doctorContext) checkPrincipalKind() Finding {
	f := c.f
	if !c.active {
		return c.inactive()
	}
	value := f.Export.Spec.AuthPrincipal
	evidence := doctorField("auth_principal", value)
	if value == "" {
		return Finding{Severity: SeverityError, Summary: "auth_principal is empty", Evidence: evidence,
			Detail: "CockroachDB Cloud needs the ARN of the IAM role it assumes.",
			Fix:    "crdb-logexport setup --cluster " + f.Cluster.Name + " creates a role and configures its ARN"}
	}
	if f.PrincipalErr != nil {
		return Finding{Severity: SeverityError, Summary: "auth_principal is not a valid ARN", Evidence: evidence,
			Detail: f.PrincipalErr.Error(), Fix: c.roleARNCommand("arn:aws:iam::ACCOUNT:role/NAME")}
	}
	if f.Principal.Kind == awsiam.KindRole {
		return Finding{Severity: SeverityOK, Summary: "auth_principal is a role ARN", Evidence: evidence}
	}
	_, reason := awsiam.CheckRoleARN(value)
	fd := Finding{Severity: SeverityError, Evidence: evidence, Detail: reason.Error()}
	if f.Principal.Kind != awsiam.KindPolicy {
		fd.Summary = fmt.Sprintf("auth_principal is an IAM %s ARN, not a role ARN", f.Principal.Kind)
		fd.Fix = c.roleARNCommand("ROLE_ARN")
		return fd
	}
	fd.Summary = "auth_principal is a managed policy ARN, not a role ARN"
	switch {
	case f.Principal.AccountID != f.Caller.Account:
		fd.Detail += fmt.Sprintf(". The policy is in account %s, so the roles it is attached to cannot be listed from account %s.", f.Principal.AccountID, f.Caller.Account)
		fd.Fix = c.roleARNCommand("ROLE_ARN")
	case f.PolicyRolesErr != nil:
		fd.Detail += fmt.Sprintf(". The roles it is attached to could not be listed: %v.", f.PolicyRolesErr)
		fd.Fix = "find them with `aws iam list-entities-for-policy --policy-arn " + value + "`, then " + c.roleARNCommand("ROLE_ARN")
	case len(f.PolicyRoles) == 0:
		fd.Detail += ". The policy is attached to no role."
		fd.Fix = "attach the policy to the role CockroachDB Cloud should assume, then " + c.roleARNCommand("ROLE_ARN")
	case len(f.PolicyRoles) == 1:
		fd.Detail += ". The policy is attached to the role " + f.PolicyRoles[0] + "; the other checks examine that role."
		fd.Evidence += "\nattached to: " + f.PolicyRoles[0]
		fd.Fix = "--fix POSTs the configuration again with auth_principal " + f.PolicyRoles[0]
		fd.Fixable = true
	default:
		fd.Detail += ". The policy is attached to several roles; pick the one CockroachDB Cloud should assume."
		fd.Evidence += "\nattached to: " + strings.Join(f.PolicyRoles, ", ")
		fd.Fix = "choose one of " + strings.Join(f.PolicyRoles, ", ") + " and " + c.roleARNCommand("ROLE_ARN")
	}
	return fd
}

// roleARNCommand is the command that configures another role ARN, keeping
// the log group the export already uses.
func (c *doctorContext) roleARNCommand(arn string) string {
	return fmt.Sprintf("run `crdb-logexport setup --cluster %s --log-group %s --role-arn %s --yes`", c.f.Cluster.Name, c.f.Export.Spec.LogName, arn)
}

func (c *doctorContext) checkRoleExists() Finding {
	f := c.f
	switch {
	case !c.active:
		return c.inactive()
	case f.RoleARN == "":
		return doctorNotChecked("auth_principal does not name a role (see %s)", CheckAuthPrincipalKind)
	case !c.roleOwn:
		return doctorNotChecked("the role is in account %s; this tool acts in account %s and cannot read it (see %s)", c.ownerAccount, f.Caller.Account, CheckRoleAccount)
	case !f.Role.Exists && f.RoleErr != nil:
		fd := doctorNotChecked("the role could not be read: %v", f.RoleErr)
		fd.Fix = awsFix(f.RoleErr, "iam:GetRole")
		return fd
	case !f.Role.Exists:
		return Finding{Severity: SeverityError,
			Summary:  fmt.Sprintf("role %s does not exist in account %s", doctorRoleName(f.RoleARN), f.Caller.Account),
			Detail:   "CockroachDB Cloud cannot assume a role that does not exist: the export fails with CREDENTIALS_ERROR.",
			Evidence: doctorField("auth_principal", f.Export.Spec.AuthPrincipal) + "\niam:GetRole: NoSuchEntity",
			Fix:      "--fix creates the role with the trust policy and permission policy this export needs",
			Fixable:  true}
	case f.Role.ARN != f.RoleARN:
		return Finding{Severity: SeverityError,
			Summary:  fmt.Sprintf("the role's ARN is %s, not %s", f.Role.ARN, f.RoleARN),
			Detail:   "A role's ARN includes its path; the configured ARN names a role that does not exist, although a role of that name does.",
			Evidence: doctorField("auth_principal", f.Export.Spec.AuthPrincipal) + "\n" + doctorField("iam:GetRole Arn", f.Role.ARN),
			Fix:      "--fix POSTs the configuration again with auth_principal " + f.Role.ARN,
			Fixable:  true}
	}
	return Finding{Severity: SeverityOK,
		Summary:  fmt.Sprintf("role %s exists (created %s)", doctorRoleName(f.RoleARN), f.Role.CreateDate.UTC().Format(time.RFC3339)),
		Evidence: doctorField("Arn", f.Role.ARN)}
}

func (c *doctorContext) checkRoleAccount() Finding {
	f := c.f
	if !c.active {
		return c.inactive()
	}
	if f.RoleARN == "" {
		return doctorNotChecked("auth_principal does not name a role (see %s)", CheckAuthPrincipalKind)
	}
	evidence := doctorField("auth_principal", f.Export.Spec.AuthPrincipal)
	switch c.ownerAccount {
	case f.Caller.Account:
		return Finding{Severity: SeverityOK, Summary: fmt.Sprintf("the role is in account %s, where this tool acts", c.ownerAccount), Evidence: evidence}
	case c.clusterAccount:
		fd := Finding{Severity: SeverityError, Evidence: evidence,
			Summary: fmt.Sprintf("auth_principal names a role in the cluster's AWS account %s, not in yours", c.clusterAccount),
			Detail:  fmt.Sprintf("Account %s belongs to CockroachDB Cloud: it assumes your role. The role, its policies and the log groups must be in your account (%s here).", c.clusterAccount, f.Caller.Account)}
		if f.Role.Exists {
			fd.Detail += " A role of the same name exists in your account: " + f.Role.ARN + "."
			fd.Fix = "--fix POSTs the configuration again with auth_principal " + f.Role.ARN
			fd.Fixable = true
		} else {
			fd.Fix = "crdb-logexport setup --cluster " + f.Cluster.Name + " creates the role in your account and configures its ARN"
		}
		return fd
	}
	return Finding{Severity: SeverityWarning, Evidence: evidence,
		Summary: fmt.Sprintf("the role is in account %s, but this tool acts in account %s: it cannot be inspected from here", c.ownerAccount, f.Caller.Account),
		Detail:  "The trust policy, permission policies and log groups of another account are out of reach of these credentials, so those checks do not run.",
		Fix:     fmt.Sprintf("run the doctor with credentials for account %s (--profile or AWS_PROFILE)", c.ownerAccount)}
}

// trustReplaceable: the tool made the role and no other cluster's export
// uses it, so --fix may write the whole trust policy as setup would.
// Otherwise it only adds a statement for this cluster's account.
func (c *doctorContext) trustReplaceable() bool {
	f := c.f
	if f.UsedElsewhere[f.Role.ARN] != "" {
		return false
	}
	return f.RoleOurs
}

func (c *doctorContext) checkTrust() (Finding, Finding) {
	if gate, ok := c.roleGate(); !ok {
		return gate, gate
	}
	f := c.f
	root := awsiam.RootPrincipal(c.clusterAccount)
	if c.clusterAccount == "" {
		fd := doctorNotChecked("the API did not return the cluster's AWS account")
		return fd, fd
	}
	extNotChecked := doctorNotChecked("the trust policy must first name the cluster's account (see %s)", CheckTrustPrincipal)
	if f.Role.Trust == nil {
		fd := Finding{Severity: SeverityError, Summary: "the role's trust policy cannot be read",
			Detail: fmt.Sprintf("%v", f.RoleErr), Evidence: doctorField("AssumeRolePolicyDocument", f.Role.TrustRaw)}
		if c.trustReplaceable() {
			fd.Fix, fd.Fixable = "--fix replaces it with the trust policy setup writes", true
		} else {
			fd.Fix = "correct the trust policy in the IAM console; it must let " + root + " perform sts:AssumeRole"
		}
		return fd, extNotChecked
	}
	tr := awsiam.EvaluateTrust(f.Role.Trust, c.clusterAccount, c.sentExtID)
	c.trust = &tr
	principalOK := slices.Contains(tr.PrincipalsAllowed, root) || slices.Contains(tr.PrincipalsAllowed, "*")
	var evidence []string
	for _, ref := range tr.DecidedBy {
		evidence = append(evidence, doctorRef(ref))
	}
	quoted := strings.Join(evidence, "\n")

	switch {
	case tr.Allowed:
		p := Finding{Severity: SeverityOK, Summary: fmt.Sprintf("the trust policy lets the cluster's account %s assume the role", c.clusterAccount), Evidence: quoted}
		if !slices.Contains(tr.PrincipalsAllowed, root) && slices.Contains(tr.PrincipalsAllowed, "*") {
			p.Severity = SeverityWarning
			p.Summary = "the trust policy lets any AWS account assume the role"
			p.Detail = "A wildcard principal includes the cluster's account, but also everyone else; only an external ID condition stands in their way."
			p.Fix = "name " + root + " as the principal instead of \"*\""
			if c.trustReplaceable() {
				p.Fix, p.Fixable = "--fix replaces the trust policy with the one setup writes, which names only "+root, true
			}
		}
		return p, c.extIDWhenAllowed(tr, quoted)
	case tr.Decision == awsiam.ExplicitDeny:
		fd := Finding{Severity: SeverityError, Summary: "the trust policy explicitly denies the cluster's account", Detail: doctorSentence(tr.Reason) + ".", Evidence: quoted}
		if c.trustReplaceable() {
			fd.Fix, fd.Fixable = "--fix replaces the trust policy with the one setup writes", true
		} else {
			fd.Fix = "remove or narrow the quoted Deny statement: a Deny cannot be outweighed by any Allow"
		}
		return fd, extNotChecked
	case tr.Decision == awsiam.Undecided:
		return Finding{Severity: SeverityWarning, Summary: "whether the cluster's account may assume the role depends on a condition this tool cannot decide",
			Detail: doctorSentence(tr.Reason) + ".", Evidence: quoted, Fix: "check the quoted condition holds for CockroachDB Cloud's sts:AssumeRole call"}, extNotChecked
	case principalOK:
		p := Finding{Severity: SeverityOK, Summary: fmt.Sprintf("the trust policy names the cluster's account %s", c.clusterAccount), Evidence: quoted}
		if len(tr.ExternalIDs) == 0 {
			// It names the account, but a condition other than the
			// external ID rules the cluster out.
			p = Finding{Severity: SeverityError, Summary: "the trust policy names the cluster's account, but its condition rules it out",
				Detail: doctorSentence(tr.Reason) + ".", Evidence: quoted, Fix: "--fix adds a statement that lets " + root + " assume the role", Fixable: true}
			if c.trustReplaceable() {
				p.Fix = "--fix replaces the trust policy with the one setup writes"
			}
			return p, extNotChecked
		}
		return p, c.extIDMismatch(tr, quoted)
	}
	fd := Finding{Severity: SeverityError, Evidence: quoted,
		Summary: fmt.Sprintf("the trust policy does not let the cluster's account %s assume the role", c.clusterAccount),
		Detail:  doctorSentence(tr.Reason) + "." + c.describePrincipals(tr.PrincipalsAllowed),
		Fixable: true}
	if c.trustReplaceable() {
		fd.Fix = "--fix replaces the trust policy with one that lets " + root + " assume the role" + c.extIDPhrase()
	} else {
		fd.Fix = "--fix adds a statement that lets " + root + " assume the role" + c.extIDPhrase() + ", keeping the existing ones"
	}
	return fd, extNotChecked
}

func (c *doctorContext) extIDPhrase() string {
	if c.sentExtID == "" {
		return ""
	}
	return fmt.Sprintf(" with external ID %q", c.sentExtID)
}

// describePrincipals says whose accounts a trust policy names, so the
// classic mistake (the caller's own account) is called by its name.
func (c *doctorContext) describePrincipals(principals []string) string {
	var parts []string
	for _, p := range principals {
		switch {
		case p == awsiam.RootPrincipal(c.f.Caller.Account):
			parts = append(parts, p+" is your own account (the one the role lives in), not the cluster's")
		case strings.HasPrefix(p, "arn:aws:iam::"+c.clusterAccount+":"):
			parts = append(parts, p+" is one principal in the cluster's account; CockroachDB Cloud assumes the role from a principal of its choosing, so the whole account ("+awsiam.RootPrincipal(c.clusterAccount)+") must be trusted")
		}
	}
	if other := c.f.UsedElsewhere[c.f.Role.ARN]; other != "" {
		parts = append(parts, "This role is also used by the export of cluster "+other+", whose account it may now trust instead")
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, ". ") + "."
}

// extIDWhenAllowed grades the external ID when the trust already allows
// the cluster: the condition should be there whenever the cluster sends one.
func (c *doctorContext) extIDWhenAllowed(tr awsiam.TrustResult, quoted string) Finding {
	if len(tr.ExternalIDs) > 0 {
		return Finding{Severity: SeverityOK, Summary: fmt.Sprintf("the trust policy requires external ID %q, which the cluster sends", c.sentExtID),
			Evidence: quoted + "\n" + c.sentExtIDField}
	}
	if c.sentExtID == "" {
		return Finding{Severity: SeverityOK, Summary: "no external ID is configured and none is required",
			Detail:   "An external ID protects against the confused-deputy problem; `crdb-logexport setup --external-id auto` adds one.",
			Evidence: c.sentExtIDField}
	}
	fd := Finding{Evidence: quoted + "\n" + c.sentExtIDField,
		Summary: fmt.Sprintf("the cluster sends external ID %q, but the trust policy does not require it", c.sentExtID),
		Fix:     fmt.Sprintf("add the condition {\"StringEquals\": {\"sts:ExternalId\": %q}} to the quoted statement", c.sentExtID)}
	if c.f.Cluster.Plan == cloudapi.PlanStandard {
		fd.Severity = SeverityError
		fd.Detail = "Standard clusters assume roles from an AWS account CockroachDB Cloud shares among Standard clusters: without the condition, any of them could assume this role."
	} else {
		fd.Severity = SeverityWarning
		fd.Detail = "Without the condition the external ID protects nothing (the confused-deputy problem)."
	}
	if c.trustReplaceable() {
		fd.Fix, fd.Fixable = "--fix replaces the trust policy with the one setup writes, which requires it", true
	}
	return fd
}

// extIDMismatch: the statements naming the cluster's account require an
// external ID the cluster does not send.
func (c *doctorContext) extIDMismatch(tr awsiam.TrustResult, quoted string) Finding {
	sends := "none"
	if c.sentExtID != "" {
		sends = fmt.Sprintf("%q", c.sentExtID)
	}
	fd := Finding{Severity: SeverityError, Detail: doctorSentence(tr.Reason) + ".", Evidence: quoted + "\n" + c.sentExtIDField,
		Summary: fmt.Sprintf("the trust policy requires external ID %s, but the cluster sends %s", doctorQuoteList(tr.ExternalIDs), sends), Fixable: true}
	switch {
	case c.specExtIDFix() != "":
		fd.Fix = fmt.Sprintf("--fix POSTs the configuration again with aws_external_id %q, the value the trust policy requires", c.specExtIDFix())
	case c.trustReplaceable():
		fd.Fix = "--fix replaces the trust policy with one that requires " + sends
	default:
		fd.Fix = "--fix adds a statement that lets the cluster's account assume the role with external ID " + sends
	}
	return fd
}

// specExtIDFix is the external ID the configuration should send instead:
// set when an Advanced cluster sends none and the trust requires exactly
// one. (Dropping the trust's condition would weaken it.)
func (c *doctorContext) specExtIDFix() string {
	if c.f.Cluster.Plan == cloudapi.PlanStandard || c.sentExtID != "" || c.trust == nil || len(c.trust.ExternalIDs) != 1 || c.trust.Allowed {
		return ""
	}
	return c.trust.ExternalIDs[0]
}

func doctorQuoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, " or ")
}

// logGroupGate: log groups live in auth_principal's account, which must be
// the one this tool reads.
func (c *doctorContext) logGroupGate() (Finding, bool) {
	if !c.active {
		return c.inactive(), false
	}
	if c.ownerAccount != "" && c.ownerAccount != c.f.Caller.Account {
		return doctorNotChecked("the log groups live in account %s (auth_principal's), and this tool acts in account %s", c.ownerAccount, c.f.Caller.Account), false
	}
	return Finding{}, true
}

func (c *doctorContext) checkLogGroupExists() Finding {
	if gate, ok := c.logGroupGate(); !ok {
		return gate
	}
	var missing, present, unreadable []string
	var missingRegions []string
	var firstErr error
	for _, lg := range c.f.LogGroups {
		switch {
		case lg.Err != nil:
			unreadable = append(unreadable, fmt.Sprintf("%s in %s: %v", lg.Name, lg.Region, lg.Err))
			if firstErr == nil {
				firstErr = lg.Err
			}
		case !lg.State.Exists:
			missing = append(missing, fmt.Sprintf("%s: logs:DescribeLogGroups found no log group named %q", lg.Region, lg.Name))
			missingRegions = append(missingRegions, lg.Name+" in "+lg.Region)
		default:
			present = append(present, fmt.Sprintf("%s: %s (retention %s)", lg.Region, lg.State.ARN, retentionText(lg.State.RetentionDays)))
		}
	}
	switch {
	case len(missing) > 0:
		return Finding{Severity: SeverityError,
			Summary:  "log group missing: " + strings.Join(missingRegions, ", "),
			Detail:   "Each region's logs go to the log group of that name in that region (or in the region override); without it that region's logs are lost.",
			Evidence: strings.Join(missing, "\n"),
			Fix:      fmt.Sprintf("--fix creates it (retention %d days unless the same group elsewhere has another)", DefaultRetentionDays),
			Fixable:  true}
	case len(unreadable) > 0:
		fd := doctorNotChecked("log groups could not be read: %s", strings.Join(unreadable, "; "))
		fd.Fix = awsFix(firstErr, "logs:DescribeLogGroups")
		return fd
	}
	return Finding{Severity: SeverityOK,
		Summary:  fmt.Sprintf("%s exists in %s", strings.Join(c.groups, ", "), strings.Join(c.regions, ", ")),
		Evidence: strings.Join(present, "\n")}
}

func (c *doctorContext) checkLogGroupKMS() Finding {
	if gate, ok := c.logGroupGate(); !ok {
		return gate
	}
	var encrypted, regions []string
	seen := 0
	for _, lg := range c.f.LogGroups {
		if lg.Err != nil || !lg.State.Exists {
			continue
		}
		seen++
		if lg.State.KMSKeyID != "" {
			encrypted = append(encrypted, fmt.Sprintf("%s in %s: kmsKeyId %q", lg.Name, lg.Region, lg.State.KMSKeyID))
			regions = append(regions, "logs."+lg.Region+".amazonaws.com")
		}
	}
	switch {
	case len(encrypted) > 0:
		return Finding{Severity: SeverityWarning,
			Summary:  fmt.Sprintf("%d %s encrypted with a KMS key", len(encrypted), plural(len(encrypted), "log group is", "log groups are")),
			Detail:   "CloudWatch Logs encrypts each event with the key, so the key must be enabled and its key policy must let the service principal " + strings.Join(regions, ", ") + " use it (kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, kms:GenerateDataKey*, kms:Describe*). This tool does not read key policies.",
			Evidence: strings.Join(encrypted, "\n"),
			Fix:      "check the key's state and key policy in the KMS console"}
	case seen == 0:
		return doctorNotChecked("no log group to look at (see %s)", CheckLogGroupExists)
	}
	return Finding{Severity: SeverityOK, Summary: "the log groups are not KMS-encrypted"}
}

func (c *doctorContext) checkChannels() Finding {
	if !c.active {
		return c.inactive()
	}
	spec := c.f.Export.Spec
	var bad, all []string
	check := func(field string, chans []string) {
		for _, ch := range chans {
			all = append(all, ch)
			if err := cloudapi.ValidateChannels([]string{ch}); err != nil {
				bad = append(bad, doctorField(field, ch)+" — "+err.Error())
			}
		}
	}
	check("omitted_channels", spec.OmittedChannels)
	for i, g := range spec.Groups {
		check(fmt.Sprintf("groups[%d] (%s).channels", i, g.LogName), g.Channels)
	}
	if len(bad) > 0 {
		return Finding{Severity: SeverityError,
			Summary:  fmt.Sprintf("%d configured %s cannot be exported", len(bad), plural(len(bad), "channel", "channels")),
			Detail:   "CockroachDB Cloud exports only " + strings.Join(cloudapi.ExportableChannels(), ", ") + "; a configuration naming others is refused when it is sent again.",
			Evidence: strings.Join(bad, "\n"),
			Fix:      "remove them from the configuration (`crdb-logexport update --cluster " + c.f.Cluster.Name + "`)"}
	}
	if len(all) == 0 {
		return Finding{Severity: SeverityOK, Summary: "no channel is named: every exportable channel goes to " + spec.LogName}
	}
	return Finding{Severity: SeverityOK, Summary: "every configured channel is exportable"}
}

func (c *doctorContext) checkLogsArriving() Finding {
	f := c.f
	if !c.active {
		return c.inactive()
	}
	switch st := f.Export.Status; {
	case st == cloudapi.StatusEnabling:
		return doctorNotChecked("the export is ENABLING; logs are checked once it is ENABLED")
	case st.Failed():
		return doctorNotChecked("the export is %s, so CockroachDB Cloud is not delivering logs (see %s)", st, CheckExportStatus)
	case st != cloudapi.StatusEnabled:
		return doctorNotChecked("the export is %s", st)
	}
	if gate, ok := c.logGroupGate(); !ok {
		return gate
	}
	var arriving, silent, notes, evidence []string
	for _, region := range c.regions {
		var newest time.Time
		streams, groups, readable := 0, 0, 0
		for _, lg := range f.LogGroups {
			if lg.Region != region || lg.Err != nil || !lg.State.Exists {
				continue
			}
			groups++
			if lg.StreamsErr != nil {
				notes = append(notes, fmt.Sprintf("%s: streams of %s could not be read: %v", region, lg.Name, lg.StreamsErr))
				continue
			}
			readable++
			streams += len(lg.Streams)
			for _, s := range lg.Streams {
				for _, t := range []time.Time{s.LastEventTime, s.LastIngestionTime} {
					if t.After(newest) {
						newest = t
					}
				}
			}
		}
		switch {
		case groups == 0:
			notes = append(notes, region+": no log group (see "+CheckLogGroupExists+")")
		case readable == 0:
		case newest.IsZero():
			silent = append(silent, region)
			evidence = append(evidence, fmt.Sprintf("%s: no stream with events in %s", region, strings.Join(c.groups, ", ")))
		case f.Now.Sub(newest) > f.ArrivalWindow:
			silent = append(silent, region)
			evidence = append(evidence, fmt.Sprintf("%s: %d %s, newest event %s", region, streams, plural(streams, "stream", "streams"), doctorAgo(f.Now, newest)))
		default:
			arriving = append(arriving, region)
			evidence = append(evidence, fmt.Sprintf("%s: %d %s, newest event %s", region, streams, plural(streams, "stream", "streams"), doctorAgo(f.Now, newest)))
		}
	}
	evidence = append(evidence, notes...)
	c.silent = silent
	if len(silent) > 0 {
		fd := Finding{Severity: SeverityError, Evidence: strings.Join(evidence, "\n"),
			Summary: "no logs arriving in " + strings.Join(silent, ", "),
			Detail:  fmt.Sprintf("The export is ENABLED but no stream received an event in the last %s.", f.ArrivalWindow),
			Fix:     "--fix enables the export again (POSTs the current configuration) once the other findings are repaired, so CockroachDB Cloud checks access and resumes delivery",
			Fixable: true}
		if since := f.Now.Sub(f.Export.UpdatedAt); !f.Export.UpdatedAt.IsZero() && since < f.ArrivalGrace {
			fd.Severity = SeverityWarning
			fd.Detail = fmt.Sprintf("The export was enabled %s; logs are not back-filled and appear as nodes write them.", doctorAgo(f.Now, f.Export.UpdatedAt))
			fd.Fix = fmt.Sprintf("wait a few minutes and check again (`crdb-logexport status --cluster %s`)", f.Cluster.Name)
			fd.Fixable = false
		}
		return fd
	}
	if len(arriving) == 0 {
		fd := doctorNotChecked("no log group to look at (see %s)", CheckLogGroupExists)
		fd.Evidence = strings.Join(evidence, "\n")
		return fd
	}
	return Finding{Severity: SeverityOK, Summary: "logs arriving in " + strings.Join(arriving, ", "), Evidence: strings.Join(evidence, "\n")}
}

// checkExportStatus runs last: its explanation of a failure depends on
// whether the other checks found the cause.
func (c *doctorContext) checkExportStatus(others map[string]Finding) Finding {
	f := c.f
	name := f.Cluster.Name
	st := f.Export.Status
	evidence := doctorField("status", string(st))
	if f.Export.UserMessage != "" {
		evidence += "\n" + doctorField("user_message", f.Export.UserMessage)
	}
	switch {
	case !f.Export.Configured:
		return Finding{Severity: SeverityInfo, Summary: "log export was never configured for this cluster",
			Detail: "nothing configured; run setup", Fix: "crdb-logexport setup --cluster " + name}
	case st == cloudapi.StatusDisabled, st == cloudapi.StatusDisabling:
		return Finding{Severity: SeverityInfo, Summary: "log export is " + string(st), Evidence: evidence,
			Fix: "crdb-logexport setup --cluster " + name + " enables it again"}
	case st == cloudapi.StatusEnabling:
		return Finding{Severity: SeverityInfo, Summary: "log export is being enabled", Evidence: evidence,
			Fix: "follow it with `crdb-logexport status --cluster " + name + " --watch`"}
	case st == cloudapi.StatusEnabled:
		return Finding{Severity: SeverityOK, Summary: "log export is ENABLED", Evidence: evidence}
	}
	var causes []string
	for _, id := range CheckIDs {
		if id != CheckExportStatus && others[id].Severity == SeverityError && len(others[id].CausedBy) == 0 {
			causes = append(causes, id)
		}
	}
	fd := Finding{Severity: SeverityError, Evidence: evidence, Fixable: true, CausedBy: causes,
		Summary: fmt.Sprintf("log export is %s", st),
		Fix:     "--fix enables the export again (POSTs the current configuration) once the other findings are repaired"}
	if len(causes) > 0 {
		explain := "The finding " + causes[0] + " explains it"
		if len(causes) > 1 {
			explain = "The findings " + strings.Join(causes, ", ") + " explain it"
		}
		fd.Detail = explain + ". A failed export does not retry by itself: once the cause is fixed it must be enabled again."
	} else {
		fd.Detail = "Every check this tool can make passes. Possible causes: IAM has not yet propagated a role created or changed moments ago; " +
			"a service control policy (SCP) of your AWS Organization denies the calls (SCPs cannot be seen from inside the account); " +
			"or a KMS key policy refuses CloudWatch Logs. Enabling again makes CockroachDB Cloud try once more."
	}
	return fd
}

// asConsequence turns the logs-arriving finding into a consequence when
// every silent region has a fault the other checks found that stops
// delivery there: the finding then points to those checks instead of being
// a second error.
func (c *doctorContext) asConsequence(fd Finding, others map[string]Finding) Finding {
	if len(c.silent) == 0 || (fd.Severity != SeverityError && fd.Severity != SeverityWarning) {
		return fd
	}
	blocked := map[string][]string{}
	for _, id := range CheckIDs {
		if of := others[id]; of.Severity != SeverityError || len(of.CausedBy) > 0 {
			continue
		}
		var regions []string
		switch id {
		case CheckAuthPrincipalKind, CheckRoleExists, CheckRoleAccount, CheckTrustPrincipal, CheckTrustExternalID:
			regions = c.regions
		case CheckPermissionsActions, CheckPermissionsAccount, CheckPermissionsLogGroup, CheckPermissionsRegions, CheckPermissionsBoundary:
			if c.perm == nil {
				continue
			}
			for _, is := range c.perm.issues[id] {
				regions = append(regions, is.req.Region)
			}
		case CheckLogGroupExists:
			for _, lg := range c.f.LogGroups {
				if lg.Err == nil && !lg.State.Exists {
					regions = append(regions, lg.Region)
				}
			}
		}
		for _, r := range regions {
			if !slices.Contains(blocked[r], id) {
				blocked[r] = append(blocked[r], id)
			}
		}
	}
	var causes []string
	for _, r := range c.silent {
		if len(blocked[r]) == 0 {
			return fd
		}
		for _, id := range blocked[r] {
			if !slices.Contains(causes, id) {
				causes = append(causes, id)
			}
		}
	}
	inCheckOrder(causes)
	fd.Severity = SeverityInfo
	fd.CausedBy = causes
	fd.Summary = "follows from " + strings.Join(causes, ", ") + ": " + fd.Summary
	fd.Detail += " It follows from " + strings.Join(causes, " and ") + ": CockroachDB Cloud cannot deliver there."
	if fd.Fixable {
		fd.Fix = "repaired with " + strings.Join(causes, ", ") + "; " + fd.Fix
	}
	return fd
}

// inCheckOrder sorts check IDs as a report lists them.
func inCheckOrder(ids []string) {
	slices.SortFunc(ids, func(x, y string) int { return slices.Index(CheckIDs, x) - slices.Index(CheckIDs, y) })
}
