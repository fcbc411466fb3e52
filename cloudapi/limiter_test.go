package cloudapi

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// serverBucket models CockroachDB Cloud's per-user limit: a token bucket
// holding 10 tokens, refilled at 10 per second, starting full. A refused
// request takes no token.
type serverBucket struct {
	tokens float64
	last   time.Time
	seeded bool
}

func (b *serverBucket) allow(now time.Time) bool {
	const capacity, rate = 10, 10
	if !b.seeded {
		b.tokens, b.last, b.seeded = capacity, now, true
	}
	b.tokens = min(capacity, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens >= 1-1e-9 {
		b.tokens--
		return true
	}
	return false
}

// rejections replays arrival times through a fresh server bucket.
func rejections(arrivals []time.Time) int {
	sorted := slices.Clone(arrivals)
	slices.SortFunc(sorted, func(a, b time.Time) int { return a.Compare(b) })
	var b serverBucket
	n := 0
	for _, at := range sorted {
		if !b.allow(at) {
			n++
		}
	}
	return n
}

// rateLimitedServer answers GET /api/v1/organization through a serverBucket
// on the fake clock, recording when each request arrived.
type rateLimitedServer struct {
	clock    *fakeClock
	mu       sync.Mutex
	bucket   serverBucket
	arrivals []time.Time
	refused  int
}

func (s *rateLimitedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := s.clock.Now()
	s.arrivals = append(s.arrivals, now)
	ok := s.bucket.allow(now)
	if !ok {
		s.refused++
	}
	s.mu.Unlock()
	if !ok {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": 8, "message": "rate limit exceeded"})
		return
	}
	writeJSON(w, http.StatusOK, Organization{ID: "org-1", Name: "acme", Label: "acme"})
}

// runConcurrent makes n concurrent Organization calls on c, driving the
// manual clock, and returns how many failed.
func runConcurrent(c *Client, clock *fakeClock, n int) int64 {
	var done, failed atomic.Int64
	for range n {
		go func() {
			defer done.Add(1)
			if _, err := c.Organization(context.Background()); err != nil {
				failed.Add(1)
			}
		}()
	}
	drive(clock, int64(n), &done)
	return failed.Load()
}

func TestConcurrentCallsNeverExceedServerBucket(t *testing.T) {
	const n = 200
	clock := newFakeClock(false)
	srv := &rateLimitedServer{clock: clock}
	c, _ := newTestClient(t, srv, func(o *Options) { o.Clock = clock })
	start := clock.Now()

	if failed := runConcurrent(c, clock, n); failed != 0 {
		t.Fatalf("%d of %d calls failed", failed, n)
	}
	if srv.refused != 0 {
		t.Fatalf("the server bucket refused %d requests", srv.refused)
	}
	if len(srv.arrivals) != n {
		t.Fatalf("server saw %d requests, want exactly %d (no retries needed)", len(srv.arrivals), n)
	}
	// The full budget is used: 200 requests at 10/s take 19.8 s (two go
	// at once), not more.
	if got, want := clock.Now().Sub(start), (n-2)*100*time.Millisecond; got != want {
		t.Fatalf("200 requests took %s of clock time, want %s (10 per second)", got, want)
	}

	// The Limiter's argument: latency that varies by up to 0.8 s still
	// never trips the server. Replay the send times with delays.
	rng := rand.New(rand.NewPCG(1, 2))
	jittered := make([]time.Time, n)
	adversarial := make([]time.Time, n)
	for i, at := range srv.arrivals {
		jittered[i] = at.Add(time.Duration(rng.Int64N(int64(750 * time.Millisecond))))
		// The worst case: early requests maximally late, later ones not.
		if i < n/2 {
			adversarial[i] = at.Add(750 * time.Millisecond)
		} else {
			adversarial[i] = at
		}
	}
	if r := rejections(jittered); r != 0 {
		t.Errorf("random latency up to 0.75 s: %d rejections", r)
	}
	if r := rejections(adversarial); r != 0 {
		t.Errorf("adversarial latency up to 0.75 s: %d rejections", r)
	}
}

// The model must be able to tell a bad schedule from a good one: a client
// bucket with burst 10 sends 10 requests at once and 10 more a second
// later; if the first ten are delayed by 0.2 s and the next ten are not,
// the server sees 20 requests in 0.8 s.
func TestServerBucketModelDetectsBursts(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var arrivals []time.Time
	for range 10 {
		arrivals = append(arrivals, t0.Add(200*time.Millisecond), t0.Add(time.Second))
	}
	if rejections(arrivals) == 0 {
		t.Fatal("the server model accepted 20 requests in 0.8 s; it cannot detect violations")
	}
}

func TestUnlimitedClientTripsServerBucket(t *testing.T) {
	clock := newFakeClock(false)
	srv := &rateLimitedServer{clock: clock}
	c, _ := newTestClient(t, srv, func(o *Options) {
		o.Clock = clock
		o.Limiter = NewLimiter(0, clock)
		o.Retry.MaxAttempts = 1
	})
	failed := runConcurrent(c, clock, 50)
	if srv.refused == 0 || failed == 0 {
		t.Fatalf("with no client limit the server refused %d and %d calls failed; the harness cannot detect overload", srv.refused, failed)
	}
}

func TestLimiterSpacesRequests(t *testing.T) {
	clock := newFakeClock(true)
	l := NewLimiter(10, clock)
	for range 4 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{100 * time.Millisecond, 100 * time.Millisecond}
	if got := clock.Sleeps(); !slices.Equal(got, want) {
		t.Fatalf("sleeps = %v, want %v (two requests immediate, then 100 ms apart)", got, want)
	}
	// Idle time is banked only up to the burst: after a long pause two
	// requests are immediate, the third waits.
	clock.Advance(10 * time.Second)
	_ = l.Wait(context.Background())
	_ = l.Wait(context.Background())
	_ = l.Wait(context.Background())
	if got := clock.Sleeps(); len(got) != 3 || got[2] != 100*time.Millisecond {
		t.Fatalf("after idling, sleeps = %v; want one 100 ms wait, for the third request", got)
	}
}

func TestLimiterPauseHoldsWaiters(t *testing.T) {
	clock := newFakeClock(false)
	l := NewLimiter(10, clock)
	for range 2 { // the burst: both at t=0
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	var done atomic.Bool
	go func() {
		_ = l.Wait(context.Background()) // reserves t=100ms
		done.Store(true)
	}()
	for clock.Waiters() == 0 {
		time.Sleep(10 * time.Microsecond)
	}
	l.Pause(time.Second)
	clock.Advance(100 * time.Millisecond)
	// The waiter woke at its slot, saw the pause and must wait again.
	for clock.Waiters() == 0 && !done.Load() {
		time.Sleep(10 * time.Microsecond)
	}
	if done.Load() {
		t.Fatal("a waiter went ahead during a pause")
	}
	clock.Advance(900 * time.Millisecond)
	for !done.Load() {
		time.Sleep(10 * time.Microsecond)
	}
}

func TestLimiterWaitHonoursContext(t *testing.T) {
	clock := newFakeClock(false)
	l := NewLimiter(10, clock)
	_ = l.Wait(context.Background())
	_ = l.Wait(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- l.Wait(ctx) }()
	for clock.Waiters() == 0 {
		time.Sleep(10 * time.Microsecond)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
}
