package wizard

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

const sandboxAccount = "314159265358"

func flowOptions(connect func(context.Context, string) (*steps.Env, error)) Options {
	return Options{
		Start:        StartMenu,
		Input:        steps.SetupInput{ExternalID: steps.ExternalIDAuto},
		APIKeySource: "COCKROACH_API_KEY",
		Connect:      connect,
		Apply:        fastApply,
		StreamsEvery: 100 * time.Millisecond,
	}
}

// answerDefaults goes from the home menu to the plan accepting every
// default, as `make demo` with enter at each prompt does.
func answerDefaults(t *testing.T, hs *harness) {
	t.Helper()
	hs.atPhase(phaseMenu)
	hs.enter()
	hs.atPhase(phaseCluster)
	if hs.m.ans.clusterID != cloudemu.ProdAWSClusterID {
		t.Fatalf("preselected cluster %q, want prod-aws (%s)", hs.m.ans.clusterID, cloudemu.ProdAWSClusterID)
	}
	hs.enter()
	hs.atQuestion(qLogGroup)
	if !strings.Contains(hs.screen(), "crdb-prod-aws") {
		t.Fatalf("log group default missing:\n%s", hs.screen())
	}
	hs.enter() // log group
	hs.enter() // retention
	hs.atQuestion(qRoleMode)
	hs.enter()
	hs.atQuestion(qRoleNames)
	hs.enter() // role name
	hs.enter() // policy name
	hs.enter() // regions
	hs.atQuestion(qExternalID)
	hs.enter()
	hs.atPhase(phasePlan)
}

func TestSetupWithDefaultsReachesEnabledAndLogsArrive(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{IAMPropagation: 2 * time.Second})
	hs := newHarness(t, flowOptions(connect), 100, 30)
	answerDefaults(t, hs)

	screen := hs.screen()
	for _, want := range []string{"AWS account " + sandboxAccount + " as arn:aws:iam::" + sandboxAccount, "+ create", "Create the CloudWatch log group", "Apply this plan?"} {
		if !strings.Contains(screen, want) {
			t.Errorf("plan screen lacks %q:\n%s", want, screen)
		}
	}
	if roleExists(t, sb, prodRole) {
		t.Fatal("the role exists before the plan was confirmed")
	}

	hs.enter() // Apply
	hs.atPhase(phaseApplying)
	sawPropagation := false
	hs.until("ENABLED and streams in every region", 30*time.Second, func() bool {
		if hs.m.wait != nil {
			sawPropagation = true
		}
		if hs.m.phase != phaseSummary {
			return false
		}
		for _, r := range cloudemu.ProdAWSRegions() {
			if hs.m.streams[r].Streams == 0 {
				return false
			}
		}
		return true
	})
	if !sawPropagation {
		t.Error("the IAM propagation wait of a new role was never shown")
	}
	screen = hs.screen()
	for _, want := range []string{
		"Log export of prod-aws is ENABLED",
		"arn:aws:iam::" + sandboxAccount + ":role/" + prodRole,
		"arn:aws:iam::" + sandboxAccount + ":policy/" + prodPolicy,
		"Logs arriving in crdb-prod-aws (live)",
		"crdb-logexport doctor --cluster prod-aws",
		"crdb-logexport disable --cluster prod-aws",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("summary lacks %q:\n%s", want, screen)
		}
	}
	for i := 1; i <= 10; i++ {
		if hs.m.marks[i-1].state != markDone {
			t.Errorf("step %d is not marked done: %+v", i, hs.m.marks[i-1])
		}
	}
	if !roleExists(t, sb, prodRole) {
		t.Error("the role was not created")
	}
	checkFits(t, "summary", screen, 100, 30)

	hs.key("1")
	if !strings.Contains(hs.screen(), "Copied the role ARN") {
		t.Errorf("copy not acknowledged:\n%s", hs.screen())
	}
	hs.key("q")
	res := hs.m.Result()
	if res.Outcome != Completed || res.Setup == nil || res.Setup.Status != cloudapi.StatusEnabled {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(res.Resume, "--cluster prod-aws") || !strings.HasSuffix(res.Resume, "--yes") {
		t.Errorf("resume command %q", res.Resume)
	}
}

