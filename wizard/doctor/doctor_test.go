package doctor

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell/shelltest"
)

// program opens the doctor on cluster; the tasks it leads to are stubs.
func program(build shelltest.Build, cluster string, accessible bool) *shell.Program {
	return shelltest.Program(shell.TaskDoctor, accessible, func(sh *shell.Shell) shell.Task {
		return New(sh, Config{Connect: steps.ConnectTask{Build: build, ClusterRef: cluster}, Fix: shelltest.FastFix})
	})
}

// at waits for the doctor to reach a stage and to ask there.
func at(t *testing.T, hs *shelltest.Harness, st stage) *Model {
	t.Helper()
	hs.Until("the doctor's stage", 30*time.Second, func() bool {
		m, ok := hs.P.Task().(*Model)
		return ok && m.stage == st && !hs.P.Ended() && (st == applying || st == reenabling || hs.P.Shell().Pending() != nil)
	})
	return hs.P.Task().(*Model)
}

// has reports whether the screen shows text (wrapping aside), or the
// viewport it scrolls does — only while the screen scrolls it: the
// viewport may still hold an earlier screen's content.
func has(hs *shelltest.Harness, text string) bool {
	shown := hs.Screen()
	if m, ok := hs.P.Task().(*Model); ok && strings.Contains(shown, "to scroll") {
		shown += m.vp.GetContent()
	}
	return strings.Contains(shelltest.Squeeze(ansi.Strip(shown)), shelltest.Squeeze(text))
}

func roleTrust(t *testing.T, env *steps.Env) string {
	t.Helper()
	st, err := awsiam.InspectRole(context.Background(), env.AWS.IAM, shelltest.StagingRole)
	if err != nil {
		t.Fatal(err)
	}
	return st.Trust.JSON()
}

