package cloudapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options configure a Client. Only APIKey is required.
type Options struct {
	// BaseURL is the API endpoint; DefaultBaseURL when empty. Plain http is
	// accepted only for loopback hosts (the sandbox): anything else would
	// send the key in clear.
	BaseURL string
	// APIKey is the service account key sent as a bearer token. It never
	// appears in errors or debug output.
	APIKey string
	// HTTPClient sends the requests; a new client when nil. Either way the
	// client never follows a redirect (the key would go with it), and
	// each attempt is bounded by AttemptTimeout.
	HTTPClient *http.Client
	// AttemptTimeout bounds one HTTP attempt, from sending the request to
	// reading the whole answer (DefaultAttemptTimeout when 0): a server
	// that stops answering fails the call, naming it, instead of holding
	// the run until its overall deadline.
	AttemptTimeout time.Duration
	// Debug, when set, receives a trace of every HTTP exchange (method,
	// URL, status, duration, headers, truncated bodies) with the key
	// redacted.
	Debug io.Writer
	// UserAgent identifies the caller, e.g. "crdb-logexport/1.2.0";
	// "crdb-logexport" when empty.
	UserAgent string
	// Limiter spaces requests; a new NewLimiter(DefaultRate, Clock) when
	// nil. Pass the same Limiter to every Client using the same key.
	Limiter *Limiter
	// Clock is the time source for retries and lock waits; the system clock
	// when nil.
	Clock Clock
	// Retry bounds retries; zero fields take the defaults described there.
	Retry RetryPolicy
	// OnRetry, when set, is told before each wait between attempts, so an
	// interface can say why nothing is happening ("cluster locked, waiting").
	// It is called from the goroutine making the call.
	OnRetry func(RetryNotice)
}

// RetryPolicy bounds how a Client retries. What is retried is fixed:
// reads (GET) on rate limiting, 5xx and transport errors; changes (POST,
// DELETE) only when the server refused them without applying them — rate
// limited, or the cluster locked by another operation. Nothing else is
// retried: not validation errors (400), not 401/403, not a change whose
// outcome is unknown.
type RetryPolicy struct {
	// MaxAttempts per call, the first included (default 5). Lock waits do
	// not count: they are bounded by LockWait.
	MaxAttempts int
	// MaxElapsed is the most one call spends retrying (default 2 min).
	MaxElapsed time.Duration
	// BaseDelay is the first backoff; it doubles per attempt up to MaxDelay
	// (defaults 500 ms and 10 s). A server's Retry-After is always honoured
	// as a minimum.
	BaseDelay, MaxDelay time.Duration
	// LockWait is the longest a change waits for a locked cluster to become
	// CREATED again (default 20 min; export jobs take minutes), polling
	// GET cluster every LockPoll (default 5 s).
	LockWait, LockPoll time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	set := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	set(&p.MaxElapsed, 2*time.Minute)
	set(&p.BaseDelay, 500*time.Millisecond)
	set(&p.MaxDelay, 10*time.Second)
	set(&p.LockWait, 20*time.Minute)
	set(&p.LockPoll, 5*time.Second)
	return p
}

// maxTimeoutAttempts bounds the attempts of a read that keeps timing out.
const maxTimeoutAttempts = 2

// maxLockRetries bounds how often one change is re-sent after lock errors,
// so a server answering 503 for another reason cannot keep it looping.
const maxLockRetries = 5

// RetryNotice describes a wait before the next attempt of a call.
type RetryNotice struct {
	Op      string
	Attempt int   // the attempt that failed, from 1
	Err     error // why it failed
	Wait    time.Duration
	// Locked is true while a change waits for the cluster lock to clear;
	// Wait is then the polling interval.
	Locked bool
}

// Client calls the CockroachDB Cloud API. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	key       string
	http      *http.Client
	userAgent string
	limiter   *Limiter
	clock     Clock
	retry     RetryPolicy
	onRetry   func(RetryNotice)

	debug   io.Writer
	debugMu sync.Mutex
}

// New validates the options and returns a Client.
func New(opts Options) (*Client, error) {
	if opts.APIKey == "" {
		return nil, errors.New("cloudapi: no API key: create a service account key in the CockroachDB Cloud console")
	}
	if strings.ContainsFunc(opts.APIKey, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		// Do not echo the value: it is a secret even when malformed.
		return nil, errors.New("cloudapi: the API key contains spaces or control characters; check how it was copied")
	}
	raw := opts.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := parseBaseURL(raw)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:      base,
		key:       opts.APIKey,
		http:      noRedirects(opts.HTTPClient, opts.AttemptTimeout),
		userAgent: opts.UserAgent,
		limiter:   opts.Limiter,
		clock:     opts.Clock,
		retry:     opts.Retry.withDefaults(),
		onRetry:   opts.OnRetry,
		debug:     opts.Debug,
	}
	if c.userAgent == "" {
		c.userAgent = "crdb-logexport"
	}
	if c.clock == nil {
		c.clock = SystemClock()
	}
	if c.limiter == nil {
		c.limiter = NewLimiter(DefaultRate, c.clock)
	}
	return c, nil
}

