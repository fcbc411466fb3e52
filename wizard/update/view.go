package update

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// updateStepIDs are the documented steps an update runs, in order.
var updateStepIDs = []string{steps.StepLogGroup, steps.StepPermissions, steps.StepRoleARN, steps.StepEnable}

// View draws the update, or connecting.
func (m *Model) View(w, h int) string {
	if m.Conn.Active() {
		return m.Conn.View(w)
	}
	sh := m.sh
	s, spin := sh.Styles, sh.Spin.View()
	switch m.stage {
	case loading:
		return kit.SpinnerLine(spin, kit.StageText(steps.StageUpdateLoad, "", ""), w)
	case loadFailed, planFailed:
		return kit.ErrorBlock(m.err, s, w, 0) + "\n\n" + sh.FormView()
	case editing:
		return m.editBody(w, h)
	case editField, editGroups, editGroupAction:
		out := m.fieldHead(w) + "\n\n" + sh.FormView()
		if m.field == fieldRole {
			if warn := kit.RoleARNWarning(m.draft.roleARN, "Press enter to see the roles it is attached to and pick one.", s, w); warn != "" {
				out += "\n" + warn
			}
		}
		return out
	case pickingRole:
		return m.roles.View(w)
	case planning:
		return kit.SpinnerLine(spin, kit.StageText(steps.StageUpdatePlan, "", ""), w)
	case review:
		return m.reviewBody(w, h)
	}
	return m.progressBody(w, h)
}

// Keys are the update's keys.
func (m *Model) Keys() []string {
	if m.Conn.Active() {
		return m.Conn.Keys()
	}
	switch m.stage {
	case applying:
		return []string{m.sh.StopKey()}
	case done:
		return []string{kit.KeyExit}
	case failed:
		return []string{kit.KeyQuit}
	case editField, editGroups, editGroupAction, pickingRole:
		return []string{kit.KeyBack, kit.KeyQuitUnmoved}
	case review:
		keys := []string{"pgup/pgdn scroll"}
		if m.plan.Permission != nil {
			keys = append(keys, "p policy", "c changes")
		}
		return append(keys, "esc edit", kit.KeyQuit)
	}
	return []string{kit.KeyQuitUnmoved}
}

// editBody is the edit screen: what is in force, the field menu, and the
// changes so far. The changes shrink to one line when the screen is short.
func (m *Model) editBody(w, h int) string {
	s := m.sh.Styles
	cur := m.target.Current
	head := s.Section.Render("Log export of "+m.target.Cluster.Name) + s.Faint.Render(" · "+string(cur.Status)+" · nothing changes until you review and confirm")
	head = kit.Wrap(head, w)
	if cur.UserMessage != "" {
		head += "\n" + kit.Wrap(s.Label.Render("user_message ")+cur.UserMessage, w)
	}
	out := head + "\n\n" + m.sh.FormView() + "\n\n" + m.changesPanel(w, false)
	if lipgloss.Height(out) > h {
		out = head + "\n\n" + m.sh.FormView() + "\n\n" + m.changesPanel(w, true)
	}
	return out
}

func (m *Model) changesPanel(w int, compact bool) string {
	s := m.sh.Styles
	var lines []string
	if m.flagsErr != nil {
		lines = append(lines, s.Warn.Render(kit.GlyphWarn+" The changes given as flags do not apply: ")+m.flagsErr.Error())
	}
	if m.specErr != nil {
		lines = append(lines, s.Fail.Render(kit.GlyphFailed+" To fix before the review:"))
		for _, e := range steps.Problems(m.specErr) {
			lines = append(lines, "  "+e.Error())
		}
	}
	diff := steps.DiffSpecs(m.target.Current.Spec, m.desired)
	switch {
	case len(diff) == 0:
		lines = append(lines, s.Faint.Render("No changes yet. The API replaces the whole configuration on every update: everything you do not change is sent again as it is."))
	case compact:
		fields := make([]string, len(diff))
		for i, d := range diff {
			fields[i] = d.Field
		}
		lines = append(lines, s.Section.Render("Changes ")+strings.Join(fields, ", "))
	default:
		lines = append(lines, s.Section.Render("Changes")+s.Faint.Render(" (everything else is sent again as it is)"))
		for _, d := range diff {
			lines = append(lines, "  "+d.Field+": "+s.Faint.Render(d.Old)+" → "+d.New)
		}
	}
	return kit.Wrap(strings.Join(lines, "\n"), w)
}

// fieldHead says what is being edited and how to leave without a change.
func (m *Model) fieldHead(w int) string {
	s := m.sh.Styles
	what := map[string]string{
		fieldLogGroup: "the log group", fieldRole: "the role", fieldRegion: "the export region",
		fieldRedact: "redaction", fieldOmitted: "the omitted channels", fieldGroups: "the groups",
		fieldGroup: "a group",
	}[m.field]
	if m.field == fieldGroup && m.group != "" {
		what = "group " + m.group
	}
	return kit.Wrap(s.Section.Render("Changing "+what)+s.Faint.Render(" of "+m.target.Cluster.Name+" · esc goes back without changing it"), w)
}

