package tfexport

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Provider sources and the versions the output is written for. The AWS
// provider's 6.x line has every argument used here. The cockroach
// provider's CHANGELOG: log export of Standard clusters from 1.7.7,
// aws_external_id from 1.12.0 (which also fixed log export fields whose
// removal plans did not see), enable_sending_queue on groups from 1.22.0.
const (
	awsSource             = "hashicorp/aws"
	awsVersion            = "~> 6.0"
	cockroachSource       = "cockroachdb/cockroach"
	cockroachVersion      = "~> 1.12"
	cockroachQueueVersion = "~> 1.22"
	// Import blocks exist from Terraform 1.5.0 (with a provider argument
	// for aliased provider configurations).
	terraformVersion = ">= 1.5.0"

	// IAM's and the providers' defaults: arguments holding them are left
	// out, as a person writing the configuration would.
	defaultPath          = "/"
	defaultSessionLength = 3600
	standardClass        = "STANDARD"
)

// The resource types written, and their labels for the role and policy.
const (
	typeLogGroup   = "aws_cloudwatch_log_group"
	typeRole       = "aws_iam_role"
	typePolicy     = "aws_iam_policy"
	typeAttachment = "aws_iam_role_policy_attachment"
	typeInline     = "aws_iam_role_policy"
	typeExport     = "cockroach_log_export_config"
	roleLabel      = "log_export"
)

// The files of the configuration, in the order a single document has them.
const (
	fileVersions  = "versions"
	fileVariables = "variables"
	fileMain      = "main"
	fileImports   = "imports"
)

// builder holds what Build decides as it goes.
type builder struct {
	l   *Live
	cfg *Config

	providers, variables, resources, imports []*Block
	// iamProvider is the provider configuration IAM resources use: IAM is
	// global, and naming one keeps them off the implicit default
	// configuration, which has no region.
	iamProvider Keyword
	// logNames maps each log group name of the spec to the variable that
	// holds it.
	logNames map[string]Ref
	// retention is the default of var.retention_in_days.
	retention int32
	// grants and logGroupRefs are what the export must wait for: the
	// attachments and inline policies that let the role write, and the
	// log groups.
	grants, logGroupRefs []Expr
}

// Build turns the live state into Terraform. It does no I/O: the same
// Live always gives the same Config.
func Build(l *Live) *Config {
	b := &builder{
		l:        l,
		cfg:      &Config{ClusterID: l.Cluster.ID, ClusterName: l.Cluster.Name},
		logNames: map[string]Ref{},
	}
	b.terraform()
	b.nameVariables()
	b.logGroups()
	b.role()
	b.policies()
	b.export()
	b.cfg.Files = []File{
		{Name: fileVersions, Comment: b.header(), Blocks: b.providers},
		{Name: fileVariables, Comment: []string{"What teams usually name themselves; the defaults are the live values."}, Blocks: b.variables},
		{Name: fileMain, Blocks: b.resources},
		{Name: fileImports, Comment: []string{"What exists already is imported (Terraform 1.5 or later), each by the", "import ID its provider documents."}, Blocks: b.imports},
	}
	return b.cfg
}

func (b *builder) header() []string {
	return []string{
		fmt.Sprintf("Log export of CockroachDB Cloud cluster %s to Amazon CloudWatch,", b.l.Cluster.Name),
		"as it was live when `crdb-logexport export terraform` wrote this.",
		"After `terraform init`, `terraform plan` imports what exists (the import",
		"blocks) and should propose no other change. Credentials come from the",
		"environment: the AWS SDK's usual chain, and COCKROACH_API_KEY.",
	}
}

// warn records a warning, a sentence, and returns it for a comment.
func (b *builder) warn(format string, args ...any) string {
	w := fmt.Sprintf(format, args...)
	b.cfg.Warnings = append(b.cfg.Warnings, w)
	return w
}

// statusWarning is "" for an ENABLED export, else a warning saying the
// status.
func (b *builder) statusWarning() string {
	ex := b.l.Export
	if ex.Status == cloudapi.StatusEnabled {
		return ""
	}
	msg := fmt.Sprintf("The export's status was %s when this was written", ex.Status)
	if ex.UserMessage != "" {
		msg += ": " + ex.UserMessage
	}
	if ex.Status.Failed() {
		msg += "; `crdb-logexport doctor --cluster " + steps.ShellQuote(b.l.Cluster.Name) + "` says what is wrong"
	}
	return b.warn("%s.", msg)
}

