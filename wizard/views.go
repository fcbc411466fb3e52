package wizard

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// View draws the interface inline (no alternate screen), so what it last
// showed — the summary, or where it stopped — stays in the scrollback.
func (m *Model) View() tea.View {
	if m.phase == phaseProgram {
		return m.prog.View()
	}
	return tea.NewView(m.render())
}

// render lays out header, body and help so that together they fit the
// terminal: the body gets what the others leave.
func (m *Model) render() string {
	w := m.contentWidth()
	header := m.header(w)
	footer := ""
	if m.final == nil {
		footer = m.footer(w)
	}
	avail := m.termHeight() - lipgloss.Height(header) - 1
	if footer != "" {
		avail -= lipgloss.Height(footer) + 1
	}
	parts := []string{header, m.body(w, avail)}
	if footer != "" {
		parts = append(parts, footer)
	}
	return strings.Join(parts, "\n\n")
}

func (m *Model) header(w int) string {
	s := m.styles
	what := "set up log export to CloudWatch"
	switch f := m.task(); {
	case m.phase == phaseMenu:
		what = "CockroachDB Cloud log export to CloudWatch"
	case f != nil:
		what = f.title()
	}
	line := s.Title.Render("crdb-logexport") + s.Faint.Render(" · "+what)
	if m.opts.Badge != "" {
		line += "  " + s.Badge.Render("["+strings.ReplaceAll(m.opts.Badge, " ", "\u00a0")+"]")
	}
	out := ansi.Wrap(line, w, "")
	if m.connected {
		// Non-breaking spaces keep the organization's name on one line.
		org := strings.ReplaceAll("Cloud organization "+m.org.Name, " ", "\u00a0")
		who := fmt.Sprintf("AWS account %s as %s · %s", s.Value.Render(m.caller.Account), m.caller.ARN, org)
		out += "\n" + ansi.Wrap(s.Identity.Render(who), w, "")
	}
	return out
}

// footer is the keys: the current form's, then the phase's own.
func (m *Model) footer(w int) string {
	var keys []string
	switch m.phase {
	case phaseMenu:
		keys = []string{"ctrl+c quit"}
	case phaseFlow:
		keys = m.flow.keys(m)
	case phasePlan:
		keys = []string{"↑/↓ scroll", "t trust", "p permission", "s steps", "e edit answers", "ctrl+c quit"}
		if len(m.plan.Conflicts()) > 0 {
			keys[0] = "pgup/pgdn scroll"
		}
	case phaseApplying, phaseRollingBack:
		keys = []string{"ctrl+c stop — the journal keeps what was done; rerunning resumes"}
	case phaseSummary:
		keys = []string{fmt.Sprintf("1–%d copy a value", len(m.summaryValues())), "enter or q exit"}
	case phaseFailed, phaseRollbackPreview, phaseRollbackConfirm, phaseRolledBack:
		keys = []string{"ctrl+c quit"}
	default:
		keys = []string{"ctrl+c quit — nothing has been changed yet"}
	}
	line := m.styles.Help.Render(strings.Join(keys, " · "))
	if m.form != nil && m.form.State == huh.StateNormal {
		if h := m.form.Help().ShortHelpView(m.form.KeyBinds()); h != "" {
			line = h + m.styles.Help.Render(" · ") + line
		}
	}
	return ansi.Wrap(line, w, "")
}

func (m *Model) body(w, h int) string {
	switch m.phase {
	case phaseMenu:
		intro := m.styles.Faint.Render("Sets up, checks and repairs CockroachDB Cloud log export: the CloudWatch log group, the cross-account IAM role and its policy, and the export itself.")
		return ansi.Wrap(intro, w, "") + "\n\n" + m.formView()
	case phasePlan:
		return m.planBody(w)
	case phaseApplying, phaseFailed, phaseRollbackPreview, phaseRollbackConfirm, phaseRollingBack, phaseRolledBack, phaseSummary:
		return m.progressBody(w, h)
	case phaseFlow:
		return m.flow.body(m, w, h)
	}
	panel := m.questionPanel(w)
	if m.pending != nil {
		// Setup's checklist means nothing to another task: the connection
		// and the cluster choice stand alone.
		return panel
	}
	marks := m.questionMarks()
	return m.withChecklist(&marks, panel, w, h)
}

