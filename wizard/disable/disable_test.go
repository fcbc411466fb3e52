package disable

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell/shelltest"
)

// program opens the disable of cluster on a shell, preset with the flags'
// choice; the tasks it leads to are stubs.
func program(build shelltest.Build, cluster string, preset steps.DisableInput, accessible bool) *shell.Program {
	return shelltest.Program(shell.TaskDisable, accessible, func(sh *shell.Shell) shell.Task {
		return New(sh, Config{Connect: steps.ConnectTask{Build: build, ClusterRef: cluster}, Preset: preset, Options: steps.DisableOptions{Watch: shelltest.Watch}})
	})
}

func atStage(t *testing.T, hs *shelltest.Harness, st stage) *Model {
	t.Helper()
	hs.Until("disable stage", 30*time.Second, func() bool {
		m, ok := hs.P.Task().(*Model)
		switch {
		case !ok || m.stage != st || hs.P.Ended():
			return false
		case st == done:
			return hs.P.Shell().Lingering()
		}
		return st == applying || hs.P.Shell().Pending() != nil
	})
	return hs.P.Task().(*Model)
}

// pick moves a choice menu's cursor to the n-th entry (0: the first) and
// chooses it.
func pick(hs *shelltest.Harness, n int) {
	hs.Key("g")
	for range n {
		hs.Key("down")
	}
	hs.Enter()
}

func policyExists(t *testing.T, sb *sandbox.Env, arn string) bool {
	t.Helper()
	_, err := shelltest.IAM(sb).GetPolicy(context.Background(), &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	return err == nil
}

func logGroupExists(t *testing.T, env *steps.Env, region, name string) bool {
	t.Helper()
	st, err := awsiam.InspectLogGroup(context.Background(), env.AWS.LogsFor(region), name)
	if err != nil {
		t.Fatal(err)
	}
	return st.Exists
}

// handMadeRole creates, directly through the AWS API, a role the cluster's
// account may assume with a policy of its own: a role this tool did not
// create.
func handMadeRole(t *testing.T, sb *sandbox.Env, name string) string {
	t.Helper()
	ctx := context.Background()
	c := shelltest.IAM(sb)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + cloudemu.StagingAWSAccountID + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	pol, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name + "Policy"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	return "arn:aws:iam::" + shelltest.Account + ":role/" + name
}

func TestDisableConfirmationThenDisabledReadBackFromTheAPI(t *testing.T) {
	sb, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	env, setup := shelltest.SetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, steps.DisableInput{}, false), shelltest.GoldenW, shelltest.GoldenH)
	atStage(t, hs, confirm)
	shelltest.Golden(t, "disable-confirm", hs.P.Render())
	s := hs.Screen()
	for _, want := range []string{
		"status ENABLED", "Disabling stops", "log group crdb-staging-aws in us-east-2",
		"CockroachDB Cloud's use of the role " + shelltest.StagingRole,
		"policy " + shelltest.StagingPolicy + " (detached, deleted with its versions)",
		"− role " + shelltest.StagingRole,
		"with the last choice only: it holds",
		"> Disable export",
	} {
		if !strings.Contains(strings.Join(strings.Fields(s), " "), want) {
			t.Errorf("confirmation lacks %q:\n%s", want, s)
		}
	}
	pick(hs, 0) // disable export
	f := atStage(t, hs, done)
	if info := shelltest.Live(t, env, cloudemu.StagingAWSClusterID); info.Status != cloudapi.StatusDisabled {
		t.Fatalf("status %s after disabling", info.Status)
	}
	if !shelltest.RoleExists(t, sb, shelltest.StagingRole) || !policyExists(t, sb, setup.PolicyARN) {
		t.Error("disabling without cleanup removed the role or the policy")
	}
	if s := hs.Screen(); !strings.Contains(s, "Log export of staging-aws is DISABLED") || !strings.Contains(s, "left as they are") {
		t.Errorf("outcome:\n%s", s)
	}
	if f.marks[0].State != kit.MarkDone {
		t.Errorf("the disable step is not marked done: %+v", f.marks[0])
	}
	hs.Key("q")
	res := hs.P.Result()
	if res.Outcome != shell.Completed || !res.Changed || res.Disable == nil || res.Disable.Status != cloudapi.StatusDisabled || res.Task != Title {
		t.Fatalf("result %+v", res)
	}
	if res.Resume != "crdb-logexport disable --cluster staging-aws --yes" {
		t.Errorf("resume command %q", res.Resume)
	}
}

