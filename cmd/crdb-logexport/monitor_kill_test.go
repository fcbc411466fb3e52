package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/hookemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// hooksOp names a request to the webhook receiver as its fault controls do.
func hooksOp(r *http.Request) string {
	switch {
	case knobs.IsAdminPath(r.URL.Path):
		return ""
	case strings.HasPrefix(r.URL.Path, hookemu.SlackPrefix):
		return hookemu.OpSlack
	case strings.HasPrefix(r.URL.Path, hookemu.WebhookPrefix):
		return hookemu.OpWebhook
	}
	return ""
}

// monitorScenario is a scenario whose webhook receiver the tool reaches
// through the call log's door, with paths given by the test.
func monitorScenario(t *testing.T, slackPath, hookPath string) *scenario {
	t.Helper()
	s := newScenario(t, cloudemu.DefaultAPIKey)
	door := httptest.NewServer(s.calls.wrap(s.sb.Hooks, hooksOp))
	t.Cleanup(func() {
		door.CloseClientConnections()
		door.Close()
	})
	s.extraEnv = []string{
		"CRDB_LOGEXPORT_SLACK_WEBHOOK_URL=" + door.URL + slackPath,
		"CRDB_LOGEXPORT_WEBHOOK_URL=" + door.URL + hookPath,
	}
	return s
}

// arrivals are the requests the receiver accepted, by kind.
func arrivals(s *scenario) map[string][]hookemu.Request {
	out := map[string][]hookemu.Request{}
	for _, r := range s.sb.Hooks.Requests() {
		if r.Accepted {
			out[r.Kind] = append(out[r.Kind], r)
		}
	}
	return out
}

