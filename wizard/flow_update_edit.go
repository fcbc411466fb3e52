package wizard

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// The fields the update's edit screen offers, each with its own form.
const (
	fieldLogGroup = "log-group"
	fieldRole     = "role-arn"
	fieldRegion   = "export-region"
	fieldRedact   = "redact"
	fieldOmitted  = "omitted-channels"
	fieldGroups   = "groups"
	// fieldGroup is one group's form, opened from the groups' list.
	fieldGroup = "group"
)

// A group's own redaction: inherited from the configuration, or set.
const (
	groupRedactInherit = "inherit"
	groupRedactOn      = "on"
	groupRedactOff     = "off"
)

// updateDraft holds what a field's form is editing; the configuration
// changes only when the form is submitted.
type updateDraft struct {
	logGroup  string
	retention int
	roleARN   string
	region    string
	redact    bool
	omitted   []string

	gName     string
	gChannels []string
	gLevel    cloudapi.LogLevel
	gRedact   string
	gQueue    bool
}

// toEditing shows the edit screen: every field with its value, then
// reviewing or leaving.
func (f *updateFlow) toEditing(m *Model) tea.Cmd {
	f.stage = updEditing
	f.field = ""
	sel := huh.NewSelect[string]().
		Title("What would you like to change?").
		Options(f.editOptions(m.contentWidth())...).
		Value(&f.choice)
	return m.setForm(m.kit.form(huh.NewGroup(sel)))
}

// changedFields are the API fields (and "groups") the edit changes.
func (f *updateFlow) changedFields() map[string]bool {
	out := map[string]bool{}
	for _, d := range steps.DiffSpecs(f.target.Current.Spec, f.desired) {
		field := d.Field
		if strings.HasPrefix(field, "groups[") {
			field = "groups"
		}
		out[field] = true
	}
	return out
}

// editOptions are the edit screen's choices. A value too long for its
// line is shortened from the left here only: the field's form and the
// review show it whole.
func (f *updateFlow) editOptions(w int) []huh.Option[string] {
	d := f.desired
	changed := f.changedFields()
	const labelW = 17
	row := func(label, value string, isChanged bool) string {
		// The form's border and cursor take 4 columns.
		room := w - 4 - labelW - 1
		if isChanged {
			room -= len(" (changed)")
		}
		room = max(room, 16)
		if ansi.StringWidth(value) > room {
			value = "…" + ansi.TruncateLeft(value, ansi.StringWidth(value)-room+1, "")
		}
		s := fmt.Sprintf("%-*s %s", labelW, label, value)
		if isChanged {
			s += " (changed)"
		}
		return s
	}
	review := "Review the changes"
	if n := len(changed); n > 0 {
		review += fmt.Sprintf(" (%d %s changed)", n, plural(n, "field", "fields"))
	}
	return []huh.Option[string]{
		huh.NewOption(row("Log group", d.LogName, changed["log_name"]), fieldLogGroup),
		huh.NewOption(row("Role ARN", d.AuthPrincipal, changed["auth_principal"]), fieldRole),
		huh.NewOption(row("Export region", regionText(d.Region), changed["region"]), fieldRegion),
		huh.NewOption(row("Redaction", onOff(boolValue(d.Redact)), changed["redact"]), fieldRedact),
		huh.NewOption(row("Omitted channels", listText(d.OmittedChannels), changed["omitted_channels"]), fieldOmitted),
		huh.NewOption(row("Groups", groupsText(d.Groups), changed["groups"]), fieldGroups),
		huh.NewOption(review, choiceReview),
		huh.NewOption("Quit without changing anything", choiceQuit),
	}
}

func regionText(r string) string {
	if r == "" {
		return "none: each region exports to its own log group"
	}
	return r
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func boolValue(b *bool) bool { return b != nil && *b }

func listText(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}

func groupsText(gs []cloudapi.LogExportGroup) string {
	if len(gs) == 0 {
		return "none"
	}
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = g.LogName
	}
	return fmt.Sprintf("%d: %s", len(gs), strings.Join(names, ", "))
}

