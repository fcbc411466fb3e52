package shell

import (
	"context"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// Task is one task of the interface — the home menu, setup, status, the
// doctor, update, disable — with its own model, view and messages. It
// runs on a Shell, and tells the program what it wants through intents
// (Finish, Open) instead of changing it.
type Task interface {
	// Init starts the task.
	Init() tea.Cmd
	// Update receives every message the program does not handle itself:
	// keys, the task's own messages, its dialogue's events and decisions,
	// FormDoneMsg. It never blocks.
	Update(msg tea.Msg) tea.Cmd
	// View draws the task in w columns and at most h lines.
	View(w, h int) string
	// Title says what the task does, for the header.
	Title() string
	// Keys are the task's keys for the footer, after the form's.
	Keys() []string
	// Busy reports whether the spinner turns.
	Busy() bool
	// Result is what the task has done so far, as it would end with o
	// (the interface is ending: interrupted, or the task finished).
	Result(o Outcome) Result
	// Stop cancels what the task runs and waits, at most limit, for it to
	// record its outcome (the journal).
	Stop(limit time.Duration)
}

// Shell is what a task runs on: the context, the session it shares with
// the tasks before and after it, the size, the styles and the forms, the
// form on screen, and the intents to finish or to open another task. The
// program owns it; a task only uses it from Update and View.
type Shell struct {
	Ctx    context.Context
	Styles *kit.Styles
	Forms  kit.Forms
	// Session is what the interface is connected to, kept up to date from
	// the dialogues' events (Observe).
	Session steps.Session
	// Width and Height are the terminal's (0 before it is known).
	Width, Height int
	// Accessible: no screen — forms run line by line and the events are
	// printed (the task draws nothing anyone sees).
	Accessible bool
	// FromMenu: the interface opened on the home menu, where a task can
	// go back to.
	FromMenu bool
	// ResumeHint, when set, replaces the command that resumes wherever a
	// failure names it (the demo's sandbox does not outlive the program).
	ResumeHint string
	// Spin is the program's spinner, which turns while a task is busy.
	Spin   spinner.Model
	now    func() time.Time
	cancel context.CancelFunc

	form *huh.Form
	bg   *tea.BackgroundColorMsg
	// note is what accessible mode prints before the form.
	note    string
	pending *pending
	linger  *Result
	// picking: the cluster question is on screen (q leaves it, and esc
	// goes back to the menu the task was opened from).
	picking bool
}

// New returns a shell whose context ends with ctx, or when the program
// stops.
func New(ctx context.Context, accessible bool, now func() time.Time) *Shell {
	st := kit.NewStyles()
	ctx, cancel := context.WithCancel(ctx)
	return &Shell{
		Ctx: ctx, cancel: cancel, Styles: st, Forms: kit.Forms{Styles: st, Accessible: accessible}, Accessible: accessible,
		Spin: spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(st.Spinner)),
		now:  now,
	}
}

// Now is the clock.
func (s *Shell) Now() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// ContentWidth is the width tasks draw in: the terminal's, at most 100.
func (s *Shell) ContentWidth() int {
	w := s.Width
	if w <= 0 {
		w = 80
	}
	return min(w, 100)
}

// TermHeight is the terminal's height (24 before it is known).
func (s *Shell) TermHeight() int {
	if s.Height <= 0 {
		return 24
	}
	return s.Height
}

// FormHeight is the height a form may take below a compact panel.
func (s *Shell) FormHeight() int { return max(s.TermHeight()-10, 6) }

// SetForm puts f on screen (nil removes it), sized to the terminal;
// accessible mode runs it line by line, after note.
func (s *Shell) SetForm(f *huh.Form, note ...string) tea.Cmd {
	s.form, s.note = f, ""
	if len(note) > 0 {
		s.note = note[0]
	}
	if f == nil {
		return nil
	}
	if s.bg != nil {
		f.Update(*s.bg)
	}
	cmd := f.Init()
	s.Resize()
	return cmd
}

// Form is the form on screen, or nil.
func (s *Shell) Form() *huh.Form { return s.form }

// Typing reports whether the field in focus takes text (an input, a
// text area, a list being filtered): there, keys such as q and ? are
// text, not commands.
func (s *Shell) Typing() bool {
	if s.form == nil || s.form.State != huh.StateNormal {
		return false
	}
	switch f := s.form.GetFocusedField().(type) {
	case *huh.Input, *huh.Text:
		return true
	case interface{ GetFiltering() bool }:
		return f.GetFiltering()
	}
	return false
}

// Note is what accessible mode says before the form.
func (s *Shell) Note() string { return s.note }

