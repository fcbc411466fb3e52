package setup

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// How the role is provided.
const (
	roleCreate   = "create"
	roleExisting = "existing"
)

// Region restriction of the permission policy.
const (
	regionsAll     = "all"
	regionsCluster = "cluster"
)

// External ID choices beyond steps.ExternalIDAuto and steps.ExternalIDNone.
const externalCustom = "custom"

// answers are what the user chose. Huh fields are bound to these fields, so
// they change as the user types.
type answers struct {
	apiKey     string
	clusterID  string
	logGroup   string
	retention  int
	roleMode   string
	roleName   string
	policyName string
	regions    string
	extChoice  string
	extValue   string
	roleARN    string
	// account is the AWS account this tool acts in: the trust of a role
	// of that account can be read, so its external ID is not asked.
	account string
	// extFlag: --external-id was given, and stands even where the
	// question is not asked.
	extFlag bool
	// retentionPreset: --retention-days was given, so existing log groups
	// are changed to it too.
	retentionPreset bool
	// defaultLogGroup, defaultRoleName and defaultPolicyName are the names
	// the wizard filled in itself (this cluster's defaults).
	defaultLogGroup, defaultRoleName, defaultPolicyName string
}

// Choices after a policy ARN was pasted where a role ARN belongs.
const (
	pickAnother = "another"
	pickCreate  = "create"
)

// newAnswers starts from the flags (defaults where none were given).
func newAnswers(in steps.SetupInput) answers {
	a := answers{
		logGroup:        in.LogGroup,
		retention:       in.RetentionDays,
		retentionPreset: in.RetentionSet,
		roleName:        in.RoleName,
		policyName:      in.PolicyName,
		roleMode:        roleCreate,
		regions:         regionsAll,
		extChoice:       steps.ExternalIDAuto,
		roleARN:         in.RoleARN,
	}
	if a.retention == 0 {
		a.retention = steps.DefaultRetentionDays
	}
	if in.RoleARN != "" {
		a.roleMode = roleExisting
	}
	if in.RestrictRegions {
		a.regions = regionsCluster
	}
	a.extFlag = in.ExternalID != "" && in.ExternalID != steps.ExternalIDAuto
	switch in.ExternalID {
	case "", steps.ExternalIDAuto:
	case steps.ExternalIDNone:
		a.extChoice = steps.ExternalIDNone
	default:
		a.extChoice, a.extValue = externalCustom, in.ExternalID
	}
	return a
}

// forCluster fills the answers that depend on the chosen cluster. A log
// group name the wizard defaulted for another cluster follows the new one;
// one the user typed or passed as a flag stays.
func (a *answers) forCluster(c cloudapi.Cluster) {
	if a.logGroup == "" || a.logGroup == a.defaultLogGroup {
		a.logGroup = steps.DefaultLogGroup(c.Name)
		a.defaultLogGroup = a.logGroup
	}
	if a.roleName == "" || a.roleName == a.defaultRoleName {
		a.roleName = steps.DefaultRoleNameFor(c.Name, c.ID)
		a.defaultRoleName = a.roleName
	}
	if a.policyName == "" || a.policyName == a.defaultPolicyName {
		a.policyName = steps.DefaultPolicyNameFor(c.Name, c.ID)
		a.defaultPolicyName = a.policyName
	}
	a.clusterID = c.ID
}

// trustReadable: the role is the user's own, in the account this tool acts
// in, so setup reads from its trust policy which external ID it requires
// (the plan says what it found) instead of asking.
func (a *answers) trustReadable() bool {
	if a.roleMode != roleExisting || a.account == "" {
		return false
	}
	arn, err := awsiam.CheckRoleARN(strings.TrimSpace(a.roleARN))
	return err == nil && arn.AccountID == a.account
}

// asksExternalID: the external ID is a question — not on Standard (the
// cluster ID, always), nor for a role whose trust setup can read.
func asksExternalID(a *answers, c cloudapi.Cluster) bool {
	return c.Plan != cloudapi.PlanStandard && !a.trustReadable()
}