// terraform writes the required versions and one aws provider configuration
// per destination region.
func (b *builder) terraform() {
	crdb := cockroachVersion
	for _, g := range b.l.Export.Spec.Groups {
		if g.EnableSendingQueue != nil {
			crdb = cockroachQueueVersion
		}
	}
	required := &Block{Type: "required_providers", Body: []Item{
		attr("aws", Object{Attrs: []ObjectAttr{{"source", Str(awsSource)}, {"version", Str(awsVersion)}}}),
		attr("cockroach", Object{Attrs: []ObjectAttr{{"source", Str(cockroachSource)}, {"version", Str(crdb)}}}),
	}}
	b.providers = append(b.providers, &Block{Type: "terraform", Body: []Item{
		attr("required_version", Str(terraformVersion)),
		gap(),
		nested(required),
	}})
	for i, region := range b.l.Regions {
		p := &Block{Type: "provider", Labels: []string{"aws"}, Body: []Item{
			attr("alias", Str(label(region))),
			attr("region", Str(region)),
		}}
		if i == 0 {
			p.Comment = []string{"One configuration per region the cluster's logs go to. IAM is global:",
				"its resources use the first."}
			b.iamProvider = providerRef(region)
		}
		b.providers = append(b.providers, p)
	}
	b.providers = append(b.providers, &Block{Type: "provider", Labels: []string{"cockroach"}, Body: []Item{
		note("The API key comes from COCKROACH_API_KEY (the endpoint from",
			"COCKROACH_SERVER when it is not the public one); it is never written here."),
	}})
}

func providerRef(region string) Keyword { return Keyword("aws." + label(region)) }

// nameVariables declares the log group names (the export's and each
// group's), the retention, and the role's name; policies add theirs.
func (b *builder) nameVariables() {
	spec := b.l.Export.Spec
	for i, name := range spec.LogGroups() {
		v, desc := "log_group_name", "CloudWatch log group the cluster's logs go to, the same name in every destination region"
		if i > 0 {
			v = fmt.Sprintf("group_%d_log_group_name", i)
			desc = fmt.Sprintf("CloudWatch log group of the export group with channels %s, in every destination region", strings.Join(groupChannels(spec, name), ", "))
		}
		b.variable(v, desc, "string", Str(name))
		b.logNames[name] = Ref("var." + v)
	}
	b.retention = int32(steps.DefaultRetentionDays)
	for _, lg := range b.l.LogGroups {
		if lg.State.Exists {
			b.retention = retentionOf(lg.State)
			break
		}
	}
	b.variable("retention_in_days", "Days CloudWatch keeps log events; 0 keeps them forever", "number", Num(strconv.Itoa(int(b.retention))))
	b.variable("role_name", "IAM role CockroachDB Cloud assumes to write the logs", "string", Str(b.l.Role.Name))
}

func groupChannels(spec cloudapi.LogExportSpec, logName string) []string {
	var out []string
	for _, g := range spec.Groups {
		if g.LogName == logName {
			out = append(out, g.Channels...)
		}
	}
	return out
}

func retentionOf(st awsiam.LogGroupState) int32 {
	if st.RetentionDays == nil {
		return 0
	}
	return *st.RetentionDays
}

func (b *builder) variable(name, description, typ string, def Expr) {
	b.variables = append(b.variables, &Block{Type: "variable", Labels: []string{name}, Body: []Item{
		attr("description", Str(description)),
		attr("type", Keyword(typ)),
		attr("default", def),
	}})
}

// resource adds a resource block, and its import block when importID is
// not "".
func (b *builder) resource(typ, name string, provider Keyword, importID string, comment []string, body ...Item) {
	items := []Item{}
	if provider != "" {
		items = append(items, attr("provider", provider))
	}
	b.resources = append(b.resources, &Block{Type: "resource", Labels: []string{typ, name}, Comment: comment, Body: append(items, body...)})
	addr := typ + "." + name
	b.cfg.Resources = append(b.cfg.Resources, Resource{Address: addr, ImportID: importID})
	if importID != "" {
		imp := &Block{Type: "import", Body: []Item{attr("to", Keyword(addr))}}
		if provider != "" {
			imp.Body = append(imp.Body, attr("provider", provider))
		}
		imp.Body = append(imp.Body, attr("id", Str(importID)))
		b.imports = append(b.imports, imp)
	}
}

