package cloudapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var errNow = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

func TestDecodeError(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		header      http.Header
		body        string
		wantCode    int
		wantMessage string
		wantRetry   time.Duration
		wantDetails int
	}{
		{
			name:        "API JSON",
			status:      400,
			body:        `{"code":3,"message":"invalid channel: DEV","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest"}]}`,
			wantCode:    3,
			wantMessage: "invalid channel: DEV",
			wantDetails: 1,
		},
		{
			name:        "not configured",
			status:      404,
			body:        `{"code":5,"message":"log export configuration not found","details":[]}`,
			wantCode:    5,
			wantMessage: "log export configuration not found",
		},
		{
			name:        "rate limited with Retry-After seconds",
			status:      429,
			header:      http.Header{"Retry-After": {"2"}},
			body:        `{"code":8,"message":"rate limit exceeded"}`,
			wantCode:    8,
			wantMessage: "rate limit exceeded",
			wantRetry:   2 * time.Second,
		},
		{
			name:        "Retry-After as HTTP date",
			status:      503,
			header:      http.Header{"Retry-After": {errNow.Add(3 * time.Second).Format(http.TimeFormat)}},
			body:        `{"code":14,"message":"unavailable"}`,
			wantCode:    14,
			wantMessage: "unavailable",
			wantRetry:   3 * time.Second,
		},
		{
			name:        "HTML 502 page from a proxy",
			status:      502,
			body:        "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n",
			wantMessage: "Bad Gateway: 502 Bad Gateway 502 Bad Gateway nginx",
		},
		{
			name:        "plain text",
			status:      500,
			body:        "upstream connect error\r\n",
			wantMessage: "Internal Server Error: upstream connect error",
		},
		{
			name:        "empty body",
			status:      503,
			body:        "",
			wantMessage: "Service Unavailable",
		},
		{
			name:        "JSON without a message",
			status:      401,
			body:        `{"code":16}`,
			wantCode:    16,
			wantMessage: "Unauthorized",
		},
		{
			name:        "JSON of another shape",
			status:      400,
			body:        `{"error":"bad"}`,
			wantMessage: `Bad Request: {"error":"bad"}`,
		},
		{
			name:        "unknown status",
			status:      599,
			body:        "",
			wantMessage: "HTTP status 599",
		},
		{
			name:        "terminal escapes in the message",
			status:      400,
			body:        `{"code":3,"message":"bad\u001b[31m red\u0007"}`,
			wantCode:    3,
			wantMessage: "bad [31m red",
		},
		{
			name:        "unusable Retry-After",
			status:      429,
			header:      http.Header{"Retry-After": {"soon"}},
			body:        `{"message":"rate limit exceeded"}`,
			wantMessage: "rate limit exceeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			e := decodeError("get thing", tt.status, h, []byte(tt.body), testKey, errNow)
			if e.HTTPStatus != tt.status || e.Code != tt.wantCode || e.Message != tt.wantMessage ||
				e.RetryAfter != tt.wantRetry || len(e.Details) != tt.wantDetails {
				t.Errorf("got status %d code %d message %q retry %s details %d\nwant status %d code %d message %q retry %s details %d",
					e.HTTPStatus, e.Code, e.Message, e.RetryAfter, len(e.Details),
					tt.status, tt.wantCode, tt.wantMessage, tt.wantRetry, tt.wantDetails)
			}
			if !strings.HasPrefix(e.Error(), "get thing: "+tt.wantMessage) {
				t.Errorf("Error() = %q, want it to start with the op and message", e.Error())
			}
		})
	}
}

func TestDecodeErrorTruncatesLongBodies(t *testing.T) {
	e := decodeError("op", 502, http.Header{}, []byte(strings.Repeat("x", 10000)), "", errNow)
	if n := utf8.RuneCountInString(e.Message); n > maxExcerptRunes+len("Bad Gateway: ")+1 {
		t.Fatalf("message has %d runes, want a short excerpt", n)
	}
	if !strings.HasSuffix(e.Message, "…") {
		t.Fatalf("truncated message %q does not say so", e.Message)
	}
}

func TestDecodeErrorScrubsEchoedKey(t *testing.T) {
	body := fmt.Sprintf(`{"code":16,"message":"bad token Bearer %s","details":[{"token":"%s"}]}`, testKey, testKey)
	e := decodeError("op", 401, http.Header{}, []byte(body), testKey, errNow)
	if strings.Contains(e.Error(), testKey) || strings.Contains(string(e.Details[0]), testKey) {
		t.Fatalf("key leaked: %q %s", e.Error(), e.Details[0])
	}
	if !strings.Contains(e.Message, redacted) {
		t.Fatalf("message %q should show where the key was", e.Message)
	}
	html := decodeError("op", 502, http.Header{}, []byte("<p>Authorization: Bearer "+testKey+"</p>"), testKey, errNow)
	if strings.Contains(html.Error(), testKey) {
		t.Fatalf("key leaked from a non-JSON body: %q", html.Error())
	}
}

