package fleet

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/monitor"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var now = time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)

// fleetPass is a pass over a small fleet: one export failing, one not
// checked, two healthy, one cluster not exporting.
func fleetPass() *monitor.PassResult {
	return &monitor.PassResult{
		Number: 42, Deep: true, Started: now.Add(-10 * time.Second), Pending: 1,
		Checks: []monitor.Check{
			{ClusterID: "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30", ClusterName: "prod-aws", Status: "ENABLED", Health: monitor.Healthy, Since: now.Add(-3 * time.Hour),
				Regions: []monitor.RegionLogs{{Region: "us-east-1", Arriving: true, Streams: 33}, {Region: "us-west-2", Arriving: true, Streams: 33}, {Region: "eu-west-1", Arriving: true, Streams: 33}}},
			{ClusterID: "4a1e8b6c-2d3f-4a5b-9c7e-8f0d1b2a3c45", ClusterName: "staging-aws", Status: "CREDENTIALS_ERROR", Health: monitor.Failing, Since: now.Add(-12 * time.Minute),
				UserMessage: "unable to assume role arn:aws:iam::314159265358:role/CockroachCloudLogExportRole with external ID \"crdb-1\": AccessDenied",
				Regions:     []monitor.RegionLogs{{Region: "us-east-2", Arriving: false, Streams: 33}},
				Checks:      []string{"export-status", "trust-principal"},
				Findings: []monitor.Finding{
					{Check: "export-status", Severity: steps.SeverityError, Summary: "log export is CREDENTIALS_ERROR", Fix: "--fix enables the export again (POSTs the current configuration) once the other findings are repaired"},
					{Check: "trust-principal", Severity: steps.SeverityError, Summary: "the trust policy does not let the cluster's account 577215664901 assume the role", Fix: "--fix adds a statement for arn:aws:iam::577215664901:root"},
				}},
			{ClusterID: "7c2b9e4d-1f6a-4b8c-a3d5-6e7f8a9b0c12", ClusterName: "standard-aws", Status: "ENABLED", Health: monitor.Healthy, Since: now.Add(-50 * time.Hour),
				Regions: []monitor.RegionLogs{{Region: "us-east-1", Arriving: true, Streams: 11}}},
			{ClusterID: "e2a4c6d8-9b1f-4e3a-b5c7-d9e1f3a5b7c9", ClusterName: "fleet-0007", Error: "reading the export: rate limit exceeded (HTTP 429)"},
			{ClusterID: "b5d8e1f2-3a4c-4d6e-8f9a-0b1c2d3e4f56", ClusterName: "analytics-gcp", Health: monitor.NotExported, Skipped: "GCP"},
		},
	}
}

func newModel(snap Snapshot, checkNow func()) *Model {
	ch := make(chan struct{})
	m := New(context.Background(), Config{Title: "every cluster that exports logs", Latest: func() Snapshot { return snap }, Changed: ch, CheckNow: checkNow, Now: func() time.Time { return now }})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	return m
}

func press(m *Model, k string) tea.Cmd {
	var msg tea.KeyPressMsg
	switch k {
	case "down":
		msg = tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		msg = tea.KeyPressMsg{Code: tea.KeyUp}
	case "enter":
		msg = tea.KeyPressMsg{Code: tea.KeyEnter}
	default:
		msg = tea.KeyPressMsg{Code: rune(k[0]), Text: k}
	}
	_, cmd := m.Update(msg)
	return cmd
}

func golden(t *testing.T, name string, m *Model) {
	t.Helper()
	content := m.View().Content
	plain := ansi.Strip(content)
	lines := strings.Split(plain, "\n")
	if len(lines) > 24 {
		t.Errorf("%s: %d lines on a 24-line terminal:\n%s", name, len(lines), plain)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("%s: line %d is %d columns: %q", name, i+1, w, l)
		}
	}
	var b bytes.Buffer
	w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.ANSI}
	_, _ = w.WriteString(content)
	got := b.String() + "\n"
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update creates it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("screen %s differs from %s (go test -update rewrites it)\n--- got:\n%s\n--- want:\n%s", name, path, ansi.Strip(got), ansi.Strip(string(want)))
	}
}