// logGroups writes one aws_cloudwatch_log_group per destination region and
// log group name, on its region's provider.
func (b *builder) logGroups() {
	names := b.l.Export.Spec.LogGroups()
	for _, lg := range b.l.LogGroups {
		name := label(lg.Region)
		if i := slices.Index(names, lg.Name); i > 0 {
			name = fmt.Sprintf("group_%d_%s", i, label(lg.Region))
		}
		var comment []string
		body := []Item{attr("name", b.logNames[lg.Name])}
		importID := ""
		if !lg.State.Exists {
			comment = append(comment, b.warn("Log group %s does not exist in %s: terraform apply creates it.", lg.Name, lg.Region))
			body = append(body, attr("retention_in_days", Ref("var.retention_in_days")))
		} else {
			// Import ID of aws_cloudwatch_log_group: the log group's name.
			importID = lg.Name
			comment = append(comment, b.ownership("log group", lg.Name+" in "+lg.Region, lg.Tags)...)
			if r := retentionOf(lg.State); r == b.retention {
				body = append(body, attr("retention_in_days", Ref("var.retention_in_days")))
			} else {
				body = append(body, attr("retention_in_days", Num(strconv.Itoa(int(r))),
					fmt.Sprintf("Live retention, unlike the other groups' (var.retention_in_days is %d).", b.retention)))
			}
			if lg.State.KMSKeyID != "" {
				body = append(body, attr("kms_key_id", Str(lg.State.KMSKeyID)))
			}
			if lg.State.Class != "" && lg.State.Class != standardClass {
				body = append(body, attr("log_group_class", Str(lg.State.Class)))
			}
			if len(lg.Tags) > 0 {
				body = append(body, attr("tags", tags(lg.Tags)))
			}
		}
		b.resource(typeLogGroup, name, providerRef(lg.Region), importID, comment, body...)
		b.logGroupRefs = append(b.logGroupRefs, Keyword(typeLogGroup+"."+name))
	}
}

// ownership is what a resource's tags say about who made it, as comments:
// not made by crdb-logexport, or made by it for another cluster (also a
// warning: that cluster's export may use it too, and its own Terraform
// would import the same resource).
func (b *builder) ownership(kind, name string, tags map[string]string) []string {
	switch own, owner := steps.OwnershipOf(tags, b.l.Cluster.ID); own {
	case steps.NotOurs:
		return []string{fmt.Sprintf("This %s was not made by crdb-logexport (it has no %s = %s tag); it is exported as it is.", kind, awsiam.ManagedByTagKey, awsiam.ManagedByTagValue)}
	case steps.OursForAnotherCluster:
		if id := tags[awsiam.ClusterTagKey]; owner != id {
			owner += " (" + id + ")"
		}
		return []string{b.warn("The %s %s was made by crdb-logexport for another cluster, %s, whose export may use it too: keep it in one Terraform configuration only (two states managing one resource undo each other's changes).", kind, name, owner)}
	}
	return nil
}

func tags(m map[string]string) Object {
	o := Object{QuoteKeys: true}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		o.Attrs = append(o.Attrs, ObjectAttr{k, Str(m[k])})
	}
	return o
}

