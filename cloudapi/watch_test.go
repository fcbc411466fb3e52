package cloudapi

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestDefaultSchedule(t *testing.T) {
	for _, tt := range []struct {
		elapsed, want time.Duration
	}{
		{0, 750 * time.Millisecond},
		{119 * time.Second, 750 * time.Millisecond},
		{2 * time.Minute, 2 * time.Second},
		{299 * time.Second, 2 * time.Second},
		{5 * time.Minute, 5 * time.Second},
		{time.Hour, 5 * time.Second},
	} {
		if got := DefaultSchedule(tt.elapsed); got != tt.want {
			t.Errorf("DefaultSchedule(%s) = %s, want %s", tt.elapsed, got, tt.want)
		}
	}
	// Walk the schedule: for the first 2 min a poll starts at least every
	// 750 ms (a change is seen within a second), and no phase polls faster.
	var elapsed time.Duration
	polls := 0
	for elapsed < 10*time.Minute {
		d := DefaultSchedule(elapsed)
		if d < 750*time.Millisecond || (elapsed < 2*time.Minute && d > 750*time.Millisecond) {
			t.Fatalf("at %s the period is %s", elapsed, d)
		}
		elapsed += d
		polls++
	}
	if polls != 160+90+60 {
		t.Fatalf("%d polls in 10 minutes, want 310 (160 at 750 ms, 90 at 2 s, 60 at 5 s)", polls)
	}
}

// step is one answer of statusSequence: a status, or an error status code.
type step struct {
	status  Status
	message string
	errCode int // HTTP status of an error answer instead
}

// statusSequence answers GET logexport with steps[n-1] on the n-th call,
// the last step repeating.
func statusSequence(steps []step) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, n int) {
		s := steps[min(n, len(steps))-1]
		switch {
		case s.errCode == 404:
			apiError(w, 404, 5, "log export configuration not found")
		case s.errCode != 0:
			apiError(w, s.errCode, 13, "boom")
		default:
			writeJSON(w, 200, LogExportInfo{ClusterID: clusterID, Status: s.status, UserMessage: s.message})
		}
	}
}

func collect(ch <-chan StatusEvent) []StatusEvent {
	var evs []StatusEvent
	for ev := range ch {
		evs = append(evs, ev)
	}
	return evs
}

func TestWatchUntilEnabled(t *testing.T) {
	rec := newRecorder().on("GET "+logExportURL, statusSequence([]step{
		{status: StatusEnabling}, {status: StatusEnabling}, {status: StatusEnabling},
		{status: StatusEnabling, message: "creating log streams"}, {status: StatusEnabled},
	}))
	c, _ := newTestClient(t, rec)
	evs := collect(Watch(context.Background(), c, clusterID, WatchOptions{Goal: GoalEnabled}))
	type seen struct {
		status  Status
		message string
		polls   int
		elapsed time.Duration
		done    bool
		reached bool
	}
	want := []seen{
		{StatusEnabling, "", 1, 0, false, false},
		{StatusEnabling, "creating log streams", 4, 3 * 750 * time.Millisecond, false, false},
		{StatusEnabled, "", 5, 4 * 750 * time.Millisecond, true, true},
	}
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(evs), len(want), evs)
	}
	for i, ev := range evs {
		got := seen{ev.Info.Status, ev.Info.UserMessage, ev.Polls, ev.Elapsed, ev.Done, ev.Reached}
		if got != want[i] || ev.Err != nil {
			t.Errorf("event %d = %+v (err %v), want %+v", i, got, ev.Err, want[i])
		}
	}
	if n := len(rec.requests()); n != 5 {
		t.Fatalf("%d polls, want 5 (none after the goal)", n)
	}
}

