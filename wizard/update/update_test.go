package update

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell/shelltest"
)

// program opens the update of cluster with the flags' edit; the tasks it
// leads to are stubs.
func program(build shelltest.Build, cluster string, in steps.UpdateInput, accessible bool) *shell.Program {
	return shelltest.Program(shell.TaskUpdate, accessible, func(sh *shell.Shell) shell.Task {
		return New(sh, Config{
			Connect: steps.ConnectTask{Build: build, ClusterRef: cluster}, In: in,
			Options:      steps.UpdateOptions{Watch: shelltest.Watch, StreamTimeout: 10 * time.Second, PropagationLimit: 20 * time.Second},
			StreamsEvery: 100 * time.Millisecond,
		})
	})
}

func at(t *testing.T, hs *shelltest.Harness, st stage) *Model {
	t.Helper()
	hs.Until("update stage", 30*time.Second, func() bool {
		m, ok := hs.P.Task().(*Model)
		switch {
		case !ok || m.stage != st || hs.P.Ended():
			return false
		case st == done:
			return hs.P.Shell().Lingering()
		case st == applying:
			return true
		}
		return hs.P.Shell().Form() != nil
	})
	return hs.P.Task().(*Model)
}

// editMenu moves the edit screen's cursor to the n-th entry (0: log group)
// and opens it.
func editMenu(t *testing.T, hs *shelltest.Harness, n int) {
	t.Helper()
	at(t, hs, editing)
	hs.Key("g") // the first entry: the cursor wraps around
	for range n {
		hs.Key("down")
	}
	hs.Enter()
}