// role writes the role auth_principal names, its trust exactly as IAM
// holds it.
func (b *builder) role() {
	r := b.l.Role
	var comment []string
	comment = append(comment, b.ownership("role", r.Name, r.Tags)...)
	body := []Item{attr("name", Ref("var.role_name"))}
	if r.Path != "" && r.Path != defaultPath {
		body = append(body, attr("path", Str(r.Path)))
	}
	if r.Description != "" {
		body = append(body, attr("description", Str(r.Description)))
	}
	if r.MaxSessionDuration != 0 && r.MaxSessionDuration != defaultSessionLength {
		body = append(body, attr("max_session_duration", Num(strconv.Itoa(int(r.MaxSessionDuration)))))
	}
	if r.BoundaryARN != "" {
		body = append(body, attr("permissions_boundary", Str(r.BoundaryARN),
			b.warn("The role has the permissions boundary %s: kept as it is; the boundary policy itself is not managed here.", r.BoundaryARN)))
	}
	body = append(body, attr("assume_role_policy", b.document(r.TrustRaw, false),
		"The trust policy exactly as IAM holds it: the cluster's account may assume the role."))
	if len(r.Tags) > 0 {
		body = append(body, attr("tags", tags(r.Tags)))
	}
	// Import ID of aws_iam_role: the role's name.
	b.resource(typeRole, roleLabel, b.iamProvider, r.Name, comment, body...)
}

// policies writes the role's customer managed policies with their
// attachments, attachments of AWS managed policies, and inline policies.
func (b *builder) policies() {
	// A policy of the caller's account is the setup's to manage; any other
	// attached policy is AWS managed (IAM attaches no other account's).
	owned := func(p awsiam.ManagedPolicy) bool {
		a, err := awsiam.ParseARN(p.ARN)
		return err == nil && a.AccountID == b.l.Account
	}
	ownedCount := 0
	for _, p := range b.l.Policies.Attached {
		if owned(p) {
			ownedCount++
		}
	}
	several := ownedCount > 1
	taken := map[string]bool{roleLabel: true}
	for _, p := range b.l.Policies.Attached {
		name := roleLabel
		if several || !owned(p) {
			name = uniqueLabel(p.Name, taken)
		}
		var comment []string
		policyARN := Expr(Str(p.ARN))
		if owned(p) {
			b.managedPolicy(p, name, several)
			policyARN = Ref(typePolicy + "." + name + ".arn")
		} else {
			comment = []string{"A policy this account does not own (AWS managed): attached here, not managed."}
		}
		// Import ID of aws_iam_role_policy_attachment: role-name/policy-arn.
		b.resource(typeAttachment, name, b.iamProvider, b.l.Role.Name+"/"+p.ARN, comment,
			attr("role", Ref(typeRole+"."+roleLabel+".name")),
			attr("policy_arn", policyARN))
		b.grants = append(b.grants, Keyword(typeAttachment+"."+name))
	}
	for _, p := range b.l.Policies.Inline {
		name := uniqueLabel(p.Name, taken)
		// Import ID of aws_iam_role_policy: role-name:policy-name.
		b.resource(typeInline, name, b.iamProvider, b.l.Role.Name+":"+p.Name, []string{"An inline policy of the role."},
			attr("name", Str(p.Name)),
			attr("role", Ref(typeRole+"."+roleLabel+".name")),
			attr("policy", b.document(p.Text, true)))
		b.grants = append(b.grants, Keyword(typeInline+"."+name))
	}
}

func (b *builder) managedPolicy(p awsiam.ManagedPolicy, name string, several bool) {
	v := "policy_name"
	if several {
		v = name + "_policy_name"
	}
	b.variable(v, "IAM managed policy that lets the role write to the log groups", "string", Str(p.Name))
	var comment []string
	comment = append(comment, b.ownership("policy", p.Name, p.Tags)...)
	body := []Item{attr("name", Ref("var."+v))}
	if p.Path != "" && p.Path != defaultPath {
		body = append(body, attr("path", Str(p.Path)))
	}
	if p.Description != "" {
		body = append(body, attr("description", Str(p.Description)))
	}
	body = append(body, attr("policy", b.document(p.Text, true), "The permission policy's default version as IAM holds it."))
	if len(p.Tags) > 0 {
		body = append(body, attr("tags", tags(p.Tags)))
	}
	// Import ID of aws_iam_policy: the policy's ARN.
	b.resource(typePolicy, name, b.iamProvider, p.ARN, comment, body...)
}