func TestDoctorRepairsAWrongTrustAndEnablesAgain(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	env := shelltest.ExportWithWrongTrust(t, connect)
	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, false), 80, 24)

	f := at(t, hs, report)
	if fd := f.report.Finding(steps.CheckTrustPrincipal); fd.Severity != steps.SeverityError {
		t.Fatalf("trust-principal is %s", fd.Severity)
	}
	shelltest.CheckFits(t, "report", hs.Screen(), 80, 24)
	for _, want := range []string{"Diagnosis of staging-aws", "CREDENTIALS_ERROR", "✗ error    trust-principal", "Evidence", shelltest.WrongTrust, "Fix it: review and apply 1 change"} {
		if !has(hs, want) {
			t.Errorf("report screen lacks %q:\n%s", want, hs.Screen())
		}
	}

	hs.Enter() // Fix it
	f = at(t, hs, preview)
	for _, want := range []string{"Fix it: 1 change to staging-aws", "not applied yet", "1. [update-trust]", "repairs: trust-principal", "Then the export is enabled again", "Apply it, then enable the export again?"} {
		if !has(hs, want) {
			t.Errorf("preview lacks %q:\n%s", want, hs.Screen())
		}
	}
	diff := f.plan.Fixes[0].Diff
	if !strings.Contains(diff, "- ") || !strings.Contains(diff, "+ ") || !strings.Contains(diff, cloudemu.StagingAWSAccountID+":root") {
		t.Fatalf("the plan's diff:\n%s", diff)
	}
	if !has(hs, "-"+strings.TrimPrefix(firstLine(diff, "- "), "- ")) {
		t.Errorf("the preview does not show the diff's removed line %q:\n%s", firstLine(diff, "- "), hs.Screen())
	}
	shelltest.CheckFits(t, "preview", hs.Screen(), 80, 24)
	if strings.Contains(roleTrust(t, env), cloudemu.StagingAWSAccountID) {
		t.Fatal("the trust changed before the change was confirmed")
	}

	// Apply: one confirmation repairs and enables again — nothing else is
	// asked before the report after it.
	var asked []string
	hs.Enter()
	hs.Until("the report after enabling again", 60*time.Second, func() bool {
		if q := hs.P.Shell().Pending(); q != nil {
			switch q := q.(type) {
			case steps.Confirm:
				if len(asked) == 0 || asked[len(asked)-1] != q.ID {
					asked = append(asked, q.ID)
				}
			case steps.Choice:
				if q.ID != steps.ChoiceDoctorNext && (len(asked) == 0 || asked[len(asked)-1] != q.ID) {
					asked = append(asked, q.ID)
				}
			}
		}
		f, _ = hs.P.Task().(*Model)
		return f != nil && f.stage == report && f.report != nil && f.report.Status == cloudapi.StatusEnabled
	})
	if len(asked) > 0 {
		t.Fatalf("after Apply the doctor asked again: %v", asked)
	}
	if !strings.Contains(roleTrust(t, env), "arn:aws:iam::"+cloudemu.StagingAWSAccountID+":root") {
		t.Fatalf("trust not repaired:\n%s", roleTrust(t, env))
	}
	if !f.report.OK {
		t.Fatalf("after enabling again: ok=%v status %s\n%s", f.report.OK, f.report.Status, hs.Screen())
	}
	for _, want := range []string{"Enabled again: the export is ENABLED.", "no errors"} {
		if !has(hs, want) {
			t.Errorf("final report lacks %q:\n%s", want, hs.Screen())
		}
	}
	if info := shelltest.WaitStatus(t, env, cloudemu.StagingAWSClusterID, func(s cloudapi.Status) bool { return true }); info.Status != cloudapi.StatusEnabled {
		t.Fatalf("the API says %s", info.Status)
	}

	hs.Key("down") // Run the checks again → Quit
	hs.Enter()
	res := hs.End()
	if res.Outcome != shell.Completed || res.Task != Title || res.Doctor == nil || !res.Doctor.OK || !res.Changed || res.Err != nil {
		t.Fatalf("result %+v", res)
	}
	if res.Fixes == nil || len(res.Fixes.Applied) != 2 || res.Fixes.Status != cloudapi.StatusEnabled {
		t.Fatalf("fixes %+v", res.Fixes)
	}
	if res.Resume != "crdb-logexport doctor --cluster staging-aws --fix" || !res.Rerun {
		t.Errorf("resume %q (rerun %v: the doctor is run again, not resumed)", res.Resume, res.Rerun)
	}
}

func firstLine(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// TestDoctorDeclinedChangesNothing cancels the preview: nothing changes,
// and leaving with the errors still there is a failure (exit 3).
func TestDoctorDeclinedChangesNothing(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	env := shelltest.ExportWithWrongTrust(t, connect)
	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, false), 100, 30)
	at(t, hs, report)
	hs.Enter() // Fix it
	at(t, hs, preview)
	hs.Key("right") // Cancel
	hs.Enter()
	at(t, hs, report)
	if !has(hs, "Nothing was changed.") {
		t.Errorf("screen:\n%s", hs.Screen())
	}
	if !strings.Contains(roleTrust(t, env), shelltest.Account+":root") {
		t.Fatal("the trust changed although the change was cancelled")
	}
	hs.Key("down")
	hs.Key("down")
	hs.Enter() // Quit
	res := hs.End()
	if res.Outcome != shell.Failed || res.Err != nil || res.Doctor == nil || res.Doctor.OK || res.Changed {
		t.Fatalf("result %+v", res)
	}
	if res.Resume != "crdb-logexport doctor --cluster staging-aws" {
		t.Errorf("resume %q", res.Resume)
	}
}