func TestUpdateRedactionOnlyKeepsEveryGroupAndOmittedChannel(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	env, _ := shelltest.SetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	audit, err := steps.ParseGroup("crdb-staging-audit=SENSITIVE_ACCESS,USER_ADMIN:WARNING:redact:sending-queue")
	if err != nil {
		t.Fatal(err)
	}
	omit := []string{"SQL_PERF", "SQL_EXEC"}
	shelltest.Updated(t, env, cloudemu.StagingAWSClusterName, steps.SpecEdit{OmitChannels: &omit, Groups: []cloudapi.LogExportGroup{audit}})
	before := shelltest.Live(t, env, cloudemu.StagingAWSClusterID)

	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, steps.UpdateInput{}, false), 100, 30)
	f := at(t, hs, editing)
	s := hs.Screen()
	for _, want := range []string{"update log export", "Redaction", "off", "SQL_PERF, SQL_EXEC", "1: crdb-staging-audit", "No changes yet"} {
		if !strings.Contains(s, want) {
			t.Errorf("edit screen lacks %q:\n%s", want, s)
		}
	}
	editMenu(t, hs, 3) // redaction
	if f.stage != editField || f.field != fieldRedact {
		t.Fatalf("stage %d field %q after choosing redaction", f.stage, f.field)
	}
	hs.Key("down") // on
	hs.Enter()
	at(t, hs, editing)
	if s := hs.Screen(); !strings.Contains(s, "redact: false → true") || !strings.Contains(s, "(changed)") {
		t.Fatalf("the change is not shown:\n%s", s)
	}
	hs.Enter() // the cursor is on "Review the changes"
	at(t, hs, review)
	s = hs.Screen()
	for _, want := range []string{"Configuration", "redact", "- false", "+ true", "Apply these changes?"} {
		if !strings.Contains(s, want) {
			t.Errorf("review lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "omitted_channels") || strings.Contains(s, "groups[") {
		t.Errorf("the review repeats fields that do not change:\n%s", s)
	}
	hs.Enter() // Apply
	at(t, hs, done)

	after := shelltest.Live(t, env, cloudemu.StagingAWSClusterID)
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
	hs.Key("q")
	res := hs.P.Result()
	if res.Outcome != shell.Completed || res.Task != Title || !res.Changed || res.Update == nil || res.Update.Status != cloudapi.StatusEnabled {
		t.Fatalf("result %+v", res)
	}
	if want := "crdb-logexport update --cluster staging-aws --redact=true --yes"; res.Resume != want {
		t.Errorf("resume command\n got %s\nwant %s", res.Resume, want)
	}
}

func TestUpdateToANewLogGroupShowsTheDiffCreatesItAndLogsArrive(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	env, setup := shelltest.SetUp(t, connect, steps.SetupInput{Cluster: cloudemu.ProdAWSClusterName})

	hs := shelltest.New(t, program(connect, cloudemu.ProdAWSClusterName, steps.UpdateInput{}, false), shelltest.GoldenW, shelltest.GoldenH)
	at(t, hs, editing)
	shelltest.Golden(t, "update-edit", hs.P.Render())

	editMenu(t, hs, 0) // log group
	hs.Clear(len("crdb-prod-aws"))
	hs.TypeText("crdb prod")
	if s := hs.Screen(); !strings.Contains(s, "log group") || hs.P.Shell().Form().GetFocusedField() == nil {
		t.Fatalf("no validation shown:\n%s", s)
	}
	hs.Key("enter")
	if f := hs.P.Task().(*Model); f.stage != editField {
		t.Fatal("an invalid log group name was accepted")
	}
	hs.Clear(len("crdb prod"))
	hs.TypeText("crdb-prod-v2")
	hs.Enter() // name
	hs.Enter() // retention
	f := at(t, hs, editing)
	if f.desired.LogName != "crdb-prod-v2" {
		t.Fatalf("log_name %q after the edit", f.desired.LogName)
	}
	hs.Enter() // review
	at(t, hs, review)
	shelltest.Golden(t, "update-diff", hs.P.Render())
	s := hs.Screen()
	s += ansi.Strip(f.vp.GetContent())
	for _, want := range []string{"log_name", "- crdb-prod-aws", "+ crdb-prod-v2", "+ create us-east-1", "Permission policy"} {
		if !strings.Contains(s, want) {
			t.Errorf("diff screen lacks %q:\n%s", want, s)
		}
	}
	if c := f.plan.Step(steps.StepLogGroup); c.Action != steps.Create || len(c.Items) != 3 {
		t.Fatalf("log group step %+v", c)
	}
	hs.Key("p")
	content := ansi.Strip(f.reviewContent(100))
	if !strings.Contains(content, "+ ") || !strings.Contains(content, "log-group:crdb-prod-v2:*") || !strings.Contains(content, "- ") {
		t.Errorf("the policy pane does not show the policy's change:\n%s", content)
	}
	hs.Key("c")

	hs.Enter() // Apply
	hs.Until("ENABLED with streams in the new group in every region", 30*time.Second, func() bool {
		if f.stage != done {
			return false
		}
		for _, r := range cloudemu.ProdAWSRegions() {
			if f.progress.Streams[r].Streams == 0 || f.progress.Streams[r].LogGroup != "crdb-prod-v2" {
				return false
			}
		}
		return true
	})
	if s := hs.Screen(); !strings.Contains(s, "ENABLED with the new configuration") || !strings.Contains(s, "Logs arriving in crdb-prod-v2") {
		t.Errorf("outcome screen:\n%s", s)
	}
	shelltest.CheckFits(t, "update outcome", hs.Screen(), shelltest.GoldenW, shelltest.GoldenH)

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
	info := shelltest.Live(t, env, cloudemu.ProdAWSClusterID)
	if info.Status != cloudapi.StatusEnabled || info.Spec.LogName != "crdb-prod-v2" || info.Spec.AuthPrincipal != setup.RoleARN {
		t.Fatalf("export after the update: %s %+v", info.Status, info.Spec)
	}
	at(t, hs, done)
	hs.Key("enter")
	if res := hs.P.Result(); res.Outcome != shell.Completed || res.Update == nil || len(res.Update.Created) != 3 {
		t.Fatalf("result %+v", res)
	}
}

func TestUpdateRoleGivenAsAPolicyARNWarnsAndOffersItsRoles(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	_, setup := shelltest.SetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, steps.UpdateInput{}, false), 100, 30)
	editMenu(t, hs, 1) // role ARN
	f := hs.P.Task().(*Model)
	hs.Clear(len(setup.RoleARN))

	user := "arn:aws:iam::" + shelltest.Account + ":user/alice"
	hs.TypeText(user)
	if s := hs.Screen(); !strings.Contains(s, "Not a role ARN") {
		t.Fatalf("no warning for a user ARN:\n%s", s)
	}
	hs.Key("enter")
	if f.stage != editField {
		t.Fatal("a user ARN was accepted as the role")
	}
	hs.Clear(len(user))

	hs.TypeText(setup.PolicyARN)
	if s := hs.Screen(); !strings.Contains(s, "This is a policy ARN, not a role ARN") {
		t.Fatalf("no warning while typing a policy ARN:\n%s", s)
	}
	hs.Enter()
	at(t, hs, pickingRole)
	if s := hs.Screen(); !strings.Contains(s, "It is attached to 1 role") || !strings.Contains(s, "Use "+setup.RoleARN) {
		t.Fatalf("the role the policy is attached to is not offered:\n%s", s)
	}
	hs.Enter() // use it
	at(t, hs, editing)
	if f.desired.AuthPrincipal != setup.RoleARN {
		t.Fatalf("auth_principal %q after picking, want %q", f.desired.AuthPrincipal, setup.RoleARN)
	}
}

