package wizard

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// fastFix follows a re-enable every 50 ms and gives IAM propagation little
// time: the sandbox's roles are assumable at once.
var fastFix = steps.FixOptions{Watch: fastApply.Watch, PropagationLimit: 5 * time.Second}

// wrongTrust is the mistake the doctor scenarios make: the role
// trusts the caller's own account instead of the cluster's.
var wrongTrust = `"Principal":{"AWS":"arn:aws:iam::` + sandboxAccount + `:root"}`

// exportWithWrongTrust sets up staging-aws's export to ENABLED, as
// `setup --yes` does, then makes its role trust the caller's own account
// (the classic mistake) and waits for CockroachDB Cloud to notice: the
// export ends CREDENTIALS_ERROR.
func exportWithWrongTrust(t *testing.T, connect func(context.Context, string) (*steps.Env, error)) *steps.Env {
	t.Helper()
	ctx := context.Background()
	env, err := connect(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := steps.Prepare(ctx, env, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName, ExternalID: steps.ExternalIDNone})
	if err != nil {
		t.Fatal(err)
	}
	res, err := steps.Apply(ctx, env, plan, fastApply, nil)
	if err != nil || res.Status != cloudapi.StatusEnabled {
		t.Fatalf("setup: %v (status %s)", err, res.Status)
	}
	if err := awsiam.UpdateTrust(ctx, env.AWS.IAM, stagingRole, awsiam.TrustPolicy(sandboxAccount, "")); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, env, cloudemu.StagingAWSClusterID, cloudapi.Status.Failed)
	return env
}