func TestDisableCleanupRemovesWhatThisToolCreatedAndNeverAHandMadeRole(t *testing.T) {
	sb, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	env, setup := shelltest.SetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	own := handMadeRole(t, sb, "HandMadeLogRole")
	shelltest.Updated(t, env, cloudemu.StagingAWSClusterName, steps.SpecEdit{RoleARN: own})

	// --cleanup: preselected, still confirmed
	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, steps.DisableInput{Cleanup: true}, false), shelltest.GoldenW, shelltest.GoldenH)
	atStage(t, hs, confirm)
	s := hs.Screen()
	if !strings.Contains(s, "keeps role "+own) || !strings.Contains(strings.Join(strings.Fields(s), " "), "someone else made it") {
		t.Fatalf("the hand-made role is not named as untouched:\n%s", s)
	}
	if !strings.Contains(s, "> Disable export and remove what this tool created") {
		t.Fatalf("--cleanup is not preselected:\n%s", s)
	}
	hs.Enter() // disable and remove what this tool created
	f := atStage(t, hs, done)
	shelltest.Golden(t, "disable-done", hs.P.Render())

	if info := shelltest.Live(t, env, cloudemu.StagingAWSClusterID); info.Status != cloudapi.StatusDisabled {
		t.Fatalf("status %s", info.Status)
	}
	if shelltest.RoleExists(t, sb, shelltest.StagingRole) || policyExists(t, sb, setup.PolicyARN) {
		t.Error("the role or the policy this tool created is still there")
	}
	if !shelltest.RoleExists(t, sb, "HandMadeLogRole") {
		t.Fatal("cleanup removed a role this tool did not create")
	}
	if !logGroupExists(t, env, "us-east-2", "crdb-staging-aws") {
		t.Error("cleanup deleted the log group without being asked to")
	}
	if !slices.Contains(f.res.Removed, "role "+setup.RoleARN) || !slices.ContainsFunc(f.res.Kept, func(k string) bool { return strings.HasPrefix(k, "role "+own) }) {
		t.Errorf("removed %v, kept %v", f.res.Removed, f.res.Kept)
	}
	hs.Key("enter")
	if res := hs.P.Result(); res.Outcome != shell.Completed || res.Resume != "crdb-logexport disable --cluster staging-aws --cleanup --yes" {
		t.Fatalf("result %+v", res)
	}
}

func TestDisableDeletesLogGroupsOnlyAfterASecondConfirmation(t *testing.T) {
	sb, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	env, _ := shelltest.SetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, steps.DisableInput{}, false), shelltest.GoldenW, shelltest.GoldenH)
	atStage(t, hs, confirm)
	pick(hs, 2) // ... and delete its log groups
	atStage(t, hs, confirmLogGroups)
	shelltest.Golden(t, "disable-log-groups-confirm", hs.P.Render())
	s := hs.Screen()
	for _, want := range []string{"crdb-staging-aws in us-east-2", "hold the exported logs", "Delete them", "No, keep them"} {
		if !strings.Contains(s, want) {
			t.Errorf("second confirmation lacks %q:\n%s", want, s)
		}
	}
	if c, ok := hs.P.Shell().Pending().(steps.Confirm); !ok || c.Default {
		t.Fatal("the second confirmation defaults to deleting")
	}
	hs.Enter() // the default: keep them
	atStage(t, hs, done)
	if !logGroupExists(t, env, "us-east-2", "crdb-staging-aws") {
		t.Fatal("declining the second confirmation still deleted the log group")
	}
	if shelltest.RoleExists(t, sb, shelltest.StagingRole) {
		t.Error("the role this tool created survived the cleanup")
	}
	hs.Key("q")
	if res := hs.P.Result(); res.Outcome != shell.Completed || !slices.ContainsFunc(res.Disable.Kept, func(k string) bool { return strings.HasPrefix(k, "log group crdb-staging-aws") }) {
		t.Fatalf("result %+v", res)
	}

	// The export is disabled now; the log group is still the tool's to
	// remove, and this time the deletion is confirmed.
	hs = shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, steps.DisableInput{}, false), shelltest.GoldenW, shelltest.GoldenH)
	atStage(t, hs, confirm)
	if s := hs.Screen(); !strings.Contains(s, "already disabled") || strings.Contains(s, "Disable export\n") {
		t.Fatalf("an already disabled export:\n%s", s)
	}
	pick(hs, 0) // remove what this tool created, log groups too
	atStage(t, hs, confirmLogGroups)
	hs.Key("left") // Delete them
	hs.Enter()
	atStage(t, hs, done)
	if logGroupExists(t, env, "us-east-2", "crdb-staging-aws") {
		t.Fatal("the confirmed deletion left the log group")
	}
	hs.Key("q")
	if res := hs.P.Result(); res.Outcome != shell.Completed || !res.Disable.AlreadyDisabled || !strings.HasSuffix(res.Resume, "--cleanup --delete-log-group --yes") {
		t.Fatalf("result %+v", res)
	}
}

