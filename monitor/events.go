package monitor

import (
	"slices"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// Event names: what a pass logs, one line (or JSON object) each. The
// first five are verdict changes, recorded in a cluster's history too.
const (
	EventWatching    = "watching"     // first verdict on a cluster, or its export back: healthy
	EventFailing     = "failing"      // healthy (or never seen) → failing
	EventRecovered   = "recovered"    // failing → healthy
	EventUpdate      = "update"       // still failing, with a new finding or another status
	EventNotExported = "not-exported" // a watched export went away (disabled)
	EventCheckFailed = "check-failed" // a cluster could not be checked this pass
	EventNotified    = "notified"     // a notification was delivered
	EventUndelivered = "undelivered"  // a notification is kept for the next pass
	EventDropped     = "dropped"      // the outbox was full: the oldest notification was dropped
	EventPass        = "pass"         // a pass ended
)

// Event is one thing a pass observed or did.
type Event struct {
	Time        time.Time       `json:"time"`
	Event       string          `json:"event"`
	ClusterID   string          `json:"cluster_id,omitempty"`
	ClusterName string          `json:"cluster_name,omitempty"`
	Status      cloudapi.Status `json:"status,omitempty"`
	UserMessage string          `json:"user_message,omitempty"`
	Findings    []Finding       `json:"findings,omitempty"`
	// NewChecks are an update's findings that were not there before.
	NewChecks []string `json:"new_checks,omitempty"`
	// Notification: the destination (kind and host), the notification's
	// event and id, and why it was not delivered.
	Destination  string `json:"destination,omitempty"`
	Notification string `json:"notification,omitempty"`
	EventID      string `json:"event_id,omitempty"`
	Error        string `json:"error,omitempty"`
	// Pass is set on the pass event.
	Pass *PassSummary `json:"pass,omitempty"`
}

// PassSummary counts what a pass found and did.
type PassSummary struct {
	Number   int      `json:"number"`
	Deep     bool     `json:"deep"`
	Clusters int      `json:"clusters"`
	Watched  int      `json:"watched"`
	Healthy  int      `json:"healthy"`
	Failing  int      `json:"failing"`
	Errors   int      `json:"errors"`
	Sent     int      `json:"notifications_delivered"`
	Pending  int      `json:"notifications_pending"`
	Seconds  float64  `json:"seconds"`
	Failed   string   `json:"failed,omitempty"`
	Failures []string `json:"failing_clusters,omitempty"`
}

// PassResult is everything one pass did.
type PassResult struct {
	Number  int
	Started time.Time
	Took    time.Duration
	// Deep: the IAM checks ran for every watched cluster.
	Deep bool
	// Checks, in the organization's order; clusters that could not be
	// resolved come last.
	Checks []Check
	Events []Event
	// Delivered and Pending count notifications: sent in this pass, and
	// still in the outbox afterwards (for any destination).
	Delivered, Pending int
	// Undelivered counts the destinations whose notifications stopped at a
	// failure in this pass.
	Undelivered int
	// Err is set when the pass itself failed: the state could not be read
	// or written, the clusters could not be listed, AWS would not say who
	// the caller is.
	Err error
}

// Count returns how many checks have each verdict, and how many failed.
func (r *PassResult) Count() (healthy, failing, errors int) {
	for _, c := range r.Checks {
		switch {
		case c.Error != "":
			errors++
		case c.Health == Healthy:
			healthy++
		case c.Health == Failing:
			failing++
		}
	}
	return healthy, failing, errors
}

// Summary is the pass event's counts.
func (r *PassResult) Summary() *PassSummary {
	h, f, e := r.Count()
	s := &PassSummary{Number: r.Number, Deep: r.Deep, Clusters: len(r.Checks), Watched: h + f, Healthy: h, Failing: f, Errors: e,
		Sent: r.Delivered, Pending: r.Pending, Seconds: r.Took.Seconds()}
	if r.Err != nil {
		s.Failed = r.Err.Error()
	}
	for _, c := range r.Checks {
		if c.Health == Failing {
			s.Failures = append(s.Failures, c.ClusterName)
		}
	}
	return s
}

// newChecks lists the checks of now that were not in before.
func newChecks(before, now []string) []string {
	var out []string
	for _, c := range now {
		if !slices.Contains(before, c) {
			out = append(out, c)
		}
	}
	return out
}