// waitStatus polls the Cloud API until the export's status satisfies ok.
func waitStatus(t *testing.T, env *steps.Env, clusterID string, ok func(cloudapi.Status) bool) cloudapi.LogExportInfo {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		info, err := env.Cloud.LogExport(context.Background(), clusterID)
		if err == nil && ok(info.Status) {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("export status %s (%v) never reached the wanted one", info.Status, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func roleTrust(t *testing.T, env *steps.Env) string {
	t.Helper()
	st, err := awsiam.InspectRole(context.Background(), env.AWS.IAM, stagingRole)
	if err != nil {
		t.Fatal(err)
	}
	return st.Trust.JSON()
}

// doctorOptions opens the doctor on staging-aws directly, as `doctor --fix`
// does on a terminal.
func doctorOptions(connect func(context.Context, string) (*steps.Env, error), start Start) Options {
	opts := flowOptions(connect)
	opts.Start = start
	opts.Input.Cluster = cloudemu.StagingAWSClusterName
	opts.Fix = fastFix
	return opts
}

func (hs *harness) doctor() *doctorFlow {
	f, _ := hs.m.flow.(*doctorFlow)
	return f
}

// atDoctor waits for the doctor to reach a stage.
func (hs *harness) atDoctor(stage doctorStage) *doctorFlow {
	hs.t.Helper()
	hs.until("the doctor's stage", 30*time.Second, func() bool {
		f := hs.doctor()
		return hs.m.phase == phaseFlow && f != nil && f.stage == stage && hs.m.final == nil
	})
	return hs.doctor()
}

// squeeze drops every space and line break, so that text the screen wraps
// can be found whole.
var whitespace = regexp.MustCompile(`\s+`)

func squeeze(s string) string { return whitespace.ReplaceAllString(s, "") }

// screenHas reports whether the screen shows text (wrapping aside), or
// the viewport it scrolls does.
func (hs *harness) screenHas(text string) bool {
	shown := hs.screen()
	if strings.Contains(shown, "pgup/pgdn for more") {
		shown += ansi.Strip(hs.m.vp.GetContent())
	}
	return strings.Contains(squeeze(shown), squeeze(text))
}

func TestDoctorRepairsAWrongTrustAndEnablesAgain(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	env := exportWithWrongTrust(t, connect)
	hs := newHarness(t, doctorOptions(connect, StartDoctor), 80, 24)

	f := hs.atDoctor(docReport)
	if fd := f.report.Finding(steps.CheckTrustPrincipal); fd.Severity != steps.SeverityError {
		t.Fatalf("trust-principal is %s", fd.Severity)
	}
	checkFits(t, "report", hs.screen(), 80, 24)
	for _, want := range []string{"Diagnosis of staging-aws", "CREDENTIALS_ERROR", "✗ trust-principal", "Evidence", wrongTrust, "Fix it: review and apply 1 change"} {
		if !hs.screenHas(want) {
			t.Errorf("report screen lacks %q:\n%s", want, hs.screen())
		}
	}

	hs.enter() // Fix it
	f = hs.atDoctor(docPreview)
	for _, want := range []string{"Fix it: 1 change to staging-aws", "nothing has changed yet", "1. update-trust", "repairs trust-principal", "Apply this change?"} {
		if !hs.screenHas(want) {
			t.Errorf("preview lacks %q:\n%s", want, hs.screen())
		}
	}
	diff := f.plan.Fixes[0].Diff
	if !strings.Contains(diff, "- ") || !strings.Contains(diff, "+ ") || !strings.Contains(diff, cloudemu.StagingAWSAccountID+":root") {
		t.Fatalf("the plan's diff:\n%s", diff)
	}
	if !hs.screenHas("-" + strings.TrimPrefix(firstLine(diff, "- "), "- ")) {
		t.Errorf("the preview does not show the diff's removed line %q:\n%s", firstLine(diff, "- "), hs.screen())
	}
	checkFits(t, "preview", hs.screen(), 80, 24)
	if strings.Contains(roleTrust(t, env), cloudemu.StagingAWSAccountID) {
		t.Fatal("the trust changed before the change was confirmed")
	}

	hs.enter() // Apply
	f = hs.atDoctor(docReenableAsk)
	if !strings.Contains(roleTrust(t, env), "arn:aws:iam::"+cloudemu.StagingAWSAccountID+":root") {
		t.Fatalf("trust not repaired:\n%s", roleTrust(t, env))
	}
	if fd := f.report.Finding(steps.CheckTrustPrincipal); fd.Severity != steps.SeverityOK {
		t.Errorf("after the repair trust-principal is %s: %s", fd.Severity, fd.Summary)
	}
	for _, want := range []string{"Applied 1 of 1 repair", "Enable the export again (the export is CREDENTIALS_ERROR)?"} {
		if !hs.screenHas(want) {
			t.Errorf("after the repairs the screen lacks %q:\n%s", want, hs.screen())
		}
	}

	hs.enter() // Enable
	f = hs.atDoctor(docReport)
	if !f.report.OK || f.report.Status != cloudapi.StatusEnabled {
		t.Fatalf("after enabling again: ok=%v status %s\n%s", f.report.OK, f.report.Status, hs.screen())
	}
	if !hs.screenHas("Enabled again: the export is ENABLED.") || !hs.screenHas("no errors") {
		t.Errorf("final report:\n%s", hs.screen())
	}
	if info := waitStatus(t, env, cloudemu.StagingAWSClusterID, func(s cloudapi.Status) bool { return true }); info.Status != cloudapi.StatusEnabled {
		t.Fatalf("the API says %s", info.Status)
	}

	hs.key("down") // Run the checks again → Quit
	hs.enter()
	res := hs.m.Result()
	if res.Outcome != Completed || res.Task != doctorTitle || res.Doctor == nil || !res.Doctor.OK || !res.Changed || res.Err != nil {
		t.Fatalf("result %+v", res)
	}
	if res.Fixes == nil || len(res.Fixes.Applied) != 2 || res.Fixes.Status != cloudapi.StatusEnabled {
		t.Fatalf("fixes %+v", res.Fixes)
	}
	if res.Resume != "crdb-logexport doctor --cluster staging-aws --fix" {
		t.Errorf("resume %q", res.Resume)
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
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	env := exportWithWrongTrust(t, connect)
	hs := newHarness(t, doctorOptions(connect, StartDoctor), 100, 30)
	hs.atDoctor(docReport)
	hs.enter() // Fix it
	hs.atDoctor(docPreview)
	hs.key("right") // Cancel
	hs.enter()
	hs.atDoctor(docReport)
	if !hs.screenHas("Nothing was changed.") {
		t.Errorf("screen:\n%s", hs.screen())
	}
	if !strings.Contains(roleTrust(t, env), sandboxAccount+":root") {
		t.Fatal("the trust changed although the change was cancelled")
	}
	hs.key("down")
	hs.key("down")
	hs.enter() // Quit
	res := hs.m.Result()
	if res.Outcome != Failed || res.Err != nil || res.Doctor == nil || res.Doctor.OK || res.Changed {
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
	sb, connect, store := testSandbox(t, cloudemu.Timings{})
	env := exportWithWrongTrust(t, connect)
	sb.AWS.Controls().InjectFault(knobs.Fault{Op: "iam:UpdateAssumeRolePolicy", Hang: true})
	hs := newHarness(t, doctorOptions(connect, StartDoctor), 100, 30)
	hs.atDoctor(docReport)
	hs.enter()
	hs.atDoctor(docPreview)
	hs.enter()
	f := hs.atDoctor(docApplying)
	hs.key("ctrl+c")
	res := hs.m.Result()
	if res.Outcome != Aborted || !res.Changed || res.Task != doctorTitle || res.Resume != "crdb-logexport doctor --cluster staging-aws --fix" {
		t.Fatalf("result %+v", res)
	}
	hs.m.stop(10 * time.Second)
	if !f.run.finished() {
		t.Fatal("the repairs were still running after the stop")
	}
	if !strings.Contains(roleTrust(t, env), sandboxAccount+":root") {
		t.Error("the held trust update went through")
	}
	j := interruptedJournal(t, store, cloudemu.StagingAWSClusterID)
	if !j.Owns(steps.KindRole, "arn:aws:iam::"+sandboxAccount+":role/"+stagingRole, "") {
		t.Error("the journal lost the role setup created")
	}
}

// TestSetupEnableFailureOpensTheDoctor: setup adopts a role whose inline
// guardrail denies writing logs, so CockroachDB Cloud fails to enable the
// export; the failure screen offers the doctor first, whose report quotes
// the guardrail.
func TestSetupEnableFailureOpensTheDoctor(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{})
	ctx := context.Background()
	iamc := sandboxIAM(sb)
	if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(prodRole), AssumeRolePolicyDocument: aws.String(awsiam.TrustPolicy(cloudemu.ProdAWSAccountID, "").JSON())}); err != nil {
		t.Fatal(err)
	}
	guardrail := `{"Version":"2012-10-17","Statement":[{"Sid":"NoWrites","Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`
	if _, err := iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(prodRole), PolicyName: aws.String("Guardrail"), PolicyDocument: aws.String(guardrail)}); err != nil {
		t.Fatal(err)
	}
	hs := newHarness(t, flowOptions(connect), 80, 24)
	answerDefaults(t, hs)
	hs.enter() // apply
	hs.atPhase(phaseFailed)
	if !isEnableFailure(hs.m.err) {
		t.Fatalf("setup failed elsewhere: %v", hs.m.err)
	}
	if !strings.Contains(hs.screen(), "> Diagnose: run the doctor's checks on this cluster") {
		t.Fatalf("the failure does not offer the doctor first:\n%s", hs.screen())
	}
	hs.enter() // Diagnose
	f := hs.atDoctor(docReport)
	fd := f.report.Finding(steps.CheckPermissionsActions)
	if fd.Severity != steps.SeverityError || !strings.Contains(fd.Evidence, `"Effect":"Deny"`) {
		t.Fatalf("permissions-actions: %+v", fd)
	}
	for _, want := range []string{"diagnose log export", "Diagnosis of prod-aws", "✗ permissions-actions", `(Sid "NoWrites") of inline policy Guardrail`} {
		if !hs.screenHas(want) {
			t.Errorf("report lacks %q:\n%s", want, hs.screen())
		}
	}
	if strings.Contains(hs.screen(), "Fix it") || strings.Contains(hs.screen(), "Enable the export again") {
		t.Errorf("a guardrail is the user's to change, yet the doctor offers to:\n%s", hs.screen())
	}
	checkFits(t, "report after setup", hs.screen(), 80, 24)
	hs.key("down")
	hs.enter() // Back to the menu
	hs.atPhase(phaseMenu)
	if hs.m.flow != nil {
		t.Fatal("the doctor still has the screen")
	}
	hs.key("ctrl+c")
	if res := hs.m.Result(); res.Outcome != Aborted {
		t.Fatalf("result %+v", res)
	}
}