func TestUpdateConflictBlocksApplyingAndGoesBackToEditing(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	env, setup := shelltest.SetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, steps.UpdateInput{}, false), 100, 30)
	editMenu(t, hs, 1) // role ARN
	hs.Clear(len(setup.RoleARN))
	missing := "arn:aws:iam::" + shelltest.Account + ":role/NobodyMadeThisRole"
	hs.TypeText(missing)
	hs.Enter()
	f := at(t, hs, editing)
	hs.Enter() // review
	at(t, hs, review)
	if c := f.plan.Conflicts(); len(c) == 0 || c[0].ID != steps.StepRoleARN {
		t.Fatalf("conflicts %+v", c)
	}
	s := hs.Screen()
	for _, want := range []string{"! conflict", "A conflict stops the update", "Back to editing"} {
		if !strings.Contains(s, want) {
			t.Errorf("conflict screen lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "> Apply") {
		t.Errorf("a plan with a conflict offers to apply:\n%s", s)
	}
	hs.Enter() // back to editing
	at(t, hs, editing)
	if f.desired.AuthPrincipal != missing {
		t.Errorf("the edit was lost going back: %q", f.desired.AuthPrincipal)
	}
	hs.Key("g")
	for range 7 {
		hs.Key("down")
	}
	hs.Enter() // quit without changing anything
	res := hs.End()
	if res.Outcome != shell.Aborted || res.Changed || res.Update != nil {
		t.Fatalf("result %+v", res)
	}
	if info := shelltest.Live(t, env, cloudemu.StagingAWSClusterID); info.Spec.AuthPrincipal != setup.RoleARN {
		t.Fatalf("auth_principal changed to %s", info.Spec.AuthPrincipal)
	}
}

func TestUpdateCtrlCMidApplyLeavesAJournalThatResumes(t *testing.T) {
	sb, connect, store := shelltest.Sandbox(t, cloudemu.Timings{})
	env, _ := shelltest.SetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	sb.Cloud.SetTimings(cloudemu.Timings{EnableAfter: 1500 * time.Millisecond, DisableAfter: 150 * time.Millisecond, IAMPropagation: time.Nanosecond, EventInterval: 150 * time.Millisecond})

	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, steps.UpdateInput{}, false), 100, 30)
	editMenu(t, hs, 0)
	hs.Clear(len("crdb-staging-aws"))
	hs.TypeText("crdb-staging-v2")
	hs.Enter()
	hs.Enter()
	f := at(t, hs, editing)
	hs.Enter()
	at(t, hs, review)
	hs.Enter() // Apply
	hs.Until("the new configuration is enabling", 15*time.Second, func() bool {
		return f.progress.Status != nil && f.progress.Status.Info.Status == cloudapi.StatusEnabling
	})
	hs.Key("ctrl+c")
	res := hs.P.Result()
	if res.Outcome != shell.Aborted || !res.Changed {
		t.Fatalf("result %+v", res)
	}
	if want := "crdb-logexport update --cluster staging-aws --log-group crdb-staging-v2 --yes"; res.Resume != want {
		t.Errorf("resume command\n got %s\nwant %s", res.Resume, want)
	}
	hs.P.Stop(10 * time.Second)
	if f.Running() {
		t.Fatal("the update still runs after the stop")
	}

	j := shelltest.InterruptedJournal(t, store, cloudemu.StagingAWSClusterID)
	if j.Steps["update:"+steps.StepLogGroup].Status != "done" || j.Steps["update:"+steps.StepEnable].Status != "failed" {
		t.Fatalf("journal steps %+v", j.Steps)
	}
	if !slices.ContainsFunc(j.Created, func(r steps.Resource) bool { return r.Kind == steps.KindLogGroup && r.ID == "crdb-staging-v2" }) {
		t.Fatalf("the journal does not record the new log group: %+v", j.Created)
	}

	// The resume command's edit, run again, creates nothing twice and
	// reaches ENABLED.
	sb.Cloud.SetTimings(cloudemu.Timings{EnableAfter: 150 * time.Millisecond, DisableAfter: 150 * time.Millisecond, IAMPropagation: time.Nanosecond, EventInterval: 150 * time.Millisecond})
	again := shelltest.Updated(t, env, cloudemu.StagingAWSClusterName, steps.SpecEdit{LogGroup: "crdb-staging-v2"})
	if len(again.Created) != 0 || again.Spec.LogName != "crdb-staging-v2" {
		t.Fatalf("the resumed update: created %v, log_name %s", again.Created, again.Spec.LogName)
	}
}