func TestPolicyARNWarnsAndOffersTheRolesItIsAttachedTo(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{})
	iamc := sandboxIAM(sb)
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
	roleARN := "arn:aws:iam::" + sandboxAccount + ":role/TeamLogsRole"

	hs := newHarness(t, flowOptions(connect), 100, 30)
	hs.atPhase(phaseMenu)
	hs.enter()
	hs.atPhase(phaseCluster)
	hs.enter()
	hs.atQuestion(qLogGroup)
	hs.enter()
	hs.enter()
	hs.atQuestion(qRoleMode)
	hs.key("down")
	hs.enter()
	hs.atQuestion(qRoleARN)

	// A user ARN is refused with the reason, at once.
	hs.typeText("arn:aws:iam::" + sandboxAccount + ":user/alice")
	if s := hs.screen(); !strings.Contains(s, "Not a role ARN") || !strings.Contains(s, "IAM user ARN") {
		t.Fatalf("no warning for a user ARN:\n%s", s)
	}
	hs.key("enter")
	if hs.m.phase != phaseQuestion {
		t.Fatalf("a user ARN was accepted (phase %d)", hs.m.phase)
	}
	hs.clear(len("arn:aws:iam::" + sandboxAccount + ":user/alice"))

	// A policy ARN: the warning shows while typing, before enter.
	hs.typeText(policyARN)
	s := hs.screen()
	if !strings.Contains(s, "This is a policy ARN, not a role ARN") || !strings.Contains(s, "not a role ARN") {
		t.Fatalf("no policy warning while typing:\n%s", s)
	}
	hs.enter()
	hs.atPhase(phaseRolePick)
	s = hs.screen()
	if !strings.Contains(s, "It is attached to 1 role") || !strings.Contains(s, "Use "+roleARN) {
		t.Fatalf("the role the policy is attached to is not offered:\n%s", s)
	}
	hs.enter() // use the role
	hs.atQuestion(qExternalID)
	if hs.m.ans.roleARN != roleARN {
		t.Fatalf("role ARN %q after picking, want %q", hs.m.ans.roleARN, roleARN)
	}
	hs.enter() // no external ID: the role's trust does not ask for one
	hs.atPhase(phasePlan)
	if s := hs.screen(); !strings.Contains(s, "Plan") || !strings.Contains(s, "Apply this plan?") {
		t.Fatalf("plan:\n%s", s)
	}
	if s := renderPlan(hs.m.plan, hs.m.styles, 100); !strings.Contains(s, "auth_principal = "+roleARN) {
		t.Fatalf("the plan does not use the picked role:\n%s", s)
	}
	if hs.m.plan.RoleARN != roleARN || !hs.m.plan.BringOwnRole {
		t.Fatalf("plan role %q (own %v)", hs.m.plan.RoleARN, hs.m.plan.BringOwnRole)
	}
	if c := hs.m.plan.Conflicts(); len(c) > 0 {
		t.Fatalf("unexpected conflict: %+v", c)
	}
	hs.key("right") // Cancel
	hs.key("enter")
	res := hs.m.Result()
	if res.Outcome != Aborted || res.Changed {
		t.Fatalf("declining the plan: %+v", res)
	}
	if !strings.Contains(res.Resume, "--role-arn "+roleARN) || !strings.Contains(res.Resume, "--external-id none") {
		t.Errorf("resume command %q", res.Resume)
	}
}

