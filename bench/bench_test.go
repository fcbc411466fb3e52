package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10, 11, 12}
	for _, c := range []struct {
		p    float64
		want float64
	}{{50, 6}, {95, 12}, {90, 11}, {0, 1}, {100, 12}} {
		if got := percentile(xs, c.p); got != c.want {
			t.Errorf("p%.0f of 1..12 = %v, want %v", c.p, got, c.want)
		}
	}
	twenty := make([]float64, 20)
	for i := range twenty {
		twenty[i] = float64(i + 1)
	}
	if got := percentile(twenty, 95); got != 19 {
		t.Errorf("p95 of 1..20 = %v, want 19", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median of 1..4 = %v, want 2.5", got)
	}
}

func TestTerraformPoll(t *testing.T) {
	s := time.Second
	for _, c := range []struct {
		change, at time.Duration
		polls      int
	}{
		{0, 0, 1},
		{3 * s, 3500 * time.Millisecond, 4},
		{3500 * time.Millisecond, 3500 * time.Millisecond, 4},
		{17 * s, 25500 * time.Millisecond, 7},
		{45 * s, 45500 * time.Millisecond, 9},
		{45600 * time.Millisecond, 55500 * time.Millisecond, 10},
	} {
		at, polls := terraformPoll(c.change)
		if at != c.at || polls != c.polls {
			t.Errorf("change at %s: Terraform polls at %s (poll %d), want %s (poll %d)", c.change, at, polls, c.at, c.polls)
		}
	}
}

func TestSampleDelaysCoverTheWindowEvenly(t *testing.T) {
	var got []time.Duration
	for k := range 4 {
		got = append(got, sampleDelay(45*time.Second, k, 4))
	}
	// At 45 s the watcher polls every 750 ms: a window of two polls, 1.5 s,
	// split in four, each sample in the middle of its quarter.
	want := []time.Duration{44437500 * time.Microsecond, 44812500 * time.Microsecond, 45187500 * time.Microsecond, 45562500 * time.Microsecond}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("delays around 45 s = %v, want %v", got, want)
	}
	if d := sampleDelay(3*time.Second, 0, 1); d != 3*time.Second {
		t.Errorf("a single sample is at the nominal delay, got %s", d)
	}
}

func TestCallLayers(t *testing.T) {
	calls := []exchange{
		{Op: "GET /api/v1/clusters", StartMS: 30, EndMS: 130},
		{Op: "sts:GetCallerIdentity", StartMS: 31, EndMS: 131},
		{Op: "logs:DescribeLogGroups", Region: "us-east-1", StartMS: 135, EndMS: 235},
		{Op: "logs:DescribeLogGroups", Region: "eu-west-1", StartMS: 136, EndMS: 236},
		// Started before the describes answered: same depth.
		{Op: "iam:GetRole", StartMS: 200, EndMS: 300},
		{Op: "POST /api/v1/clusters/{id}/logexport", StartMS: 301, EndMS: 401},
	}
	got := callLayers(calls)
	want := []layer{
		{Ops: []string{"GET /api/v1/clusters", "sts:GetCallerIdentity"}, StartMS: 30, EndMS: 131},
		{Ops: []string{"logs:DescribeLogGroups ×2", "iam:GetRole"}, StartMS: 135, EndMS: 300},
		{Ops: []string{"POST /api/v1/clusters/{id}/logexport"}, StartMS: 301, EndMS: 401},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("layers:\n got %+v\nwant %+v", got, want)
	}
	if len(callLayers(nil)) != 0 {
		t.Error("no calls, no layers")
	}
}

func TestOpNames(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("Action=CreateRole&Version=2010-05-08&RoleName=x"))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/20250601/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00")
	if op, region := awsOp(r); op != "iam:CreateRole" || region != "" {
		t.Errorf("IAM call named %q in %q", op, region)
	}
	// The body is still there for the emulator.
	if b, err := io.ReadAll(r.Body); err != nil || !strings.Contains(string(b), "RoleName=x") {
		t.Errorf("body after naming: %q, %v", b, err)
	}
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/20250601/eu-west-1/logs/aws4_request, SignedHeaders=host, Signature=00")
	r.Header.Set("X-Amz-Target", "Logs_20140328.PutRetentionPolicy")
	if op, region := awsOp(r); op != "logs:PutRetentionPolicy" || region != "eu-west-1" {
		t.Errorf("Logs call named %q in %q", op, region)
	}
	r = httptest.NewRequest(http.MethodGet, "/api/v1/clusters/0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30/logexport", nil)
	if op, _ := cloudOp(r); op != "GET /api/v1/clusters/{id}/logexport" {
		t.Errorf("Cloud call named %q", op)
	}
}

