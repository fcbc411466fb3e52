package status

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// Keys are the status screen's: those of the decision once it is asked.
func (m *Model) Keys() []string {
	if m.Conn.Active() {
		return m.Conn.Keys()
	}
	var keys []string
	if m.sh.Offers(steps.OptReadAgain) {
		keys = append(keys, "r read again")
	}
	if m.sh.Offers(steps.OptDiagnose) {
		keys = append(keys, "d diagnose")
	}
	if m.sh.FromMenu {
		return append(keys, "esc menu", "q quit")
	}
	return append(keys, "q quit")
}

// View draws the status, or connecting.
func (m *Model) View(w, h int) string {
	s := m.sh.Styles
	if m.Conn.Active() {
		return m.Conn.View(w)
	}
	if m.notApplicable != nil {
		return kit.Wrap(s.Fail.Render(kit.GlyphFailed)+" "+kit.NotApplicable(m.sh.Session.Cluster, m.notApplicable), w)
	}
	cur := m.current()
	if cur == nil {
		if m.readErr != nil {
			return kit.ErrorBlock(m.readErr, s, w, 0) + "\n\n" + s.Faint.Render("r tries again")
		}
		return kit.SpinnerLine(m.sh.Spin.View(), kit.StageText(steps.StageStatusRead, m.sh.Session.Cluster.Name, ""), w)
	}
	// The whole view when it fits; else the lean one when that fits; else
	// the whole one, which the screen scrolls — the lean view drops rows,
	// which scrolling could then never reach.
	full := m.sections(cur, false, w)
	if lipgloss.Height(full) <= h {
		return full
	}
	if lean := m.sections(cur, true, w); lipgloss.Height(lean) <= h {
		return lean
	}
	return full
}

// sections are the status, the configuration, the logs and what to do;
// the lean variant, for short terminals, keeps the configuration's two
// main values.
func (m *Model) sections(cur *steps.ClusterExport, lean bool, w int) string {
	s := m.sh.Styles
	parts := []string{m.statusSection(cur, lean, w)}
	if c := m.configSection(cur, lean, w); c != "" {
		parts = append(parts, c)
	}
	if l := m.logsSection(cur, w); l != "" {
		parts = append(parts, l)
	}
	if hint, cmd := m.hint(cur, lean); hint != "" {
		text := kit.WrapProse(hint, w)
		if cmd != "" {
			// The command on a line of its own, to copy whole.
			text += "\n  " + s.Command.Render(cmd)
		}
		parts = append(parts, text)
	}
	title := s.Section.Render("Log export of "+cur.ClusterName) + s.Faint.Render(fmt.Sprintf(" · %s on %s", cur.Plan, cur.CloudProvider))
	if lean && m.following && m.live {
		title += s.Faint.Render(" · " + m.sh.Spin.View() + " following live")
	}
	return kit.WrapProse(title, w) + "\n" + strings.Join(parts, "\n\n")
}

// statusSection is the status as the watch last saw it (or as read), and
// whether it is still followed.
func (m *Model) statusSection(cur *steps.ClusterExport, lean bool, w int) string {
	s := m.sh.Styles
	ev := cloudapi.StatusEvent{
		Info:         cloudapi.LogExportInfo{Status: cur.Status, UserMessage: cur.UserMessage},
		ClusterState: cur.ClusterState, OperationStatus: cur.OperationStatus,
	}
	if m.ev != nil {
		ev = *m.ev
		ev.Info.Status, ev.Info.UserMessage = cur.Status, cur.UserMessage
		ev.ClusterState, ev.OperationStatus = cur.ClusterState, cur.OperationStatus
	}
	elapsed := ev.Elapsed
	if m.following {
		elapsed = m.sh.Now().Sub(m.watchStart)
	}
	out := kit.ExportStatusView(ev, elapsed, ev.Polls, nil, m.sh.Now(), s, w)
	switch {
	case m.following && m.live && lean:
		// The title says it is live.
	case m.following && m.live:
		// One line: that it is live, and since when the status stands.
		text := "following live while the status changes"
		if !m.moving() {
			text = "following live: a change made anywhere shows here"
		}
		if since := m.sinceText(); since != "" {
			text += " · " + since
		}
		out += "\n" + kit.SpinnerLine(m.sh.Spin.View(), s.Faint.Render(text), w)
	case m.following:
		out += "\n" + kit.SpinnerLine(m.sh.Spin.View(), s.Faint.Render("following live until the status is terminal"), w)
	case m.watchErr != nil:
		out += "\n" + kit.Wrap(s.Warn.Render("The watch stopped: ")+m.watchErr.Error()+s.Faint.Render(" (r tries again)"), w)
	}
	if m.readErr != nil {
		out += "\n" + kit.Wrap(s.Warn.Render("Reading it again failed: ")+m.readErr.Error(), w)
	}
	return out
}

