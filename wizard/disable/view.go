package disable

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// View draws the disable, or connecting.
func (m *Model) View(w, h int) string {
	if m.Conn.Active() {
		return m.Conn.View(w)
	}
	sh := m.sh
	switch m.stage {
	case loading:
		return kit.SpinnerLine(sh.Spin.View(), kit.StageText(steps.StageDisableRead, "", ""), w)
	case loadFailed:
		return kit.ErrorBlock(m.err, sh.Styles, w, 0) + "\n\n" + sh.FormView()
	case confirm:
		out := m.overviewView(w, false) + "\n\n" + sh.FormView()
		if lipgloss.Height(out) > h {
			out = m.overviewView(w, true) + "\n\n" + sh.FormView()
		}
		return out
	case confirmLogGroups:
		return m.logGroupsWarning(w) + "\n\n" + sh.FormView()
	}
	return m.progressBody(w, h)
}

// Keys are the disable's keys.
func (m *Model) Keys() []string {
	if m.Conn.Active() {
		return m.Conn.Keys()
	}
	switch m.stage {
	case applying:
		return []string{m.sh.StopKey()}
	case done:
		return []string{kit.KeyExit}
	case confirmLogGroups:
		return []string{kit.KeyBack, kit.KeyQuitUnmoved}
	case failed:
		return []string{kit.KeyQuit}
	}
	return []string{kit.KeyQuitUnmoved}
}

// overviewView is the confirmation's account of what disabling does;
// compact drops the blank lines and the status message for short screens.
func (m *Model) overviewView(w int, compact bool) string {
	s := m.sh.Styles
	o := kit.DisableOverview(m.overview)
	var blocks []string
	head := o.Head
	if head == "" {
		head = s.Section.Render("Log export of "+m.overview.ClusterName) + s.Faint.Render(" · status ") + statusText(s, m.overview.Status)
	} else {
		head = s.Section.Render(head)
	}
	if o.Message != "" && !compact {
		head += "\n" + s.Label.Render("user_message ") + o.Message
	}
	blocks = append(blocks, kit.Wrap(head, w))
	if len(o.Stops) > 0 {
		lines := []string{s.Section.Render("Disabling stops")}
		for _, st := range o.Stops {
			lines = append(lines, kit.Hanging("  • ", st, w, s.Text)...)
		}
		blocks = append(blocks, strings.Join(lines, "\n"))
	}
	var clean []string
	if len(o.Removes)+len(o.LogGroups) > 0 {
		clean = append(clean, s.Section.Render("Cleanup")+s.Faint.Render(" removes only what this tool made for this cluster (its tags say so):"))
	} else {
		clean = append(clean, kit.Wrap(s.Section.Render("Cleanup")+s.Faint.Render(" has nothing to remove: nothing in AWS carries this tool's tags for this cluster."), w))
	}
	for _, r := range o.Removes {
		clean = append(clean, kit.Hanging("  − ", r, w, s.Text)...)
	}
	for _, g := range o.LogGroups {
		clean = append(clean, kit.Hanging("  − ", "log group "+g+", with the last choice only: it holds the exported logs", w, s.Text)...)
	}
	for _, k := range o.Kept {
		clean = append(clean, kit.Hanging("  = ", "keeps "+k, w, s.Faint)...)
	}
	for _, u := range o.Untouched {
		clean = append(clean, kit.Hanging("  = ", "never touches "+u, w, s.Faint)...)
	}
	blocks = append(blocks, strings.Join(clean, "\n"))
	sep := "\n\n"
	if compact {
		sep = "\n"
	}
	return strings.Join(blocks, sep)
}

func statusText(s *kit.Styles, st cloudapi.Status) string {
	switch {
	case st == cloudapi.StatusEnabled:
		return s.OK.Render(string(st))
	case st.Failed():
		return s.Fail.Render(string(st))
	}
	return s.Current.Render(kit.OrUnknown(string(st)))
}