func TestClusterWhereExportDoesNotApplyIsExplained(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	hs := newHarness(t, flowOptions(connect), 80, 24)
	hs.atPhase(phaseMenu)
	hs.enter()
	hs.atPhase(phaseCluster)
	hs.key("up")
	hs.key("up")
	if hs.m.ans.clusterID != cloudemu.AnalyticsGCPClusterID {
		t.Fatalf("cursor on %q, want analytics-gcp", hs.m.ans.clusterID)
	}
	hs.enter()
	hs.atPhase(phaseNotApplicable)
	s := hs.screen()
	for _, want := range []string{"analytics-gcp", "GCP", "Advanced and Standard clusters on AWS"} {
		if !strings.Contains(s, want) {
			t.Errorf("explanation lacks %q:\n%s", want, s)
		}
	}
	checkFits(t, "not applicable", s, 80, 24)
	hs.enter() // choose another cluster
	hs.atPhase(phaseCluster)
	hs.key("down")
	hs.enter()
	hs.atPhase(phaseNotApplicable)
	if !strings.Contains(hs.screen(), "BASIC") {
		t.Errorf("Basic cluster not explained:\n%s", hs.screen())
	}
	hs.key("down")
	hs.enter() // quit
	if res := hs.m.Result(); res.Outcome != Failed || res.Changed || res.Resume != "" || !errors.Is(res.Err, steps.ErrNotApplicable) {
		t.Fatalf("result %+v", res)
	}
}

func TestFailureOffersRollbackOfWhatThisRunCreated(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{})
	sb.AWS.Controls().InjectFault(knobs.Fault{Op: "iam:CreatePolicy", Status: 403, Code: "AccessDenied", Message: "User: arn:aws:iam::" + sandboxAccount + ":user/sandbox-admin is not authorized to perform: iam:CreatePolicy", Times: -1})
	hs := newHarness(t, flowOptions(connect), 100, 30)
	answerDefaults(t, hs)
	hs.enter()
	hs.atPhase(phaseFailed)
	s := hs.screen()
	for _, want := range []string{"Step 7 (Grant the CloudWatch Logs actions) failed", "AccessDenied", "Fix", "iam:CreatePolicy", "Resume", "crdb-logexport setup --cluster prod-aws --yes", "Roll back what this run created"} {
		if !strings.Contains(s, want) {
			t.Errorf("failure screen lacks %q:\n%s", want, s)
		}
	}
	if hs.m.marks[6].state != markFailed {
		t.Errorf("step 7 not marked failed: %+v", hs.m.marks[6])
	}
	if !roleExists(t, sb, prodRole) {
		t.Fatal("the role should exist before the rollback")
	}
	hs.key("down")
	hs.enter() // roll back
	hs.atPhase(phaseRollbackConfirm)
	s = hs.screen()
	if !strings.Contains(s, "removes role arn:aws:iam::"+sandboxAccount+":role/"+prodRole) || !strings.Contains(s, "keeps   log group crdb-prod-aws") {
		t.Fatalf("rollback preview:\n%s", s)
	}
	hs.enter() // Remove
	hs.atPhase(phaseRolledBack)
	if !strings.Contains(hs.screen(), "removed role arn:aws:iam::"+sandboxAccount) {
		t.Errorf("rollback result:\n%s", hs.screen())
	}
	if roleExists(t, sb, prodRole) {
		t.Error("the role this run created is still there after the rollback")
	}
	hs.enter() // quit
	res := hs.m.Result()
	if res.Outcome != Failed || res.Rollback == nil || len(res.Rollback.Removed) == 0 {
		t.Fatalf("result %+v", res)
	}
	var se *steps.StepError
	if !errors.As(res.Err, &se) || se.Step != steps.StepPermissions {
		t.Fatalf("result error %v", res.Err)
	}
}

