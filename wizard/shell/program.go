package shell

import (
	"math"
	"strings"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// Opener makes the task named name (TaskMenu, TaskSetup, …) on sh.
// keepCluster opens it on the session's cluster instead of choosing one.
type Opener func(sh *Shell, name string, keepCluster bool) Task

// Program is the interface's one top-level model. It hosts one task at a
// time on its shell, draws the frame around it (the header, the task, its
// keys), routes messages, and acts on the tasks' intents: Open replaces
// the task, Finish ends the interface, Ctrl-C interrupts it. A task that
// is replaced is stopped without waiting; Stop waits for every task at the
// end.
type Program struct {
	sh    *Shell
	open  Opener
	first string
	// Badge is shown in the header, e.g. "demo · sandbox".
	Badge string

	task    Task
	stopped []Task
	final   *Result
	// scroll is how far the task's view is scrolled when it is taller
	// than the room it has; overflow is how far it can be (0: it fits).
	scroll, overflow int
	// fromBottom: the scroll counts up from the view's bottom (a form is
	// on screen there).
	fromBottom bool
	// help: every key is shown, not one line of them (? toggles it).
	help bool
}

// NewProgram returns the program that opens the task first on sh.
func NewProgram(sh *Shell, open Opener, first string) *Program {
	return &Program{sh: sh, open: open, first: first}
}

// Shell is the program's shell.
func (p *Program) Shell() *Shell { return p.sh }

// Task is the task on screen.
func (p *Program) Task() Task { return p.task }

// Init opens the first task.
func (p *Program) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, p.openTask(p.first, false))
}

func (p *Program) openTask(name string, keepCluster bool) tea.Cmd {
	if p.task != nil {
		// What the task left running stops on its own; nothing waits
		// for it here.
		p.task.Stop(0)
		p.stopped = append(p.stopped, p.task)
	}
	p.sh.SetForm(nil)
	p.sh.pending, p.sh.linger, p.sh.picking = nil, nil, false
	p.scroll, p.overflow = 0, 0
	p.task = p.open(p.sh, name, keepCluster)
	return tea.Batch(p.task.Init(), p.sh.SpinTick())
}

// Update routes a message: the program's own first (sizes, Ctrl-C, the
// spinner, intents), then the task's.
func (p *Program) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if p.final != nil {
		return p, nil
	}
	sh := p.sh
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		sh.Width, sh.Height = msg.Width, msg.Height
		sh.Resize()
		return p, p.task.Update(msg)
	case tea.BackgroundColorMsg:
		sh.Background(msg)
		return p, nil
	case tea.KeyPressMsg:
		switch k := msg.String(); {
		case k == "ctrl+c":
			return p, p.finish(p.task.Result(Aborted))
		case sh.linger != nil && (k == "q" || k == "enter" || k == "esc"):
			return p, p.finish(*sh.linger)
		case k == "?" && !sh.Typing():
			p.help = !p.help
			return p, nil
		case sh.picking && !sh.Typing() && k == "q":
			// The cluster question, before anything is done: q leaves as
			// Ctrl-C does, and esc goes back to the menu.
			return p, p.finish(p.task.Result(Aborted))
		case sh.picking && !sh.Typing() && k == "esc" && sh.FromMenu:
			sh.picking = false
			return p, p.openTask(TaskMenu, false)
		case k == "q" && !sh.Typing() && sh.pending != nil && sh.pending.form != nil && sh.Offers(steps.OptQuit):
			// q quits a question shown as a form wherever nothing is
			// typed — the doctor's "What now?", a failed step's choice.
			sh.Reply(steps.OptQuit)
			return p, nil
		case p.overflow > 0 && p.scrollKey(k):
			return p, nil
		}
	case InterruptMsg:
		return p, p.finish(p.task.Result(Aborted))
	case spinner.TickMsg:
		if !p.task.Busy() {
			return p, nil
		}
		var cmd tea.Cmd
		sh.Spin, cmd = sh.Spin.Update(msg)
		return p, cmd
	case FinishMsg:
		return p, p.finish(msg.Result)
	case OpenMsg:
		return p, p.openTask(msg.Task, msg.KeepCluster)
	case EventMsg:
		sh.Observe(msg.Event)
	}
	return p, p.task.Update(msg)
}

func (p *Program) finish(res Result) tea.Cmd {
	p.final = &res
	sh := p.sh
	sh.SetForm(nil)
	p.task.Stop(0)
	return tea.Quit
}

// Result is how the interface ended; before it has, what the task on
// screen has done so far, as an interruption would end it.
func (p *Program) Result() Result {
	if p.final != nil {
		return *p.final
	}
	if p.task == nil {
		return Result{Outcome: Aborted}
	}
	return p.task.Result(Aborted)
}

// Ended reports whether the interface has ended.
func (p *Program) Ended() bool { return p.final != nil }

// Running reports whether a task still runs something (a dialogue that
// has not returned).
func (p *Program) Running() bool {
	for _, t := range append([]Task{p.task}, p.stopped...) {
		if r, ok := t.(interface{ Running() bool }); ok && r.Running() {
			return true
		}
	}
	return false
}

// Stop cancels what the tasks still run and waits, at most limit, for them
// to record their outcome.
func (p *Program) Stop(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for _, t := range append(p.stopped, p.task) {
		if t != nil {
			t.Stop(max(time.Until(deadline), 0))
		}
	}
	p.sh.cancel()
}

// View draws the frame on the alternate screen, as full-screen terminal
// programs do: each frame replaces the last instead of pushing it into
// the scrollback. What the task ended on is printed once to the normal
// screen when the interface ends (Summary).
func (p *Program) View() tea.View {
	v := tea.NewView(p.Render())
	v.AltScreen = true
	return v
}