// reviewBody is the difference screen: the configuration's changes and the
// AWS changes they need, or the permission policy's change, scrollable,
// with the choice below.
func (m *Model) reviewBody(w, h int) string {
	s := m.sh.Styles
	title := s.Section.Render("Review") + s.Faint.Render(kit.Unapplied)
	if m.plan.Permission != nil {
		tabs := []string{"Changes", "Permission policy"}
		for i := range tabs {
			if pane(i) == m.pane {
				tabs[i] = s.Current.Render("[" + tabs[i] + "]")
			} else {
				tabs[i] = s.Faint.Render(tabs[i])
			}
		}
		title += "   " + strings.Join(tabs, " ")
	}
	title = kit.Wrap(title, w)
	content := m.reviewContent(w)
	form := m.sh.FormView()
	// title, blank, viewport, scroll line, blank, form
	room := h - lipgloss.Height(title) - 1 - 1 - 1 - lipgloss.Height(form)
	m.vp.SetWidth(w)
	m.vp.SetHeight(max(min(lipgloss.Height(content), room), 3))
	m.vp.SetContent(content)
	view := m.vp.View()
	if note := kit.ViewportNote(s, &m.vp, "pgup", "pgdn"); note != "" {
		view += "\n" + note
	}
	return title + "\n\n" + view + "\n\n" + form
}

func (m *Model) reviewContent(w int) string {
	s := m.sh.Styles
	p := m.plan
	if m.pane == panePolicy && p.Permission != nil {
		head := s.Section.Render("Permission policy") + s.Faint.Render(" "+p.PolicyARN+": a new default version covering every log group in every destination region")
		return kit.Wrap(head, w) + "\n\n" + kit.PolicyDiff(s, m.oldPolicy, p.Permission, w, true)
	}
	var b strings.Builder
	b.WriteString(kit.Wrap(s.Section.Render("Configuration")+s.Faint.Render(" — what changes; everything else is sent again as it is"), w))
	if len(p.Diff) == 0 {
		b.WriteString("\n" + strings.Join(kit.WrapIndented("stays as it is", 2, w, s.Faint), "\n"))
	}
	for _, d := range p.Diff {
		b.WriteString("\n" + strings.Join(kit.WrapIndented(d.Field, 2, w, s.Bold), "\n"))
		group := strings.HasPrefix(d.Field, "groups[")
		if !group || d.Old != "(none)" {
			b.WriteString("\n" + strings.Join(kit.WrapIndented("- "+d.Old, 4, w, s.Fail), "\n"))
		}
		if !group || d.New != "(none)" {
			b.WriteString("\n" + strings.Join(kit.WrapIndented("+ "+d.New, 4, w, s.OK), "\n"))
		}
	}
	b.WriteString("\n\n" + s.Section.Render("What applying does") + "\n")
	b.WriteString(kit.RenderSteps(m.reviewSteps(), s, w))
	return b.String()
}

// reviewSteps are the plan's steps without what the review shows
// elsewhere: the configuration's changes, and the permission policy's
// documents (in their own pane).
func (m *Model) reviewSteps() []steps.PlannedStep {
	shown := map[string]bool{}
	for _, d := range m.plan.Diff {
		shown[d.String()] = true
	}
	out := slices.Clone(m.plan.Steps)
	for i := range out {
		st := &out[i]
		policyPane := st.ID == steps.StepPermissions && m.plan.Permission != nil
		var details []string
		for _, d := range st.Details {
			if !shown[d] && !policyPane {
				details = append(details, d)
			}
		}
		if policyPane {
			details = append(details, "p shows the permission policy's change")
		}
		st.Details = details
	}
	return out
}

func (m *Model) stepList(w int) string {
	lines := make([]string, len(updateStepIDs))
	for i, id := range updateStepIDs {
		lines[i] = kit.TaskStepLine(m.sh.Styles, *m.progress.Marks.At(id), m.sh.Spin.View(), fmt.Sprintf("%2d. %s", steps.StepNumber(id), steps.StepTitle(id)), w)
	}
	return strings.Join(lines, "\n")
}