// openField shows the form of one field, filled with its value.
func (f *updateFlow) openField(m *Model, field string) tea.Cmd {
	if field == fieldGroups {
		f.choice = ""
		return f.toGroups(m)
	}
	form := f.fieldForm(m.kit, m.cluster, field)
	if form == nil {
		return f.toEditing(m)
	}
	f.stage = updField
	f.field = field
	return m.setForm(form)
}

// fieldForm fills the draft of a field with its value and returns its
// form; nil for what is not a single field.
func (f *updateFlow) fieldForm(k formKit, c cloudapi.Cluster, field string) *huh.Form {
	d := &f.draft
	switch field {
	case fieldLogGroup:
		d.logGroup, d.retention = f.desired.LogName, f.retention
		return updLogGroupForm(k, d, c.ExportRegions(f.desired), f.checkLogGroup(c))
	case fieldRole:
		d.roleARN = f.desired.AuthPrincipal
		return updRoleForm(k, d, c, f.checkRole(c))
	case fieldRegion:
		d.region = f.desired.Region
		return updRegionForm(k, d, c)
	case fieldRedact:
		d.redact = boolValue(f.desired.Redact)
		return updRedactForm(k, d)
	case fieldOmitted:
		d.omitted = slices.Clone(f.desired.OmittedChannels)
		return updOmittedForm(k, d, f.checkOmitted(c))
	}
	return nil
}

// fieldDone applies a submitted form to the configuration and goes back
// to the edit screen (or the groups' list, or the roles a policy ARN is
// attached to).
func (f *updateFlow) fieldDone(m *Model) tea.Cmd {
	if policy := f.applyDraft(f.field); policy != "" {
		return f.lookupRoles(m, policy)
	}
	if f.field == fieldGroup {
		f.choice = f.draft.group().LogName
		return f.toGroups(m)
	}
	f.choice = choiceReview
	return f.toEditing(m)
}

// applyDraft makes the configuration what the draft of field says. A
// policy ARN given as the role changes nothing and is returned, for the
// roles it is attached to to be offered instead.
func (f *updateFlow) applyDraft(field string) (policyARN string) {
	d := &f.draft
	cur := f.target.Current.Spec
	f.specErr = nil
	switch field {
	case fieldLogGroup:
		if name := strings.TrimSpace(d.logGroup); name != "" {
			f.desired.LogName = name
		}
		f.retention = d.retention
	case fieldRole:
		arn := strings.TrimSpace(d.roleARN)
		if awsiam.Classify(arn) == awsiam.KindPolicy {
			return arn
		}
		if arn != "" {
			f.desired.AuthPrincipal = arn
		}
	case fieldRegion:
		f.desired.Region = d.region
	case fieldRedact:
		if d.redact == boolValue(cur.Redact) {
			// Back to what is in force, as the API reported it.
			f.desired.Redact = cur.Redact
		} else {
			f.desired.Redact = cloudapi.Bool(d.redact)
		}
	case fieldOmitted:
		f.desired.OmittedChannels = nil
		if len(d.omitted) > 0 {
			f.desired.OmittedChannels = slices.Clone(d.omitted)
		}
	case fieldGroup:
		g := d.group()
		edit := steps.SpecEdit{Groups: []cloudapi.LogExportGroup{g}}
		if f.group != "" && f.group != g.LogName {
			edit.RemoveGroups = []string{f.group}
		}
		if spec, err := edit.Apply(f.desired); err == nil {
			f.desired = spec
		}
	}
	return ""
}

// introduced is what is wrong with the configuration once change is made
// that was not wrong before (steps.IntroducedProblems).
func (f *updateFlow) introduced(c cloudapi.Cluster, change func(*cloudapi.LogExportSpec)) error {
	after, _ := steps.SpecEdit{}.Apply(f.desired)
	change(&after)
	return steps.IntroducedProblems(f.desired, after, c)
}

