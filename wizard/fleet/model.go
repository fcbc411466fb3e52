package fleet

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/monitor"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// Snapshot is what the screen shows: the last pass, and whether the next
// is under way or when it starts.
type Snapshot struct {
	// Result is the last pass that ended; nil before the first.
	Result  *monitor.PassResult
	Running bool
	Next    time.Time
}

// Choice is how the screen ended: a cluster to open the doctor on, or
// quit.
type Choice struct {
	ClusterID   string
	ClusterName string
	Quit        bool
}

// Model is the screen. Update never blocks: snapshots arrive as messages
// from a command that waits on Changed.
type Model struct {
	ctx     context.Context
	title   string
	latest  func() Snapshot
	changed <-chan struct{}
	now     func() time.Time
	check   func()

	snap          Snapshot
	rows          []monitor.Check
	skipped       []string
	selected      string // cluster ID (or name, for a reference that matched nothing)
	width, height int
	choice        Choice
	st            styles
}

// Config is what a Model needs.
type Config struct {
	// Title says what is watched, e.g. "every cluster that exports logs".
	Title string
	// Latest returns the current snapshot; Changed receives when it
	// changes (a buffered channel the monitor never blocks on).
	Latest  func() Snapshot
	Changed <-chan struct{}
	// CheckNow asks the monitor for a pass now.
	CheckNow func()
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// New returns the screen at its first snapshot.
func New(ctx context.Context, cfg Config) *Model {
	m := &Model{ctx: ctx, title: cfg.Title, latest: cfg.Latest, changed: cfg.Changed, now: cfg.Now, check: cfg.CheckNow, width: 80, height: 24, st: newStyles()}
	if m.now == nil {
		m.now = time.Now
	}
	m.apply(m.latest())
	return m
}

// Choice is how the screen ended.
func (m *Model) Choice() Choice { return m.choice }

type snapshotMsg Snapshot

type tickMsg struct{}

// Init starts waiting for snapshots and the clock of the countdown.
func (m *Model) Init() tea.Cmd { return tea.Batch(m.waitSnapshot(), tick()) }

func (m *Model) waitSnapshot() tea.Cmd {
	return func() tea.Msg {
		select {
		case <-m.changed:
			return snapshotMsg(m.latest())
		case <-m.ctx.Done():
			return nil
		}
	}
}

func tick() tea.Cmd { return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{} }) }

// Update handles keys, the terminal's size, snapshots and the clock.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case snapshotMsg:
		m.apply(Snapshot(msg))
		return m, m.waitSnapshot()
	case tickMsg:
		return m, tick()
	case tea.KeyPressMsg:
		switch msg.String() {
		case "up", "k":
			m.move(-1)
		case "down", "j":
			m.move(1)
		case "home", "g":
			m.move(-len(m.rows))
		case "end", "G":
			m.move(len(m.rows))
		case "enter":
			if r, ok := m.current(); ok && r.ClusterID != "" {
				m.choice = Choice{ClusterID: r.ClusterID, ClusterName: r.ClusterName}
				return m, tea.Quit
			}
		case "r":
			if m.check != nil {
				m.check()
			}
		case "q", "ctrl+c", "esc":
			m.choice = Choice{Quit: true}
			return m, tea.Quit
		}
	}
	return m, nil
}

// apply takes a snapshot: the rows are the watched clusters and those that
// could not be checked, failing first, then unchecked, then healthy, each
// by name; the selection stays on its cluster.
func (m *Model) apply(s Snapshot) {
	m.snap = s
	if s.Result == nil || (s.Result.Err != nil && len(s.Result.Checks) == 0) {
		return
	}
	m.rows, m.skipped = m.rows[:0], m.skipped[:0]
	for _, c := range s.Result.Checks {
		if c.Watched() || c.Error != "" {
			m.rows = append(m.rows, c)
		} else {
			m.skipped = append(m.skipped, c.ClusterName)
		}
	}
	rank := func(c monitor.Check) int {
		switch {
		case c.Health == monitor.Failing:
			return 0
		case c.Error != "":
			return 1
		}
		return 2
	}
	slices.SortStableFunc(m.rows, func(a, b monitor.Check) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a.ClusterName, b.ClusterName))
	})
	if _, ok := m.current(); !ok && len(m.rows) > 0 {
		m.selected = key(m.rows[0])
	}
}

func key(c monitor.Check) string { return cmp.Or(c.ClusterID, c.ClusterName) }

func (m *Model) index() int {
	for i, r := range m.rows {
		if key(r) == m.selected {
			return i
		}
	}
	return -1
}

func (m *Model) current() (monitor.Check, bool) {
	if i := m.index(); i >= 0 {
		return m.rows[i], true
	}
	return monitor.Check{}, false
}

func (m *Model) move(d int) {
	if len(m.rows) == 0 {
		return
	}
	i := min(max(m.index()+d, 0), len(m.rows)-1)
	m.selected = key(m.rows[i])
}