// TestDoctorOnAClusterWithoutCloudWatch says export does not apply and
// reads nothing.
func TestDoctorOnAClusterWithoutCloudWatch(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	opts := doctorOptions(connect, StartDoctor)
	opts.Input.Cluster = cloudemu.AnalyticsGCPClusterName
	hs := newHarness(t, opts, 80, 24)
	hs.atDoctor(docReadFailed)
	if s := hs.screen(); !strings.Contains(s, "Advanced and Standard clusters on AWS") || strings.Contains(s, "Try again") {
		t.Fatalf("screen:\n%s", s)
	}
	hs.enter() // Quit
	res := hs.m.Result()
	if res.Outcome != Failed || !errors.Is(res.Err, steps.ErrNotApplicable) || res.Doctor != nil {
		t.Fatalf("result %+v", res)
	}
}

func TestAccessibleDoctorRepairsAndEnablesAgain(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	env := exportWithWrongTrust(t, connect)
	var out bytes.Buffer
	opts := doctorOptions(connect, StartDoctor)
	opts.In = iotest.OneByteReader(strings.NewReader(strings.Join([]string{
		"1", // Fix it
		"y", // apply
		"y", // enable again
		"2", // quit
	}, "\n") + "\n"))
	opts.Out = &out
	opts.Environ = []string{"TERM=xterm-256color"}
	res, err := RunAccessible(context.Background(), opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"Error, check trust-principal:",
		"Evidence:",
		wrongTrust,
		"1 change to staging-aws:",
		"(update-trust), repairs trust-principal. The change:",
		"Done: ",
		"The export is ENABLED.",
		"Passed: export-status",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if res.Outcome != Completed || res.Task != doctorTitle || res.Doctor == nil || !res.Doctor.OK || !res.Changed {
		t.Fatalf("result %+v\n%s", res, text)
	}
	if info := waitStatus(t, env, cloudemu.StagingAWSClusterID, func(cloudapi.Status) bool { return true }); info.Status != cloudapi.StatusEnabled {
		t.Fatalf("the API says %s", info.Status)
	}
	if strings.Contains(text, "\x1b[") {
		t.Errorf("escape sequences written to a non-terminal:\n%q", text)
	}
}

// TestGoldenDoctorScreens renders the report with an error finding and the
// preview of its repair at 80×24.
func TestGoldenDoctorScreens(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	exportWithWrongTrust(t, connect)
	hs := newHarness(t, doctorOptions(connect, StartDoctor), goldenW, goldenH)
	hs.atDoctor(docReport)
	golden(t, "doctor-report", hs.m.View().Content)
	hs.key("pgdown")
	golden(t, "doctor-report-scrolled", hs.m.View().Content)
	hs.enter()
	hs.atDoctor(docPreview)
	golden(t, "doctor-fix-preview", hs.m.View().Content)
}

// TestAccessibleSetupEnableFailureOffersTheDoctor is the same failure line
// by line: the first choice runs the doctor, whose report ends the run.
func TestAccessibleSetupEnableFailureOffersTheDoctor(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{})
	ctx := context.Background()
	iamc := sandboxIAM(sb)
	if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(prodRole), AssumeRolePolicyDocument: aws.String(awsiam.TrustPolicy(cloudemu.ProdAWSAccountID, "").JSON())}); err != nil {
		t.Fatal(err)
	}
	guardrail := `{"Version":"2012-10-17","Statement":[{"Sid":"NoWrites","Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`
	if _, err := iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(prodRole), PolicyName: aws.String("Guardrail"), PolicyDocument: aws.String(guardrail)}); err != nil {
		t.Fatal(err)
	}
	// Enter at every question and the plan, then 1 (Diagnose) at the
	// failure, then the doctor's last choice (quit).
	res, out := runAccessible(t, connect, "", "", "", "", "", "", "", "", "", "1", "2")
	if res.Task != doctorTitle || res.Doctor == nil {
		t.Fatalf("the failure did not lead to the doctor: %+v\n%s", res, out)
	}
	fd := res.Doctor.Finding(steps.CheckPermissionsActions)
	if fd.Severity != steps.SeverityError || !strings.Contains(fd.Evidence, `"Sid":"NoWrites"`) {
		t.Errorf("permissions-actions: %+v", fd)
	}
	if res.Outcome != Failed || !strings.Contains(out, "Diagnose: run the doctor's checks on this cluster") || !strings.Contains(out, "permissions-actions") {
		t.Errorf("outcome %v\n%s", res.Outcome, out)
	}
}
