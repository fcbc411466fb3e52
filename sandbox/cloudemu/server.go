package cloudemu

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// DefaultAPIKey is the bearer key the emulator accepts unless Options.APIKey
// says otherwise. It has the shape of a CockroachDB Cloud service account key.
const DefaultAPIKey = "CCDB1_3Xq8vKt2NdLwP9sRb7YcHm_8f2d6a1c9e4b7f3a0d5c8e2b6f9a1d4c7e0b3f6a9"

// AWSTarget is the AWS endpoint the emulator reads roles and policies from
// and writes log events to. Its account is the customer's account.
type AWSTarget struct {
	Endpoint        string // e.g. the awsemu server's URL; empty: no AWS side
	AccessKeyID     string
	SecretAccessKey string
	HTTPClient      *http.Client // nil: the SDK's default client
}

// Timings are the delays of the emulated background work.
type Timings struct {
	// EnableAfter: time from an accepted POST to the access decision.
	EnableAfter time.Duration
	// DisableAfter: time from an accepted DELETE to DISABLED.
	DisableAfter time.Duration
	// IAMPropagation: a role younger than this cannot be assumed yet, as
	// with IAM's eventual consistency.
	IAMPropagation time.Duration
	// EventInterval: how often an enabled export writes new events and
	// re-checks its access.
	EventInterval time.Duration
}

// DefaultTimings are the delays of an emulator whose Options give none.
var DefaultTimings = Timings{EnableAfter: 3 * time.Second, DisableAfter: 2 * time.Second, IAMPropagation: 5 * time.Second, EventInterval: 2 * time.Second}

// TimingError is a timing the emulator cannot honour. Name is the field's
// name in /_sandbox/timings ("event_interval").
type TimingError struct {
	Name   string
	Value  time.Duration
	Reason string
}

func (e *TimingError) Error() string { return fmt.Sprintf("%s %s: %s", e.Name, e.Value, e.Reason) }

// Validate reports a timing the emulator cannot honour. Zero is a valid
// delay (no wait at all); EventInterval is a period and must be positive, as
// a ticker's is, or an enabled export would write without pause.
func (t Timings) Validate() error {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"enable_after", t.EnableAfter}, {"disable_after", t.DisableAfter}, {"iam_propagation", t.IAMPropagation}, {"event_interval", t.EventInterval}} {
		if f.d < 0 {
			return &TimingError{Name: f.name, Value: f.d, Reason: "must not be negative (0 means no delay)"}
		}
	}
	if t.EventInterval == 0 {
		return &TimingError{Name: "event_interval", Value: 0, Reason: "must be more than zero: it is the pause between two writes of log events (a long one, e.g. 1h, writes only the first events)"}
	}
	return nil
}

// Options configure a Server.
type Options struct {
	APIKey string // the accepted bearer key; default DefaultAPIKey
	AWS    AWSTarget
	// Timings nil means DefaultTimings; given, every field is taken as
	// it is, zero included.
	Timings       *Timings
	ExtraClusters int
	Controls      *knobs.Controls
	RateLimit     float64 // requests/second per key; 0 → 10
}

// Server is the emulator; it is an http.Handler.
type Server struct {
	apiKey   string
	rps      float64
	controls *knobs.Controls
	aws      *awsClients
	initial  Timings
	extra    int
	admin    http.Handler

	mu       sync.Mutex
	timings  Timings
	org      organization
	clusters map[string]*cluster
	exports  map[string]*exportRecord
	limiters map[string]*rate.Limiter
	run      *runner
	closed   bool
}

// runner owns the background jobs of one seed generation, so Reset and Close
// can stop them all and wait for them.
type runner struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newRunner() *runner {
	ctx, cancel := context.WithCancel(context.Background())
	return &runner{ctx: ctx, cancel: cancel}
}

// New returns a seeded emulator, or an error when its Timings are invalid.
func New(opts Options) (*Server, error) {
	timings := DefaultTimings
	if opts.Timings != nil {
		timings = *opts.Timings
	}
	if err := timings.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		apiKey:   opts.APIKey,
		rps:      opts.RateLimit,
		controls: opts.Controls,
		aws:      newAWSClients(opts.AWS),
		initial:  timings,
		extra:    opts.ExtraClusters,
		run:      newRunner(),
	}
	if s.apiKey == "" {
		s.apiKey = DefaultAPIKey
	}
	if s.rps <= 0 {
		s.rps = 10
	}
	if s.controls == nil {
		s.controls = knobs.New()
	}
	s.admin = knobs.Admin{
		Controls: s.controls,
		OnReset:  s.Reset,
		Extra:    map[string]http.Handler{"/_sandbox/timings": http.HandlerFunc(s.serveTimings)},
	}
	s.seedLocked()
	return s, nil
}

