package cloudapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// recorder is a handler built from per-route functions that logs every
// request it receives as "METHOD /path".
type recorder struct {
	mu     sync.Mutex
	log    []string
	bodies []string
	routes map[string]func(w http.ResponseWriter, r *http.Request, n int)
	counts map[string]int
}

func newRecorder() *recorder {
	return &recorder{routes: map[string]func(http.ResponseWriter, *http.Request, int){}, counts: map[string]int{}}
}

// on registers fn for "METHOD /path"; n counts calls to that route from 1.
func (rec *recorder) on(route string, fn func(w http.ResponseWriter, r *http.Request, n int)) *recorder {
	rec.routes[route] = fn
	return rec
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	route := r.Method + " " + r.URL.Path
	rec.mu.Lock()
	rec.log = append(rec.log, route)
	rec.bodies = append(rec.bodies, string(body))
	rec.counts[route]++
	n := rec.counts[route]
	fn := rec.routes[route]
	rec.mu.Unlock()
	if fn == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"code": 12, "message": "no route " + route})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	fn(w, r, n)
}

func (rec *recorder) requests() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.log)
}

func apiError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg, "details": []any{}})
}

const clusterID = "3f1b1f5e-8a3e-4c2a-9d0e-5b7c1e2a4d6f"

var (
	clusterURL   = "/api/v1/clusters/" + clusterID
	logExportURL = clusterURL + "/logexport"
)

func enablingInfo() LogExportInfo {
	return LogExportInfo{ClusterID: clusterID, Status: StatusEnabling, Spec: LogExportSpec{Type: TypeAWSCloudWatch, LogName: "crdb", AuthPrincipal: "arn:aws:iam::111122223333:role/R"}}
}

func validRequest() EnableLogExportRequest {
	return EnableLogExportRequest{Type: TypeAWSCloudWatch, LogName: "crdb", AuthPrincipal: "arn:aws:iam::111122223333:role/R"}
}

func TestNewValidatesOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no key", Options{}, "no API key"},
		{"key with newline", Options{APIKey: "abc\ndef"}, "control characters"},
		{"plain http to a remote host", Options{APIKey: "k", BaseURL: "http://cockroachlabs.cloud"}, "plain http"},
		{"not a URL", Options{APIKey: "k", BaseURL: "cockroachlabs.cloud"}, "must look like"},
		{"credentials in URL", Options{APIKey: "k", BaseURL: "https://u:p@cockroachlabs.cloud"}, "credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "abc") {
				t.Fatalf("error %q echoes the key", err)
			}
		})
	}
	for _, ok := range []string{"", "https://cockroachlabs.cloud/", "http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"} {
		c, err := New(Options{APIKey: "k", BaseURL: ok})
		if err != nil {
			t.Errorf("New(%q) = %v", ok, err)
			continue
		}
		if strings.HasSuffix(c.BaseURL(), "/") {
			t.Errorf("BaseURL %q keeps a trailing slash", c.BaseURL())
		}
	}
}

func TestRequestHeadersAndBody(t *testing.T) {
	var got http.Header
	var body map[string]any
	rec := newRecorder().on("POST "+logExportURL, func(w http.ResponseWriter, r *http.Request, _ int) {
		got = r.Header.Clone()
		_ = json.NewDecoder(r.Body).Decode(&body)
		writeJSON(w, 200, enablingInfo())
	})
	c, _ := newTestClient(t, rec, func(o *Options) { o.UserAgent = "crdb-logexport/test" })
	req := validRequest()
	req.Redact = Bool(false)
	req.Groups = []LogExportGroup{{LogName: "ops", Channels: []string{"OPS"}}}
	info, err := c.EnableLogExport(context.Background(), clusterID, req)
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != StatusEnabling || !info.Configured {
		t.Fatalf("info = %+v", info)
	}
	for h, want := range map[string]string{
		"Authorization": "Bearer " + testKey, "Cc-Version": "2024-09-16", "Accept": "application/json",
		"User-Agent": "crdb-logexport/test", "Content-Type": "application/json",
	} {
		if got.Get(h) != want {
			t.Errorf("%s = %q, want %q", h, got.Get(h), want)
		}
	}
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// redact is sent because it was set (false); empty optional fields
	// are not sent at all.
	if want := []string{"auth_principal", "groups", "log_name", "redact", "type"}; !slices.Equal(keys, want) {
		t.Fatalf("body fields = %v, want %v", keys, want)
	}
	group := body["groups"].([]any)[0].(map[string]any)
	if _, ok := group["enable_sending_queue"]; ok {
		t.Fatal("enable_sending_queue sent although unset")
	}
}

