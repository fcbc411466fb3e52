package cloudapi

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a Clock under the test's control. In auto mode every After
// moves time forward at once (for one goroutine at a time: retries, the
// watcher); otherwise time moves only through Advance/AdvanceToNext and
// the test drives it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	auto   bool
	timers []fakeTimer
	slept  []time.Duration
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(auto bool) *fakeClock {
	return &fakeClock{now: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC), auto: auto}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.slept = append(c.slept, d)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	if c.auto {
		c.now = c.now.Add(d)
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	return ch
}

// Sleeps returns every duration passed to After so far.
func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}

// Waiters is the number of pending timers.
func (c *fakeClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Advance moves time forward and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.fireLocked()
}

// AdvanceToNext moves time to the earliest timer and fires it (and any
// due at the same instant). It reports false when no timer is pending.
func (c *fakeClock) AdvanceToNext() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return false
	}
	next := c.timers[0].at
	for _, t := range c.timers {
		if t.at.Before(next) {
			next = t.at
		}
	}
	if next.After(c.now) {
		c.now = next
	}
	c.fireLocked()
	return true
}

func (c *fakeClock) fireLocked() {
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- c.now
	}
	c.timers = kept
}

// drive advances the clock whenever each of total goroutines is either
// finished (counted by done) or blocked on the clock, until all finish.
// A goroutine doing HTTP is neither, so time never moves under a request.
func drive(c *fakeClock, total int64, done *atomic.Int64) {
	for done.Load() < total {
		if w := c.Waiters(); w > 0 && int64(w)+done.Load() == total {
			c.AdvanceToNext()
			continue
		}
		runtime.Gosched()
		time.Sleep(20 * time.Microsecond)
	}
}

const testKey = "CCDB1_testkeyAbCdEf0123456789_secretpart"

// newTestClient starts handler on loopback and returns a client for it
// with an auto-advancing fake clock.
func newTestClient(t *testing.T, handler http.Handler, mutate ...func(*Options)) (*Client, *fakeClock) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	clock := newFakeClock(true)
	opts := Options{BaseURL: srv.URL, APIKey: testKey, Clock: clock, HTTPClient: srv.Client()}
	for _, m := range mutate {
		m(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, clock
}

func TestFakeClockFiresInOrder(t *testing.T) {
	c := newFakeClock(false)
	a, b := c.After(2*time.Second), c.After(time.Second)
	if !c.AdvanceToNext() {
		t.Fatal("no timer pending")
	}
	select {
	case <-b:
	default:
		t.Fatal("the 1s timer did not fire first")
	}
	select {
	case <-a:
		t.Fatal("the 2s timer fired early")
	default:
	}
	c.Advance(time.Second)
	<-a
	if c.Waiters() != 0 {
		t.Fatalf("waiters = %d, want 0", c.Waiters())
	}
}
