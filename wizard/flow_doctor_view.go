package wizard

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

func (f *doctorFlow) keys(m *Model) []string {
	switch f.stage {
	case docReport:
		return []string{"pgup/pgdn scroll", "ctrl+c quit"}
	case docPreview, docReenableAsk:
		return []string{"↑/↓ scroll", "ctrl+c quit"}
	case docApplying, docReenabling:
		return []string{"ctrl+c stop — what is done is kept; the doctor picks up from there"}
	case docReading:
		if !f.changed {
			return []string{"ctrl+c quit — the checks change nothing"}
		}
	}
	return []string{"ctrl+c quit"}
}

func (f *doctorFlow) body(m *Model, w, h int) string {
	s := m.styles
	switch f.stage {
	case docReadFailed:
		var text string
		if isNotApplicable(f.readErr) {
			text = ansi.Wrap(s.Fail.Render(glyphFailed)+" "+notApplicable(m.cluster, f.readErr), w, "")
		} else {
			text = m.errorBlock(f.readErr, w)
		}
		return text + "\n\n" + m.formView()
	case docReading:
		if f.next == nextNothing {
			return m.spinnerLine(fmt.Sprintf("Running the doctor's checks on %s (read-only): the export and its status, the role with its trust and permission policies, the log groups and their newest streams…", m.cluster.Name), w)
		}
		// After repairs, what they did stays on screen while the checks
		// run again.
		return f.progressBody(m, m.spinnerLine("Checking again (read-only)…", w), w, h)
	case docApplying, docReenabling:
		what := "Applying the repairs…"
		if f.stage == docReenabling {
			what = "Enabling the export again and following it to a terminal status…"
		}
		return f.progressBody(m, m.spinnerLine(what, w), w, h)
	case docPreview:
		head := wrapProse(s.Section.Render(fmt.Sprintf("Fix it: %d %s to %s", len(f.plan.Fixes), plural(len(f.plan.Fixes), "change", "changes"), f.plan.ClusterName))+s.Faint.Render(" — nothing has changed yet"), w)
		return m.scrolled(head, renderFixPlan(f.plan, s, w), w, h)
	}
	return m.scrolled(f.reportHead(m, w), renderDoctorReport(f.report, s, w), w, h)
}

// scrolled lays out a title, content and the current form in h lines: the
// content scrolls in the viewport when it does not fit. The viewport takes
// its size here, when the space is known, so that scrolling keys act on
// what is on screen.
func (m *Model) scrolled(head, content string, w, h int) string {
	form := m.formView()
	room := h - lipgloss.Height(head) - 1 - 1 - lipgloss.Height(form)
	if lipgloss.Height(content) <= room {
		return head + "\n\n" + content + "\n\n" + form
	}
	m.vp.SetWidth(w)
	m.vp.SetHeight(max(room-1, 3))
	m.vp.SetContent(content)
	more := m.styles.Faint.Render(fmt.Sprintf("(%d%% — pgup/pgdn for more)", int(m.vp.ScrollPercent()*100)))
	return head + "\n\n" + m.vp.View() + "\n" + more + "\n\n" + form
}

// reportHead is the verdict in one line, then what the last action led to.
func (f *doctorFlow) reportHead(m *Model, w int) string {
	s := m.styles
	r := f.report
	c := r.Counts()
	// Only the counts that are not zero: the line fits 80 columns.
	verdict := s.OK.Render(glyphDone + " no errors")
	if n := c[steps.SeverityError]; n > 0 {
		verdict = s.Fail.Render(fmt.Sprintf("%d %s", n, plural(n, "error", "errors")))
	}
	var counts string
	if n := c[steps.SeverityWarning]; n > 0 {
		counts += " · " + s.Warn.Render(fmt.Sprintf("%d %s", n, plural(n, "warning", "warnings")))
	}
	if n := c[steps.SeverityInfo]; n > 0 {
		counts += s.Faint.Render(fmt.Sprintf(" · %d info", n))
	}
	if n := c[steps.SeverityOK]; n > 0 {
		counts += s.Faint.Render(fmt.Sprintf(" · %d ok", n))
	}
	name := r.ClusterName
	if name == "" {
		name = r.ClusterID
	}
	out := wrapProse(s.Section.Render("Diagnosis of "+name)+s.Faint.Render(" · ")+statusWord(s, r.Status)+s.Faint.Render(" · ")+verdict+counts, w)
	if f.note != "" {
		out += "\n" + wrapProse(f.note, w)
	}
	if f.opErr != nil {
		out += "\n" + m.errorBlock(f.opErr, w)
	}
	return out
}

