package cloudapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// StatusSource is what the watcher reads; *Client implements it.
type StatusSource interface {
	LogExport(ctx context.Context, clusterID string) (LogExportInfo, error)
	Cluster(ctx context.Context, id string) (Cluster, error)
}

// Goal says when a watch is over.
type Goal int

// Goals.
const (
	// GoalAnyTerminal stops at the first terminal status.
	GoalAnyTerminal Goal = iota
	// GoalEnabled stops at ENABLED or a failure. DISABLED does not stop it:
	// right after a POST it can only be a stale read, and the caller's
	// context bounds the wait.
	GoalEnabled
	// GoalDisabled stops at DISABLED (or never configured) or a failure.
	GoalDisabled
	// GoalFollow never stops on its own; only the context ends it.
	GoalFollow
)

// stops reports whether status s ends a watch for goal g. A status this
// version does not know ends every watch but a followed one: whatever it
// means, waiting for a known one could last forever.
func (g Goal) stops(s Status) bool {
	if !s.Known() && g != GoalFollow {
		return true
	}
	switch g {
	case GoalEnabled:
		return s == StatusEnabled || s.Failed()
	case GoalDisabled:
		return s == StatusDisabled || s.Failed()
	case GoalFollow:
		return false
	default:
		return s.Terminal()
	}
}

func (g Goal) reached(s Status) bool {
	switch g {
	case GoalEnabled:
		return s == StatusEnabled
	case GoalDisabled:
		return s == StatusDisabled
	default:
		return s.Terminal() && !s.Failed()
	}
}

// WatchOptions configure Watch. The zero value watches until any terminal
// status with DefaultSchedule.
type WatchOptions struct {
	Goal Goal
	// Clock defaults to the client's when the source is a *Client, else the
	// system clock.
	Clock Clock
	// Schedule gives the time from the start of one poll to the start of
	// the next, from the time elapsed since the watch began;
	// DefaultSchedule when nil.
	Schedule func(elapsed time.Duration) time.Duration
	// WithCluster also reads the cluster, to report its state (LOCKED
	// while the export job runs) and operation status: on the first poll,
	// on every poll that sees the export change, and on every
	// clusterEvery-th poll in between.
	WithCluster bool
	// Settled, when set, paces a watch that keeps following (GoalFollow)
	// by how long the status has stood still: a terminal status is polled
	// Settled(time since the last change) apart, and the Schedule counts
	// from the last change too, so a change after an hour of ENABLED is
	// followed as closely as one right after the watch began.
	// SettledSchedule is the usual choice.
	Settled func(sinceChange time.Duration) time.Duration
	// EveryPoll sends an event for every poll, not only for changes, so
	// whoever shows Polls counts honestly.
	EveryPoll bool
}

// StatusEvent is one observation of a watch.
type StatusEvent struct {
	// Info is the latest configuration and status read (kept from the
	// previous poll when this one failed).
	Info LogExportInfo
	// ClusterState and OperationStatus are set with WatchOptions.WithCluster.
	ClusterState    ClusterState
	OperationStatus OperationStatus
	// Polls counts the polls so far, this one included.
	Polls   int
	Elapsed time.Duration
	// Since is when the current status and user_message were first seen:
	// the watch's first poll, or the poll that saw the last change.
	// Changes counts the changes seen since the first poll.
	Since   time.Time
	Changes int
	// Err is set when this poll failed. A transient failure (rate limit,
	// 5xx, network) does not end the watch; any other does, with Done set.
	Err error
	// Done marks the last event; the channel is closed after it.
	Done bool
	// Reached is true when Done and the goal's status was reached. A watch
	// that ends on a failure status has Done true and Reached false; show
	// Info.UserMessage with it.
	Reached bool
}

// Failed reports whether the watch ended on a failure status.
func (e StatusEvent) Failed() bool { return e.Done && e.Info.Status.Failed() }

// Unknown reports whether the watch ended on a status this version does
// not know (Info.Status names it).
func (e StatusEvent) Unknown() bool {
	return e.Done && e.Err == nil && e.Info.Status != "" && !e.Info.Status.Known()
}

// The default schedule: while an export job usually runs (seconds to a
// couple of minutes) a change is noticed within a second — a poll starts
// every 750 ms, and the answer takes one round trip (two when the change
// makes the watch read the cluster too) — and the rate falls off for jobs
// that take longer. The fast phase uses 1.33 of the 10 requests/second
// budget, about 1.7 WithCluster.
const (
	fastPoll    = 750 * time.Millisecond
	fastPhase   = 2 * time.Minute
	mediumPoll  = 2 * time.Second
	mediumPhase = 5 * time.Minute
	slowPoll    = 5 * time.Second
	// clusterEvery: WithCluster, a poll that sees no change in the export
	// reads the cluster only this often (its state changes with the
	// export's job, which the export's own status already shows).
	clusterEvery = 4
)

// DefaultSchedule is the time from one poll's start to the next's, given
// the time since the watch began: 750 ms for the first 2 min, then 2 s
// until 5 min, then 5 s.
func DefaultSchedule(elapsed time.Duration) time.Duration {
	switch {
	case elapsed < fastPhase:
		return fastPoll
	case elapsed < mediumPhase:
		return mediumPoll
	default:
		return slowPoll
	}
}

