package kit

import (
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
)

// Styles are every style the interface uses, in one place. Colours are the
// terminal's own 16 ANSI colours so they follow its theme; whatever carries
// meaning also has a glyph or an attribute, so nothing is lost with NO_COLOR
// (the renderer drops the colours, never the text).
type Styles struct {
	Title     lipgloss.Style
	Badge     lipgloss.Style
	Identity  lipgloss.Style
	Section   lipgloss.Style
	Text      lipgloss.Style
	Faint     lipgloss.Style
	Bold      lipgloss.Style
	Value     lipgloss.Style
	Label     lipgloss.Style
	Key       lipgloss.Style
	Help      lipgloss.Style
	Command   lipgloss.Style
	Link      lipgloss.Style
	OK        lipgloss.Style
	Warn      lipgloss.Style
	Fail      lipgloss.Style
	Current   lipgloss.Style
	Pending   lipgloss.Style
	Spinner   lipgloss.Style
	WarnBox   lipgloss.Style
	JSON      lipgloss.Style
	Countdown lipgloss.Style

	// Plan actions.
	ActCreate   lipgloss.Style
	ActOK       lipgloss.Style
	ActChange   lipgloss.Style
	ActConflict lipgloss.Style
	ActInfo     lipgloss.Style
}

// Glyphs of the checklist and of outcomes.
const (
	GlyphDone    = "✓"
	GlyphFailed  = "✗"
	GlyphCurrent = "▸"
	GlyphPending = "○"
	GlyphWarn    = "⚠"
)

// The palette: the terminal's own ANSI colours.
var (
	accent = lipgloss.Color("6") // cyan
	green  = lipgloss.Color("2")
	yellow = lipgloss.Color("3")
	red    = lipgloss.Color("1")
	blue   = lipgloss.Color("4")
)

// NewStyles returns the interface's styles.
func NewStyles() *Styles {
	s := &Styles{}
	s.Title = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Badge = lipgloss.NewStyle().Foreground(yellow)
	s.Identity = lipgloss.NewStyle().Faint(true)
	s.Section = lipgloss.NewStyle().Bold(true)
	s.Text = lipgloss.NewStyle()
	s.Faint = lipgloss.NewStyle().Faint(true)
	s.Bold = lipgloss.NewStyle().Bold(true)
	s.Value = lipgloss.NewStyle().Bold(true)
	s.Label = lipgloss.NewStyle().Faint(true)
	s.Key = lipgloss.NewStyle().Bold(true)
	s.Help = lipgloss.NewStyle().Faint(true)
	s.Command = lipgloss.NewStyle().Foreground(accent)
	s.Link = lipgloss.NewStyle().Foreground(blue).Underline(true)
	s.OK = lipgloss.NewStyle().Foreground(green)
	s.Warn = lipgloss.NewStyle().Foreground(yellow).Bold(true)
	s.Fail = lipgloss.NewStyle().Foreground(red).Bold(true)
	s.Current = lipgloss.NewStyle().Foreground(accent).Bold(true)
	s.Pending = lipgloss.NewStyle().Faint(true)
	s.Spinner = lipgloss.NewStyle().Foreground(accent)
	s.WarnBox = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(yellow).Padding(0, 1)
	s.JSON = lipgloss.NewStyle()
	s.Countdown = lipgloss.NewStyle().Foreground(yellow).Bold(true)

	s.ActCreate = lipgloss.NewStyle().Foreground(green).Bold(true)
	s.ActOK = lipgloss.NewStyle().Faint(true)
	s.ActChange = lipgloss.NewStyle().Foreground(yellow).Bold(true)
	s.ActConflict = lipgloss.NewStyle().Foreground(red).Bold(true)
	s.ActInfo = lipgloss.NewStyle().Faint(true)
	return s
}

// Plain returns styles that draw nothing but the text: what plain-text
// output (the transcript, reports on standard output) renders with.
func Plain() *Styles { return &Styles{} }

// FormTheme styles the embedded Huh forms to match. The focused button is
// also drawn in reverse video, so yes and no stay distinguishable without
// colour.
func (s *Styles) FormTheme() huh.Theme {
	return huh.ThemeFunc(func(isDark bool) *huh.Styles {
		t := huh.ThemeBase(isDark)
		t.Focused.Title = t.Focused.Title.Foreground(accent).Bold(true)
		t.Focused.NoteTitle = t.Focused.NoteTitle.Foreground(accent).Bold(true)
		t.Focused.Description = t.Focused.Description.Faint(true)
		t.Focused.SelectSelector = t.Focused.SelectSelector.Foreground(accent)
		t.Focused.NextIndicator = t.Focused.NextIndicator.Foreground(accent)
		t.Focused.PrevIndicator = t.Focused.PrevIndicator.Foreground(accent)
		t.Focused.ErrorIndicator = t.Focused.ErrorIndicator.Foreground(red)
		t.Focused.ErrorMessage = t.Focused.ErrorMessage.Foreground(red)
		t.Focused.TextInput.Prompt = t.Focused.TextInput.Prompt.Foreground(accent)
		t.Focused.TextInput.Placeholder = t.Focused.TextInput.Placeholder.Faint(true)
		t.Focused.FocusedButton = t.Focused.FocusedButton.Reverse(true).Bold(true)
		t.Focused.BlurredButton = t.Focused.BlurredButton.Faint(true)
		t.Blurred = t.Focused
		t.Blurred.Base = t.Blurred.Base.BorderStyle(lipgloss.HiddenBorder())
		t.Blurred.Title = t.Blurred.Title.Bold(false)
		t.Blurred.NextIndicator = lipgloss.NewStyle()
		t.Blurred.PrevIndicator = lipgloss.NewStyle()
		t.Group.Title = t.Focused.Title
		t.Group.Description = t.Focused.Description
		return t
	})
}

// Action is the style of a plan's action.
func (s *Styles) Action(a string) lipgloss.Style {
	switch a {
	case "create":
		return s.ActCreate
	case "exists-will-change":
		return s.ActChange
	case "conflict":
		return s.ActConflict
	case "exists-ok":
		return s.ActOK
	}
	return s.ActInfo
}
