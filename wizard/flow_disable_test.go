package wizard

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
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
)

func disableOptions(connect func(context.Context, string) (*steps.Env, error), cluster string) Options {
	opts := flowOptions(connect)
	opts.Start = StartDisable
	opts.Input.Cluster = cluster
	return opts
}

func atDisableStage(t *testing.T, hs *harness, stage disableStage) *disableFlow {
	t.Helper()
	hs.until("disable stage", 30*time.Second, func() bool {
		f, ok := hs.m.flow.(*disableFlow)
		return ok && f.stage == stage && hs.m.final == nil
	})
	return hs.m.flow.(*disableFlow)
}

// pick moves a choice menu's cursor to the n-th entry (0: the first) and
// chooses it.
func pick(hs *harness, n int) {
	hs.key("g")
	for range n {
		hs.key("down")
	}
	hs.enter()
}

func policyExists(t *testing.T, sb *sandbox.Env, arn string) bool {
	t.Helper()
	_, err := sandboxIAM(sb).GetPolicy(context.Background(), &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
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
	c := sandboxIAM(sb)
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
	return "arn:aws:iam::" + sandboxAccount + ":role/" + name
}

func TestDisableConfirmationThenDisabledReadBackFromTheAPI(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{})
	env, setup := exportSetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	hs := newHarness(t, disableOptions(connect, cloudemu.StagingAWSClusterName), goldenW, goldenH)
	atDisableStage(t, hs, disConfirm)
	golden(t, "disable-confirm", hs.m.View().Content)
	s := hs.screen()
	for _, want := range []string{
		"status ENABLED", "Disabling stops", "log group crdb-staging-aws in us-east-2",
		"CockroachDB Cloud's use of the role " + stagingRole,
		"policy CockroachCloudLogExportPolicy-staging-aws (detached, deleted with its versions)",
		"− role " + stagingRole,
		"with the last choice only: it holds",
		"> Disable export",
	} {
		if !strings.Contains(strings.Join(strings.Fields(s), " "), want) {
			t.Errorf("confirmation lacks %q:\n%s", want, s)
		}
	}
	pick(hs, 0) // disable export
	f := atDisableStage(t, hs, disDone)
	if info := liveExport(t, env, cloudemu.StagingAWSClusterID); info.Status != cloudapi.StatusDisabled {
		t.Fatalf("status %s after disabling", info.Status)
	}
	if !roleExists(t, sb, stagingRole) || !policyExists(t, sb, setup.PolicyARN) {
		t.Error("disabling without cleanup removed the role or the policy")
	}
	if s := hs.screen(); !strings.Contains(s, "Log export of staging-aws is DISABLED") || !strings.Contains(s, "left as they are") {
		t.Errorf("outcome:\n%s", s)
	}
	if f.marks[0].state != markDone {
		t.Errorf("the disable step is not marked done: %+v", f.marks[0])
	}
	hs.key("q")
	res := hs.m.Result()
	if res.Outcome != Completed || !res.Changed || res.Disable == nil || res.Disable.Status != cloudapi.StatusDisabled || res.Task != "disable log export" {
		t.Fatalf("result %+v", res)
	}
	if res.Resume != "crdb-logexport disable --cluster staging-aws --yes" {
		t.Errorf("resume command %q", res.Resume)
	}
}

func TestDisableCleanupRemovesWhatThisToolCreatedAndNeverAHandMadeRole(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{})
	env, setup := exportSetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	own := handMadeRole(t, sb, "HandMadeLogRole")
	exportUpdated(t, env, cloudemu.StagingAWSClusterName, steps.SpecEdit{RoleARN: own})

	opts := disableOptions(connect, cloudemu.StagingAWSClusterName)
	opts.Disable.Cleanup = true // --cleanup: preselected, still confirmed
	hs := newHarness(t, opts, goldenW, goldenH)
	atDisableStage(t, hs, disConfirm)
	s := hs.screen()
	if !strings.Contains(s, "keeps role "+own) || !strings.Contains(strings.Join(strings.Fields(s), " "), "someone else made it") {
		t.Fatalf("the hand-made role is not named as untouched:\n%s", s)
	}
	if !strings.Contains(s, "> Disable export and remove what this tool created") {
		t.Fatalf("--cleanup is not preselected:\n%s", s)
	}
	hs.enter() // disable and remove what this tool created
	f := atDisableStage(t, hs, disDone)
	golden(t, "disable-done", hs.m.View().Content)

	if info := liveExport(t, env, cloudemu.StagingAWSClusterID); info.Status != cloudapi.StatusDisabled {
		t.Fatalf("status %s", info.Status)
	}
	if roleExists(t, sb, stagingRole) || policyExists(t, sb, setup.PolicyARN) {
		t.Error("the role or the policy this tool created is still there")
	}
	if !roleExists(t, sb, "HandMadeLogRole") {
		t.Fatal("cleanup removed a role this tool did not create")
	}
	if !logGroupExists(t, env, "us-east-2", "crdb-staging-aws") {
		t.Error("cleanup deleted the log group without being asked to")
	}
	if !slices.Contains(f.res.Removed, "role "+setup.RoleARN) || !slices.ContainsFunc(f.res.Kept, func(k string) bool { return strings.HasPrefix(k, "role "+own) }) {
		t.Errorf("removed %v, kept %v", f.res.Removed, f.res.Kept)
	}
	hs.key("enter")
	if res := hs.m.Result(); res.Outcome != Completed || res.Resume != "crdb-logexport disable --cluster staging-aws --cleanup --yes" {
		t.Fatalf("result %+v", res)
	}
}