// export writes cockroach_log_export_config with every field of the live
// spec, after the attachments and log groups it needs.
func (b *builder) export() {
	spec := b.l.Export.Spec
	var principal Expr = Ref(typeRole + "." + roleLabel + ".arn")
	if b.l.Role.ARN != spec.AuthPrincipal {
		principal = Str(spec.AuthPrincipal)
		b.warn("auth_principal %s is not the role's ARN %s as IAM reports it: kept as it is.", spec.AuthPrincipal, b.l.Role.ARN)
	}
	body := []Item{
		attr("id", Str(b.l.Cluster.ID)),
		attr("type", Str(string(spec.Type))),
		attr("log_name", b.logNames[spec.LogName]),
		attr("auth_principal", principal),
	}
	if spec.AWSExternalID != "" {
		body = append(body, attr("aws_external_id", Str(spec.AWSExternalID)))
	}
	if spec.Region != "" {
		body = append(body, attr("region", Str(spec.Region)))
	}
	if spec.Redact != nil {
		body = append(body, attr("redact", Bool(*spec.Redact)))
	}
	if len(spec.OmittedChannels) > 0 {
		body = append(body, attr("omitted_channels", strList(spec.OmittedChannels, true)))
	}
	if len(spec.Groups) > 0 {
		groups := List{Multiline: true}
		for _, g := range spec.Groups {
			o := Object{Attrs: []ObjectAttr{
				{"log_name", b.logNames[g.LogName]},
				{"channels", strList(g.Channels, false)},
			}}
			if g.MinLevel != "" && g.MinLevel != cloudapi.LevelUnspecified {
				o.Attrs = append(o.Attrs, ObjectAttr{"min_level", Str(string(g.MinLevel))})
			}
			if g.Redact != nil {
				o.Attrs = append(o.Attrs, ObjectAttr{"redact", Bool(*g.Redact)})
			}
			if g.EnableSendingQueue != nil {
				o.Attrs = append(o.Attrs, ObjectAttr{"enable_sending_queue", Bool(*g.EnableSendingQueue)})
			}
			groups.Items = append(groups.Items, o)
		}
		body = append(body, attr("groups", groups))
	}
	dependsOn := List{Items: slices.Concat(b.grants, b.logGroupRefs), Multiline: true}
	body = append(body, gap(), attr("depends_on", dependsOn, "Enable only once the role may write to the log groups."))
	comment := []string{fmt.Sprintf("The export configuration of cluster %s.", b.l.Cluster.Name)}
	if w := b.statusWarning(); w != "" {
		comment = append(comment, w)
	}
	// Import ID of cockroach_log_export_config: the cluster ID.
	b.resource(typeExport, label(b.l.Cluster.Name), "", b.l.Cluster.ID, comment, body...)
}

// logGroupARN matches a log group ARN in a policy, so the name in it can
// follow the variable that names the group.
var logGroupARN = regexp.MustCompile(`^(arn:[^:]+:logs:[^:]*:[^:]*:log-group:)([^:*]+)(:.*)?$`)

// document is a policy document as IAM holds it, as an expression:
// jsonencode of the same keys and values, written in IAM's order
// (jsonencode itself sorts keys; the provider compares by meaning). With logNames, a log
// group ARN naming one of the export's groups refers to its variable.
func (b *builder) document(text string, logNames bool) Expr {
	subst := func(s string) Expr {
		m := logGroupARN.FindStringSubmatch(s)
		if !logNames || m == nil {
			return Str(s)
		}
		ref, ok := b.logNames[m[2]]
		if !ok {
			return Str(s)
		}
		t := Template{Str(m[1]), ref}
		if m[3] != "" {
			t = append(t, Str(m[3]))
		}
		return t
	}
	v, err := parseDocument(text, subst)
	if err != nil {
		// The awsiam readers parsed this text already; a document that got
		// this far is JSON. Keep it verbatim rather than lose it.
		return Str(text)
	}
	return JSONEncode{Value: v}
}

// label makes a Terraform identifier of a name: lower case, letters,
// digits and underscores, not starting with a digit.
func label(name string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			sb.WriteRune(r)
		default:
			sb.WriteByte('_')
		}
	}
	s := sb.String()
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		s = "r_" + s
	}
	return s
}

func uniqueLabel(name string, taken map[string]bool) string {
	base := label(name)
	l := base
	for i := 2; taken[l]; i++ {
		l = fmt.Sprintf("%s_%d", base, i)
	}
	taken[l] = true
	return l
}
