package cloudapi

import (
	"context"
	"sync"
	"time"
)

// DefaultRate is CockroachDB Cloud's documented limit: 10 requests per
// second per user.
const DefaultRate = 10

// Limiter spaces requests so that they never exceed the server's rate
// limit. One Limiter is shared by every goroutine using a Client, and may be
// shared by several Clients using the same API key (the server counts per
// user, not per connection).
//
// Why a burst of two, and no more: the server's bucket holds B = 10 tokens
// and refills at r = 10/s, so it accepts a stream of arrivals exactly when
// every window of length w sees at most B + r·w of them. The Limiter hands
// out send times on a schedule (a generic cell-rate algorithm) where any
// window of length w holds at most 2 + r·w sends: two at once after an
// idle tenth of a second, then 1/r apart. Network latency varies; if it
// varies by at most J, the arrivals in a window of length w were sent
// within a window of length w + J, so they number at most 2 + r·w + r·J,
// which stays within B + r·w for any J up to (B−2)/r = 0.8 s. The full 10
// requests per second are used, and the server bucket's spare capacity
// absorbs the jitter. The second token is what lets a run send its first
// two independent requests (the cluster list and the organization) in the
// same round trip. A client bucket with burst 10 would instead send 10 at
// once and 10 more a second later: if the first ten travel J slower than
// the next ten, the server sees 20 arrivals within 1 − J seconds, where it
// allows only 20 − 10·J, so any variation in latency trips it.
//
// Retries pass through the Limiter like first attempts. When the server
// still says "rate limit exceeded" (another process using the same key),
// Pause holds every waiter back for the server's Retry-After.
type Limiter struct {
	interval time.Duration // 0: no spacing
	clock    Clock

	mu sync.Mutex
	// tat is the theoretical arrival time of the next request: a request
	// may go at tat − (limiterBurst−1)·interval at the earliest.
	tat         time.Time
	pausedUntil time.Time
}

// limiterBurst is how many requests may go at once after an idle interval.
const limiterBurst = 2

// NewLimiter returns a Limiter allowing perSecond requests per second with
// a burst of two. perSecond <= 0 means no spacing (Pause still
// applies), for tests against servers without a limit. A nil clock is the
// system clock.
func NewLimiter(perSecond float64, clock Clock) *Limiter {
	if clock == nil {
		clock = SystemClock()
	}
	l := &Limiter{clock: clock}
	if perSecond > 0 {
		l.interval = time.Duration(float64(time.Second) / perSecond)
	}
	return l
}

// Wait blocks until the caller may send one request, or ctx ends. A
// cancelled wait still uses up its slot, which only ever makes the stream
// sparser.
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now, at := l.reserve()
		if !at.After(now) {
			return nil
		}
		if err := sleep(ctx, l.clock, at.Sub(now)); err != nil {
			return err
		}
		// A Pause that began while we slept and reaches past our slot
		// wins: take a new slot after it.
		l.mu.Lock()
		paused := l.pausedUntil.After(at)
		l.mu.Unlock()
		if !paused {
			return nil
		}
	}
}

func (l *Limiter) reserve() (now, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now = l.clock.Now()
	at = now
	if earliest := l.tat.Add(-(limiterBurst - 1) * l.interval); earliest.After(at) {
		at = earliest
	}
	if l.pausedUntil.After(at) {
		at = l.pausedUntil
	}
	if l.interval > 0 {
		tat := l.tat
		if tat.Before(at) {
			tat = at
		}
		l.tat = tat.Add(l.interval)
	}
	return now, at
}

// Pause stops all sending for d from now; requests already waiting take new
// slots after it. The client calls it when the server reports the rate
// limit exceeded.
func (l *Limiter) Pause(d time.Duration) {
	if d <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := l.clock.Now().Add(d); until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
}