func TestDisableFailureShowsStepCauseFixAndRetries(t *testing.T) {
	sb, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	env, _ := shelltest.SetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	sb.Cloud.Controls().InjectFault(knobs.Fault{Op: "cloud:DeleteLogExport", Status: 403, Code: "7", Message: "the service account lacks permission to change this cluster"})
	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, steps.DisableInput{}, false), 100, 30)
	atStage(t, hs, confirm)
	pick(hs, 0)
	f := atStage(t, hs, failed)
	s := hs.Screen()
	for _, want := range []string{"Step “Disable log export and wait” failed", "Cause", "lacks permission", "Fix", "Cluster Admin", "Resume crdb-logexport disable --cluster staging-aws --yes", "Retry"} {
		if !strings.Contains(s, want) {
			t.Errorf("failure screen lacks %q:\n%s", want, s)
		}
	}
	if f.marks[0].State != kit.MarkFailed {
		t.Errorf("the disable step is not marked failed: %+v", f.marks[0])
	}
	hs.Enter() // retry: the fault happened once
	atStage(t, hs, done)
	if info := shelltest.Live(t, env, cloudemu.StagingAWSClusterID); info.Status != cloudapi.StatusDisabled {
		t.Fatalf("status %s after the retry", info.Status)
	}
}

func TestDisableFailureThenQuitReportsFailed(t *testing.T) {
	sb, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	shelltest.SetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	sb.Cloud.Controls().InjectFault(knobs.Fault{Op: "cloud:DeleteLogExport", Status: 403, Code: "7", Message: "permission denied", Times: -1})
	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, steps.DisableInput{}, false), 100, 30)
	atStage(t, hs, confirm)
	pick(hs, 1) // with cleanup
	atStage(t, hs, failed)
	pick(hs, 1) // quit
	res := hs.End()
	var se *steps.StepError
	if res.Outcome != shell.Failed || res.Err == nil || !strings.Contains(res.Err.Error(), "permission denied") || res.Resume != "crdb-logexport disable --cluster staging-aws --cleanup --yes" {
		t.Fatalf("result %+v", res)
	}
	if !errors.As(res.Err, &se) || se.Step != steps.StepDisable {
		t.Fatalf("error %v", res.Err)
	}
}

func TestDisableCtrlCWhileDisablingLeavesAJournalThatResumes(t *testing.T) {
	sb, connect, store := shelltest.Sandbox(t, cloudemu.Timings{})
	env, _ := shelltest.SetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	sb.Cloud.SetTimings(cloudemu.Timings{EnableAfter: 150 * time.Millisecond, DisableAfter: 1500 * time.Millisecond, IAMPropagation: time.Nanosecond, EventInterval: 150 * time.Millisecond})
	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, steps.DisableInput{}, false), 100, 30)
	atStage(t, hs, confirm)
	pick(hs, 1) // with cleanup
	f := atStage(t, hs, applying)
	hs.Until("DISABLING", 15*time.Second, func() bool {
		return f.status != nil && f.status.Info.Status == cloudapi.StatusDisabling
	})
	hs.Key("ctrl+c")
	res := hs.P.Result()
	if res.Outcome != shell.Aborted || !res.Changed || res.Resume != "crdb-logexport disable --cluster staging-aws --cleanup --yes" {
		t.Fatalf("result %+v", res)
	}
	hs.P.Stop(10 * time.Second)
	if f.Running() {
		t.Fatal("the disable still runs after the stop")
	}
	j := shelltest.InterruptedJournal(t, store, cloudemu.StagingAWSClusterID)
	if j.Steps[steps.StepDisable].Status != "failed" || !slices.ContainsFunc(j.Created, func(r steps.Resource) bool { return r.Kind == steps.KindRole }) {
		t.Fatalf("journal after the interruption: steps %+v, created %+v", j.Steps, j.Created)
	}

	// The resume command's choice, run again, waits for DISABLED and
	// cleans up.
	ctx := context.Background()
	p, err := steps.PrepareDisable(ctx, env, steps.DisableInput{Cluster: cloudemu.StagingAWSClusterName, Cleanup: true})
	if err != nil {
		t.Fatal(err)
	}
	again, err := steps.ApplyDisable(ctx, env, p, steps.DisableOptions{Watch: shelltest.Watch}, nil)
	if err != nil || again.Status != cloudapi.StatusDisabled || !slices.Contains(again.Removed, "role arn:aws:iam::"+shelltest.Account+":role/"+shelltest.StagingRole) {
		t.Fatalf("the resumed disable: %+v, %v", again, err)
	}
}