func TestUpdateFailureShowsStepCauseFixAndRetryResumes(t *testing.T) {
	sb, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	env, _ := shelltest.SetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	sb.Cloud.Controls().InjectFault(knobs.Fault{Op: "cloud:EnableLogExport", Status: 403, Code: "7", Message: "the service account lacks permission to change this cluster"})
	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, steps.UpdateInput{}, false), 100, 30)
	editMenu(t, hs, 3) // redaction
	hs.Key("down")
	hs.Enter()
	at(t, hs, editing)
	hs.Enter()
	at(t, hs, review)
	hs.Enter() // apply
	f := at(t, hs, failed)
	s := hs.Screen()
	for _, want := range []string{"Step 10 (Enable log export and wait) failed", "Cause", "lacks permission", "Fix", "Cluster Admin", "Resume crdb-logexport update --cluster staging-aws --redact=true --yes", "Retry"} {
		if !strings.Contains(s, want) {
			t.Errorf("failure screen lacks %q:\n%s", want, s)
		}
	}
	if f.progress.Marks.At(steps.StepEnable).State != kit.MarkFailed || f.progress.Marks.At(steps.StepLogGroup).State != kit.MarkDone {
		t.Errorf("marks %+v", f.progress.Marks)
	}
	if info := shelltest.Live(t, env, cloudemu.StagingAWSClusterID); boolValue(info.Spec.Redact) {
		t.Fatal("the refused POST changed the configuration")
	}
	hs.Enter() // retry: the fault happened once
	at(t, hs, done)
	if info := shelltest.Live(t, env, cloudemu.StagingAWSClusterID); !boolValue(info.Spec.Redact) || info.Status != cloudapi.StatusEnabled {
		t.Fatalf("after the retry: %s %+v", info.Status, info.Spec)
	}
	hs.Key("q")
	if res := hs.P.Result(); res.Outcome != shell.Completed || res.Err != nil {
		t.Fatalf("result %+v", res)
	}
}

