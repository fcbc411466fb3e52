package monitorcmd

import (
	"context"
	"strings"
	"testing"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/monitor"
)

// A --once pass exits 3 for a failing export only when whoever is to be
// told was told: an undelivered notification makes it 1, which a
// scheduler counts as a failure (the systemd unit takes 3 as success).
func TestOnceExit(t *testing.T) {
	failing := monitor.Check{ClusterName: "a", Health: monitor.Failing}
	healthy := monitor.Check{ClusterName: "b", Health: monitor.Healthy}
	unchecked := monitor.Check{ClusterName: "c", Error: "could not be checked: denied"}
	for _, tc := range []struct {
		name string
		res  monitor.PassResult
		want int
	}{
		{"healthy", monitor.PassResult{Checks: []monitor.Check{healthy}}, cmdutil.ExitOK},
		{"failing, told", monitor.PassResult{Checks: []monitor.Check{failing, healthy}}, cmdutil.ExitFindings},
		{"failing, not told", monitor.PassResult{Checks: []monitor.Check{failing}, Undelivered: 1}, cmdutil.ExitFailure},
		{"healthy, a notification not delivered", monitor.PassResult{Checks: []monitor.Check{healthy}, Undelivered: 1}, cmdutil.ExitFailure},
		{"one not checked", monitor.PassResult{Checks: []monitor.Check{healthy, unchecked}}, cmdutil.ExitFailure},
	} {
		if got := cmdutil.ExitCode(onceExit(context.Background(), &tc.res, 0)); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

// Every event is one line, whatever the receiver answered.
func TestEventLineIsOneLine(t *testing.T) {
	for _, e := range []monitor.Event{
		{Event: monitor.EventUndelivered, ClusterName: "a", Notification: "failing", Destination: "webhook", Error: "answered HTTP 503: {\n  \"error\": \"rollup_error\"\n}"},
		{Event: monitor.EventDropped, ClusterName: "a", Notification: "ok", Destination: "webhook", Error: "the outbox is full"},
		{Event: monitor.EventFailing, ClusterName: "a", Status: "CREDENTIALS_ERROR", UserMessage: "line one\nline two"},
	} {
		line := eventLine(e)
		if strings.ContainsAny(line, "\n\r") {
			t.Errorf("%s event on more than one line: %q", e.Event, line)
		}
		if e.Event == monitor.EventDropped && strings.Contains(line, "kept") {
			t.Errorf("a dropped notification is said to be kept: %q", line)
		}
	}
}
