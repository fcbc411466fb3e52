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
	// name is the task's own name: choosing another cluster opens it
	// again.
	name string
	// Conn is connecting, drawn by the task while it is Active.
	Conn *Connecting
	d    *Dialogue
}

// NewRun is the dialogue of the task called name (TaskSetup, …) on sh.
func NewRun(sh *Shell, name string) *Run { return &Run{sh: sh, name: name, Conn: NewConnecting(sh)} }

// Start connects (c) from the shell's session, then runs body on the
// session connecting gives.
func (r *Run) Start(c steps.ConnectTask, body func(context.Context, steps.Session, steps.Prompter, steps.Listener) any) tea.Cmd {
	var cmd tea.Cmd
	r.d, cmd = Start(r.sh.Ctx, Connected(c, r.sh.Session, body))
	return tea.Batch(cmd, r.sh.SpinTick())
}

// Route hands connecting its messages, then the task's: each event to
// event and each decision to ask, asking the dialogue for its next message
// once they have. It reports whether msg was one of them; the dialogue's
// end (DoneMsg) is the task's to follow (End).
func (r *Run) Route(msg tea.Msg, event func(steps.Event) tea.Cmd, ask func(AskMsg) tea.Cmd) (tea.Cmd, bool) {
	if r.Conn.Active() {
		if cmd, ok := r.Conn.Update(msg); ok {
			return cmd, true
		}
	}
	switch msg := msg.(type) {
	case EventMsg:
		return tea.Batch(event(msg.Event), msg.D.Next()), true
	case AskMsg:
		return tea.Batch(ask(msg), msg.D.Next()), true
	}
	return nil, false
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

// Running reports whether the dialogue has not returned.
func (r *Run) Running() bool { return r.d != nil && !r.d.Finished() }

// Cancel stops the dialogue without waiting for it.
func (r *Run) Cancel() {
	if r.d != nil {
		r.d.Cancel()
	}
}

// Stop cancels the dialogue and waits, at most limit, for what it runs to
// record its outcome (the journal).
func (r *Run) Stop(limit time.Duration) { r.d.Stop(limit) }
