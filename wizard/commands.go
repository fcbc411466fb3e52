package wizard

import (
	"context"
	"slices"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Messages the commands send back. None carries the API key.
type (
	// connectedMsg: clients built, who the tool acts as, and the clusters
	// (or the one named with --cluster).
	connectedMsg struct {
		env      *steps.Env
		org      cloudapi.Organization
		caller   awsiam.Identity
		clusters []cloudapi.Cluster
		err      error
	}
	rolesMsg struct {
		policyARN string
		roles     []string
		err       error
	}
	planMsg struct {
		seq  int
		plan *steps.Plan
		err  error
	}
	rollbackPreviewMsg struct {
		runID     string
		resources []steps.Resource
		err       error
	}
	rollbackDoneMsg struct {
		res steps.RollbackResult
		err error
	}
	streamsMsg struct {
		seq     int
		streams []steps.RegionStreams
	}
	streamsDueMsg struct{ seq int }
	tickMsg       time.Time
)

// Progress of an apply, as the reporter saw it.
type (
	stepStartedMsg struct {
		run int
		id  string
	}
	stepDoneMsg struct {
		run     int
		id      string
		action  steps.Action
		summary string
		took    time.Duration
	}
	stepFailedMsg struct {
		run  int
		id   string
		err  error
		took time.Duration
	}
	statusMsg struct {
		run int
		ev  cloudapi.StatusEvent
	}
	propagationMsg struct {
		run             int
		wait, remaining time.Duration
		reason          string
	}
	regionStreamsMsg struct {
		run int
		rs  steps.RegionStreams
	}
	applyDoneMsg struct {
		run int
		res *steps.SetupResult
		err error
	}
)

// connect builds the clients and connects (steps.Connect): the
// organization, the AWS identity the tool will act as, and the clusters —
// or only the cluster named with --cluster.
func connect(ctx context.Context, build func(context.Context, string) (*steps.Env, error), apiKey, clusterRef string) tea.Cmd {
	return func() tea.Msg {
		env, err := build(ctx, apiKey)
		if err != nil {
			return connectedMsg{err: err}
		}
		c, err := steps.Connect(ctx, env, clusterRef)
		if err != nil {
			return connectedMsg{env: env, err: err}
		}
		return connectedMsg{env: env, org: c.Org, caller: c.Caller, clusters: c.Clusters}
	}
}

// lookupRoles lists the roles a pasted policy ARN is attached to.
func lookupRoles(ctx context.Context, env *steps.Env, policyARN string) tea.Cmd {
	return func() tea.Msg {
		roles, err := awsiam.RolesForPolicy(ctx, env.AWS.IAM, policyARN)
		return rolesMsg{policyARN: policyARN, roles: roles, err: err}
	}
}

// prepare runs the read-only detection and builds the plan. With archive
// (--from-scratch, first plan only) the cluster's journal is first moved
// aside, so this setup starts a new run instead of resuming one.
func prepare(ctx context.Context, env *steps.Env, in steps.SetupInput, seq int, archive bool) tea.Cmd {
	return func() tea.Msg {
		if archive {
			if err := env.Journals.Archive(in.Cluster); err != nil {
				return planMsg{seq: seq, err: err}
			}
		}
		p, err := steps.Prepare(ctx, env, in)
		return planMsg{seq: seq, plan: p, err: err}
	}
}

// previewRollback reads the journal: what this setup run created.
func previewRollback(env *steps.Env, clusterID string) tea.Cmd {
	return func() tea.Msg {
		j, err := env.Journals.Open(clusterID, "")
		if err != nil {
			return rollbackPreviewMsg{err: err}
		}
		return rollbackPreviewMsg{runID: j.RunID, resources: j.CreatedIn(j.RunID)}
	}
}

func rollback(ctx context.Context, env *steps.Env, clusterID, runID string) tea.Cmd {
	return func() tea.Msg {
		res, err := steps.Rollback(ctx, env, clusterID, steps.RollbackOptions{RunID: runID})
		return rollbackDoneMsg{res: res, err: err}
	}
}

// pollStreams looks at the log streams of this export in every region,
// concurrently.
func pollStreams(ctx context.Context, env *steps.Env, logGroup string, regions []string, seq int) tea.Cmd {
	return func() tea.Msg {
		out := make([]steps.RegionStreams, len(regions))
		var wg sync.WaitGroup
		for i, region := range regions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rs, err := steps.ReadStreams(ctx, env, region, logGroup)
				if err != nil {
					rs.Error = err.Error()
				}
				out[i] = rs
			}()
		}
		wg.Wait()
		return streamsMsg{seq: seq, streams: out}
	}
}

func streamsDue(d time.Duration, seq int) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return streamsDueMsg{seq: seq} })
}

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// applyRun is one steps.Apply in progress. It is the Reporter: the engine
// calls it from several goroutines, and it queues what it hears so that
// Update receives every event, in order, as a message. The queue never
// blocks the engine.
type applyRun struct {
	id     int
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	queue  []tea.Msg
	notify chan struct{}
}