func (f *updateFlow) checkLogGroup(c cloudapi.Cluster) func(string) error {
	return func(s string) error {
		name := strings.TrimSpace(s)
		if err := awsiam.ValidateLogGroupName(name); err != nil {
			return err
		}
		return f.introduced(c, func(sp *cloudapi.LogExportSpec) { sp.LogName = name })
	}
}

// checkRole accepts a role ARN, and a policy ARN so that the roles it is
// attached to can be looked up and offered; any other ARN is refused with
// the reason.
func (f *updateFlow) checkRole(c cloudapi.Cluster) func(string) error {
	return func(s string) error {
		if err := validateRoleARN(s); err != nil {
			return err
		}
		arn := strings.TrimSpace(s)
		if awsiam.Classify(arn) == awsiam.KindPolicy {
			return nil
		}
		return f.introduced(c, func(sp *cloudapi.LogExportSpec) { sp.AuthPrincipal = arn })
	}
}

func (f *updateFlow) checkOmitted(c cloudapi.Cluster) func([]string) error {
	return func(chs []string) error {
		return f.introduced(c, func(sp *cloudapi.LogExportSpec) { sp.OmittedChannels = chs })
	}
}

func updLogGroupForm(k formKit, d *updateDraft, regions []string, check func(string) error) *huh.Form {
	nameDesc := fmt.Sprintf("Logs go to the log group of this name in %s; the review shows which must be created. 1 to 512 letters, digits and . - _ / #.", strings.Join(regions, ", "))
	retentionDesc := "For the log groups the update creates; existing groups keep theirs."
	return k.form(huh.NewGroup(
		huh.NewInput().
			Title(k.title("Log group (log_name)", nameDesc, d.logGroup)).
			Description(k.desc(nameDesc)).
			Value(&d.logGroup).
			Validate(k.keepDefault(check)),
		huh.NewSelect[int]().
			Title(k.title("Retention of new log groups", retentionDesc, "")).
			Description(k.desc(retentionDesc)).
			Options(retentionOptions()...).
			Inline(true).
			Value(&d.retention),
	))
}

func updRoleForm(k formKit, d *updateDraft, c cloudapi.Cluster, check func(string) error) *huh.Form {
	desc := fmt.Sprintf("The role CockroachDB Cloud assumes (auth_principal): arn:aws:iam::ACCOUNT:role/NAME, trusting the cluster's account %s. Not the ARN of a policy.", c.ExportAccountID())
	return k.form(huh.NewGroup(
		huh.NewInput().
			Title(k.title("Role ARN", desc, d.roleARN)).
			Description(k.desc(desc)).
			Placeholder("arn:aws:iam::123456789012:role/CockroachCloudLogExportRole").
			Value(&d.roleARN).
			Validate(k.keepDefault(check)),
	))
}

func updRegionForm(k formKit, d *updateDraft, c cloudapi.Cluster) *huh.Form {
	desc := "With an export region, every region's logs go to the log group in that region."
	opts := []huh.Option[string]{huh.NewOption("None: each region exports to its own log group", "")}
	for _, r := range c.RegionNames() {
		opts = append(opts, huh.NewOption(r, r))
	}
	return k.form(huh.NewGroup(
		huh.NewSelect[string]().
			Title(k.title("Export region (region)", desc, "")).
			Description(k.desc(desc)).
			Options(opts...).
			Value(&d.region),
	))
}

func updRedactForm(k formKit, d *updateDraft) *huh.Form {
	desc := "Redaction replaces sensitive data (SQL values, personal data) in the exported logs with markers. A group can override it."
	return k.form(huh.NewGroup(
		huh.NewSelect[bool]().
			Title(k.title("Redaction (redact)", desc, "")).
			Description(k.desc(desc)).
			Options(
				huh.NewOption("Off: logs are exported as written", false),
				huh.NewOption("On: sensitive data is redacted", true),
			).
			Value(&d.redact),
	))
}

