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
		// the masked password is also part of the host: shown, but no leak
		"https://user:cockroach@cockroachlabs.cloud", "http://u:%zz@example.com", "https://u:p%41ss@[::1",
		// no scheme, so no userinfo: all of it is a fragment
		"#000://:0@0",
		// an empty fragment or query: url.URL forgets the "#", so these
		// must be refused rather than read back differently
		"https://0/#", "https://0/?", "https://cockroachlabs.cloud#",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := parseBaseURL(raw)
		if err != nil {
			// A password in the URL is a secret too: the error must not
			// depend on it. The same URL with another password of the
			// same shape must give the very same error; the password's
			// text may still appear where the rest of the URL has it.
			if other, ok := withOtherPassword(raw); ok {
				_, err2 := parseBaseURL(other)
				if err2 == nil || err2.Error() != err.Error() {
					t.Fatalf("the error depends on the URL's password:\n%v\nwith another password:\n%v", err, err2)
				}
			}
			return
		}
		if u.Host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
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

// withOtherPassword returns raw with the password of its userinfo replaced
// by one that differs in every letter and digit and is one byte longer.
// The userinfo is RFC 3986's: after a scheme (a letter, then letters,
// digits, '+', '-', '.') and "://", the authority up to its last '@', after
// the first ':'; the rest of the URL need not parse. Letters and digits
// move within their class (hex digits among hex digits) and other bytes
// stay, so a valid or invalid %-escape stays so.
func withOtherPassword(raw string) (string, bool) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || scheme == "" || !isLetter(scheme[0]) || strings.ContainsFunc(scheme, func(r rune) bool {
		return r > 0x7f || !isLetter(byte(r)) && !(r >= '0' && r <= '9') && !strings.ContainsRune("+-.", r)
	}) {
		return "", false
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return "", false
	}
	user, pass, ok := strings.Cut(authority[:at], ":")
	if !ok || pass == "" {
		return "", false
	}
	shift := func(c, lo, hi byte) byte { return lo + (c-lo+1)%(hi-lo+1) }
	other := []byte(pass)
	for i, c := range other {
		switch {
		case c >= '0' && c <= '9':
			other[i] = shift(c, '0', '9')
		case c >= 'a' && c <= 'f':
			other[i] = shift(c, 'a', 'f')
		case c >= 'A' && c <= 'F':
			other[i] = shift(c, 'A', 'F')
		case c >= 'g' && c <= 'z':
			other[i] = shift(c, 'g', 'z')
		case c >= 'G' && c <= 'Z':
			other[i] = shift(c, 'G', 'Z')
		}
	}
	return scheme + "://" + user + ":" + string(other) + "x" + rest[at:], true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

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
