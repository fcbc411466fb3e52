package cloudapi

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Fuzz targets for what users hand the client: channel lists (--channels,
// --omit-channels), the API base URL (COCKROACH_SERVER) and the API key.

func FuzzValidateChannels(f *testing.F) {
	for _, s := range []string{"SQL_PERF,SQL_EXEC", "OPS", "DEV", "ops", " OPS", "TELEMETRY,OPS", "OPS,,HEALTH", "", "SESSIONS,OPS,HEALTH,STORAGE,SQL_SCHEMA,USER_ADMIN,PRIVILEGES,SENSITIVE_ACCESS,SQL_EXEC,SQL_PERF,CHANGEFEED"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		var channels []string
		if list != "" {
			channels = strings.Split(list, ",")
		}
		err := ValidateChannels(channels)
		bad := slices.IndexFunc(channels, func(ch string) bool { return !slices.Contains(ExportableChannels(), ch) })
		if (err == nil) != (bad < 0) {
			t.Fatalf("ValidateChannels(%q) = %v, first channel that cannot be exported: %d", channels, err, bad)
		}
		if err == nil {
			return
		}
		var ce *ChannelError
		if !errors.As(err, &ce) {
			t.Fatalf("error %v is not a *ChannelError", err)
		}
		if ce.Channel != channels[bad] {
			t.Fatalf("error names %q, the first bad channel is %q", ce.Channel, channels[bad])
		}
		if ce.Rejected != slices.Contains(RejectedChannels(), ce.Channel) {
			t.Fatalf("Rejected=%t for %q", ce.Rejected, ce.Channel)
		}
		if !strings.Contains(ce.Error(), "exportable channels: ") {
			t.Fatalf("error does not list the exportable channels: %v", ce)
		}
	})
}

func FuzzParseBaseURL(f *testing.F) {
	for _, s := range []string{
		"https://cockroachlabs.cloud", "https://cockroachlabs.cloud/", "http://127.0.0.1:26280", "http://localhost:8080/",
		"http://[::1]:1", "http://example.com", "ftp://x", "https://user:hunter2pass@cockroachlabs.cloud",
		"https://cockroachlabs.cloud?x=1", "https://cockroachlabs.cloud#f", "cockroachlabs.cloud", "", "https://", "http://127.0.0.1.nip.io",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := parseBaseURL(raw)
		if err != nil {
			// A password in the URL is a secret too: errors must not repeat it.
			if p, ok := urlPassword(raw); ok && len(p) >= 6 && strings.Contains(err.Error(), p) {
				t.Fatalf("error repeats the URL's password: %v", err)
			}
			return
		}
		if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("accepted %q as %#v", raw, u)
		}
		switch u.Scheme {
		case "https":
		case "http":
			if !isLoopback(u.Hostname()) {
				t.Fatalf("accepted plain http to %q, which is not loopback: the key would travel in clear", u.Hostname())
			}
		default:
			t.Fatalf("accepted scheme %q", u.Scheme)
		}
		again, err := parseBaseURL(u.String())
		if err != nil || again.String() != u.String() {
			t.Fatalf("the accepted URL %q does not parse back the same: %v, %v", u, again, err)
		}
	})
}

// urlPassword finds the password of a URL's userinfo (the authority up to
// its last '@', after the first ':'), without relying on url.Parse
// accepting the rest of the URL.
func urlPassword(raw string) (string, bool) {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "", false
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return "", false
	}
	_, pass, ok := strings.Cut(rest[:at], ":")
	return pass, ok && pass != ""
}

func FuzzNewClientKey(f *testing.F) {
	for _, s := range []string{"CCDB1_abc", "", " ", "key with space", "key\nnewline", "tab\tkey", "\x7fdel", "é-unicode"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		_, err := New(Options{APIKey: key, BaseURL: "http://127.0.0.1:1"})
		hasBad := strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f })
		switch {
		case key == "":
			if err == nil {
				t.Fatal("accepted an empty key")
			}
		case hasBad:
			if err == nil {
				t.Fatalf("accepted a key with spaces or control characters: %q", key)
			}
			// The message must not depend on the key: it never shows it.
			_, ref := New(Options{APIKey: "x y", BaseURL: "http://127.0.0.1:1"})
			if err.Error() != ref.Error() {
				t.Fatalf("the error about a malformed key depends on the key: %v", err)
			}
		case err != nil:
			t.Fatalf("refused a well-formed key %q: %v", key, err)
		}
	})
}