// statusWord is an export status with its glyph and colour.
func statusWord(s *Styles, st cloudapi.Status) string {
	switch {
	case st == cloudapi.StatusEnabled:
		return s.OK.Render(glyphDone + " " + string(st))
	case st.Failed():
		return s.Fail.Render(glyphFailed + " " + string(st))
	case st == "":
		return s.Faint.Render("unknown")
	}
	return s.Current.Render(string(st))
}

// progressBody is the repairs as they happen: what each did, the export's
// status while it is enabled again, and the line of what runs now. The
// newest lines win when they do not all fit.
func (f *doctorFlow) progressBody(m *Model, now string, w, h int) string {
	s := m.styles
	var parts []string
	switch {
	case f.stage == docReenabling || f.next == nextReenable:
		parts = append(parts, wrapProse(s.Section.Render("Enabling the export of "+m.cluster.Name+" again")+s.Faint.Render(" ("+f.reenableWhy+")"), w))
	case f.applied != nil && (f.stage == docApplying || f.next == nextRepairs):
		n := len(f.applied.Fixes)
		parts = append(parts, s.Section.Render(fmt.Sprintf("Repairing the export of %s: %d %s", m.cluster.Name, n, plural(n, "change", "changes"))))
	}
	var lines []string
	for _, e := range f.events {
		glyph := s.OK.Render(glyphDone)
		if !e.ok {
			glyph = s.Fail.Render(glyphFailed)
		}
		lines = append(lines, wrapProse(glyph+" "+e.text, w))
	}
	if len(lines) > 0 {
		parts = append(parts, strings.Join(lines, "\n"))
	}
	if f.status != nil {
		elapsed := f.ranFor
		if elapsed == 0 {
			elapsed = m.opts.now().Sub(f.runAt)
		}
		parts = append(parts, m.exportStatusView(*f.status, elapsed, f.polls+f.status.Polls, f.wait, w))
	}
	parts = append(parts, now)
	out := strings.Join(parts, "\n\n")
	if all := strings.Split(out, "\n"); len(all) > h && h > 0 {
		out = strings.Join(all[len(all)-h:], "\n")
	}
	return out
}

// renderDoctorReport is the report's content: errors, then warnings, each
// with its detail, the evidence quoted exactly and the fix; then the info
// findings one line each, and the checks that passed as one list.
func renderDoctorReport(r *steps.DoctorReport, s *Styles, w int) string {
	var blocks []string
	for _, fd := range r.Problems() {
		blocks = append(blocks, strings.Join(findingLines(fd, s, w), "\n"))
	}
	var rest []string
	var ok []string
	for _, fd := range r.Findings {
		switch fd.Severity {
		case steps.SeverityInfo:
			rest = append(rest, findingHead(fd, s, w)...)
		case steps.SeverityOK:
			ok = append(ok, fd.Check)
		}
	}
	if len(ok) > 0 {
		list := wrapIndented(strings.Join(ok, ", "), 2, w, s.Faint)
		rest = append(rest, s.OK.Render(fmt.Sprintf("%s %d ok", glyphDone, len(ok))))
		rest = append(rest, list...)
	}
	if len(rest) > 0 {
		blocks = append(blocks, strings.Join(rest, "\n"))
	}
	return strings.Join(blocks, "\n\n")
}

// severityGlyph marks a finding; the glyph carries the severity without
// colour too.
func severityGlyph(s *Styles, sev steps.Severity) string {
	switch sev {
	case steps.SeverityError:
		return s.Fail.Render(glyphFailed)
	case steps.SeverityWarning:
		return s.Warn.Render(glyphWarn)
	case steps.SeverityOK:
		return s.OK.Render(glyphDone)
	}
	return s.Faint.Render("·")
}

// findingHead is the check ID (the stable public name) and the summary:
// on one line when both fit, the summary below otherwise.
func findingHead(fd steps.Finding, s *Styles, w int) []string {
	head := severityGlyph(s, fd.Severity) + " " + s.Bold.Render(fd.Check)
	if 2+len(fd.Check)+2+ansi.StringWidth(fd.Summary) <= w {
		return []string{head + "  " + fd.Summary}
	}
	return append([]string{head}, wrapIndented(fd.Summary, 2, w, s.Text)...)
}

