package cloudapi

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
)

// maxTraceBody is how much of each body a debug trace shows.
const maxTraceBody = 2048

// sensitiveHeaders never show their values in a trace, whatever they hold.
var sensitiveHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key"}

// trace writes one exchange to the debug writer. Every string that came
// from the request or the answer passes through scrub, so the key cannot
// leak through a header, a URL or a server that echoes the request.
func (c *Client) trace(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte, took time.Duration, err error) {
	if c.debug == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--> %s %s\n", req.Method, c.scrub(req.URL.String()))
	c.traceHeaders(&b, req.Header)
	c.traceBody(&b, reqBody)
	switch {
	case resp == nil:
		fmt.Fprintf(&b, "<-- %s %s failed after %s: %s\n", req.Method, c.scrub(req.URL.Path), took.Round(time.Millisecond), c.scrub(err.Error()))
	default:
		fmt.Fprintf(&b, "<-- %s %s %s (%s)\n", c.scrub(resp.Status), req.Method, c.scrub(req.URL.Path), took.Round(time.Millisecond))
		c.traceHeaders(&b, resp.Header)
		c.traceBody(&b, respBody)
		if err != nil {
			fmt.Fprintf(&b, "    (reading the body failed: %s)\n", c.scrub(err.Error()))
		}
	}
	// Whatever the server sent, the trace must not drive the terminal:
	// control characters other than line breaks and tabs are replaced.
	out := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return unicode.ReplacementChar
	}, b.String())
	c.debugMu.Lock()
	defer c.debugMu.Unlock()
	_, _ = io.WriteString(c.debug, out)
}

func (c *Client) traceHeaders(b *strings.Builder, h http.Header) {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range h[name] {
			switch {
			case strings.EqualFold(name, "Authorization"):
				scheme, _, _ := strings.Cut(v, " ")
				v = scheme + " " + redacted
			case slices.ContainsFunc(sensitiveHeaders, func(s string) bool { return strings.EqualFold(s, name) }):
				v = redacted
			}
			fmt.Fprintf(b, "    %s: %s\n", c.scrub(name), c.scrub(v))
		}
	}
}

func (c *Client) traceBody(b *strings.Builder, body []byte) {
	if len(body) == 0 {
		return
	}
	// Scrub before cutting: a cut through the key would leave a prefix
	// that no longer matches it.
	s := c.scrub(string(body))
	cut := len(s) > maxTraceBody
	if cut {
		s = s[:maxTraceBody]
	}
	s = strings.ToValidUTF8(s, "")
	for line := range strings.SplitSeq(strings.TrimRight(s, "\n"), "\n") {
		fmt.Fprintf(b, "    %s\n", line)
	}
	if cut {
		fmt.Fprintf(b, "    … (%d bytes in all)\n", len(body))
	}
}

// scrub removes the API key from anything about to be written.
func (c *Client) scrub(s string) string { return redact(s, c.key) }