// withChecklist puts the checklist above a panel: one line per step when
// there is room, one line for all of them otherwise.
func (m *Model) withChecklist(c *checklist, panel string, w, h int) string {
	spin := m.spin.View()
	list := c.full(m.styles, spin, w)
	if lipgloss.Height(list)+1+lipgloss.Height(panel) > h {
		list = c.compact(m.styles, spin, w)
	}
	if panel == "" {
		return list
	}
	return list + "\n\n" + panel
}

func (m *Model) formView() string {
	if m.form == nil {
		return ""
	}
	return strings.TrimRight(m.form.View(), "\n ")
}

// formHeight is the height a form may take below the compact checklist.
func (m *Model) formHeight() int {
	return max(m.termHeight()-10, 6)
}

// questionMarks is the checklist while answers are collected: the facts
// already known are done, the step being asked about is current.
func (m *Model) questionMarks() checklist {
	var c checklist
	if m.connected {
		c.at(steps.StepOrganization).state = markDone
	}
	if m.hasCluster && m.cluster.CheckCloudWatch() == nil {
		c.at(steps.StepCluster).state = markDone
		c.at(steps.StepClusterAccount).state = markDone
	}
	current := ""
	switch m.phase {
	case phaseAPIKey, phaseConnecting, phaseConnectFailed:
		current = steps.StepOrganization
		if se, ok := steps.AsStepError(m.err); ok {
			current = se.Step
		}
	case phaseCluster, phaseNotApplicable:
		current = steps.StepCluster
	case phaseQuestion:
		current = questions[m.qi].step
	case phaseRoleLookup, phaseRolePick:
		current = steps.StepRoleARN
	case phasePrepareFailed:
		if se, ok := steps.AsStepError(m.err); ok {
			current = se.Step
		}
	}
	if mk := c.at(current); mk != nil {
		mk.state = markCurrent
		if m.phase == phaseConnectFailed || m.phase == phasePrepareFailed || m.phase == phaseNotApplicable {
			mk.state = markFailed
		}
	}
	return c
}

func (m *Model) spinnerLine(text string, w int) string {
	return ansi.Wrap(m.spin.View()+" "+text, w, "")
}

func (m *Model) questionPanel(w int) string {
	s := m.styles
	switch m.phase {
	case phaseConnecting:
		return m.spinnerLine("Connecting (read-only): the CockroachDB Cloud organization, the AWS identity this tool acts as, the clusters…", w)
	case phaseConnectFailed, phasePrepareFailed:
		return m.errorBlock(m.err, w) + "\n\n" + m.formView()
	case phaseNotApplicable:
		return ansi.Wrap(s.Fail.Render(glyphFailed)+" "+notApplicable(m.cluster, m.err), w, "") + "\n\n" + m.formView()
	case phaseQuestion:
		return m.formView() + m.liveCheck(w)
	case phaseRoleLookup:
		return m.policyWarning(w) + "\n\n" + m.spinnerLine("Looking up the roles this policy is attached to (iam:ListEntitiesForPolicy)…", w)
	case phaseRolePick:
		var found string
		switch {
		case m.rolesErr != nil:
			found = s.Warn.Render("The roles could not be listed: ") + m.rolesErr.Error()
		case len(m.roles) == 0:
			found = "That policy is attached to no role."
		default:
			found = fmt.Sprintf("It is attached to %d %s:", len(m.roles), plural(len(m.roles), "role", "roles"))
		}
		return m.policyWarning(w) + "\n\n" + ansi.Wrap(found, w, "") + "\n" + m.formView()
	case phasePreparing:
		regions := destinationRegions(m.opts.Input, m.cluster)
		return m.spinnerLine(fmt.Sprintf("Reading the current state (read-only): the log group in %d %s, the role, the policy and the export…", len(regions), plural(len(regions), "region", "regions")), w)
	}
	return m.formView()
}

