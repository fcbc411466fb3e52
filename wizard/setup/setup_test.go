package setup

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell/shelltest"
)

const account = shelltest.Account

func TestSetupWithDefaultsReachesEnabledAndLogsArrive(t *testing.T) {
	sb, build, _ := shelltest.Sandbox(t, cloudemu.Timings{IAMPropagation: 2 * time.Second})
	hs := start(t, config(build), 100, 30)
	answerDefaults(t, hs)

	for _, want := range []string{"AWS account " + account + " as arn:aws:iam::" + account, "+ create", "Create the CloudWatch log group", "Apply this plan?"} {
		if !hs.Has(want) {
			t.Errorf("plan screen lacks %q:\n%s", want, hs.Screen())
		}
	}
	if shelltest.RoleExists(t, sb, shelltest.ProdRole) {
		t.Fatal("the role exists before the plan was confirmed")
	}

	hs.Enter() // Apply
	sawPropagation := false
	hs.Until("ENABLED and streams in every region", 30*time.Second, func() bool {
		m := task(hs)
		if m.progress.Wait != nil {
			sawPropagation = true
		}
		if m.stage != summary {
			return false
		}
		for _, r := range cloudemu.ProdAWSRegions() {
			if m.progress.Streams[r].Streams == 0 {
				return false
			}
		}
		return true
	})
	if !sawPropagation {
		t.Error("the IAM propagation wait of a new role was never shown")
	}
	for _, want := range []string{
		"Log export of prod-aws is ENABLED",
		"arn:aws:iam::" + account + ":role/" + shelltest.ProdRole,
		"arn:aws:iam::" + account + ":policy/" + shelltest.ProdPolicy,
		"Logs arriving in crdb-prod-aws (live)",
		"crdb-logexport doctor --cluster prod-aws",
		"crdb-logexport disable --cluster prod-aws",
	} {
		if !hs.Has(want) {
			t.Errorf("summary lacks %q:\n%s", want, hs.Screen())
		}
	}
	for i, mk := range task(hs).progress.Marks {
		if mk.State != kit.MarkDone {
			t.Errorf("step %d is not marked done: %+v", i+1, mk)
		}
	}
	if !shelltest.RoleExists(t, sb, shelltest.ProdRole) {
		t.Error("the role was not created")
	}
	shelltest.CheckFits(t, "summary", hs.Screen(), 100, 30)

	hs.Key("1")
	if !hs.Has("Copied the role ARN") {
		t.Errorf("copy not acknowledged:\n%s", hs.Screen())
	}
	hs.Until("the summary to stay until left", 15*time.Second, hs.P.Shell().Lingering)
	hs.Key("q")
	res := hs.End()
	if res.Outcome != shell.Completed || res.Setup == nil || res.Setup.Status != cloudapi.StatusEnabled {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(res.Resume, "--cluster prod-aws") || !strings.HasSuffix(res.Resume, "--yes") {
		t.Errorf("resume command %q", res.Resume)
	}
}

func TestPolicyARNWarnsAndOffersTheRolesItIsAttachedTo(t *testing.T) {
	sb, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	iamc := shelltest.IAM(sb)
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + cloudemu.ProdAWSAccountID + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("TeamLogsRole"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	pol, err := iamc.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("TeamLogsPolicy"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iamc.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("TeamLogsRole"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	policyARN := aws.ToString(pol.Policy.Arn)
	roleARN := "arn:aws:iam::" + account + ":role/TeamLogsRole"

	hs := start(t, config(build), 100, 30)
	atConnect(hs, steps.StepCluster, false)
	hs.Enter()
	toRoleARN(hs)

	// A user ARN is refused with the reason, at once.
	user := "arn:aws:iam::" + account + ":user/alice"
	hs.TypeText(user)
	if !hs.Has("Not a role ARN") || !hs.Has("IAM user ARN") {
		t.Fatalf("no warning for a user ARN:\n%s", hs.Screen())
	}
	hs.Key("enter")
	if m := task(hs); m.stage != asking || questions[m.qi].id != qRoleARN {
		t.Fatalf("a user ARN was accepted (stage %s)", m.stage)
	}
	hs.Clear(len(user))

	// A policy ARN: the warning shows while typing, before enter.
	hs.TypeText(policyARN)
	if !hs.Has("This is a policy ARN, not a role ARN") {
		t.Fatalf("no policy warning while typing:\n%s", hs.Screen())
	}
	hs.Enter()
	atStage(hs, pickingRole)
	if !hs.Has("It is attached to 1 role") || !hs.Has("Use "+roleARN) {
		t.Fatalf("the role the policy is attached to is not offered:\n%s", hs.Screen())
	}
	hs.Enter() // use the role: its trust is read, not asked about
	atStage(hs, planned)
	if m := task(hs); m.ans.roleARN != roleARN {
		t.Fatalf("role ARN %q after picking, want %q", m.ans.roleARN, roleARN)
	}
	if !hs.Has("Plan") || !hs.Has("Apply this plan?") {
		t.Fatalf("plan:\n%s", hs.Screen())
	}
	plan := task(hs).plan
	if s := kit.RenderSteps(plan.Steps, kit.NewStyles(), 100); !strings.Contains(s, "auth_principal = "+roleARN) || !strings.Contains(s, cloudemu.ProdAWSAccountID+":root (no external ID)") {
		t.Fatalf("the plan does not use the picked role and its trust as read:\n%s", s)
	}
	if plan.ExternalID != "" || plan.Request.AWSExternalID != "" {
		t.Fatalf("the role's trust requires no external ID, yet the plan sends %q", plan.ExternalID)
	}
	if plan.RoleARN != roleARN || !plan.BringOwnRole {
		t.Fatalf("plan role %q (own %v)", plan.RoleARN, plan.BringOwnRole)
	}
	if c := plan.Conflicts(); len(c) > 0 {
		t.Fatalf("unexpected conflict: %+v", c)
	}
	hs.Key("right") // Cancel
	hs.Key("enter")
	res := hs.End()
	if res.Outcome != shell.Aborted || res.Changed {
		t.Fatalf("declining the plan: %+v", res)
	}
	if !strings.Contains(res.Resume, "--role-arn "+roleARN) || strings.Contains(res.Resume, "--external-id") {
		t.Errorf("resume command %q (the CLI reads the trust the same way)", res.Resume)
	}
}

// TestOwnRolesExternalIDIsReadFromItsTrust: a role of the account this
// tool acts in whose trust requires an external ID is used with that ID,
// without asking; a role of another account is asked about.
func TestOwnRolesExternalIDIsReadFromItsTrust(t *testing.T) {
	sb, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	iamc := shelltest.IAM(sb)
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + cloudemu.ProdAWSAccountID + `:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"team-logs-7"}}}]}`
	if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("TeamLogsRole"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arn  string
		asks bool
	}{
		{"arn:aws:iam::" + account + ":role/TeamLogsRole", false},
		{"arn:aws:iam::999999999999:role/TheirRole", true},
	} {
		hs := start(t, config(build), 100, 30)
		atConnect(hs, steps.StepCluster, false)
		hs.Enter()
		toRoleARN(hs)
		hs.TypeText(tc.arn)
		hs.Enter()
		if tc.asks {
			atQuestion(hs, qExternalID)
			if !hs.Has("does not require one") {
				t.Errorf("the external ID question for a role of another account:\n%s", hs.Screen())
			}
			hs.Key("ctrl+c")
			hs.End()
			continue
		}
		atStage(hs, planned)
		plan := task(hs).plan
		if plan.ExternalID != "team-logs-7" || plan.Request.AWSExternalID != "team-logs-7" {
			t.Errorf("external ID %q (request %q), want the one the trust requires", plan.ExternalID, plan.Request.AWSExternalID)
		}
		if s := kit.RenderSteps(plan.Steps, kit.NewStyles(), 100); !strings.Contains(s, "271828182845:root with external ID team-logs-7") {
			t.Errorf("the plan does not say what the trust requires:\n%s", s)
		}
		if c := plan.Conflicts(); len(c) > 0 {
			t.Errorf("unexpected conflict: %+v", c)
		}
		hs.Key("ctrl+c")
		hs.End()
	}
}

// TestClusterWhereExportDoesNotApplyCannotBeChosen: the picker shows each
// cluster's export status; a cluster on GCP or on the Basic plan is shown
// with the reason, and enter on it says why and stays; one named by
// --cluster is explained, with nothing else to choose.
func TestClusterWhereExportDoesNotApplyCannotBeChosen(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	hs := start(t, config(build), 100, 30)
	atConnect(hs, steps.StepCluster, false)
	for _, want := range []string{"analytics-gcp  ADVANCED  GCP    us-central1                    not eligible: on GCP", "basic-dev      BASIC     AWS    us-west-2                      not eligible: Basic plan", "prod-aws       ADVANCED  AWS    us-east-1,us-west-2,eu-west-1  not configured", "export status", "Dimmed:"} {
		if !hs.Has(want) {
			t.Errorf("the picker lacks %q:\n%s", want, hs.Screen())
		}
	}
	for _, line := range strings.Split(hs.P.Render(), "\n") {
		if faint := strings.Contains(line, "\x1b[2m"); strings.Contains(line, "not eligible") != faint && strings.Contains(line, "us-") {
			t.Errorf("a row is dimmed where it can be chosen, or bright where it cannot: %q", line)
		}
	}
	hs.Key("up")
	hs.Key("up")
	if !hs.Has("> analytics-gcp") {
		t.Fatalf("cursor not on analytics-gcp:\n%s", hs.Screen())
	}
	hs.Key("enter")
	hs.Until("the reason analytics-gcp cannot be chosen", 5*time.Second, func() bool { return hs.Has("runs on GCP") && hs.Has("Choose another cluster") })
	hs.Key("down")
	hs.Key("enter")
	hs.Until("the reason basic-dev cannot be chosen", 5*time.Second, func() bool { return hs.Has("the Basic plan, which does not support log export") })
	if m := task(hs); !m.Conn.Active() {
		t.Fatalf("an ineligible cluster was chosen:\n%s", hs.Screen())
	}
	hs.Key("down")
	hs.Enter()
	atQuestion(hs, qLogGroup)
	if !hs.Has("crdb-prod-aws") {
		t.Fatalf("prod-aws was not chosen after the refusals:\n%s", hs.Screen())
	}
	hs.Key("ctrl+c")
	if res := hs.End(); res.Changed {
		t.Fatalf("result %+v", res)
	}

	// --cluster names one: it is explained, and the only way on is out.
	cfg := config(build)
	cfg.Connect.ClusterRef = "analytics-gcp"
	hs = start(t, cfg, 80, 24)
	atConnect(hs, steps.StepCluster, true)
	for _, want := range []string{"analytics-gcp", "GCP", "Advanced and Standard clusters on AWS"} {
		if !hs.Has(want) {
			t.Errorf("explanation lacks %q:\n%s", want, hs.Screen())
		}
	}
	shelltest.CheckFits(t, "not applicable", hs.Screen(), 80, 24)
	hs.Key("enter") // quit
	if res := hs.End(); res.Outcome != shell.Failed || res.Changed || res.Resume != "" || !errors.Is(res.Err, steps.ErrNotApplicable) {
		t.Fatalf("result %+v", res)
	}
}

// TestAccessiblePickerRefusesAClusterExportDoesNotApplyTo: in accessible
// mode the list says each cluster's export status, and a number naming a
// Basic cluster is answered with the reason and asked again.
func TestAccessiblePickerRefusesAClusterExportDoesNotApplyTo(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	_, out := shelltest.Accessible(t, program(config(build), true), "2", "3")
	for _, want := range []string{"Reading each cluster's export status", "basic-dev      BASIC     AWS    us-west-2", "not eligible: Basic plan", "the Basic plan, which does not support log export; Standard and Advanced clusters do. Choose another cluster", "not configured", "One not eligible cannot be chosen", "Log group"} {
		if !strings.Contains(out, want) {
			t.Errorf("the transcript lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "What now?") {
		t.Errorf("basic-dev was chosen, then explained:\n%s", out)
	}
}

func TestFailureOffersRollbackOfWhatThisRunCreated(t *testing.T) {
	sb, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	sb.AWS.Controls().InjectFault(knobs.Fault{Op: "iam:CreatePolicy", Status: 403, Code: "AccessDenied", Message: "User: arn:aws:iam::" + account + ":user/sandbox-admin is not authorized to perform: iam:CreatePolicy", Times: -1})
	hs := start(t, config(build), 100, 30)
	answerDefaults(t, hs)
	hs.Enter()
	atStage(hs, failed)
	for _, want := range []string{"Step 7 (Grant the CloudWatch Logs actions) failed", "AccessDenied", "Fix", "iam:CreatePolicy", "Resume", "crdb-logexport setup --cluster prod-aws --yes", "Roll back what this run created"} {
		if !hs.Has(want) {
			t.Errorf("failure screen lacks %q:\n%s", want, hs.Screen())
		}
	}
	if mk := task(hs).progress.Marks.At(steps.StepPermissions); mk.State != kit.MarkFailed {
		t.Errorf("step 7 not marked failed: %+v", mk)
	}
	if !shelltest.RoleExists(t, sb, shelltest.ProdRole) {
		t.Fatal("the role should exist before the rollback")
	}
	hs.Key("down")
	hs.Enter() // roll back
	atStage(hs, rollbackConfirm)
	if !hs.Has("removes role arn:aws:iam::"+account+":role/"+shelltest.ProdRole) || !hs.Has("keeps log group crdb-prod-aws") {
		t.Fatalf("rollback preview:\n%s", hs.Screen())
	}
	hs.Enter() // Remove
	// The failure's choices again, without the rollback.
	hs.Until("the failure's choices after the rollback", 15*time.Second, func() bool {
		m := task(hs)
		return m.stage == failed && m.rollbackRes != nil && hs.P.Shell().Offers(steps.OptQuit)
	})
	if !hs.Has("removed role arn:aws:iam::"+account) || hs.P.Shell().Offers(steps.OptRollback) {
		t.Errorf("rollback result:\n%s", hs.Screen())
	}
	if shelltest.RoleExists(t, sb, shelltest.ProdRole) {
		t.Error("the role this run created is still there after the rollback")
	}
	hs.Key("down")
	hs.Key("enter") // quit
	res := hs.End()
	if res.Outcome != shell.Failed || res.Rollback == nil || len(res.Rollback.Removed) == 0 {
		t.Fatalf("result %+v", res)
	}
	var se *steps.StepError
	if !errors.As(res.Err, &se) || se.Step != steps.StepPermissions {
		t.Fatalf("result error %v", res.Err)
	}
}

func TestRetryAfterATransientFailureCompletes(t *testing.T) {
	sb, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	sb.AWS.Controls().InjectFault(knobs.Fault{Op: "iam:CreatePolicy", Status: 403, Code: "AccessDenied", Message: "denied once"})
	hs := start(t, config(build), 100, 30)
	answerDefaults(t, hs)
	hs.Enter()
	atStage(hs, failed)
	hs.Enter() // retry
	atStage(hs, summary)
	res := task(hs).result
	if res.Status != cloudapi.StatusEnabled {
		t.Fatalf("status %s after retry", res.Status)
	}
	if slices.Contains(res.Created, "arn:aws:iam::"+account+":role/"+shelltest.ProdRole) {
		t.Error("the retry created the role again")
	}
}

func TestCtrlCDuringApplyStopsAndLeavesAJournalThatResumes(t *testing.T) {
	_, build, store := shelltest.Sandbox(t, cloudemu.Timings{EnableAfter: 3 * time.Second})
	hs := start(t, config(build), 100, 30)
	answerDefaults(t, hs)
	hs.Enter()
	hs.Until("the export is enabling", 15*time.Second, func() bool {
		st := task(hs).progress.Status
		return st != nil && st.Info.Status == cloudapi.StatusEnabling
	})
	m := task(hs)
	hs.Key("ctrl+c")
	if !hs.P.Ended() {
		t.Fatal("ctrl+c did not end the interface")
	}
	res := hs.P.Result()
	if res.Outcome != shell.Aborted || !res.Changed || !strings.Contains(res.Resume, "--cluster prod-aws") {
		t.Fatalf("result %+v", res)
	}
	hs.P.Stop(10 * time.Second)
	if m.Running() {
		t.Fatal("Apply still running after the stop")
	}

	j := shelltest.InterruptedJournal(t, store, cloudemu.ProdAWSClusterID)
	if j.Steps[steps.StepRole].Status != "done" || j.Steps[steps.StepEnable].Status != "failed" {
		t.Fatalf("journal steps %+v", j.Steps)
	}

	// The resume runs the same answers non-interactively and creates
	// nothing twice.
	env, err := build(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	in := m.ans.input(m.cfg.Input, m.cluster())
	p, err := steps.PrepareSetup(context.Background(), env, in)
	if err != nil {
		t.Fatal(err)
	}
	if p.ExternalID != m.plan.ExternalID {
		t.Errorf("resumed with external ID %q, first run used %q", p.ExternalID, m.plan.ExternalID)
	}
	if a := p.Step(steps.StepRole).Action; a != steps.ExistsOK {
		t.Errorf("resumed plan would %s the role", a)
	}
}

func TestViewsReflowOnResize(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	hs := start(t, config(build), 120, 40)
	answerDefaults(t, hs)
	wide := hs.Screen()
	hs.Resize(80, 24)
	narrow := hs.Screen()
	shelltest.CheckFits(t, "plan at 80x24", narrow, 80, 24)
	if wide == narrow {
		t.Error("the plan did not reflow")
	}
	hs.Enter()
	atStage(hs, summary)
	shelltest.CheckFits(t, "summary at 80x24", hs.Screen(), 80, 24)
	hs.Resize(60, 20)
	for _, l := range strings.Split(hs.Screen(), "\n") {
		if w := len([]rune(l)); w > 60 {
			t.Errorf("line of %d runes at 60 columns: %q", w, l)
		}
	}
	// Wrapped beside its label, broken only after the '/'.
	if !strings.Contains(hs.Screen(), "1 role ARN     arn:aws:iam::"+account+":role/\n               "+shelltest.ProdRole+"\n") {
		t.Errorf("the role ARN was cut instead of wrapped:\n%s", hs.Screen())
	}
}

func TestAPIKeyIsAskedMaskedAndNeverShown(t *testing.T) {
	sb, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	cfg := config(build)
	cfg.Connect.AskKey = true
	hs := start(t, cfg, 100, 30)
	hs.Until("the API key question", 15*time.Second, func() bool { return hs.P.Shell().Form() != nil && hs.Has("API key") })
	hs.TypeText("wrong-key-123")
	if strings.Contains(hs.Screen(), "wrong-key-123") {
		t.Fatal("the API key is echoed")
	}
	hs.Enter()
	hs.Until("the key refused", 15*time.Second, func() bool { return hs.P.Shell().Offers(steps.OptRekey) })
	if s := hs.Screen(); !strings.Contains(s, "API key was refused") || strings.Contains(s, "wrong-key-123") {
		t.Fatalf("refused key screen:\n%s", s)
	}
	hs.Enter() // enter the key again
	hs.Until("the API key question again", 15*time.Second, func() bool {
		s, failed := task(hs).Conn.Step()
		return hs.P.Shell().Form() != nil && s == steps.StepOrganization && !failed
	})
	hs.TypeText(sb.APIKey)
	hs.Enter()
	atConnect(hs, steps.StepCluster, false)
	if strings.Contains(hs.Screen(), sb.APIKey) {
		t.Fatal("the API key is shown after connecting")
	}
}

func TestStandardClusterSkipsTheExternalIDQuestion(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	hs := start(t, config(build), 100, 30)
	atConnect(hs, steps.StepCluster, false)
	hs.Key("down")
	hs.Key("down")
	hs.Enter()
	atQuestion(hs, qLogGroup)
	hs.Enter()
	hs.Enter()
	atQuestion(hs, qRoleMode)
	hs.Enter()
	atQuestion(hs, qRoleNames)
	hs.Enter()
	hs.Enter()
	hs.Enter()
	atStage(hs, planned)
	plan := task(hs).plan
	if plan.ClusterID != cloudemu.StandardAWSClusterID || plan.ExternalID != cloudemu.StandardAWSClusterID || plan.Request.AWSExternalID != "" {
		t.Fatalf("Standard plan: cluster %s, external ID %q, request external ID %q", plan.ClusterID, plan.ExternalID, plan.Request.AWSExternalID)
	}
}

func TestFromScratchMovesTheOldJournalAside(t *testing.T) {
	_, build, store := shelltest.Sandbox(t, cloudemu.Timings{})
	j, err := store.Open(cloudemu.ProdAWSClusterID, "prod-aws")
	if err != nil {
		t.Fatal(err)
	}
	j.Settings["external_id"] = "crdb-from-an-earlier-run"
	if err := j.Save(); err != nil {
		t.Fatal(err)
	}
	for _, scratch := range []bool{false, true} {
		cfg := config(build)
		cfg.Input.FromScratch = scratch
		hs := start(t, cfg, 100, 30)
		answerDefaults(t, hs)
		plan := task(hs).plan
		if resumed := plan.ExternalID == "crdb-from-an-earlier-run"; resumed == scratch {
			t.Errorf("from scratch %v: external ID %q", scratch, plan.ExternalID)
		}
	}
	aside, _ := filepath.Glob(filepath.Join(store.Dir, cloudemu.ProdAWSClusterID+".*.json"))
	if len(aside) != 1 {
		t.Errorf("journals moved aside: %v", aside)
	}
}

func TestClusterListFilters(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	hs := start(t, config(build), 80, 24)
	atConnect(hs, steps.StepCluster, false)
	hs.Key("/")
	hs.TypeText("stag")
	if s := hs.Screen(); !strings.Contains(s, "staging-aws") || strings.Contains(s, "standard-aws") {
		t.Fatalf("filtered list:\n%s", s)
	}
	hs.Enter()
	atQuestion(hs, qLogGroup)
	if c := task(hs).cluster(); c.Name != cloudemu.StagingAWSClusterName || !hs.Has("crdb-staging-aws") {
		t.Fatalf("chose %s:\n%s", c.Name, hs.Screen())
	}
}

// TestConflictIsShownAndEditingReopensItsQuestion: a role name that is
// another cluster's makes the plan's conflict; the plan opens scrolled to
// it, and "e" reopens the role's question with the name cleared and the
// conflict said — a new name gives a plan without one.
func TestConflictIsShownAndEditingReopensItsQuestion(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	shelltest.Enabling(t, build, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName, ExternalID: steps.ExternalIDAuto})
	cfg := config(build)
	cfg.Input.RoleName = shelltest.StagingRole
	hs := start(t, cfg, 80, 24)
	answerDefaults(t, hs)
	m := task(hs)
	if c := m.plan.Conflicts(); len(c) != 1 || c[0].ID != steps.StepRole {
		t.Fatalf("conflicts %+v", c)
	}
	s := hs.Screen()
	if !strings.Contains(s, " 5. Create the cross-account IAM role") || !strings.Contains(s, "! conflict") || !strings.Contains(s, "The plan has a conflict at step 5") {
		t.Fatalf("the conflict is not in view:\n%s", s)
	}
	if m.vp.YOffset() == 0 {
		t.Errorf("the plan was not scrolled to its conflict")
	}

	hs.Key("e")
	atQuestion(hs, qRoleNames)
	if m.ans.roleName != "" || !hs.Has("The plan had a conflict here") || !hs.Has("made by crdb-logexport for cluster staging-aws") {
		t.Fatalf("the question reopened with %q:\n%s", m.ans.roleName, hs.Screen())
	}
	shelltest.CheckFits(t, "the reopened question", hs.Screen(), 80, 24)
	hs.TypeText("ProdOwnRole")
	hs.Enter() // role name
	hs.Enter() // policy name
	hs.Enter() // regions
	atQuestion(hs, qExternalID)
	if hs.Has("The plan had a conflict here") {
		t.Errorf("the conflict note outlived its question:\n%s", hs.Screen())
	}
	hs.Enter()
	atStage(hs, planned)
	if c := task(hs).plan.Conflicts(); len(c) != 0 || task(hs).plan.RoleName != "ProdOwnRole" {
		t.Fatalf("after the edit: role %s, conflicts %+v", task(hs).plan.RoleName, c)
	}
}

// TestKeysGoBackAndCycleThePlan: esc goes back one question, shift+tab
// from a question's first field too, and tab cycles the plan's panes past
// the last.
func TestKeysGoBackAndCycleThePlan(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	hs := start(t, config(build), 80, 24)
	atConnect(hs, steps.StepCluster, false)
	hs.Enter()
	atQuestion(hs, qLogGroup)
	hs.Key("esc")
	if !hs.Has("This is the first question") {
		t.Errorf("esc at the first question:\n%s", hs.Screen())
	}
	hs.Enter() // log group
	hs.Enter() // retention
	atQuestion(hs, qRoleMode)
	hs.Key("esc")
	atQuestion(hs, qLogGroup)
	hs.Enter()
	hs.Enter()
	atQuestion(hs, qRoleMode)
	hs.Enter()
	atQuestion(hs, qRoleNames)
	hs.Key("shift+tab") // from the first field: back a question
	createRoleDefaults(hs)
	m := task(hs)
	for _, want := range []planPane{paneTrust, panePermission, paneSteps, paneTrust} {
		hs.Key("tab")
		if m.pane != want {
			t.Fatalf("tab: pane %d, want %d", m.pane, want)
		}
	}
	hs.Key("shift+tab")
	if m.pane != paneSteps {
		t.Fatalf("shift+tab: pane %d, want the steps", m.pane)
	}
}

// TestUnfinishedSetupIsOfferedWithItsAnswers: a setup that failed part way
// is offered to the next setup of the cluster in the interface, saying
// where it stopped; resuming goes to the plan with its answers (a log group
// and retention of its own), without a question, and the command it prints
// repeats them. Once it has finished, nothing is offered; given as flags,
// answers are not replaced by an unfinished setup's.
func TestUnfinishedSetupIsOfferedWithItsAnswers(t *testing.T) {
	sb, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	sb.AWS.Controls().InjectFault(knobs.Fault{Op: "iam:CreatePolicy", Status: 403, Code: "AccessDenied", Message: "not authorized to perform: iam:CreatePolicy", Times: -1})
	hs := start(t, config(build), 100, 30)
	atConnect(hs, steps.StepCluster, false)
	hs.Enter()
	atQuestion(hs, qLogGroup)
	hs.Clear(len("crdb-prod-aws"))
	hs.TypeText("team-logs")
	hs.Enter()      // log group
	hs.Key("right") // retention: the next value
	hs.Enter()
	createRoleDefaults(hs)
	retention := task(hs).plan.RetentionDays
	if task(hs).plan.LogGroup != "team-logs" || retention == steps.DefaultRetentionDays {
		t.Fatalf("first run's answers: log group %q, retention %d", task(hs).plan.LogGroup, retention)
	}
	hs.Enter()
	atStage(hs, failed)
	hs.Key("ctrl+c")
	hs.End()
	sb.AWS.Controls().ClearFaults()

	// Given as flags, the answers stand: nothing is offered.
	cfg := config(build)
	cfg.Input.LogGroup = "other-logs"
	hs = start(t, cfg, 100, 30)
	atConnect(hs, steps.StepCluster, false)
	hs.Enter()
	atQuestion(hs, qLogGroup)
	if !hs.Has("other-logs") {
		t.Errorf("the flag's log group is not the answer:\n%s", hs.Screen())
	}
	hs.Key("ctrl+c")
	hs.End()

	hs = start(t, config(build), 100, 30)
	atConnect(hs, steps.StepCluster, false)
	hs.Enter()
	atStage(hs, resumeOffer)
	for _, want := range []string{"A setup of prod-aws begun", "did not finish: step 7 (Grant the CloudWatch Logs", "failed. Resume it?", "Resume it with its answers", "Change its answers first", "Answer every question afresh"} {
		if !hs.Has(want) {
			t.Errorf("the offer lacks %q:\n%s", want, hs.Screen())
		}
	}
	hs.Enter() // resume
	atStage(hs, planned)
	plan := task(hs).plan
	if plan.LogGroup != "team-logs" || plan.RetentionDays != retention {
		t.Fatalf("resumed plan: log group %q, retention %d; want team-logs, %d", plan.LogGroup, plan.RetentionDays, retention)
	}
	if r := task(hs).resume(); !strings.Contains(r, "--log-group team-logs") || !strings.Contains(r, fmt.Sprintf("--retention-days %d", retention)) {
		t.Errorf("the command that repeats the resumed setup: %q", r)
	}
	hs.Enter() // apply
	atStage(hs, summary)
	if st := task(hs).result.Status; st != cloudapi.StatusEnabled {
		t.Fatalf("resumed setup ended %s", st)
	}
	hs.Until("the summary to stay until left", 15*time.Second, hs.P.Shell().Lingering)
	hs.Key("q")
	hs.End()

	hs = start(t, config(build), 100, 30)
	atConnect(hs, steps.StepCluster, false)
	hs.Enter()
	atQuestion(hs, qLogGroup)
	hs.Key("ctrl+c")
	hs.End()
}

// TestAccessibleOffersTheUnfinishedSetup: accessible mode asks the same.
func TestAccessibleOffersTheUnfinishedSetup(t *testing.T) {
	sb, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	sb.AWS.Controls().InjectFault(knobs.Fault{Op: "iam:CreatePolicy", Status: 403, Code: "AccessDenied", Message: "not authorized to perform: iam:CreatePolicy", Times: -1})
	hs := start(t, config(build), 100, 30)
	answerDefaults(t, hs)
	hs.Enter()
	atStage(hs, failed)
	hs.Key("ctrl+c")
	hs.End()
	_, out := shelltest.Accessible(t, program(config(build), true), "3", "4")
	for _, want := range []string{"A setup of prod-aws begun", "step 7 (Grant the CloudWatch Logs actions) failed", "Resume it with its answers"} {
		if !strings.Contains(out, want) {
			t.Errorf("the transcript lacks %q:\n%s", want, out)
		}
	}
}