// FormView draws the form, "" without one.
func (s *Shell) FormView() string {
	if s.form == nil {
		return ""
	}
	return trimRight(s.form.View())
}

func trimRight(v string) string {
	for len(v) > 0 && (v[len(v)-1] == '\n' || v[len(v)-1] == ' ') {
		v = v[:len(v)-1]
	}
	return v
}

// Resize fits the form to the terminal.
func (s *Shell) Resize() {
	if s.form != nil {
		s.form.Update(tea.WindowSizeMsg{Width: s.ContentWidth(), Height: s.FormHeight()})
	}
}

// Background keeps the terminal's background colour: forms made later
// need it to pick their light or dark colours.
func (s *Shell) Background(msg tea.BackgroundColorMsg) {
	s.bg = &msg
	if s.form != nil {
		s.form.Update(msg)
	}
}

// UpdateForm forwards msg to the form. Once the form is complete it
// sends FormDoneMsg; a form the person aborts (huh's own quit key)
// interrupts the interface.
func (s *Shell) UpdateForm(msg tea.Msg) tea.Cmd {
	if s.form == nil {
		return nil
	}
	f := s.form
	m, cmd := f.Update(msg)
	if form, ok := m.(*huh.Form); ok && form == f {
		s.form = form
	}
	switch f.State {
	case huh.StateCompleted:
		return tea.Batch(cmd, func() tea.Msg { return FormDoneMsg{Form: f} })
	case huh.StateAborted:
		return Interrupt()
	}
	return cmd
}

// FormDoneMsg says the form was completed: its values are set.
type FormDoneMsg struct{ Form *huh.Form }

// Done reports whether msg completes the form on screen.
func (s *Shell) Done(msg FormDoneMsg) bool { return msg.Form != nil && msg.Form == s.form }

// SpinTick turns the spinner (nothing in accessible mode, which has none).
func (s *Shell) SpinTick() tea.Cmd {
	if s.Accessible {
		return nil
	}
	return s.Spin.Tick
}

// Intents: what a task asks of the program.
type (
	// FinishMsg ends the interface with Result.
	FinishMsg struct{ Result Result }
	// OpenMsg replaces the task on screen with another: Task names it
	// ("menu" for the home menu). KeepCluster opens it on the cluster
	// chosen; otherwise the cluster is chosen again.
	OpenMsg struct {
		Task        string
		KeepCluster bool
	}
	// InterruptMsg is Ctrl-C: the interface ends at once, Aborted.
	InterruptMsg struct{}
)

// Finish ends the interface with res.
func Finish(res Result) tea.Cmd { return func() tea.Msg { return FinishMsg{Result: res} } }

// Open opens the task named task.
func Open(task string, keepCluster bool) tea.Cmd {
	return func() tea.Msg { return OpenMsg{Task: task, KeepCluster: keepCluster} }
}

// Interrupt ends the interface at once.
func Interrupt() tea.Cmd { return func() tea.Msg { return InterruptMsg{} } }

// The tasks a task can open.
const (
	TaskMenu    = "menu"
	TaskSetup   = "setup"
	TaskStatus  = "status"
	TaskDoctor  = "doctor"
	TaskUpdate  = "update"
	TaskDisable = "disable"
)

// Observe keeps the session up to date with what a dialogue connected to
// and chose.
func (s *Shell) Observe(ev steps.Event) {
	switch ev := ev.(type) {
	case steps.Connected:
		s.Session = steps.Session{Env: ev.Env, Conn: ev.Conn}
	case steps.ClusterChosen:
		s.Session.Cluster, s.Session.Chosen = ev.Cluster, true
	}
}

// Linger keeps a task's outcome on screen until the person leaves it
// (enter, q or esc); without a screen (accessible mode) the interface ends
// with res at once.
func (s *Shell) Linger(res Result) tea.Cmd {
	if s.Accessible {
		return Finish(res)
	}
	s.linger = &res
	return nil
}

// Lingering reports whether an outcome waits for the person to leave it.
func (s *Shell) Lingering() bool { return s.linger != nil }

// StopKey is the key that stops an apply: it promises that rerunning
// resumes only where a rerun can (not in the demo, whose sandbox ends with
// the program).
func (s *Shell) StopKey() string {
	if s.ResumeHint != "" {
		return kit.KeyStop
	}
	return kit.KeyStopApply
}

// Advice is what a failure screen says to resume: the command, or the
// hint that replaces it.
func (s *Shell) Advice(resume string) string {
	if s.ResumeHint != "" {
		return s.ResumeHint
	}
	return resume
}
