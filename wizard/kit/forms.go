package kit

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/huh/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Forms builds the Huh forms every task shows: the full-screen interface
// embeds them, accessible mode runs them line by line.
type Forms struct {
	Styles     *Styles
	Accessible bool
}

// Form applies the theme. Forms show no help of their own: the interface
// shows their keys with its own at the bottom of the screen.
func (k Forms) Form(groups ...*huh.Group) *huh.Form {
	return huh.NewForm(groups...).
		WithTheme(k.Styles.FormTheme()).
		WithShowHelp(false).
		WithAccessible(k.Accessible)
}

// KeepDefault adapts a validator for accessible mode, where an empty answer
// means "keep the value shown" and is checked before the default applies.
func (k Forms) KeepDefault(v func(string) error) func(string) error {
	if !k.Accessible {
		return v
	}
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return v(s)
	}
}

// Title is a field's title. Accessible mode prints only titles, so there
// the description joins it, with the value an empty answer keeps.
func (k Forms) Title(title, desc, keeps string) string {
	if !k.Accessible {
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

// Desc is a field's description: in accessible mode it is in the title.
func (k Forms) Desc(desc string) string {
	if k.Accessible {
		return ""
	}
	return desc
}

// Input is a text field: its title, what it is for, the value it edits
// and its check. In accessible mode an empty answer keeps the value it
// had, when it had one.
func (k Forms) Input(title, desc string, value *string, check func(string) error) *huh.Input {
	in := huh.NewInput().Title(k.Title(title, desc, *value)).Description(k.Desc(desc)).Value(value)
	if check != nil && *value != "" {
		check = k.KeepDefault(check)
	}
	if check != nil {
		in = in.Validate(check)
	}
	return in
}

// Select is a choice among opts, titled and described as every field.
func Select[T comparable](k Forms, title, desc string, value *T, opts ...huh.Option[T]) *huh.Select[T] {
	return huh.NewSelect[T]().Title(k.Title(title, desc, "")).Description(k.Desc(desc)).Options(opts...).Value(value)
}

// ChannelOptions are the channels a log export can export.
func ChannelOptions() []huh.Option[string] {
	opts := make([]huh.Option[string], 0, len(cloudapi.ExportableChannels()))
	for _, ch := range cloudapi.ExportableChannels() {
		opts = append(opts, huh.NewOption(ch, ch))
	}
	return opts
}

// RetentionOptions are the retentions CloudWatch Logs allows.
func RetentionOptions() []huh.Option[int] {
	years := map[int32]string{365: "1 year", 731: "2 years", 1096: "3 years", 1827: "5 years", 2192: "6 years", 2557: "7 years", 2922: "8 years", 3288: "9 years", 3653: "10 years"}
	opts := make([]huh.Option[int], 0, len(awsiam.RetentionDays))
	for _, d := range awsiam.RetentionDays {
		label := fmt.Sprintf("%d %s", d, Plural(int(d), "day", "days"))
		if y, ok := years[d]; ok {
			label += " (" + y + ")"
		}
		opts = append(opts, huh.NewOption(label, int(d)))
	}
	return opts
}

// RoleARNPlaceholder is what a role ARN field shows empty.
const RoleARNPlaceholder = "arn:aws:iam::123456789012:role/CockroachCloudLogExportRole"

// ValidateRoleARN accepts role ARNs and, so that the roles it is attached to
// can be looked up and offered, policy ARNs; any other ARN is refused with
// the reason.
func ValidateRoleARN(s string) error {
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

// ARNWarning says what is wrong with what was typed as a role ARN, as the
// user types it: "" for a role ARN (or nothing typed yet).
func ARNWarning(s string) string {
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

// APIKeyForm asks for the CockroachDB Cloud API key, masked.
func (k Forms) APIKey(key *string) *huh.Form {
	desc := "Neither COCKROACH_API_KEY nor --api-key-file gives one. Create a service account key in the Cloud Console (Organization → Access Management). Input is hidden; the key is never stored or shown."
	return k.Form(huh.NewGroup(
		huh.NewInput().
			Title(k.Title("CockroachDB Cloud API key", desc, "")).
			Description(k.Desc(desc)).
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

// Cluster offers the clusters to choose from, one table row each, each
// row on one line of width columns (0: any), with its export status: a
// narrow terminal names only the first region and how many others, then
// drops the plan and the cloud (the status still says why a cluster is not
// eligible). For setup, a cluster CloudWatch export does not apply to is
// dimmed, with the reason, and choosing it says why instead.
func (k Forms) Cluster(q *steps.ClusterQuestion, value *string, width, height int) *huh.Form {
	desc := "Name, plan, cloud, regions and log export status, from the CockroachDB Cloud API."
	// Why each cluster that cannot be chosen cannot, by ID.
	refused := map[string]error{}
	for _, c := range q.Clusters {
		if err := q.Refused(c); err != nil {
			refused[c.ID] = err
		}
	}
	switch {
	case len(refused) > 0 && k.Accessible:
		desc += " One not eligible cannot be chosen: CloudWatch export does not apply."
	case len(refused) > 0:
		desc += " Dimmed: CloudWatch export does not apply."
	}
	if !k.Accessible {
		desc += " / filters."
	}
	labels := ClusterRows(q, width-4) // the form's border and cursor
	opts := make([]huh.Option[string], 0, len(q.Clusters))
	for i, c := range q.Clusters {
		label := labels[i]
		if refused[c.ID] != nil && !k.Accessible {
			label = k.Styles.Faint.Render(label)
		}
		opts = append(opts, huh.NewOption(label, c.ID))
	}
	sel := huh.NewSelect[string]().
		Title(k.Title("Cluster", desc, "")).
		Description(k.Desc(desc)).
		Options(opts...).
		Filtering(false).
		Value(value)
	if len(refused) > 0 {
		sel = sel.Validate(func(id string) error {
			if err := refused[id]; err != nil {
				return fmt.Errorf("%v. Choose another cluster", err)
			}
			return nil
		})
	}
	if height > 0 && len(q.Clusters) > height {
		sel = sel.Height(height)
	}
	return k.Form(huh.NewGroup(sel))
}

// ClusterRows are the question's clusters as the rows of a table, in
// columns aligned across them — name, plan, cloud, regions, export status
// — no wider than width (0: any) where dropping detail can make them fit:
// the regions but the first go first, then the plan and the cloud.
func ClusterRows(q *steps.ClusterQuestion, width int) []string {
	n := len(q.Clusters)
	status, all, short := make([]string, n), make([]string, n), make([]string, n)
	nameW := 4
	for i, c := range q.Clusters {
		status[i] = q.ExportText(c)
		names := c.RegionNames()
		all[i] = strings.Join(names, ",")
		short[i] = all[i]
		if len(names) > 1 {
			short[i] = fmt.Sprintf("%s +%d", names[0], len(names)-1)
		}
		nameW = max(nameW, len(c.Name))
	}
	var rows []string
	for _, lean := range []int{0, 1, 2} {
		regions := all
		if lean >= 1 {
			regions = short
		}
		regionsW := 7
		for _, r := range regions {
			regionsW = max(regionsW, len(r))
		}
		rows = make([]string, n)
		widest := 0
		for i, c := range q.Clusters {
			row := fmt.Sprintf("%-*s  %-8s  %-5s  %-*s  %s", nameW, c.Name, c.Plan, c.CloudProvider, regionsW, regions[i], status[i])
			if lean == 2 {
				row = fmt.Sprintf("%-*s  %-*s  %s", nameW, c.Name, regionsW, regions[i], status[i])
			}
			rows[i] = strings.TrimRight(row, " ")
			widest = max(widest, ansi.StringWidth(rows[i]))
		}
		if width <= 0 || widest <= width {
			break
		}
	}
	return rows
}

// Choice is the select of a dialogue's choice; value gets the option
// chosen, and starts on the choice's default.
func (k Forms) Choice(q steps.Choice, value *string) *huh.Form {
	opts := make([]huh.Option[string], len(q.Options))
	for i, o := range q.Options {
		opts[i] = huh.NewOption(o.Label, o.ID)
	}
	*value = q.Default
	if !q.Has(q.Default) {
		*value = q.Options[0].ID
	}
	return k.Form(huh.NewGroup(huh.NewSelect[string]().Title(q.Title).Options(opts...).Value(value)))
}

// Confirm is the yes-or-no of a dialogue's confirmation. One whose
// default is no (a deletion) stands on lines of its own.
func (k Forms) Confirm(q steps.Confirm, value *bool) *huh.Form {
	*value = q.Default
	return k.Form(huh.NewGroup(huh.NewConfirm().Title(q.Title).Affirmative(q.Yes).Negative(q.No).Inline(q.Default).Value(value)))
}