// Render lays out the header, the task and its keys so that together they
// fit the terminal: the task gets what the others leave, and scrolls when
// it is taller than that (pgup/pgdn), from its top.
func (p *Program) Render() string {
	sh := p.sh
	w := sh.ContentWidth()
	header := p.header(w)
	footer := ""
	if p.final == nil {
		footer = p.footer(w)
	}
	avail := sh.TermHeight() - lipgloss.Height(header) - 1
	if footer != "" {
		avail -= lipgloss.Height(footer) + 1
	}
	parts := []string{header, p.fit(p.task.View(w, avail), avail)}
	if footer != "" {
		parts = append(parts, footer)
	}
	return strings.Join(parts, "\n\n")
}

// fit cuts a view taller than h lines to h-1 of them, and says what is
// above and below. It shows the top of the view, or, with a form on
// screen, its bottom, where the form is; the scrolling keys move from
// there.
func (p *Program) fit(view string, h int) string {
	lines := strings.Split(view, "\n")
	if h < 2 || len(lines) <= h {
		p.overflow, p.scroll = 0, 0
		return view
	}
	p.overflow = len(lines) - (h - 1)
	p.scroll = min(max(p.scroll, 0), p.overflow)
	p.fromBottom = p.sh.form != nil
	start := p.scroll
	if p.fromBottom {
		start = p.overflow - p.scroll
	}
	shown := lines[start : start+h-1]
	// A cut at a blank line does not leave it at the top.
	for len(shown) > 1 && strings.TrimSpace(ansi.Strip(shown[0])) == "" {
		shown = shown[1:]
	}
	return strings.Join(shown, "\n") + "\n" + kit.ScrollNote(p.sh.Styles, start, p.overflow-start, "pgup", "pgdn")
}

// scrollKey scrolls a view that does not fit; it reports whether k was a
// scrolling key. Only pgup and pgdn: the arrows, home and end belong to
// the form.
func (p *Program) scrollKey(k string) bool {
	page := max(p.sh.TermHeight()/2, 1)
	down := 0
	switch k {
	case "pgdown":
		down = page
	case "pgup":
		down = -page
	default:
		return false
	}
	if p.fromBottom {
		down = -down
	}
	p.scroll = min(max(p.scroll+down, 0), p.overflow)
	return true
}

// Summary is what the interface ended on, to print once on the normal
// screen after it has left the alternate one, where it stays in the
// scrollback: the header and what the task showed last, whole, without
// its keys. It is "" when there is nothing to keep — the person left the
// menu, or stopped before anything changed — and before the end.
func (p *Program) Summary() string {
	if p.final == nil || p.task == nil {
		return ""
	}
	switch res := *p.final; {
	case res.Outcome == Left, res.Outcome == Aborted && !res.Changed:
		return ""
	}
	w := p.sh.ContentWidth()
	body := ""
	if s, ok := p.task.(interface{ Summary(w int) string }); ok {
		body = s.Summary(w)
	}
	if body == "" {
		// The task's last screen, whole.
		body = p.task.View(w, math.MaxInt32)
	}
	return strings.TrimRight(p.header(w)+"\n\n"+body, "\n ")
}

func (p *Program) header(w int) string {
	s := p.sh.Styles
	line := s.Title.Render("crdb-logexport") + s.Faint.Render(" · "+p.task.Title())
	if p.Badge != "" {
		line = together(w, "  ", line, s.Badge.Render("["+p.Badge+"]"))
	}
	if c := p.sh.Session.Conn; c != nil {
		who := s.Identity.Render("AWS account ") + s.Value.Render(c.Caller.Account) + s.Identity.Render(" as "+c.Caller.ARN)
		line += "\n" + together(w, s.Identity.Render(" · "), who, s.Identity.Render("Cloud organization "+c.Org.Name))
	}
	return line
}

// together is a and b on one line after the other when they fit in w
// columns, and each on lines of its own when they do not: a name is never
// split between them.
func together(w int, sep, a, b string) string {
	if ansi.StringWidth(a)+ansi.StringWidth(sep)+ansi.StringWidth(b) <= w {
		return a + sep + b
	}
	return kit.Wrap(a, w) + "\n" + kit.Wrap(b, w)
}

// footer is the keys: the form's, then the task's own, and ? for all of
// them — one a line, with what they do, when help is on.
func (p *Program) footer(w int) string {
	s := p.sh.Styles
	keys := p.task.Keys()
	if p.help {
		lines := []string{s.Section.Render("Keys")}
		if f := p.sh.form; f != nil && f.State == huh.StateNormal {
			for _, b := range f.KeyBinds() {
				if b.Enabled() && b.Help().Key != "" {
					lines = append(lines, "  "+s.Help.Render(b.Help().Key+" "+b.Help().Desc))
				}
			}
		}
		for _, k := range keys {
			lines = append(lines, "  "+s.Help.Render(k))
		}
		if !p.sh.Typing() && p.sh.pending != nil && p.sh.pending.form != nil && p.sh.Offers(steps.OptQuit) {
			lines = append(lines, "  "+s.Help.Render("q quit"))
		}
		lines = append(lines, "  "+s.Help.Render("? fewer keys · ctrl+c stops at any time"))
		return kit.Wrap(strings.Join(lines, "\n"), w)
	}
	line := s.Help.Render(strings.Join(append(keys, "? help"), " · "))
	if f := p.sh.form; f != nil && f.State == huh.StateNormal {
		if h := f.Help().ShortHelpView(f.KeyBinds()); h != "" {
			line = h + s.Help.Render(" · ") + line
		}
	}
	return kit.Wrap(line, w)
}
