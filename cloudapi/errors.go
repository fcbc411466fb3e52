package cloudapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// APIError is every error answer from the Cloud API: a non-2xx response,
// decoded from the API's {"code", "message", "details"} body when it has
// one. Use errors.As to get it, or the Is… helpers to classify it.
type APIError struct {
	// Op names the call that failed, e.g. "enable log export".
	Op         string
	HTTPStatus int
	// Code is the gRPC status code from the body; 0 when the body had none.
	Code    int
	Message string
	// Details are the body's details entries (protobuf Any values), raw.
	Details []json.RawMessage
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
}

// Error shows the server's message with the call and status for context.
// The API key is scrubbed from Message and Details when they are decoded,
// so it can never be shown here.
func (e *APIError) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	fmt.Fprintf(&b, " (HTTP %d", e.HTTPStatus)
	if e.Code != 0 {
		fmt.Fprintf(&b, ", code %d", e.Code)
		if name, ok := grpcCodeNames[e.Code]; ok {
			b.WriteString(" " + name)
		}
	}
	b.WriteString(")")
	return b.String()
}

var grpcCodeNames = map[int]string{
	1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED",
	5: "NOT_FOUND", 6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED",
	9: "FAILED_PRECONDITION", 10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED",
	13: "INTERNAL", 14: "UNAVAILABLE", 15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}

// gRPC codes the helpers key on.
const (
	codeNotFound         = 5
	codePermissionDenied = 7
	codeUnauthenticated  = 16
)

func asAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

// IsNotFound reports whether err is a 404 or gRPC NOT_FOUND answer.
func IsNotFound(err error) bool {
	e, ok := asAPIError(err)
	return ok && (e.HTTPStatus == http.StatusNotFound || e.Code == codeNotFound)
}

// IsRateLimited reports whether the server refused the call for exceeding
// the rate limit. The API does not promise status 429 for that, so the
// message is checked too.
func IsRateLimited(err error) bool {
	e, ok := asAPIError(err)
	return ok && (e.HTTPStatus == http.StatusTooManyRequests ||
		strings.Contains(strings.ToLower(e.Message), "rate limit exceeded"))
}

// IsLocked reports whether a change was refused because the cluster is
// locked by another operation (400 with a message about the lock, or 503).
// The request was not applied; wait for the cluster to be CREATED and retry.
func IsLocked(err error) bool {
	e, ok := asAPIError(err)
	return ok && (e.HTTPStatus == http.StatusServiceUnavailable ||
		e.HTTPStatus == http.StatusBadRequest && strings.Contains(strings.ToLower(e.Message), "lock"))
}

// IsUnauthenticated reports whether the API key was refused (401 or gRPC
// UNAUTHENTICATED): missing, mistyped, revoked or expired.
func IsUnauthenticated(err error) bool {
	e, ok := asAPIError(err)
	return ok && (e.HTTPStatus == http.StatusUnauthorized || e.Code == codeUnauthenticated)
}

// IsPermissionDenied reports whether the key is valid but its service
// account lacks a role the call needs (403 or gRPC PERMISSION_DENIED).
func IsPermissionDenied(err error) bool {
	e, ok := asAPIError(err)
	return ok && (e.HTTPStatus == http.StatusForbidden || e.Code == codePermissionDenied)
}

// Limits on what an error keeps from a body, so a huge or hostile answer
// cannot flood the terminal.
const (
	maxMessageRunes = 1000
	maxExcerptRunes = 160
)