func TestDisableDeletesLogGroupsOnlyAfterASecondConfirmation(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{})
	env, _ := exportSetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	hs := newHarness(t, disableOptions(connect, cloudemu.StagingAWSClusterName), goldenW, goldenH)
	atDisableStage(t, hs, disConfirm)
	pick(hs, 2) // ... and delete its log groups
	f := atDisableStage(t, hs, disConfirmLogGroups)
	golden(t, "disable-log-groups-confirm", hs.m.View().Content)
	s := hs.screen()
	for _, want := range []string{"crdb-staging-aws in us-east-2", "hold the exported logs", "Delete them", "No, keep them"} {
		if !strings.Contains(s, want) {
			t.Errorf("second confirmation lacks %q:\n%s", want, s)
		}
	}
	if f.deleteLogGroups {
		t.Fatal("the second confirmation defaults to deleting")
	}
	hs.enter() // the default: keep them
	f = atDisableStage(t, hs, disDone)
	if !logGroupExists(t, env, "us-east-2", "crdb-staging-aws") {
		t.Fatal("declining the second confirmation still deleted the log group")
	}
	if roleExists(t, sb, stagingRole) {
		t.Error("the role this tool created survived the cleanup")
	}
	hs.key("q")
	if res := hs.m.Result(); res.Outcome != Completed || !slices.ContainsFunc(res.Disable.Kept, func(k string) bool { return strings.HasPrefix(k, "log group crdb-staging-aws") }) {
		t.Fatalf("result %+v", res)
	}

	// The export is disabled now; the log group is still the tool's to
	// remove, and this time the deletion is confirmed.
	hs = newHarness(t, disableOptions(connect, cloudemu.StagingAWSClusterName), goldenW, goldenH)
	atDisableStage(t, hs, disConfirm)
	if s := hs.screen(); !strings.Contains(s, "already disabled") || strings.Contains(s, "Disable export\n") {
		t.Fatalf("an already disabled export:\n%s", s)
	}
	pick(hs, 0) // remove what this tool created, log groups too
	atDisableStage(t, hs, disConfirmLogGroups)
	hs.key("left") // Delete them
	hs.enter()
	atDisableStage(t, hs, disDone)
	if logGroupExists(t, env, "us-east-2", "crdb-staging-aws") {
		t.Fatal("the confirmed deletion left the log group")
	}
	hs.key("q")
	if res := hs.m.Result(); res.Outcome != Completed || !res.Disable.AlreadyDisabled || !strings.HasSuffix(res.Resume, "--cleanup --delete-log-group --yes") {
		t.Fatalf("result %+v", res)
	}
}

func TestDisableFailureShowsStepCauseFixAndRetries(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{})
	env, _ := exportSetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	sb.Cloud.Controls().InjectFault(knobs.Fault{Op: "cloud:DeleteLogExport", Status: 403, Code: "7", Message: "the service account lacks permission to change this cluster"})
	hs := newHarness(t, disableOptions(connect, cloudemu.StagingAWSClusterName), 100, 30)
	atDisableStage(t, hs, disConfirm)
	pick(hs, 0)
	f := atDisableStage(t, hs, disFailed)
	s := hs.screen()
	for _, want := range []string{"Step “Disable log export and wait” failed", "Cause", "lacks permission", "Fix", "Cluster Admin", "Resume crdb-logexport disable --cluster staging-aws --yes", "Retry"} {
		if !strings.Contains(s, want) {
			t.Errorf("failure screen lacks %q:\n%s", want, s)
		}
	}
	if f.marks[0].state != markFailed {
		t.Errorf("the disable step is not marked failed: %+v", f.marks[0])
	}
	hs.enter() // retry: the fault happened once
	atDisableStage(t, hs, disDone)
	if info := liveExport(t, env, cloudemu.StagingAWSClusterID); info.Status != cloudapi.StatusDisabled {
		t.Fatalf("status %s after the retry", info.Status)
	}
}

func TestDisableFailureThenQuitReportsFailed(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{})
	exportSetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	sb.Cloud.Controls().InjectFault(knobs.Fault{Op: "cloud:DeleteLogExport", Status: 403, Code: "7", Message: "permission denied", Times: -1})
	hs := newHarness(t, disableOptions(connect, cloudemu.StagingAWSClusterName), 100, 30)
	atDisableStage(t, hs, disConfirm)
	pick(hs, 1) // with cleanup
	atDisableStage(t, hs, disFailed)
	pick(hs, 1) // quit
	res := hs.m.Result()
	var se *steps.StepError
	if res.Outcome != Failed || res.Err == nil || !strings.Contains(res.Err.Error(), "permission denied") || res.Resume != "crdb-logexport disable --cluster staging-aws --cleanup --yes" {
		t.Fatalf("result %+v", res)
	}
	if !errors.As(res.Err, &se) || se.Step != steps.StepDisable {
		t.Fatalf("error %v", res.Err)
	}
}