func TestErrorClassifiers(t *testing.T) {
	api := func(status, code int, msg string) error {
		return fmt.Errorf("wrapped: %w", &APIError{HTTPStatus: status, Code: code, Message: msg})
	}
	tests := []struct {
		name                                        string
		err                                         error
		notFound, rateLimited, locked, unauth, deny bool
	}{
		{"404 code 5", api(404, 5, "not found"), true, false, false, false, false},
		{"code 5 on 400", api(400, 5, "x"), true, false, false, false, false},
		{"429", api(429, 8, "slow down"), false, true, false, false, false},
		{"rate limit message on 400", api(400, 8, "Rate limit exceeded for user"), false, true, false, false, false},
		{"rate limit message on 503", api(503, 14, "rate limit exceeded"), false, true, true, false, false},
		{"locked 400", api(400, 9, "cluster is locked by another operation"), false, false, true, false, false},
		{"503", api(503, 14, "unavailable"), false, false, true, false, false},
		{"other 400", api(400, 3, "invalid log_name"), false, false, false, false, false},
		{"401", api(401, 16, "unauthenticated"), false, false, false, true, false},
		{"code 16", api(400, 16, "x"), false, false, false, true, false},
		{"403", api(403, 7, "denied"), false, false, false, false, true},
		{"not an API error", errors.New("dial tcp: refused"), false, false, false, false, false},
		{"nil", nil, false, false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []bool{IsNotFound(tt.err), IsRateLimited(tt.err), IsLocked(tt.err), IsUnauthenticated(tt.err), IsPermissionDenied(tt.err)}
			want := []bool{tt.notFound, tt.rateLimited, tt.locked, tt.unauth, tt.deny}
			for i, name := range []string{"IsNotFound", "IsRateLimited", "IsLocked", "IsUnauthenticated", "IsPermissionDenied"} {
				if got[i] != want[i] {
					t.Errorf("%s = %v, want %v", name, got[i], want[i])
				}
			}
		})
	}
}

func TestAPIErrorString(t *testing.T) {
	e := &APIError{Op: "enable log export", HTTPStatus: 400, Code: 3, Message: "invalid channel DEV"}
	if got, want := e.Error(), "enable log export: invalid channel DEV (HTTP 400, code 3 INVALID_ARGUMENT)"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	e = &APIError{HTTPStatus: 502, Message: "Bad Gateway"}
	if got, want := e.Error(), "Bad Gateway (HTTP 502)"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

func TestParseRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"1", time.Second}, {"0.5", 500 * time.Millisecond}, {"0", 0}, {"-3", 0},
		{"NaN", 0}, {"99999999", maxRetryAfter}, {"garbage", 0},
		{errNow.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := parseRetryAfter(tt.in, errNow); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func FuzzDecodeError(f *testing.F) {
	seeds := []struct {
		status int
		body   string
	}{
		{400, `{"code":3,"message":"invalid channel: DEV","details":[]}`},
		{404, `{"code":5,"message":"not found"}`},
		{429, `{"message":"rate limit exceeded"}`},
		{502, "<html><body><h1>502 Bad Gateway</h1></body></html>"},
		{503, ""},
		{500, "\xff\xfe not utf8 \x1b[2J"},
		{401, `{"code":"16","message":7}`},
		{400, `{"message":"` + testKey + `"}`},
		{418, `[1,2,3]`},
		{400, `{"details":[{"k":"` + testKey + `"}]}`},
	}
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body), "3")
	}
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter string) {
		e := decodeError("op", status, http.Header{"Retry-After": {retryAfter}}, body, testKey, errNow)
		msg := e.Error()
		if e.Message == "" {
			t.Fatal("empty message")
		}
		if !utf8.ValidString(msg) {
			t.Fatalf("message is not valid UTF-8: %q", msg)
		}
		if strings.Contains(msg, testKey) {
			t.Fatalf("key leaked into %q", msg)
		}
		for _, d := range e.Details {
			if strings.Contains(string(d), testKey) {
				t.Fatalf("key leaked into details %s", d)
			}
		}
		if strings.ContainsFunc(e.Message, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			t.Fatalf("control character in %q", e.Message)
		}
		if utf8.RuneCountInString(e.Message) > maxMessageRunes+1 {
			t.Fatalf("message too long: %d runes", utf8.RuneCountInString(e.Message))
		}
		if e.RetryAfter < 0 || e.RetryAfter > maxRetryAfter {
			t.Fatalf("RetryAfter %s out of range", e.RetryAfter)
		}
	})
}