// decodeError builds the APIError for a non-2xx answer. secret, when not
// empty, is removed from everything taken from the body: a misbehaving
// server or proxy could echo the request back.
func decodeError(op string, status int, header http.Header, body []byte, secret string, now time.Time) *APIError {
	e := &APIError{Op: op, HTTPStatus: status, RetryAfter: parseRetryAfter(header.Get("Retry-After"), now)}
	var wire struct {
		Code    *int              `json:"code"`
		Message *string           `json:"message"`
		Details []json.RawMessage `json:"details"`
	}
	if err := json.Unmarshal(body, &wire); err != nil {
		// A partly decoded body is not the API's: show it as text.
		wire.Code, wire.Message, wire.Details = nil, nil, nil
	} else {
		if wire.Code != nil {
			e.Code = *wire.Code
		}
		if wire.Message != nil {
			e.Message = cleanText(redact(*wire.Message, secret), maxMessageRunes)
		}
		for _, d := range wire.Details {
			e.Details = append(e.Details, json.RawMessage(redact(string(d), secret)))
		}
	}
	if e.Message == "" {
		e.Message = statusText(status)
		// A body in the API's shape that lacks a message has nothing more
		// to say; any other body is shown in part, as it may explain.
		if wire.Code == nil && wire.Message == nil {
			if ex := excerpt(redact(string(body), secret)); ex != "" {
				e.Message += ": " + ex
			}
		}
	}
	return e
}

// RedirectError is an answer that sends the client elsewhere. The client
// never follows one: the API key would travel with the request, perhaps in
// the clear or to another host.
type RedirectError struct {
	Op         string
	From       string // the host that answered
	HTTPStatus int
	Location   string
}

func (e *RedirectError) Error() string {
	where := e.Location
	if where == "" {
		where = "(no Location given)"
	}
	return fmt.Sprintf("%s: %s answered HTTP %d, redirecting to %s; crdb-logexport never follows redirects, so the API key was not sent there: set COCKROACH_SERVER to the address that answers the API itself", e.Op, e.From, e.HTTPStatus, where)
}

func statusText(status int) string {
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "HTTP status " + strconv.Itoa(status)
}

// excerpt turns an arbitrary body (an HTML error page from a proxy, plain
// text) into one short line: tags dropped, whitespace collapsed.
func excerpt(body string) string {
	var b strings.Builder
	inTag := false
	for _, r := range body {
		switch {
		case r == '<':
			inTag = true
			b.WriteRune(' ')
		case r == '>' && inTag:
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	return cleanText(b.String(), maxExcerptRunes)
}

// cleanText makes server-provided text safe to print: valid UTF-8, no
// control characters (no terminal escape sequences), whitespace collapsed,
// at most limit runes.
func cleanText(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	n := 0
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = b.Len() > 0
			continue
		}
		if n == limit {
			b.WriteRune('…')
			break
		}
		if space {
			b.WriteRune(' ')
			n++
			space = false
			if n == limit {
				b.WriteRune('…')
				break
			}
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// redact replaces the secret in s, also where only part of it appears: any
// run of at least minSecretRun characters that matches the start of the
// secret, ignoring case. A server that echoes the key lower-cased, or cut
// short ("invalid key CCDB1_abcd…"), must not show it either.
func redact(s, secret string) string {
	if secret == "" || s == "" {
		return s
	}
	least := min(len(secret), minSecretRun)
	var b strings.Builder
	last := 0
	for i := 0; i+least <= len(s); {
		n := 0
		for n < len(secret) && i+n < len(s) && foldEqual(s[i+n], secret[n]) {
			n++
		}
		if n < least {
			i++
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(redacted)
		i += n
		last = i
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// minSecretRun is the shortest part of a secret's start that redact
// treats as the secret (the whole secret when it is shorter).
const minSecretRun = 8

// foldEqual compares two bytes ignoring ASCII case; keys are ASCII.
func foldEqual(a, b byte) bool {
	if a == b {
		return true
	}
	lower := func(c byte) byte {
		if 'A' <= c && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	return lower(a) == lower(b)
}

const redacted = "[REDACTED]"

// parseRetryAfter reads a Retry-After value: delay seconds (fractions
// accepted) or an HTTP date. Unusable values give 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(secs) || secs <= 0 {
			return 0
		}
		if secs >= maxRetryAfter.Seconds() {
			return maxRetryAfter
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter)
	}
	return 0
}

// maxRetryAfter caps what the server can make a client wait for in one go;
// a larger value is clamped so retry budgets still decide.
const maxRetryAfter = time.Hour
