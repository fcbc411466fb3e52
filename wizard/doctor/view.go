package doctor

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// Keys are the doctor's keys.
func (m *Model) Keys() []string {
	if m.Conn.Active() {
		return m.Conn.Keys()
	}
	switch m.stage {
	case report:
		return []string{"pgup/pgdn scroll", kit.KeyQuit}
	case preview, reenableAsk:
		return []string{"↑/↓ scroll", kit.KeyQuit}
	case applying, reenabling:
		return []string{"ctrl+c stop — what is done is kept; the doctor picks up from there"}
	case reading:
		if !m.changed {
			return []string{"ctrl+c quit — the checks change nothing"}
		}
	}
	return []string{kit.KeyQuit}
}

// View draws the doctor, or connecting.
func (m *Model) View(w, h int) string {
	if m.Conn.Active() {
		return m.Conn.View(w)
	}
	sh := m.sh
	s := sh.Styles
	name := sh.Session.Cluster.Name
	switch m.stage {
	case readFailed:
		var text string
		if c := sh.Session.Cluster; c.CheckCloudWatch() != nil {
			text = kit.Wrap(s.Fail.Render(kit.GlyphFailed)+" "+kit.NotApplicable(c, c.CheckCloudWatch()), w)
		} else {
			text = kit.ErrorBlock(m.readErr, s, w, 0)
		}
		return text + "\n\n" + sh.FormView()
	case reading:
		if !m.again {
			return kit.SpinnerLine(sh.Spin.View(), kit.StageText(steps.StageDiagnose, name, ""), w)
		}
		// After repairs, what they did stays on screen while the checks
		// run again.
		return m.progressBody(kit.SpinnerLine(sh.Spin.View(), kit.StageText(steps.StageRediagnose, "", ""), w), w, h)
	case applying, reenabling:
		what := kit.StageText(steps.StageRepair, "", "")
		if m.stage == reenabling {
			what = kit.StageText(steps.StageReenable, "", "")
		}
		return m.progressBody(kit.SpinnerLine(sh.Spin.View(), what, w), w, h)
	case preview:
		head := kit.WrapProse(s.Section.Render(fmt.Sprintf("Fix it: %d %s to %s", len(m.plan.Fixes), kit.Plural(len(m.plan.Fixes), "change", "changes"), m.plan.ClusterName))+s.Faint.Render(kit.Unapplied), w)
		return m.scrolled(head, kit.FixPlan(m.plan, s, kit.Layout{Width: w, Fit: true}), w, h)
	}
	if m.report == nil {
		return ""
	}
	return m.scrolled(m.reportHead(w), kit.DoctorFindings(m.report, s, kit.Layout{Width: w, Fit: true, FixHint: "Fix it"}), w, h)
}

// scrolled lays out a title, content and the current form in h lines: the
// content scrolls in the viewport when it does not fit. The viewport takes
// its size here, when the space is known, so that scrolling keys act on
// what is on screen.
func (m *Model) scrolled(head, content string, w, h int) string {
	form := m.sh.FormView()
	room := h - lipgloss.Height(head) - 1 - 1 - lipgloss.Height(form)
	if lipgloss.Height(content) <= room {
		return head + "\n\n" + content + "\n\n" + form
	}
	m.vp.SetWidth(w)
	m.vp.SetHeight(max(room-1, 3))
	m.vp.SetContent(content)
	more := kit.ViewportNote(m.sh.Styles, &m.vp, "pgup", "pgdn")
	return head + "\n\n" + m.vp.View() + "\n" + more + "\n\n" + form
}

// reportHead is the verdict in one line, then what the last action led to.
func (m *Model) reportHead(w int) string {
	out := kit.WrapProse(kit.DoctorHeadline(m.report, m.sh.Styles), w)
	if m.note != "" {
		out += "\n" + kit.WrapProse(strings.TrimSpace(m.note), w)
	}
	if m.opErr != nil {
		out += "\n" + kit.ErrorBlock(m.opErr, m.sh.Styles, w, 0)
	}
	return out
}

// progressBody is the repairs as they happen: what each did, the export's
// status while it is enabled again, and the line of what runs now. The
// newest lines win when they do not all fit.
func (m *Model) progressBody(now string, w, h int) string {
	s := m.sh.Styles
	name := m.sh.Session.Cluster.Name
	var parts []string
	switch {
	case m.last == steps.StageReenable:
		parts = append(parts, kit.WrapProse(s.Section.Render("Enabling the export of "+name+" again")+s.Faint.Render(" ("+m.reenableWhy+")"), w))
	case m.applied != nil:
		n := len(m.applied.Fixes)
		parts = append(parts, s.Section.Render(fmt.Sprintf("Repairing the export of %s: %d %s", name, n, kit.Plural(n, "change", "changes"))))
	}
	var lines []string
	for _, e := range m.events {
		glyph := s.OK.Render(kit.GlyphDone)
		if !e.ok {
			glyph = s.Fail.Render(kit.GlyphFailed)
		}
		lines = append(lines, kit.WrapProse(glyph+" "+e.text, w))
	}
	if len(lines) > 0 {
		parts = append(parts, strings.Join(lines, "\n"))
	}
	if m.status != nil {
		elapsed := m.ranFor
		if elapsed == 0 {
			elapsed = m.sh.Now().Sub(m.runAt)
		}
		parts = append(parts, kit.ExportStatusView(*m.status, elapsed, m.polls+m.status.Polls, m.wait, m.sh.Now(), s, w))
	}
	parts = append(parts, now)
	out := strings.Join(parts, "\n\n")
	if all := strings.Split(out, "\n"); len(all) > h && h > 0 {
		out = strings.Join(all[len(all)-h:], "\n")
	}
	return out
}

// Summary is what stays on the normal screen once the interface has
// ended: the verdict — the whole report follows it on standard output —
// or, before there is one, "" for the last screen whole.
func (m *Model) Summary(w int) string {
	if m.report == nil || m.Conn.Active() {
		return ""
	}
	return m.reportHead(w)
}
