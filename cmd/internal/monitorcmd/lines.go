package monitorcmd

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/crdb-logexport/crdb-logexport/monitor"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// printer writes a pass's events, one line each (or one JSON object per
// line), ending with the pass's own.
type printer struct {
	mu   sync.Mutex
	w    io.Writer
	json bool
}

func newPrinter(w io.Writer, jsonOut bool) *printer { return &printer{w: w, json: jsonOut} }

func (p *printer) pass(res *monitor.PassResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	events := append(res.Events, monitor.Event{Time: res.Started.Add(res.Took), Event: monitor.EventPass, Pass: res.Summary()})
	for _, e := range events {
		if p.json {
			b, err := json.Marshal(e)
			if err == nil {
				fmt.Fprintf(p.w, "%s\n", b)
			}
			continue
		}
		fmt.Fprintln(p.w, eventLine(e))
	}
}

// eventLine renders an event for people: time, event, cluster, details.
func eventLine(e monitor.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-12s", e.Time.UTC().Format(time.RFC3339), e.Event)
	switch {
	case e.ClusterName != "":
		b.WriteString(" " + e.ClusterName)
	case e.Notification == monitor.NotifyReport || e.Notification == monitor.NotifyOK:
		b.WriteString(" fleet")
	}
	switch e.Event {
	case monitor.EventPass:
		b.WriteString(" " + passLine(e.Pass))
	case monitor.EventNotified:
		fmt.Fprintf(&b, ": %s sent to %s (event %s)", e.Notification, e.Destination, e.EventID)
	case monitor.EventUndelivered:
		fmt.Fprintf(&b, ": %s for %s kept for the next pass: %s", e.Notification, e.Destination, oneLine(e.Error))
	case monitor.EventDropped:
		fmt.Fprintf(&b, ": %s for %s dropped: %s", e.Notification, e.Destination, oneLine(e.Error))
	case monitor.EventCheckFailed:
		b.WriteString(": " + oneLine(e.Error))
	default:
		b.WriteString(": " + string(e.Status))
		if e.UserMessage != "" {
			b.WriteString(" — " + oneLine(e.UserMessage))
		}
		if len(e.NewChecks) > 0 {
			b.WriteString("; new: " + strings.Join(e.NewChecks, ", "))
		}
		for _, f := range e.Findings {
			fmt.Fprintf(&b, "; %s %s: %s", f.Severity, f.Check, f.Summary)
		}
	}
	return b.String()
}

// oneLine keeps an event one line, for log readers: a receiver's answer
// or a message may hold line breaks.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func passLine(s *monitor.PassSummary) string {
	if s == nil {
		return ""
	}
	kind := "status and logs"
	if s.Deep {
		kind = "every check"
	}
	line := fmt.Sprintf("#%d (%s): %d watched, %d healthy, %d failing", s.Number, kind, s.Watched, s.Healthy, s.Failing)
	if len(s.Failures) > 0 {
		line += " (" + strings.Join(s.Failures, ", ") + ")"
	}
	if s.Errors > 0 {
		line += fmt.Sprintf(", %d not checked", s.Errors)
	}
	line += fmt.Sprintf("; %d %s delivered, %d pending; %.1fs", s.Sent, kit.Plural(s.Sent, "notification", "notifications"), s.Pending, s.Seconds)
	if s.Failed != "" {
		line += "; the pass failed: " + s.Failed
	}
	return line
}