// progressBody is the update as it runs and how it ended: the steps, the
// export's live status, the logs arriving, then the failure and its
// choices or the outcome. Panels are left out, least useful first, until
// it fits the height.
func (m *Model) progressBody(w, h int) string {
	s := m.sh.Styles
	name := m.target.Cluster.Name
	var title string
	switch m.stage {
	case applying:
		title = s.Section.Render("Updating the log export of " + name)
	case failed:
		title = s.Fail.Render("The update of " + name + " stopped")
	default:
		title = s.Section.Render("Update of " + name + " finished")
	}
	var last string
	if mk := m.progress.Marks.At(m.progress.LastDone); m.stage == applying && mk != nil && mk.Summary != "" {
		last = kit.Wrap(s.Faint.Render(fmt.Sprintf("%d. %s", steps.StepNumber(m.progress.LastDone), mk.Summary)), w)
	}
	status := m.statusView(w)
	if m.stage == done && m.res != nil && m.res.Status == cloudapi.StatusEnabled {
		// The outcome says it.
		status = ""
	}
	var streams string
	if len(m.progress.Streams) > 0 {
		streams = kit.StreamsView(m.plan.Desired.LogName, m.plan.Regions, m.progress.Streams, m.stage == done, m.sh.Now(), s, w)
	}
	var end string
	switch m.stage {
	case failed:
		end = m.failurePanel(w)
	case done:
		end = m.outcomePanel(w)
	}
	layouts := [][]string{
		{title + "\n" + m.stepList(w), last, status, streams, end},
		{title + "\n" + m.stepList(w), status, streams, end},
		{title, status, streams, end},
		{title, end},
	}
	var out string
	for _, parts := range layouts {
		out = strings.Join(slices.DeleteFunc(parts, func(p string) bool { return p == "" }), "\n\n")
		if lipgloss.Height(out) <= h {
			break
		}
	}
	return out
}

func (m *Model) statusView(w int) string {
	return m.progress.StatusView(m.sh.Styles, m.sh.Spin.View(), "Sending the whole configuration…", m.stage == applying, m.sh.Now(), w)
}

func (m *Model) failurePanel(w int) string {
	s := m.sh.Styles
	var b strings.Builder
	b.WriteString(kit.ErrorBlock(m.err, s, w, 0))
	if m.progress.Status != nil && m.progress.Status.Info.Status.Failed() || kit.IsEnableFailure(m.err) {
		b.WriteString("\n" + kit.Wrap(s.Label.Render("Diagnose ")+s.Command.Render("crdb-logexport doctor --cluster "+m.target.Cluster.Name), w))
	}
	b.WriteString(kit.ResumeLine(s, m.sh.Advice(m.resume()), w))
	if form := m.sh.FormView(); form != "" {
		b.WriteString("\n\n" + form)
	}
	return b.String()
}

// outcomePanel is what the update did: the export's status, the fields
// changed, what was created and changed in AWS, and what to run next.
func (m *Model) outcomePanel(w int) string {
	s := m.sh.Styles
	r := m.res
	var lines []string
	switch {
	case r.Status == cloudapi.StatusEnabled:
		lines = append(lines, s.OK.Render(kit.GlyphDone+" Log export of "+r.ClusterName+" is ENABLED with the new configuration"))
	case m.cfg.Options.NoWait:
		lines = append(lines, s.Warn.Render(fmt.Sprintf("Log export of %s is %s", r.ClusterName, kit.OrUnknown(string(r.Status))))+s.Faint.Render(" (not waited for: --no-wait)"))
	default:
		lines = append(lines, s.Warn.Render(fmt.Sprintf("Log export of %s is %s", r.ClusterName, kit.OrUnknown(string(r.Status)))))
	}
	for _, d := range r.Diff {
		lines = append(lines, s.Label.Render("changed ")+d.String())
	}
	for _, c := range createdText(r.Created) {
		lines = append(lines, s.Label.Render("created ")+c)
	}
	for _, c := range r.Changed {
		if !strings.HasPrefix(c, "log export configuration") {
			lines = append(lines, s.Label.Render("changed ")+c)
		}
	}
	if len(r.Diff) == 0 && len(r.Created) == 0 && len(r.Changed) == 0 {
		lines = append(lines, s.Faint.Render("Nothing needed changing."))
	}
	lines = append(lines, s.Section.Render("Next ")+s.Command.Render("crdb-logexport status --cluster "+r.ClusterName)+s.Faint.Render(" · ")+s.Command.Render("crdb-logexport doctor --cluster "+r.ClusterName))
	return kit.Wrap(strings.Join(lines, "\n"), w)
}

// createdText says what an update created, a log group's regions on one
// line: "log group crdb-prod-v2 in eu-west-1, us-east-1".
func createdText(arns []string) []string {
	var names, out []string
	regions := map[string][]string{}
	for _, arn := range arns {
		// arn:aws:logs:REGION:ACCOUNT:log-group:NAME
		parts := strings.SplitN(arn, ":", 7)
		if len(parts) != 7 || parts[5] != "log-group" {
			out = append(out, arn)
			continue
		}
		if _, ok := regions[parts[6]]; !ok {
			names = append(names, parts[6])
		}
		regions[parts[6]] = append(regions[parts[6]], parts[3])
	}
	for _, n := range names {
		out = append(out, "log group "+n+" in "+strings.Join(regions[n], ", "))
	}
	return out
}

// changesNote is the edit screen's account in words: what accessible mode
// says before the choice.
func (m *Model) changesNote() string {
	if !m.sh.Accessible {
		return ""
	}
	head := fmt.Sprintf("Log export of %s, status %s. Nothing changes until you review and confirm.", m.target.Cluster.Name, m.target.Current.Status)
	return head + "\n" + ansi.Strip(m.changesPanel(kit.Width, false))
}
