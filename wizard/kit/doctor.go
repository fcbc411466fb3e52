package kit

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Layout says how a report is laid out.
type Layout struct {
	// Width wraps prose (0: no wrapping).
	Width int
	// Fit also breaks what is otherwise kept whole to copy — evidence,
	// diffs — so that nothing is wider than Width: a screen's viewport.
	Fit bool
	// FixHint names what makes a fixable change ("doctor --fix", "Fix
	// it").
	FixHint string
	// Rows is where what is kept whole to copy wraps without Fit (0: it
	// is not wrapped).
	Rows int
}

// DoctorHeadline is a report's verdict in one line: the cluster, the
// export's status and the counts that are not zero.
func DoctorHeadline(r *steps.DoctorReport, s *Styles) string {
	c := r.Counts()
	verdict := s.OK.Render(GlyphDone + " no errors")
	if n := c[steps.SeverityError]; n > 0 {
		verdict = s.Fail.Render(fmt.Sprintf("%d %s", n, Plural(n, "error", "errors")))
	}
	var counts string
	if n := c[steps.SeverityWarning]; n > 0 {
		counts += " · " + s.Warn.Render(fmt.Sprintf("%d %s", n, Plural(n, "warning", "warnings")))
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
	return s.Section.Render("Diagnosis of "+name) + s.Faint.Render(" · ") + StatusWord(s, r.Status) + s.Faint.Render(" · ") + verdict + counts
}

// WriteDoctorReport is a report as plain text: the headline, then the
// findings.
func WriteDoctorReport(w io.Writer, r *steps.DoctorReport, fixHint string) {
	s := Plain()
	l := Layout{Width: Width, FixHint: fixHint, Rows: Columns(w)}
	if l.Rows > 0 {
		l.Width = min(Width, l.Rows-2)
	}
	fmt.Fprintln(w, Wrap(DoctorHeadline(r, s), l.Rows))
	if f := DoctorFindings(r, s, l); f != "" {
		fmt.Fprintln(w, "\n"+f)
	}
}

// DoctorFindings is a report's findings: the errors, then the warnings,
// each in full — detail, the evidence quoted exactly, the fix — causes
// before what follows from them (steps.DoctorReport.Problems), then the
// info and ok findings one line each (consequences of another finding
// among them).
func DoctorFindings(r *steps.DoctorReport, s *Styles, l Layout) string {
	var blocks []string
	for _, fd := range r.Problems() {
		blocks = append(blocks, strings.Join(findingLines(fd, s, l), "\n"))
	}
	for _, sev := range []steps.Severity{steps.SeverityInfo, steps.SeverityOK} {
		var lines []string
		for _, fd := range r.Findings {
			if fd.Severity == sev {
				lines = append(lines, findingHead(fd, s, l)...)
			}
		}
		if len(lines) > 0 {
			blocks = append(blocks, strings.Join(lines, "\n"))
		}
	}
	return strings.Join(blocks, "\n\n")
}

// severityMark marks a finding with a glyph and the severity's name: both
// survive without colour, and a screen reader says the name.
func severityMark(s *Styles, sev steps.Severity) string {
	var mark string
	switch sev {
	case steps.SeverityError:
		mark = s.Fail.Render(GlyphFailed + " error")
	case steps.SeverityWarning:
		mark = s.Warn.Render(GlyphWarn + " warning")
	case steps.SeverityOK:
		mark = s.OK.Render(GlyphDone + " ok")
	default:
		mark = s.Faint.Render("· info")
	}
	return mark + strings.Repeat(" ", max(11-ansi.StringWidth(mark), 1))
}

// findingHead is the severity, the check ID (the stable public name) and
// the summary: on one line when it fits, the summary below otherwise.
func findingHead(fd steps.Finding, s *Styles, l Layout) []string {
	head := severityMark(s, fd.Severity) + s.Bold.Render(fd.Check)
	one := head + strings.Repeat(" ", max(29-len(fd.Check), 0)+1) + fd.Summary
	full := fd.Severity == steps.SeverityError || fd.Severity == steps.SeverityWarning
	switch {
	case l.Width <= 0 || ansi.StringWidth(one) <= l.Width || !full && !l.Fit && l.Rows <= 0:
		return []string{one}
	case !full && !l.Fit:
		// One row, wrapped under its summary within a row's width.
		prefix := one[:len(one)-len(fd.Summary)]
		return Hanging(prefix, fd.Summary, l.Rows, s.Text)
	}
	return append([]string{head}, WrapIndented(fd.Summary, 4, l.Width, s.Text)...)
}

func findingLines(fd steps.Finding, s *Styles, l Layout) []string {
	lines := findingHead(fd, s, l)
	if fd.Detail != "" {
		lines = append(lines, WrapIndented(fd.Detail, 4, l.Width, s.Faint)...)
	}
	if fd.Evidence != "" {
		lines = append(lines, "    "+s.Label.Render("Evidence:"))
		// Quoted word for word: broken only at spaces — inside a word
		// only after ':' or '/' — at the width of the screen (Fit) or
		// of a terminal's row; whole elsewhere, to copy.
		width := l.Rows
		if l.Fit {
			width = l.Width
		}
		for _, line := range strings.Split(fd.Evidence, "\n") {
			parts := []string{line}
			if width > 0 {
				parts = WrapLines(line, max(width-6, 10))
			}
			for _, part := range parts {
				lines = append(lines, "      "+s.Value.Render(part))
			}
		}
	}
	if fd.Fix != "" {
		fix := "Fix: " + fd.Fix
		if fd.Fixable && l.FixHint != "" {
			fix += " (" + l.FixHint + " can do this)"
		}
		for i, line := range WrapWords(fix, max(l.Width-4, 0)) {
			if i == 0 {
				line = s.Label.Render("Fix") + strings.TrimPrefix(line, "Fix")
			}
			lines = append(lines, "    "+line)
		}
	}
	return lines
}

// FixPlan is each repair with the exact change it makes — the policy or
// trust document as a diff, or the resource to create — then whether the
// export is enabled again, and what is left to the person.
func FixPlan(p *steps.FixPlan, s *Styles, l Layout) string {
	var blocks []string
	for i, x := range p.Fixes {
		head := fmt.Sprintf("%2d. [%s] %s", i+1, x.Kind, x.Summary)
		lines := WrapWords(head, l.Width)
		for j := range lines {
			if j > 0 {
				lines[j] = "    " + lines[j]
			}
			lines[j] = s.Bold.Render(lines[j])
		}
		lines = append(lines, WrapIndented("repairs: "+strings.Join(x.Checks, ", "), 4, l.Width, s.Faint)...)
		for _, d := range strings.Split(x.Diff, "\n") {
			lines = append(lines, DiffLines(d, "    ", s, l.Width, l.Fit)...)
		}
		blocks = append(blocks, strings.Join(lines, "\n"))
	}
	if p.Reenable {
		blocks = append(blocks, WrapProse(fmt.Sprintf("Then the export is enabled again (%s), once the checks pass.", p.ReenableReason), l.Width))
	}
	if len(p.Manual) > 0 {
		lines := []string{s.Section.Render("Left to you") + s.Faint.Render(" (not changed here; see each finding's fix):")}
		for _, fd := range p.Manual {
			lines = append(lines, WrapIndented(fd.Check+": "+fd.Summary, 2, l.Width, s.Text)...)
		}
		blocks = append(blocks, strings.Join(lines, "\n"))
	}
	return strings.Join(blocks, "\n\n")
}
