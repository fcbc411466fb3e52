package wizard

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// formKit builds the Huh forms both front ends use: the full-screen
// interface embeds them, accessible mode runs them line by line.
type formKit struct {
	styles     *Styles
	accessible bool
}

// form applies the theme. Forms show no help of their own: the interface
// shows their keys with its own at the bottom of the screen.
func (k formKit) form(groups ...*huh.Group) *huh.Form {
	return huh.NewForm(groups...).
		WithTheme(k.styles.FormTheme()).
		WithShowHelp(false).
		WithAccessible(k.accessible)
}

// keepDefault adapts a validator for accessible mode, where an empty answer
// means "keep the value shown" and is checked before the default applies.
func (k formKit) keepDefault(v func(string) error) func(string) error {
	if !k.accessible {
		return v
	}
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return v(s)
	}
}

// title is a field's title. Accessible mode prints only titles, so there
// the description joins it, with the value an empty answer keeps.
func (k formKit) title(title, desc, keeps string) string {
	if !k.accessible {
		return title
	}
	if desc != "" {
		title += "\n" + desc
	}
	if keeps != "" {
		title += "\n(enter keeps " + keeps + ")"
	}
	return title
}

// desc is a field's description: in accessible mode it is in the title.
func (k formKit) desc(desc string) string {
	if k.accessible {
		return ""
	}
	return desc
}

