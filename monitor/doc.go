// Package monitor watches the log exports of one, several or all clusters
// of an organization and tells people when one breaks: the logic of
// `crdb-logexport monitor`, with no user interface.
//
// A pass lists the organization's clusters, reads each watched export once
// (through the client's shared limiter, at the Cloud API's 10 requests a
// second) and runs the doctor's checks on it (steps.DiagnoseExport). A
// long-running monitor may run the IAM part only every Nth pass: in
// between, steps.RecheckExport reruns the checks on the last diagnosis's
// facts with the status and the newest streams read again, and any change
// of verdict brings a full diagnosis, so a notification always names the
// cause.
//
// Verdicts are compared with what each notification destination was last
// told, kept in a state file under the user's state directory
// ($XDG_STATE_HOME/crdb-logexport/monitor/state.json, mode 0600, no
// secrets), so separate `--once` runs deduplicate as one long run does:
// healthy → failing sends one "failing", failing → healthy one "recovered",
// a new finding on a failing export one update. Passes of different
// processes take turns under a file lock.
//
// Delivery is at least once, and as close to exactly once as HTTP allows:
// a notification is written to the state file's outbox (atomically, with
// its event id and the exact body) before it is sent, and removed — the
// file rewritten and synced — as soon as the receiver answers 2xx. A kill
// at any moment therefore loses nothing: what was not marked delivered is
// sent again on the next pass, with the same id and body. The one window
// left is a kill between the receiver's 2xx and the rewrite, a few
// milliseconds: the notification is then sent twice, with the same event
// id, which a generic webhook receiver can deduplicate on (the body's
// "id" and the Idempotency-Key header); Slack cannot.
//
// Webhook URLs are secrets: a Destination keeps its URL to itself, its
// errors name only the kind and host, the state file knows a destination
// by a hash of its URL, and plain http is refused except to loopback.
package monitor