// DefaultAttemptTimeout bounds one HTTP attempt when Options.AttemptTimeout
// is 0.
const DefaultAttemptTimeout = 30 * time.Second

// noRedirects returns a copy of hc (a new client when nil) that hands
// every redirect back instead of following it, with each attempt bounded
// by timeout (DefaultAttemptTimeout when 0, hc's own when shorter).
func noRedirects(hc *http.Client, timeout time.Duration) *http.Client {
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	if timeout <= 0 {
		timeout = DefaultAttemptTimeout
	}
	if c.Timeout <= 0 || c.Timeout > timeout {
		c.Timeout = timeout
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("cloudapi: base URL %q must look like https://cockroachlabs.cloud", shownURL(raw))
	}
	// An empty query ("?") or fragment ("#") is one too: url.URL drops
	// the "#" of an empty fragment, so the URL would not read back the same.
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, fmt.Errorf("cloudapi: base URL %q must not carry credentials, a query or a fragment", u.Redacted())
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("cloudapi: base URL %q uses plain http, which would send the API key unencrypted; use https (plain http is only accepted for loopback addresses)", shownURL(raw))
	}
	return u, nil
}

// shownURL is a base URL as an error may show it: a password in it is
// masked, also when the URL is too malformed for url.Parse.
func shownURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return raw
	}
	user, _, hasPassword := strings.Cut(authority[:at], ":")
	if !hasPassword {
		return raw
	}
	return scheme + "://" + user + ":xxxxx@" + authority[at+1:] + tail
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// BaseURL is the endpoint the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// call is one API operation.
type call struct {
	op     string // for errors: "enable log export"
	method string
	path   string
	query  url.Values
	body   any
	// cluster is the cluster a change applies to, polled when the change
	// is refused because the cluster is locked.
	cluster string
}

func (k call) idempotent() bool { return k.method == http.MethodGet }

// do runs a call with the retry rules of RetryPolicy and decodes a 2xx
// body into out (when out is not nil).
func (c *Client) do(ctx context.Context, k call, out any) error {
	var body []byte
	if k.body != nil {
		var err error
		if body, err = json.Marshal(k.body); err != nil {
			return fmt.Errorf("%s: encoding request: %w", k.op, err)
		}
	}
	start := c.clock.Now()
	var lockDeadline time.Time
	// sent counts every attempt; failures only those the transient-error
	// budget applies to (lock waits are bounded on their own).
	sent, failures, lockRetries := 0, 0, 0
	for {
		sent++
		err := c.once(ctx, k, body, out)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		apiErr, isAPI := asAPIError(err)
		limited := IsRateLimited(err)
		if limited {
			// Hold back every goroutine sharing the limiter, not just
			// this one: the server's bucket is shared by all of them.
			// Without a Retry-After, a second lets a drained bucket refill.
			c.limiter.Pause(max(apiErr.RetryAfter, time.Second))
		}
		switch {
		case limited || (k.idempotent() && retryableRead(err, isAPI, apiErr)):
			failures++
			if isTimeout(err) && failures >= maxTimeoutAttempts {
				// A server that did not answer in time once may be slow;
				// twice, it is hanging: say so now rather than after
				// MaxAttempts full timeouts.
				return err
			}
			wait := c.backoff(failures)
			if isAPI {
				wait = max(wait, apiErr.RetryAfter)
			}
			if failures >= c.retry.MaxAttempts || c.clock.Now().Add(wait).Sub(start) > c.retry.MaxElapsed {
				return err
			}
			c.notify(RetryNotice{Op: k.op, Attempt: sent, Err: err, Wait: wait})
			if sleep(ctx, c.clock, wait) != nil {
				return err
			}
		case !k.idempotent() && k.cluster != "" && IsLocked(err):
			lockRetries++
			if lockRetries > maxLockRetries {
				return err
			}
			if lockDeadline.IsZero() {
				lockDeadline = c.clock.Now().Add(c.retry.LockWait)
			}
			c.notify(RetryNotice{Op: k.op, Attempt: sent, Err: err, Wait: c.retry.LockPoll, Locked: true})
			if werr := c.waitUnlocked(ctx, k.cluster, lockDeadline); werr != nil {
				return fmt.Errorf("%w; %w", err, werr)
			}
		default:
			return err
		}
	}
}

// retryableRead reports whether a failed read may be repeated: 5xx
// answers and transport failures, except certificate errors and an
// endpoint where nobody listens, which fail the same way every time.
func retryableRead(err error, isAPI bool, apiErr *APIError) bool {
	if isAPI {
		return apiErr.HTTPStatus >= 500
	}
	var certErr *tls.CertificateVerificationError
	return !errors.As(err, &certErr) && !errors.Is(err, errDecode) && !IsUnreachable(err)
}

// backoff is the wait after a failed attempt: BaseDelay doubled per
// attempt, capped at MaxDelay, with the upper half jittered so that many
// goroutines failing together do not retry together.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.retry.BaseDelay
	for i := 1; i < attempt && d < c.retry.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, c.retry.MaxDelay)
	return d/2 + rand.N(d/2+1)
}