func TestGetRetriedOn503ThenSucceeds(t *testing.T) {
	rec := newRecorder().on("GET /api/v1/organization", func(w http.ResponseWriter, _ *http.Request, n int) {
		if n <= 2 {
			apiError(w, 503, 14, "service unavailable")
			return
		}
		writeJSON(w, 200, Organization{ID: "org", Name: "acme"})
	})
	var notices []RetryNotice
	c, clock := newTestClient(t, rec, func(o *Options) { o.OnRetry = func(n RetryNotice) { notices = append(notices, n) } })
	org, err := c.Organization(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if org.Name != "acme" || len(rec.requests()) != 3 {
		t.Fatalf("org %+v after %d requests, want acme after 3", org, len(rec.requests()))
	}
	if len(notices) != 2 || notices[0].Attempt != 1 || notices[1].Attempt != 2 {
		t.Fatalf("notices = %+v", notices)
	}
	// Backoff: 250–500 ms then 500–1000 ms (jittered), slept on the clock
	// (the limiter's own 100 ms spacing may appear as well).
	var backoffs []time.Duration
	for _, d := range clock.Sleeps() {
		if d > 100*time.Millisecond {
			backoffs = append(backoffs, d)
		}
	}
	if len(backoffs) != 2 || backoffs[0] < 250*time.Millisecond || backoffs[0] > 500*time.Millisecond ||
		backoffs[1] < 500*time.Millisecond || backoffs[1] > time.Second {
		t.Fatalf("backoffs = %v", backoffs)
	}
}

func TestGetGivesUpAfterMaxAttempts(t *testing.T) {
	rec := newRecorder().on("GET /api/v1/organization", func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html><h1>502 Bad Gateway</h1></html>")
	})
	c, _ := newTestClient(t, rec)
	_, err := c.Organization(context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != 502 || apiErr.Message != "Bad Gateway: 502 Bad Gateway" {
		t.Fatalf("err = %v", err)
	}
	if n := len(rec.requests()); n != 5 {
		t.Fatalf("%d attempts, want 5", n)
	}
}

func TestGetRetriesRespectMaxElapsed(t *testing.T) {
	rec := newRecorder().on("GET /api/v1/organization", func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Retry-After", "90")
		apiError(w, 429, 8, "rate limit exceeded")
	})
	c, _ := newTestClient(t, rec, func(o *Options) { o.Retry.MaxElapsed = time.Minute })
	_, err := c.Organization(context.Background())
	if !IsRateLimited(err) || len(rec.requests()) != 1 {
		t.Fatalf("err = %v after %d requests; a 90 s Retry-After exceeds the 1 min budget, so no retry", err, len(rec.requests()))
	}
}

func TestPostNotRetriedOn500(t *testing.T) {
	rec := newRecorder().on("POST "+logExportURL, func(w http.ResponseWriter, _ *http.Request, _ int) {
		apiError(w, 500, 13, "internal error")
	})
	c, _ := newTestClient(t, rec)
	_, err := c.EnableLogExport(context.Background(), clusterID, validRequest())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != 500 || apiErr.Op != "enable log export" {
		t.Fatalf("err = %v", err)
	}
	if got := rec.requests(); len(got) != 1 {
		t.Fatalf("requests = %v, want one POST (its outcome is unknown)", got)
	}
}

