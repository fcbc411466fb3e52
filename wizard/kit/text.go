package kit

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"charm.land/bubbles/v2/viewport"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// FormatDuration is a short, stable rendering of how long a step took.
func FormatDuration(d time.Duration) string {
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

// FormatAge renders how long ago something happened, in whole seconds.
func FormatAge(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return d.Round(time.Second).String()
}

// Plural picks the word for n.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// OrUnknown is s, or "not known yet" for "".
func OrUnknown(s string) string {
	if s == "" {
		return "not known yet"
	}
	return s
}

// Sentence makes a clause a sentence: a capital first and a full stop.
func Sentence(s string) string {
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

// WrapWords is prose wrapped by Wrap, with runs of spaces collapsed: it
// is for prose, not for aligned columns. A width of 0 or less does not
// wrap.
func WrapWords(text string, width int) []string {
	if width <= 0 {
		return strings.Split(text, "\n")
	}
	paras := strings.Split(text, "\n")
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	return WrapLines(strings.Join(paras, "\n"), max(width, 10))
}

// WrapProse is WrapWords as one string.
func WrapProse(text string, width int) string {
	return strings.Join(WrapWords(text, width), "\n")
}

// WrapIndented wraps text to w columns under an indent of n spaces, each
// line styled on its own so that a viewport showing any slice of them
// keeps their colour.
func WrapIndented(text string, n, w int, style lipgloss.Style) []string {
	pad := strings.Repeat(" ", n)
	width := 0
	if w > 0 {
		width = w - n
	}
	var out []string
	for _, line := range WrapWords(text, width) {
		out = append(out, pad+style.Render(line))
	}
	return out
}

// Hanging wraps text after prefix, its next lines indented as far.
func Hanging(prefix, text string, w int, style lipgloss.Style) []string {
	pad := strings.Repeat(" ", ansi.StringWidth(prefix))
	lines := WrapLines(text, max(w-len(pad), 20))
	for i, l := range lines {
		p := pad
		if i == 0 {
			p = prefix
		}
		lines[i] = p + style.Render(l)
	}
	return lines
}

// DiffLines renders one line of a difference under an indent: removals
// and additions coloured, kept lines faint. With fit, a long line is
// broken at the width and its continuation keeps the line's colour;
// without, it is kept whole, to copy.
func DiffLines(d, indent string, s *Styles, w int, fit bool) []string {
	style := s.Faint
	switch {
	case strings.HasPrefix(d, "+ "):
		style = s.OK
	case strings.HasPrefix(d, "- "):
		style = s.Fail
	}
	if !fit {
		return []string{indent + style.Render(d)}
	}
	var out []string
	for i, part := range WrapLines(d, max(w-len(indent)-2, 10)) {
		if i > 0 {
			part = "  " + part
		}
		out = append(out, indent+style.Render(part))
	}
	return out
}

// Unapplied says that what is shown has not been made yet. It stays true on a
// resumed run too (where an earlier run changed things) and never said on
// read-only screens.
const Unapplied = " — not applied yet"

// The keys every task's footer names alike.
const (
	KeyQuit        = "ctrl+c quit"
	KeyQuitUnmoved = "ctrl+c quit (changes nothing)"
	KeyStopApply   = "ctrl+c stop — the journal keeps what was done; rerunning resumes"
	KeyStop        = "ctrl+c stop"
	KeyExit        = "enter or q exit"
	KeyBack        = "esc back"
)

// ScrollNote says what a view that does not fit leaves out: the lines
// above and below what is shown, and the keys that bring them (up, down).
// It is "" when nothing is left out; it never claims more is below the
// end.
func ScrollNote(s *Styles, above, below int, up, down string) string {
	var note string
	switch {
	case above <= 0 && below <= 0:
		return ""
	case above <= 0:
		note = fmt.Sprintf("↓ %d more %s · %s to scroll", below, Plural(below, "line", "lines"), down)
	case below <= 0:
		note = fmt.Sprintf("↑ %d more %s above · %s to scroll", above, Plural(above, "line", "lines"), up)
	default:
		note = fmt.Sprintf("↑ %d above · ↓ %d more %s · %s/%s to scroll", above, below, Plural(below, "line", "lines"), up, down)
	}
	return s.Faint.Render(note)
}

// ViewportNote is ScrollNote for a viewport.
func ViewportNote(s *Styles, vp *viewport.Model, up, down string) string {
	above := vp.YOffset()
	return ScrollNote(s, above, vp.TotalLineCount()-vp.VisibleLineCount()-above, up, down)
}
