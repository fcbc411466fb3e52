package monitor

import (
	"testing"
	"time"
)

// A receiver's Retry-After is untrusted input: whatever it says, the wait
// is never negative, and a number of seconds is taken as such.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "1", "120", "-5", "Wed, 21 Oct 2015 07:28:00 GMT", "9999999999999999999", " 3 ", "1.5"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, h string) {
		if d := retryAfter(h, now); d < 0 {
			t.Fatalf("Retry-After %q gave a negative wait %s", h, d)
		}
	})
}

// --daily-report accepts exactly the times of day HH:MM.
func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"09:00", "23:59", "24:00", "9:5", "9am", "", ":", "00:00", " 07:30 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, m, err := ParseClock(s)
		if err == nil && (h < 0 || h > 23 || m < 0 || m > 59) {
			t.Fatalf("%q accepted as %d:%d", s, h, m)
		}
	})
}
