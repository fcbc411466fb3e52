package wizard

import (
	"context"
	"fmt"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// statusTitle is the status screen's header and its Result.Task.
const statusTitle = "log export status"

// statusFlow shows one cluster's export as `status --cluster` does — the
// status and user_message, the configuration, the cluster's state and
// whether logs arrive in each destination region — and follows the status
// live until it is terminal, as `status --watch` does. The logs keep
// refreshing after that. A failure, or an enabled export whose logs do not
// arrive, opens the doctor's report with one key.
type statusFlow struct {
	ctx    context.Context
	cancel context.CancelFunc
	// gen numbers the reads: "r" starts a new one, and what an older one
	// still sends is dropped.
	gen       int
	genCancel context.CancelFunc
	events    <-chan cloudapi.StatusEvent

	// notApplicable: CloudWatch export does not apply to the cluster.
	notApplicable error

	st      *steps.ClusterExport
	readErr error
	reading bool

	ev         *cloudapi.StatusEvent
	following  bool
	watchStart time.Time
	watchErr   error

	// logsSeq numbers the refresh loops of the logs; a new read starts a
	// new one.
	logsSeq int
}

func newStatusFlow() *statusFlow { return &statusFlow{} }

// Messages of the status screen's commands.
type (
	statusReadMsg struct {
		from *statusFlow
		gen  int
		st   *steps.ClusterExport
		err  error
	}
	statusEventMsg struct {
		from   *statusFlow
		gen    int
		ev     cloudapi.StatusEvent
		closed bool
	}
	statusLogsMsg struct {
		from *statusFlow
		seq  int
		logs []steps.RegionLogs
	}
	statusLogsDueMsg struct {
		from *statusFlow
		seq  int
	}
)

func (f *statusFlow) title() string { return statusTitle }

func (f *statusFlow) start(m *Model) tea.Cmd {
	f.ctx, f.cancel = context.WithCancel(m.ctx)
	if err := m.cluster.CheckCloudWatch(); err != nil {
		f.notApplicable = err
		return nil
	}
	return f.begin(m)
}

// begin reads the export and starts following its status.
func (f *statusFlow) begin(m *Model) tea.Cmd {
	if f.genCancel != nil {
		f.genCancel()
	}
	f.gen++
	ctx, cancel := context.WithCancel(f.ctx)
	f.genCancel = cancel
	f.reading, f.following = true, true
	f.ev, f.readErr, f.watchErr = nil, nil, nil
	f.watchStart = m.opts.now()
	// The same polling schedule as setup's own wait: about a second while
	// a job runs, slower after.
	wo := m.opts.Apply.Watch
	wo.Goal, wo.WithCluster = cloudapi.GoalAnyTerminal, true
	f.events = cloudapi.Watch(ctx, m.env.Cloud, m.cluster.ID, wo)
	return tea.Batch(f.read(ctx, m), f.nextEvent(), m.spin.Tick)
}

// read runs steps.ExportStatus: what `status --cluster` shows.
func (f *statusFlow) read(ctx context.Context, m *Model) tea.Cmd {
	env, id, gen := m.env, m.cluster.ID, f.gen
	return func() tea.Msg {
		st, err := steps.ExportStatus(ctx, env, id, steps.StatusOptions{SkipLogs: env.AWS == nil})
		return statusReadMsg{from: f, gen: gen, st: st, err: err}
	}
}

// nextEvent waits for the watch's next event.
func (f *statusFlow) nextEvent() tea.Cmd {
	ch, gen := f.events, f.gen
	return func() tea.Msg {
		ev, ok := <-ch
		return statusEventMsg{from: f, gen: gen, ev: ev, closed: !ok}
	}
}

func (f *statusFlow) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case statusEventMsg:
		if msg.from != f || msg.gen != f.gen {
			return nil
		}
		return f.event(m, msg)
	case statusReadMsg:
		if msg.from != f || msg.gen != f.gen {
			return nil
		}
		return f.readDone(m, msg)
	case statusLogsDueMsg:
		if msg.from != f || msg.seq != f.logsSeq || f.st == nil {
			return nil
		}
		return readLogs(f.ctx, m.env, f.st.Logs, m.opts.Now, f, f.logsSeq)
	case statusLogsMsg:
		if msg.from != f || msg.seq != f.logsSeq || f.st == nil {
			return nil
		}
		f.st.Logs = msg.logs
		return f.logsDue(m)
	case tea.KeyPressMsg:
		return f.key(m, msg.String())
	}
	return nil
}

func (f *statusFlow) key(m *Model, k string) tea.Cmd {
	switch k {
	case "r":
		if f.notApplicable == nil {
			return f.begin(m)
		}
	case "d":
		if f.canDiagnose() {
			f.stop(0)
			return m.openFlow(newDoctorFlow())
		}
	case "esc":
		if m.fromMenu() {
			return m.backToMenu()
		}
		return f.leave(m)
	case "q":
		return f.leave(m)
	}
	return nil
}

