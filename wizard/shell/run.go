package shell

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Run is a task's dialogue as the interface follows it: connecting first,
// then the task's own (a steps.Run* function); each event and decision is
// handed to the task, and the dialogue's end becomes an intent — the task
// it leads to, or the interface's end. Every task embeds one.
type Run struct {
	sh *Shell
	f  Follow
	// name is the task's own name: choosing another cluster opens it
	// again.
	name string
	// Conn is connecting, drawn by the task while it is Active.
	Conn *Connecting
	d    *Dialogue
	// cancelled: the task stopped its dialogue and said itself what
	// follows; the dialogue's end changes nothing.
	cancelled bool
}

// Follow is how a task follows its dialogue.
type Follow struct {
	// Event and Ask show an event and a decision.
	Event func(steps.Event) tea.Cmd
	Ask   func(AskMsg) tea.Cmd
	// Answered, when set, hears the answer a form gave to a decision.
	Answered func(decision, answer any)
	// Submitted, when set, follows a completed form of the task's own
	// (its questions, which answer no decision by themselves).
	Submitted func() tea.Cmd
	// Done follows the dialogue's end: what it returned.
	Done func(result any) tea.Cmd
}

// NewRun is the dialogue of the task called name (TaskSetup, …) on sh,
// followed by f.
func NewRun(sh *Shell, name string, f Follow) *Run {
	return &Run{sh: sh, f: f, name: name, Conn: NewConnecting(sh)}
}

// Start connects (c) from the shell's session, then runs body on the
// session connecting gives.
func (r *Run) Start(c steps.ConnectTask, body func(context.Context, steps.Session, steps.Prompter, steps.Listener) any) tea.Cmd {
	var cmd tea.Cmd
	r.d, cmd = Start(r.sh.Ctx, Connected(c, r.sh.Session, body))
	return tea.Batch(cmd, r.sh.SpinTick())
}

// Part is a component of a task with messages of its own (Streams,
// Roles).
type Part interface {
	Update(msg tea.Msg) (tea.Cmd, bool)
}

// Route hands connecting its messages, then the parts theirs, then the
// dialogue's to the task's Follow: each event and each decision, asking
// the dialogue for its next message once shown; the forms completed; the
// dialogue's end. It reports whether msg was one of them.
func (r *Run) Route(msg tea.Msg, parts ...Part) (tea.Cmd, bool) {
	if !r.ours(msg) {
		// A dialogue the task stopped, or another task's.
		return nil, true
	}
	if r.Conn.Active() {
		if cmd, ok := r.Conn.Update(msg); ok {
			return cmd, true
		}
	}
	for _, p := range parts {
		if cmd, ok := p.Update(msg); ok {
			return cmd, true
		}
	}
	switch msg := msg.(type) {
	case EventMsg:
		return tea.Batch(r.f.Event(msg.Event), msg.D.Next()), true
	case AskMsg:
		return tea.Batch(r.f.Ask(msg), msg.D.Next()), true
	case FormDoneMsg:
		d := r.sh.Pending()
		if v, ok := r.sh.Answer(msg); ok {
			if r.f.Answered != nil {
				r.f.Answered(d, v)
			}
			return nil, true
		}
		if r.f.Submitted != nil && r.sh.Done(msg) {
			return r.f.Submitted(), true
		}
		return nil, true
	case DoneMsg:
		return r.f.Done(msg.Result), true
	}
	return nil, false
}

// ours reports whether msg, when it is a dialogue's, is this task's
// dialogue's, still followed.
func (r *Run) ours(msg tea.Msg) bool {
	switch msg := msg.(type) {
	case EventMsg:
		return msg.D == r.d
	case AskMsg:
		return msg.D == r.d && !r.cancelled
	case DoneMsg:
		return msg.D == r.d && !r.cancelled
	}
	return true
}

// End follows the dialogue's end: the task its Next leads to (the doctor
// or setup on the same cluster, the menu, this task on another cluster),
// or the interface's end with res and the end's error — kept on screen
// until the person leaves it when the task completed and linger says so.
func (r *Run) End(end steps.End, res Result, linger bool) tea.Cmd {
	switch end.Next {
	case steps.OptDiagnose:
		return Open(TaskDoctor, true)
	case steps.OptSetUp:
		return Open(TaskSetup, true)
	case steps.OptMenu:
		return Open(TaskMenu, false)
	case steps.OptOtherCluster:
		return Open(r.name, false)
	}
	res.Err = end.Err
	if linger && end.Ending == steps.Completed {
		return r.sh.Linger(res)
	}
	return Finish(res)
}

// Dialogue is the dialogue followed (nil before Start).
func (r *Run) Dialogue() *Dialogue { return r.d }

// Running reports whether the dialogue has not returned.
func (r *Run) Running() bool { return r.d != nil && !r.d.Finished() }

// Cancel stops the dialogue without waiting for it: the task says itself
// what follows.
func (r *Run) Cancel() {
	r.cancelled = true
	if r.d != nil {
		r.d.Cancel()
	}
}

// Stop cancels the dialogue and waits, at most limit, for what it runs to
// record its outcome (the journal).
func (r *Run) Stop(limit time.Duration) { r.d.Stop(limit) }