func TestRetryAfterATransientFailureCompletes(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{})
	sb.AWS.Controls().InjectFault(knobs.Fault{Op: "iam:CreatePolicy", Status: 403, Code: "AccessDenied", Message: "denied once"})
	hs := newHarness(t, flowOptions(connect), 100, 30)
	answerDefaults(t, hs)
	hs.enter()
	hs.atPhase(phaseFailed)
	hs.enter() // retry
	hs.until("summary", 30*time.Second, func() bool { return hs.m.phase == phaseSummary })
	if hs.m.result.Status != cloudapi.StatusEnabled {
		t.Fatalf("status %s after retry", hs.m.result.Status)
	}
	if slices.Contains(hs.m.result.Created, "arn:aws:iam::"+sandboxAccount+":role/"+prodRole) {
		t.Error("the retry created the role again")
	}
}

func TestCtrlCDuringApplyStopsAndLeavesAJournalThatResumes(t *testing.T) {
	_, connect, store := testSandbox(t, cloudemu.Timings{EnableAfter: 3 * time.Second})
	hs := newHarness(t, flowOptions(connect), 100, 30)
	answerDefaults(t, hs)
	hs.enter()
	hs.until("the export is enabling", 15*time.Second, func() bool {
		return hs.m.status != nil && hs.m.status.Info.Status == cloudapi.StatusEnabling
	})
	run := hs.m.run
	hs.key("ctrl+c")
	if !hs.quitted() && hs.m.final == nil {
		t.Fatal("ctrl+c did not end the interface")
	}
	res := hs.m.Result()
	if res.Outcome != Aborted || !res.Changed || !strings.Contains(res.Resume, "--cluster prod-aws") {
		t.Fatalf("result %+v", res)
	}
	hs.m.stop(10 * time.Second)
	if !run.finished() {
		t.Fatal("Apply still running after the stop")
	}

	j := interruptedJournal(t, store, cloudemu.ProdAWSClusterID)
	if j.Steps[steps.StepRole].Status != "done" || j.Steps[steps.StepEnable].Status != "failed" {
		t.Fatalf("journal steps %+v", j.Steps)
	}

	// The resume runs the same answers non-interactively and creates
	// nothing twice.
	env, err := connect(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	in := hs.m.in
	in.ExternalID = steps.ExternalIDAuto
	p, err := steps.Prepare(context.Background(), env, in)
	if err != nil {
		t.Fatal(err)
	}
	if p.ExternalID != hs.m.plan.ExternalID {
		t.Errorf("resumed with external ID %q, first run used %q", p.ExternalID, hs.m.plan.ExternalID)
	}
	if a := p.Step(steps.StepRole).Action; a != steps.ExistsOK {
		t.Errorf("resumed plan would %s the role", a)
	}
}

func TestViewsReflowOnResize(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	hs := newHarness(t, flowOptions(connect), 120, 40)
	answerDefaults(t, hs)
	wide := hs.screen()
	hs.resize(80, 24)
	narrow := hs.screen()
	checkFits(t, "plan at 80x24", narrow, 80, 24)
	if wide == narrow {
		t.Error("the plan did not reflow")
	}
	hs.enter()
	hs.until("summary", 30*time.Second, func() bool { return hs.m.phase == phaseSummary })
	checkFits(t, "summary at 80x24", hs.screen(), 80, 24)
	hs.resize(60, 20)
	for _, l := range strings.Split(hs.screen(), "\n") {
		if w := len([]rune(l)); w > 60 {
			t.Errorf("line of %d runes at 60 columns: %q", w, l)
		}
	}
	if !strings.Contains(strings.ReplaceAll(hs.screen(), "\n", ""), "arn:aws:iam::"+sandboxAccount+":role/"+prodRole) {
		t.Errorf("the role ARN was cut instead of wrapped:\n%s", hs.screen())
	}
}

func TestAPIKeyIsAskedMaskedAndNeverShown(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{})
	opts := flowOptions(connect)
	opts.APIKeySource = ""
	opts.Start = StartSetup
	hs := newHarness(t, opts, 100, 30)
	hs.atPhase(phaseAPIKey)
	hs.typeText("wrong-key-123")
	if strings.Contains(hs.screen(), "wrong-key-123") {
		t.Fatal("the API key is echoed")
	}
	hs.enter()
	hs.atPhase(phaseConnectFailed)
	s := hs.screen()
	if !strings.Contains(s, "API key was refused") || strings.Contains(s, "wrong-key-123") {
		t.Fatalf("refused key screen:\n%s", s)
	}
	hs.enter() // enter the key again
	hs.atPhase(phaseAPIKey)
	hs.typeText(sb.APIKey)
	hs.enter()
	hs.atPhase(phaseCluster)
	if strings.Contains(hs.screen(), sb.APIKey) || hs.m.ans.apiKey != "" {
		t.Fatal("the API key is still held or shown after connecting")
	}
}

