package kit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
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

// terminal is a writer that says its width, as a terminal would.
type terminal struct {
	io.Writer
	cols int
}

func (t terminal) Columns() int { return t.cols }

// TestLinesWrapWithinARow: on a terminal, a transcript line longer than a
// row goes on under its own indent, broken at spaces, and nothing is
// lost; elsewhere it stays one line, for scripts.
func TestLinesWrapWithinARow(t *testing.T) {
	var flat bytes.Buffer
	(&Lines{W: &flat}).Event(steps.StatusSeen{Status: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnabling, UserMessage: strings.Repeat("word ", 40)}}})
	if n := strings.Count(flat.String(), "\n"); n != 1 {
		t.Errorf("not on a terminal, the line was wrapped:\n%s", flat.String())
	}
	var w bytes.Buffer
	l := &Lines{W: terminal{&w, RowWidth}}
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

// TestPlainTextFitsANarrowTerminal: on a 60-column terminal, the results'
// rows and the doctor's report wrap at its width — rows under their label,
// ARNs only after ':' or '/'.
func TestPlainTextFitsANarrowTerminal(t *testing.T) {
	var b bytes.Buffer
	w := terminal{&b, 60}
	WriteSetupResult(w, &steps.SetupResult{ClusterName: "prod-aws", ClusterID: "0f7d3c2e", Status: cloudapi.StatusEnabled, LogGroup: "crdb-prod-aws", Regions: []string{"us-east-1", "eu-west-1"},
		RoleARN: "arn:aws:iam::314159265358:role/CockroachCloudLogExportRole-prod-aws"}, time.Now())
	WriteDoctorReport(w, sampleReport(), "doctor --fix")
	out := b.String()
	for i, line := range strings.Split(out, "\n") {
		if n := len([]rune(line)); n > 60 {
			t.Errorf("line %d is %d columns on a 60-column terminal: %q", i, n, line)
		}
	}
	if !strings.Contains(out, "role ARN     arn:aws:iam::314159265358:role/\n             CockroachCloudLogExportRole-prod-aws\n") {
		t.Errorf("the role ARN row is not wrapped under its label:\n%s", out)
	}
	if !strings.Contains(strings.Join(strings.Fields(out), ""), strings.Join(strings.Fields(sampleReport().Findings[1].Evidence), "")) {
		t.Errorf("the evidence lost characters:\n%s", out)
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

// TestLinesListSetupStepsInOrder: setup's steps 1, 5 and 7 run at once
// and finish in any order; the transcript lists them 1 to 10, as the plan
// does. A failure prints what is held first, then itself.
func TestLinesListSetupStepsInOrder(t *testing.T) {
	done := func(l *Lines, ids ...string) {
		for _, id := range ids {
			l.Event(steps.StepStarted{Step: id})
			l.Event(steps.StepDone{Step: id, Action: steps.Create, Summary: "did " + id})
		}
	}
	var w bytes.Buffer
	l := &Lines{W: &w}
	l.Event(steps.Working{Stage: steps.StageApply})
	done(l, steps.StepOrganization, steps.StepCluster, steps.StepClusterAccount, steps.StepPermissions, steps.StepRole, steps.StepLogGroup, steps.StepTrust, steps.StepPolicy, steps.StepRoleARN)
	l.Event(steps.StatusSeen{Status: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnabling}, Polls: 1}})
	done(l, steps.StepEnable)
	var got []int
	for _, line := range strings.Split(w.String(), "\n") {
		for _, st := range steps.StepTitles {
			if strings.HasSuffix(line, "did "+st.ID+" (0ms)") {
				got = append(got, steps.StepNumber(st.ID))
			}
		}
	}
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("steps listed %v, want %v:\n%s", got, want, w.String())
	}
	if i, j := strings.Index(w.String(), "status ENABLING"), strings.Index(w.String(), "did role-arn"); i < j {
		t.Errorf("the status came before step 9:\n%s", w.String())
	}

	w.Reset()
	l.Event(steps.Working{Stage: steps.StageApply})
	done(l, steps.StepOrganization, steps.StepCluster, steps.StepClusterAccount, steps.StepRole)
	l.Event(steps.StepFailed{Step: steps.StepPermissions})
	out := w.String()
	if !strings.Contains(out, "did role") || strings.Index(out, "did role") > strings.Index(out, "step 7") {
		t.Errorf("a failure did not print the held steps first:\n%s", out)
	}
}

// TestLinesCountInWords: one poll is "1 poll" (issue 13: "1 polls").
func TestLinesCountInWords(t *testing.T) {
	for polls, want := range map[int]string{1: ", 1 poll\n", 2: ", 2 polls\n"} {
		var w bytes.Buffer
		l := &Lines{W: &w}
		l.Event(steps.StatusSeen{Status: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnabling}, Polls: polls, Elapsed: 300 * time.Millisecond}})
		if !strings.HasSuffix(w.String(), want) {
			t.Errorf("%d polls: %q, want it to end %q", polls, w.String(), want)
		}
	}
}

// A plan printed on a terminal (setup --yes, dry runs) wraps at spaces
// within its width: the terminal never cuts an account ID or a role name.
func TestPlanWrapsOnATerminal(t *testing.T) {
	p := &steps.SetupPlan{ClusterName: "prod-aws", ClusterID: "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30", PlanType: "ADVANCED", Cloud: "AWS",
		YourAccount: "314159265358", CallerARN: "arn:aws:iam::314159265358:user/sandbox-admin",
		Steps: []steps.PlannedStep{{Number: 6, ID: steps.StepRole, Title: "Create the role", Action: steps.ExistsOK,
			Summary: "role arn:aws:iam::314159265358:role/CockroachCloudLogExportRole-prod-aws exists, made by this tool for this cluster (tags crdb-logexport:cluster-id)"}},
		Trust: &awsiam.PolicyDocument{Version: awsiam.PolicyVersion}}
	for _, cols := range []int{60, 80, 100} {
		var b bytes.Buffer
		(&Lines{W: terminal{&b, cols}, Plans: true}).Event(steps.SetupPlanned{Plan: p})
		out := b.String()
		for i, line := range strings.Split(out, "\n") {
			if n := len([]rune(line)); n > cols {
				t.Errorf("%d columns: line %d is %d wide: %q", cols, i, n, line)
			}
		}
		flat := strings.Join(strings.Fields(out), " ")
		for _, word := range []string{"account 314159265358", "arn:aws:iam::314159265358:role/CockroachCloudLogExportRole-prod-aws", "crdb-logexport:cluster-id"} {
			if !strings.Contains(flat, word) && !strings.Contains(strings.Join(strings.Fields(out), ""), strings.ReplaceAll(word, " ", "")) {
				t.Errorf("%d columns: %q is not whole:\n%s", cols, word, out)
			}
		}
	}
}
