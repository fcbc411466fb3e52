package cloudapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// An https endpoint that redirects to plain http on the same host must not
// receive a second request: following it would send the key in the clear.
func TestRedirectIsNeverFollowed(t *testing.T) {
	var plain atomic.Int32
	var plainKey atomic.Value
	insecure := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plain.Add(1)
		plainKey.Store(r.Header.Get("Authorization"))
		writeJSON(w, 200, map[string]any{"id": "org", "name": "acme"})
	}))
	defer insecure.Close()
	for _, status := range []int{301, 302, 307, 308} {
		tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", insecure.URL+r.URL.Path)
			w.WriteHeader(status)
		}))
		c, err := New(Options{BaseURL: tls.URL, APIKey: testKey, HTTPClient: tls.Client(), Clock: newFakeClock(true)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Organization(context.Background())
		tls.Close()
		var re *RedirectError
		if !errors.As(err, &re) {
			t.Fatalf("%d: err = %v, want a RedirectError", status, err)
		}
		if re.HTTPStatus != status || !strings.Contains(err.Error(), insecure.URL+"/api/v1/organization") || !strings.Contains(err.Error(), "COCKROACH_SERVER") {
			t.Errorf("%d: the error does not name the status, the Location and the fix: %v", status, err)
		}
	}
	if n := plain.Load(); n != 0 {
		t.Fatalf("the plain-http endpoint received %d requests (key %q)", n, plainKey.Load())
	}
}

// A client the caller supplies is copied, not changed, and still refuses
// to follow redirects.
func TestSuppliedHTTPClientIsNotFollowingRedirects(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the redirect was followed to %s", r.URL)
	}))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	supplied := &http.Client{}
	c, err := New(Options{BaseURL: srv.URL, APIKey: testKey, HTTPClient: supplied, Clock: newFakeClock(true)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Organization(context.Background()); err == nil {
		t.Fatal("a redirect was taken for an answer")
	}
	if supplied.CheckRedirect != nil || supplied.Timeout != 0 {
		t.Fatal("the caller's client was modified")
	}
}

func TestRedactCatchesPrefixesAndCase(t *testing.T) {
	key := testKey
	for _, tc := range []struct{ in, want string }{
		{"key " + key + " refused", "key [REDACTED] refused"},
		{"key " + strings.ToLower(key) + " refused", "key [REDACTED] refused"},
		{"key " + strings.ToUpper(key) + "!", "key [REDACTED]!"},
		{"invalid key " + key[:12] + "…", "invalid key [REDACTED]…"},
		{"invalid key " + strings.ToLower(key[:9]), "invalid key [REDACTED]"},
		{"twice: " + key + "," + key[:10], "twice: [REDACTED],[REDACTED]"},
		// Shorter runs of the key's start are common words, not the key.
		{"CCDB1_ is the prefix of every key", "CCDB1_ is the prefix of every key"},
		{"nothing here", "nothing here"},
	} {
		if got := redact(tc.in, key); got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := redact("ab", "abc"); got != "ab" {
		t.Errorf("a short secret's partial run was redacted: %q", got)
	}
	if got := redact("xABCx", "abc"); got != "x[REDACTED]x" {
		t.Errorf("a short secret was not redacted whole: %q", got)
	}
}

// A server that echoes the key lower-cased or cut short into its error
// message does not get it shown.
func TestErrorMessagesNeverShowPartsOfTheKey(t *testing.T) {
	rec := newRecorder().on("GET /api/v1/organization", func(w http.ResponseWriter, r *http.Request, _ int) {
		apiError(w, 401, 16, "bad token "+strings.ToLower(testKey)+" (starts "+testKey[:10]+")")
	})
	c, _ := newTestClient(t, rec)
	_, err := c.Organization(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	low := strings.ToLower(err.Error())
	if strings.Contains(low, strings.ToLower(testKey[:8])) {
		t.Fatalf("the error shows part of the key: %v", err)
	}
}

// A server that accepts the connection and never answers fails the call
// after two attempts of AttemptTimeout, naming the call, the host and the
// wait — not after the caller's overall deadline.
func TestHungServerFailsTheCallNamingIt(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := New(Options{BaseURL: srv.URL, APIKey: testKey, AttemptTimeout: 200 * time.Millisecond,
		Retry: RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.LogExport(context.Background(), clusterID)
	took := time.Since(start)
	if err == nil {
		t.Fatal("no error from a server that never answers")
	}
	u, _ := url.Parse(srv.URL)
	for _, want := range []string{"log export", "no answer from " + u.Host, "200ms", "COCKROACH_SERVER"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if n := calls.Load(); n != maxTimeoutAttempts {
		t.Errorf("%d attempts, want %d", n, maxTimeoutAttempts)
	}
	if took > 5*time.Second {
		t.Errorf("the call took %s", took)
	}
}

// When the caller's own deadline ends the call, the error does not blame
// the server.
func TestCallersDeadlineIsNotTheServersTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	c, err := New(Options{BaseURL: srv.URL, APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = c.Organization(ctx)
	if err == nil || strings.Contains(err.Error(), "no answer from") {
		t.Fatalf("err = %v", err)
	}
}

// TestRefusedConnectionNamesTheEndpoint: nobody listening is said at once,
// naming the endpoint and its variable — a read is not repeated for it
// (issue 13: it waited 5 s first).
func TestRefusedConnectionNamesTheEndpoint(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	retries := 0
	c, err := New(Options{BaseURL: addr, APIKey: testKey, OnRetry: func(RetryNotice) { retries++ }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Organization(context.Background())
	u, _ := url.Parse(addr)
	if err == nil || !strings.Contains(err.Error(), "nothing accepts connections at "+u.Host) || !strings.Contains(err.Error(), "COCKROACH_SERVER") {
		t.Fatalf("err = %v", err)
	}
	if !IsUnreachable(err) || retries != 0 {
		t.Fatalf("unreachable=%v after %d retries; want true after none", IsUnreachable(err), retries)
	}
}