// seedLocked (re)creates the seeded state; s.mu is held or s is not shared yet.
func (s *Server) seedLocked() {
	s.timings = s.initial
	s.org = seedOrganization()
	s.clusters = map[string]*cluster{}
	for _, sc := range Seed(s.extra) {
		s.clusters[sc.ID] = buildCluster(sc)
	}
	s.exports = map[string]*exportRecord{}
	s.limiters = map[string]*rate.Limiter{}
}

// Controls returns the latency, fault and counter controls.
func (s *Server) Controls() *knobs.Controls { return s.controls }

// Timings returns the current delays.
func (s *Server) Timings() Timings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.timings
}

// SetTimings changes the delays, each exactly as given (zero is no delay),
// or refuses invalid ones. Jobs already waiting keep the delay they started
// with.
func (s *Server) SetTimings(t Timings) error {
	if err := t.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	s.timings = t
	s.mu.Unlock()
	return nil
}

// Reset restores the seed and the initial timings and stops every
// background job. It does not touch the controls (the admin reset clears
// those itself).
func (s *Server) Reset() {
	s.mu.Lock()
	old := s.run
	s.run = newRunner()
	s.seedLocked()
	s.mu.Unlock()
	old.cancel()
	old.wg.Wait()
}

// Close stops every background job and waits for them; exports stop writing
// events. The server still answers requests but starts no new jobs.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	old := s.run
	s.mu.Unlock()
	old.cancel()
	old.wg.Wait()
}

// Supported Cc-Version values; "latest" and an absent header mean the newest.
var ccVersions = map[string]bool{"2022-03-31": true, "2022-09-20": true, "2023-04-10": true, "2024-09-16": true}

const latestCCVersion = "2024-09-16"

// ServeHTTP answers the public API and, under /_sandbox/, the admin API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if knobs.IsAdminPath(r.URL.Path) {
		s.admin.ServeHTTP(w, r)
		return
	}
	rt := route(r.Method, r.URL.Path)
	sw := &knobs.StatusWriter{ResponseWriter: w}
	if s.serve(sw, r, rt) {
		s.controls.Record(rt.op, sw.Status)
	}
}

// serve runs the request through authentication, version check, rate
// limiting and fault injection, then the operation. It reports whether an
// answer was written (a hanging fault abandons the call).
func (s *Server) serve(w *knobs.StatusWriter, r *http.Request, rt routed) bool {
	key, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		writeError(w, http.StatusUnauthorized, codeUnauthenticated, "missing credentials: send the API key as \"Authorization: Bearer <key>\"")
		return true
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(s.apiKey)) != 1 {
		writeError(w, http.StatusUnauthorized, codeUnauthenticated, "invalid API key")
		return true
	}
	version := r.Header.Get("Cc-Version")
	switch {
	case version == "" || version == "latest":
		version = latestCCVersion
	case !ccVersions[version]:
		writeError(w, http.StatusBadRequest, codeInvalidArgument,
			fmt.Sprintf("invalid Cc-Version %q: use one of 2022-03-31, 2022-09-20, 2023-04-10, 2024-09-16 or latest", version))
		return true
	}
	// The answer names the dated version it was produced for, also when the
	// request asked for "latest" or sent none.
	w.Header().Set("Cc-Version", version)
	if wait, limited := s.limit(key); limited {
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Max(1, math.Ceil(wait.Seconds())))))
		writeError(w, http.StatusTooManyRequests, codeResourceExhausted, "rate limit exceeded")
		return true
	}
	if rt.handle == nil {
		writeError(w, http.StatusNotFound, codeNotFound, "Not Found")
		return true
	}
	if f, hit := s.controls.Begin(r.Context(), rt.op); hit {
		if r.Context().Err() != nil {
			return false
		}
		writeFault(w, f)
		return true
	}
	rt.handle(s, w, r, rt.clusterID)
	return true
}