// input turns the answers into what steps.PrepareSetup takes, keeping the
// settings that only flags give (channels, redaction, export region).
func (a *answers) input(base steps.SetupInput, cluster cloudapi.Cluster) steps.SetupInput {
	in := base
	in.Cluster = cluster.ID
	in.LogGroup = strings.TrimSpace(a.logGroup)
	in.RetentionDays = a.retention
	in.RetentionSet = a.retentionPreset || a.retention != steps.DefaultRetentionDays
	in.RestrictRegions = a.regions == regionsCluster
	in.RoleARN, in.RoleName, in.PolicyName = "", "", ""
	if a.roleMode == roleExisting {
		in.RoleARN = strings.TrimSpace(a.roleARN)
	} else {
		// Names left at this cluster's defaults are left to setup, which
		// keeps the role the export already uses.
		if name := strings.TrimSpace(a.roleName); name != a.defaultRoleName {
			in.RoleName = name
		}
		if name := strings.TrimSpace(a.policyName); name != a.defaultPolicyName {
			in.PolicyName = name
		}
	}
	switch {
	case cluster.Plan == cloudapi.PlanStandard, a.trustReadable() && !a.extFlag:
		// Standard: the cluster ID. A role whose trust setup reads: the
		// external ID that trust requires (none when it requires none).
		in.ExternalID = steps.ExternalIDAuto
	case a.extChoice == externalCustom:
		in.ExternalID = strings.TrimSpace(a.extValue)
	default:
		in.ExternalID = a.extChoice
	}
	return in
}