func findingLines(fd steps.Finding, s *Styles, w int) []string {
	lines := findingHead(fd, s, w)
	if fd.Detail != "" {
		lines = append(lines, wrapIndented(fd.Detail, 2, w, s.Faint)...)
	}
	if fd.Evidence != "" {
		lines = append(lines, "  "+s.Label.Render("Evidence"))
		// Quoted exactly: broken at the width, every character kept.
		for _, line := range strings.Split(fd.Evidence, "\n") {
			for _, part := range strings.Split(ansi.Hardwrap(line, max(w-4, 10), true), "\n") {
				lines = append(lines, "    "+s.Value.Render(part))
			}
		}
	}
	if fd.Fix != "" {
		for i, line := range wrapWords("Fix: "+fd.Fix, w-2) {
			if i == 0 {
				line = s.Label.Render("Fix") + strings.TrimPrefix(line, "Fix")
			}
			lines = append(lines, "  "+line)
		}
		if fd.Fixable {
			lines = append(lines, "  "+s.OK.Render("Fix it (below) can make this change."))
		}
	}
	return lines
}

// renderFixPlan is each repair with the exact change it makes — the policy
// or trust document as a diff, or the resource to create — then whether
// the export is enabled again, and what is left to the user.
func renderFixPlan(p *steps.FixPlan, s *Styles, w int) string {
	var blocks []string
	for i, x := range p.Fixes {
		var lines []string
		head := fmt.Sprintf("%d. %s", i+1, x.Kind)
		lines = append(lines, s.Bold.Render(head))
		lines = append(lines, wrapIndented(x.Summary, 3, w, s.Text)...)
		lines = append(lines, wrapIndented("repairs "+strings.Join(x.Checks, ", "), 3, w, s.Faint)...)
		for _, d := range strings.Split(x.Diff, "\n") {
			lines = append(lines, diffLines(d, s, w)...)
		}
		blocks = append(blocks, strings.Join(lines, "\n"))
	}
	if p.Reenable {
		blocks = append(blocks, strings.Join(wrapIndented(fmt.Sprintf("Then the export is enabled again (%s), once the checks pass.", p.ReenableReason), 0, w, s.Text), "\n"))
	}
	if len(p.Manual) > 0 {
		lines := []string{s.Section.Render("Left to you") + s.Faint.Render(" (not changed here; see each finding's fix)")}
		for _, fd := range p.Manual {
			lines = append(lines, findingHead(fd, s, w)...)
		}
		blocks = append(blocks, strings.Join(lines, "\n"))
	}
	return strings.Join(blocks, "\n\n")
}

// diffLines renders one line of a fix's diff, indented under its repair:
// removals and additions coloured, kept lines faint. A long line is broken
// at the width and its continuation keeps the line's colour.
func diffLines(d string, s *Styles, w int) []string {
	style := s.Faint
	switch {
	case strings.HasPrefix(d, "+ "):
		style = s.OK
	case strings.HasPrefix(d, "- "):
		style = s.Fail
	}
	const indent = "   "
	var out []string
	for i, part := range strings.Split(ansi.Hardwrap(d, max(w-len(indent)-2, 10), true), "\n") {
		if i > 0 {
			part = "  " + part
		}
		out = append(out, indent+style.Render(part))
	}
	return out
}

// wrapIndented wraps text to w columns under an indent of n spaces, each
// line styled on its own so that a viewport showing any slice of them
// keeps their colour.
func wrapIndented(text string, n, w int, style lipgloss.Style) []string {
	pad := strings.Repeat(" ", n)
	var out []string
	for _, line := range wrapWords(text, w-n) {
		out = append(out, pad+style.Render(line))
	}
	return out
}

// wrapWords breaks prose at spaces only, so that check IDs and other
// hyphenated names stay whole (ansi.Wrap also breaks at hyphens); a word
// longer than the width is broken at the width. Runs of spaces collapse:
// it is for prose, not for aligned columns.
func wrapWords(text string, width int) []string {
	width = max(width, 10)
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			for _, part := range strings.Split(ansi.Hardwrap(word, width, false), "\n") {
				switch {
				case line == "":
					line = part
				case ansi.StringWidth(line)+1+ansi.StringWidth(part) <= width:
					line += " " + part
				default:
					lines = append(lines, line)
					line = part
				}
			}
		}
		lines = append(lines, line)
	}
	return lines
}

// wrapProse is wrapWords as one string.
func wrapProse(text string, width int) string {
	return strings.Join(wrapWords(text, width), "\n")
}

// sentence makes a clause a sentence: a capital first and a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[size:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
