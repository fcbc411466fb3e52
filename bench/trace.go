package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// exchange is one API call seen by a tracing proxy, in milliseconds since
// the traced command started.
type exchange struct {
	Op      string  `json:"op"`
	Region  string  `json:"region,omitempty"`
	StartMS float64 `json:"start_ms"`
	EndMS   float64 `json:"end_ms"`
}

// tracer records the calls passing through its proxies. The proxies sit
// on loopback in front of the emulators and add well under a millisecond
// per call, so the timeline is the command's own.
type tracer struct {
	mu      sync.Mutex
	calls   []call
	servers []*http.Server
}

type call struct {
	op, region string
	start, end time.Time
}

// proxy starts a recording reverse proxy to target and returns its URL.
func (t *tracer) proxy(target string, name func(*http.Request) (string, string)) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, region := name(r)
		c := call{op: op, region: region, start: time.Now()}
		rp.ServeHTTP(w, r)
		c.end = time.Now()
		t.mu.Lock()
		t.calls = append(t.calls, c)
		t.mu.Unlock()
	})}
	t.servers = append(t.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// exchanges are the calls recorded so far, timed from t0 and in the order
// they started.
func (t *tracer) exchanges(t0 time.Time) []exchange {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]exchange, len(t.calls))
	for i, c := range t.calls {
		out[i] = exchange{Op: c.op, Region: c.region, StartMS: ms(c.start.Sub(t0)), EndMS: ms(c.end.Sub(t0))}
	}
	sortByStart(out)
	return out
}

func sortByStart(calls []exchange) {
	slices.SortStableFunc(calls, func(a, b exchange) int { return cmp.Compare(a.StartMS, b.StartMS) })
}

func (t *tracer) close() {
	for _, s := range t.servers {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if s.Shutdown(ctx) != nil {
			_ = s.Close()
		}
		cancel()
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cloudOp names a Cloud API call by method and path, cluster IDs elided.
func cloudOp(r *http.Request) (string, string) {
	parts := strings.Split(r.URL.Path, "/")
	for i, p := range parts {
		if _, err := uuid.Parse(p); err == nil && len(p) == 36 {
			parts[i] = "{id}"
		}
	}
	return r.Method + " " + strings.Join(parts, "/"), ""
}

// awsOp names an AWS call service:Action, with its region for regional
// services. The service and region come from the SigV4 credential scope;
// the action from X-Amz-Target (JSON protocol) or the form body (query
// protocol), which is read and put back.
func awsOp(r *http.Request) (string, string) {
	service, region := "aws", ""
	if _, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		cred, _, _ = strings.Cut(cred, ",")
		if scope := strings.Split(cred, "/"); len(scope) >= 5 {
			region, service = scope[2], scope[3]
		}
	}
	action := ""
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		_, action, _ = strings.Cut(target, ".")
	} else if r.Body != nil {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err == nil {
			if q, err := url.ParseQuery(string(body)); err == nil {
				action = q.Get("Action")
			}
		}
	}
	if service != "logs" {
		region = ""
	}
	return service + ":" + action, region
}

// layer is a set of calls at the same depth of the command's call graph.
type layer struct {
	Ops     []string `json:"ops"`
	StartMS float64  `json:"start_ms"`
	EndMS   float64  `json:"end_ms"`
}

func (l layer) String() string {
	return fmt.Sprintf("%s [%.0f–%.0f ms]", strings.Join(l.Ops, " ‖ "), l.StartMS, l.EndMS)
}

// callLayers groups calls by depth: a call's depth is one more than the
// deepest call that had answered before it started (1 when none had). The
// deepest depth is the number of round trips the command made one after
// another. Calls that overlap are independent by construction; calls in
// sequence may or may not depend on each other, so this is the depth the
// command took, an upper bound on the depth it needed.
func callLayers(calls []exchange) []layer {
	calls = slices.Clone(calls)
	sortByStart(calls)
	depth := make([]int, len(calls))
	deepest := 0
	for i := range calls {
		depth[i] = 1
		for j := range i {
			if calls[j].EndMS <= calls[i].StartMS {
				depth[i] = max(depth[i], depth[j]+1)
			}
		}
		deepest = max(deepest, depth[i])
	}
	layers := make([]layer, deepest)
	counts := make([]map[string]int, deepest)
	for i, c := range calls {
		l := &layers[depth[i]-1]
		if counts[depth[i]-1] == nil {
			counts[depth[i]-1] = map[string]int{}
			l.StartMS = c.StartMS
		}
		if counts[depth[i]-1][c.Op] == 0 {
			l.Ops = append(l.Ops, c.Op)
		}
		counts[depth[i]-1][c.Op]++
		l.StartMS = min(l.StartMS, c.StartMS)
		l.EndMS = max(l.EndMS, c.EndMS)
	}
	for i := range layers {
		for j, op := range layers[i].Ops {
			if n := counts[i][op]; n > 1 {
				layers[i].Ops[j] = fmt.Sprintf("%s ×%d", op, n)
			}
		}
	}
	return layers
}
