package wizard

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// exportSetUp sets up log export of a cluster the way `setup --yes` does,
// for a task to start from.
func exportSetUp(t *testing.T, connect func(context.Context, string) (*steps.Env, error), in steps.SetupInput) (*steps.Env, *steps.SetupResult) {
	t.Helper()
	ctx := context.Background()
	env, err := connect(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if in.ExternalID == "" {
		in.ExternalID = steps.ExternalIDAuto
	}
	p, err := steps.Prepare(ctx, env, in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := steps.Apply(ctx, env, p, fastApply, nil)
	if err != nil || res.Status != cloudapi.StatusEnabled {
		t.Fatalf("setting up %s: %v (status %s)", in.Cluster, err, res.Status)
	}
	return env, res
}

// exportUpdated applies an update the way `update --yes` does.
func exportUpdated(t *testing.T, env *steps.Env, cluster string, edit steps.SpecEdit) *steps.UpdateResult {
	t.Helper()
	ctx := context.Background()
	p, err := steps.PrepareUpdate(ctx, env, steps.UpdateInput{Cluster: cluster, Edit: edit})
	if err != nil {
		t.Fatal(err)
	}
	res, err := steps.ApplyUpdate(ctx, env, p, steps.UpdateOptions{Watch: fastApply.Watch, StreamTimeout: 10 * time.Second}, nil)
	if err != nil || res.Status != cloudapi.StatusEnabled {
		t.Fatalf("updating %s: %v", cluster, err)
	}
	return res
}

func updateOptions(connect func(context.Context, string) (*steps.Env, error), cluster string) Options {
	opts := flowOptions(connect)
	opts.Start = StartUpdate
	opts.Input.Cluster = cluster
	return opts
}

// updFlow is the update flow on screen.
func updFlow(t *testing.T, hs *harness) *updateFlow {
	t.Helper()
	f, ok := hs.m.flow.(*updateFlow)
	if !ok {
		t.Fatalf("the update flow is not on screen (phase %d, flow %T)", hs.m.phase, hs.m.flow)
	}
	return f
}

func atUpdateStage(t *testing.T, hs *harness, stage updateStage) *updateFlow {
	t.Helper()
	hs.until("update stage", 30*time.Second, func() bool {
		f, ok := hs.m.flow.(*updateFlow)
		return ok && f.stage == stage && hs.m.final == nil
	})
	return updFlow(t, hs)
}

// editMenu moves the edit screen's cursor to the n-th entry (0: log group)
// and opens it.
func editMenu(t *testing.T, hs *harness, n int) {
	t.Helper()
	atUpdateStage(t, hs, updEditing)
	hs.key("g") // the first entry: the cursor wraps around
	for range n {
		hs.key("down")
	}
	hs.enter()
}

func liveExport(t *testing.T, env *steps.Env, clusterID string) cloudapi.LogExportInfo {
	t.Helper()
	info, err := env.Cloud.LogExport(context.Background(), clusterID)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestUpdateRedactionOnlyKeepsEveryGroupAndOmittedChannel(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	env, _ := exportSetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	audit, err := steps.ParseGroup("crdb-staging-audit=SENSITIVE_ACCESS,USER_ADMIN:WARNING:redact:sending-queue")
	if err != nil {
		t.Fatal(err)
	}
	omit := []string{"SQL_PERF", "SQL_EXEC"}
	exportUpdated(t, env, cloudemu.StagingAWSClusterName, steps.SpecEdit{OmitChannels: &omit, Groups: []cloudapi.LogExportGroup{audit}})
	before := liveExport(t, env, cloudemu.StagingAWSClusterID)

	hs := newHarness(t, updateOptions(connect, cloudemu.StagingAWSClusterName), 100, 30)
	f := atUpdateStage(t, hs, updEditing)
	s := hs.screen()
	for _, want := range []string{"update log export", "Redaction", "off", "SQL_PERF, SQL_EXEC", "1: crdb-staging-audit", "No changes yet"} {
		if !strings.Contains(s, want) {
			t.Errorf("edit screen lacks %q:\n%s", want, s)
		}
	}
	editMenu(t, hs, 3) // redaction
	if f.stage != updField || f.field != fieldRedact {
		t.Fatalf("stage %d field %q after choosing redaction", f.stage, f.field)
	}
	hs.key("down") // on
	hs.enter()
	atUpdateStage(t, hs, updEditing)
	if s := hs.screen(); !strings.Contains(s, "redact: false → true") || !strings.Contains(s, "(changed)") {
		t.Fatalf("the change is not shown:\n%s", s)
	}
	hs.enter() // the cursor is on "Review the changes"
	atUpdateStage(t, hs, updReview)
	s = hs.screen()
	for _, want := range []string{"Configuration", "redact", "- false", "+ true", "Apply these changes?"} {
		if !strings.Contains(s, want) {
			t.Errorf("review lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "omitted_channels") || strings.Contains(s, "groups[") {
		t.Errorf("the review repeats fields that do not change:\n%s", s)
	}
	hs.enter() // Apply
	atUpdateStage(t, hs, updDone)

	after := liveExport(t, env, cloudemu.StagingAWSClusterID)
	if after.Status != cloudapi.StatusEnabled || !boolValue(after.Spec.Redact) {
		t.Fatalf("after the update: status %s, redact %v", after.Status, after.Spec.Redact)
	}
	if d := steps.DiffSpecs(before.Spec, after.Spec); len(d) != 1 || d[0].Field != "redact" {
		t.Fatalf("the update changed more than redaction: %v", d)
	}
	if len(after.Spec.Groups) != 1 || steps.FormatGroup(after.Spec.Groups[0]) != steps.FormatGroup(audit) {
		t.Errorf("groups after the update: %+v", after.Spec.Groups)
	}
	if !slices.Equal(after.Spec.OmittedChannels, omit) {
		t.Errorf("omitted channels after the update: %v", after.Spec.OmittedChannels)
	}
	hs.key("q")
	res := hs.m.Result()
	if res.Outcome != Completed || res.Task != "update log export" || !res.Changed || res.Update == nil || res.Update.Status != cloudapi.StatusEnabled {
		t.Fatalf("result %+v", res)
	}
	if want := "crdb-logexport update --cluster staging-aws --redact=true --yes"; res.Resume != want {
		t.Errorf("resume command\n got %s\nwant %s", res.Resume, want)
	}
}

func TestUpdateToANewLogGroupShowsTheDiffCreatesItAndLogsArrive(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	env, setup := exportSetUp(t, connect, steps.SetupInput{Cluster: cloudemu.ProdAWSClusterName})

	hs := newHarness(t, updateOptions(connect, cloudemu.ProdAWSClusterName), goldenW, goldenH)
	atUpdateStage(t, hs, updEditing)
	golden(t, "update-edit", hs.m.View().Content)

	editMenu(t, hs, 0) // log group
	hs.clear(len("crdb-prod-aws"))
	hs.typeText("crdb prod")
	if s := hs.screen(); !strings.Contains(s, "log group") || hs.m.form.GetFocusedField() == nil {
		t.Fatalf("no validation shown:\n%s", s)
	}
	hs.key("enter")
	if f := updFlow(t, hs); f.stage != updField {
		t.Fatal("an invalid log group name was accepted")
	}
	hs.clear(len("crdb prod"))
	hs.typeText("crdb-prod-v2")
	hs.enter() // name
	hs.enter() // retention
	f := atUpdateStage(t, hs, updEditing)
	if f.desired.LogName != "crdb-prod-v2" {
		t.Fatalf("log_name %q after the edit", f.desired.LogName)
	}
	hs.enter() // review
	atUpdateStage(t, hs, updReview)
	golden(t, "update-diff", hs.m.View().Content)
	s := hs.screen()
	for _, want := range []string{"log_name", "- crdb-prod-aws", "+ crdb-prod-v2", "+ create us-east-1", "Permission policy"} {
		if !strings.Contains(s, want) {
			t.Errorf("diff screen lacks %q:\n%s", want, s)
		}
	}
	if c := f.plan.Step(steps.StepLogGroup); c.Action != steps.Create || len(c.Items) != 3 {
		t.Fatalf("log group step %+v", c)
	}
	hs.key("p")
	content := ansi.Strip(f.reviewContent(hs.m, 100))
	if !strings.Contains(content, "+ ") || !strings.Contains(content, "log-group:crdb-prod-v2:*") || !strings.Contains(content, "- ") {
		t.Errorf("the policy pane does not show the policy's change:\n%s", content)
	}
	hs.key("c")

	hs.enter() // Apply
	hs.until("ENABLED with streams in the new group in every region", 30*time.Second, func() bool {
		if f.stage != updDone {
			return false
		}
		for _, r := range cloudemu.ProdAWSRegions() {
			if f.streams[r].Streams == 0 || f.streams[r].LogGroup != "crdb-prod-v2" {
				return false
			}
		}
		return true
	})
	if s := hs.screen(); !strings.Contains(s, "ENABLED with the new configuration") || !strings.Contains(s, "Logs arriving in crdb-prod-v2") {
		t.Errorf("outcome screen:\n%s", s)
	}
	checkFits(t, "update outcome", hs.screen(), goldenW, goldenH)

	ctx := context.Background()
	for _, region := range cloudemu.ProdAWSRegions() {
		st, err := awsiam.InspectLogGroup(ctx, env.AWS.LogsFor(region), "crdb-prod-v2")
		if err != nil || !st.Exists {
			t.Errorf("log group crdb-prod-v2 in %s: %+v, %v", region, st, err)
		}
	}
	pol, err := awsiam.InspectPolicy(ctx, env.AWS.IAM, setup.PolicyARN)
	if err != nil || !strings.Contains(pol.Document.JSON(), "log-group:crdb-prod-v2:*") {
		t.Fatalf("the permission policy does not cover the new log group: %v\n%s", err, pol.Document.JSON())
	}
	info := liveExport(t, env, cloudemu.ProdAWSClusterID)
	if info.Status != cloudapi.StatusEnabled || info.Spec.LogName != "crdb-prod-v2" || info.Spec.AuthPrincipal != setup.RoleARN {
		t.Fatalf("export after the update: %s %+v", info.Status, info.Spec)
	}
	hs.key("enter")
	if res := hs.m.Result(); res.Outcome != Completed || res.Update == nil || len(res.Update.Created) != 3 {
		t.Fatalf("result %+v", res)
	}
}

func TestUpdateRoleGivenAsAPolicyARNWarnsAndOffersItsRoles(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	_, setup := exportSetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	hs := newHarness(t, updateOptions(connect, cloudemu.StagingAWSClusterName), 100, 30)
	editMenu(t, hs, 1) // role ARN
	f := updFlow(t, hs)
	hs.clear(len(setup.RoleARN))

	user := "arn:aws:iam::" + sandboxAccount + ":user/alice"
	hs.typeText(user)
	if s := hs.screen(); !strings.Contains(s, "Not a role ARN") {
		t.Fatalf("no warning for a user ARN:\n%s", s)
	}
	hs.key("enter")
	if f.stage != updField {
		t.Fatal("a user ARN was accepted as the role")
	}
	hs.clear(len(user))

	hs.typeText(setup.PolicyARN)
	if s := hs.screen(); !strings.Contains(s, "This is a policy ARN, not a role ARN") {
		t.Fatalf("no warning while typing a policy ARN:\n%s", s)
	}
	hs.enter()
	atUpdateStage(t, hs, updRolePick)
	if s := hs.screen(); !strings.Contains(s, "It is attached to 1 role") || !strings.Contains(s, "Use "+setup.RoleARN) {
		t.Fatalf("the role the policy is attached to is not offered:\n%s", s)
	}
	hs.enter() // use it
	atUpdateStage(t, hs, updEditing)
	if f.desired.AuthPrincipal != setup.RoleARN {
		t.Fatalf("auth_principal %q after picking, want %q", f.desired.AuthPrincipal, setup.RoleARN)
	}
}

func TestUpdateConflictBlocksApplyingAndGoesBackToEditing(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	env, setup := exportSetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	hs := newHarness(t, updateOptions(connect, cloudemu.StagingAWSClusterName), 100, 30)
	editMenu(t, hs, 1) // role ARN
	hs.clear(len(setup.RoleARN))
	missing := "arn:aws:iam::" + sandboxAccount + ":role/NobodyMadeThisRole"
	hs.typeText(missing)
	hs.enter()
	f := atUpdateStage(t, hs, updEditing)
	hs.enter() // review
	atUpdateStage(t, hs, updReview)
	if c := f.plan.Conflicts(); len(c) == 0 || c[0].ID != steps.StepRoleARN {
		t.Fatalf("conflicts %+v", c)
	}
	s := hs.screen()
	for _, want := range []string{"! conflict", "A conflict stops the update", "Back to editing"} {
		if !strings.Contains(s, want) {
			t.Errorf("conflict screen lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "> Apply") {
		t.Errorf("a plan with a conflict offers to apply:\n%s", s)
	}
	hs.enter() // back to editing
	atUpdateStage(t, hs, updEditing)
	if f.desired.AuthPrincipal != missing {
		t.Errorf("the edit was lost going back: %q", f.desired.AuthPrincipal)
	}
	hs.key("g")
	for range 7 {
		hs.key("down")
	}
	hs.enter() // quit without changing anything
	if hs.m.final == nil {
		t.Fatalf("still running:\n%s", hs.screen())
	}
	res := hs.m.Result()
	if res.Outcome != Aborted || res.Changed || res.Update != nil {
		t.Fatalf("result %+v", res)
	}
	if info := liveExport(t, env, cloudemu.StagingAWSClusterID); info.Spec.AuthPrincipal != setup.RoleARN {
		t.Fatalf("auth_principal changed to %s", info.Spec.AuthPrincipal)
	}
}

func TestUpdateCtrlCMidApplyLeavesAJournalThatResumes(t *testing.T) {
	sb, connect, store := testSandbox(t, cloudemu.Timings{})
	env, _ := exportSetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	sb.Cloud.SetTimings(cloudemu.Timings{EnableAfter: 1500 * time.Millisecond, DisableAfter: 150 * time.Millisecond, IAMPropagation: time.Nanosecond, EventInterval: 150 * time.Millisecond})

	hs := newHarness(t, updateOptions(connect, cloudemu.StagingAWSClusterName), 100, 30)
	editMenu(t, hs, 0)
	hs.clear(len("crdb-staging-aws"))
	hs.typeText("crdb-staging-v2")
	hs.enter()
	hs.enter()
	f := atUpdateStage(t, hs, updEditing)
	hs.enter()
	atUpdateStage(t, hs, updReview)
	hs.enter() // Apply
	hs.until("the new configuration is enabling", 15*time.Second, func() bool {
		return f.status != nil && f.status.Info.Status == cloudapi.StatusEnabling
	})
	run := f.run
	hs.key("ctrl+c")
	res := hs.m.Result()
	if res.Outcome != Aborted || !res.Changed {
		t.Fatalf("result %+v", res)
	}
	if want := "crdb-logexport update --cluster staging-aws --log-group crdb-staging-v2 --yes"; res.Resume != want {
		t.Errorf("resume command\n got %s\nwant %s", res.Resume, want)
	}
	hs.m.stop(10 * time.Second)
	if !run.finished() {
		t.Fatal("the update still runs after the stop")
	}

	j := interruptedJournal(t, store, cloudemu.StagingAWSClusterID)
	if j.Steps["update:"+steps.StepLogGroup].Status != "done" || j.Steps["update:"+steps.StepEnable].Status != "failed" {
		t.Fatalf("journal steps %+v", j.Steps)
	}
	if !slices.ContainsFunc(j.Created, func(r steps.Resource) bool { return r.Kind == steps.KindLogGroup && r.ID == "crdb-staging-v2" }) {
		t.Fatalf("the journal does not record the new log group: %+v", j.Created)
	}

	// The resume command's edit, run again, creates nothing twice and
	// reaches ENABLED.
	sb.Cloud.SetTimings(cloudemu.Timings{EnableAfter: 150 * time.Millisecond, DisableAfter: 150 * time.Millisecond, IAMPropagation: time.Nanosecond, EventInterval: 150 * time.Millisecond})
	again := exportUpdated(t, env, cloudemu.StagingAWSClusterName, steps.SpecEdit{LogGroup: "crdb-staging-v2"})
	if len(again.Created) != 0 || again.Spec.LogName != "crdb-staging-v2" {
		t.Fatalf("the resumed update: created %v, log_name %s", again.Created, again.Spec.LogName)
	}
}

func TestUpdateFailureShowsStepCauseFixAndRetryResumes(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{})
	env, _ := exportSetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	sb.Cloud.Controls().InjectFault(knobs.Fault{Op: "cloud:EnableLogExport", Status: 403, Code: "7", Message: "the service account lacks permission to change this cluster"})
	hs := newHarness(t, updateOptions(connect, cloudemu.StagingAWSClusterName), 100, 30)
	editMenu(t, hs, 3) // redaction
	hs.key("down")
	hs.enter()
	atUpdateStage(t, hs, updEditing)
	hs.enter()
	atUpdateStage(t, hs, updReview)
	hs.enter() // apply
	f := atUpdateStage(t, hs, updFailed)
	s := hs.screen()
	for _, want := range []string{"Step 10 (Enable log export and wait) failed", "Cause", "lacks permission", "Fix", "Cluster Admin", "Resume crdb-logexport update --cluster staging-aws --redact=true --yes", "Retry"} {
		if !strings.Contains(s, want) {
			t.Errorf("failure screen lacks %q:\n%s", want, s)
		}
	}
	if f.marks.at(steps.StepEnable).state != markFailed || f.marks.at(steps.StepLogGroup).state != markDone {
		t.Errorf("marks %+v", f.marks)
	}
	if info := liveExport(t, env, cloudemu.StagingAWSClusterID); boolValue(info.Spec.Redact) {
		t.Fatal("the refused POST changed the configuration")
	}
	hs.enter() // retry: the fault happened once
	atUpdateStage(t, hs, updDone)
	if info := liveExport(t, env, cloudemu.StagingAWSClusterID); !boolValue(info.Spec.Redact) || info.Status != cloudapi.StatusEnabled {
		t.Fatalf("after the retry: %s %+v", info.Status, info.Spec)
	}
	hs.key("q")
	if res := hs.m.Result(); res.Outcome != Completed || res.Err != nil {
		t.Fatalf("result %+v", res)
	}
}

func TestUpdateFlagsArePreappliedAndAGroupIsEditedInItsForm(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	env, _ := exportSetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	opts := updateOptions(connect, cloudemu.StagingAWSClusterName)
	opts.Update.Edit = steps.SpecEdit{Redact: cloudapi.Bool(true)}
	hs := newHarness(t, opts, 100, 30)
	f := atUpdateStage(t, hs, updEditing)
	if !boolValue(f.desired.Redact) || f.choice != choiceReview {
		t.Fatalf("flags not preapplied: redact %v, cursor %q", f.desired.Redact, f.choice)
	}

	editMenu(t, hs, 5) // groups
	atUpdateStage(t, hs, updGroups)
	hs.enter() // add a group
	if f.stage != updField || f.field != fieldGroup {
		t.Fatalf("stage %d field %q", f.stage, f.field)
	}
	hs.typeText("crdb-staging-audit")
	hs.enter()      // name
	hs.key("right") // WARNING
	hs.enter()      // level
	hs.enter()      // redaction: as the configuration
	hs.enter()      // sending queue: no
	for range 7 {   // SENSITIVE_ACCESS is the 8th channel
		hs.key("down")
	}
	hs.key("space")
	hs.enter()
	atUpdateStage(t, hs, updGroups)
	if len(f.desired.Groups) != 1 || steps.FormatGroup(f.desired.Groups[0]) != "crdb-staging-audit=SENSITIVE_ACCESS:WARNING" {
		t.Fatalf("groups after the form: %+v", f.desired.Groups)
	}
	for range 2 {
		hs.key("down")
	}
	hs.enter() // back
	atUpdateStage(t, hs, updEditing)
	hs.enter() // review
	atUpdateStage(t, hs, updReview)
	if s := hs.screen(); !strings.Contains(s, "groups[crdb-staging-audit]") || !strings.Contains(s, "+ channels SENSITIVE_ACCESS") {
		t.Fatalf("review:\n%s", s)
	}
	hs.enter()
	atUpdateStage(t, hs, updDone)
	info := liveExport(t, env, cloudemu.StagingAWSClusterID)
	if !boolValue(info.Spec.Redact) || len(info.Spec.Groups) != 1 || info.Spec.Groups[0].LogName != "crdb-staging-audit" {
		t.Fatalf("export after the update: %+v", info.Spec)
	}
	hs.key("q")
	if res := hs.m.Result(); !strings.Contains(res.Resume, "--group crdb-staging-audit=SENSITIVE_ACCESS:WARNING") || !strings.Contains(res.Resume, "--redact=true") {
		t.Errorf("resume command %q", res.Resume)
	}
}

func TestUpdateOfAClusterWithoutExportSaysSo(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	hs := newHarness(t, updateOptions(connect, cloudemu.StagingAWSClusterName), 80, 24)
	atUpdateStage(t, hs, updLoadFailed)
	s := hs.screen()
	for _, want := range []string{"log export is not configured for cluster staging-aws", "crdb-logexport setup --cluster staging-aws", "Quit"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	hs.enter() // quit
	if res := hs.m.Result(); res.Outcome != Failed || res.Changed || res.Err == nil || res.Resume != "" {
		t.Fatalf("result %+v", res)
	}
}

func TestAccessibleUpdateChangesRedaction(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	env, _ := exportSetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	var out bytes.Buffer
	lines := []string{
		"4", // redaction
		"2", // on
		"7", // review the changes
		"1", // apply
	}
	res, err := RunAccessible(context.Background(), Options{
		Start:        StartUpdate,
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
	if res.Outcome != Completed || res.Update == nil || !boolValue(res.Update.Spec.Redact) || res.Task != "update log export" {
		t.Fatalf("result %+v\n%s", res, out.String())
	}
	for _, want := range []string{"Configuration (export status ENABLED)", "redact: false → true", "Step 10 of 10 done", "Log export of staging-aws is ENABLED."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Errorf("escape sequences written to a non-terminal")
	}
	if info := liveExport(t, env, cloudemu.StagingAWSClusterID); !boolValue(info.Spec.Redact) {
		t.Fatal("redaction is not on in the API")
	}
}

func TestUpdateAndDisableFromTheMenuWithoutAnExport(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	hs := newHarness(t, flowOptions(connect), 100, 30)
	chooseFromMenu := func(entry string) {
		t.Helper()
		hs.atPhase(phaseMenu)
		hs.key("g")
		for i, e := range menuEntries() {
			if e.id == entry {
				for range i {
					hs.key("down")
				}
			}
		}
		hs.enter()
		hs.atPhase(phaseCluster)
		hs.key("/")
		hs.typeText("stag")
		hs.enter()
	}

	chooseFromMenu("update")
	atUpdateStage(t, hs, updLoadFailed)
	if s := hs.screen(); !strings.Contains(s, "not configured") || !strings.Contains(s, "> Back to the menu") || !strings.Contains(s, "Choose another cluster") {
		t.Fatalf("no export:\n%s", s)
	}
	hs.enter() // back to the menu
}
