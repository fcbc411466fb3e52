package wizard

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

func (f *updateFlow) body(m *Model, w, h int) string {
	switch f.stage {
	case updLoading:
		return m.spinnerLine("Reading the configuration in force, the cluster and the AWS identity (read-only)…", w)
	case updLoadFailed, updPlanFailed:
		return m.errorBlock(f.err, w) + "\n\n" + m.formView()
	case updEditing:
		return f.editBody(m, w, h)
	case updField, updGroups, updGroupAction:
		out := f.fieldHead(m, w) + "\n\n" + m.formView()
		if f.field == fieldRole {
			if warn := m.roleARNWarning(f.draft.roleARN, "Press enter to see the roles it is attached to and pick one.", w); warn != "" {
				out += "\n" + warn
			}
		}
		return out
	case updRoleLookup:
		return m.roleARNWarning(f.rolesFor, "", w) + "\n\n" + m.spinnerLine("Looking up the roles this policy is attached to (iam:ListEntitiesForPolicy)…", w)
	case updRolePick:
		return m.roleARNWarning(f.rolesFor, "", w) + "\n\n" + ansi.Wrap(rolesText(f.roles, f.rolesErr), w, "") + "\n" + m.formView()
	case updPlanning:
		return m.spinnerLine("Checking the new configuration and what AWS needs for it (read-only)…", w)
	case updReview:
		return f.reviewBody(m, w, h)
	}
	return f.progressBody(m, w, h)
}

// editBody is the edit screen: what is in force, the field menu, and the
// changes so far. The changes shrink to one line when the screen is short.
func (f *updateFlow) editBody(m *Model, w, h int) string {
	s := m.styles
	cur := f.target.Current
	head := s.Section.Render("Log export of "+f.target.Cluster.Name) + s.Faint.Render(" · "+string(cur.Status)+" · nothing changes until you review and confirm")
	head = ansi.Wrap(head, w, "")
	if cur.UserMessage != "" {
		head += "\n" + ansi.Wrap(s.Label.Render("user_message ")+cur.UserMessage, w, "")
	}
	out := head + "\n\n" + m.formView() + "\n\n" + f.changesPanel(m, w, false)
	if lipgloss.Height(out) > h {
		out = head + "\n\n" + m.formView() + "\n\n" + f.changesPanel(m, w, true)
	}
	return out
}

func (f *updateFlow) changesPanel(m *Model, w int, compact bool) string {
	s := m.styles
	var lines []string
	if f.flagsErr != nil {
		lines = append(lines, s.Warn.Render(glyphWarn+" The changes given as flags do not apply: ")+f.flagsErr.Error())
	}
	if f.specErr != nil {
		lines = append(lines, s.Fail.Render(glyphFailed+" To fix before the review:"))
		for _, e := range steps.Problems(f.specErr) {
			lines = append(lines, "  "+e.Error())
		}
	}
	diff := steps.DiffSpecs(f.target.Current.Spec, f.desired)
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
	return ansi.Wrap(strings.Join(lines, "\n"), w, "")
}

// fieldHead says what is being edited and how to leave without a change.
func (f *updateFlow) fieldHead(m *Model, w int) string {
	s := m.styles
	what := map[string]string{
		fieldLogGroup: "the log group", fieldRole: "the role", fieldRegion: "the export region",
		fieldRedact: "redaction", fieldOmitted: "the omitted channels", fieldGroups: "the groups",
		fieldGroup: "a group",
	}[f.field]
	if f.field == fieldGroup && f.group != "" {
		what = "group " + f.group
	}
	return ansi.Wrap(s.Section.Render("Changing "+what)+s.Faint.Render(" of "+f.target.Cluster.Name+" · esc goes back without changing it"), w, "")
}

// reviewBody is the difference screen: the configuration's changes and the
// AWS changes they need, or the permission policy's change, scrollable,
// with the choice below.
func (f *updateFlow) reviewBody(m *Model, w, h int) string {
	s := m.styles
	title := s.Section.Render("Review") + s.Faint.Render(" — nothing has changed yet")
	if f.plan.Permission != nil {
		tabs := []string{"Changes", "Permission policy"}
		for i := range tabs {
			if updatePane(i) == f.pane {
				tabs[i] = s.Current.Render("[" + tabs[i] + "]")
			} else {
				tabs[i] = s.Faint.Render(tabs[i])
			}
		}
		title += "   " + strings.Join(tabs, " ")
	}
	title = ansi.Wrap(title, w, "")
	content := f.reviewContent(m, w)
	form := m.formView()
	// title, blank, viewport, scroll line, blank, form
	room := h - lipgloss.Height(title) - 1 - 1 - 1 - lipgloss.Height(form)
	f.vp.SetWidth(w)
	f.vp.SetHeight(max(min(lipgloss.Height(content), room), 3))
	f.vp.SetContent(content)
	view := f.vp.View()
	if !f.vp.AtTop() || !f.vp.AtBottom() {
		view += "\n" + s.Faint.Render(fmt.Sprintf("(%d%% — pgdn for more)", int(f.vp.ScrollPercent()*100)))
	}
	return title + "\n\n" + view + "\n\n" + form
}

func (f *updateFlow) reviewContent(m *Model, w int) string {
	s := m.styles
	p := f.plan
	if f.pane == updPanePolicy && p.Permission != nil {
		head := s.Section.Render("Permission policy") + s.Faint.Render(" "+p.PolicyARN+": a new default version covering every log group in every destination region")
		return ansi.Wrap(head, w, "") + "\n\n" + kit.PolicyDiff(s, f.oldPolicy, p.Permission, w, true)
	}
	var b strings.Builder
	b.WriteString(ansi.Wrap(s.Section.Render("Configuration")+s.Faint.Render(" — what changes; everything else is sent again as it is"), w, ""))
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
	b.WriteString(renderPlan(&steps.Plan{Steps: f.reviewSteps()}, s, w))
	return b.String()
}