func TestPostRetriedOn429HonouringRetryAfter(t *testing.T) {
	rec := newRecorder().on("POST "+logExportURL, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "3")
			apiError(w, 429, 8, "rate limit exceeded")
			return
		}
		writeJSON(w, 200, enablingInfo())
	})
	c, clock := newTestClient(t, rec)
	start := clock.Now()
	info, err := c.EnableLogExport(context.Background(), clusterID, validRequest())
	if err != nil || info.Status != StatusEnabling {
		t.Fatalf("info %+v, err %v", info, err)
	}
	if got := rec.requests(); len(got) != 2 {
		t.Fatalf("requests = %v, want the POST twice", got)
	}
	if waited := clock.Now().Sub(start); waited < 3*time.Second {
		t.Fatalf("retried after %s, before the 3 s Retry-After", waited)
	}
}

func TestRateLimitWithoutStatus429IsRetried(t *testing.T) {
	rec := newRecorder().on("DELETE "+logExportURL, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			apiError(w, 400, 8, "Rate limit exceeded, try again later")
			return
		}
		writeJSON(w, 200, LogExportInfo{ClusterID: clusterID, Status: StatusDisabling})
	})
	c, _ := newTestClient(t, rec)
	info, err := c.DeleteLogExport(context.Background(), clusterID)
	if err != nil || info.Status != StatusDisabling || len(rec.requests()) != 2 {
		t.Fatalf("info %+v, err %v, requests %v", info, err, rec.requests())
	}
}