// TestDoctorCtrlCDuringRepairs interrupts a repair that AWS holds: the
// interface ends at once, the repair stops, and what the journal holds is
// whole.
func TestDoctorCtrlCDuringRepairs(t *testing.T) {
	sb, connect, store := shelltest.Sandbox(t, cloudemu.Timings{})
	env := shelltest.ExportWithWrongTrust(t, connect)
	sb.AWS.Controls().InjectFault(knobs.Fault{Op: "iam:UpdateAssumeRolePolicy", Hang: true})
	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, false), 100, 30)
	at(t, hs, report)
	hs.Enter()
	at(t, hs, preview)
	hs.Enter()
	f := at(t, hs, applying)
	hs.Key("ctrl+c")
	res := hs.P.Result()
	if res.Outcome != shell.Aborted || !res.Changed || res.Task != Title || res.Resume != "crdb-logexport doctor --cluster staging-aws --fix" {
		t.Fatalf("result %+v", res)
	}
	hs.P.Stop(10 * time.Second)
	if f.Running() {
		t.Fatal("the repairs were still running after the stop")
	}
	if !strings.Contains(roleTrust(t, env), shelltest.Account+":root") {
		t.Error("the held trust update went through")
	}
	j := shelltest.InterruptedJournal(t, store, cloudemu.StagingAWSClusterID)
	if !j.Owns(steps.KindRole, "arn:aws:iam::"+shelltest.Account+":role/"+shelltest.StagingRole, "") {
		t.Error("the journal lost the role setup created")
	}
}

// TestDoctorOnAClusterWithoutCloudWatch says export does not apply and
// reads nothing.
func TestDoctorOnAClusterWithoutCloudWatch(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	hs := shelltest.New(t, program(connect, cloudemu.AnalyticsGCPClusterName, false), 80, 24)
	at(t, hs, readFailed)
	if s := hs.Screen(); !strings.Contains(s, "Advanced and Standard clusters on AWS") || strings.Contains(s, "Try again") {
		t.Fatalf("screen:\n%s", s)
	}
	hs.Enter() // Quit
	res := hs.End()
	if res.Outcome != shell.Failed || !errors.Is(res.Err, steps.ErrNotApplicable) || res.Doctor != nil {
		t.Fatalf("result %+v", res)
	}
}

func TestAccessibleDoctorRepairsAndEnablesAgain(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	env := shelltest.ExportWithWrongTrust(t, connect)
	res, text := shelltest.Accessible(t, program(connect, cloudemu.StagingAWSClusterName, true),
		"1", // Fix it
		"y", // apply
		"y", // enable again
		"2", // quit
	)
	for _, want := range []string{
		"✗ error    trust-principal",
		"Evidence:",
		shelltest.WrongTrust,
		"1 change to staging-aws:",
		"[update-trust]",
		"repairs: trust-principal",
		"Done: ",
		"The export is ENABLED.",
		"After enabling again:",
		"✓ ok       export-status",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if res.Outcome != shell.Completed || res.Task != Title || res.Doctor == nil || !res.Doctor.OK || !res.Changed {
		t.Fatalf("result %+v\n%s", res, text)
	}
	if info := shelltest.WaitStatus(t, env, cloudemu.StagingAWSClusterID, func(cloudapi.Status) bool { return true }); info.Status != cloudapi.StatusEnabled {
		t.Fatalf("the API says %s", info.Status)
	}
	if strings.Contains(text, "\x1b[") {
		t.Errorf("escape sequences written to a non-terminal:\n%q", text)
	}
}

// TestGoldenDoctorScreens renders the report with an error finding and the
// preview of its repair at 80×24.
func TestGoldenDoctorScreens(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	shelltest.ExportWithWrongTrust(t, connect)
	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, false), shelltest.GoldenW, shelltest.GoldenH)
	at(t, hs, report)
	shelltest.Golden(t, "doctor-report", hs.P.Render())
	shelltest.GoldenSizes(t, "doctor-report", hs.Resize, hs.P.Render)
	hs.Key("pgdown")
	shelltest.Golden(t, "doctor-report-scrolled", hs.P.Render())
	hs.Enter()
	at(t, hs, preview)
	shelltest.Golden(t, "doctor-fix-preview", hs.P.Render())
}