// The settled schedule: a terminal status that has just changed is
// watched closely (the change may be one of several), then less and less,
// down to a poll every 30 s — 0.03 of the rate limit — once it has stood
// still for 10 min.
const (
	settledFast       = 2 * time.Second
	settledFastPhase  = time.Minute
	settledMedium     = 10 * time.Second
	settledMediumTill = 10 * time.Minute
	settledSlow       = 30 * time.Second
)

// SettledSchedule is the time between polls of a terminal status that has
// not changed for sinceChange: 2 s for the first minute, then 10 s until
// 10 min, then 30 s.
func SettledSchedule(sinceChange time.Duration) time.Duration {
	switch {
	case sinceChange < settledFastPhase:
		return settledFast
	case sinceChange < settledMediumTill:
		return settledMedium
	default:
		return settledSlow
	}
}

// Watch polls the cluster's log export status and sends an event for the
// first poll, for every change (status, user_message, cluster state,
// operation status, error), and a last event with Done set when the goal's
// stopping status is seen or a permanent error occurs. The channel is
// closed after the last event, or without one when ctx ends.
func Watch(ctx context.Context, src StatusSource, clusterID string, opts WatchOptions) <-chan StatusEvent {
	clock := opts.Clock
	if clock == nil {
		if c, ok := src.(*Client); ok {
			clock = c.clock
		} else {
			clock = SystemClock()
		}
	}
	schedule := opts.Schedule
	if schedule == nil {
		schedule = DefaultSchedule
	}
	ch := make(chan StatusEvent)
	go func() {
		defer close(ch)
		start := clock.Now()
		var last StatusEvent
		for polls := 1; ; polls++ {
			began := clock.Now()
			ev := poll(ctx, src, clusterID, opts.WithCluster, polls, last)
			if ctx.Err() != nil {
				return
			}
			ev.Polls = polls
			ev.Elapsed = clock.Now().Sub(start)
			ev.Since, ev.Changes = last.Since, last.Changes
			if polls == 1 {
				ev.Since = began
			} else if ev.Err == nil && observed(last, ev) {
				ev.Since, ev.Changes = began, last.Changes+1
			}
			switch {
			case ev.Err != nil:
				ev.Done = !transient(ev.Err)
			case opts.Goal.stops(ev.Info.Status):
				ev.Done = true
				ev.Reached = opts.Goal.reached(ev.Info.Status)
			}
			if polls == 1 || ev.Done || opts.EveryPoll || changed(last, ev) {
				select {
				case ch <- ev:
				case <-ctx.Done():
					return
				}
			}
			if ev.Done {
				return
			}
			last = ev
			next := schedule(ev.Elapsed)
			if opts.Settled != nil {
				next = schedule(clock.Now().Sub(ev.Since))
				if ev.Info.Status.Terminal() {
					next = opts.Settled(clock.Now().Sub(ev.Since))
				}
			}
			// The schedule is a period: the time the poll took counts.
			if sleep(ctx, clock, max(0, next-clock.Now().Sub(began))) != nil {
				return
			}
		}
	}()
	return ch
}

// poll reads the export and, withCluster, the cluster when it is due: on
// the first poll, when the export changed, and every clusterEvery-th poll.
func poll(ctx context.Context, src StatusSource, clusterID string, withCluster bool, n int, last StatusEvent) StatusEvent {
	ev := StatusEvent{Info: last.Info, ClusterState: last.ClusterState, OperationStatus: last.OperationStatus}
	info, err := src.LogExport(ctx, clusterID)
	if err != nil {
		ev.Err = err
		return ev
	}
	ev.Info = info
	moved := n == 1 || info.Status != last.Info.Status || info.UserMessage != last.Info.UserMessage || last.Err != nil
	if withCluster && (moved || n%clusterEvery == 0) {
		cl, err := src.Cluster(ctx, clusterID)
		if err != nil {
			ev.Err = err
			return ev
		}
		ev.ClusterState, ev.OperationStatus = cl.State, cl.OperationStatus
	}
	return ev
}

// transient reports whether a failed poll is worth repeating: the client
// already retried it, but the watch is long and such failures pass.
func transient(err error) bool {
	if e, ok := asAPIError(err); ok {
		return IsRateLimited(err) || e.HTTPStatus >= http.StatusInternalServerError
	}
	var netErr *url.Error
	return errors.As(err, &netErr)
}

func changed(a, b StatusEvent) bool {
	return a.Info.Status != b.Info.Status || a.Info.UserMessage != b.Info.UserMessage ||
		a.ClusterState != b.ClusterState || a.OperationStatus != b.OperationStatus ||
		errText(a.Err) != errText(b.Err)
}

// observed reports whether b saw the export other than a did: its status
// or user_message (a failed poll sees nothing).
func observed(a, b StatusEvent) bool {
	return a.Info.Status != b.Info.Status || a.Info.UserMessage != b.Info.UserMessage
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Wait watches until the watch is over and returns its last event. The
// error is the last event's permanent error, or ctx's when it ended first.
// A failure status is not an error: check the event's Reached and Failed.
func Wait(ctx context.Context, src StatusSource, clusterID string, opts WatchOptions) (StatusEvent, error) {
	var last StatusEvent
	for ev := range Watch(ctx, src, clusterID, opts) {
		last = ev
	}
	if !last.Done {
		return last, ctx.Err()
	}
	return last, last.Err
}