func TestPostRetriedAfterLockUntilClusterCreated(t *testing.T) {
	for _, lockAnswer := range []struct {
		name   string
		status int
		msg    string
	}{
		{"400 lock message", 400, "cluster is locked: another operation is in progress"},
		{"503", 503, "service unavailable"},
	} {
		t.Run(lockAnswer.name, func(t *testing.T) {
			rec := newRecorder().
				on("POST "+logExportURL, func(w http.ResponseWriter, _ *http.Request, n int) {
					if n == 1 {
						apiError(w, lockAnswer.status, 9, lockAnswer.msg)
						return
					}
					writeJSON(w, 200, enablingInfo())
				}).
				on("GET "+clusterURL, func(w http.ResponseWriter, _ *http.Request, n int) {
					state := StateLocked
					if n >= 3 {
						state = StateCreated
					}
					writeJSON(w, 200, Cluster{ID: clusterID, Name: "prod", State: state, OperationStatus: OperationLogExportRunning})
				})
			var notices []RetryNotice
			c, _ := newTestClient(t, rec, func(o *Options) {
				o.Retry.LockPoll = 2 * time.Second
				o.OnRetry = func(n RetryNotice) { notices = append(notices, n) }
			})
			info, err := c.EnableLogExport(context.Background(), clusterID, validRequest())
			if err != nil || info.Status != StatusEnabling {
				t.Fatalf("info %+v, err %v", info, err)
			}
			want := []string{"POST " + logExportURL, "GET " + clusterURL, "GET " + clusterURL, "GET " + clusterURL, "POST " + logExportURL}
			if got := rec.requests(); !slices.Equal(got, want) {
				t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if len(notices) != 1 || !notices[0].Locked {
				t.Fatalf("notices = %+v, want one lock notice", notices)
			}
		})
	}
}

func TestLockWaitIsBounded(t *testing.T) {
	rec := newRecorder().
		on("POST "+logExportURL, func(w http.ResponseWriter, _ *http.Request, _ int) {
			apiError(w, 400, 9, "cluster locked")
		}).
		on("GET "+clusterURL, func(w http.ResponseWriter, _ *http.Request, _ int) {
			writeJSON(w, 200, Cluster{ID: clusterID, State: StateLocked})
		})
	c, clock := newTestClient(t, rec, func(o *Options) {
		o.Retry.LockWait = time.Minute
		o.Retry.LockPoll = 5 * time.Second
	})
	start := clock.Now()
	_, err := c.EnableLogExport(context.Background(), clusterID, validRequest())
	if !IsLocked(err) || !strings.Contains(err.Error(), "still locked") {
		t.Fatalf("err = %v, want the lock error and the wait's timeout", err)
	}
	if waited := clock.Now().Sub(start); waited > time.Minute+time.Second {
		t.Fatalf("waited %s, beyond the 1 min LockWait", waited)
	}
	if posts := slices.Index(rec.requests()[1:], "POST "+logExportURL); posts != -1 {
		t.Fatalf("POST re-sent while the cluster was still locked: %v", rec.requests())
	}
}

func TestLockRetriesAreBoundedWhenClusterLooksUnlocked(t *testing.T) {
	rec := newRecorder().
		on("POST "+logExportURL, func(w http.ResponseWriter, _ *http.Request, _ int) {
			apiError(w, 503, 14, "unavailable")
		}).
		on("GET "+clusterURL, func(w http.ResponseWriter, _ *http.Request, _ int) {
			writeJSON(w, 200, Cluster{ID: clusterID, State: StateCreated})
		})
	c, _ := newTestClient(t, rec)
	_, err := c.EnableLogExport(context.Background(), clusterID, validRequest())
	if !IsLocked(err) {
		t.Fatalf("err = %v", err)
	}
	posts := 0
	for _, r := range rec.requests() {
		if strings.HasPrefix(r, "POST") {
			posts++
		}
	}
	if posts != maxLockRetries+1 {
		t.Fatalf("%d POSTs, want %d", posts, maxLockRetries+1)
	}
}

func TestNotRetried(t *testing.T) {
	tests := []struct {
		name, route string
		status      int
		call        func(*Client) error
	}{
		{"400 validation on POST", "POST " + logExportURL, 400, func(c *Client) error {
			_, err := c.EnableLogExport(context.Background(), clusterID, validRequest())
			return err
		}},
		{"401 on GET", "GET /api/v1/organization", 401, func(c *Client) error {
			_, err := c.Organization(context.Background())
			return err
		}},
		{"403 on GET", "GET " + clusterURL, 403, func(c *Client) error {
			_, err := c.Cluster(context.Background(), clusterID)
			return err
		}},
		{"403 on DELETE", "DELETE " + logExportURL, 403, func(c *Client) error {
			_, err := c.DeleteLogExport(context.Background(), clusterID)
			return err
		}},
		{"400 on GET", "GET /api/v1/organization", 400, func(c *Client) error {
			_, err := c.Organization(context.Background())
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder().on(tt.route, func(w http.ResponseWriter, _ *http.Request, _ int) {
				apiError(w, tt.status, 3, "invalid channel: DEV is not exportable")
			})
			c, _ := newTestClient(t, rec)
			err := tt.call(c)
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.HTTPStatus != tt.status {
				t.Fatalf("err = %v", err)
			}
			if n := len(rec.requests()); n != 1 {
				t.Fatalf("%d requests, want 1", n)
			}
		})
	}
}

func TestTransportErrorsRetriedForGetOnly(t *testing.T) {
	// A server that closes connections without answering.
	rec := newRecorder()
	hijack := func(w http.ResponseWriter, _ *http.Request, _ int) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	rec.on("GET /api/v1/organization", hijack).on("POST "+logExportURL, hijack)
	c, _ := newTestClient(t, rec)
	if _, err := c.Organization(context.Background()); err == nil {
		t.Fatal("no error from a server that hangs up")
	}
	gets := len(rec.requests())
	if _, err := c.EnableLogExport(context.Background(), clusterID, validRequest()); err == nil {
		t.Fatal("no error from a server that hangs up")
	}
	if gets != 5 || len(rec.requests())-gets != 1 {
		t.Fatalf("GET sent %d times (want 5), POST %d times (want 1)", gets, len(rec.requests())-gets)
	}
}

func TestRetryWaitHonoursContext(t *testing.T) {
	rec := newRecorder().on("GET /api/v1/organization", func(w http.ResponseWriter, _ *http.Request, _ int) {
		apiError(w, 503, 14, "unavailable")
	})
	clock := newFakeClock(false)
	c, _ := newTestClient(t, rec, func(o *Options) { o.Clock = clock })
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Organization(ctx)
		errc <- err
	}()
	for clock.Waiters() == 0 {
		time.Sleep(10 * time.Microsecond)
	}
	cancel()
	err := <-errc
	if err == nil || len(rec.requests()) != 1 {
		t.Fatalf("err %v after %d requests; want the call to stop at cancellation", err, len(rec.requests()))
	}
}

