package kit

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

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

// A fix that carries its own "Fix:" (a plan's conflict line) is labelled
// once.
func TestFixIsLabelledOnce(t *testing.T) {
	err := &steps.StepError{Step: steps.StepRole, Cause: errors.New("the plan has a conflict"), Fix: "Fix: leave --role-name out"}
	if got := ErrorText(err); strings.Count(got, "Fix:") != 1 || !strings.HasSuffix(got, "\nFix: leave --role-name out") {
		t.Fatalf("ErrorText = %q", got)
	}
	if got := ansi.Strip(ErrorBlock(err, Plain(), 80, 0)); strings.Count(got, "Fix") != 1 {
		t.Fatalf("ErrorBlock = %q", got)
	}
}
