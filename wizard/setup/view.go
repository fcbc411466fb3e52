package setup

import (
	tea "charm.land/bubbletea/v2"
	"fmt"
	"net/url"
	"strings"
	"time"

	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// View draws setup: the checklist with what is asked or read, the plan,
// or the apply with what follows it.
func (m *Model) View(w, h int) string {
	switch {
	case !m.Conn.Active() && m.stage == planned:
		return m.planBody(w, h)
	case !m.Conn.Active() && m.stage >= applying:
		return m.progressBody(w, h)
	}
	marks := m.questionMarks()
	return m.withChecklist(&marks, m.questionPanel(w), w, h)
}

// Keys are setup's keys.
func (m *Model) Keys() []string {
	switch {
	case m.Conn.Active():
		return m.Conn.Keys()
	case m.stage == planned:
		scroll := "↑/↓ scroll"
		if !m.sh.Offers(steps.OptApply) {
			scroll = "pgup/pgdn scroll"
		}
		return []string{scroll, "tab next pane", "t trust", "p permission", "s steps", "e edit answers", kit.KeyQuit}
	case m.stage == applying || m.stage == rollingBack:
		return []string{m.sh.StopKey()}
	case m.stage == summary:
		return []string{fmt.Sprintf("1–%d copy a value", len(m.summaryValues())), kit.KeyExit}
	case m.stage >= failed:
		return []string{kit.KeyQuit}
	}
	if m.stage == asking || m.stage == pickingRole {
		return []string{kit.KeyBack, kit.KeyQuitUnmoved}
	}
	return []string{kit.KeyQuitUnmoved}
}

// withChecklist puts the checklist above a panel: one line per step when
// there is room, one line for all of them otherwise.
func (m *Model) withChecklist(c *kit.Checklist, panel string, w, h int) string {
	spin := m.sh.Spin.View()
	list := c.Full(m.sh.Styles, spin, w)
	if lipgloss.Height(list)+1+lipgloss.Height(panel) > h {
		list = c.Compact(m.sh.Styles, spin, w)
	}
	if panel == "" {
		return list
	}
	return list + "\n\n" + panel
}

// questionMarks is the checklist while answers are collected: the facts
// already known are done, the step being asked about is current.
func (m *Model) questionMarks() kit.Checklist {
	var c kit.Checklist
	if m.sh.Session.Conn != nil {
		c.At(steps.StepOrganization).State = kit.MarkDone
	}
	connecting := m.Conn.Active()
	if !connecting && m.cluster().CheckCloudWatch() == nil {
		c.At(steps.StepCluster).State = kit.MarkDone
		c.At(steps.StepClusterAccount).State = kit.MarkDone
	}
	current, failed := "", false
	switch {
	case connecting:
		current, failed = m.Conn.Step()
	case m.stage == asking:
		current = questions[m.qi].step
	case m.stage == pickingRole:
		current = steps.StepRoleARN
	case m.stage == prepareFailed:
		if se, ok := steps.AsStepError(m.err); ok {
			current, failed = se.Step, true
		}
	}
	if mk := c.At(current); mk != nil {
		mk.State = kit.MarkCurrent
		if failed {
			mk.State = kit.MarkFailed
		}
	}
	return c
}

// questionPanel is what is asked or read before the plan.
func (m *Model) questionPanel(w int) string {
	s, spin := m.sh.Styles, m.sh.Spin.View()
	switch {
	case m.Conn.Active():
		return m.Conn.View(w)
	case m.stage == prepareFailed:
		return kit.ErrorBlock(m.err, s, w, 0) + "\n\n" + m.sh.FormView()
	case m.stage == asking:
		out := m.sh.FormView() + m.liveCheck(w)
		if m.conflict != "" {
			out = m.conflictNote(w) + "\n\n" + out
		}
		if m.flash != "" {
			out += "\n\n" + kit.WrapProse(s.Faint.Render(m.flash), w)
		}
		return out
	case m.stage == pickingRole:
		return m.roles.View(w)
	case m.stage == preparing:
		return kit.SpinnerLine(spin, kit.StageText(steps.StagePrepare, "", ""), w)
	}
	return m.sh.FormView()
}

// liveCheck checks what is being typed as it is typed: the log group name
// against AWS's rules, and a pasted ARN for being a role's.
func (m *Model) liveCheck(w int) string {
	s := m.sh.Styles
	switch questions[m.qi].id {
	case qLogGroup:
		// Only while the name is being typed: the retention shares its
		// form.
		if f := m.sh.Form(); f == nil {
			return ""
		} else if _, typing := f.GetFocusedField().(*huh.Input); !typing {
			return ""
		}
		if err := awsiam.ValidateLogGroupName(strings.TrimSpace(m.ans.logGroup)); err != nil {
			return "\n\n" + kit.Wrap(s.Fail.Render(kit.GlyphFailed)+" "+err.Error(), w)
		}
		return "\n\n" + s.OK.Render(kit.GlyphDone) + s.Faint.Render(" a valid log group name")
	case qRoleARN:
		if warn := m.policyWarning(w); warn != "" {
			return "\n" + warn
		}
	}
	return ""
}

// policyWarning is the warning for an ARN that is not a role's; for a
// policy ARN it says the roles it is attached to will be offered.
func (m *Model) policyWarning(w int) string {
	return kit.RoleARNWarning(m.ans.roleARN, "Press enter to see the roles it is attached to and pick one.", m.sh.Styles, w)
}

// planBody is the plan: what each step will do, or one of the two policy
// documents, scrollable, with the choice below. The viewport gets the
// lines the title and the form leave.
func (m *Model) planBody(w, h int) string {
	title, form := m.planTitle(w), m.sh.FormView()
	// title, blank, viewport, scroll line, blank, form
	room := h - lipgloss.Height(title) - 3 - lipgloss.Height(form)
	m.vp.SetHeight(max(min(lipgloss.Height(m.vp.GetContent()), room), 3))
	view := m.vp.View()
	up, down := "↑", "↓"
	if !m.sh.Offers(steps.OptApply) {
		up, down = "pgup", "pgdn"
	}
	if note := kit.ViewportNote(m.sh.Styles, &m.vp, up, down); note != "" {
		view += "\n" + note
	}
	return title + "\n\n" + view + "\n\n" + form
}

// conflictNote says why a question was reopened: the plan's conflict.
func (m *Model) conflictNote(w int) string {
	s := m.sh.Styles
	return kit.WrapProse(s.Warn.Render(kit.GlyphWarn+" The plan had a conflict here: ")+m.conflict+s.Faint.Render(" Choose another value."), w)
}

// fitConflict makes the reopened question's form leave room for the
// conflict's note above it.
func (m *Model) fitConflict() {
	if m.conflict == "" || m.sh.Form() == nil {
		return
	}
	w := m.sh.ContentWidth()
	m.sh.Form().Update(tea.WindowSizeMsg{Width: w, Height: max(m.sh.FormHeight()-lipgloss.Height(m.conflictNote(w))-1, 6)})
}

// showConflict scrolls the plan's steps to its first conflict, which is
// what the question under the plan is about.
func (m *Model) showConflict() {
	if m.plan == nil || m.pane != paneSteps {
		return
	}
	c := m.plan.Conflicts()
	if len(c) == 0 {
		return
	}
	head := fmt.Sprintf("%2d. %s", c[0].Number, c[0].Title)
	for i, line := range strings.Split(ansi.Strip(m.vp.GetContent()), "\n") {
		if strings.HasPrefix(line, head) {
			m.vp.SetYOffset(i)
			return
		}
	}
}

// setPane shows a pane of the plan from its top.
func (m *Model) setPane(p planPane) {
	m.pane = p
	m.layoutPlan()
	m.vp.GotoTop()
}

// layoutPlan fills the plan's viewport with the pane's content at the
// width of the screen.
func (m *Model) layoutPlan() {
	if m.plan == nil || m.stage != planned {
		return
	}
	w := m.sh.ContentWidth()
	s := m.sh.Styles
	var content string
	switch m.pane {
	case paneTrust:
		content = s.Section.Render("Trust policy") + s.Faint.Render(fmt.Sprintf(" of %s: lets the cluster's account %s assume it", m.plan.RoleName, m.plan.ClusterAccount)) + "\n\n" + s.JSON.Render(m.plan.Trust.JSON())
	case panePermission:
		if m.plan.Permission == nil {
			content = "No permission policy is managed by this tool: the role is in another account than the one this tool acts in. `crdb-logexport policy` prints one to attach there."
		} else {
			content = s.Section.Render("Permission policy") + s.Faint.Render(fmt.Sprintf(" %s: CloudWatch Logs actions on your log group, in your account %s", m.plan.PolicyName, m.plan.YourAccount)) + "\n\n" + s.JSON.Render(m.plan.Permission.JSON())
		}
	default:
		content = kit.RenderSteps(m.plan.Steps, s, w)
	}
	m.vp.SetWidth(w)
	m.vp.SetContent(kit.Wrap(content, w))
}

func (m *Model) planTitle(w int) string {
	s := m.sh.Styles
	tabs := []string{"Steps", "Trust policy", "Permission policy"}
	for i := range tabs {
		if planPane(i) == m.pane {
			tabs[i] = s.Current.Render("[" + tabs[i] + "]")
		} else {
			tabs[i] = s.Faint.Render(tabs[i])
		}
	}
	title, bar := s.Section.Render("Plan")+s.Faint.Render(kit.Unapplied), strings.Join(tabs, " ")
	if ansi.StringWidth(title)+3+ansi.StringWidth(bar) > w {
		// The tabs stay together on a line of their own.
		return kit.Wrap(title, w) + "\n" + bar
	}
	return title + "   " + bar
}

// progressBody is the checklist as steps run, the export's live status,
// the logs arriving, and what follows the end: the failure and its
// choices, the rollback, or the summary. It picks the most detailed layout
// that fits the height: the checklist on one line instead of ten first,
// then leaner panels.
func (m *Model) progressBody(w, h int) string {
	layouts := []struct{ full, lean, last bool }{
		{full: true, last: true},
		{full: true},
		{last: true},
		{lean: true},
	}
	// The parts that do not depend on the layout are drawn once, on first
	// use: trying a layout must not cost a whole frame.
	spin := m.sh.Spin.View()
	var compact, full string
	parts := &progressParts{}
	var out string
	for _, l := range layouts {
		var list string
		if l.full {
			if full == "" {
				full = m.progressTitle() + "\n" + m.progress.Marks.Full(m.sh.Styles, spin, w)
			}
			list = full
		} else {
			if compact == "" {
				compact = m.progress.Marks.Compact(m.sh.Styles, spin, w)
			}
			list = compact
		}
		out = list
		if rest := m.progressPanels(w, l.lean, l.last, parts); rest != "" {
			out += "\n\n" + rest
		}
		if lipgloss.Height(out) <= h {
			break
		}
	}
	return out
}

// progressParts keeps the panels of the progress screen that every layout
// shows the same way, drawn once per frame.
type progressParts struct {
	drawn                 bool
	status, streams, head string
}

func (p *progressParts) draw(m *Model, w int) {
	if p.drawn {
		return
	}
	p.drawn = true
	p.status, p.streams = m.statusPanel(w), m.streamsPanel(w)
	if m.stage == summary {
		p.head = m.summaryHead(w)
	}
}

func (m *Model) progressTitle() string {
	s := m.sh.Styles
	switch m.stage {
	case applying:
		return s.Section.Render("Applying the plan") + s.Faint.Render(" for "+m.cluster().Name)
	case summary:
		return s.Section.Render("Setup of " + m.cluster().Name + " finished")
	}
	return s.Fail.Render("Setup of " + m.cluster().Name + " stopped")
}

func (m *Model) progressPanels(w int, lean, withLast bool, parts *progressParts) string {
	parts.draw(m, w)
	var panels []string
	if last := m.progress.Marks.At(m.progress.LastDone); m.stage == applying && last != nil && last.Summary != "" && withLast {
		// What the step that finished last did, in its own words.
		panels = append(panels, kit.Wrap(m.sh.Styles.Faint.Render(fmt.Sprintf("%d. %s", steps.StepNumber(m.progress.LastDone), last.Summary)), w))
	}
	done := m.stage == summary
	if st := parts.status; st != "" && !(done && m.result.Status == cloudapi.StatusEnabled) {
		panels = append(panels, st)
	}
	if lg := parts.streams; lg != "" {
		panels = append(panels, lg)
	}
	switch m.stage {
	case failed, rollbackPreview, rollbackConfirm, rollingBack:
		if lean {
			panels = nil
		}
		panels = append(panels, m.failurePanel(w, lean))
	case summary:
		panels = append([]string{parts.head}, panels...)
		panels = append(panels, m.summaryTail(w, lean))
	}
	return strings.Join(panels, "\n\n")
}

func (m *Model) streamsPanel(w int) string {
	if len(m.progress.Streams) == 0 || m.plan == nil {
		return ""
	}
	return kit.StreamsView(m.plan.LogGroup, m.plan.Regions, m.progress.Streams, m.stage == summary, m.sh.Now(), m.sh.Styles, w)
}

func (m *Model) statusPanel(w int) string {
	return m.progress.StatusView(m.sh.Styles, m.sh.Spin.View(), "Enabling the export…", m.stage == applying, m.sh.Now(), w)
}

// failurePanel is where setup stopped: the step, cause and fix, where to
// diagnose and how to resume, then the rollback when asked for, and the
// choices. The lean variant, for short terminals, keeps the rollback's
// lines over the pointers (the resume command is printed again on exit).
func (m *Model) failurePanel(w int, lean bool) string {
	s, spin := m.sh.Styles, m.sh.Spin.View()
	var b strings.Builder
	took := time.Duration(0)
	if m.stage == failed {
		took = m.progress.ErrTook
	}
	b.WriteString(kit.ErrorBlock(m.err, s, w, took))
	if !lean || m.stage == failed {
		if m.progress.Status != nil && m.progress.Status.Info.Status.Failed() || kit.IsEnableFailure(m.err) {
			b.WriteString("\n" + kit.Wrap(s.Label.Render("Diagnose ")+s.Command.Render("crdb-logexport doctor --cluster "+m.cluster().Name)+s.Faint.Render(" names the exact field that is wrong"), w))
		}
		b.WriteString(kit.ResumeLine(s, m.sh.Advice(m.resume()), w))
	}
	switch m.stage {
	case rollbackPreview:
		b.WriteString("\n\n" + kit.SpinnerLine(spin, kit.StageText(steps.StageRollbackRead, "", ""), w))
	case rollbackConfirm:
		b.WriteString("\n\n" + m.rollbackPreviewText(w, lean))
	case rollingBack:
		b.WriteString("\n\n" + kit.SpinnerLine(spin, kit.StageText(steps.StageRollback, "", ""), w))
	case failed:
		switch {
		case m.rollbackRes != nil:
			b.WriteString("\n\n" + m.rollbackResultText(w))
		case m.previewed && len(m.rollbackList) == 0:
			b.WriteString("\n\n" + s.Faint.Render("This run created nothing that can be removed."))
		}
		if m.rollbackErr != nil {
			b.WriteString("\n" + kit.Wrap(s.Warn.Render("Rollback: ")+m.rollbackErr.Error(), w))
		}
	}
	if f := m.sh.FormView(); f != "" {
		b.WriteString("\n\n" + f)
	}
	return b.String()
}

func (m *Model) rollbackPreviewText(w int, lean bool) string {
	s := m.sh.Styles
	if len(m.rollbackList) == 0 {
		return ""
	}
	var lines []string
	lines = append(lines, s.Section.Render("Rollback removes only what this setup run created:"))
	for _, r := range m.rollbackList {
		switch r.Kind {
		case steps.KindLogGroup:
			lines = append(lines, s.Faint.Render(fmt.Sprintf("  keeps   log group %s in %s (it holds the exported logs)", r.ID, r.Region)))
		case steps.KindAttachment:
			role, policy, _ := strings.Cut(r.ID, "|")
			if a, err := awsiam.ParseARN(policy); err == nil {
				policy = a.Name
			}
			lines = append(lines, fmt.Sprintf("  removes the attachment of policy %s to role %s", policy, role))
		default:
			lines = append(lines, fmt.Sprintf("  removes %s %s", r.Kind, r.ID))
		}
	}
	if kit.IsEnableFailure(m.err) && !lean {
		lines = append(lines, s.Faint.Render("The export configuration on CockroachDB Cloud is left as it is; `crdb-logexport disable --cluster "+m.cluster().Name+"` removes it."))
	}
	return kit.Wrap(strings.Join(lines, "\n"), w)
}

func (m *Model) rollbackResultText(w int) string {
	s := m.sh.Styles
	r := m.rollbackRes
	var lines []string
	for _, x := range r.Removed {
		lines = append(lines, s.OK.Render(kit.GlyphDone)+" removed "+x)
	}
	for _, x := range r.Kept {
		lines = append(lines, s.Faint.Render("  kept "+x))
	}
	if len(lines) == 0 {
		lines = append(lines, "Nothing needed removing.")
	}
	if m.rollbackErr != nil {
		lines = append(lines, s.Fail.Render(kit.GlyphFailed+" ")+m.rollbackErr.Error())
	}
	return kit.Wrap(strings.Join(lines, "\n"), w)
}

// summaryValue is a value of the summary the user can copy.
type summaryValue struct{ label, value string }

func (m *Model) summaryValues() []summaryValue {
	r := m.result
	if r == nil {
		return nil
	}
	vals := []summaryValue{{"role ARN", r.RoleARN}}
	if r.PolicyARN != "" {
		vals = append(vals, summaryValue{"policy ARN", r.PolicyARN})
	}
	vals = append(vals, summaryValue{"log group", r.LogGroup}, summaryValue{"regions", strings.Join(r.Regions, ", ")})
	if r.ExternalIDRequired {
		vals = append(vals, summaryValue{"external ID", r.ExternalID})
	}
	return vals
}

// summaryHead is the outcome and the values worth keeping, each on its own
// line as plain text to select, and numbered to copy.
func (m *Model) summaryHead(w int) string {
	s := m.sh.Styles
	r := m.result
	var b strings.Builder
	if r.Status == cloudapi.StatusEnabled {
		b.WriteString(s.OK.Render(kit.GlyphDone + " Log export of " + r.ClusterName + " is ENABLED"))
	} else {
		b.WriteString(s.Warn.Render(fmt.Sprintf("Log export of %s is %s", r.ClusterName, kit.OrUnknown(string(r.Status)))))
	}
	for i, v := range m.summaryValues() {
		// The value beside its label; one too long for the line goes on
		// under itself, broken only after ':' or '/'.
		label := fmt.Sprintf("%s %-12s ", s.Key.Render(fmt.Sprint(i+1)), v.label)
		b.WriteString("\n" + strings.Join(kit.Hanging(label, v.value, w, s.Value), "\n"))
	}
	return b.String()
}

// summaryTail links to the AWS console pages and names the commands that
// follow; the lean variant puts the commands on one line.
func (m *Model) summaryTail(w int, lean bool) string {
	s := m.sh.Styles
	r := m.result
	var b strings.Builder
	cmds := []string{"status", "doctor", "disable"}
	if lean {
		// A short terminal keeps the commands; the console links are
		// one `crdb-logexport status` away.
		for i, c := range cmds {
			cmds[i] = s.Command.Render(c)
		}
		b.WriteString(kit.Wrap(s.Section.Render("Next ")+s.Command.Render("crdb-logexport ")+strings.Join(cmds, "|")+s.Command.Render(" --cluster "+r.ClusterName), w))
	} else {
		b.WriteString(kit.Wrap(s.Section.Render("AWS console ")+strings.Join(m.consoleLinks(), s.Faint.Render(" · ")), w))
		b.WriteString("\n" + s.Section.Render("Next"))
		for _, c := range cmds {
			b.WriteString("\n  " + s.Command.Render("crdb-logexport "+c+" --cluster "+r.ClusterName))
		}
	}
	if m.flash != "" {
		b.WriteString("\n" + kit.Wrap(s.OK.Render(m.flash), w))
	}
	return b.String()
}

// consoleLinks are OSC 8 hyperlinks to the AWS console pages of what
// setup made; terminals without hyperlinks show the labels.
func (m *Model) consoleLinks() []string {
	r := m.result
	s := m.sh.Styles
	var out []string
	if role, err := awsiam.ParseARN(r.RoleARN); err == nil {
		out = append(out, s.Link.Hyperlink("https://console.aws.amazon.com/iam/home#/roles/details/"+url.PathEscape(role.Name)).Render("role"))
	}
	if r.PolicyARN != "" {
		out = append(out, s.Link.Hyperlink("https://console.aws.amazon.com/iam/home#/policies/details/"+url.QueryEscape(r.PolicyARN)).Render("policy"))
	}
	for _, region := range r.Regions {
		// The CloudWatch console escapes the name twice, with "$" for "%".
		name := strings.ReplaceAll(url.QueryEscape(r.LogGroup), "%", "$25")
		link := fmt.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#logsV2:log-groups/log-group/%s", region, region, name)
		out = append(out, s.Link.Hyperlink(link).Render("log group in "+region))
	}
	return out
}