// sinceText says when the status last changed, as the watch saw it: the
// time of the poll that saw the change, or that none was seen since the
// watch began.
func (m *Model) sinceText() string {
	if m.ev == nil || m.ev.Since.IsZero() || m.ev.Err != nil && m.ev.Info.Status == "" {
		return ""
	}
	now := m.sh.Now()
	at := m.ev.Since.UTC().Format("15:04:05") + " UTC"
	if m.ev.Changes == 0 {
		return fmt.Sprintf("unchanged since the watch began at %s (%s ago)", at, kit.FormatAge(now.Sub(m.ev.Since)))
	}
	return fmt.Sprintf("%s since %s (%s ago); %d %s seen", m.current().Status, at, kit.FormatAge(now.Sub(m.ev.Since)), m.ev.Changes, kit.Plural(m.ev.Changes, "change", "changes"))
}

// configSection is the export's configuration, one value a line.
func (m *Model) configSection(cur *steps.ClusterExport, lean bool, w int) string {
	s := m.sh.Styles
	spec := cur.Spec
	if spec == nil {
		return ""
	}
	var rows [][2]string
	add := func(k, v string) { rows = append(rows, [2]string{k, v}) }
	add("log group", spec.LogName)
	add("role", spec.AuthPrincipal)
	if !lean {
		if spec.AWSExternalID != "" {
			add("external ID", spec.AWSExternalID)
		}
		if spec.Region != "" {
			add("regions", "all to the log group in "+spec.Region)
		} else {
			add("regions", "each to its own log group: "+strings.Join(cur.Regions, ", "))
		}
		redact, omitted := "off", "none"
		if spec.Redact != nil && *spec.Redact {
			redact = "on"
		}
		if len(spec.OmittedChannels) > 0 {
			omitted = strings.Join(spec.OmittedChannels, ", ")
		}
		add("redaction", redact+" · omitted channels: "+omitted)
		for _, g := range spec.Groups {
			add("group", steps.FormatGroup(g))
		}
	} else if len(spec.Groups) > 0 {
		add("groups", fmt.Sprint(len(spec.Groups)))
	}
	lines := []string{kit.Wrap(s.Section.Render("Configuration")+s.Faint.Render(changedAt(cur)), w)}
	for _, r := range rows {
		switch {
		case 2+12+len(r[1]) <= w:
			lines = append(lines, fmt.Sprintf("  %s %s", s.Label.Render(fmt.Sprintf("%-11s", r[0])), s.Value.Render(r[1])))
		case 4+len(r[1]) <= w:
			// A value too long to stand beside its label (an ARN) goes
			// on its own line, whole, rather than cut where it wraps.
			lines = append(lines, "  "+s.Label.Render(r[0]), "    "+s.Value.Render(r[1]))
		default:
			// Longer than a line: under its label, wrapped at spaces (an
			// ARN after ':' or '/'), each line indented.
			lines = append(lines, "  "+s.Label.Render(r[0]))
			lines = append(lines, kit.Hanging("    ", r[1], w, s.Value)...)
		}
	}
	return strings.Join(lines, "\n")
}

