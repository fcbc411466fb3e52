package wizard

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/steps"
)

// markState is where one of the ten documented steps stands.
type markState int

const (
	markPending markState = iota
	markCurrent           // being asked about, or next to run
	markRunning
	markDone
	markFailed
)

// mark is one checklist line.
type mark struct {
	state   markState
	took    time.Duration
	timed   bool
	summary string
}

// durationColumn is where durations start after a step's title.
const durationColumn = 47

// checklist is the ten documented steps (PRODUCT.md §2), in their order.
type checklist [10]mark

func (c *checklist) at(id string) *mark {
	n := steps.StepNumber(id)
	if n == 0 {
		return nil
	}
	return &c[n-1]
}

// current is the number of the step marked current or running, 0 if none.
func (c *checklist) current() int {
	for i, mk := range c {
		if mk.state == markCurrent || mk.state == markRunning {
			return i + 1
		}
	}
	for i, mk := range c {
		if mk.state == markFailed {
			return i + 1
		}
	}
	return 0
}

// full renders one line per step: its mark, number, documented title and,
// once run, how long it took.
func (c *checklist) full(s *Styles, spin string, width int) string {
	var b strings.Builder
	for i, mk := range c {
		title := steps.StepTitles[i].Title
		glyph, style := c.glyph(s, mk, spin)
		line := fmt.Sprintf("%s %2d. %s", glyph, i+1, style.Render(title))
		if mk.timed {
			// Durations line up after the longest title when there is room.
			d := s.Faint.Render(formatDuration(mk.took))
			pad := max(durationColumn-ansi.StringWidth(title), 2)
			if 6+ansi.StringWidth(title)+pad+ansi.StringWidth(d) > width {
				pad = 2
			}
			line += strings.Repeat(" ", pad) + d
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(ansi.Wrap(line, width, ""))
	}
	return b.String()
}

// compact renders the checklist on one line for short terminals: every
// step's mark and number, then the title of the current one.
func (c *checklist) compact(s *Styles, spin string, width int) string {
	var parts []string
	done := 0
	for i, mk := range c {
		glyph, _ := c.glyph(s, mk, spin)
		parts = append(parts, glyph+s.Faint.Render(fmt.Sprint(i+1)))
		if mk.state == markDone {
			done++
		}
	}
	line := s.Section.Render("Steps") + " " + strings.Join(parts, " ")
	switch n := c.current(); {
	case n > 0:
		line += " · " + s.Current.Render(fmt.Sprintf("%d. %s", n, steps.StepTitles[n-1].Title))
	case done == len(c):
		line += " · " + s.OK.Render("all done")
	}
	return ansi.Wrap(line, width, "")
}

func (c *checklist) glyph(s *Styles, mk mark, spin string) (string, lipgloss.Style) {
	switch mk.state {
	case markDone:
		return s.OK.Render(glyphDone), s.Text
	case markFailed:
		return s.Fail.Render(glyphFailed), s.Fail
	case markRunning:
		return spin, s.Current
	case markCurrent:
		return s.Current.Render(glyphCurrent), s.Current
	}
	return s.Pending.Render(glyphPending), s.Pending
}

// formatDuration is a short, stable rendering of a step's duration.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "0ms"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// formatAge renders how long ago something happened, in whole seconds.
func formatAge(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return d.Round(time.Second).String()
}

var actionLabel = map[steps.Action]string{
	steps.Create:     "+ create",
	steps.ExistsOK:   "= exists, ok",
	steps.WillChange: "~ will change",
	steps.Conflict:   "! conflict",
	steps.Info:       "· info",
}

// renderPlan is the plan screen's content: each documented step with what
// applying will do, its summary, its parts per region and its details.
// Long values wrap; nothing is cut.
func renderPlan(p *steps.Plan, s *Styles, width int) string {
	var b strings.Builder
	indent := func(text string, n int, style lipgloss.Style) {
		pad := strings.Repeat(" ", n)
		for _, line := range strings.Split(ansi.Wrap(text, max(width-n, 20), ""), "\n") {
			b.WriteString(pad + style.Render(line) + "\n")
		}
	}
	for i, st := range p.Steps {
		label := actionLabel[st.Action]
		head := fmt.Sprintf("%2d. %s", st.Number, st.Title)
		gap := max(min(width, 72)-ansi.StringWidth(head)-ansi.StringWidth(label), 2)
		b.WriteString(s.Bold.Render(head) + strings.Repeat(" ", gap) + s.Action(string(st.Action)).Render(label) + "\n")
		indent(st.Summary, 4, s.Text)
		for _, it := range st.Items {
			note := ""
			if it.Note != "" {
				note = " — " + it.Note
			}
			indent(fmt.Sprintf("%s %s%s", actionLabel[it.Action], it.Name, note), 6, s.Action(string(it.Action)))
		}
		for _, d := range st.Details {
			for _, line := range strings.Split(d, "\n") {
				indent(line, 4, s.Faint)
			}
		}
		if i < len(p.Steps)-1 {
			b.WriteByte('\n')
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