func newApplyRun(id int, cancel context.CancelFunc) *applyRun {
	return &applyRun{id: id, cancel: cancel, done: make(chan struct{}), notify: make(chan struct{}, 1)}
}

func (r *applyRun) push(msg tea.Msg) {
	r.mu.Lock()
	r.queue = append(r.queue, msg)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// next waits for the next event. The last one is applyDoneMsg, after which
// Update stops asking.
func (r *applyRun) next() tea.Cmd {
	return func() tea.Msg {
		for {
			r.mu.Lock()
			if len(r.queue) > 0 {
				msg := r.queue[0]
				r.queue = slices.Delete(r.queue, 0, 1)
				r.mu.Unlock()
				return msg
			}
			r.mu.Unlock()
			<-r.notify
		}
	}
}

// finished reports whether Apply has returned.
func (r *applyRun) finished() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// start runs Apply; its outcome is queued after every event it reported.
func (r *applyRun) start(ctx context.Context, env *steps.Env, p *steps.Plan, opts steps.ApplyOptions) tea.Cmd {
	return func() tea.Msg {
		res, err := steps.Apply(ctx, env, p, opts, r)
		r.push(applyDoneMsg{run: r.id, res: res, err: err})
		close(r.done)
		return nil
	}
}

// wait lets a stopped run record its outcome in the journal before the
// program exits; Apply returns promptly once its context is cancelled.
func (r *applyRun) wait(limit time.Duration) bool {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-r.done:
		return true
	case <-t.C:
		return false
	}
}

func (r *applyRun) StepStarted(id string) { r.push(stepStartedMsg{run: r.id, id: id}) }

func (r *applyRun) StepDone(id string, a steps.Action, summary string, took time.Duration) {
	r.push(stepDoneMsg{run: r.id, id: id, action: a, summary: summary, took: took})
}

func (r *applyRun) StepFailed(id string, err error, took time.Duration) {
	r.push(stepFailedMsg{run: r.id, id: id, err: err, took: took})
}

func (r *applyRun) Status(ev cloudapi.StatusEvent) { r.push(statusMsg{run: r.id, ev: ev}) }

func (r *applyRun) PropagationWait(wait, remaining time.Duration, reason string) {
	r.push(propagationMsg{run: r.id, wait: wait, remaining: remaining, reason: reason})
}

func (r *applyRun) Streams(rs steps.RegionStreams) { r.push(regionStreamsMsg{run: r.id, rs: rs}) }

// applyProgress is what a running apply — setup's or update's — has
// reported: the checklist, the live status, the IAM wait and the logs per
// region. The setup model and the update flow each keep one.
type applyProgress struct {
	run      *applyRun
	marks    checklist
	lastDone string
	errTook  time.Duration
	status   *cloudapi.StatusEvent
	enableAt time.Time
	// polls counts the polls of earlier watches, when the export was
	// enabled again; lastPolls is the current watch's count.
	polls, lastPolls int
	wait             *propagation
	streams          map[string]steps.RegionStreams
}

// track starts following run, forgetting the previous run's progress.
func (p *applyProgress) track(run *applyRun) {
	*p = applyProgress{run: run, streams: map[string]steps.RegionStreams{}}
}

// record applies one progress event of p.run at now. It reports false for
// an event of an earlier run or one it does not know, which the caller
// ignores (and does not ask for the next event).
func (p *applyProgress) record(msg tea.Msg, now time.Time) bool {
	switch msg := msg.(type) {
	case stepStartedMsg:
		if msg.run != p.run.id {
			return false
		}
		if mk := p.marks.at(msg.id); mk != nil {
			mk.state = markRunning
		}
		if msg.id == steps.StepEnable {
			p.enableAt = now
		}
	case stepDoneMsg:
		if msg.run != p.run.id {
			return false
		}
		if mk := p.marks.at(msg.id); mk != nil {
			*mk = mark{state: markDone, took: msg.took, timed: true, summary: msg.summary}
		}
		p.lastDone = msg.id
	case stepFailedMsg:
		if msg.run != p.run.id {
			return false
		}
		if mk := p.marks.at(msg.id); mk != nil {
			*mk = mark{state: markFailed, took: msg.took, timed: true}
		}
		p.errTook = msg.took
	case statusMsg:
		if msg.run != p.run.id {
			return false
		}
		ev := msg.ev
		if ev.Polls < p.lastPolls {
			// A new watch after enabling again: keep counting.
			p.polls += p.lastPolls
		}
		p.lastPolls = ev.Polls
		p.status = &ev
		if p.wait != nil && now.After(p.wait.until) {
			p.wait = nil
		}
	case propagationMsg:
		if msg.run != p.run.id {
			return false
		}
		p.wait = &propagation{until: now.Add(msg.wait), deadline: now.Add(msg.remaining), reason: msg.reason}
	case regionStreamsMsg:
		if msg.run != p.run.id {
			return false
		}
		p.streams[msg.rs.Region] = msg.rs
	default:
		return false
	}
	return true
}