// The failing export comes first and is selected; its findings and fixes
// are below the table; moving the selection shows another cluster's.
func TestFleetScreenGolden(t *testing.T) {
	m := newModel(Snapshot{Result: fleetPass(), Next: now.Add(4*time.Minute + 50*time.Second)}, nil)
	golden(t, "fleet-failing-selected", m)
	press(m, "down")
	press(m, "down")
	golden(t, "fleet-healthy-selected", m)

	waiting := newModel(Snapshot{Running: true}, nil)
	golden(t, "fleet-first-pass", waiting)
}

// Enter ends the screen with the selected cluster; r asks for a pass; q
// quits.
func TestFleetScreenKeys(t *testing.T) {
	checks := 0
	m := newModel(Snapshot{Result: fleetPass()}, func() { checks++ })
	press(m, "r")
	if checks != 1 {
		t.Errorf("r asked for %d pass(es)", checks)
	}
	press(m, "down")
	if cmd := press(m, "enter"); cmd == nil {
		t.Fatal("enter did not end the screen")
	}
	if c := m.Choice(); c.ClusterName != "fleet-0007" || c.ClusterID == "" || c.Quit {
		t.Errorf("choice %+v, want the second row (the cluster not checked)", c)
	}
	q := newModel(Snapshot{Result: fleetPass()}, nil)
	press(q, "q")
	if !q.Choice().Quit {
		t.Error("q did not quit")
	}
}

// A fleet taller than the screen scrolls with the selection, and the
// screen never grows past the terminal.
func TestFleetScreenScrolls(t *testing.T) {
	res := &monitor.PassResult{Number: 1, Started: now}
	for i := range 60 {
		res.Checks = append(res.Checks, monitor.Check{ClusterID: fmt.Sprintf("id-%02d", i), ClusterName: fmt.Sprintf("fleet-%04d", i), Status: "ENABLED", Health: monitor.Healthy})
	}
	m := newModel(Snapshot{Result: res}, nil)
	for range 59 {
		press(m, "down")
	}
	plain := ansi.Strip(m.View().Content)
	if n := len(strings.Split(plain, "\n")); n > 24 {
		t.Errorf("%d lines", n)
	}
	if !strings.Contains(plain, "▸ fleet-0059") || strings.Contains(plain, "fleet-0000 ") {
		t.Errorf("the selection at the last row is not in view:\n%s", plain)
	}
	if !strings.Contains(plain, "more (↑/↓ scroll)") {
		t.Errorf("no hint that rows are hidden:\n%s", plain)
	}
}

// At every width the findings, fixes and the user message break at
// spaces: a region, a timestamp, a check ID or a role name is never cut
// at its hyphen (as "eu-|west-1" was).
func TestFleetScreenKeepsWordsWhole(t *testing.T) {
	res := fleetPass()
	res.Checks[1].UserMessage = "logs stopped arriving in eu-west-1 at 2026-12-03T23:49:17Z for CockroachCloudLogExportRole"
	res.Checks[1].Findings[1].Summary = "no stream in us-east-2 since 2026-12-03T23:49:17Z (check logs-arriving-us-east-2)"
	for _, width := range []int{40, 48, 56, 64, 72, 80} {
		m := newModel(Snapshot{Result: res}, nil)
		m.Update(tea.WindowSizeMsg{Width: width, Height: 60})
		plain := ansi.Strip(m.View().Content)
		for i, l := range strings.Split(plain, "\n") {
			if w := ansi.StringWidth(l); w > width {
				t.Errorf("width %d: line %d is %d columns: %q", width, i+1, w, l)
			}
			if strings.HasSuffix(strings.TrimRight(l, " "), "-") {
				t.Errorf("width %d: line %d ends inside a hyphenated word: %q", width, i+1, l)
			}
		}
		joined := strings.Join(strings.Fields(plain), " ")
		for _, word := range []string{"eu-west-1", "2026-12-03T23:49:17Z", "logs-arriving-us-east-2", "CockroachCloudLogExportRole", "trust-principal"} {
			if !strings.Contains(joined, word) {
				t.Errorf("width %d: %q is not whole on the screen:\n%s", width, word, plain)
			}
		}
	}
}