func updOmittedForm(k formKit, d *updateDraft, check func([]string) error) *huh.Form {
	desc := "Channels that are not exported at all. Only exportable channels are offered."
	opts := make([]huh.Option[string], 0, len(cloudapi.ExportableChannels()))
	for _, ch := range cloudapi.ExportableChannels() {
		opts = append(opts, huh.NewOption(ch, ch))
	}
	return k.form(huh.NewGroup(
		huh.NewMultiSelect[string]().
			Title(k.title("Omitted channels (omitted_channels)", desc, "")).
			Description(k.desc(desc)).
			Value(&d.omitted).
			Options(opts...).
			Filterable(false).
			Validate(check),
	))
}

// toGroups lists the groups, to edit or remove one, or add one.
func (f *updateFlow) toGroups(m *Model) tea.Cmd {
	f.stage = updGroups
	f.field = fieldGroups
	opts := make([]huh.Option[string], 0, len(f.desired.Groups)+2)
	for _, g := range f.desired.Groups {
		opts = append(opts, huh.NewOption(steps.FormatGroup(g), g.LogName))
	}
	opts = append(opts, huh.NewOption("Add a group", choiceAddGroup), huh.NewOption("Back", choiceBack))
	title := "Groups send channels to log groups of their own"
	sel := huh.NewSelect[string]().Title(title).Options(opts...).Value(&f.choice)
	return m.setForm(m.kit.form(huh.NewGroup(sel)))
}

func (f *updateFlow) toGroupAction(m *Model) tea.Cmd {
	f.stage = updGroupAction
	return m.setForm(choiceForm(m.kit, "Group "+f.group, &f.choice,
		huh.NewOption("Edit it", choiceEditGroup),
		huh.NewOption("Remove it (its channels go to the main log group again)", choiceRemove),
		huh.NewOption("Back", choiceBack)))
}

// openGroup shows a group's form: its settings, then its channels. name
// "" adds a group.
func (f *updateFlow) openGroup(m *Model, name string) tea.Cmd {
	f.stage = updField
	f.field = fieldGroup
	f.group = name
	d := &f.draft
	d.gName, d.gChannels, d.gLevel, d.gRedact, d.gQueue = "", nil, cloudapi.LevelUnspecified, groupRedactInherit, false
	if i := slices.IndexFunc(f.desired.Groups, func(g cloudapi.LogExportGroup) bool { return g.LogName == name }); i >= 0 && name != "" {
		g := f.desired.Groups[i]
		d.gName, d.gChannels = g.LogName, slices.Clone(g.Channels)
		if g.MinLevel != "" {
			d.gLevel = g.MinLevel
		}
		if g.Redact != nil {
			d.gRedact = groupRedactOff
			if *g.Redact {
				d.gRedact = groupRedactOn
			}
		}
		d.gQueue = boolValue(g.EnableSendingQueue)
	}
	return m.setForm(updGroupForm(m.kit, d, f.checkGroupName(), f.checkGroupQueue(), f.checkGroupChannels(m.cluster)))
}

// group is the group the draft describes.
func (d *updateDraft) group() cloudapi.LogExportGroup {
	g := cloudapi.LogExportGroup{LogName: strings.TrimSpace(d.gName), Channels: slices.Clone(d.gChannels)}
	if d.gLevel != cloudapi.LevelUnspecified {
		g.MinLevel = d.gLevel
	}
	switch d.gRedact {
	case groupRedactOn:
		g.Redact = cloudapi.Bool(true)
	case groupRedactOff:
		g.Redact = cloudapi.Bool(false)
	}
	if d.gQueue {
		g.EnableSendingQueue = cloudapi.Bool(true)
	}
	return g
}

