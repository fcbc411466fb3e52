// Package status is the interface's status task: one cluster's export as
// `status --cluster` shows it — the status and user_message, the
// configuration, the cluster's state and whether logs arrive in each
// destination region — followed live until it is terminal, as `status
// --watch` does, with the logs refreshing after that. The dialogue is
// steps.RunStatus; this package draws it and answers its one decision with
// keys: d diagnoses a failed export or logs that do not arrive (the
// doctor's task opens), r reads it all again, q leaves.
package status

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
)

// Title is the status screen's header and its Result.Task.
const Title = "log export status"

// Config is what the status task needs beside its shell.
type Config struct {
	// Connect is how the task connects and chooses its cluster.
	Connect steps.ConnectTask
	// Watch is the status watcher's schedule (tests shorten it).
	Watch cloudapi.WatchOptions
	// LogsEvery is how often the logs refresh once the status is terminal
	// (default 2 s).
	LogsEvery time.Duration
}

// Model is the status task.
type Model struct {
	sh  *shell.Shell
	cfg Config
	*shell.Run
	end *steps.StatusEnd

	// What the dialogue read and saw.
	notApplicable error
	st            *steps.ClusterExport
	ev            *cloudapi.StatusEvent
	following     bool
	// live: the status is followed past terminal statuses.
	live       bool
	reading    bool
	watchStart time.Time
	readErr    error
	watchErr   error
	// logsSeq numbers the refresh loops of the logs; a new read starts a
	// new one.
	logsSeq int
}

// New returns the status task on sh.
func New(sh *shell.Shell, cfg Config) *Model {
	if cfg.LogsEvery <= 0 {
		cfg.LogsEvery = 2 * time.Second
	}
	m := &Model{sh: sh, cfg: cfg}
	m.Run = shell.NewRun(sh, shell.TaskStatus, shell.Follow{Event: m.event, Ask: m.ask, Done: m.done})
	return m
}

// Messages of the logs' refresh.
type (
	logsMsg struct {
		seq  int
		logs []steps.RegionLogs
	}
	logsDueMsg struct{ seq int }
)

// Init starts the dialogue: connecting, then steps.RunStatus.
func (m *Model) Init() tea.Cmd {
	cfg, nav := m.cfg, steps.Nav{Menu: m.sh.FromMenu}
	return m.Start(cfg.Connect, func(ctx context.Context, s steps.Session, p steps.Prompter, l steps.Listener) any {
		return steps.RunStatus(ctx, s.Env, steps.StatusTask{Cluster: s.Cluster, Follow: true, Watch: cfg.Watch, Nav: nav}, p, l)
	})
}

// Update follows the dialogue and the keys.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := m.Route(msg); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case logsDueMsg:
		if msg.seq != m.logsSeq || m.st == nil {
			return nil
		}
		return m.readLogs()
	case logsMsg:
		if msg.seq != m.logsSeq || m.st == nil {
			return nil
		}
		// A copy: the export read is the dialogue's too, which reads it
		// while it follows.
		st := *m.st
		st.Logs = msg.logs
		m.st = &st
		return m.logsDue()
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	// The form's own messages (moving between fields, submitting).
	return m.sh.UpdateForm(msg)
}

// ask offers the choice that follows a read by keys of the live screen.
func (m *Model) ask(a shell.AskMsg) tea.Cmd {
	return m.sh.DecideByKeys(a, map[string]string{"d": steps.OptDiagnose, "r": steps.OptReadAgain, "esc": steps.OptMenu, "q": steps.OptQuit})
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := msg.String()

	if m.sh.Key(k) {
		return m.sh.SpinTick()
	}
	if m.sh.Pending() != nil && m.sh.Form() != nil || m.Conn.Active() {
		return m.sh.UpdateForm(msg)
	}
	if k == "q" || k == "esc" && !m.sh.FromMenu {
		// Leaving while the status is still followed.
		m.Cancel()
		res := m.Result(shell.OutcomeOf(steps.StatusEnding(m.current(), m.readErr).Ending))
		if res.Outcome == shell.Failed {
			res.Err = steps.StatusEnding(m.current(), m.readErr).Err
		}
		return shell.Finish(res)
	}
	if k == "esc" {
		m.Cancel()
		return shell.Open(shell.TaskMenu, false)
	}
	return nil
}