// liveCheck checks what is being typed as it is typed: the log group name
// against AWS's rules, and a pasted ARN for being a role's.
func (m *Model) liveCheck(w int) string {
	s := m.styles
	switch questions[m.qi].id {
	case qLogGroup:
		if err := awsiam.ValidateLogGroupName(strings.TrimSpace(m.ans.logGroup)); err != nil {
			return "\n\n" + ansi.Wrap(s.Fail.Render(glyphFailed)+" "+err.Error(), w, "")
		}
		return "\n\n" + s.OK.Render(glyphDone) + s.Faint.Render(" a valid log group name")
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
	return m.roleARNWarning(m.ans.roleARN, "Press enter to see the roles it is attached to and pick one.", w)
}

// roleARNWarning is the boxed warning for what was typed as a role ARN
// ("" when it is one, or not an ARN yet); next says what enter does with a
// policy ARN.
func (m *Model) roleARNWarning(typed, next string, w int) string {
	arn := strings.TrimSpace(typed)
	reason := arnWarning(arn)
	if reason == "" {
		return ""
	}
	s := m.styles
	text := s.Warn.Render(glyphWarn+" Not a role ARN") + "\n" + reason
	if awsiam.Classify(arn) == awsiam.KindPolicy {
		text = s.Warn.Render(glyphWarn+" This is a policy ARN, not a role ARN") + "\n" + reason
		if next != "" {
			text += "\n" + next
		}
	}
	return s.WarnBox.Render(ansi.Wrap(text, w-4, ""))
}

// errorBlock shows a failure: the step, the cause and the fix.
func (m *Model) errorBlock(err error, w int) string {
	if err == nil {
		return ""
	}
	s := m.styles
	var b strings.Builder
	if se, ok := steps.AsStepError(err); ok {
		// "Step 7 (Grant the CloudWatch Logs actions)", or the title of a
		// step outside the documented ten (disable's).
		label := steps.StepLabel(se.Step)
		fmt.Fprintf(&b, "%s %s failed", s.Fail.Render(glyphFailed), strings.ToUpper(label[:1])+label[1:])
		if m.phase == phaseFailed && m.errTook > 0 {
			b.WriteString(" after " + formatDuration(m.errTook))
		}
		b.WriteString("\n" + s.Label.Render("Cause ") + se.Cause.Error())
		if se.Fix != "" {
			b.WriteString("\n" + s.Label.Render("Fix   ") + se.Fix)
		}
		if !se.Permanent {
			b.WriteString("\n" + s.Faint.Render("This looks temporary: trying again should get past it."))
		}
	} else {
		b.WriteString(s.Fail.Render(glyphFailed) + " " + err.Error())
	}
	return ansi.Wrap(b.String(), w, "")
}

// planBody is the plan: what each step will do, or one of the two policy
// documents, scrollable, with the confirmation below.
func (m *Model) planBody(w int) string {
	view := m.vp.View()
	if !m.vp.AtBottom() || !m.vp.AtTop() {
		view += "\n" + m.styles.Faint.Render(fmt.Sprintf("(%d%% — scroll for more)", int(m.vp.ScrollPercent()*100)))
	}
	return m.planTitle(w) + "\n\n" + view + "\n\n" + m.formView()
}

func (m *Model) planTitle(w int) string {
	s := m.styles
	tabs := []string{"Steps", "Trust policy", "Permission policy"}
	for i := range tabs {
		if planPane(i) == m.pane {
			tabs[i] = s.Current.Render("[" + tabs[i] + "]")
		} else {
			tabs[i] = s.Faint.Render(tabs[i])
		}
	}
	return ansi.Wrap(s.Section.Render("Plan")+s.Faint.Render(" — nothing has changed yet   ")+strings.Join(tabs, " "), w, "")
}

// layoutPlan fills the plan's viewport and gives it the lines the header,
// title, form and keys leave.
func (m *Model) layoutPlan() {
	if m.plan == nil {
		return
	}
	w := m.contentWidth()
	s := m.styles
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
		content = renderPlan(m.plan, s, w)
	}
	content = ansi.Wrap(content, w, "")
	// header, blank, title, blank, viewport, scroll line, blank, form,
	// blank, keys
	fixed := lipgloss.Height(m.header(w)) + 1 + lipgloss.Height(m.planTitle(w)) + 1 + 1 + 1 + lipgloss.Height(m.formView()) + 1 + lipgloss.Height(m.footer(w))
	room := m.termHeight() - fixed
	m.vp.SetWidth(w)
	m.vp.SetHeight(max(min(lipgloss.Height(content), room), 3))
	m.vp.SetContent(content)
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
	spin := m.spin.View()
	var compact, full string
	parts := &progressParts{}
	var out string
	for _, l := range layouts {
		var list string
		if l.full {
			if full == "" {
				full = m.progressTitle() + "\n" + m.marks.full(m.styles, spin, w)
			}
			list = full
		} else {
			if compact == "" {
				compact = m.marks.compact(m.styles, spin, w)
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
	if m.phase == phaseSummary {
		p.head = m.summaryHead(w)
	}
}

func (m *Model) progressTitle() string {
	s := m.styles
	switch m.phase {
	case phaseApplying:
		return s.Section.Render("Applying the plan") + s.Faint.Render(" for "+m.cluster.Name)
	case phaseSummary:
		return s.Section.Render("Setup of " + m.cluster.Name + " finished")
	}
	return s.Fail.Render("Setup of " + m.cluster.Name + " stopped")
}

func (m *Model) progressPanels(w int, lean, withLast bool, parts *progressParts) string {
	parts.draw(m, w)
	var panels []string
	if last := m.marks.at(m.lastDone); m.phase == phaseApplying && last != nil && last.summary != "" && withLast {
		// What the step that finished last did, in its own words.
		panels = append(panels, ansi.Wrap(m.styles.Faint.Render(fmt.Sprintf("%d. %s", steps.StepNumber(m.lastDone), last.summary)), w, ""))
	}
	summary := m.phase == phaseSummary
	if st := parts.status; st != "" && !(summary && m.result.Status == cloudapi.StatusEnabled) {
		panels = append(panels, st)
	}
	if lg := parts.streams; lg != "" {
		panels = append(panels, lg)
	}
	switch m.phase {
	case phaseFailed, phaseRollbackPreview, phaseRollbackConfirm, phaseRollingBack, phaseRolledBack:
		if lean {
			panels = nil
		}
		panels = append(panels, m.failurePanel(w, lean))
	case phaseSummary:
		panels = append([]string{parts.head}, panels...)
		panels = append(panels, m.summaryTail(w, lean))
	}
	return strings.Join(panels, "\n\n")
}

func (m *Model) statusPanel(w int) string {
	if m.status == nil {
		if mk := m.marks.at(steps.StepEnable); mk != nil && mk.state == markRunning {
			return m.spinnerLine("Enabling the export…", w)
		}
		return ""
	}
	ev := m.status
	// Elapsed and polls count from the first POST, across the re-enables
	// of an IAM propagation wait.
	elapsed := ev.Elapsed
	if !m.enableAt.IsZero() {
		if mk := m.marks.at(steps.StepEnable); mk.timed {
			elapsed = mk.took
		} else {
			elapsed = m.opts.now().Sub(m.enableAt)
		}
	}
	var wait *propagation
	if m.phase == phaseApplying {
		wait = m.wait
	}
	return m.exportStatusView(*ev, elapsed, m.polls+ev.Polls, wait, w)
}

// exportStatusView is an export's status as a watch last saw it: the
// status, the time elapsed, the cluster's state and the polls, then a
// failed poll, the user_message and an IAM propagation wait's countdown.
func (m *Model) exportStatusView(ev cloudapi.StatusEvent, elapsed time.Duration, polls int, wait *propagation, w int) string {
	s := m.styles
	status := string(ev.Info.Status)
	switch {
	case ev.Info.Status == cloudapi.StatusEnabled:
		status = s.OK.Render(glyphDone + " " + status)
	case ev.Info.Status.Failed():
		status = s.Fail.Render(glyphFailed + " " + status)
	default:
		status = s.Current.Render(status)
	}
	line := s.Section.Render("Export status") + " " + status + s.Faint.Render(" · "+formatAge(elapsed)+" elapsed")
	if ev.ClusterState != "" {
		state := "cluster " + string(ev.ClusterState)
		if ev.OperationStatus != "" && ev.OperationStatus != cloudapi.OperationUnspecified {
			state += " (" + string(ev.OperationStatus) + ")"
		}
		line += s.Faint.Render(" · " + state)
	}
	line += s.Faint.Render(fmt.Sprintf(" · %d %s", polls, plural(polls, "poll", "polls")))
	out := []string{line}
	if ev.Err != nil && !ev.Done {
		out = append(out, s.Warn.Render("last poll failed, retrying: ")+ev.Err.Error())
	}
	if ev.Info.UserMessage != "" {
		out = append(out, s.Label.Render("user_message ")+ev.Info.UserMessage)
	}
	if wait != nil {
		now := m.opts.now()
		left := wait.until.Sub(now)
		when := "in " + formatAge(left)
		if left <= 0 {
			when = "now"
		}
		out = append(out, s.Countdown.Render("⏳ IAM propagation: enabling again "+when)+
			s.Faint.Render(fmt.Sprintf(" (gives up in %s)", formatAge(wait.deadline.Sub(now))))+"\n"+wait.reason)
	}
	return ansi.Wrap(strings.Join(out, "\n"), w, "")
}

func (m *Model) streamsPanel(w int) string {
	if len(m.streams) == 0 || m.plan == nil {
		return ""
	}
	return m.streamsView(m.plan.LogGroup, m.plan.Regions, m.streams, m.phase == phaseSummary, w)
}

// streamsView is the logs arriving in logGroup in each region; live marks
// a view that keeps refreshing.
func (m *Model) streamsView(logGroup string, regions []string, streams map[string]steps.RegionStreams, live bool, w int) string {
	s := m.styles
	now := m.opts.now()
	lines := []string{s.Section.Render("Logs arriving") + s.Faint.Render(" in "+logGroup)}
	if live {
		lines[0] += s.Faint.Render(" (live)")
	}
	for _, region := range regions {
		rs, ok := streams[region]
		var text string
		switch {
		case !ok:
			text = s.Faint.Render("waiting for the first stream…")
		case rs.Streams == 0 && rs.Error != "":
			text = s.Warn.Render("cannot list streams: ") + rs.Error
		case rs.Streams == 0:
			text = s.Faint.Render("no streams yet (logs are not back-filled)")
		default:
			text = s.OK.Render(glyphDone) + fmt.Sprintf(" %d %s", rs.Streams, plural(rs.Streams, "stream", "streams"))
			if !rs.Newest.IsZero() {
				text += s.Faint.Render(" · newest event " + formatAge(now.Sub(rs.Newest)) + " ago")
			}
		}
		lines = append(lines, fmt.Sprintf("  %-15s %s", region, text))
	}
	return ansi.Wrap(strings.Join(lines, "\n"), w, "")
}

// failurePanel is where setup stopped: the step, cause and fix, where to
// diagnose and how to resume, then the rollback when asked for, and the
// choices. The lean variant, for short terminals, keeps the rollback's
// lines over the pointers (the resume command is printed again on exit).
func (m *Model) failurePanel(w int, lean bool) string {
	s := m.styles
	var b strings.Builder
	b.WriteString(m.errorBlock(m.err, w))
	if !lean || m.phase == phaseFailed {
		if m.status != nil && m.status.Info.Status.Failed() || isEnableFailure(m.err) {
			b.WriteString("\n" + ansi.Wrap(s.Label.Render("Diagnose ")+s.Command.Render("crdb-logexport doctor --cluster "+m.cluster.Name)+s.Faint.Render(" names the exact field that is wrong"), w, ""))
		}
		b.WriteString(m.resumeLine(m.resume(), w))
	}
	switch m.phase {
	case phaseRollbackPreview:
		b.WriteString("\n\n" + m.spinnerLine("Reading the journal: what this run created…", w))
	case phaseRollbackConfirm:
		b.WriteString("\n\n" + m.rollbackPreviewText(w, lean))
	case phaseRollingBack:
		b.WriteString("\n\n" + m.spinnerLine("Rolling back what this run created…", w))
	case phaseRolledBack:
		b.WriteString("\n\n" + m.rollbackResultText(w))
	}
	if m.rollbackErr != nil && m.phase == phaseFailed {
		b.WriteString("\n" + ansi.Wrap(s.Warn.Render("Rollback: ")+m.rollbackErr.Error(), w, ""))
	}
	if f := m.formView(); f != "" {
		b.WriteString("\n\n" + f)
	}
	return b.String()
}

// resumeLine is a failure screen's line with the command that resumes
// (resume), or the hint that replaces it (the demo's); "" when there is
// neither.
func (m *Model) resumeLine(resume string, w int) string {
	advice := m.opts.ResumeHint
	if advice == "" {
		advice = resume
	}
	if advice == "" {
		return ""
	}
	return "\n" + ansi.Wrap(m.styles.Label.Render("Resume ")+m.styles.Command.Render(advice), w, "")
}

// notApplicable explains why CloudWatch export does not apply to c.
func notApplicable(c cloudapi.Cluster, err error) string {
	return fmt.Sprintf("%v.\nLog export to Amazon CloudWatch is for Advanced and Standard clusters on AWS (this one is %s on %s). Basic clusters cannot export logs; clusters on GCP or Azure export to Cloud Logging or Log Analytics, which this tool does not set up.", err, c.Plan, c.CloudProvider)
}

func isEnableFailure(err error) bool {
	se, ok := steps.AsStepError(err)
	return ok && se.Step == steps.StepEnable
}

func (m *Model) rollbackPreviewText(w int, lean bool) string {
	s := m.styles
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
	if isEnableFailure(m.err) && !lean {
		lines = append(lines, s.Faint.Render("The export configuration on CockroachDB Cloud is left as it is; `crdb-logexport disable --cluster "+m.cluster.Name+"` removes it."))
	}
	return ansi.Wrap(strings.Join(lines, "\n"), w, "")
}

func (m *Model) rollbackResultText(w int) string {
	s := m.styles
	r := m.rollbackRes
	var lines []string
	for _, x := range r.Removed {
		lines = append(lines, s.OK.Render(glyphDone)+" removed "+x)
	}
	for _, x := range r.Kept {
		lines = append(lines, s.Faint.Render("  kept "+x))
	}
	if len(lines) == 0 {
		lines = append(lines, "Nothing needed removing.")
	}
	if m.rollbackErr != nil {
		lines = append(lines, s.Fail.Render(glyphFailed+" ")+m.rollbackErr.Error())
	}
	return ansi.Wrap(strings.Join(lines, "\n"), w, "")
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
	s := m.styles
	r := m.result
	var b strings.Builder
	if r.Status == cloudapi.StatusEnabled {
		b.WriteString(s.OK.Render(glyphDone + " Log export of " + r.ClusterName + " is ENABLED"))
	} else {
		b.WriteString(s.Warn.Render(fmt.Sprintf("Log export of %s is %s", r.ClusterName, orUnknown(string(r.Status)))))
	}
	for i, v := range m.summaryValues() {
		label := fmt.Sprintf("%s %-12s", s.Key.Render(fmt.Sprint(i+1)), v.label)
		if 2+14+len(v.value) <= w {
			b.WriteString("\n" + label + " " + s.Value.Render(v.value))
		} else {
			b.WriteString("\n" + label + "\n" + ansi.Wrap("    "+s.Value.Render(v.value), w, ""))
		}
	}
	return b.String()
}

// summaryTail links to the AWS console pages and names the commands that
// follow; the lean variant puts the commands on one line.
func (m *Model) summaryTail(w int, lean bool) string {
	s := m.styles
	r := m.result
	var b strings.Builder
	b.WriteString(ansi.Wrap(s.Section.Render("AWS console ")+strings.Join(m.consoleLinks(), s.Faint.Render(" · ")), w, ""))
	cmds := []string{"status", "doctor", "disable"}
	if lean {
		for i, c := range cmds {
			cmds[i] = s.Command.Render(c)
		}
		b.WriteString("\n" + ansi.Wrap(s.Section.Render("Next ")+s.Command.Render("crdb-logexport ")+strings.Join(cmds, "|")+s.Command.Render(" --cluster "+r.ClusterName), w, ""))
	} else {
		b.WriteString("\n" + s.Section.Render("Next"))
		for _, c := range cmds {
			b.WriteString("\n  " + s.Command.Render("crdb-logexport "+c+" --cluster "+r.ClusterName))
		}
	}
	if m.flash != "" {
		b.WriteString("\n" + ansi.Wrap(s.OK.Render(m.flash), w, ""))
	}
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "not known yet"
	}
	return s
}

// consoleLinks are OSC 8 hyperlinks to the AWS console pages of what
// setup made; terminals without hyperlinks show the labels.
func (m *Model) consoleLinks() []string {
	r := m.result
	s := m.styles
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
