package monitor

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const secretPath = "/services/T0SECRET/B0SECRET/webhookSecretToken42"

func TestDestinationRefusesPlainHTTPBeyondLoopbackWithoutShowingTheURL(t *testing.T) {
	for _, tc := range []struct {
		raw, want string
	}{
		{"http://hooks.example.com" + secretPath, "plain http"},
		{"ftp://hooks.example.com" + secretPath, "not an https:// URL"},
		{"hooks.example.com" + secretPath, "not an https:// URL"},
		{"https://hooks.example.com" + secretPath + "#frag", "fragment"},
	} {
		_, err := NewDestination(KindSlack, tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error saying %q", tc.raw, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "webhookSecretToken42") {
			t.Errorf("the error shows the URL: %v", err)
		}
	}
	for _, ok := range []string{"https://hooks.slack.com" + secretPath, "http://127.0.0.1:9" + secretPath, "http://[::1]:9/x", "http://localhost:9/x"} {
		d, err := NewDestination(KindWebhook, ok)
		if err != nil {
			t.Errorf("%q refused: %v", ok, err)
			continue
		}
		if strings.Contains(d.String(), "Secret") || strings.Contains(d.Key(), "Secret") {
			t.Errorf("%q shows its path: %s / %s", ok, d, d.Key())
		}
	}
}

// Every way a send can fail leaves the URL's secret out of the error.
func TestSendErrorsNeverShowTheURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	stop := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer hang.Close()
	defer close(stop)
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no_service for "+r.URL.Path+" at "+r.Host+r.URL.String(), http.StatusNotFound)
	}))
	defer echo.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example.com"+secretPath, http.StatusFound)
	}))
	defer redirect.Close()

	s := NewSender(SendPolicy{Timeout: 300 * time.Millisecond, Attempts: 2, BaseDelay: time.Millisecond}, "test")
	for name, base := range map[string]string{"refused": closed, "timeout": hang.URL, "echo": echo.URL, "redirect": redirect.URL} {
		d, err := NewDestination(KindSlack, base+secretPath+"?token=querySecret77")
		if err != nil {
			t.Fatal(err)
		}
		err = s.Send(context.Background(), d, "e1", []byte(`{"text":"x"}`))
		if err == nil {
			t.Errorf("%s: delivered", name)
			continue
		}
		for _, secret := range []string{"webhookSecretToken42", "querySecret77", "T0SECRET"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the error shows %q: %v", name, secret, err)
			}
		}
		if !strings.Contains(err.Error(), "Slack webhook (127.0.0.1:") {
			t.Errorf("%s: the error does not say where it was going: %v", name, err)
		}
		var de *DeliveryError
		if errors.As(err, &de) && name == "redirect" && (!de.Permanent || !strings.Contains(de.Msg, "redirect")) {
			t.Errorf("redirect: %+v", de)
		}
	}
}

// A redirect is never followed: the body (and the request) stay with the
// URL the user gave.
func TestSendDoesNotFollowRedirects(t *testing.T) {
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Add(1) }))
	defer target.Close()
	from := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	defer from.Close()
	d, _ := NewDestination(KindWebhook, from.URL+"/hooks/x")
	if err := NewSender(SendPolicy{}, "test").Send(context.Background(), d, "e1", []byte(`{}`)); err == nil {
		t.Error("a redirect counted as delivered")
	}
	if followed.Load() != 0 {
		t.Error("the redirect was followed")
	}
}

// 5xx is retried up to the attempts; a generic webhook carries the event id
// as Idempotency-Key on every attempt.
func TestSendRetriesServerErrorsWithTheSameEventID(t *testing.T) {
	var calls atomic.Int32
	var mu sync.Mutex
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	d, _ := NewDestination(KindWebhook, srv.URL+"/hooks/x")
	err := NewSender(SendPolicy{BaseDelay: time.Millisecond, Attempts: 3}, "test").Send(context.Background(), d, "evt-7", []byte(`{}`))
	if err != nil || calls.Load() != 3 {
		t.Fatalf("err %v after %d calls", err, calls.Load())
	}
	for _, k := range keys {
		if k != "evt-7" {
			t.Errorf("Idempotency-Key %q, want evt-7 on every attempt", k)
		}
	}
}

func TestRetryAfterForms(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"": 0, "3": 3 * time.Second, "junk": 0, "-1": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
	} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("Retry-After %q = %s, want %s", h, got, want)
		}
	}
}
