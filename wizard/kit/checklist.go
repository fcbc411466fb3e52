package kit

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/steps"
)

// MarkState is where one of the ten documented steps stands.
type MarkState int

const (
	MarkPending MarkState = iota
	MarkCurrent           // being asked about, or next to run
	MarkRunning
	MarkDone
	MarkFailed
)

// Mark is one Checklist line.
type Mark struct {
	State   MarkState
	Took    time.Duration
	Timed   bool
	Summary string
}

// DurationColumn is where durations start after a step's title.
const DurationColumn = 47

// Checklist is the ten documented steps (PRODUCT.md §2), in their order.
type Checklist [10]Mark

// At is the line of step id (nil for a step outside the ten).
func (c *Checklist) At(id string) *Mark {
	n := steps.StepNumber(id)
	if n == 0 {
		return nil
	}
	return &c[n-1]
}

// Current is the number of the step marked current or running, 0 if none.
func (c *Checklist) Current() int {
	for i, mk := range c {
		if mk.State == MarkCurrent || mk.State == MarkRunning {
			return i + 1
		}
	}
	for i, mk := range c {
		if mk.State == MarkFailed {
			return i + 1
		}
	}
	return 0
}

// Full renders one line per step: its Mark, number, documented title and,
// once run, how long it took.
func (c *Checklist) Full(s *Styles, spin string, width int) string {
	var b strings.Builder
	for i, mk := range c {
		title := steps.StepTitles[i].Title
		glyph, style := c.Glyph(s, mk, spin)
		line := fmt.Sprintf("%s %2d. %s", glyph, i+1, style.Render(title))
		if mk.Timed {
			// Durations line up after the longest title when there is room.
			d := s.Faint.Render(FormatDuration(mk.Took))
			pad := max(DurationColumn-ansi.StringWidth(title), 2)
			if 6+ansi.StringWidth(title)+pad+ansi.StringWidth(d) > width {
				pad = 2
			}
			line += strings.Repeat(" ", pad) + d
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(Wrap(line, width))
	}
	return b.String()
}

// Compact renders the Checklist on one line for short terminals: every
// step's Mark and number, then the title of the current one.
func (c *Checklist) Compact(s *Styles, spin string, width int) string {
	var parts []string
	done := 0
	for i, mk := range c {
		glyph, _ := c.Glyph(s, mk, spin)
		parts = append(parts, glyph+s.Faint.Render(fmt.Sprint(i+1)))
		if mk.State == MarkDone {
			done++
		}
	}
	line := s.Section.Render("Steps") + " " + strings.Join(parts, " ")
	switch n := c.Current(); {
	case n > 0:
		line += " · " + s.Current.Render(fmt.Sprintf("%d. %s", n, steps.StepTitles[n-1].Title))
	case done == len(c):
		line += " · " + s.OK.Render("all done")
	}
	return Wrap(line, width)
}

func (c *Checklist) Glyph(s *Styles, mk Mark, spin string) (string, lipgloss.Style) {
	switch mk.State {
	case MarkDone:
		return s.OK.Render(GlyphDone), s.Text
	case MarkFailed:
		return s.Fail.Render(GlyphFailed), s.Fail
	case MarkRunning:
		return spin, s.Current
	case MarkCurrent:
		return s.Current.Render(GlyphCurrent), s.Current
	}
	return s.Pending.Render(GlyphPending), s.Pending
}

var ActionLabel = map[steps.Action]string{
	steps.Create:     "+ create",
	steps.ExistsOK:   "= exists, ok",
	steps.WillChange: "~ will change",
	steps.Conflict:   "! conflict",
	steps.Info:       "· info",
}

// RenderSteps is a plan's steps for the screen: each step with what
// applying will do, its summary, its parts per region and its details.
// Long values wrap; nothing is cut.
func RenderSteps(planned []steps.PlannedStep, s *Styles, width int) string {
	var b strings.Builder
	indent := func(text string, n int, style lipgloss.Style) {
		pad := strings.Repeat(" ", n)
		for _, line := range strings.Split(Wrap(text, max(width-n, 20)), "\n") {
			b.WriteString(pad + style.Render(line) + "\n")
		}
	}
	for i, st := range planned {
		label := ActionLabel[st.Action]
		head := fmt.Sprintf("%2d. %s", st.Number, st.Title)
		gap := max(min(width, 72)-ansi.StringWidth(head)-ansi.StringWidth(label), 2)
		b.WriteString(s.Bold.Render(head) + strings.Repeat(" ", gap) + s.Action(string(st.Action)).Render(label) + "\n")
		indent(st.Summary, 4, s.Text)
		for _, it := range st.Items {
			note := ""
			if it.Note != "" {
				note = " — " + it.Note
			}
			indent(fmt.Sprintf("%s %s%s", ActionLabel[it.Action], it.Name, note), 6, s.Action(string(it.Action)))
		}
		for _, d := range st.Details {
			for _, line := range strings.Split(d, "\n") {
				indent(line, 4, s.Faint)
			}
		}
		if i < len(planned)-1 {
			b.WriteByte('\n')
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// TaskStepLine is one step of a task's progress outside the ten (an
// update's, a disable's): its mark, its label and, once run, how long it
// took, aligned like the checklist.
func TaskStepLine(s *Styles, mk Mark, spin, label string, w int) string {
	var c Checklist
	glyph, style := c.Glyph(s, mk, spin)
	line := glyph + " " + style.Render(label)
	if mk.Timed {
		d := s.Faint.Render(FormatDuration(mk.Took))
		pad := max(DurationColumn+4-ansi.StringWidth(label), 2)
		if 2+ansi.StringWidth(label)+pad+ansi.StringWidth(d) > w {
			pad = 2
		}
		line += strings.Repeat(" ", pad) + d
	}
	return Wrap(line, w)
}
