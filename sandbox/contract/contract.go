package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// EnvSpecPath names the environment variable that overrides where the
// OpenAPI document is read from.
const EnvSpecPath = "CRDB_LOGEXPORT_OPENAPI"

// specRelPath is where the document sits relative to some ancestor of the
// working directory (the repository's sibling ../shared).
var specRelPath = filepath.Join("shared", "reference", "openapi.json")

// SpecPath locates the OpenAPI document: $CRDB_LOGEXPORT_OPENAPI if set,
// else the nearest ancestor of the working directory containing
// shared/reference/openapi.json.
func SpecPath() (string, error) {
	if p := os.Getenv(EnvSpecPath); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvSpecPath, p, err)
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, specRelPath)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no %s in any parent directory of the working directory; set %s", specRelPath, EnvSpecPath)
		}
		dir = parent
	}
}

type loaded struct {
	router routers.Router
	err    error
}

var (
	cacheMu sync.Mutex
	cache   = map[string]*loaded{}
)

// routerFor loads and routes the document once per process: it is large and
// every test of every package would otherwise parse it again.
func routerFor(path string) (routers.Router, error) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if l, ok := cache[path]; ok {
		return l.router, l.err
	}
	l := &loaded{}
	cache[path] = l
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		l.err = fmt.Errorf("load %s: %w", path, err)
		return nil, l.err
	}
	// The document's server is https://cockroachlabs.cloud; a relative "/"
	// server makes routes match on path alone, whatever host the test
	// server listens on. doc.Validate is not called: it rejects two
	// unrelated "restores" paths that differ only in a parameter name.
	doc.Servers = openapi3.Servers{{URL: "/"}}
	l.router, l.err = gorillamux.NewRouter(doc)
	if l.err != nil {
		l.err = fmt.Errorf("route %s: %w", path, l.err)
	}
	return l.router, l.err
}

// Option changes what Wrap accepts.
type Option func(*config)

type config struct {
	allowInvalidRequests bool
}

// AllowInvalidRequests is for tests that send requests the specification
// forbids on purpose (no credentials, missing required fields, unknown
// paths): such a request is not a violation as long as it is answered with
// a 4xx status. Requests that conform are still held to the full contract.
func AllowInvalidRequests() Option {
	return func(c *config) { c.allowInvalidRequests = true }
}

// Wrap returns a handler that passes every exchange to h and checks it
// against the specification. Requests under /_sandbox/ (emulator admin) are
// passed through unchecked.
func Wrap(t testing.TB, h http.Handler, opts ...Option) http.Handler {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	path, err := SpecPath()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("contract: OpenAPI spec not found: %v", err)
		}
		t.Skipf("contract: OpenAPI spec not found, skipping: %v", err)
	}
	router, err := routerFor(path)
	if err != nil {
		t.Fatalf("contract: %v", err)
	}
	return &validator{t: t, next: h, router: router, cfg: cfg}
}

type validator struct {
	t      testing.TB
	next   http.Handler
	router routers.Router
	cfg    config
}

func (v *validator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		v.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		v.t.Errorf("contract: %s %s: reading request body: %v", r.Method, r.URL.Path, err)
		return
	}
	_ = r.Body.Close()

	route, params, routeErr := v.router.FindRoute(r)
	var reqInput *openapi3filter.RequestValidationInput
	var reqErr error
	if routeErr != nil {
		reqErr = fmt.Errorf("no such operation in the specification: %w", routeErr)
	} else {
		// The validator reads its own copy of the request.
		vr := r.Clone(r.Context())
		vr.Body = io.NopCloser(bytes.NewReader(body))
		reqInput = &openapi3filter.RequestValidationInput{
			Request:    vr,
			PathParams: params,
			Route:      route,
			Options:    options(),
		}
		reqErr = openapi3filter.ValidateRequest(r.Context(), reqInput)
	}
	if reqErr != nil && !v.cfg.allowInvalidRequests {
		v.t.Errorf("contract: %s %s: request violates the OpenAPI spec: %v", r.Method, r.URL.Path, reqErr)
	}

	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &recorder{header: http.Header{}}
	v.next.ServeHTTP(rec, r)
	rec.copyTo(w)

	if rec.status == 0 && r.Context().Err() != nil {
		// The client gave up before the handler answered (a hanging call):
		// there is no response to check.
		return
	}
	status := rec.statusOrOK()
	if reqErr != nil && v.cfg.allowInvalidRequests && (status < 400 || status > 499) {
		v.t.Errorf("contract: %s %s: request violates the OpenAPI spec (%v) but was answered %d instead of a 4xx error", r.Method, r.URL.Path, reqErr, status)
	}
	if reqInput == nil {
		return
	}
	respInput := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqInput,
		Status:                 status,
		Header:                 rec.header,
		Options:                options(),
	}
	respInput.SetBodyBytes(rec.body.Bytes())
	if err := openapi3filter.ValidateResponse(r.Context(), respInput); err != nil {
		v.t.Errorf("contract: %s %s: %d response violates the OpenAPI spec: %v", r.Method, r.URL.Path, status, err)
	}
}

func options() *openapi3filter.Options {
	o := &openapi3filter.Options{
		AuthenticationFunc:  bearerPresent,
		SkipSettingDefaults: true,
		MultiError:          false,
	}
	// Schema errors otherwise print the whole schema and value, which for a
	// cluster list is pages of JSON; the pointer and reason say what is wrong.
	o.WithCustomSchemaErrorFunc(func(e *openapi3.SchemaError) string {
		return fmt.Sprintf("at /%s: %s", strings.Join(e.JSONPointer(), "/"), e.Reason)
	})
	return o
}

// bearerPresent implements the document's only security scheme (HTTP
// bearer): the header must carry a non-empty bearer token. Whether the key
// is accepted is the server's business, not the contract's.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errors.New("missing Authorization: Bearer <API key> header")
	}
	return nil
}

// recorder buffers a response so it can be validated before it is sent on.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) statusOrOK() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

func (r *recorder) copyTo(w http.ResponseWriter) {
	for k, vs := range r.header {
		w.Header()[k] = vs
	}
	if r.status == 0 && r.body.Len() == 0 {
		return
	}
	w.WriteHeader(r.statusOrOK())
	_, _ = w.Write(r.body.Bytes())
}