func TestWatchStopsOnFailureWithMessage(t *testing.T) {
	rec := newRecorder().on("GET "+logExportURL, statusSequence([]step{
		{status: StatusEnabling}, {status: StatusCredentialsError, message: "could not assume role arn:aws:iam::1:role/R"},
	}))
	c, _ := newTestClient(t, rec)
	last, err := Wait(context.Background(), c, clusterID, WatchOptions{Goal: GoalEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if !last.Done || last.Reached || !last.Failed() || last.Info.UserMessage != "could not assume role arn:aws:iam::1:role/R" {
		t.Fatalf("last = %+v", last)
	}
}

func TestWatchToleratesTransientErrors(t *testing.T) {
	rec := newRecorder().on("GET "+logExportURL, statusSequence([]step{
		{status: StatusEnabling}, {errCode: 503}, {errCode: 503}, {status: StatusEnabling}, {status: StatusEnabled},
	}))
	c, _ := newTestClient(t, rec, func(o *Options) { o.Retry.MaxAttempts = 1 })
	evs := collect(Watch(context.Background(), c, clusterID, WatchOptions{Goal: GoalEnabled}))
	if len(evs) != 4 {
		t.Fatalf("%d events, want 4 (ENABLING, error, ENABLING again, ENABLED): %+v", len(evs), evs)
	}
	var apiErr *APIError
	if !errors.As(evs[1].Err, &apiErr) || apiErr.HTTPStatus != 503 || evs[1].Done || evs[1].Info.Status != StatusEnabling {
		t.Fatalf("error event = %+v; want the error, the last known status, and the watch going on", evs[1])
	}
	if evs[2].Err != nil || evs[2].Polls != 4 {
		t.Fatalf("recovery event = %+v, want poll 4 without error", evs[2])
	}
	if last := evs[3]; !last.Done || !last.Reached {
		t.Fatalf("last = %+v", last)
	}
}

func TestWatchStopsOnPermanentError(t *testing.T) {
	rec := newRecorder().on("GET "+logExportURL, statusSequence([]step{{status: StatusEnabling}, {errCode: 401}}))
	c, _ := newTestClient(t, rec)
	last, err := Wait(context.Background(), c, clusterID, WatchOptions{Goal: GoalEnabled})
	if !IsUnauthenticated(err) || !last.Done || last.Reached || last.Polls != 2 {
		t.Fatalf("last %+v, err %v", last, err)
	}
}

func TestWatchUntilDisabled(t *testing.T) {
	rec := newRecorder().on("GET "+logExportURL, statusSequence([]step{
		// Right after DELETE a read may still say ENABLED; that must not
		// end a wait for DISABLED.
		{status: StatusEnabled}, {status: StatusDisabling}, {errCode: 404},
	}))
	c, _ := newTestClient(t, rec)
	evs := collect(Watch(context.Background(), c, clusterID, WatchOptions{Goal: GoalDisabled}))
	if len(evs) != 3 {
		t.Fatalf("%d events: %+v", len(evs), evs)
	}
	last := evs[2]
	if !last.Done || !last.Reached || last.Info.Status != StatusDisabled || last.Info.Configured {
		t.Fatalf("last = %+v; want DISABLED, never configured, reached", last)
	}
}

func TestWatchAnyTerminalStopsAtOnce(t *testing.T) {
	rec := newRecorder().on("GET "+logExportURL, statusSequence([]step{{status: StatusEnabled}}))
	c, _ := newTestClient(t, rec)
	evs := collect(Watch(context.Background(), c, clusterID, WatchOptions{}))
	if len(evs) != 1 || !evs[0].Done || !evs[0].Reached || evs[0].Polls != 1 {
		t.Fatalf("events = %+v", evs)
	}
}

// TestWatchWithClusterReportsLock: the cluster is read on the first poll,
// every clusterEvery-th poll (the lock released while the export still
// says ENABLING) and when the export changes (ENABLED), not on the others.
func TestWatchWithClusterReportsLock(t *testing.T) {
	rec := newRecorder().
		on("GET "+logExportURL, statusSequence([]step{{status: StatusEnabling}, {status: StatusEnabling}, {status: StatusEnabling}, {status: StatusEnabling}, {status: StatusEnabled}})).
		on("GET "+clusterURL, func(w http.ResponseWriter, _ *http.Request, n int) {
			cl := Cluster{ID: clusterID, State: StateLocked, OperationStatus: OperationLogExportRunning}
			if n >= 2 {
				cl.State, cl.OperationStatus = StateCreated, OperationUnspecified
			}
			writeJSON(w, 200, cl)
		})
	c, _ := newTestClient(t, rec)
	evs := collect(Watch(context.Background(), c, clusterID, WatchOptions{Goal: GoalEnabled, WithCluster: true}))
	if len(evs) != 3 {
		t.Fatalf("%d events, want 3 (lock seen, lock released, enabled): %+v", len(evs), evs)
	}
	if evs[0].ClusterState != StateLocked || evs[0].OperationStatus != OperationLogExportRunning ||
		evs[1].ClusterState != StateCreated || evs[1].Info.Status != StatusEnabling || evs[1].Polls != clusterEvery || !evs[2].Reached {
		t.Fatalf("events = %+v", evs)
	}
	clusterReads := 0
	for _, r := range rec.requests() {
		if r == "GET "+clusterURL {
			clusterReads++
		}
	}
	if clusterReads != 3 {
		t.Fatalf("the cluster was read %d times in 5 polls, want 3 (polls 1, %d and 5)", clusterReads, clusterEvery)
	}
}

func TestWatchCustomScheduleAndCancel(t *testing.T) {
	rec := newRecorder().on("GET "+logExportURL, statusSequence([]step{{status: StatusEnabled}}))
	clock := newFakeClock(false)
	c, _ := newTestClient(t, rec, func(o *Options) { o.Clock = clock })
	ctx, cancel := context.WithCancel(context.Background())
	ch := Watch(ctx, c, clusterID, WatchOptions{Goal: GoalFollow, Schedule: func(time.Duration) time.Duration { return 7 * time.Second }})
	first := <-ch
	if first.Done || first.Info.Status != StatusEnabled {
		t.Fatalf("first = %+v; following never finishes on its own", first)
	}
	for clock.Waiters() == 0 {
		time.Sleep(10 * time.Microsecond)
	}
	if got := clock.Sleeps(); got[len(got)-1] != 7*time.Second {
		t.Fatalf("sleeps = %v, want the custom 7 s pause", got)
	}
	cancel()
	for ev := range ch {
		t.Fatalf("event after cancellation: %+v", ev)
	}
	if _, err := Wait(ctx, c, clusterID, WatchOptions{Goal: GoalFollow}); err != context.Canceled {
		t.Fatalf("Wait on a cancelled context = %v", err)
	}
}

func TestSettledSchedule(t *testing.T) {
	for _, tt := range []struct{ since, want time.Duration }{
		{0, 2 * time.Second}, {59 * time.Second, 2 * time.Second},
		{time.Minute, 10 * time.Second}, {9 * time.Minute, 10 * time.Second},
		{10 * time.Minute, 30 * time.Second}, {24 * time.Hour, 30 * time.Second},
	} {
		if got := SettledSchedule(tt.since); got != tt.want {
			t.Errorf("SettledSchedule(%s) = %s, want %s", tt.since, got, tt.want)
		}
	}
}

// A watch that keeps following past terminal statuses: every poll is an
// event (the count is honest), changes are counted and dated, a terminal
// status is polled on the settled schedule and a moving one closely again.
func TestWatchFollowsPastTerminal(t *testing.T) {
	rec := newRecorder().on("GET "+logExportURL, statusSequence([]step{
		{status: StatusEnabled}, {status: StatusEnabled}, {status: StatusEnabled},
		{status: StatusDisabling}, {status: StatusDisabled}, {status: StatusDisabled},
		{status: StatusCredentialsError, message: "could not assume role"},
	}))
	clock := newFakeClock(true)
	c, _ := newTestClient(t, rec, func(o *Options) { o.Clock = clock })
	start := clock.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := Watch(ctx, c, clusterID, WatchOptions{Goal: GoalFollow, Settled: SettledSchedule, EveryPoll: true})
	type seen struct {
		status  Status
		polls   int
		changes int
		since   time.Duration
	}
	const f, s = 2 * time.Second, 750 * time.Millisecond
	want := []seen{
		{StatusEnabled, 1, 0, 0},
		{StatusEnabled, 2, 0, 0},
		{StatusEnabled, 3, 0, 0},
		{StatusDisabling, 4, 1, 3 * f},
		{StatusDisabled, 5, 2, 3*f + s},
		{StatusDisabled, 6, 2, 3*f + s},
		{StatusCredentialsError, 7, 3, 5*f + s},
		{StatusCredentialsError, 8, 3, 5*f + s},
	}
	for i, w := range want {
		ev := <-ch
		got := seen{ev.Info.Status, ev.Polls, ev.Changes, ev.Since.Sub(start)}
		if got != w || ev.Done {
			t.Fatalf("event %d = %+v (done %v), want %+v", i, got, ev.Done, w)
		}
	}
	cancel()
	for range ch {
	}
	// Sleeps: 2 s while ENABLED and DISABLED stand still, 750 ms while
	// DISABLING moves.
	wantSleeps := []time.Duration{f, f, f, s, f, f, f}
	got := clock.Sleeps()
	if len(got) < len(wantSleeps) {
		t.Fatalf("sleeps = %v, want %v first", got, wantSleeps)
	}
	for i, w := range wantSleeps {
		if got[i] != w {
			t.Fatalf("sleeps = %v, want %v first", got, wantSleeps)
		}
	}
}