// Kill during delivery: `monitor --once` is killed with SIGKILL while it
// checks, while each notification is on its way, and just after a receiver
// accepted one but before the monitor heard so; then it runs again. What
// arrives at the sandbox's receivers is asserted: every notification
// arrives, and arrives once — except in the last window, where the receiver
// got it and the monitor could not know: it is sent again with the same
// event id (a generic receiver sees the duplicate and drops it; Slack shows
// the message twice, identical). That window is what "no duplicate" rests
// on, and README says so.
func TestMonitorKillDuringDelivery(t *testing.T) {
	t.Parallel()
	type point struct {
		name    string
		op      string
		applied bool
	}
	points := []point{
		{"checking", "sts:GetCallerIdentity", false},
		{"in-flight/slack", hookemu.OpSlack, false},
		{"in-flight/webhook", hookemu.OpWebhook, false},
		{"accepted-unanswered/slack", hookemu.OpSlack, true},
		{"accepted-unanswered/webhook", hookemu.OpWebhook, true},
	}
	monitorOnce := []string{"monitor", "--cluster", "prod-aws", "--once"}
	boundedParallel(t, 5, points, func(k point) string { return k.name }, func(t *testing.T, k point) {
		s := monitorScenario(t, "/services/T1/B1/kill", "/hooks/kill")
		var p *process
		ready := make(chan struct{})
		var fired atomic.Bool
		at := func(op string) bool {
			<-ready
			if op != k.op || !fired.CompareAndSwap(false, true) {
				return false
			}
			p.kill()
			return true
		}
		if k.applied {
			s.calls.hooks(nil, at)
		} else {
			s.calls.hooks(at, nil)
		}
		p = s.start("", monitorOnce...)
		close(ready)
		killed := p.wait(t)
		s.calls.hooks(nil, nil)
		if !killed.killed || killed.code != -1 {
			t.Fatalf("the monitor was not killed at %s:\n%s", k.name, killed)
		}
		again := s.run(monitorOnce...)
		if again.code != 3 {
			t.Fatalf("the rerun after a kill at %s:\n%s\nkilled run:\n%s", k.name, again, killed)
		}

		got := arrivals(s)
		slack, hook := got["slack"], got["webhook"]
		wantSlack, wantHook := 1, 1
		switch k.name {
		case "accepted-unanswered/slack":
			wantSlack = 2
		case "accepted-unanswered/webhook":
			wantHook = 2
		}
		if len(slack) != wantSlack || len(hook) != wantHook {
			t.Fatalf("after a kill at %s the receivers accepted %d Slack message(s) and %d webhook document(s), want %d and %d\nkilled run:\n%s\nrerun:\n%s",
				k.name, len(slack), len(hook), wantSlack, wantHook, killed, again)
		}
		for _, r := range append(slack, hook...) {
			if !strings.Contains(string(r.Body), "prod-aws") {
				t.Errorf("a notification does not name the cluster: %s", r.Body)
			}
		}
		// A repeat is the same notification: same body, same event id, and
		// the generic receiver recognised it.
		if len(slack) == 2 && !bytes.Equal(slack[0].Body, slack[1].Body) {
			t.Errorf("the repeated Slack message differs:\n%s\n%s", slack[0].Body, slack[1].Body)
		}
		if len(hook) == 2 && (hook[0].EventID == "" || hook[0].EventID != hook[1].EventID || hook[0].Duplicate || !hook[1].Duplicate) {
			t.Errorf("the repeated webhook document is not the same event: %+v", hook)
		}
		var st struct {
			Outbox []json.RawMessage `json:"outbox"`
		}
		b, err := os.ReadFile(filepath.Join(s.stateDir(), "monitor", "state.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &st); err != nil || len(st.Outbox) != 0 {
			t.Errorf("after the rerun the outbox holds %d notification(s) (%v)", len(st.Outbox), err)
		}
		// And a third run has nothing left to send.
		mark := len(s.sb.Hooks.Requests())
		s.run(monitorOnce...)
		if n := len(s.sb.Hooks.Requests()) - mark; n != 0 {
			t.Errorf("a third run sent %d more request(s)", n)
		}
	})
}

// A webhook URL is a secret: whatever happens — delivered, refused (a
// revoked webhook's 404), unreachable — no part of it appears on standard output, standard
// error (--debug included) or in any file the tool writes.
func TestMonitorNeverShowsWebhookURLs(t *testing.T) {
	t.Parallel()
	const slackToken, hookToken = "slackSentinelT0ken", "hookSentinelT0ken"
	s := monitorScenario(t, "/services/TSENT/BSENT/"+slackToken, "/hooks/"+hookToken+"?key="+hookToken)
	forms := []string{slackToken, hookToken, "TSENT"}
	check := func(what string, r result) {
		t.Helper()
		for _, f := range forms {
			if strings.Contains(r.stdout, f) || strings.Contains(r.stderr, f) {
				t.Errorf("%s: the output shows %q:\n%s", what, f, r)
			}
		}
	}

	r := s.run("monitor", "--cluster", "prod-aws", "--once", "--debug")
	if r.code != 3 || strings.Count(r.stdout, " notified ") != 2 {
		t.Fatalf("a first run that notifies:\n%s", r)
	}
	check("delivered", r)

	s.sb.Hooks.Controls().InjectFault(knobs.Fault{Op: hookemu.OpSlack, Status: 404, Times: -1})
	s.sb.Hooks.Controls().InjectFault(knobs.Fault{Op: hookemu.OpWebhook, Status: 404, Times: -1})
	r = s.run("monitor", "--cluster", "prod-aws", "--cluster", "staging-aws", "--once", "--debug")
	if !strings.Contains(r.stdout, "answered HTTP 404: no_service") {
		t.Fatalf("a run whose notifications are refused:\n%s", r)
	}
	check("refused", r)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	file := filepath.Join(s.home, "hook-url")
	if err := os.WriteFile(file, []byte(closed+"/hooks/"+hookToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = s.run("monitor", "--cluster", "prod-aws", "--once", "--webhook-url-file", file)
	if !strings.Contains(r.stdout, "connection refused") {
		t.Fatalf("a run whose webhook is unreachable:\n%s", r)
	}
	check("unreachable", r)

	err = filepath.WalkDir(s.home, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == file {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, f := range forms {
			if bytes.Contains(b, []byte(f)) {
				t.Errorf("%s holds %q", path, f)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
