// Package knobs holds the controls the sandbox emulators share: injected
// latency, injected faults and request counters, plus the /_sandbox/ admin
// endpoints that expose them over HTTP. Each emulator renders a fault in its
// own protocol; this package only decides when one applies.
package knobs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Fault makes an operation misbehave. Op names are the emulator's own:
// "iam:CreateRole", "sts:GetCallerIdentity", "logs:PutLogEvents" for the AWS
// emulator; "cloud:GetCluster", "cloud:EnableLogExport", … for the Cloud API
// emulator (the OpenAPI operationId without its "CockroachCloud_" prefix).
type Fault struct {
	Op string `json:"op"`
	// Times is how many matching calls are affected; 0 means once, a
	// negative value means every call until the faults are cleared.
	Times int `json:"times,omitempty"`
	// Status, Code and Message describe the error answer. Code is the AWS
	// error code ("Throttling", "AccessDenied", "ServiceUnavailable") for the
	// AWS emulator and the gRPC code as a decimal string for the Cloud API.
	Status  int    `json:"status,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// Delay is added before the call is answered (with the error, or
	// normally when Status is 0).
	Delay Duration `json:"delay,omitempty"`
	// RetryAfter, when set, is sent as the error answer's Retry-After (in
	// whole seconds, rounded up) by emulators whose service sends one.
	RetryAfter Duration `json:"retry_after,omitempty"`
	// Hang holds the call until the client gives up.
	Hang bool `json:"hang,omitempty"`
}

// IsError reports whether the fault produces an error answer.
func (f Fault) IsError() bool { return f.Status != 0 }

// Duration is a time.Duration that reads and writes as "1.5s" in JSON and
// also accepts a number of milliseconds.
type Duration time.Duration

// MarshalJSON writes the duration in Go's notation.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "250ms" or 250 (milliseconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return fmt.Errorf("duration must be a string like \"250ms\" or a number of milliseconds")
	}
	*d = Duration(time.Duration(ms * float64(time.Millisecond)))
	return nil
}

// Stats counts the requests an emulator answered on its public API (admin
// requests are not counted).
type Stats struct {
	Requests    int                       `json:"requests"`
	ByOperation map[string]int            `json:"by_operation"`
	ByStatus    map[string]int            `json:"by_status"`
	ByOpStatus  map[string]map[string]int `json:"by_operation_status"`
}

// Controls is safe for concurrent use. The zero value is not ready; use New.
type Controls struct {
	mu      sync.Mutex
	latency time.Duration
	faults  []*pending
	stats   Stats
}

type pending struct {
	f    Fault
	left int // <0: unlimited
}

// New returns controls with no latency, no faults and zeroed counters.
func New() *Controls {
	c := &Controls{}
	c.stats = emptyStats()
	return c
}

func emptyStats() Stats {
	return Stats{ByOperation: map[string]int{}, ByStatus: map[string]int{}, ByOpStatus: map[string]map[string]int{}}
}

// SetLatency sets the delay added to every call.
func (c *Controls) SetLatency(d time.Duration) {
	c.mu.Lock()
	c.latency = d
	c.mu.Unlock()
}

// Latency returns the delay added to every call.
func (c *Controls) Latency() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.latency
}

// InjectFault queues a fault. Faults for the same operation apply in the
// order they were injected.
func (c *Controls) InjectFault(f Fault) {
	left := f.Times
	if left == 0 {
		left = 1
	}
	c.mu.Lock()
	c.faults = append(c.faults, &pending{f: f, left: left})
	c.mu.Unlock()
}

// ClearFaults drops every queued fault.
func (c *Controls) ClearFaults() {
	c.mu.Lock()
	c.faults = nil
	c.mu.Unlock()
}

// Faults returns the faults still queued, with Times set to what is left.
func (c *Controls) Faults() []Fault {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Fault, 0, len(c.faults))
	for _, p := range c.faults {
		f := p.f
		f.Times = p.left
		out = append(out, f)
	}
	return out
}

// take consumes one use of the first fault queued for op.
func (c *Controls) take(op string) (Fault, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.faults {
		if p.f.Op != op {
			continue
		}
		if p.left > 0 {
			p.left--
			if p.left == 0 {
				c.faults = append(c.faults[:i], c.faults[i+1:]...)
			}
		}
		return p.f, true
	}
	return Fault{}, false
}

// Begin is called by an emulator when a call to op arrives. It waits out the
// configured latency and any fault delay, and returns the error fault to
// answer with, if any. For a hanging fault it returns only when ctx ends, with
// ok true: the emulator then abandons the call. A fault with Status 0 only
// delays and is not returned.
func (c *Controls) Begin(ctx context.Context, op string) (Fault, bool) {
	wait := c.Latency()
	f, ok := c.take(op)
	if ok {
		wait += time.Duration(f.Delay)
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	if !ok {
		return Fault{}, false
	}
	if f.Hang {
		<-ctx.Done()
		return f, true
	}
	return f, f.IsError()
}

// Record counts an answered call.
func (c *Controls) Record(op string, status int) {
	s := strconv.Itoa(status)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Requests++
	c.stats.ByOperation[op]++
	c.stats.ByStatus[s]++
	m := c.stats.ByOpStatus[op]
	if m == nil {
		m = map[string]int{}
		c.stats.ByOpStatus[op] = m
	}
	m[s]++
}

// Stats returns a copy of the counters.
func (c *Controls) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := emptyStats()
	out.Requests = c.stats.Requests
	for k, v := range c.stats.ByOperation {
		out.ByOperation[k] = v
	}
	for k, v := range c.stats.ByStatus {
		out.ByStatus[k] = v
	}
	for op, m := range c.stats.ByOpStatus {
		cp := make(map[string]int, len(m))
		for k, v := range m {
			cp[k] = v
		}
		out.ByOpStatus[op] = cp
	}
	return out
}

// Reset clears latency, faults and counters.
func (c *Controls) Reset() {
	c.mu.Lock()
	c.latency = 0
	c.faults = nil
	c.stats = emptyStats()
	c.mu.Unlock()
}

// StatusWriter remembers the status an emulator's handler wrote, so the
// emulator can Record it.
type StatusWriter struct {
	http.ResponseWriter
	Status int
}

// WriteHeader records the status.
func (w *StatusWriter) WriteHeader(code int) {
	if w.Status == 0 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200.
func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Admin serves the /_sandbox/ endpoints:
//
//	GET    /_sandbox/stats    counters as JSON
//	POST   /_sandbox/reset    clear latency, faults and counters, then call OnReset
//	GET    /_sandbox/faults   queued faults
//	POST   /_sandbox/faults   queue a fault (a Fault object or an array of them)
//	DELETE /_sandbox/faults   drop every fault
//	GET    /_sandbox/latency  {"latency": "100ms"}
//	PUT    /_sandbox/latency  set it (POST is accepted too)
//
// Extra adds emulator-specific endpoints under the same prefix (keys are
// paths such as "/_sandbox/timings").
type Admin struct {
	Controls *Controls
	OnReset  func()
	Extra    map[string]http.Handler
}

// IsAdminPath reports whether a request path belongs to the admin endpoints.
func IsAdminPath(p string) bool { return len(p) >= 10 && p[:10] == "/_sandbox/" }

func (a Admin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := a.Controls
	switch r.URL.Path {
	case "/_sandbox/stats":
		if !allow(w, r, http.MethodGet) {
			return
		}
		WriteJSON(w, http.StatusOK, c.Stats())
	case "/_sandbox/reset":
		if !allow(w, r, http.MethodPost) {
			return
		}
		c.Reset()
		if a.OnReset != nil {
			a.OnReset()
		}
		WriteJSON(w, http.StatusOK, map[string]any{"reset": true})
	case "/_sandbox/faults":
		switch r.Method {
		case http.MethodGet:
			WriteJSON(w, http.StatusOK, map[string]any{"faults": c.Faults()})
		case http.MethodDelete:
			c.ClearFaults()
			WriteJSON(w, http.StatusOK, map[string]any{"faults": []Fault{}})
		case http.MethodPost:
			faults, err := decodeFaults(r)
			if err != nil {
				WriteJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
				return
			}
			for _, f := range faults {
				c.InjectFault(f)
			}
			WriteJSON(w, http.StatusOK, map[string]any{"faults": c.Faults()})
		default:
			methodNotAllowed(w, "GET, POST, DELETE")
		}
	case "/_sandbox/latency":
		switch r.Method {
		case http.MethodGet:
		case http.MethodPut, http.MethodPost:
			var body struct {
				Latency Duration `json:"latency"`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				WriteJSON(w, http.StatusBadRequest, map[string]any{"error": "body must be {\"latency\": \"100ms\"}: " + err.Error()})
				return
			}
			c.SetLatency(time.Duration(body.Latency))
		default:
			methodNotAllowed(w, "GET, PUT")
			return
		}
		WriteJSON(w, http.StatusOK, map[string]any{"latency": Duration(c.Latency())})
	default:
		if h, ok := a.Extra[r.URL.Path]; ok {
			h.ServeHTTP(w, r)
			return
		}
		paths := []string{"/_sandbox/stats", "/_sandbox/reset", "/_sandbox/faults", "/_sandbox/latency"}
		for p := range a.Extra {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		WriteJSON(w, http.StatusNotFound, map[string]any{"error": "unknown sandbox endpoint", "endpoints": paths})
	}
}

func decodeFaults(r *http.Request) ([]Fault, error) {
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		return nil, fmt.Errorf("body must be a fault object or an array of them: %v", err)
	}
	var many []Fault
	if err := json.Unmarshal(raw, &many); err != nil {
		var one Fault
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, fmt.Errorf("body must be a fault object or an array of them: %v", err)
		}
		many = []Fault{one}
	}
	for _, f := range many {
		if f.Op == "" {
			return nil, fmt.Errorf("each fault needs \"op\" (for example \"iam:CreateRole\" or \"cloud:EnableLogExport\")")
		}
		if !f.Hang && f.Status == 0 && f.Delay == 0 {
			return nil, fmt.Errorf("fault for %s does nothing: give \"status\" (with \"code\"), \"delay\" or \"hang\"", f.Op)
		}
	}
	return many, nil
}

func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	methodNotAllowed(w, method)
	return false
}

func methodNotAllowed(w http.ResponseWriter, allowed string) {
	w.Header().Set("Allow", allowed)
	WriteJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "method not allowed", "allow": allowed})
}

// WriteJSON writes v as an indented JSON answer.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
