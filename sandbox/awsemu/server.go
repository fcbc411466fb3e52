package awsemu

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// DefaultAccountID is the AWS account every sandbox resource lives in.
const DefaultAccountID = "314159265358"

// callerUserName is the IAM user every request is attributed to: the
// emulator does not check credentials, so every caller is the same admin.
const callerUserName = "sandbox-admin"

// defaultRegion is used when a request carries no credential scope region
// (a presigned or hand-made request).
const defaultRegion = "us-east-1"

// Options configure a Server. The zero value is usable.
type Options struct {
	AccountID string           // default DefaultAccountID
	Controls  *knobs.Controls  // nil → knobs.New()
	Now       func() time.Time // nil → time.Now
	// LogsQuotas are CloudWatch Logs' requests per second per region, by
	// operation name; nil means AWS's published ones (DefaultLogsQuotas),
	// an empty map none.
	LogsQuotas map[string]float64
}

// Server is the AWS emulator. It is safe for concurrent use.
type Server struct {
	accountID string
	controls  *knobs.Controls
	now       func() time.Time
	admin     knobs.Admin
	quotas    *quotas
	// logsQuotas are the quotas a reset restores.
	logsQuotas map[string]float64

	mu   sync.Mutex
	iam  *iamState
	logs map[string]*logRegion // by region
	// idSeq feeds generated IDs. Reset does not rewind it, so a role
	// recreated after a reset gets a new RoleId, as it would in AWS.
	idSeq uint64
	// eventSeq numbers log events for FilterLogEvents' eventId.
	eventSeq uint64
	// reqSeq numbers request IDs, which makes them predictable in tests.
	reqSeq uint64
}

// New returns an emulator with empty state.
func New(opts Options) *Server {
	s := &Server{
		accountID:  opts.AccountID,
		controls:   opts.Controls,
		now:        opts.Now,
		quotas:     newQuotas(opts.LogsQuotas),
		logsQuotas: opts.LogsQuotas,
	}
	if s.accountID == "" {
		s.accountID = DefaultAccountID
	}
	if s.controls == nil {
		s.controls = knobs.New()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.admin = knobs.Admin{
		Controls: s.controls,
		OnReset:  s.Reset,
		Extra: map[string]http.Handler{
			"/_sandbox/state":  http.HandlerFunc(s.serveState),
			"/_sandbox/quotas": http.HandlerFunc(s.serveQuotas),
		},
	}
	s.resetLocked()
	return s
}

// AccountID returns the account every resource lives in.
func (s *Server) AccountID() string { return s.accountID }

// Controls returns the latency, fault and counter controls.
func (s *Server) Controls() *knobs.Controls { return s.controls }

// Reset drops every role, policy, log group and event, and restores the
// CloudWatch Logs quotas of the options. Controls and the ID sequence are
// kept.
func (s *Server) Reset() {
	s.quotas.reset(s.logsQuotas)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

func (s *Server) resetLocked() {
	s.iam = newIAMState()
	s.logs = map[string]*logRegion{}
}

// ServeHTTP routes a request: /_sandbox/ to the admin endpoints, requests
// with X-Amz-Target to CloudWatch Logs, everything else to IAM or STS.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if knobs.IsAdminPath(r.URL.Path) {
		s.admin.ServeHTTP(w, r)
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		s.serveJSON(w, r, target)
		return
	}
	s.serveQuery(w, r)
}

// run applies the controls around one call to op: latency, then an injected
// fault (rendered by fail) or the real work (handle); the answer is counted.
// A call whose client went away meanwhile — which is how a hanging fault
// ends — is abandoned without an answer.
func (s *Server) run(w http.ResponseWriter, r *http.Request, op string, fail func(http.ResponseWriter, *apiError), handle func(http.ResponseWriter)) {
	sw := &knobs.StatusWriter{ResponseWriter: w}
	f, faulted := s.controls.Begin(r.Context(), op)
	if r.Context().Err() != nil {
		return
	}
	if faulted {
		fail(sw, faultError(op, f, s.callerARN()))
	} else {
		handle(sw)
	}
	s.controls.Record(op, sw.Status)
}

func (s *Server) nextRequestID() string {
	s.mu.Lock()
	s.reqSeq++
	n := s.reqSeq
	s.mu.Unlock()
	return fmt.Sprintf("5a4db0c0-0000-4000-8000-%012x", n)
}

// newIDLocked returns an AWS-style unique ID: a four-letter prefix saying
// what it names (AROA role, ANPA policy, AIDA user) and 17 characters.
func (s *Server) newIDLocked(prefix string) string {
	s.idSeq++
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%s/%d", s.accountID, prefix, s.idSeq))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

func (s *Server) callerARN() string {
	return "arn:aws:iam::" + s.accountID + ":user/" + callerUserName
}

// callerUserID is stable for an account, like a real IAM user's ID.
func (s *Server) callerUserID() string {
	sum := sha256.Sum256([]byte(s.accountID + "/" + callerUserName))
	return "AIDA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// isoTime formats a time the way IAM and STS do.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// epochMillis is how CloudWatch Logs writes times.
func epochMillis(t time.Time) int64 { return t.UnixMilli() }
