package kit

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Wrap breaks s, which may carry styles, into lines of at most w columns.
// Lines break at spaces, never at hyphens: region names (eu-west-1),
// timestamps, check IDs and role names stay whole. Only a word longer
// than the whole width is broken: after a ':' or '/' where it has one
// (ARNs, URLs), at the width where it has none. The spaces inside a line
// are kept, so aligned columns stay aligned; those at a break are
// dropped. A style open at a break is closed before it and opened again
// after it, so every line carries its own colour (a viewport may show any
// slice of them). A width of 0 or less does not wrap.
func Wrap(s string, w int) string {
	if w <= 0 || !needsWrap(s, w) {
		return s
	}
	wr := &wrapper{w: w}
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			wr.b.WriteByte('\n')
			wr.col = 0
		}
		wr.line(line)
	}
	return wr.b.String()
}

// WrapLines is Wrap as lines.
func WrapLines(s string, w int) []string { return strings.Split(Wrap(s, w), "\n") }

func needsWrap(s string, w int) bool {
	for _, line := range strings.Split(s, "\n") {
		if ansi.StringWidth(line) > w {
			return true
		}
	}
	return false
}

// piece is a grapheme (width > 0) or an escape sequence (width 0) of a
// line, as the terminal sees them.
type piece struct {
	s     string
	width int
	esc   bool
}

func (p piece) space() bool { return !p.esc && p.s == " " }

// breakAfter reports whether a word longer than the width may break after
// p: the separators of ARNs and paths.
func (p piece) breakAfter() bool { return !p.esc && (p.s == ":" || p.s == "/") }

type wrapper struct {
	w   int
	b   strings.Builder
	col int
	// sgr is the styles set since the last reset, link the hyperlink
	// open: what a break closes and opens again.
	sgr  []string
	link string
}

func pieces(line string) []piece {
	var out []piece
	var state byte
	for len(line) > 0 {
		seq, width, n, next := ansi.DecodeSequence(line, state, nil)
		state = next
		out = append(out, piece{s: seq, width: width, esc: width == 0 && (ansi.HasEscPrefix(seq) || ansi.HasCsiPrefix(seq) || ansi.HasOscPrefix(seq))})
		line = line[n:]
	}
	return out
}

// line lays out one line of the input: words separated by runs of spaces.
func (wr *wrapper) line(line string) {
	ps := pieces(line)
	var gap []piece // the spaces (and escapes among them) before the next word
	for i := 0; i < len(ps); {
		if ps[i].space() || (ps[i].esc && len(gap) > 0) {
			gap = append(gap, ps[i])
			i++
			continue
		}
		j := i
		for j < len(ps) && !ps[j].space() {
			j++
		}
		wr.word(gap, ps[i:j])
		gap = nil
		i = j
	}
	// Trailing spaces are kept only where they fit.
	wr.gap(gap, wr.col+width(gap) <= wr.w)
}

func width(ps []piece) int {
	n := 0
	for _, p := range ps {
		n += p.width
	}
	return n
}

// gap writes the spaces before a word, or only their escapes when the
// spaces fall at a break.
func (wr *wrapper) gap(gap []piece, spaces bool) {
	for _, p := range gap {
		if p.esc || spaces {
			wr.put(p)
		}
	}
}

func (wr *wrapper) word(gap, word []piece) {
	if wr.col+width(gap)+width(word) <= wr.w {
		wr.gap(gap, true)
		wr.puts(word)
		return
	}
	// It starts a line of its own; one longer than the width breaks after
	// the last separator that fits, or at the width.
	if wr.col > 0 {
		wr.newline()
	}
	wr.gap(gap, false)
	for width(word) > wr.w {
		cut := cutAt(word, wr.w)
		wr.puts(word[:cut])
		wr.newline()
		word = word[cut:]
	}
	wr.puts(word)
}

// cutAt is where a word wider than w breaks: after the last ':' or '/'
// within w columns, otherwise after the last grapheme that fits; escapes
// right after the cut stay on its line.
func cutAt(word []piece, w int) int {
	col, sep, fit, total := 0, 0, 0, width(word)
	for i, p := range word {
		if col+p.width > w {
			break
		}
		col += p.width
		fit = i + 1
		if p.breakAfter() && col < total {
			sep = i + 1
		}
	}
	cut := fit
	if sep > 0 {
		cut = sep
	}
	cut = max(cut, 1)
	for cut < len(word) && word[cut].esc {
		cut++
	}
	return cut
}

func (wr *wrapper) puts(ps []piece) {
	for _, p := range ps {
		wr.put(p)
	}
}

func (wr *wrapper) put(p piece) {
	wr.b.WriteString(p.s)
	wr.col += p.width
	if !p.esc {
		return
	}
	switch {
	case strings.HasPrefix(p.s, "\x1b[") && strings.HasSuffix(p.s, "m"):
		if p.s == "\x1b[m" || p.s == "\x1b[0m" {
			wr.sgr = wr.sgr[:0]
		} else {
			wr.sgr = append(wr.sgr, p.s)
		}
	case strings.HasPrefix(p.s, "\x1b]8;"):
		// OSC 8 ; params ; URI: an empty URI closes the link.
		wr.link = ""
		if _, uri, ok := strings.Cut(strings.TrimPrefix(p.s, "\x1b]8;"), ";"); ok && strings.TrimRight(uri, "\x07\x1b\\") != "" {
			wr.link = p.s
		}
	}
}

// newline breaks the line, closing what is open and opening it again.
func (wr *wrapper) newline() {
	if len(wr.sgr) > 0 {
		wr.b.WriteString("\x1b[m")
	}
	if wr.link != "" {
		wr.b.WriteString("\x1b]8;;\x1b\\")
	}
	wr.b.WriteByte('\n')
	wr.col = 0
	if wr.link != "" {
		wr.b.WriteString(wr.link)
	}
	for _, s := range wr.sgr {
		wr.b.WriteString(s)
	}
}