func TestUpdateFlagsArePreappliedAndAGroupIsEditedInItsForm(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	env, _ := shelltest.SetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, steps.UpdateInput{Edit: steps.SpecEdit{Redact: cloudapi.Bool(true)}}, false), 100, 30)
	f := at(t, hs, editing)
	if !boolValue(f.desired.Redact) || f.choice != choiceReview {
		t.Fatalf("flags not preapplied: redact %v, cursor %q", f.desired.Redact, f.choice)
	}

	editMenu(t, hs, 5) // groups
	at(t, hs, editGroups)
	hs.Enter() // add a group
	if f.stage != editField || f.field != fieldGroup {
		t.Fatalf("stage %d field %q", f.stage, f.field)
	}
	hs.TypeText("crdb-staging-audit")
	hs.Enter()      // name
	hs.Key("right") // WARNING
	hs.Enter()      // level
	hs.Enter()      // redaction: as the configuration
	hs.Enter()      // sending queue: no
	for range 7 {   // SENSITIVE_ACCESS is the 8th channel
		hs.Key("down")
	}
	hs.Key("space")
	hs.Enter()
	at(t, hs, editGroups)
	if len(f.desired.Groups) != 1 || steps.FormatGroup(f.desired.Groups[0]) != "crdb-staging-audit=SENSITIVE_ACCESS:WARNING" {
		t.Fatalf("groups after the form: %+v", f.desired.Groups)
	}
	for range 2 {
		hs.Key("down")
	}
	hs.Enter() // back
	at(t, hs, editing)
	hs.Enter() // review
	at(t, hs, review)
	if s := hs.Screen(); !strings.Contains(s, "groups[crdb-staging-audit]") || !strings.Contains(s, "+ channels SENSITIVE_ACCESS") {
		t.Fatalf("review:\n%s", s)
	}
	hs.Enter()
	at(t, hs, done)
	info := shelltest.Live(t, env, cloudemu.StagingAWSClusterID)
	if !boolValue(info.Spec.Redact) || len(info.Spec.Groups) != 1 || info.Spec.Groups[0].LogName != "crdb-staging-audit" {
		t.Fatalf("export after the update: %+v", info.Spec)
	}
	hs.Key("q")
	if res := hs.P.Result(); !strings.Contains(res.Resume, "--group crdb-staging-audit=SENSITIVE_ACCESS:WARNING") || !strings.Contains(res.Resume, "--redact=true") {
		t.Errorf("resume command %q", res.Resume)
	}
}

func TestUpdateOfAClusterWithoutExportSaysSo(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	hs := shelltest.New(t, program(connect, cloudemu.StagingAWSClusterName, steps.UpdateInput{}, false), 80, 24)
	at(t, hs, loadFailed)
	s := hs.Screen()
	for _, want := range []string{"log export is not configured for cluster staging-aws", "crdb-logexport setup --cluster staging-aws", "Set it up", "Quit"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	hs.Key("g")
	hs.Key("down")
	hs.Enter() // quit
	if res := hs.End(); res.Outcome != shell.Failed || res.Changed || res.Err == nil || res.Resume != "" {
		t.Fatalf("result %+v", res)
	}
}

func TestAccessibleUpdateChangesRedaction(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	env, _ := shelltest.SetUp(t, connect, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	res, out := shelltest.Accessible(t, program(connect, cloudemu.StagingAWSClusterName, steps.UpdateInput{}, true),
		"4", // redaction
		"2", // on
		"7", // review the changes
		"1", // apply
	)
	if res.Outcome != shell.Completed || res.Update == nil || !boolValue(res.Update.Spec.Redact) || res.Task != Title {
		t.Fatalf("result %+v\n%s", res, out)
	}
	for _, want := range []string{"Log export of staging-aws, status ENABLED", "redact: false → true", "Done: step 10 (Enable log export and wait)", "status       ENABLED", "changed      redact: false → true"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("escape sequences written to a non-terminal")
	}
	if info := shelltest.Live(t, env, cloudemu.StagingAWSClusterID); !boolValue(info.Spec.Redact) {
		t.Fatal("redaction is not on in the API")
	}
}
