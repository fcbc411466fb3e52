package update

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
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// The edit screen's choices beside its fields.
const (
	choiceReview     = "review"
	choiceQuit       = "quit"
	choiceAddGroup   = "add-group"
	choiceBack       = "back"
	choiceRemove     = "remove"
	choiceEditGroup  = "edit-group"
	choiceAnotherARN = "another-arn"
)

// choiceForm is a choice of the edit screen's own.
func (m *Model) choiceForm(title string, value *string, opts ...huh.Option[string]) *huh.Form {
	*value = opts[0].Value
	return m.sh.Forms.Form(huh.NewGroup(huh.NewSelect[string]().Title(title).Options(opts...).Value(value)))
}

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

// draft holds what a field's form is editing; the configuration
// changes only when the form is submitted.
type draft struct {
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
func (m *Model) toEditing() tea.Cmd {
	m.stage = editing
	m.field = ""
	sel := huh.NewSelect[string]().
		Title("What would you like to change?").
		Options(m.editOptions(m.sh.ContentWidth())...).
		Value(&m.choice)
	return m.sh.SetForm(m.sh.Forms.Form(huh.NewGroup(sel)), m.changesNote())
}

// changedFields are the API fields (and "groups") the edit changes.
func (m *Model) changedFields() map[string]bool {
	out := map[string]bool{}
	for _, d := range steps.DiffSpecs(m.target.Current.Spec, m.desired) {
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
func (m *Model) editOptions(w int) []huh.Option[string] {
	d := m.desired
	changed := m.changedFields()
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
		review += fmt.Sprintf(" (%d %s changed)", n, kit.Plural(n, "field", "fields"))
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
func (m *Model) openField(field string) tea.Cmd {
	if field == fieldGroups {
		m.choice = ""
		return m.toGroups()
	}
	form := m.fieldForm(m.sh.Forms, m.sh.Session.Cluster, field)
	if form == nil {
		return m.toEditing()
	}
	m.stage = editField
	m.field = field
	return m.sh.SetForm(form)
}

// fieldForm fills the draft of a field with its value and returns its
// form; nil for what is not a single field.
func (m *Model) fieldForm(k kit.Forms, c cloudapi.Cluster, field string) *huh.Form {
	d := &m.draft
	switch field {
	case fieldLogGroup:
		d.logGroup, d.retention = m.desired.LogName, m.retention
		return updLogGroupForm(k, d, c.ExportRegions(m.desired), m.checkLogGroup(c))
	case fieldRole:
		d.roleARN = m.desired.AuthPrincipal
		return updRoleForm(k, d, c, m.checkRole(c))
	case fieldRegion:
		d.region = m.desired.Region
		return updRegionForm(k, d, c)
	case fieldRedact:
		d.redact = boolValue(m.desired.Redact)
		return updRedactForm(k, d)
	case fieldOmitted:
		d.omitted = slices.Clone(m.desired.OmittedChannels)
		return updOmittedForm(k, d, m.checkOmitted(c))
	}
	return nil
}

// fieldDone applies a submitted form to the configuration and goes back
// to the edit screen (or the groups' list, or the roles a policy ARN is
// attached to).
func (m *Model) fieldDone() tea.Cmd {
	if policy := m.applyDraft(m.field); policy != "" {
		return m.lookupRoles(policy)
	}
	if m.field == fieldGroup {
		m.choice = m.draft.group().LogName
		return m.toGroups()
	}
	m.choice = choiceReview
	return m.toEditing()
}

// applyDraft makes the configuration what the draft of field says. A
// policy ARN given as the role changes nothing and is returned, for the
// roles it is attached to to be offered instead.
func (m *Model) applyDraft(field string) (policyARN string) {
	d := &m.draft
	cur := m.target.Current.Spec
	m.specErr = nil
	switch field {
	case fieldLogGroup:
		if name := strings.TrimSpace(d.logGroup); name != "" {
			m.desired.LogName = name
		}
		m.retention = d.retention
	case fieldRole:
		arn := strings.TrimSpace(d.roleARN)
		if awsiam.Classify(arn) == awsiam.KindPolicy {
			return arn
		}
		if arn != "" {
			m.desired.AuthPrincipal = arn
		}
	case fieldRegion:
		m.desired.Region = d.region
	case fieldRedact:
		if d.redact == boolValue(cur.Redact) {
			// Back to what is in force, as the API reported it.
			m.desired.Redact = cur.Redact
		} else {
			m.desired.Redact = cloudapi.Bool(d.redact)
		}
	case fieldOmitted:
		m.desired.OmittedChannels = nil
		if len(d.omitted) > 0 {
			m.desired.OmittedChannels = slices.Clone(d.omitted)
		}
	case fieldGroup:
		g := d.group()
		edit := steps.SpecEdit{Groups: []cloudapi.LogExportGroup{g}}
		if m.group != "" && m.group != g.LogName {
			edit.RemoveGroups = []string{m.group}
		}
		if spec, err := edit.Apply(m.desired); err == nil {
			m.desired = spec
		}
	}
	return ""
}

// introduced is what is wrong with the configuration once change is made
// that was not wrong before (steps.IntroducedProblems).
func (m *Model) introduced(c cloudapi.Cluster, change func(*cloudapi.LogExportSpec)) error {
	after, _ := steps.SpecEdit{}.Apply(m.desired)
	change(&after)
	return steps.IntroducedProblems(m.desired, after, c)
}

func (m *Model) checkLogGroup(c cloudapi.Cluster) func(string) error {
	return func(s string) error {
		name := strings.TrimSpace(s)
		if err := awsiam.ValidateLogGroupName(name); err != nil {
			return err
		}
		return m.introduced(c, func(sp *cloudapi.LogExportSpec) { sp.LogName = name })
	}
}

// checkRole accepts a role ARN, and a policy ARN so that the roles it is
// attached to can be looked up and offered; any other ARN is refused with
// the reason.
func (m *Model) checkRole(c cloudapi.Cluster) func(string) error {
	return func(s string) error {
		if err := kit.ValidateRoleARN(s); err != nil {
			return err
		}
		arn := strings.TrimSpace(s)
		if awsiam.Classify(arn) == awsiam.KindPolicy {
			return nil
		}
		return m.introduced(c, func(sp *cloudapi.LogExportSpec) { sp.AuthPrincipal = arn })
	}
}

func (m *Model) checkOmitted(c cloudapi.Cluster) func([]string) error {
	return func(chs []string) error {
		return m.introduced(c, func(sp *cloudapi.LogExportSpec) { sp.OmittedChannels = chs })
	}
}

func updLogGroupForm(k kit.Forms, d *draft, regions []string, check func(string) error) *huh.Form {
	nameDesc := fmt.Sprintf("Logs go to the log group of this name in %s; the review shows which must be created. 1 to 512 letters, digits and . - _ / #.", strings.Join(regions, ", "))
	retentionDesc := "For the log groups the update creates; existing groups keep theirs."
	return k.Form(huh.NewGroup(
		k.Input("Log group (log_name)", nameDesc, &d.logGroup, check),
		kit.Select(k, "Retention of new log groups", retentionDesc, &d.retention, kit.RetentionOptions()...).Inline(true),
	))
}

func updRoleForm(k kit.Forms, d *draft, c cloudapi.Cluster, check func(string) error) *huh.Form {
	desc := fmt.Sprintf("The role CockroachDB Cloud assumes (auth_principal): arn:aws:iam::ACCOUNT:role/NAME, trusting the cluster's account %s. Not the ARN of a policy.", c.ExportAccountID())
	return k.Form(huh.NewGroup(k.Input("Role ARN", desc, &d.roleARN, check).Placeholder(kit.RoleARNPlaceholder)))
}

func updRegionForm(k kit.Forms, d *draft, c cloudapi.Cluster) *huh.Form {
	desc := "With an export region, every region's logs go to the log group in that region."
	opts := []huh.Option[string]{huh.NewOption("None: each region exports to its own log group", "")}
	for _, r := range c.RegionNames() {
		opts = append(opts, huh.NewOption(r, r))
	}
	return k.Form(huh.NewGroup(kit.Select(k, "Export region (region)", desc, &d.region, opts...)))
}

func updRedactForm(k kit.Forms, d *draft) *huh.Form {
	desc := "Redaction replaces sensitive data (SQL values, personal data) in the exported logs with markers. A group can override it."
	return k.Form(huh.NewGroup(kit.Select(k, "Redaction (redact)", desc, &d.redact,
		huh.NewOption("Off: logs are exported as written", false),
		huh.NewOption("On: sensitive data is redacted", true),
	)))
}

func updOmittedForm(k kit.Forms, d *draft, check func([]string) error) *huh.Form {
	desc := "Channels that are not exported at all. Only exportable channels are offered."
	return k.Form(huh.NewGroup(
		huh.NewMultiSelect[string]().
			Title(k.Title("Omitted channels (omitted_channels)", desc, "")).
			Description(k.Desc(desc)).
			Value(&d.omitted).
			Options(kit.ChannelOptions()...).
			Filterable(false).
			Validate(check),
	))
}

// toGroups lists the groups, to edit or remove one, or add one.
func (m *Model) toGroups() tea.Cmd {
	m.stage = editGroups
	m.field = fieldGroups
	opts := make([]huh.Option[string], 0, len(m.desired.Groups)+2)
	for _, g := range m.desired.Groups {
		opts = append(opts, huh.NewOption(steps.FormatGroup(g), g.LogName))
	}
	opts = append(opts, huh.NewOption("Add a group", choiceAddGroup), huh.NewOption("Back", choiceBack))
	title := "Groups send channels to log groups of their own"
	sel := huh.NewSelect[string]().Title(title).Options(opts...).Value(&m.choice)
	return m.sh.SetForm(m.sh.Forms.Form(huh.NewGroup(sel)))
}

func (m *Model) toGroupAction() tea.Cmd {
	m.stage = editGroupAction
	return m.sh.SetForm(m.choiceForm("Group "+m.group, &m.choice,
		huh.NewOption("Edit it", choiceEditGroup),
		huh.NewOption("Remove it (its channels go to the main log group again)", choiceRemove),
		huh.NewOption("Back", choiceBack)))
}

// openGroup shows a group's form: its settings, then its channels. name
// "" adds a group.
func (m *Model) openGroup(name string) tea.Cmd {
	m.stage = editField
	m.field = fieldGroup
	m.group = name
	d := &m.draft
	d.gName, d.gChannels, d.gLevel, d.gRedact, d.gQueue = "", nil, cloudapi.LevelUnspecified, groupRedactInherit, false
	if i := slices.IndexFunc(m.desired.Groups, func(g cloudapi.LogExportGroup) bool { return g.LogName == name }); i >= 0 && name != "" {
		g := m.desired.Groups[i]
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
	return m.sh.SetForm(updGroupForm(m.sh.Forms, d, m.checkGroupName(), m.checkGroupQueue(), m.checkGroupChannels(m.sh.Session.Cluster)))
}

// group is the group the draft describes.
func (d *draft) group() cloudapi.LogExportGroup {
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
func (m *Model) otherGroups() []cloudapi.LogExportGroup {
	var out []cloudapi.LogExportGroup
	for _, g := range m.desired.Groups {
		if m.group == "" || g.LogName != m.group {
			out = append(out, g)
		}
	}
	return out
}

func (m *Model) checkGroupName() func(string) error {
	return func(s string) error { return steps.CheckGroupName(strings.TrimSpace(s), m.otherGroups()) }
}

func (m *Model) checkGroupQueue() func(bool) error {
	return func(on bool) error {
		g := m.draft.group()
		g.EnableSendingQueue = cloudapi.Bool(on)
		return steps.CheckGroupQueue(g, m.otherGroups())
	}
}

// checkGroupChannels runs last, with the rest of the group known: the
// group's own rules, then whatever else the whole configuration gains.
func (m *Model) checkGroupChannels(c cloudapi.Cluster) func([]string) error {
	return func(chs []string) error {
		g := m.draft.group()
		g.Channels = chs
		if err := steps.CheckGroupChannels(g, m.otherGroups()); err != nil {
			return err
		}
		return m.introduced(c, func(sp *cloudapi.LogExportSpec) {
			sp.Groups = append(m.otherGroups(), g)
		})
	}
}

func updGroupForm(k kit.Forms, d *draft, checkName func(string) error, checkQueue func(bool) error, checkChannels func([]string) error) *huh.Form {
	nameDesc := "The log group this group's channels go to, in every destination region."
	levelDesc := "Only entries at this severity or above are exported."
	queueTitle := "Sending queue (enable_sending_queue; one group at most)"
	levels := []huh.Option[cloudapi.LogLevel]{
		huh.NewOption("all levels", cloudapi.LevelUnspecified),
		huh.NewOption("WARNING", cloudapi.LevelWarning),
		huh.NewOption("ERROR", cloudapi.LevelError),
		huh.NewOption("FATAL", cloudapi.LevelFatal),
	}
	return k.Form(
		huh.NewGroup(
			k.Input("Group log name", nameDesc, &d.gName, checkName),
			kit.Select(k, "Minimum level (min_level)", levelDesc, &d.gLevel, levels...).Inline(true),
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
				Title(k.Title("Channels of this group", "Space selects; each channel can go to one group only.", "")).
				Description(k.Desc("Space selects; each channel can go to one group only.")).
				Value(&d.gChannels).
				Options(kit.ChannelOptions()...).
				Filterable(false).
				Validate(checkChannels),
		),
	)
}

// lookupRoles follows a policy ARN given as the role: the roles it is
// attached to are looked up and offered.
func (m *Model) lookupRoles(arn string) tea.Cmd {
	m.stage = pickingRole
	return m.roles.Look(arn)
}

// resume is the command that repeats this update without questions: the
// changes as flags, each value shell-quoted. It applies to the
// configuration in force whether or not an interrupted run already sent
// the new one (a removed group is expressed by listing every group).
// Never the API key: no flag carries it.
func (m *Model) resume() string {
	if m.target == nil {
		return ""
	}
	diff := steps.DiffSpecs(m.target.Current.Spec, m.desired)
	if len(diff) == 0 && !m.changed {
		return ""
	}
	name := m.target.Cluster.Name
	if name == "" {
		name = m.target.Cluster.ID
	}
	parts := []string{m.cfg.ResumeBase, "--cluster", steps.ShellQuote(name)}
	add := func(flag, value string) { parts = append(parts, flag, steps.ShellQuote(value)) }
	d := m.desired
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
	if m.retention != steps.DefaultRetentionDays {
		add("--retention-days", strconv.Itoa(m.retention))
	}
	if m.skipAWS {
		parts = append(parts, "--create-log-groups=false", "--extend-policy=false")
	}
	if m.cfg.Options.NoWait && !strings.Contains(m.cfg.ResumeBase, "--no-wait") {
		parts = append(parts, "--no-wait")
	}
	return strings.Join(append(parts, "--yes"), " ")
}

// submitted acts on a completed form of the edit screen.
func (m *Model) submitted() tea.Cmd {
	switch m.stage {
	case editing:
		switch m.choice {
		case choiceReview:
			return m.answer(nil)
		case choiceQuit:
			return m.answer(steps.ErrQuit)
		}
		return m.openField(m.choice)
	case editField:
		return m.fieldDone()
	case editGroups:
		switch m.choice {
		case choiceBack:
			m.choice = fieldGroups
			if m.changedFields()["groups"] {
				m.choice = choiceReview
			}
			return m.toEditing()
		case choiceAddGroup:
			return m.openGroup("")
		}
		m.group = m.choice
		return m.toGroupAction()
	case editGroupAction:
		switch m.choice {
		case choiceEditGroup:
			return m.openGroup(m.group)
		case choiceRemove:
			edit := steps.SpecEdit{RemoveGroups: []string{m.group}}
			if spec, err := edit.Apply(m.desired); err == nil {
				m.desired = spec
			}
			m.choice = choiceAddGroup
		default:
			m.choice = m.group
		}
		return m.toGroups()
	case pickingRole:
		switch m.roles.Pick {
		case choiceAnotherARN:
			m.draft.roleARN = ""
			return m.openField(fieldRole)
		case choiceBack:
			m.choice = fieldRole
			return m.toEditing()
		}
		m.desired.AuthPrincipal = m.roles.Pick
		m.choice = choiceReview
		return m.toEditing()
	}
	return nil
}

// answer ends the edit: the change made (v nil, to review), or leaving
// without one (steps.ErrQuit).
func (m *Model) answer(v any) tea.Cmd {
	a := m.q
	if a == nil {
		return nil
	}
	m.q = nil
	m.sh.SetForm(nil)
	if v == nil {
		q := a.Decision.(*steps.UpdateQuestions)
		q.Desired, q.RetentionDays = m.desired, m.retention
		m.stage = planning
	}
	a.Reply(v)
	return m.sh.SpinTick()
}