// resume is the command line that repeats the setup non-interactively with
// these answers. Defaults are left out so it stays short; it never holds the
// API key (no flag carries it).
func resumeCommand(base string, in steps.SetupInput, cluster cloudapi.Cluster) string {
	parts := []string{base, "--cluster", steps.ShellQuote(firstNonEmpty(cluster.Name, cluster.ID))}
	add := func(flag, value string) { parts = append(parts, flag, steps.ShellQuote(value)) }
	if in.LogGroup != "" && in.LogGroup != steps.DefaultLogGroup(cluster.Name) {
		add("--log-group", in.LogGroup)
	}
	if in.RetentionSet {
		add("--retention-days", strconv.Itoa(in.RetentionDays))
	}
	if in.RoleARN != "" {
		add("--role-arn", in.RoleARN)
	} else {
		if in.RoleName != "" && in.RoleName != steps.DefaultRoleNameFor(cluster.Name, cluster.ID) {
			add("--role-name", in.RoleName)
		}
		if in.PolicyName != "" && in.PolicyName != steps.DefaultPolicyNameFor(cluster.Name, cluster.ID) {
			add("--policy-name", in.PolicyName)
		}
	}
	if in.RestrictRegions {
		parts = append(parts, "--restrict-regions")
	}
	if in.ExternalID != "" && in.ExternalID != steps.ExternalIDAuto {
		add("--external-id", in.ExternalID)
	}
	if len(in.Channels) > 0 {
		add("--channels", strings.Join(in.Channels, ","))
	}
	if len(in.OmitChannels) > 0 {
		add("--omit-channels", strings.Join(in.OmitChannels, ","))
	}
	if in.Redact != nil {
		parts = append(parts, "--redact="+strconv.FormatBool(*in.Redact))
	}
	if in.ExportRegion != "" {
		add("--export-region", in.ExportRegion)
	}
	return strings.Join(append(parts, "--yes"), " ")
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// A question is one page of setup's answers. Questions are asked in order,
// skipping those that do not apply to the answers so far.
type question struct {
	id string
	// step is the documented step the question belongs to: the checklist
	// marks it as current.
	step    string
	applies func(a *answers, c cloudapi.Cluster) bool
	build   func(k kit.Forms, a *answers, c cloudapi.Cluster, regions []string) *huh.Form
}

// Question identifiers.
const (
	qLogGroup      = "log-group"
	qRoleMode      = "role-mode"
	qRoleNames     = "role-names"
	qRoleARN       = "role-arn"
	qExternalID    = "external-id"
	qExternalValue = "external-id-value"
)

func always(*answers, cloudapi.Cluster) bool { return true }

var questions = []question{
	{id: qLogGroup, step: steps.StepLogGroup, applies: always, build: logGroupForm},
	{id: qRoleMode, step: steps.StepRole, applies: always, build: roleModeForm},
	{id: qRoleNames, step: steps.StepRole, build: roleNamesForm,
		applies: func(a *answers, _ cloudapi.Cluster) bool { return a.roleMode == roleCreate }},
	{id: qRoleARN, step: steps.StepRoleARN, build: roleARNForm,
		applies: func(a *answers, _ cloudapi.Cluster) bool { return a.roleMode == roleExisting }},
	{id: qExternalID, step: steps.StepTrust, build: externalIDForm, applies: asksExternalID},
	{id: qExternalValue, step: steps.StepTrust, build: externalValueForm,
		applies: func(a *answers, c cloudapi.Cluster) bool {
			return asksExternalID(a, c) && a.extChoice == externalCustom
		}},
}

// nextQuestion is the index of the first question after i that applies,
// or len(questions) when none is left.
func nextQuestion(i int, a *answers, c cloudapi.Cluster) int {
	for j := i + 1; j < len(questions); j++ {
		if questions[j].applies(a, c) {
			return j
		}
	}
	return len(questions)
}

// clearConflict clears the answer a plan's conflict is about and returns
// the question that asks it again, or -1 when no answer caused it (a
// conflict the answers cannot resolve).
func (a *answers) clearConflict(c steps.PlannedStep, cl cloudapi.Cluster) int {
	var q string
	switch {
	case c.ID == steps.StepLogGroup:
		a.logGroup, a.defaultLogGroup, q = "", "", qLogGroup
	case c.ID == steps.StepRoleARN || a.roleMode == roleExisting && (c.ID == steps.StepRole || c.ID == steps.StepTrust):
		a.roleARN, q = "", qRoleARN
	case c.ID == steps.StepRole || c.ID == steps.StepTrust:
		a.roleName, a.defaultRoleName, q = "", "", qRoleNames
	case c.ID == steps.StepPolicy || c.ID == steps.StepPermissions:
		a.policyName, a.defaultPolicyName, q = "", "", qRoleNames
	default:
		return -1
	}
	i := questionIndex(q)
	if !questions[i].applies(a, cl) {
		return -1
	}
	return i
}

// prevQuestion is the index of the last question before i that applies,
// or -1 when none does.
func prevQuestion(i int, a *answers, c cloudapi.Cluster) int {
	for j := i - 1; j >= 0; j-- {
		if questions[j].applies(a, c) {
			return j
		}
	}
	return -1
}

func questionIndex(id string) int {
	for i, q := range questions {
		if q.id == id {
			return i
		}
	}
	return -1
}

// destinationRegions are the regions logs go to: the --export-region
// override, or every region the cluster has nodes in.
func destinationRegions(in steps.SetupInput, c cloudapi.Cluster) []string {
	if in.ExportRegion != "" {
		return []string{in.ExportRegion}
	}
	return c.RegionNames()
}

func logGroupForm(k kit.Forms, a *answers, _ cloudapi.Cluster, regions []string) *huh.Form {
	nameDesc := fmt.Sprintf("Created in %s, the %s the cluster exports from: each region writes to the group of this name in itself. AWS allows 1 to 512 letters, digits and . - _ / #.", strings.Join(regions, ", "), kit.Plural(len(regions), "region", "regions"))
	retentionDesc := "How long new log groups keep events (otherwise forever). Existing groups keep theirs unless you choose a value other than the default."
	return k.Form(huh.NewGroup(
		k.Input("Log group", nameDesc, &a.logGroup, func(s string) error { return awsiam.ValidateLogGroupName(strings.TrimSpace(s)) }),
		kit.Select(k, "Retention", retentionDesc, &a.retention, kit.RetentionOptions()...).Inline(true),
	))
}

func roleModeForm(k kit.Forms, a *answers, c cloudapi.Cluster, _ []string) *huh.Form {
	desc := fmt.Sprintf("CockroachDB Cloud writes the logs by assuming a role in your AWS account; the cluster's account %s is the one allowed to assume it.", c.ExportAccountID())
	return k.Form(huh.NewGroup(kit.Select(k, "IAM role", desc, &a.roleMode,
		huh.NewOption("Create the role and its permission policy for me (recommended)", roleCreate),
		huh.NewOption("I already have a role", roleExisting),
	)))
}

func roleNamesForm(k kit.Forms, a *answers, _ cloudapi.Cluster, regions []string) *huh.Form {
	roleDesc := "The cross-account role (created, or verified if it exists)."
	policyDesc := "A managed policy with the CloudWatch Logs actions on your log group, attached to the role."
	regionsDesc := "A restriction that misses a region loses that region's logs, so only the regions this export writes to are offered."
	return k.Form(huh.NewGroup(
		k.Input("Role name", roleDesc, &a.roleName, func(s string) error { return awsiam.ValidateRoleName(strings.TrimSpace(s)) }),
		k.Input("Permission policy name", policyDesc, &a.policyName, func(s string) error { return awsiam.ValidatePolicyName(strings.TrimSpace(s)) }),
		kit.Select(k, "Regions the policy allows", regionsDesc, &a.regions,
			huh.NewOption("All regions", regionsAll),
			huh.NewOption("Only "+strings.Join(regions, ", "), regionsCluster),
		),
	))
}

func roleARNForm(k kit.Forms, a *answers, _ cloudapi.Cluster, _ []string) *huh.Form {
	desc := "The ARN of the role CockroachDB Cloud should assume: arn:aws:iam::ACCOUNT:role/NAME (not the ARN of its policy)."
	return k.Form(huh.NewGroup(k.Input("Role ARN", desc, &a.roleARN, kit.ValidateRoleARN).Placeholder(kit.RoleARNPlaceholder)))
}

func externalIDForm(k kit.Forms, a *answers, c cloudapi.Cluster, _ []string) *huh.Form {
	desc := fmt.Sprintf("The trust policy lets the cluster's account %s assume the role; with an external ID it must also present that value.", c.ExportAccountID())
	opts := []huh.Option[string]{
		huh.NewOption("Generate one (recommended: guards against the confused-deputy problem)", steps.ExternalIDAuto),
		huh.NewOption("No external ID", steps.ExternalIDNone),
		huh.NewOption("Use my own value", externalCustom),
	}
	if a.roleMode == roleExisting {
		// A role of another account has a trust policy this tool cannot
		// read, and a generated ID could not be in it: its owner says.
		if a.extChoice == steps.ExternalIDAuto {
			a.extChoice = steps.ExternalIDNone
		}
		opts = []huh.Option[string]{
			huh.NewOption("My role's trust policy does not require one", steps.ExternalIDNone),
			huh.NewOption("It requires an external ID (enter it next)", externalCustom),
		}
	}
	return k.Form(huh.NewGroup(kit.Select(k, "External ID", desc, &a.extChoice, opts...)))
}

func externalValueForm(k kit.Forms, a *answers, _ cloudapi.Cluster, _ []string) *huh.Form {
	desc := "2 to 1224 letters, digits and _+=,.@:/-"
	return k.Form(huh.NewGroup(k.Input("External ID value", desc, &a.extValue, func(s string) error {
		if len(strings.TrimSpace(s)) < 2 {
			return errors.New("an external ID has at least 2 characters")
		}
		return nil
	})))
}