// otherGroups are the configuration's groups but the one being edited.
func (f *updateFlow) otherGroups() []cloudapi.LogExportGroup {
	var out []cloudapi.LogExportGroup
	for _, g := range f.desired.Groups {
		if f.group == "" || g.LogName != f.group {
			out = append(out, g)
		}
	}
	return out
}

func (f *updateFlow) checkGroupName() func(string) error {
	return func(s string) error { return steps.CheckGroupName(strings.TrimSpace(s), f.otherGroups()) }
}

func (f *updateFlow) checkGroupQueue() func(bool) error {
	return func(on bool) error {
		g := f.draft.group()
		g.EnableSendingQueue = cloudapi.Bool(on)
		return steps.CheckGroupQueue(g, f.otherGroups())
	}
}

// checkGroupChannels runs last, with the rest of the group known: the
// group's own rules, then whatever else the whole configuration gains.
func (f *updateFlow) checkGroupChannels(c cloudapi.Cluster) func([]string) error {
	return func(chs []string) error {
		g := f.draft.group()
		g.Channels = chs
		if err := steps.CheckGroupChannels(g, f.otherGroups()); err != nil {
			return err
		}
		return f.introduced(c, func(sp *cloudapi.LogExportSpec) {
			sp.Groups = append(f.otherGroups(), g)
		})
	}
}

func updGroupForm(k formKit, d *updateDraft, checkName func(string) error, checkQueue func(bool) error, checkChannels func([]string) error) *huh.Form {
	nameDesc := "The log group this group's channels go to, in every destination region."
	levelDesc := "Only entries at this severity or above are exported."
	queueTitle := "Sending queue (enable_sending_queue; one group at most)"
	levels := []huh.Option[cloudapi.LogLevel]{
		huh.NewOption("all levels", cloudapi.LevelUnspecified),
		huh.NewOption("WARNING", cloudapi.LevelWarning),
		huh.NewOption("ERROR", cloudapi.LevelError),
		huh.NewOption("FATAL", cloudapi.LevelFatal),
	}
	chOpts := make([]huh.Option[string], 0, len(cloudapi.ExportableChannels()))
	for _, ch := range cloudapi.ExportableChannels() {
		chOpts = append(chOpts, huh.NewOption(ch, ch))
	}
	return k.form(
		huh.NewGroup(
			huh.NewInput().
				Title(k.title("Group log name", nameDesc, d.gName)).
				Description(k.desc(nameDesc)).
				Value(&d.gName).
				Validate(k.keepDefault(checkName)),
			huh.NewSelect[cloudapi.LogLevel]().
				Title(k.title("Minimum level (min_level)", levelDesc, "")).
				Description(k.desc(levelDesc)).
				Options(levels...).
				Inline(true).
				Value(&d.gLevel),
			huh.NewSelect[string]().
				Title("Redaction").
				Options(
					huh.NewOption("as the configuration", groupRedactInherit),
					huh.NewOption("on", groupRedactOn),
					huh.NewOption("off", groupRedactOff),
				).
				Inline(true).
				Value(&d.gRedact),
			huh.NewConfirm().
				Title(queueTitle).
				Affirmative("Yes").
				Negative("No").
				Inline(true).
				Value(&d.gQueue).
				Validate(checkQueue),
		),
		huh.NewGroup(
			huh.NewMultiSelect[string]().
				Title(k.title("Channels of this group", "Space selects; each channel can go to one group only.", "")).
				Description(k.desc("Space selects; each channel can go to one group only.")).
				Value(&d.gChannels).
				Options(chOpts...).
				Filterable(false).
				Validate(checkChannels),
		),
	)
}

// lookupRoles follows a policy ARN given as the role: the roles it is
// attached to are looked up and offered.
func (f *updateFlow) lookupRoles(m *Model, arn string) tea.Cmd {
	f.stage = updRoleLookup
	f.rolesFor = arn
	m.form = nil
	look := lookupRoles(m.ctx, m.env, arn)
	return tea.Batch(func() tea.Msg { return updRolesMsg(look().(rolesMsg)) }, m.spin.Tick)
}

