package hookemu

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

type fixture struct {
	srv *Server
	url string
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	srv := New(opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &fixture{srv: srv, url: hs.URL}
}

type answer struct {
	status     int
	body       string
	retryAfter string
	ctype      string
}

func (f *fixture) post(t *testing.T, path, ctype, body string, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b), resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type")}
}

const slackPath = "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"

func TestSlackWebhookAnswersAsSlackDoes(t *testing.T) {
	f := newFixture(t, Options{})
	long := strings.Repeat("x", 3001)
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		text              string
	}{
		{"text", "application/json", `{"text":"hello"}`, 200, "ok"},
		{"blocks", "application/json", `{"text":"fallback","blocks":[{"type":"header","text":{"type":"plain_text","text":"Export failing"}},{"type":"section","text":{"type":"mrkdwn","text":"*prod-aws*"},"fields":[{"type":"mrkdwn","text":"*Status*\nCREDENTIALS_ERROR"}]},{"type":"divider"},{"type":"context","elements":[{"type":"mrkdwn","text":"event 1"}]}]}`, 200, "ok"},
		{"form payload", "application/x-www-form-urlencoded", "payload=" + url.QueryEscape(`{"text":"from a form"}`), 200, "ok"},
		{"not json", "application/json", `text=hello`, 400, "invalid_payload"},
		{"no text", "application/json", `{"username":"bot"}`, 400, "no_text"},
		{"empty text", "application/json", `{"text":"  "}`, 400, "no_text"},
		{"unknown block", "application/json", `{"text":"x","blocks":[{"type":"banner"}]}`, 400, "invalid_blocks"},
		{"header not plain", "application/json", `{"text":"x","blocks":[{"type":"header","text":{"type":"mrkdwn","text":"*x*"}}]}`, 400, "invalid_blocks"},
		{"section too long", "application/json", `{"text":"x","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"` + long + `"}}]}`, 400, "invalid_blocks"},
		{"empty context", "application/json", `{"text":"x","blocks":[{"type":"context","elements":[]}]}`, 400, "invalid_blocks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.srv.Reset() // a fresh pace for each case
			a := f.post(t, slackPath, tc.ctype, tc.body, nil)
			if a.status != tc.status || a.body != tc.text {
				t.Errorf("answer %d %q, want %d %q", a.status, a.body, tc.status, tc.text)
			}
			if a.ctype != "text/html" {
				t.Errorf("Content-Type %q, want text/html as Slack sends", a.ctype)
			}
			reqs := f.srv.Requests()
			if len(reqs) != 1 || reqs[0].Kind != "slack" || reqs[0].Path != slackPath || reqs[0].Status != tc.status || reqs[0].Accepted != (tc.status == 200) {
				t.Errorf("recorded %+v", reqs)
			}
		})
	}
	if a := f.post(t, "/other", "application/json", `{"text":"x"}`, nil); a.status != 404 || a.body != "no_service" {
		t.Errorf("unknown path: %d %q", a.status, a.body)
	}
}

// Beyond a short burst, a webhook gets 429 with Retry-After, as Slack's
// one message a second per webhook; another webhook has its own pace.
func TestSlackWebhookPacesEachURL(t *testing.T) {
	f := newFixture(t, Options{})
	accepted, limited := 0, 0
	for range 8 {
		a := f.post(t, slackPath, "application/json", `{"text":"x"}`, nil)
		switch a.status {
		case 200:
			accepted++
		case 429:
			limited++
			if a.body != "rate_limited" || a.retryAfter != "1" {
				t.Errorf("429 answer %q, Retry-After %q", a.body, a.retryAfter)
			}
		default:
			t.Fatalf("answer %d %q", a.status, a.body)
		}
	}
	if accepted < 5 || accepted > 6 || limited == 0 {
		t.Errorf("%d accepted, %d limited of 8 back to back; want the burst of 5 and then 429", accepted, limited)
	}
	if a := f.post(t, "/services/T1/B1/other", "application/json", `{"text":"x"}`, nil); a.status != 200 {
		t.Errorf("another webhook was limited too: %d", a.status)
	}
}

