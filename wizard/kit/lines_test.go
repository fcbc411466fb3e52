package kit

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// TestLinesOneTranscript: the transcript says the same in both uses —
// glyphs for the commands, words for screen readers — and keeps results
// apart from progress.
func TestLinesOneTranscript(t *testing.T) {
	for _, words := range []bool{false, true} {
		var w, res bytes.Buffer
		l := &Lines{W: &w, Results: &res, Words: words, Live: words}
		l.Event(steps.Working{Stage: steps.StagePrepare})
		l.Event(steps.StepDone{Step: steps.StepRole, Action: steps.Create, Summary: "created the role", Took: 212 * time.Millisecond})
		l.Event(steps.StepFailed{Step: steps.StepEnable, Took: 3 * time.Second})
		ev := cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnabling}, ClusterState: cloudapi.StateLocked, OperationStatus: cloudapi.OperationLogExportRunning, Polls: 2, Elapsed: 1200 * time.Millisecond}
		l.Event(steps.StatusSeen{Status: ev})
		l.Event(steps.StatusSeen{Status: ev})
		l.Event(steps.Failure{Stage: steps.StageApply, Err: &steps.StepError{Step: steps.StepEnable, Cause: errors.New("boom"), Fix: "do this"}})
		l.Event(steps.DisableApplied{Result: &steps.DisableResult{ClusterName: "prod-aws", ClusterID: "c", Status: cloudapi.StatusDisabled, Removed: []string{"role R"}}})
		out := w.String()
		done, failed := "✓ step 5", "✗ step 10"
		if words {
			done, failed = "Done: step 5", "Failed: step 10"
		}
		for _, want := range []string{"Reading the current state (read-only)", done + " (Create the cross-account IAM role) — created the role (212ms)", failed + " (Enable log export and wait) (3.0s)", "   status ENABLING (cluster LOCKED, CRDB_LOG_EXPORT_OPERATION_RUNNING) after 1.2s, 2 polls"} {
			if !strings.Contains(out, want) {
				t.Errorf("words=%v: transcript lacks %q:\n%s", words, want, out)
			}
		}
		if strings.Count(out, "status ENABLING") != 1 {
			t.Errorf("words=%v: the same status twice:\n%s", words, out)
		}
		if got := strings.Contains(out, "Error: step 10"); got != words {
			t.Errorf("words=%v (live): failure in the transcript = %v:\n%s", words, got, out)
		}
		if !strings.Contains(res.String(), "removed      role R") || strings.Contains(out, "removed      role R") {
			t.Errorf("words=%v: the result is not apart:\n%s\n---\n%s", words, out, res.String())
		}
	}
}

// TestLinesWrapWithinARow: a transcript line longer than a row goes on
// under its own indent, broken at spaces, and nothing is lost.
func TestLinesWrapWithinARow(t *testing.T) {
	var w bytes.Buffer
	l := &Lines{W: &w}
	msg := "unable to assume role arn:aws:iam::314159265358:role/CockroachCloudLogExportRole-prod-aws with external ID \"crdb-1\": AccessDenied: not authorized to perform: sts:AssumeRole"
	ev := cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusCredentialsError, UserMessage: msg}, ClusterState: cloudapi.StateCreated, Polls: 3, Elapsed: 2 * time.Second}
	l.Event(steps.StatusSeen{Status: ev})
	out := w.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 2 {
		t.Fatalf("not wrapped:\n%s", out)
	}
	for i, line := range lines {
		if len([]rune(line)) > RowWidth {
			t.Errorf("line %d is wider than %d: %q", i, RowWidth, line)
		}
		if i > 0 && !strings.HasPrefix(line, "     ") {
			t.Errorf("line %d is not under its indent: %q", i, line)
		}
	}
	if !strings.Contains(out, "arn:aws:iam::314159265358:role/CockroachCloudLogExportRole-prod-aws") || !strings.Contains(strings.Join(strings.Fields(out), " "), msg) {
		t.Errorf("the message was cut:\n%s", out)
	}
}
