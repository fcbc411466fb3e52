package hookemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// Operation names for the knobs controls.
const (
	OpSlack   = "hooks:slack"
	OpWebhook = "hooks:webhook"
)

// Path prefixes of the two kinds of endpoint.
const (
	SlackPrefix   = "/services/"
	WebhookPrefix = "/hooks/"
)

// maxBody bounds what one request may carry; Slack refuses larger payloads.
const maxBody = 1 << 20

// A receiver left running (under a long-running monitor sending "ok" after
// every pass) keeps the newest requests and event ids, not all of them.
const (
	keepRequests = 10000
	keepEventIDs = 100000
)

// Slack's per-webhook pace: one message a second, with short bursts.
const (
	slackRate  = 1.0
	slackBurst = 5.0
)

// Request is one request the receiver answered, as GET /_sandbox/webhooks
// lists it.
type Request struct {
	Seq  int       `json:"seq"`
	Time time.Time `json:"time"`
	// Kind is "slack" or "webhook"; Path is the URL path it came to.
	Kind string `json:"kind"`
	Path string `json:"path"`
	// Status is what the receiver answered, 0 when the sender went away
	// before an answer (a hanging fault). Accepted is a 2xx answer.
	Status   int    `json:"status"`
	Accepted bool   `json:"accepted"`
	Error    string `json:"error,omitempty"`
	// EventID is the generic webhook's Idempotency-Key header or the body's
	// "id"; Duplicate marks an accepted delivery of an id accepted before.
	EventID   string `json:"event_id,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	// Body is the JSON payload (a Slack form's payload field, decoded).
	Body json.RawMessage `json:"body,omitempty"`
	// Raw is the body when it was not JSON.
	Raw string `json:"raw,omitempty"`
}

// Options configure a Server.
type Options struct {
	Controls *knobs.Controls // nil → knobs.New()
	// SlackBurst and SlackRate set each Slack webhook's pace (defaults 5
	// and 1 a second); a negative rate lifts the limit.
	SlackBurst, SlackRate float64
}

// Server is the receiver; it is an http.Handler, safe for concurrent use.
type Server struct {
	controls *knobs.Controls
	admin    knobs.Admin
	rate     float64
	burst    float64

	mu       sync.Mutex
	requests []Request
	seq      int
	seen     map[string]bool // accepted generic event ids
	seenFIFO []string
	buckets  map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a receiver that has received nothing.
func New(opts Options) *Server {
	s := &Server{controls: opts.Controls, rate: opts.SlackRate, burst: opts.SlackBurst}
	if s.controls == nil {
		s.controls = knobs.New()
	}
	if s.rate == 0 {
		s.rate = slackRate
	}
	if s.burst <= 0 {
		s.burst = slackBurst
	}
	s.admin = knobs.Admin{
		Controls: s.controls,
		OnReset:  s.Reset,
		Extra:    map[string]http.Handler{"/_sandbox/webhooks": http.HandlerFunc(s.serveRequests)},
	}
	s.Reset()
	return s
}

// Controls returns the latency, fault and counter controls.
func (s *Server) Controls() *knobs.Controls { return s.controls }

// Reset forgets every request, every event id and every webhook's pace.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.seq = nil, 0
	s.seen, s.seenFIFO = map[string]bool{}, nil
	s.buckets = map[string]*bucket{}
}

// Requests returns what the receiver answered so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ServeHTTP routes the admin endpoints, Slack webhooks and generic ones.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case knobs.IsAdminPath(r.URL.Path):
		s.admin.ServeHTTP(w, r)
	case strings.HasPrefix(r.URL.Path, SlackPrefix):
		s.serve(w, r, "slack", OpSlack)
	case strings.HasPrefix(r.URL.Path, WebhookPrefix):
		s.serve(w, r, "webhook", OpWebhook)
	default:
		// hooks.slack.com answers unknown paths this way.
		writeText(w, http.StatusNotFound, "no_service")
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, kind, op string) {
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	rec := Request{Time: time.Now().UTC(), Kind: kind, Path: r.URL.Path}
	sw := &knobs.StatusWriter{ResponseWriter: w}
	f, faulted := s.controls.Begin(r.Context(), op)
	if r.Context().Err() != nil {
		rec.Error = "the sender went away before an answer"
		s.record(rec, body)
		return
	}
	switch {
	case faulted:
		answerFault(sw, kind, f)
		rec.Error = "injected fault"
	case r.Method != http.MethodPost:
		sw.Header().Set("Allow", http.MethodPost)
		writeText(sw, http.StatusMethodNotAllowed, "invalid_method")
	case readErr != nil || len(body) > maxBody:
		writeText(sw, http.StatusRequestEntityTooLarge, "request_too_large")
	case kind == "slack":
		s.serveSlack(sw, r, &rec, &body)
	default:
		s.serveWebhook(sw, r, &rec, body)
	}
	rec.Status = sw.Status
	rec.Accepted = sw.Status >= 200 && sw.Status < 300
	s.record(rec, body)
	s.controls.Record(op, sw.Status)
}

func (s *Server) record(rec Request, body []byte) {
	if json.Valid(body) {
		rec.Body = json.RawMessage(bytes.Clone(body))
	} else if len(body) > 0 {
		rec.Raw = string(body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	rec.Seq = s.seq
	s.requests = append(s.requests, rec)
	if over := len(s.requests) - keepRequests; over > 0 {
		s.requests = append(s.requests[:0:0], s.requests[over:]...)
	}
}

// answerFault renders an injected fault as the service would: Slack's
// errors are a short text, a generic receiver's a JSON object; 429 and 503
// carry Retry-After.
func answerFault(w http.ResponseWriter, kind string, f knobs.Fault) {
	if f.Status == http.StatusTooManyRequests || f.Status == http.StatusServiceUnavailable {
		secs := 1.0
		if f.RetryAfter > 0 {
			secs = math.Ceil(time.Duration(f.RetryAfter).Seconds())
		}
		w.Header().Set("Retry-After", fmt.Sprint(int(secs)))
	}
	text := f.Code
	if text == "" {
		text = defaultFaultText(f.Status)
	}
	if kind == "slack" {
		writeText(w, f.Status, text)
		return
	}
	knobs.WriteJSON(w, f.Status, map[string]string{"error": text, "message": f.Message})
}

func defaultFaultText(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "rate_limited"
	case status == http.StatusNotFound:
		return "no_service"
	case status == http.StatusForbidden:
		return "action_prohibited"
	case status == http.StatusGone:
		return "channel_is_archived"
	case status >= 500:
		return "rollup_error"
	}
	return "invalid_payload"
}

// serveSlack checks a message as Slack's incoming webhooks do and paces
// each webhook URL.
func (s *Server) serveSlack(w http.ResponseWriter, r *http.Request, rec *Request, body *[]byte) {
	payload := *body
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(payload))
		if err != nil || form.Get("payload") == "" {
			writeText(w, http.StatusBadRequest, "invalid_payload")
			return
		}
		payload = []byte(form.Get("payload"))
		*body = payload
	}
	var msg struct {
		Text        *string           `json:"text"`
		Blocks      []json.RawMessage `json:"blocks"`
		Attachments []json.RawMessage `json:"attachments"`
	}
	if err := json.Unmarshal(payload, &msg); err != nil {
		writeText(w, http.StatusBadRequest, "invalid_payload")
		return
	}
	if (msg.Text == nil || strings.TrimSpace(*msg.Text) == "") && len(msg.Blocks) == 0 && len(msg.Attachments) == 0 {
		writeText(w, http.StatusBadRequest, "no_text")
		return
	}
	if problem := checkBlocks(msg.Blocks); problem != "" {
		rec.Error = problem
		writeText(w, http.StatusBadRequest, "invalid_blocks")
		return
	}
	if wait, ok := s.take(r.URL.Path); !ok {
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Max(1, math.Ceil(wait.Seconds())))))
		writeText(w, http.StatusTooManyRequests, "rate_limited")
		return
	}
	writeText(w, http.StatusOK, "ok")
}

// take spends one message of a webhook's pace, or says how long until one
// is available.
func (s *Server) take(path string) (time.Duration, bool) {
	if s.rate < 0 {
		return 0, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	b := s.buckets[path]
	if b == nil {
		b = &bucket{tokens: s.burst, last: now}
		s.buckets[path] = b
	}
	b.tokens = min(s.burst, b.tokens+now.Sub(b.last).Seconds()*s.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / s.rate * float64(time.Second)), false
}

// serveWebhook accepts any JSON document, deduplicating by event id.
func (s *Server) serveWebhook(w http.ResponseWriter, r *http.Request, rec *Request, body []byte) {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		knobs.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_json", "message": err.Error()})
		return
	}
	rec.EventID = r.Header.Get("Idempotency-Key")
	if id, ok := doc["id"].(string); ok && rec.EventID == "" {
		rec.EventID = id
	}
	if rec.EventID != "" {
		s.mu.Lock()
		rec.Duplicate = s.seen[rec.EventID]
		if !rec.Duplicate {
			s.seen[rec.EventID] = true
			s.seenFIFO = append(s.seenFIFO, rec.EventID)
			if len(s.seenFIFO) > keepEventIDs {
				delete(s.seen, s.seenFIFO[0])
				s.seenFIFO = s.seenFIFO[1:]
			}
		}
		s.mu.Unlock()
	}
	writeText(w, http.StatusOK, "ok")
}

func (s *Server) serveRequests(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		knobs.WriteJSON(w, http.StatusOK, map[string]any{"requests": s.Requests()})
	case http.MethodDelete:
		s.Reset()
		knobs.WriteJSON(w, http.StatusOK, map[string]any{"requests": []Request{}})
	default:
		w.Header().Set("Allow", "GET, DELETE")
		knobs.WriteJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "method not allowed", "allow": "GET, DELETE"})
	}
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text)
}