// View draws the screen in the alternate screen: it is a dashboard, and
// what the doctor draws after it must not mix with it.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	return v
}

// Column widths of the table; the finding takes what is left.
const (
	colName    = 16
	colStatus  = 19
	colLogs    = 8
	colChanged = 8
	minFinding = 16
	// minWidth is the narrowest screen drawn: the cursor, the name and
	// the status.
	minWidth = 2 + colName + 1 + colStatus
)

// layout is the table's columns at a width: the finding goes first when
// the screen narrows (the selected cluster's details below show it
// whole), then the last change, then the logs.
type layout struct {
	logs, changed bool
	finding       int // 0: no finding column
}

func tableLayout(w int) layout {
	rest := w - minWidth
	var l layout
	if rest >= 1+colLogs {
		l.logs, rest = true, rest-1-colLogs
	}
	if rest >= 1+colChanged {
		l.changed, rest = true, rest-1-colChanged
	}
	if l.changed && rest >= 1+minFinding {
		l.finding = rest - 1
	}
	return l
}

// join puts the cells of a row (or the header) together, those of the
// columns the layout keeps; each cell is already padded to its column.
func (l layout) join(lead, logs, changed, finding string) string {
	line := lead
	if l.logs {
		line += " " + logs
	}
	if l.changed {
		line += " " + changed
	}
	if l.finding > 0 {
		line += " " + finding
	}
	return line
}

func (m *Model) render() string {
	w := m.width
	if w <= 0 {
		w = 80
	}
	w = max(w, minWidth)
	var b strings.Builder
	b.WriteString(m.st.title.Render(fit("crdb-logexport monitor · "+m.title, w)) + "\n")
	summary := wrap(m.summary(), w, "  ")
	for _, l := range summary {
		b.WriteString(l + "\n")
	}
	if len(m.rows) == 0 {
		b.WriteString("\n" + m.st.faint.Render(fit(m.empty(), w)) + "\n")
		b.WriteString("\n" + m.st.help.Render(fit("r check now · q quit", w)))
		return b.String()
	}
	// Around the table: the title, the summary, the table's header, the
	// line under it and the keys. The rows get what they need, the
	// selected cluster's details the rest (at least a third).
	around := 4 + len(summary)
	details := m.details(w, max(3, m.height/3, m.height-around-len(m.rows)))
	room := max(1, m.height-around-len(details))
	cols := tableLayout(w)
	head := func(s string, w int) string { return m.st.head.Render(pad(s, w)) }
	b.WriteString(cols.join("  "+head("CLUSTER", colName)+" "+head("STATUS", colStatus),
		head("LOGS", colLogs), head("CHANGED", colChanged), head("FINDING", cols.finding)) + "\n")
	first := max(0, min(m.index()-room+1, len(m.rows)-room))
	for i := first; i < len(m.rows) && i < first+room; i++ {
		b.WriteString(m.row(m.rows[i], cols) + "\n")
	}
	more := ""
	if hidden := len(m.rows) - room; hidden > 0 {
		more = fmt.Sprintf("%d more (↑/↓ scroll) · ", hidden)
	}
	if len(m.skipped) > 0 {
		more += fmt.Sprintf("%d cluster(s) not exporting: %s", len(m.skipped), strings.Join(m.skipped, ", "))
	}
	b.WriteString(m.st.faint.Render(fit(more, w)) + "\n")
	for _, l := range details {
		b.WriteString(l + "\n")
	}
	b.WriteString(m.st.help.Render(fit("↑/↓ select · enter doctor · r check now · q quit", w)))
	return b.String()
}

func (m *Model) summary() string {
	s := m.snap
	var parts []string
	if r := s.Result; r != nil {
		kind := "status and logs"
		if r.Deep {
			kind = "every check"
		}
		parts = append(parts, fmt.Sprintf("pass #%d (%s) at %s", r.Number, kind, r.Started.Local().Format("15:04:05")))
		h, f, e := r.Count()
		counts := fmt.Sprintf("%s healthy · %s failing", m.st.ok.Render(fmt.Sprint(h)), m.st.fail.Render(fmt.Sprint(f)))
		if e > 0 {
			counts += fmt.Sprintf(" · %d not checked", e)
		}
		parts = append(parts, counts)
		if r.Pending > 0 {
			parts = append(parts, m.st.warn.Render(fmt.Sprintf("%d notification(s) pending", r.Pending)))
		}
		if r.Err != nil {
			parts = append(parts, m.st.fail.Render("the pass failed: "+r.Err.Error()))
		}
	}
	switch {
	case s.Running:
		parts = append(parts, m.st.current.Render("checking…"))
	case !s.Next.IsZero():
		parts = append(parts, "next in "+max(0, s.Next.Sub(m.now())).Round(time.Second).String())
	}
	return strings.Join(parts, " · ")
}

func (m *Model) empty() string {
	r := m.snap.Result
	switch {
	case r == nil:
		return "Checking the exports…"
	case r.Err != nil:
		return "The pass failed: " + r.Err.Error()
	}
	return "No cluster of the organization exports logs."
}

