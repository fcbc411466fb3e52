package wizard

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/disable"
	"github.com/crdb-logexport/crdb-logexport/wizard/doctor"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
	"github.com/crdb-logexport/crdb-logexport/wizard/status"
	"github.com/crdb-logexport/crdb-logexport/wizard/update"
)

// While tasks move to packages of their own, the model hands the screen to
// a shell.Program for those that have; a task that has not yet moved is
// opened by the model again (legacy).

// legacy marks a task the program cannot open yet.
type legacy struct{ name string }

// Init ends a program that runs without the model (accessible mode),
// which then opens the task the old way.
func (l legacy) Init() tea.Cmd                       { return shell.Finish(shell.Result{Outcome: shell.Left}) }
func (l legacy) Update(tea.Msg) tea.Cmd              { return nil }
func (l legacy) View(int, int) string                { return "" }
func (l legacy) Title() string                       { return l.name }
func (l legacy) Keys() []string                      { return nil }
func (l legacy) Busy() bool                          { return false }
func (l legacy) Stop(time.Duration)                  {}
func (l legacy) Result(o shell.Outcome) shell.Result { return shell.Result{Outcome: o} }

// connectTask is how the tasks connect: the options' Connect, the API
// key asked for when nothing gives it, and --cluster.
func (o *Options) connectTask() steps.ConnectTask {
	return steps.ConnectTask{Build: o.Connect, AskKey: o.APIKeySource == "", ClusterRef: o.Input.Cluster}
}

// openTask makes the tasks that have moved.
func (o *Options) openTask(sh *shell.Shell, name string, keep bool) shell.Task {
	c := o.connectTask()
	c.KeepCluster = keep
	switch name {
	case shell.TaskStatus:
		return status.New(sh, status.Config{Connect: c, Watch: o.Apply.Watch, LogsEvery: o.streamsEvery()})
	case shell.TaskDoctor:
		return doctor.New(sh, doctor.Config{Connect: c, Options: o.Doctor, Fix: o.Fix})
	case shell.TaskUpdate:
		return update.New(sh, update.Config{
			Connect: c, In: o.Update, StreamsEvery: o.streamsEvery(), ResumeBase: o.resumeFor(StartUpdate, "crdb-logexport update"),
			Options: steps.UpdateOptions{NoWait: o.Apply.NoWait, PropagationLimit: o.Apply.PropagationLimit, StreamTimeout: o.Apply.StreamTimeout, Watch: o.Apply.Watch},
		})
	case shell.TaskDisable:
		return disable.New(sh, disable.Config{Connect: c, Preset: o.Disable, Options: steps.DisableOptions{Watch: o.Apply.Watch}, ResumeBase: o.resumeFor(StartDisable, "crdb-logexport disable")})
	}
	return legacy{name}
}

// resumeFor is the start of the command that repeats a task: the
// command that opened the interface on it, or def.
func (o *Options) resumeFor(start Start, def string) string {
	if o.Start == start && o.ResumeCommand != "" {
		return o.ResumeCommand
	}
	return def
}

// shellFor is a shell holding what the model is connected to.
func (m *Model) shellFor(accessible bool) *shell.Shell {
	sh := shell.New(m.ctx, accessible, m.opts.Now)
	sh.Width, sh.Height, sh.FromMenu, sh.ResumeHint = m.width, m.height, m.fromMenu(), m.opts.ResumeHint
	if m.connected {
		sh.Session = steps.Session{Env: m.env, Conn: &steps.Connection{Org: m.org, Caller: m.caller, Clusters: m.clusters}, Cluster: m.cluster, Chosen: m.hasCluster}
	}
	return sh
}

// startProgram gives the screen to a program opening task (keep: on the
// cluster chosen).
func (m *Model) startProgram(task string, keep bool) tea.Cmd {
	sh := m.shellFor(false)
	open := m.opts.openTask
	if keep {
		first := true
		open = func(sh *shell.Shell, n string, k bool) shell.Task {
			k, first = k || first, false
			return m.opts.openTask(sh, n, k)
		}
	}
	m.prog = shell.NewProgram(sh, open, task)
	m.prog.Badge = m.opts.Badge
	m.phase = phaseProgram
	m.form = nil
	return m.prog.Init()
}

// programUpdate hands msg to the program and follows it: its end is the
// interface's; a task it cannot open is the model's again.
func (m *Model) programUpdate(msg tea.Msg) tea.Cmd {
	_, cmd := m.prog.Update(msg)
	if m.prog.Ended() {
		res := m.prog.Result()
		m.final = &res
		return tea.Quit
	}
	l, ok := m.prog.Task().(legacy)
	if !ok {
		return cmd
	}
	m.adopt(m.prog.Shell().Session)
	m.stopped = append(m.stopped, m.prog)
	m.prog = nil
	m.phase = phaseMenu
	switch l.name {
	case shell.TaskMenu:
		return m.backToMenu()
	case shell.TaskSetup:
		m.pending = nil
		return m.startTask(nil)
	}
	return m.toMenu()
}

// adopt takes over what a program connected to.
func (m *Model) adopt(s steps.Session) {
	if s.Conn == nil {
		return
	}
	m.env, m.org, m.caller, m.clusters, m.connected = s.Env, s.Conn.Org, s.Conn.Caller, s.Conn.Clusters, true
	m.cluster, m.hasCluster = s.Cluster, s.Chosen
}

func (m *Model) stopPrograms(limit time.Duration) {
	for _, p := range append(m.stopped, m.prog) {
		if p != nil {
			p.Stop(limit)
		}
	}
}

// driveTask runs a task of its own package line by line; a task it leads
// to that has not moved yet runs the old way.
func (a *accessible) driveTask(ctx context.Context, name string, keep bool) (Result, error) {
	sh := shell.New(ctx, true, a.opts.Now)
	sh.ResumeHint = a.opts.ResumeHint
	if a.env != nil {
		sh.Session = steps.Session{Env: a.env, Conn: &steps.Connection{Clusters: a.clusters}, Cluster: a.cluster, Chosen: a.chosen}
	}
	open := a.opts.openTask
	if keep {
		first := true
		open = func(sh *shell.Shell, n string, k bool) shell.Task {
			k, first = k || first, false
			return a.opts.openTask(sh, n, k)
		}
	}
	prog := shell.NewProgram(sh, open, name)
	res := shell.Drive(ctx, prog, a.r, a.w, &kit.Lines{W: a.w, Results: a.w, Words: true, Live: true, Plans: true, FixHint: "Fix it"})
	prog.Stop(stopWait)
	l, ok := prog.Task().(legacy)
	if !ok || !prog.Ended() || ctx.Err() != nil {
		return res, nil
	}
	s := sh.Session
	a.env, a.cluster, a.chosen = s.Env, s.Cluster, s.Chosen
	switch l.name {
	}
	return res, nil
}
