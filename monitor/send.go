package monitor

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// SendPolicy bounds how one notification is sent within a pass.
type SendPolicy struct {
	// Timeout bounds each attempt (default 10 s).
	Timeout time.Duration
	// Attempts per pass, the first included (default 4).
	Attempts int
	// BaseDelay doubles per attempt up to MaxDelay (defaults 1 s and 30 s).
	// A Retry-After from the receiver is honoured as a minimum; one longer
	// than MaxWait (default 2 min) is left for the next pass.
	BaseDelay, MaxDelay, MaxWait time.Duration
	// SlackPerSecond paces each Slack webhook (default 1: Slack accepts
	// about one message a second per webhook).
	SlackPerSecond float64
}

func (p SendPolicy) withDefaults() SendPolicy {
	set := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&p.Timeout, 10*time.Second)
	set(&p.BaseDelay, time.Second)
	set(&p.MaxDelay, 30*time.Second)
	set(&p.MaxWait, 2*time.Minute)
	if p.Attempts <= 0 {
		p.Attempts = 4
	}
	if p.SlackPerSecond <= 0 {
		p.SlackPerSecond = 1
	}
	return p
}

// Sender posts notifications. It never follows a redirect (the Location
// could send the body, or the URL's secret, anywhere) and bounds every
// attempt.
type Sender struct {
	policy    SendPolicy
	client    *http.Client
	userAgent string
	sleep     func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex
	paces map[string]*rate.Limiter
}

// NewSender returns a sender with the policy's defaults filled in.
func NewSender(policy SendPolicy, userAgent string) *Sender {
	p := policy.withDefaults()
	return &Sender{
		policy: p,
		client: &http.Client{
			Timeout:       p.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		userAgent: userAgent,
		sleep:     sleepCtx,
		paces:     map[string]*rate.Limiter{},
	}
}

// DeliveryError is a notification that was not delivered in this pass: it
// stays in the outbox. Permanent is set when the receiver refused it in a
// way retrying will not change (a 4xx other than 429: a revoked or
// archived webhook, a payload it rejects); the notification is kept all
// the same, in case the URL is fixed.
type DeliveryError struct {
	Msg       string
	Permanent bool
}

func (e *DeliveryError) Error() string { return e.Msg }

// Send posts one body to d: retried on 429, 5xx and transport failures,
// with backoff that honours Retry-After, up to the policy's attempts. The
// error never contains the URL.
func (s *Sender) Send(ctx context.Context, d *Destination, eventID string, body []byte) error {
	var last *DeliveryError
	for attempt := 1; ; attempt++ {
		if err := s.pace(ctx, d); err != nil {
			return &DeliveryError{Msg: d.String() + ": " + err.Error()}
		}
		wait, err := s.once(ctx, d, eventID, body)
		if err == nil {
			return nil
		}
		last = err
		if err.Permanent || ctx.Err() != nil || attempt >= s.policy.Attempts {
			return last
		}
		backoff := s.backoff(attempt)
		if wait > s.policy.MaxWait {
			last.Msg += fmt.Sprintf(" (asked to wait %s: left for the next pass)", wait.Round(time.Second))
			return last
		}
		if err := s.sleep(ctx, max(backoff, wait)); err != nil {
			return last
		}
	}
}

// once makes one attempt; wait is the receiver's Retry-After, if any.
func (s *Sender) once(ctx context.Context, d *Destination, eventID string, body []byte) (time.Duration, *DeliveryError) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url.String(), bytes.NewReader(body))
	if err != nil {
		return 0, &DeliveryError{Msg: d.String() + ": " + d.scrub(err.Error()), Permanent: true}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.userAgent)
	if d.kind == KindWebhook {
		req.Header.Set("Idempotency-Key", eventID)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, &DeliveryError{Msg: d.String() + ": " + d.scrub(transportError(err)), Permanent: isCertError(err)}
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, nil
	}
	msg := fmt.Sprintf("%s answered HTTP %d", d, resp.StatusCode)
	if text := strings.TrimSpace(d.scrub(string(answer))); text != "" {
		msg += ": " + excerpt(text)
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return 0, &DeliveryError{Msg: msg + " (a redirect, which is not followed: check the URL)", Permanent: true}
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return retryAfter(resp.Header.Get("Retry-After"), time.Now()), &DeliveryError{Msg: msg}
	}
	return 0, &DeliveryError{Msg: msg, Permanent: true}
}

// pace holds each Slack webhook to its rate.
func (s *Sender) pace(ctx context.Context, d *Destination) error {
	if d.kind != KindSlack {
		return nil
	}
	s.mu.Lock()
	l := s.paces[d.key]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(s.policy.SlackPerSecond), 1)
		s.paces[d.key] = l
	}
	s.mu.Unlock()
	return l.Wait(ctx)
}

func (s *Sender) backoff(attempt int) time.Duration {
	d := s.policy.BaseDelay
	for i := 1; i < attempt && d < s.policy.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, s.policy.MaxDelay)
	return d/2 + rand.N(d/2+1)
}

// maxRetryAfter caps a Retry-After in seconds.
const maxRetryAfter = 86400

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if secs, err := strconv.Atoi(h); err == nil && secs >= 0 {
		// A wait beyond a day is as good as forever here (it is left for
		// a later pass) and must not overflow a Duration.
		return time.Duration(min(secs, maxRetryAfter)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// transportError is a failed request's cause without the "Post URL:"
// prefix net/http gives it.
func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer in time: " + err.Error()
	}
	return err.Error()
}

func isCertError(err error) bool {
	var certErr *tls.CertificateVerificationError
	return errors.As(err, &certErr)
}

func excerpt(s string) string {
	const limit = 200
	if r := []rune(s); len(r) > limit {
		return string(r[:limit]) + "…"
	}
	return s
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