// logGroupsWarning is the second confirmation's warning: each log group by
// name, and what deleting it loses.
func (m *Model) logGroupsWarning(w int) string {
	s := m.sh.Styles
	o := kit.DisableOverview(m.overview)
	lines := []string{
		s.Warn.Render(kit.GlyphWarn + " Deleting a log group deletes every log event in it, for good"),
		"These log groups hold the exported logs of " + clusterName(m.sh.Session.Cluster) + ":",
	}
	for _, g := range o.LogGroups {
		lines = append(lines, "  "+s.Value.Render(g))
	}
	lines = append(lines, s.Faint.Render("Either way, the export is disabled and what else this tool created is removed. esc goes back."))
	return s.WarnBox.Render(kit.Wrap(strings.Join(lines, "\n"), w-4))
}

// progressBody is the disable as it runs: its steps with what cleanup
// removed and kept, the export's status, then the failure and its choices
// or the outcome.
func (m *Model) progressBody(w, h int) string {
	s := m.sh.Styles
	if m.stage == done && m.res != nil {
		return m.outcomeView(w)
	}
	name := clusterName(m.sh.Session.Cluster)
	title := s.Section.Render("Disabling the log export of " + name)
	if m.stage == failed {
		title = s.Fail.Render("Disabling the log export of " + name + " stopped")
	}
	spin := m.sh.Spin.View()
	list := []string{title, kit.TaskStepLine(s, m.marks[0], spin, "Disable the export and wait until it is DISABLED", w)}
	if m.in != nil && m.in.Cleanup {
		list = append(list, kit.TaskStepLine(s, m.marks[1], spin, "Remove what this tool created", w))
		list = append(list, m.resourceLines(w)...)
	}
	var status string
	if m.status != nil {
		status = kit.ExportStatusView(*m.status, m.status.Elapsed, m.status.Polls, nil, m.sh.Now(), s, w)
	}
	var end string
	if m.stage == failed {
		end = m.failurePanel(w)
	}
	layouts := [][]string{
		{strings.Join(list, "\n"), status, end},
		{title, status, end},
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

func (m *Model) resourceLines(w int) []string {
	s := m.sh.Styles
	var out []string
	for _, r := range m.resources {
		if r.removed {
			out = append(out, kit.Hanging("    "+s.OK.Render(kit.GlyphDone)+" ", "removed "+r.label, w, s.Text)...)
			continue
		}
		out = append(out, kit.Hanging("    · ", "kept "+r.label+" ("+r.reason+")", w, s.Faint)...)
	}
	return out
}

func (m *Model) failurePanel(w int) string {
	var b strings.Builder
	b.WriteString(kit.ErrorBlock(m.err, m.sh.Styles, w, 0))
	b.WriteString(kit.ResumeLine(m.sh.Styles, m.sh.Advice(m.resume()), w))
	if form := m.sh.FormView(); form != "" {
		b.WriteString("\n\n" + form)
	}
	return b.String()
}

// outcomeView is what disabling did: the status reached, what cleanup
// removed and what it kept (and why), and how to set it up again.
func (m *Model) outcomeView(w int) string {
	s := m.sh.Styles
	r := m.res
	var lines []string
	switch {
	case r.AlreadyDisabled:
		lines = append(lines, s.OK.Render(kit.GlyphDone+" Log export of "+r.ClusterName+" was already disabled"))
	case r.Status == cloudapi.StatusDisabled:
		lines = append(lines, s.OK.Render(kit.GlyphDone+" Log export of "+r.ClusterName+" is DISABLED"))
	default:
		lines = append(lines, s.Warn.Render(fmt.Sprintf("Log export of %s is %s", r.ClusterName, kit.OrUnknown(string(r.Status)))))
	}
	if len(r.Removed) > 0 {
		lines = append(lines, s.Section.Render("Removed")+s.Faint.Render(" (this tool created them)"))
		for _, x := range r.Removed {
			lines = append(lines, kit.Hanging("  "+s.OK.Render(kit.GlyphDone)+" ", x, w, s.Text)...)
		}
	}
	if len(r.Kept) > 0 {
		lines = append(lines, s.Section.Render("Kept"))
		for _, x := range r.Kept {
			lines = append(lines, kit.Hanging("  · ", x, w, s.Faint)...)
		}
	}
	if m.in == nil || !m.in.Cleanup {
		lines = append(lines, s.Faint.Render("The role, the policy and the log group are left as they are."))
	}
	lines = append(lines, s.Section.Render("Set up again ")+s.Command.Render("crdb-logexport setup --cluster "+r.ClusterName))
	return kit.Wrap(strings.Join(lines, "\n"), w)
}