// A question is one page of setup's answers. Questions are asked in order,
// skipping those that do not apply to the answers so far.
type question struct {
	id string
	// step is the documented step the question belongs to: the checklist
	// marks it as current.
	step    string
	applies func(a *answers, c cloudapi.Cluster) bool
	build   func(k formKit, a *answers, c cloudapi.Cluster, regions []string) *huh.Form
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
	{id: qExternalID, step: steps.StepTrust, build: externalIDForm,
		applies: func(_ *answers, c cloudapi.Cluster) bool { return c.Plan != cloudapi.PlanStandard }},
	{id: qExternalValue, step: steps.StepTrust, build: externalValueForm,
		applies: func(a *answers, c cloudapi.Cluster) bool {
			return c.Plan != cloudapi.PlanStandard && a.extChoice == externalCustom
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

func logGroupForm(k formKit, a *answers, _ cloudapi.Cluster, regions []string) *huh.Form {
	nameDesc := fmt.Sprintf("Created in %s, the %s the cluster exports from: each region writes to the group of this name in itself. AWS allows 1 to 512 letters, digits and . - _ / #.", strings.Join(regions, ", "), plural(len(regions), "region", "regions"))
	retentionDesc := "How long new log groups keep events (otherwise forever). Existing groups keep theirs unless you choose a value other than the default."
	return k.form(huh.NewGroup(
		huh.NewInput().
			Title(k.title("Log group", nameDesc, a.logGroup)).
			Description(k.desc(nameDesc)).
			Value(&a.logGroup).
			Validate(k.keepDefault(func(s string) error { return awsiam.ValidateLogGroupName(strings.TrimSpace(s)) })),
		huh.NewSelect[int]().
			Title(k.title("Retention", retentionDesc, "")).
			Description(k.desc(retentionDesc)).
			Options(retentionOptions()...).
			Inline(true).
			Value(&a.retention),
	))
}

func retentionOptions() []huh.Option[int] {
	years := map[int32]string{365: "1 year", 731: "2 years", 1096: "3 years", 1827: "5 years", 2192: "6 years", 2557: "7 years", 2922: "8 years", 3288: "9 years", 3653: "10 years"}
	opts := make([]huh.Option[int], 0, len(awsiam.RetentionDays))
	for _, d := range awsiam.RetentionDays {
		label := fmt.Sprintf("%d %s", d, plural(int(d), "day", "days"))
		if y, ok := years[d]; ok {
			label += " (" + y + ")"
		}
		opts = append(opts, huh.NewOption(label, int(d)))
	}
	return opts
}

func roleModeForm(k formKit, a *answers, c cloudapi.Cluster, _ []string) *huh.Form {
	desc := fmt.Sprintf("CockroachDB Cloud writes the logs by assuming a role in your AWS account; the cluster's account %s is the one allowed to assume it.", c.ExportAccountID())
	return k.form(huh.NewGroup(
		huh.NewSelect[string]().
			Title(k.title("IAM role", desc, "")).
			Description(k.desc(desc)).
			Options(
				huh.NewOption("Create the role and its permission policy for me (recommended)", roleCreate),
				huh.NewOption("I already have a role", roleExisting),
			).
			Value(&a.roleMode),
	))
}

func roleNamesForm(k formKit, a *answers, _ cloudapi.Cluster, regions []string) *huh.Form {
	roleDesc := "The cross-account role (created, or verified if it exists)."
	policyDesc := "A managed policy with the CloudWatch Logs actions on your log group, attached to the role."
	regionsDesc := "A restriction that misses a region loses that region's logs, so only the regions this export writes to are offered."
	return k.form(huh.NewGroup(
		huh.NewInput().
			Title(k.title("Role name", roleDesc, a.roleName)).
			Description(k.desc(roleDesc)).
			Value(&a.roleName).
			Validate(k.keepDefault(func(s string) error { return awsiam.ValidateRoleName(strings.TrimSpace(s)) })),
		huh.NewInput().
			Title(k.title("Permission policy name", policyDesc, a.policyName)).
			Description(k.desc(policyDesc)).
			Value(&a.policyName).
			Validate(k.keepDefault(func(s string) error { return awsiam.ValidatePolicyName(strings.TrimSpace(s)) })),
		huh.NewSelect[string]().
			Title(k.title("Regions the policy allows", regionsDesc, "")).
			Description(k.desc(regionsDesc)).
			Options(
				huh.NewOption("All regions", regionsAll),
				huh.NewOption("Only "+strings.Join(regions, ", "), regionsCluster),
			).
			Value(&a.regions),
	))
}

func roleARNForm(k formKit, a *answers, _ cloudapi.Cluster, _ []string) *huh.Form {
	desc := "The ARN of the role CockroachDB Cloud should assume: arn:aws:iam::ACCOUNT:role/NAME (not the ARN of its policy)."
	return k.form(huh.NewGroup(
		huh.NewInput().
			Title(k.title("Role ARN", desc, a.roleARN)).
			Description(k.desc(desc)).
			Placeholder("arn:aws:iam::123456789012:role/CockroachCloudLogExportRole").
			Value(&a.roleARN).
			Validate(validateRoleARN),
	))
}

// validateRoleARN accepts role ARNs and, so that the roles it is attached to
// can be looked up and offered, policy ARNs; any other ARN is refused with
// the reason.
func validateRoleARN(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errors.New("paste the ARN of the role (arn:aws:iam::ACCOUNT:role/NAME)")
	}
	if awsiam.Classify(s) == awsiam.KindPolicy {
		return nil
	}
	_, err := awsiam.CheckRoleARN(s)
	return err
}

// arnWarning says what is wrong with what was typed as a role ARN, as the
// user types it: "" for a role ARN (or nothing typed yet).
func arnWarning(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || !strings.HasPrefix(s, "arn:") {
		return ""
	}
	if _, err := awsiam.CheckRoleARN(s); err != nil {
		var ae *awsiam.ARNError
		if errors.As(err, &ae) {
			return ae.Reason
		}
		return err.Error()
	}
	return ""
}

func externalIDForm(k formKit, a *answers, c cloudapi.Cluster, _ []string) *huh.Form {
	desc := fmt.Sprintf("The trust policy lets the cluster's account %s assume the role; with an external ID it must also present that value.", c.ExportAccountID())
	opts := []huh.Option[string]{
		huh.NewOption("Generate one (recommended: guards against the confused-deputy problem)", steps.ExternalIDAuto),
		huh.NewOption("No external ID", steps.ExternalIDNone),
		huh.NewOption("Use my own value", externalCustom),
	}
	if a.roleMode == roleExisting {
		opts = []huh.Option[string]{
			huh.NewOption("My role's trust policy does not require one", steps.ExternalIDNone),
			huh.NewOption("It requires an external ID (enter it next)", externalCustom),
		}
	}
	return k.form(huh.NewGroup(
		huh.NewSelect[string]().
			Title(k.title("External ID", desc, "")).
			Description(k.desc(desc)).
			Options(opts...).
			Value(&a.extChoice),
	))
}

func externalValueForm(k formKit, a *answers, _ cloudapi.Cluster, _ []string) *huh.Form {
	desc := "2 to 1224 letters, digits and _+=,.@:/-"
	return k.form(huh.NewGroup(
		huh.NewInput().
			Title(k.title("External ID value", desc, a.extValue)).
			Description(k.desc(desc)).
			Value(&a.extValue).
			Validate(func(s string) error {
				if len(strings.TrimSpace(s)) < 2 {
					return errors.New("an external ID has at least 2 characters")
				}
				return nil
			}),
	))
}

// rolePickForm offers the roles a pasted policy ARN is attached to.
func rolePickForm(k formKit, a *answers, roles []string) *huh.Form {
	opts := make([]huh.Option[string], 0, len(roles)+2)
	for _, r := range roles {
		opts = append(opts, huh.NewOption("Use "+r, r))
	}
	opts = append(opts,
		huh.NewOption("Enter another ARN", pickAnother),
		huh.NewOption("Let setup create a role instead", pickCreate),
	)
	a.rolePick = opts[0].Value
	title := "Which role?"
	if len(roles) == 0 {
		title = "What now?"
	}
	return k.form(huh.NewGroup(
		huh.NewSelect[string]().Title(title).Options(opts...).Value(&a.rolePick),
	))
}

func apiKeyForm(k formKit, key *string) *huh.Form {
	desc := "Neither COCKROACH_API_KEY nor --api-key-file gives one. Create a service account key in the Cloud Console (Organization → Access Management). Input is hidden; the key is never stored or shown."
	return k.form(huh.NewGroup(
		huh.NewInput().
			Title(k.title("CockroachDB Cloud API key", desc, "")).
			Description(k.desc(desc)).
			EchoMode(huh.EchoModePassword).
			Value(key).
			Validate(func(s string) error {
				if strings.TrimSpace(s) == "" {
					return errors.New("paste the API key")
				}
				return nil
			}),
	))
}

func clusterForm(k formKit, clusters []cloudapi.Cluster, value *string, height int) *huh.Form {
	desc := "Name, plan, cloud, regions and state, from the CockroachDB Cloud API."
	if !k.accessible {
		desc += " / filters."
	}
	opts := make([]huh.Option[string], 0, len(clusters))
	nameW, regionsW := 4, 7
	for _, c := range clusters {
		nameW = max(nameW, len(c.Name))
		regionsW = max(regionsW, len(strings.Join(c.RegionNames(), ",")))
	}
	for _, c := range clusters {
		opts = append(opts, huh.NewOption(clusterLabel(c, nameW, regionsW), c.ID))
	}
	sel := huh.NewSelect[string]().
		Title(k.title("Cluster", desc, "")).
		Description(k.desc(desc)).
		Options(opts...).
		Filtering(false).
		Value(value)
	if height > 0 && len(clusters) > height {
		sel = sel.Height(height)
	}
	return k.form(huh.NewGroup(sel))
}

func clusterLabel(c cloudapi.Cluster, nameW, regionsW int) string {
	return fmt.Sprintf("%-*s  %-8s  %-5s  %-*s  %s", nameW, c.Name, c.Plan, c.CloudProvider, regionsW, strings.Join(c.RegionNames(), ","), c.State)
}

// defaultCluster is the cluster preselected in the list: the first one log
// export to CloudWatch applies to.
func defaultCluster(clusters []cloudapi.Cluster) string {
	for _, c := range clusters {
		if c.CheckCloudWatch() == nil {
			return c.ID
		}
	}
	if len(clusters) > 0 {
		return clusters[0].ID
	}
	return ""
}

// Choices of the menus that follow an outcome.
const (
	choiceRetry    = "retry"
	choiceRollback = "rollback"
	choiceQuit     = "quit"
	choiceEdit     = "edit"
	choiceOther    = "other-cluster"
	choiceApply    = "apply"
	choiceRekey    = "rekey"
	choiceDoctor   = "doctor"
)

func choiceForm(k formKit, title string, value *string, opts ...huh.Option[string]) *huh.Form {
	*value = opts[0].Value
	return k.form(huh.NewGroup(huh.NewSelect[string]().Title(title).Options(opts...).Value(value)))
}

func confirmForm(k formKit, title, yes, no string, value *bool) *huh.Form {
	*value = true
	return k.form(huh.NewGroup(huh.NewConfirm().Title(title).Affirmative(yes).Negative(no).Inline(true).Value(value)))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