func TestParseBench(t *testing.T) {
	out := `goos: linux
BenchmarkView/menu/80x24-2         	    1707	    134775 ns/op	  166369 B/op	     413 allocs/op
BenchmarkView/summary/120x50-2                	     854	    272273.5 ns/op	   59316 B/op	     776 allocs/op
PASS`
	got := parseBench(out)
	want := []viewResult{
		{Name: "BenchmarkView/menu/80x24", Iterations: 1707, NsPerOp: 134775, BytesPerOp: 166369, AllocsPerOp: 413},
		{Name: "BenchmarkView/summary/120x50", Iterations: 854, NsPerOp: 272273.5, BytesPerOp: 59316, AllocsPerOp: 776},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseBench:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseGNUTime(t *testing.T) {
	report := "\tCommand being timed: \"crdb-logexport demo\"\n" +
		"\tElapsed (wall clock) time (h:mm:ss or m:ss): 0:17.52\n" +
		"\tMaximum resident set size (kbytes): 35232\n" +
		"\tExit status: 0\n"
	d, err := parseGNUTime(report)
	if err != nil || d.MaxRSSKiB != 35232 || d.Elapsed != "0:17.52" || d.ExitStatus != 0 {
		t.Errorf("parseGNUTime = %+v, %v", d, err)
	}
	if _, err := parseGNUTime("Command exited with non-zero status 1\n"); err == nil {
		t.Error("a report without the RSS line must be an error")
	}
}

func TestParseExport(t *testing.T) {
	for line, want := range map[string][2]string{
		"export AWS_REGION=us-east-1":        {"AWS_REGION", "us-east-1"},
		`export X='it'\''s'`:                 {"X", "it's"},
		"export COCKROACH_SERVER=http://a:1": {"COCKROACH_SERVER", "http://a:1"},
	} {
		name, value, ok := parseExport(line)
		if !ok || name != want[0] || value != want[1] {
			t.Errorf("parseExport(%q) = %q, %q, %v", line, name, value, ok)
		}
	}
	if _, _, ok := parseExport("Seeded clusters:"); ok {
		t.Error("a line that is not an export was parsed")
	}
}

func TestTerminalRepliesAnswerEachQueryOnce(t *testing.T) {
	var term terminalReplies
	if r := term.answer([]byte("\x1b[?25l hello")); len(r) != 0 {
		t.Errorf("answered %q to no query", r)
	}
	// A query split across two reads is answered once, when complete.
	if r := term.answer([]byte("frame\x1b]11")); len(r) != 0 {
		t.Errorf("answered %q to half a query", r)
	}
	r := string(term.answer([]byte(";?\x07\x1b[c")))
	if r != "\x1b]11;rgb:1e1e/1e1e/1e1e\x1b\\\x1b[?62;22c" {
		t.Errorf("reply %q", r)
	}
	if r := term.answer([]byte("more output")); len(r) != 0 {
		t.Errorf("answered %q again", r)
	}
}

func TestSelectRows(t *testing.T) {
	sel, err := selectRows("1, watch ,6")
	if err != nil || !reflect.DeepEqual(sel, map[string]bool{"1": true, "2": true, "6": true}) {
		t.Errorf("selectRows = %v, %v", sel, err)
	}
	if _, err := selectRows("9"); err == nil {
		t.Error("an unknown row was accepted")
	}
	if sel, _ := selectRows(""); len(sel) != len(rowFuncs) {
		t.Errorf("no -only selects %d rows, want all %d", len(sel), len(rowFuncs))
	}
}

func TestBusy(t *testing.T) {
	for load, want := range map[string]bool{"4.88 2.28 1.37": true, "0.52 0.80 0.85": false, "2.00 1 1": false, "unknown": false} {
		if got := busy(load, 2); got != want {
			t.Errorf("busy(%q, 2 CPUs) = %v, want %v", load, got, want)
		}
	}
}

func TestParseInitTrace(t *testing.T) {
	stderr := []byte("init runtime @0.16 ms, 0.12 ms clock, 0 bytes, 0 allocs\n" +
		"some other line\n" +
		"init github.com/crdb-logexport/crdb-logexport/cloudapi @3.1 ms, 6.8 ms clock, 353984 bytes, 4210 allocs\n")
	recs, err := parseInitTrace(stderr)
	if err != nil {
		t.Fatal(err)
	}
	want := []initRecord{
		{pkg: "runtime", clock: 120 * time.Microsecond, bytes: 0},
		{pkg: "github.com/crdb-logexport/crdb-logexport/cloudapi", clock: 6800 * time.Microsecond, bytes: 353984},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Fatalf("parsed %+v, want %+v", recs, want)
	}
	if _, err := parseInitTrace([]byte("crdb-logexport dev\n")); err == nil {
		t.Fatal("output without a trace parsed")
	}
}

// A run of some rows keeps the file's other rows, each saying when it was
// measured.
func TestKeepEarlierRows(t *testing.T) {
	path := t.TempDir() + "/results.json"
	earlier := results{Machine: machine{Date: "2026-01-01T00:00:00Z"}, Rows: []Row{{ID: "1"}, {ID: "2a"}, {ID: "2b"}, {ID: "7", Measured: 99}}}
	if err := writeResults(path, earlier); err != nil {
		t.Fatal(err)
	}
	got := keepEarlierRows(path, []Row{{ID: "7", Measured: 20, MeasuredAt: "2026-02-02T00:00:00Z"}, {ID: "8"}})
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID+"@"+r.MeasuredAt)
	}
	want := []string{"1@2026-01-01T00:00:00Z", "2a@2026-01-01T00:00:00Z", "2b@2026-01-01T00:00:00Z", "7@2026-02-02T00:00:00Z", "8@"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("rows %v, want %v", ids, want)
	}
	if got[3].Measured != 20 {
		t.Errorf("row 7 is the earlier run's, not this one's")
	}
}
