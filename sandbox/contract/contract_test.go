package contract

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// recordingTB captures the violations Wrap reports instead of failing.
type recordingTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recordingTB) violations() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

func jsonHandler(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

const validOrg = `{"id":"3b0ad4f5-1b8f-4f3c-9d34-6f1c2f4c2a11","label":"acme","name":"Acme","created_at":"2023-01-02T03:04:05Z"}`

// cluster returns a Cluster document with every required field; extra is
// spliced in before the closing brace.
func cluster(extra string) string {
	return `{"id":"c1","name":"prod","cockroach_version":"v24.3.1","upgrade_status":"FINALIZED","plan":"ADVANCED",
"cloud_provider":"AWS","state":"CREATED","creator_id":"u1","operation_status":"UNSPECIFIED",
"config":{"dedicated":{"machine_type":"m6i.xlarge","num_virtual_cpus":4,"storage_gib":150,"memory_gib":16,"disk_iops":3000}},
"regions":[{"name":"us-east-1","sql_dns":"a","ui_dns":"b","node_count":3,"internal_dns":"c","private_endpoint_dns":""}],
"cidr_range":"","labels":{},"is_customer_cloud_account":false` + extra + `}`
}

func exchange(t *testing.T, h http.Handler, method, path, auth, body string) *http.Response {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp
}

func TestWrapCatchesViolations(t *testing.T) {
	cases := []struct {
		name    string
		handler http.Handler
		method  string
		path    string
		auth    string
		body    string
		opts    []Option
		want    string // substring of the one expected violation; "" for none
	}{
		{name: "conforming organization", handler: jsonHandler(200, validOrg),
			method: "GET", path: "/api/v1/organization", auth: "Bearer k"},
		{name: "wrong type in response", handler: jsonHandler(200, `{"id":"o","label":"l","name":7,"created_at":"2023-01-02T03:04:05Z"}`),
			method: "GET", path: "/api/v1/organization", auth: "Bearer k", want: "response violates"},
		{name: "missing required response field", handler: jsonHandler(200, `{"id":"o","label":"l","name":"n"}`),
			method: "GET", path: "/api/v1/organization", auth: "Bearer k", want: "created_at"},
		{name: "bad enum in cluster", handler: jsonHandler(200, strings.Replace(cluster(""), `"plan":"ADVANCED"`, `"plan":"DEDICATED"`, 1)),
			method: "GET", path: "/api/v1/clusters/c1", auth: "Bearer k", want: "plan"},
		{name: "extra keychain_config is allowed", handler: jsonHandler(200, cluster(`,"keychain_config":{"aws_account_id":"161803398874"}`)),
			method: "GET", path: "/api/v1/clusters/c1", auth: "Bearer k"},
		{name: "error body on default response", handler: jsonHandler(429, `{"code":"eight","message":"rate limit exceeded","details":[]}`),
			method: "GET", path: "/api/v1/organization", auth: "Bearer k", want: "code"},
		{name: "missing bearer is a request violation", handler: jsonHandler(200, validOrg),
			method: "GET", path: "/api/v1/organization", want: "request violates"},
		{name: "missing required body field", handler: jsonHandler(200, `{"cluster_id":"c1","status":"ENABLING"}`),
			method: "POST", path: "/api/v1/clusters/c1/logexport", auth: "Bearer k", body: `{"type":"AWS_CLOUDWATCH","log_name":"x"}`, want: "auth_principal"},
		{name: "unknown path", handler: jsonHandler(404, `{"code":5,"message":"Not Found","details":[]}`),
			method: "GET", path: "/api/v1/nothing-here", auth: "Bearer k", want: "no such operation"},
		{name: "lenient: invalid request answered 401", handler: jsonHandler(401, `{"code":16,"message":"unauthenticated","details":[]}`),
			method: "GET", path: "/api/v1/organization", opts: []Option{AllowInvalidRequests()}},
		{name: "lenient: invalid request answered 200", handler: jsonHandler(200, validOrg),
			method: "GET", path: "/api/v1/organization", opts: []Option{AllowInvalidRequests()}, want: "instead of a 4xx"},
		{name: "lenient: still checks the response", handler: jsonHandler(200, `{"id":1}`),
			method: "GET", path: "/api/v1/organization", auth: "Bearer k", opts: []Option{AllowInvalidRequests()}, want: "response violates"},
		{name: "admin paths are not checked", handler: jsonHandler(200, `not json`),
			method: "GET", path: "/_sandbox/stats"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingTB{TB: t}
			h := Wrap(rec, tc.handler, tc.opts...)
			exchange(t, h, tc.method, tc.path, tc.auth, tc.body)
			got := rec.violations()
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("unexpected violations: %q", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Fatalf("violations = %q, want exactly one containing %q", got, tc.want)
			}
			if !strings.Contains(got[0], tc.method+" "+tc.path) {
				t.Errorf("violation %q does not name %s %s", got[0], tc.method, tc.path)
			}
		})
	}
}

func TestWrapPassesExchangeThrough(t *testing.T) {
	var gotBody string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cc-Version", "2024-09-16")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"cluster_id":"c1","status":"ENABLING"}`)
	})
	srv := httptest.NewServer(Wrap(t, h))
	defer srv.Close()
	body := `{"type":"AWS_CLOUDWATCH","log_name":"crdb","auth_principal":"arn:aws:iam::314159265358:role/R"}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/clusters/c1/logexport", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer k")
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if gotBody != body {
		t.Errorf("handler saw body %q, want %q", gotBody, body)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Cc-Version") != "2024-09-16" || !strings.Contains(string(out), "ENABLING") {
		t.Errorf("client saw %d %q %q", resp.StatusCode, resp.Header.Get("Cc-Version"), out)
	}
}

func TestSpecPathFromEnv(t *testing.T) {
	t.Setenv(EnvSpecPath, "/nonexistent/openapi.json")
	if _, err := SpecPath(); err == nil || !strings.Contains(err.Error(), EnvSpecPath) {
		t.Fatalf("SpecPath with a missing override = %v, want an error naming %s", err, EnvSpecPath)
	}
}