func (m *Model) event(ev steps.Event) tea.Cmd {
	switch ev := ev.(type) {
	case steps.NotApplicable:
		m.notApplicable = ev.Err
	case steps.Working:
		switch ev.Stage {
		case steps.StageStatusRead:
			m.reading, m.following, m.live = true, false, false
		case steps.StageStatusWatch, steps.StageStatusFollow:
			m.following, m.ev, m.watchErr = true, nil, nil
			m.live = ev.Stage == steps.StageStatusFollow
			m.watchStart = m.sh.Now()
		}
		return m.sh.SpinTick()
	case steps.ExportRead:
		m.reading, m.readErr = false, nil
		m.st = ev.Export
		if ev.Final && !m.live {
			m.following = false
		}
		m.logsSeq++
		return m.logsDue()
	case steps.StatusSeen:
		e := ev.Status
		m.ev = &e
	case steps.Failure:
		switch ev.Stage {
		case steps.StageStatusRead:
			m.reading, m.readErr = false, ev.Err
		case steps.StageStatusWatch, steps.StageStatusFollow:
			m.following, m.live, m.watchErr = false, false, ev.Err
		}
	}
	return nil
}

// stale reports whether the watch saw the status change since the export
// was last read whole: what was read with it (the logs) may no longer
// hold.
func (m *Model) stale() bool {
	return m.ev != nil && m.st != nil && m.ev.Info.Status != "" && m.ev.Info.Status != m.st.Status
}

// moving reports whether the status is followed while it is not terminal:
// then the logs wait, as the export is still being set up or taken down.
func (m *Model) moving() bool {
	cur := m.current()
	return m.following && (cur == nil || !cur.Status.Terminal())
}

// done follows the end of the dialogue: the doctor, the menu, or the end.
func (m *Model) done(result any) tea.Cmd {
	var end steps.End
	switch r := result.(type) {
	case steps.StatusEnd:
		m.end = &r
		end = r.End
	case steps.End:
		end = r
	}
	return m.End(end, m.Result(shell.OutcomeOf(end.Ending)), false)
}

// logsDue schedules the next look at the logs, when there are logs to
// look at and the status is terminal.
func (m *Model) logsDue() tea.Cmd {
	if m.st == nil || len(m.st.Logs) == 0 || m.moving() || m.sh.Session.Env == nil || m.sh.Session.Env.AWS == nil {
		return nil
	}
	seq := m.logsSeq
	return tea.Tick(m.cfg.LogsEvery, func(time.Time) tea.Msg { return logsDueMsg{seq: seq} })
}

// readLogs looks again at the export's streams in every region and log
// group of the last read, with the meaning `status` gives them.
func (m *Model) readLogs() tea.Cmd {
	want := m.st.Logs
	ctx, env, seq, now := m.sh.Ctx, m.sh.Session.Env, m.logsSeq, m.sh.Now()
	return func() tea.Msg { return logsMsg{seq: seq, logs: steps.ReadLogs(ctx, env, want, now)} }
}

// current is the export as last seen: the last read, with the status of
// any newer watch event.
func (m *Model) current() *steps.ClusterExport {
	if m.st == nil {
		return nil
	}
	cur := *m.st
	if m.ev != nil && m.ev.Info.Status != "" {
		cur.Status, cur.UserMessage = m.ev.Info.Status, m.ev.Info.UserMessage
		if m.ev.ClusterState != "" {
			cur.ClusterState, cur.OperationStatus = m.ev.ClusterState, m.ev.OperationStatus
		}
	}
	return &cur
}

// Title is the header's.
func (m *Model) Title() string { return Title }

// Busy: the status is read or followed.
func (m *Model) Busy() bool { return m.Conn.Busy() || m.following || m.reading }

// Result is what the status showed.
func (m *Model) Result(o shell.Outcome) shell.Result {
	res := shell.Result{Outcome: o, Task: Title, Status: m.current(), Rerun: true}
	if res.Status != nil {
		res.Resume = "crdb-logexport status --cluster " + res.Status.ClusterName + " --watch"
	}
	if o == shell.Failed && m.notApplicable != nil {
		res.Err = fmt.Errorf("%w: %v", steps.ErrNotApplicable, m.notApplicable)
	}
	return res
}

// Stop cancels the reads: nothing is changed, so nothing is waited for.
func (m *Model) Stop(time.Duration) { m.Cancel() }
