// Package hookemu is the sandbox's webhook receiver: the other end of the
// notifications `crdb-logexport monitor` sends, so tests and people trying
// the tool can see what arrived.
//
// It answers two kinds of endpoint on one listener:
//
//   - Slack incoming webhooks, POST /services/T…/B…/… as on
//     hooks.slack.com: a JSON body (or a form with a payload field) with
//     text or blocks is answered 200 "ok" (text/html); a body that is not
//     JSON is 400 invalid_payload, one with neither text nor blocks 400
//     no_text, malformed or oversized blocks 400 invalid_blocks, as Slack
//     answers. Each webhook accepts about one message a second with short
//     bursts, as Slack documents; beyond that it answers 429 with
//     Retry-After.
//   - Generic JSON webhooks, POST /hooks/…: any JSON body is answered 200
//     "ok". The receiver behaves like one that deduplicates: a delivery
//     whose event id (the Idempotency-Key header, else the body's "id")
//     it has accepted before is accepted again and marked duplicate.
//
// Every request is recorded — accepted or not, the newest 10,000 — and
// GET /_sandbox/webhooks lists them (DELETE clears them). The shared controls of package knobs
// apply under the operation names "hooks:slack" and "hooks:webhook":
// faults (status 429 or 503 with "retry_after", any other status with
// "code" as Slack's error text, "hang" to hold a request until the sender
// gives up), latency, stats and reset.
//
// Like the other emulators it imports none of the tool's packages.
package hookemu