func TestDebugTraceRedactsKey(t *testing.T) {
	rec := newRecorder().
		on("GET /api/v1/organization", func(w http.ResponseWriter, r *http.Request, _ int) {
			// A hostile or broken server echoing the credentials back.
			w.Header().Set("X-Echo", r.Header.Get("Authorization"))
			w.Header().Set("Set-Cookie", "session="+testKey)
			writeJSON(w, 200, map[string]any{"id": "org", "name": "acme", "label": r.Header.Get("Authorization")})
		}).
		on("POST "+logExportURL, func(w http.ResponseWriter, r *http.Request, _ int) {
			apiError(w, 400, 3, "bad auth_principal; you sent "+r.Header.Get("Authorization"))
		})
	var debug bytes.Buffer
	c, _ := newTestClient(t, rec, func(o *Options) { o.Debug = &debug })
	if _, err := c.Organization(context.Background()); err != nil {
		t.Fatal(err)
	}
	req := validRequest()
	req.AuthPrincipal = "arn:aws:iam::111122223333:role/" + testKey // echoed in the body
	_, err := c.EnableLogExport(context.Background(), clusterID, req)
	if err == nil || strings.Contains(err.Error(), testKey) {
		t.Fatalf("err = %v; want an error without the key", err)
	}
	out := debug.String()
	if strings.Contains(out, testKey) {
		t.Fatalf("debug output contains the API key:\n%s", out)
	}
	for _, want := range []string{
		"--> GET " + c.BaseURL() + "/api/v1/organization",
		"Authorization: Bearer [REDACTED]",
		"Cc-Version: 2024-09-16",
		"<-- 200 OK GET /api/v1/organization (",
		"<-- 400 Bad Request POST " + logExportURL,
		`"message":"bad auth_principal; you sent Bearer [REDACTED]"`,
		"Set-Cookie: [REDACTED]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("debug output lacks %q:\n%s", want, out)
		}
	}
}

func TestDebugTraceTruncatesBodies(t *testing.T) {
	rec := newRecorder().on("GET /api/v1/organization", func(w http.ResponseWriter, _ *http.Request, _ int) {
		writeJSON(w, 200, map[string]any{"id": "org", "label": strings.Repeat("x", 10000)})
	})
	var debug bytes.Buffer
	c, _ := newTestClient(t, rec, func(o *Options) { o.Debug = &debug })
	if _, err := c.Organization(context.Background()); err != nil {
		t.Fatal(err)
	}
	if debug.Len() > 4000 || !strings.Contains(debug.String(), "bytes in all)") {
		t.Fatalf("debug output is %d bytes; want a truncated body that says so", debug.Len())
	}
}

func TestUndecodableSuccessIsAnError(t *testing.T) {
	rec := newRecorder().on("GET /api/v1/organization", func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(200)
		_, _ = io.WriteString(w, "<html>captive portal</html>")
	})
	c, _ := newTestClient(t, rec)
	_, err := c.Organization(context.Background())
	if err == nil || !strings.Contains(err.Error(), "captive portal") || len(rec.requests()) != 1 {
		t.Fatalf("err = %v after %d requests", err, len(rec.requests()))
	}
}

func TestServerTextCannotDriveTheTerminal(t *testing.T) {
	rec := newRecorder().on("GET /api/v1/organization", func(w http.ResponseWriter, _ *http.Request, _ int) {
		// (Go's client already refuses control characters in headers.)
		w.WriteHeader(400)
		_, _ = io.WriteString(w, "bad\x1b[2J\x1b[31mrequest\x07\r\nline two")
	})
	var debug bytes.Buffer
	c, _ := newTestClient(t, rec, func(o *Options) { o.Debug = &debug })
	_, err := c.Organization(context.Background())
	if err == nil || strings.ContainsAny(err.Error(), "\x1b\x07\r") {
		t.Fatalf("err = %q", err)
	}
	if strings.ContainsAny(debug.String(), "\x1b\x07\r") {
		t.Fatalf("debug output carries control characters: %q", debug.String())
	}
	if !strings.Contains(debug.String(), "line two") {
		t.Fatalf("debug output lost the body: %q", debug.String())
	}
}