func (m *Model) row(c monitor.Check, cols layout) string {
	mark, status := m.verdict(c)
	logs, changed, first := "—", "—", ""
	if len(c.Regions) > 0 {
		n := 0
		for _, r := range c.Regions {
			if r.Arriving {
				n++
			}
		}
		glyph := m.st.ok.Render("✓")
		if n < len(c.Regions) {
			glyph = m.st.fail.Render("✗")
		}
		logs = fmt.Sprintf("%d/%d %s", n, len(c.Regions), glyph)
	}
	if !c.Since.IsZero() {
		changed = ago(m.now().Sub(c.Since))
	}
	switch {
	case c.Error != "":
		first = c.Error
	case len(c.Findings) > 0:
		first = c.Findings[0].Check + ": " + c.Findings[0].Summary
	}
	cursor := "  "
	if key(c) == m.selected {
		cursor = m.st.current.Render("▸ ")
	}
	return cols.join(cursor+pad(fit(c.ClusterName, colName), colName)+" "+pad(mark+" "+status, colStatus),
		pad(logs, colLogs), pad(changed, colChanged), fit(first, cols.finding))
}

func (m *Model) verdict(c monitor.Check) (string, string) {
	switch {
	case c.Error != "":
		return m.st.warn.Render("?"), "not checked"
	case c.Health == monitor.Failing:
		return m.st.fail.Render("✗"), string(c.Status)
	}
	return m.st.ok.Render("✓"), string(c.Status)
}

// details are the selected cluster's lines: status and message, each
// finding with its fix, logs per region — wrapped, never cut, in at most
// limit lines (the doctor, a key away, shows everything).
func (m *Model) details(w, limit int) []string {
	c, ok := m.current()
	if !ok {
		return nil
	}
	var lines []string
	add := func(s string) { lines = append(lines, wrap(s, w, "    ")...) }
	add(m.st.section.Render("── "+c.ClusterName) + m.st.faint.Render(" "+c.ClusterID))
	if c.Error != "" {
		add("Could not be checked: " + c.Error)
	} else {
		line := "status " + string(c.Status)
		if c.UserMessage != "" {
			line += " · " + c.UserMessage
		}
		add(line)
	}
	for _, f := range c.Findings {
		mark := m.st.fail.Render("✗")
		if f.Severity != "error" {
			mark = m.st.warn.Render("⚠")
		}
		add(fmt.Sprintf("%s %s — %s", mark, f.Check, f.Summary))
		if f.Fix != "" {
			add("  Fix: " + f.Fix)
		}
	}
	if len(c.Regions) > 0 {
		var parts []string
		for _, r := range c.Regions {
			switch {
			case r.NoLogGroup:
				parts = append(parts, r.Region+" "+m.st.fail.Render("✗")+" no log group")
			case r.Arriving:
				parts = append(parts, fmt.Sprintf("%s %s %d streams", r.Region, m.st.ok.Render("✓"), r.Streams))
			default:
				parts = append(parts, r.Region+" "+m.st.fail.Render("✗")+" nothing recent")
			}
		}
		add("logs: " + strings.Join(parts, " · "))
	}
	if len(lines) > limit {
		lines = append(lines[:limit-1], m.st.faint.Render(fit("… enter opens the doctor with everything", w)))
	}
	return lines
}

func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// wrap breaks s into lines of at most w columns, continuation lines
// indented; as everywhere in the interface, at spaces and never inside a
// region name, a timestamp or a check ID.
func wrap(s string, w int, indent string) []string {
	first := strings.Split(kit.Wrap(s, w), "\n")
	if len(first) == 1 {
		return first
	}
	rest := strings.Split(kit.Wrap(strings.Join(first[1:], " "), w-len(indent)), "\n")
	for i := range rest {
		rest[i] = indent + rest[i]
	}
	return append(first[:1], rest...)
}

// fit shortens s (styled or not) to w columns with an ellipsis.
func fit(s string, w int) string {
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// pad fills s with spaces to w columns.
func pad(s string, w int) string {
	if n := ansi.StringWidth(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

type styles struct {
	title, head, section, faint, help, ok, fail, warn, current lipgloss.Style
}

// newStyles uses the terminal's own ANSI colours; every colour goes with
// a glyph, so nothing is lost with NO_COLOR.
func newStyles() styles {
	return styles{
		title:   lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("6")),
		head:    lipgloss.NewStyle().Faint(true),
		section: lipgloss.NewStyle().Bold(true),
		faint:   lipgloss.NewStyle().Faint(true),
		help:    lipgloss.NewStyle().Faint(true),
		ok:      lipgloss.NewStyle().Foreground(lipgloss.Color("2")),
		fail:    lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		warn:    lipgloss.NewStyle().Foreground(lipgloss.Color("3")).Bold(true),
		current: lipgloss.NewStyle().Foreground(lipgloss.Color("6")).Bold(true),
	}
}