// reviewSteps are the plan's steps without what the review shows
// elsewhere: the configuration's changes, and the permission policy's
// documents (in their own pane).
func (f *updateFlow) reviewSteps() []steps.PlannedStep {
	shown := map[string]bool{}
	for _, d := range f.plan.Diff {
		shown[d.String()] = true
	}
	out := slices.Clone(f.plan.Steps)
	for i := range out {
		st := &out[i]
		policyPane := st.ID == steps.StepPermissions && f.plan.Permission != nil
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

// taskStepLine is one step of a task's progress: its mark, its label and,
// once run, how long it took, aligned like setup's checklist.
func taskStepLine(s *Styles, mk mark, spin, label string, w int) string {
	var c checklist
	glyph, style := c.glyph(s, mk, spin)
	line := glyph + " " + style.Render(label)
	if mk.timed {
		d := s.Faint.Render(formatDuration(mk.took))
		pad := max(durationColumn+4-ansi.StringWidth(label), 2)
		if 2+ansi.StringWidth(label)+pad+ansi.StringWidth(d) > w {
			pad = 2
		}
		line += strings.Repeat(" ", pad) + d
	}
	return ansi.Wrap(line, w, "")
}

func (f *updateFlow) stepList(m *Model, w int) string {
	lines := make([]string, len(updateStepIDs))
	for i, id := range updateStepIDs {
		lines[i] = taskStepLine(m.styles, *f.marks.at(id), m.spin.View(), fmt.Sprintf("%2d. %s", steps.StepNumber(id), steps.StepTitle(id)), w)
	}
	return strings.Join(lines, "\n")
}

// progressBody is the update as it runs and how it ended: the steps, the
// export's live status, the logs arriving, then the failure and its
// choices or the outcome. Panels are left out, least useful first, until
// it fits the height.
func (f *updateFlow) progressBody(m *Model, w, h int) string {
	s := m.styles
	name := f.target.Cluster.Name
	var title string
	switch f.stage {
	case updApplying:
		title = s.Section.Render("Updating the log export of " + name)
	case updFailed:
		title = s.Fail.Render("The update of " + name + " stopped")
	default:
		title = s.Section.Render("Update of " + name + " finished")
	}
	var last string
	if mk := f.marks.at(f.lastDone); f.stage == updApplying && mk != nil && mk.summary != "" {
		last = ansi.Wrap(s.Faint.Render(fmt.Sprintf("%d. %s", steps.StepNumber(f.lastDone), mk.summary)), w, "")
	}
	status := f.statusView(m, w)
	if f.stage == updDone && f.res != nil && f.res.Status == cloudapi.StatusEnabled {
		// The outcome says it.
		status = ""
	}
	var streams string
	if len(f.streams) > 0 {
		streams = m.streamsView(f.plan.Desired.LogName, f.plan.Regions, f.streams, f.stage == updDone, w)
	}
	var end string
	switch f.stage {
	case updFailed:
		end = f.failurePanel(m, w)
	case updDone:
		end = f.outcomePanel(m, w)
	}
	layouts := [][]string{
		{title + "\n" + f.stepList(m, w), last, status, streams, end},
		{title + "\n" + f.stepList(m, w), status, streams, end},
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

func (f *updateFlow) statusView(m *Model, w int) string {
	if f.status == nil {
		if mk := f.marks.at(steps.StepEnable); mk.state == markRunning {
			return m.spinnerLine("Sending the whole configuration…", w)
		}
		return ""
	}
	elapsed := f.status.Elapsed
	if !f.enableAt.IsZero() {
		if mk := f.marks.at(steps.StepEnable); mk.timed {
			elapsed = mk.took
		} else {
			elapsed = m.opts.now().Sub(f.enableAt)
		}
	}
	var wait *propagation
	if f.stage == updApplying {
		wait = f.wait
	}
	return m.exportStatusView(*f.status, elapsed, f.polls+f.status.Polls, wait, w)
}

func (f *updateFlow) failurePanel(m *Model, w int) string {
	s := m.styles
	var b strings.Builder
	b.WriteString(m.errorBlock(f.err, w))
	if f.status != nil && f.status.Info.Status.Failed() || isEnableFailure(f.err) {
		b.WriteString("\n" + ansi.Wrap(s.Label.Render("Diagnose ")+s.Command.Render("crdb-logexport doctor --cluster "+f.target.Cluster.Name), w, ""))
	}
	b.WriteString(m.resumeLine(f.resume(), w))
	if form := m.formView(); form != "" {
		b.WriteString("\n\n" + form)
	}
	return b.String()
}

// outcomePanel is what the update did: the export's status, the fields
// changed, what was created and changed in AWS, and what to run next.
func (f *updateFlow) outcomePanel(m *Model, w int) string {
	s := m.styles
	r := f.res
	var lines []string
	switch {
	case r.Status == cloudapi.StatusEnabled:
		lines = append(lines, s.OK.Render(glyphDone+" Log export of "+r.ClusterName+" is ENABLED with the new configuration"))
	case f.noWait:
		lines = append(lines, s.Warn.Render(fmt.Sprintf("Log export of %s is %s", r.ClusterName, orUnknown(string(r.Status))))+s.Faint.Render(" (not waited for: --no-wait)"))
	default:
		lines = append(lines, s.Warn.Render(fmt.Sprintf("Log export of %s is %s", r.ClusterName, orUnknown(string(r.Status)))))
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
	return ansi.Wrap(strings.Join(lines, "\n"), w, "")
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