func TestDisableCtrlCWhileDisablingLeavesAJournalThatResumes(t *testing.T) {
	sb, connect, store := testSandbox(t, cloudemu.Timings{})
	env, _ := exportSetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	sb.Cloud.SetTimings(cloudemu.Timings{EnableAfter: 150 * time.Millisecond, DisableAfter: 1500 * time.Millisecond, IAMPropagation: time.Nanosecond, EventInterval: 150 * time.Millisecond})
	hs := newHarness(t, disableOptions(connect, cloudemu.StagingAWSClusterName), 100, 30)
	atDisableStage(t, hs, disConfirm)
	pick(hs, 1) // with cleanup
	f := atDisableStage(t, hs, disApplying)
	hs.until("DISABLING", 15*time.Second, func() bool {
		return f.status != nil && f.status.Info.Status == cloudapi.StatusDisabling
	})
	run := f.run
	hs.key("ctrl+c")
	res := hs.m.Result()
	if res.Outcome != Aborted || !res.Changed || res.Resume != "crdb-logexport disable --cluster staging-aws --cleanup --yes" {
		t.Fatalf("result %+v", res)
	}
	hs.m.stop(10 * time.Second)
	if !run.finished() {
		t.Fatal("the disable still runs after the stop")
	}
	j := interruptedJournal(t, store, cloudemu.StagingAWSClusterID)
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
	again, err := steps.ApplyDisable(ctx, env, p, steps.DisableOptions{Watch: fastApply.Watch}, nil)
	if err != nil || again.Status != cloudapi.StatusDisabled || !slices.Contains(again.Removed, "role arn:aws:iam::"+sandboxAccount+":role/"+stagingRole) {
		t.Fatalf("the resumed disable: %+v, %v", again, err)
	}
}

func TestAccessibleDisableAsksTwiceBeforeDeletingLogGroups(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{})
	env, _ := exportSetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	var out bytes.Buffer
	lines := []string{
		"3", // disable, remove what this tool created and delete its log groups
		"",  // the second confirmation: no, keep them
	}
	res, err := RunAccessible(context.Background(), Options{
		Start:        StartDisable,
		In:           iotest.OneByteReader(strings.NewReader(strings.Join(lines, "\n") + "\n")),
		Out:          &out,
		Environ:      []string{"TERM=xterm-256color"},
		Input:        steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName},
		APIKeySource: "COCKROACH_API_KEY",
		Connect:      connect,
		Apply:        fastApply,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.Outcome != Completed || res.Disable == nil || res.Disable.Status != cloudapi.StatusDisabled || res.Task != "disable log export" {
		t.Fatalf("result %+v\n%s", res, out.String())
	}
	for _, want := range []string{"Cleanup removes only what this tool made for this cluster", "These log groups hold the exported logs of staging-aws", "crdb-staging-aws in us-east-2", "Done: step “Disable log export and wait”", "Log export of staging-aws is DISABLED."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if roleExists(t, sb, stagingRole) {
		t.Error("the role this tool created is still there")
	}
	if !logGroupExists(t, env, "us-east-2", "crdb-staging-aws") {
		t.Error("the log group was deleted although the second confirmation was declined")
	}
}

func TestDisableFailedShowsTheUserMessageAsAnError(t *testing.T) {
	m := New(context.Background(), Options{Width: 80, Height: 24})
	t.Cleanup(func() { m.stop(time.Second) })
	f := newDisableFlow(m.opts)
	f.clusterName = cloudemu.StagingAWSClusterName
	f.in = &steps.DisableInput{Cluster: cloudemu.StagingAWSClusterID, Cleanup: true}
	f.stage = disApplying
	f.run = newApplyRun(1, func() {})
	close(f.run.done) // nothing runs: the test sends the events
	m.flow, m.phase = f, phaseFlow
	msg := "the export job could not stop the log shipper; contact support"
	m.Update(stepStartedMsg{run: 1, id: steps.StepDisable})
	m.Update(statusMsg{run: 1, ev: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusDisableFailed, UserMessage: msg}, Polls: 3, Done: true}})
	fail := &steps.StepError{Step: steps.StepDisable, Cause: errors.New("log export is DISABLE_FAILED: " + msg), Fix: "run the same command again to retry the DELETE", Permanent: true}
	m.Update(stepFailedMsg{run: 1, id: steps.StepDisable, err: fail})
	m.Update(disAppliedMsg{run: 1, err: fail})
	if f.stage != disFailed {
		t.Fatalf("stage %d", f.stage)
	}
	s := ansi.Strip(m.View().Content)
	for _, want := range []string{"DISABLE_FAILED", "user_message " + msg, "Step “Disable log export and wait” failed", "Cause log export is DISABLE_FAILED", "Retry"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	checkFits(t, "disable failed", s, 80, 24)
}