func roleExists(t *testing.T, sb *sandbox.Env, name string) bool {
	t.Helper()
	_, err := sandboxIAM(sb).GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	return err == nil
}

func sandboxIAM(sb *sandbox.Env) *iam.Client {
	return iam.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(sb.AWSURL),
		Credentials:  credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, ""),
	})
}

func TestStandardClusterSkipsTheExternalIDQuestion(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	hs := newHarness(t, flowOptions(connect), 100, 30)
	hs.atPhase(phaseMenu)
	hs.enter()
	hs.atPhase(phaseCluster)
	hs.key("down")
	hs.key("down")
	hs.enter()
	hs.atQuestion(qLogGroup)
	hs.enter()
	hs.enter()
	hs.atQuestion(qRoleMode)
	hs.enter()
	hs.atQuestion(qRoleNames)
	hs.enter()
	hs.enter()
	hs.enter()
	hs.atPhase(phasePlan)
	if hs.m.plan.ClusterID != cloudemu.StandardAWSClusterID || hs.m.plan.ExternalID != cloudemu.StandardAWSClusterID || hs.m.plan.Request.AWSExternalID != "" {
		t.Fatalf("Standard plan: cluster %s, external ID %q, request external ID %q", hs.m.plan.ClusterID, hs.m.plan.ExternalID, hs.m.plan.Request.AWSExternalID)
	}
}

func TestFromScratchMovesTheOldJournalAside(t *testing.T) {
	_, connect, store := testSandbox(t, cloudemu.Timings{})
	j, err := store.Open(cloudemu.ProdAWSClusterID, "prod-aws")
	if err != nil {
		t.Fatal(err)
	}
	j.Settings["external_id"] = "crdb-from-an-earlier-run"
	if err := j.Save(); err != nil {
		t.Fatal(err)
	}
	for _, scratch := range []bool{false, true} {
		opts := flowOptions(connect)
		opts.Input.FromScratch = scratch
		hs := newHarness(t, opts, 100, 30)
		answerDefaults(t, hs)
		resumed := hs.m.plan.ExternalID == "crdb-from-an-earlier-run"
		if resumed == scratch {
			t.Errorf("from scratch %v: external ID %q", scratch, hs.m.plan.ExternalID)
		}
	}
	aside, _ := filepath.Glob(filepath.Join(store.Dir, cloudemu.ProdAWSClusterID+".*.json"))
	if len(aside) != 1 {
		t.Errorf("journals moved aside: %v", aside)
	}
}

func TestClusterListFilters(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	hs := newHarness(t, flowOptions(connect), 80, 24)
	hs.atPhase(phaseMenu)
	hs.enter()
	hs.atPhase(phaseCluster)
	hs.key("/")
	hs.typeText("stag")
	s := hs.screen()
	if !strings.Contains(s, "staging-aws") || strings.Contains(s, "standard-aws") {
		t.Fatalf("filtered list:\n%s", s)
	}
	hs.enter()
	hs.atQuestion(qLogGroup)
	if hs.m.cluster.Name != cloudemu.StagingAWSClusterName || !strings.Contains(hs.screen(), "crdb-staging-aws") {
		t.Fatalf("chose %s:\n%s", hs.m.cluster.Name, hs.screen())
	}
}