func (f *statusFlow) event(m *Model, msg statusEventMsg) tea.Cmd {
	if msg.closed {
		f.following = false
		return nil
	}
	ev := msg.ev
	f.ev = &ev
	if !ev.Done {
		return f.nextEvent()
	}
	f.following = false
	if ev.Err != nil {
		f.watchErr = ev.Err
		return nil
	}
	// Terminal: read everything again, as `status --watch` does at the
	// end — the configuration and the logs may have changed meanwhile.
	f.reading = true
	return f.read(f.ctx, m)
}

func (f *statusFlow) readDone(m *Model, msg statusReadMsg) tea.Cmd {
	f.reading = false
	if msg.err != nil {
		f.readErr = msg.err
		return nil
	}
	f.readErr = nil
	f.st = msg.st
	f.logsSeq++
	return f.logsDue(m)
}

// logsDue schedules the next look at the logs, when there are logs to
// look at.
func (f *statusFlow) logsDue(m *Model) tea.Cmd {
	if f.st == nil || len(f.st.Logs) == 0 || m.env.AWS == nil {
		return nil
	}
	seq := f.logsSeq
	return tea.Tick(m.opts.streamsEvery(), func(time.Time) tea.Msg { return statusLogsDueMsg{from: f, seq: seq} })
}

// readLogs looks again at the export's streams in every region and log
// group of the last read, concurrently, with the meaning `status` gives
// them: arriving when some stream got an event within ArrivingWindow.
func readLogs(ctx context.Context, env *steps.Env, cur []steps.RegionLogs, clock func() time.Time, from *statusFlow, seq int) tea.Cmd {
	want := make([]steps.RegionLogs, len(cur))
	copy(want, cur)
	if clock == nil {
		clock = time.Now
	}
	return func() tea.Msg {
		now := clock()
		var wg sync.WaitGroup
		for i := range want {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rl := steps.RegionLogs{Region: want[i].Region, LogGroup: want[i].LogGroup}
				rs, err := steps.ReadStreams(ctx, env, rl.Region, rl.LogGroup)
				switch {
				case err != nil && awsiam.IsNotFound(err):
					rl.Error = "log group " + rl.LogGroup + " does not exist in " + rl.Region
				case err != nil:
					rl.Error = err.Error()
				default:
					rl.Streams, rl.Newest = rs.Streams, rs.Newest
					rl.Arriving = !rs.Newest.IsZero() && now.Sub(rs.Newest) <= steps.ArrivingWindow
				}
				want[i] = rl
			}()
		}
		wg.Wait()
		return statusLogsMsg{from: from, seq: seq, logs: want}
	}
}

// current is the export as last seen: the last read, with the status of
// any newer watch event.
func (f *statusFlow) current() *steps.ClusterExport {
	if f.st == nil {
		return nil
	}
	cur := *f.st
	if f.ev != nil && f.ev.Info.Status != "" {
		cur.Status, cur.UserMessage = f.ev.Info.Status, f.ev.Info.UserMessage
		if f.ev.ClusterState != "" {
			cur.ClusterState, cur.OperationStatus = f.ev.ClusterState, f.ev.OperationStatus
		}
	}
	return &cur
}

// notArriving lists the regions (and log groups) whose logs do not arrive
// while the export is enabled.
func (f *statusFlow) notArriving() []string {
	cur := f.current()
	if cur == nil || cur.Status != cloudapi.StatusEnabled {
		return nil
	}
	var out []string
	for _, l := range cur.Logs {
		if !l.Arriving {
			out = append(out, l.Region)
		}
	}
	return out
}

// canDiagnose: the export failed, or it is enabled and logs do not arrive
// everywhere — the cases the doctor is for.
func (f *statusFlow) canDiagnose() bool {
	cur := f.current()
	return cur != nil && (cur.Status.Failed() || len(f.notArriving()) > 0)
}

// leave ends the interface: failed when the export ended on a failure
// status (as `status --watch` exits 1), or when it could not be read.
func (f *statusFlow) leave(m *Model) tea.Cmd {
	m.err = nil
	switch cur := f.current(); {
	case f.notApplicable != nil:
		m.err = fmt.Errorf("%w: %v", steps.ErrNotApplicable, f.notApplicable)
	case cur == nil && f.readErr != nil:
		m.err = f.readErr
	case cur != nil && cur.Status.Failed():
		m.err = fmt.Errorf("log export of %s is %s: %s", cur.ClusterName, cur.Status, cur.UserMessage)
	default:
		return m.finish(Completed)
	}
	return m.finish(Failed)
}

func (f *statusFlow) submitted(*Model) tea.Cmd { return nil }

func (f *statusFlow) busy() bool { return f.following || f.reading }

func (f *statusFlow) result(res *Result) {
	res.Status = f.current()
	if res.Status != nil {
		res.Resume = "crdb-logexport status --cluster " + res.Status.ClusterName + " --watch"
	}
}

func (f *statusFlow) stop(time.Duration) {
	// Only reads run: nothing to wait for.
	if f.cancel != nil {
		f.cancel()
	}
}