// changedAt says when the configuration was created and last changed.
func changedAt(cur *steps.ClusterExport) string {
	var parts []string
	if !cur.CreatedAt.IsZero() {
		parts = append(parts, "created "+cur.CreatedAt.UTC().Format(time.RFC3339))
	}
	if !cur.UpdatedAt.IsZero() && !cur.UpdatedAt.Equal(cur.CreatedAt) {
		parts = append(parts, "updated "+cur.UpdatedAt.UTC().Format(time.RFC3339))
	}
	if len(parts) == 0 {
		return ""
	}
	return " · " + strings.Join(parts, " · ")
}

// logsSection is whether logs arrive in each destination region, with the
// meaning `status` gives it: some stream got an event within the last
// ArrivingWindow.
func (m *Model) logsSection(cur *steps.ClusterExport, w int) string {
	s := m.sh.Styles
	if len(cur.Logs) == 0 {
		if cur.LogsNote == "" || !cur.Configured {
			return ""
		}
		return kit.Wrap(s.Section.Render("Logs ")+s.Faint.Render(cur.LogsNote), w)
	}
	groups := map[string]bool{}
	for _, l := range cur.Logs {
		groups[l.LogGroup] = true
	}
	head := s.Section.Render("Logs in CloudWatch")
	if len(groups) == 1 {
		head += s.Faint.Render(" group " + cur.Logs[0].LogGroup)
	}
	if m.moving() || m.stale() {
		head += s.Faint.Render(" (as read before the status changed)")
	} else {
		head += s.Faint.Render(fmt.Sprintf(" (live, every %s)", kit.FormatAge(m.cfg.LogsEvery)))
	}
	lines := []string{head}
	now := m.sh.Now()
	for _, l := range cur.Logs {
		var text string
		switch {
		case l.Error != "":
			text = s.Fail.Render(kit.GlyphFailed) + " " + l.Error
		case l.Streams == 0:
			text = s.Faint.Render("no log streams yet (logs are not back-filled)")
		default:
			text = fmt.Sprintf(" %d %s", l.Streams, kit.Plural(l.Streams, "stream", "streams")) + s.Faint.Render(" · newest event "+kit.FormatAge(now.Sub(l.Newest))+" ago")
			if l.Arriving {
				text = s.OK.Render(kit.GlyphDone) + text
			} else {
				text = s.Warn.Render(kit.GlyphWarn) + text + s.Warn.Render(" — not arriving")
			}
		}
		where := fmt.Sprintf("  %-15s ", l.Region)
		if len(groups) > 1 {
			where += l.LogGroup + " "
		}
		lines = append(lines, kit.Wrap(where+text, w))
	}
	return strings.Join(lines, "\n")
}

// hint says what to do about what is shown, and the command that does it
// when there is one: diagnose a failure or logs that do not arrive, or set
// up an export that is off.
func (m *Model) hint(cur *steps.ClusterExport, lean bool) (string, string) {
	s := m.sh.Styles
	switch {
	case cur.Status.Failed() && lean:
		return s.Fail.Render(kit.GlyphFailed+" The export failed.") + " Press " + s.Key.Render("d") + " for the doctor's checks.", ""
	case cur.Status.Failed():
		return s.Fail.Render(kit.GlyphFailed+" The export failed.") + " Press " + s.Key.Render("d") + " to run the doctor's checks: they name the exact field that is wrong, and repair what they can.", ""
	case !m.moving() && len(steps.NotArriving(cur)) > 0:
		text := s.Warn.Render(kit.GlyphWarn+" No logs arriving in "+strings.Join(steps.NotArriving(cur), ", ")+".") + " Press " + s.Key.Render("d") + " to diagnose."
		if !lean {
			text += s.Faint.Render(" Right after enabling, logs appear as nodes write: they are not back-filled.")
		}
		return text, ""
	case cur.Status == cloudapi.StatusDisabled:
		text := "Log export is off."
		if !cur.Configured {
			text = "Log export was never configured for this cluster."
		}
		text += " To set it up"
		if m.sh.FromMenu {
			text += " choose Set up in the menu, or run"
		}
		return text + ":", "crdb-logexport setup --cluster " + cur.ClusterName
	}
	return "", ""
}