// limit takes a token from the key's bucket, reporting how long until one
// is available when it is empty.
func (s *Server) limit(key string) (time.Duration, bool) {
	s.mu.Lock()
	lim, ok := s.limiters[key]
	if !ok {
		lim = rate.NewLimiter(rate.Limit(s.rps), int(math.Max(1, math.Ceil(s.rps))))
		s.limiters[key] = lim
	}
	s.mu.Unlock()
	now := time.Now()
	res := lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, true
	}
	return 0, false
}

func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// gRPC status codes, as the API reports them in the error body.
const (
	codeUnknown            = 2
	codeInvalidArgument    = 3
	codeDeadlineExceeded   = 4
	codeNotFound           = 5
	codePermissionDenied   = 7
	codeResourceExhausted  = 8
	codeFailedPrecondition = 9
	codeAborted            = 10
	codeUnimplemented      = 12
	codeInternal           = 13
	codeUnavailable        = 14
	codeUnauthenticated    = 16
)

// codeForStatus is the gRPC code the API's gateway pairs with an HTTP status.
func codeForStatus(status int) int {
	switch status {
	case http.StatusBadRequest:
		return codeInvalidArgument
	case http.StatusUnauthorized:
		return codeUnauthenticated
	case http.StatusForbidden:
		return codePermissionDenied
	case http.StatusNotFound:
		return codeNotFound
	case http.StatusConflict:
		return codeAborted
	case http.StatusTooManyRequests:
		return codeResourceExhausted
	case http.StatusInternalServerError:
		return codeInternal
	case http.StatusNotImplemented:
		return codeUnimplemented
	case http.StatusServiceUnavailable:
		return codeUnavailable
	case http.StatusGatewayTimeout:
		return codeDeadlineExceeded
	default:
		return codeUnknown
	}
}

func writeFault(w http.ResponseWriter, f knobs.Fault) {
	code := codeForStatus(f.Status)
	if f.Code != "" {
		if _, err := fmt.Sscanf(f.Code, "%d", &code); err != nil {
			code = codeForStatus(f.Status)
		}
	}
	msg := f.Message
	if msg == "" {
		msg = strings.ToLower(http.StatusText(f.Status))
		if msg == "" {
			msg = "injected fault"
		}
	}
	if f.Status == http.StatusTooManyRequests || f.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeError(w, f.Status, code, msg)
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, errorBody{Code: code, Message: msg, Details: []any{}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// timingsJSON is the /_sandbox/timings document; absent fields are left
// unchanged by PUT.
type timingsJSON struct {
	EnableAfter    *knobs.Duration `json:"enable_after,omitempty"`
	DisableAfter   *knobs.Duration `json:"disable_after,omitempty"`
	IAMPropagation *knobs.Duration `json:"iam_propagation,omitempty"`
	EventInterval  *knobs.Duration `json:"event_interval,omitempty"`
}

func (s *Server) serveTimings(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPut, http.MethodPost:
		var body timingsJSON
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			knobs.WriteJSON(w, http.StatusBadRequest, map[string]any{"error": "body must be like {\"enable_after\": \"3s\", \"disable_after\": \"2s\", \"iam_propagation\": \"5s\", \"event_interval\": \"2s\"}: " + err.Error()})
			return
		}
		t := s.Timings()
		set := func(dst *time.Duration, v *knobs.Duration) {
			if v != nil {
				*dst = time.Duration(*v)
			}
		}
		set(&t.EnableAfter, body.EnableAfter)
		set(&t.DisableAfter, body.DisableAfter)
		set(&t.IAMPropagation, body.IAMPropagation)
		set(&t.EventInterval, body.EventInterval)
		if err := s.SetTimings(t); err != nil {
			knobs.WriteJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
			return
		}
	default:
		w.Header().Set("Allow", "GET, PUT")
		knobs.WriteJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "method not allowed", "allow": "GET, PUT"})
		return
	}
	t := s.Timings()
	d := func(v time.Duration) *knobs.Duration { x := knobs.Duration(v); return &x }
	knobs.WriteJSON(w, http.StatusOK, timingsJSON{
		EnableAfter: d(t.EnableAfter), DisableAfter: d(t.DisableAfter),
		IAMPropagation: d(t.IAMPropagation), EventInterval: d(t.EventInterval),
	})
}
