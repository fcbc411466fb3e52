package shell

import (
	"context"
	"slices"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Dialogue is a task's dialogue (a steps.Run* function) running beside
// the interface. It is the dialogue's Prompter and Listener: each decision
// and each event it makes reaches the task's Update as a message, in order,
// and a decision waits for the task's answer. Nothing it does blocks
// Update.
type Dialogue struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	queue  []tea.Msg
	notify chan struct{}
}

// The messages of a dialogue.
type (
	// EventMsg is an event of the dialogue D.
	EventMsg struct {
		D     *Dialogue
		Event steps.Event
	}
	// AskMsg is a decision of the dialogue D, waiting for Reply:
	// a steps.Confirm, a steps.Choice or a steps.Question.
	AskMsg struct {
		D        *Dialogue
		Decision any
		reply    chan answer
	}
	// DoneMsg is the dialogue D's end: what run returned.
	DoneMsg struct {
		D      *Dialogue
		Result any
	}
)

type answer struct {
	v   any
	err error
}

// Reply answers the decision: a bool for a Confirm, the option's ID for a
// Choice, nil for a Question (whose fields hold the answer), or an error
// (steps.ErrBack, steps.ErrQuit).
func (a AskMsg) Reply(v any) {
	if err, ok := v.(error); ok {
		a.reply <- answer{err: err}
		return
	}
	a.reply <- answer{v: v}
}

// Start runs a dialogue: run gets the dialogue as its Prompter and
// Listener, and what it returns arrives as DoneMsg. The command returned
// waits for the dialogue's first message; the task asks for each next one
// with Next once it has handled the last.
func Start(ctx context.Context, run func(context.Context, steps.Prompter, steps.Listener) any) (*Dialogue, tea.Cmd) {
	ctx, cancel := context.WithCancel(ctx)
	d := &Dialogue{cancel: cancel, done: make(chan struct{}), notify: make(chan struct{}, 1)}
	go func() {
		res := run(ctx, d, d.listen)
		d.push(DoneMsg{D: d, Result: res})
		close(d.done)
	}()
	return d, d.Next()
}

func (d *Dialogue) push(msg tea.Msg) {
	d.mu.Lock()
	d.queue = append(d.queue, msg)
	d.mu.Unlock()
	select {
	case d.notify <- struct{}{}:
	default:
	}
}

func (d *Dialogue) listen(e steps.Event) { d.push(EventMsg{D: d, Event: e}) }

// Next waits for the dialogue's next message.
func (d *Dialogue) Next() tea.Cmd {
	return func() tea.Msg {
		for {
			d.mu.Lock()
			if len(d.queue) > 0 {
				msg := d.queue[0]
				d.queue = slices.Delete(d.queue, 0, 1)
				d.mu.Unlock()
				return msg
			}
			d.mu.Unlock()
			<-d.notify
		}
	}
}

func (d *Dialogue) ask(ctx context.Context, decision any) (any, error) {
	reply := make(chan answer, 1)
	d.push(AskMsg{D: d, Decision: decision, reply: reply})
	select {
	case a := <-reply:
		return a.v, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Confirm asks the task.
func (d *Dialogue) Confirm(ctx context.Context, q steps.Confirm) (bool, error) {
	v, err := d.ask(ctx, q)
	if err != nil {
		return false, err
	}
	return v.(bool), nil
}

// Choose asks the task.
func (d *Dialogue) Choose(ctx context.Context, q steps.Choice) (string, error) {
	v, err := d.ask(ctx, q)
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// Answer asks the task, which fills q in before replying.
func (d *Dialogue) Answer(ctx context.Context, q steps.Question) error {
	_, err := d.ask(ctx, q)
	return err
}

// Cancel stops the dialogue; it ends (DoneMsg) once what it runs has
// recorded its outcome.
func (d *Dialogue) Cancel() { d.cancel() }

// Finished reports whether the dialogue has returned.
func (d *Dialogue) Finished() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// Wait lets a cancelled dialogue record its outcome (the journal) before
// the program exits, for at most limit; it reports whether it ended.
func (d *Dialogue) Wait(limit time.Duration) bool {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-d.done:
		return true
	case <-t.C:
		return false
	}
}

// Stop cancels the dialogue and waits for it, at most limit.
func (d *Dialogue) Stop(limit time.Duration) {
	if d == nil {
		return
	}
	d.cancel()
	d.Wait(limit)
}
