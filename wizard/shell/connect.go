package shell

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// Connecting is how every task begins (steps.RunConnect): the API key
// when nothing gives it, connecting, and the cluster. A task hands it its
// dialogue's messages first and draws it while it is Active.
type Connecting struct {
	sh     *Shell
	active bool
	stage  connectStage
	err    error
	na     *steps.NotApplicable
	// working is what connecting does now (connecting, reading the
	// clusters' exports).
	working steps.Stage

	ask     *AskMsg
	key     string
	cluster string
}

type connectStage int

const (
	connWaiting connectStage = iota
	connKey
	connWorking
	connFailed
	connCluster
	connNotApplicable
)

// NewConnecting starts a task's connection on sh.
func NewConnecting(sh *Shell) *Connecting { return &Connecting{sh: sh, active: true} }

// Active reports whether the task is still connecting or choosing its
// cluster.
func (c *Connecting) Active() bool { return c.active }

// Update takes the messages of connecting; it reports whether msg was one.
func (c *Connecting) Update(msg tea.Msg) (tea.Cmd, bool) {
	sh := c.sh
	switch msg := msg.(type) {
	case EventMsg:
		switch ev := msg.Event.(type) {
		case steps.Working:
			if ev.Stage != steps.StageConnect && ev.Stage != steps.StageClusterExports {
				return nil, false
			}
			c.stage, c.err, c.working = connWorking, nil, ev.Stage
			return tea.Batch(msg.D.Next(), sh.SpinTick()), true
		case steps.Failure:
			if !c.active || ev.Stage != steps.StageConnect {
				return nil, false
			}
			c.stage, c.err = connFailed, ev.Err
		case steps.NotApplicable:
			if !c.active {
				return nil, false
			}
			c.stage, c.na = connNotApplicable, &ev
		case steps.Connected:
			c.stage = connWaiting
		case steps.ClusterChosen:
			c.active, sh.picking = false, false
		default:
			return nil, false
		}
		return msg.D.Next(), true
	case AskMsg:
		switch q := msg.Decision.(type) {
		case *steps.APIKeyQuestion:
			c.stage, c.ask, c.key = connKey, &msg, ""
			return tea.Batch(msg.D.Next(), sh.SetForm(sh.Forms.APIKey(&c.key))), true
		case *steps.ClusterQuestion:
			c.stage, c.ask, c.cluster = connCluster, &msg, q.Chosen
			sh.picking = true
			height := 0
			if !sh.Accessible {
				height = sh.FormHeight() - 4
			}
			return tea.Batch(msg.D.Next(), sh.SetForm(sh.Forms.Cluster(q, &c.cluster, sh.ContentWidth(), height))), true
		case steps.Choice:
			switch q.ID {
			case steps.ChoiceConnectFailed, steps.ChoiceNoClusters, steps.ChoiceNotApplicable:
				return tea.Batch(msg.D.Next(), sh.Decide(msg)), true
			}
		}
	case FormDoneMsg:
		if sh.Answered(msg) {
			return nil, true
		}
		if c.ask == nil || !sh.Done(msg) {
			return nil, false
		}
		a := c.ask
		c.ask, sh.picking = nil, false
		switch q := a.Decision.(type) {
		case *steps.APIKeyQuestion:
			q.Key, c.key = c.key, ""
		case *steps.ClusterQuestion:
			q.Chosen = c.cluster
		}
		sh.SetForm(nil)
		a.Reply(nil)
		return nil, true
	}
	return nil, false
}

// Step is the documented step connecting is at (for setup's checklist),
// and whether it failed there.
func (c *Connecting) Step() (string, bool) {
	switch c.stage {
	case connFailed:
		if se, ok := steps.AsStepError(c.err); ok {
			return se.Step, true
		}
		return steps.StepOrganization, true
	case connCluster:
		return steps.StepCluster, false
	case connNotApplicable:
		return steps.StepCluster, true
	}
	return steps.StepOrganization, false
}

// View draws connecting in w columns.
func (c *Connecting) View(w int) string {
	sh := c.sh
	switch c.stage {
	case connWorking, connWaiting:
		st := steps.StageConnect
		if c.stage == connWorking {
			st = c.working
		}
		return kit.SpinnerLine(sh.Spin.View(), kit.StageText(st, "", ""), w)
	case connFailed:
		return kit.ErrorBlock(c.err, sh.Styles, w, 0) + "\n\n" + sh.FormView()
	case connNotApplicable:
		return kit.Wrap(sh.Styles.Fail.Render(kit.GlyphFailed)+" "+kit.NotApplicable(c.na.Cluster, c.na.Err), w) + "\n\n" + sh.FormView()
	}
	return sh.FormView()
}

// Keys are connecting's keys: connecting only reads, and the task it
// starts may only read too, so it promises nothing about changes.
func (c *Connecting) Keys() []string {
	if c.sh.picking {
		if c.sh.FromMenu {
			return []string{"esc menu", "q quit"}
		}
		return []string{"q quit"}
	}
	return []string{kit.KeyQuit}
}

// Busy reports whether connecting waits for the services.
func (c *Connecting) Busy() bool {
	return c.active && (c.stage == connWorking || c.stage == connWaiting)
}

// Connected is a task's whole dialogue: connecting (c) from the session s,
// then body on the session it gives. A connection that does not get there
// ends the dialogue with its steps.End.
func Connected(c steps.ConnectTask, s steps.Session, body func(context.Context, steps.Session, steps.Prompter, steps.Listener) any) func(context.Context, steps.Prompter, steps.Listener) any {
	return func(ctx context.Context, p steps.Prompter, l steps.Listener) any {
		s, end := steps.RunConnect(ctx, c, s, p, l)
		if end.Ending != steps.Completed {
			return end
		}
		return body(ctx, s, p, l)
	}
}