func (f *updateFlow) rolesFound(m *Model, msg updRolesMsg) tea.Cmd {
	if f.stage != updRoleLookup || msg.policyARN != f.rolesFor {
		return nil
	}
	f.roles, f.rolesErr = msg.roles, msg.err
	f.stage = updRolePick
	opts := make([]huh.Option[string], 0, len(msg.roles)+2)
	for _, r := range msg.roles {
		opts = append(opts, huh.NewOption("Use "+r, r))
	}
	opts = append(opts,
		huh.NewOption("Enter another ARN", choiceAnotherARN),
		huh.NewOption("Keep the role in use", choiceBack))
	title := "Which role?"
	if len(msg.roles) == 0 {
		title = "What now?"
	}
	return m.setForm(choiceForm(m.kit, title, &f.choice, opts...))
}

// rolesText says what the lookup of a policy's roles found.
func rolesText(roles []string, err error) string {
	switch {
	case err != nil:
		return "The roles it is attached to could not be listed: " + err.Error()
	case len(roles) == 0:
		return "It is attached to no role."
	}
	return fmt.Sprintf("It is attached to %d %s:", len(roles), plural(len(roles), "role", "roles"))
}

// resume is the command that repeats this update without questions: the
// changes as flags, each value shell-quoted. It applies to the
// configuration in force whether or not an interrupted run already sent
// the new one (a removed group is expressed by listing every group).
// Never the API key: no flag carries it.
func (f *updateFlow) resume() string {
	if f.target == nil {
		return ""
	}
	diff := steps.DiffSpecs(f.target.Current.Spec, f.desired)
	if len(diff) == 0 && !f.changed {
		return ""
	}
	name := firstNonEmpty(f.target.Cluster.Name, f.target.Cluster.ID)
	parts := []string{f.resumeBase, "--cluster", steps.ShellQuote(name)}
	add := func(flag, value string) { parts = append(parts, flag, steps.ShellQuote(value)) }
	d := f.desired
	var changedGroups []string
	removed := false
	for _, c := range diff {
		switch {
		case c.Field == "log_name":
			add("--log-group", d.LogName)
		case c.Field == "auth_principal":
			add("--role-arn", d.AuthPrincipal)
		case c.Field == "region":
			add("--export-region", d.Region)
		case c.Field == "redact":
			parts = append(parts, "--redact="+strconv.FormatBool(boolValue(d.Redact)))
		case c.Field == "omitted_channels":
			add("--omit-channels", strings.Join(d.OmittedChannels, ","))
		case strings.HasPrefix(c.Field, "groups["):
			name := strings.TrimSuffix(strings.TrimPrefix(c.Field, "groups["), "]")
			if slices.ContainsFunc(d.Groups, func(g cloudapi.LogExportGroup) bool { return g.LogName == name }) {
				changedGroups = append(changedGroups, name)
			} else {
				removed = true
			}
		}
	}
	groups := d.Groups
	if removed {
		parts = append(parts, "--clear-groups")
	} else {
		groups = slices.DeleteFunc(slices.Clone(groups), func(g cloudapi.LogExportGroup) bool { return !slices.Contains(changedGroups, g.LogName) })
	}
	for _, g := range groups {
		add("--group", steps.FormatGroup(g))
	}
	if f.retention != steps.DefaultRetentionDays {
		add("--retention-days", strconv.Itoa(f.retention))
	}
	if f.skipAWS {
		parts = append(parts, "--create-log-groups=false", "--extend-policy=false")
	}
	if f.noWait && !strings.Contains(f.resumeBase, "--no-wait") {
		parts = append(parts, "--no-wait")
	}
	return strings.Join(append(parts, "--yes"), " ")
}
