package knobs

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestFaultsApplyInOrderAndRunOut(t *testing.T) {
	c := New()
	c.InjectFault(Fault{Op: "iam:CreateRole", Times: 2, Status: 400, Code: "Throttling"})
	c.InjectFault(Fault{Op: "iam:CreateRole", Status: 500, Code: "InternalFailure"})
	ctx := context.Background()
	var got []string
	for i := 0; i < 4; i++ {
		f, ok := c.Begin(ctx, "iam:CreateRole")
		if ok {
			got = append(got, f.Code)
		} else {
			got = append(got, "-")
		}
	}
	if strings.Join(got, ",") != "Throttling,Throttling,InternalFailure,-" {
		t.Fatalf("fault sequence = %v", got)
	}
	if _, ok := c.Begin(ctx, "iam:GetRole"); ok {
		t.Fatal("a fault for another operation applied")
	}
}

func TestUnlimitedFaultLastsUntilCleared(t *testing.T) {
	c := New()
	c.InjectFault(Fault{Op: "logs:PutLogEvents", Times: -1, Status: 400, Code: "AccessDenied"})
	for i := 0; i < 5; i++ {
		if _, ok := c.Begin(context.Background(), "logs:PutLogEvents"); !ok {
			t.Fatalf("call %d was not faulted", i)
		}
	}
	c.ClearFaults()
	if _, ok := c.Begin(context.Background(), "logs:PutLogEvents"); ok {
		t.Fatal("fault survived ClearFaults")
	}
}

func TestHangReturnsWhenCallerGivesUp(t *testing.T) {
	c := New()
	c.InjectFault(Fault{Op: "cloud:GetCluster", Hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Fault)
	go func() {
		f, _ := c.Begin(ctx, "cloud:GetCluster")
		done <- f
	}()
	select {
	case <-done:
		t.Fatal("hanging fault returned before the caller gave up")
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	if f := <-done; !f.Hang {
		t.Fatalf("got %+v, want the hanging fault", f)
	}
}

func TestDelayOnlyFaultIsNotAnError(t *testing.T) {
	c := New()
	c.InjectFault(Fault{Op: "sts:GetCallerIdentity", Delay: Duration(time.Millisecond)})
	if _, ok := c.Begin(context.Background(), "sts:GetCallerIdentity"); ok {
		t.Fatal("a delay-only fault was reported as an error")
	}
	if len(c.Faults()) != 0 {
		t.Fatal("delay-only fault was not consumed")
	}
}

func TestAdminEndpoints(t *testing.T) {
	c := New()
	resets := 0
	srv := httptest.NewServer(Admin{Controls: c, OnReset: func() { resets++ }})
	defer srv.Close()

	do := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}

	if code, _ := do("POST", "/_sandbox/faults", `[{"op":"cloud:EnableLogExport","status":503,"times":3}]`); code != 200 {
		t.Fatalf("inject: %d", code)
	}
	if code, m := do("POST", "/_sandbox/faults", `{"op":"cloud:EnableLogExport"}`); code != 400 || !strings.Contains(m["error"].(string), "does nothing") {
		t.Fatalf("useless fault accepted: %d %v", code, m)
	}
	if fs := c.Faults(); len(fs) != 1 || fs[0].Times != 3 {
		t.Fatalf("faults after inject: %+v", fs)
	}
	if code, m := do("PUT", "/_sandbox/latency", `{"latency":"150ms"}`); code != 200 || m["latency"] != "150ms" {
		t.Fatalf("latency: %d %v", code, m)
	}
	if c.Latency() != 150*time.Millisecond {
		t.Fatalf("latency not applied: %v", c.Latency())
	}
	c.Record("cloud:ListClusters", 200)
	c.Record("cloud:ListClusters", 429)
	_, m := do("GET", "/_sandbox/stats", "")
	if m["requests"].(float64) != 2 || m["by_status"].(map[string]any)["429"].(float64) != 1 {
		t.Fatalf("stats: %v", m)
	}
	do("POST", "/_sandbox/reset", "")
	if resets != 1 || c.Latency() != 0 || len(c.Faults()) != 0 || c.Stats().Requests != 0 {
		t.Fatalf("reset left state: resets=%d latency=%v faults=%v stats=%+v", resets, c.Latency(), c.Faults(), c.Stats())
	}
	if code, _ := do("GET", "/_sandbox/nope", ""); code != 404 {
		t.Fatalf("unknown endpoint: %d", code)
	}
}