// waitUnlocked polls the cluster every LockPoll until it is no longer
// LOCKED, or the deadline passes.
func (c *Client) waitUnlocked(ctx context.Context, clusterID string, deadline time.Time) error {
	for {
		if c.clock.Now().Add(c.retry.LockPoll).After(deadline) {
			return fmt.Errorf("cluster %s still locked after waiting %s", clusterID, c.retry.LockWait)
		}
		if err := sleep(ctx, c.clock, c.retry.LockPoll); err != nil {
			return err
		}
		cl, err := c.Cluster(ctx, clusterID)
		if err != nil {
			return fmt.Errorf("checking whether the cluster is still locked: %w", err)
		}
		switch cl.State {
		case StateLocked:
			continue
		case StateCreated:
			return nil
		default:
			return fmt.Errorf("cluster %s is %s", clusterID, cl.State)
		}
	}
}

func (c *Client) notify(n RetryNotice) {
	if c.onRetry != nil {
		c.onRetry(n)
	}
}

// transportError names what went wrong when no answer came: the endpoint
// (and the variable that sets it), and for a timeout how long it waited.
// The underlying error stays reachable for classification.
func (c *Client) transportError(ctx context.Context, op string, err error) error {
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		// The caller's own deadline or interrupt, not the server's fault.
	case errors.As(err, &ne) && ne.Timeout():
		return &AttemptTimeoutError{Op: op, Host: c.base.Host, After: c.http.Timeout, Err: err}
	case errors.Is(err, syscall.ECONNREFUSED), isNoSuchHost(err):
		return &UnreachableError{Op: op, Host: c.base.Host, Err: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func isNoSuchHost(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// UnreachableError is a call that found nobody at the endpoint: the
// connection was refused, or the host name does not exist. Trying again
// at once does not help (a call is not repeated for it): the address is
// wrong, or the server is not running.
type UnreachableError struct {
	Op   string
	Host string
	Err  error
}

func (e *UnreachableError) Error() string {
	if isNoSuchHost(e.Err) {
		return fmt.Sprintf("%s: the host %s does not exist (COCKROACH_SERVER; is the address right?)", e.Op, e.Host)
	}
	return fmt.Sprintf("%s: nothing accepts connections at %s (COCKROACH_SERVER; is the address right?)", e.Op, e.Host)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// IsUnreachable reports whether a call found nobody at the endpoint
// (*UnreachableError).
func IsUnreachable(err error) bool {
	var e *UnreachableError
	return errors.As(err, &e)
}

// isTimeout reports whether a call failed because no answer came in time.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// AttemptTimeoutError is a call the server did not answer within the time
// one attempt may take (Options.AttemptTimeout) — not the caller's own
// deadline, which stays a context error.
type AttemptTimeoutError struct {
	Op    string
	Host  string
	After time.Duration
	Err   error
}

func (e *AttemptTimeoutError) Error() string {
	return fmt.Sprintf("%s: no answer from %s within %s (COCKROACH_SERVER; --request-timeout)", e.Op, e.Host, e.After)
}

// Unwrap keeps the transport error (a *url.Error) reachable, so a watch
// treats the timeout as the passing fault it may be.
func (e *AttemptTimeoutError) Unwrap() error { return e.Err }

// IsAttemptTimeout reports whether err is a call the server did not answer
// within one attempt's time limit.
func IsAttemptTimeout(err error) bool {
	var e *AttemptTimeoutError
	return errors.As(err, &e)
}

// maxResponseBytes bounds how much of an answer is read.
const maxResponseBytes = 32 << 20

// errDecode marks a 2xx answer whose body could not be decoded: the
// server's fault, and retrying will not fix it.
var errDecode = errors.New("unexpected response body")

// once sends one attempt of a call.
func (c *Client) once(ctx context.Context, k call, body []byte, out any) error {
	u := c.base.JoinPath(k.path)
	u.RawQuery = k.query.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("%s: %w", k.op, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Cc-Version", APIVersion)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	if err := c.limiter.Wait(ctx); err != nil {
		return fmt.Errorf("%s: %w", k.op, err)
	}
	sent := c.clock.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.trace(req, body, nil, nil, c.clock.Now().Sub(sent), err)
		return c.transportError(ctx, k.op, err)
	}
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	resp.Body.Close()
	c.trace(req, body, resp, respBody, c.clock.Now().Sub(sent), err)
	if err != nil {
		return fmt.Errorf("%s: reading response: %w", k.op, err)
	}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return &RedirectError{Op: k.op, From: c.base.Host, HTTPStatus: resp.StatusCode, Location: c.scrub(resp.Header.Get("Location"))}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeError(k.op, resp.StatusCode, resp.Header, respBody, c.key, c.clock.Now())
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(respBody, out); err != nil {
		return fmt.Errorf("%s: %w (HTTP %d, %s): %w", k.op, errDecode, resp.StatusCode, excerpt(redact(string(respBody), c.key)), err)
	}
	return nil
}