func TestInjectedFaultsCarryRetryAfterAndAreRecorded(t *testing.T) {
	f := newFixture(t, Options{})
	f.srv.Controls().InjectFault(knobs.Fault{Op: OpSlack, Status: 429, RetryAfter: knobs.Duration(2 * time.Second)})
	f.srv.Controls().InjectFault(knobs.Fault{Op: OpWebhook, Status: 503})
	f.srv.Controls().InjectFault(knobs.Fault{Op: OpSlack, Status: 410})
	if a := f.post(t, slackPath, "application/json", `{"text":"x"}`, nil); a.status != 429 || a.retryAfter != "2" || a.body != "rate_limited" {
		t.Errorf("429 fault: %+v", a)
	}
	if a := f.post(t, "/hooks/x", "application/json", `{"id":"e1"}`, nil); a.status != 503 || a.retryAfter != "1" {
		t.Errorf("503 fault: %+v", a)
	}
	if a := f.post(t, slackPath, "application/json", `{"text":"x"}`, nil); a.status != 410 || a.body != "channel_is_archived" {
		t.Errorf("410 fault: %+v", a)
	}
	if a := f.post(t, slackPath, "application/json", `{"text":"x"}`, nil); a.status != 200 {
		t.Errorf("after the faults: %+v", a)
	}
	var accepted int
	for _, r := range f.srv.Requests() {
		if r.Accepted {
			accepted++
		}
	}
	if n := len(f.srv.Requests()); n != 4 || accepted != 1 {
		t.Errorf("%d requests recorded, %d accepted; want 4 and 1", n, accepted)
	}
	if st := f.srv.Controls().Stats().ByOpStatus[OpSlack]; st["429"] != 1 || st["410"] != 1 || st["200"] != 1 {
		t.Errorf("stats %v", st)
	}
}

// A hanging fault holds the request until the sender gives up; it is
// recorded as never answered, and not accepted.
func TestHangingFaultIsRecordedUnanswered(t *testing.T) {
	f := newFixture(t, Options{})
	f.srv.Controls().InjectFault(knobs.Fault{Op: OpWebhook, Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.url+"/hooks/x", strings.NewReader(`{"id":"e1"}`))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the hanging request was answered")
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(f.srv.Requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	reqs := f.srv.Requests()
	if len(reqs) != 1 || reqs[0].Status != 0 || reqs[0].Accepted {
		t.Errorf("recorded %+v, want one unanswered request", reqs)
	}
}

// The generic receiver accepts JSON and marks a repeated event id as a
// duplicate, whether the id came in the Idempotency-Key header or the body.
func TestGenericWebhookDeduplicatesByEventID(t *testing.T) {
	f := newFixture(t, Options{})
	f.post(t, "/hooks/a", "application/json", `{"id":"e1","event":"failing"}`, nil)
	f.post(t, "/hooks/a", "application/json", `{"id":"e1","event":"failing"}`, nil)
	f.post(t, "/hooks/a", "application/json", `{"event":"ok"}`, map[string]string{"Idempotency-Key": "e2"})
	if a := f.post(t, "/hooks/a", "application/json", `not json`, nil); a.status != 400 {
		t.Errorf("non-JSON body: %d", a.status)
	}
	reqs := f.srv.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests", len(reqs))
	}
	want := []struct {
		id  string
		dup bool
	}{{"e1", false}, {"e1", true}, {"e2", false}, {"", false}}
	for i, w := range want {
		if reqs[i].EventID != w.id || reqs[i].Duplicate != w.dup {
			t.Errorf("request %d: id %q duplicate %v, want %q %v", i, reqs[i].EventID, reqs[i].Duplicate, w.id, w.dup)
		}
	}
	var ev map[string]any
	if err := json.Unmarshal(reqs[0].Body, &ev); err != nil || ev["event"] != "failing" {
		t.Errorf("body %s", reqs[0].Body)
	}

	resp, err := http.Get(f.url + "/_sandbox/webhooks")
	if err != nil {
		t.Fatal(err)
	}
	var listed struct{ Requests []Request }
	_ = json.NewDecoder(resp.Body).Decode(&listed)
	resp.Body.Close()
	if len(listed.Requests) != 4 || listed.Requests[1].Seq != 2 {
		t.Errorf("/_sandbox/webhooks listed %+v", listed.Requests)
	}
	req, _ := http.NewRequest(http.MethodDelete, f.url+"/_sandbox/webhooks", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("%d requests after DELETE", n)
	}
}
