package monitor

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Destination kinds.
const (
	KindSlack   = "slack"
	KindWebhook = "webhook"
)

// Destination is where notifications go: a Slack incoming webhook or a
// generic JSON webhook. Its URL is a secret (whoever holds it can post):
// nothing outside this file and the sender ever sees it.
type Destination struct {
	kind string
	url  *url.URL
	key  string
}

// NewDestination checks a webhook URL: https, or plain http to a loopback
// address only (the sandbox), with a host. The error never contains the
// URL.
func NewDestination(kind, raw string) (*Destination, error) {
	if kind != KindSlack && kind != KindWebhook {
		return nil, fmt.Errorf("unknown notification kind %q", kind)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("the %s URL is not an https:// URL with a host", label(kind))
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("the %s URL uses plain http to %s, which would send it (and the notifications) unencrypted; use https (plain http is accepted only for loopback addresses)", label(kind), u.Hostname())
	}
	if u.Fragment != "" {
		return nil, errors.New("the " + label(kind) + " URL has a #fragment, which is never sent: check how it was copied")
	}
	sum := sha256.Sum256([]byte(u.String()))
	return &Destination{kind: kind, url: u, key: kind + ":" + hex.EncodeToString(sum[:8])}, nil
}

// Kind is KindSlack or KindWebhook.
func (d *Destination) Kind() string { return d.kind }

// Key names the destination in the state file: its kind and a hash of its
// URL, from which the URL cannot be recovered.
func (d *Destination) Key() string { return d.key }

// String names the destination for people: its kind and host, never the
// path or query that make the URL a secret.
func (d *Destination) String() string { return label(d.kind) + " (" + d.url.Host + ")" }

func label(kind string) string {
	if kind == KindSlack {
		return "Slack webhook"
	}
	return "webhook"
}

// scrub removes every form of the destination's URL from a message, for
// errors that quote it (net/http and net/url errors embed the whole URL).
func (d *Destination) scrub(msg string) string {
	full := d.url.String()
	for _, secret := range []string{full, url.QueryEscape(full), d.url.EscapedPath(), d.url.Path, d.url.RawQuery} {
		if len(secret) > 1 {
			msg = strings.ReplaceAll(msg, secret, "/…")
		}
	}
	return msg
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