func TestAccessibleDisableAsksTwiceBeforeDeletingLogGroups(t *testing.T) {
	sb, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	env, _ := shelltest.SetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	res, out := shelltest.Accessible(t, program(connect, cloudemu.StagingAWSClusterName, steps.DisableInput{}, true),
		"3", // disable, remove what this tool created and delete its log groups
		"",  // the second confirmation: no, keep them
	)
	if res.Outcome != shell.Completed || res.Disable == nil || res.Disable.Status != cloudapi.StatusDisabled || res.Task != Title {
		t.Fatalf("result %+v\n%s", res, out)
	}
	for _, want := range []string{"Cleanup removes only what this tool made for this cluster", "These log groups hold the exported logs of staging-aws", "crdb-staging-aws in us-east-2", "Done: step “Disable log export and wait”", "status       DISABLED"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if shelltest.RoleExists(t, sb, shelltest.StagingRole) {
		t.Error("the role this tool created is still there")
	}
	if !logGroupExists(t, env, "us-east-2", "crdb-staging-aws") {
		t.Error("the log group was deleted although the second confirmation was declined")
	}
}

func TestDisableFailedShowsTheUserMessageAsAnError(t *testing.T) {
	sh := shell.New(context.Background(), false, nil)
	sh.Width, sh.Height = 80, 24
	sh.Session = steps.Session{Cluster: cloudapi.Cluster{ID: cloudemu.StagingAWSClusterID, Name: cloudemu.StagingAWSClusterName}, Chosen: true}
	m := New(sh, Config{})
	m.Conn.Update(shell.EventMsg{D: m.Dialogue(), Event: steps.ClusterChosen{Cluster: sh.Session.Cluster}})
	m.choice = steps.OptCleanup
	msg := "the export job could not stop the log shipper; contact support"
	fail := &steps.StepError{Step: steps.StepDisable, Cause: errors.New("log export is DISABLE_FAILED: " + msg), Fix: "run the same command again to retry the DELETE", Permanent: true}
	for _, e := range []steps.Event{
		steps.Working{Stage: steps.StageDisable},
		steps.StepStarted{Step: steps.StepDisable},
		steps.StatusSeen{Status: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusDisableFailed, UserMessage: msg}, Polls: 3, Done: true}},
		steps.StepFailed{Step: steps.StepDisable, Err: fail},
		steps.Failure{Stage: steps.StageDisable, Err: fail},
	} {
		m.event(e)
	}
	m.Update(shell.AskMsg{D: m.Dialogue(), Decision: steps.Choice{ID: steps.ChoiceDisableFailed, Title: "What now?", Options: []steps.Option{{ID: steps.OptRetry, Label: "Retry (resumes)"}, {ID: steps.OptQuit, Label: "Quit"}}}})
	if m.stage != failed {
		t.Fatalf("stage %d", m.stage)
	}
	s := ansi.Strip(m.View(80, 20))
	for _, want := range []string{"DISABLE_FAILED", "user_message " + msg, "Step “Disable log export and wait” failed", "Cause log export is DISABLE_FAILED", "Retry", "Remove what this tool created"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	shelltest.CheckFits(t, "disable failed", s, 80, 20)
}
