package cloudemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/sandbox/contract"
)

// fast are timings short enough for tests; the propagation delay is
// negligible unless a test raises it.
var fast = Timings{EnableAfter: 20 * time.Millisecond, DisableAfter: 20 * time.Millisecond, IAMPropagation: time.Nanosecond, EventInterval: 25 * time.Millisecond}

// harness is an emulator behind the OpenAPI contract check, over loopback.
type harness struct {
	t   *testing.T
	srv *Server
	url string
	cli *http.Client
}

// start serves an emulator; every exchange is validated against the
// OpenAPI document (invalid requests, sent on purpose by some tests, must be
// answered 4xx). Unless opts says otherwise the rate limit is lifted so that
// status polling never trips it.
func start(t *testing.T, opts Options) *harness {
	t.Helper()
	if opts.RateLimit == 0 {
		opts.RateLimit = 10000
	}
	if opts.Timings == nil {
		opts.Timings = &fast
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(contract.Wrap(t, srv, contract.AllowInvalidRequests()))
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return &harness{t: t, srv: srv, url: hs.URL, cli: hs.Client()}
}

type reply struct {
	status int
	header http.Header
	raw    []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.raw, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v: %s", r.status, err, r.raw)
	}
	return m
}

// wantError checks an error answer's status, gRPC code and message.
func (r reply) wantError(t *testing.T, status, code int, msgContains string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	m := r.json(t)
	if got, _ := m["code"].(float64); int(got) != code {
		t.Errorf("code = %v, want %d; body %s", m["code"], code, r.raw)
	}
	if msg, _ := m["message"].(string); !strings.Contains(msg, msgContains) {
		t.Errorf("message = %q, want it to contain %q", msg, msgContains)
	}
	if d, ok := m["details"].([]any); !ok || d == nil {
		t.Errorf("details = %v, want an array", m["details"])
	}
}

// do sends a request with the default key and headers, overridable by hdr
// (an empty value removes the header).
func (h *harness) do(method, path, body string, hdr ...string) reply {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+DefaultAPIKey)
	req.Header.Set("Cc-Version", "2024-09-16")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := h.cli.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, raw: raw}
}

func (h *harness) get(path string) map[string]any {
	h.t.Helper()
	r := h.do(http.MethodGet, path, "")
	if r.status != http.StatusOK {
		h.t.Fatalf("GET %s = %d: %s", path, r.status, r.raw)
	}
	return r.json(h.t)
}

func (h *harness) enable(clusterID, body string) map[string]any {
	h.t.Helper()
	r := h.do(http.MethodPost, "/api/v1/clusters/"+clusterID+"/logexport", body)
	if r.status != http.StatusOK {
		h.t.Fatalf("POST logexport = %d: %s", r.status, r.raw)
	}
	return r.json(h.t)
}

// waitSettled polls the export until it leaves ENABLING/DISABLING and the
// cluster is unlocked, and returns the export info. The deadline only
// guards against a hung job.
func (h *harness) waitSettled(clusterID string) map[string]any {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		info := h.get("/api/v1/clusters/" + clusterID + "/logexport")
		st := info["status"]
		if st != StatusEnabling && st != StatusDisabling {
			if c := h.get("/api/v1/clusters/" + clusterID); c["state"] != StateLocked {
				return info
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("export of %s still %v", clusterID, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// canonical re-encodes JSON so two documents compare by content.
func canonical(t *testing.T, v any) string {
	t.Helper()
	var b []byte
	var err error
	if s, ok := v.(string); ok {
		var x any
		if err := json.Unmarshal([]byte(s), &x); err != nil {
			t.Fatalf("bad JSON %q: %v", s, err)
		}
		v = x
	}
	if b, err = json.Marshal(v); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_ = json.Compact(&out, b)
	return out.String()
}
