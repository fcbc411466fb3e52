package setup

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell/shelltest"
)

const goldenW, goldenH = shelltest.GoldenW, shelltest.GoldenH

// TestGoldenQuestionScreens walks the questions against the sandbox and
// compares each screen.
func TestGoldenQuestionScreens(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	hs := start(t, config(build), goldenW, goldenH)
	view := func() string { return hs.P.Render() }
	atConnect(hs, steps.StepCluster, false)
	shelltest.Golden(t, "cluster", view())
	hs.Enter()
	atQuestion(hs, qLogGroup)
	shelltest.Golden(t, "log-group", view())
	hs.TypeText(" x")
	shelltest.Golden(t, "log-group-invalid", view())
	hs.Clear(2)
	hs.Enter()
	// On the retention, the name's check is no longer shown.
	if hs.Has("a valid log group name") {
		t.Errorf("the log group's check shows on the retention:\n%s", hs.Screen())
	}
	shelltest.Golden(t, "retention", view())
	hs.Enter()
	atQuestion(hs, qRoleMode)
	shelltest.Golden(t, "role-mode", view())
	hs.Enter()
	atQuestion(hs, qRoleNames)
	shelltest.Golden(t, "role-names", view())
	hs.Enter()
	hs.Enter()
	hs.Enter()
	atQuestion(hs, qExternalID)
	shelltest.Golden(t, "external-id", view())
	hs.Enter()
	atStage(hs, planned)
	shelltest.Golden(t, "plan", view())
	shelltest.GoldenSizes(t, "plan", hs.Resize, view)
	hs.Key("t")
	shelltest.Golden(t, "plan-trust", view())
	hs.Key("p")
	shelltest.Golden(t, "plan-permission", view())
	hs.Key("s")
	hs.Key("pgdown")
	shelltest.Golden(t, "plan-scrolled", view())
	hs.Key("e")
	toRoleARN(hs)
	hs.TypeText("arn:aws:iam::" + account + ":policy/CockroachCloudLogExportPolicy")
	shelltest.Golden(t, "role-arn-policy-warning", view())
}

// TestGoldenProgressScreens renders the apply, failure and summary screens
// from fixed events and a fixed clock.
func TestGoldenProgressScreens(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	ctx := context.Background()
	env, err := build(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := steps.PrepareSetup(ctx, env, steps.SetupInput{Cluster: "prod-aws", ExternalID: steps.ExternalIDAuto})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := steps.Connect(ctx, env, "prod-aws")
	if err != nil {
		t.Fatal(err)
	}
	cluster := conn.Clusters[0]
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	sh := shell.New(ctx, false, func() time.Time { return now })
	sh.Width, sh.Height = goldenW, goldenH
	sh.Session = steps.Session{Env: env, Conn: conn, Cluster: cluster, Chosen: true}
	cfg := config(build)
	cfg.Connect.KeepCluster = true
	p := programOn(sh, cfg)
	p.Init()
	t.Cleanup(func() { p.Stop(time.Second) })
	send := func(msgs ...any) { shelltest.Inject(p, msgs...) }
	view := func() string { return p.Render() }
	resize := func(w, h int) { p.Update(tea.WindowSizeMsg{Width: w, Height: h}) }
	ms := time.Millisecond
	role := "arn:aws:iam::" + account + ":role/CockroachCloudLogExportRole"
	send(
		steps.ClusterChosen{Cluster: cluster, ForSetup: true},
		steps.SetupPlanned{Plan: plan},
		steps.Working{Stage: steps.StageApply, Cluster: cluster.Name},
		steps.StepStarted{Step: steps.StepOrganization}, steps.StepDone{Step: steps.StepOrganization},
		steps.StepDone{Step: steps.StepCluster}, steps.StepDone{Step: steps.StepClusterAccount},
		steps.StepStarted{Step: steps.StepLogGroup}, steps.StepStarted{Step: steps.StepRole}, steps.StepStarted{Step: steps.StepPermissions},
		steps.StepDone{Step: steps.StepRole, Took: 212 * ms},
	)
	shelltest.Golden(t, "applying-steps", view())

	send(
		steps.StepDone{Step: steps.StepLogGroup, Took: 388 * ms}, steps.StepDone{Step: steps.StepPermissions, Took: 154 * ms},
		steps.StepStarted{Step: steps.StepTrust}, steps.StepDone{Step: steps.StepTrust, Took: 3 * ms},
		steps.StepStarted{Step: steps.StepPolicy}, steps.StepDone{Step: steps.StepPolicy, Took: 97 * ms},
		steps.StepDone{Step: steps.StepRoleARN, Summary: "auth_principal = " + role},
		steps.StepStarted{Step: steps.StepEnable},
	)
	now = now.Add(6 * time.Second)
	send(
		steps.StatusSeen{Status: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusCredentialsError, UserMessage: "unable to assume role " + role + ": AccessDenied"}, ClusterState: cloudapi.StateCreated, Polls: 6, Elapsed: 6 * time.Second, Done: true}},
		steps.Propagating{Wait: 5 * time.Second, Remaining: 114 * time.Second, Reason: "the role was created or changed moments ago and IAM has not propagated it yet; the trust and policy check out locally"},
	)
	now = now.Add(2 * time.Second)
	shelltest.Golden(t, "applying-propagation", view())

	now = now.Add(4 * time.Second)
	send(
		steps.StatusSeen{Status: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnabling}, ClusterState: cloudapi.StateLocked, OperationStatus: cloudapi.OperationLogExportRunning, Polls: 1}},
		steps.StatusSeen{Status: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnabled}, ClusterState: cloudapi.StateCreated, Polls: 4, Elapsed: 4 * time.Second, Done: true, Reached: true}},
		steps.StreamsSeen{Streams: steps.RegionStreams{Region: "us-east-1", LogGroup: plan.LogGroup, Streams: 33, Newest: now.Add(-time.Second)}},
	)
	shelltest.Golden(t, "applying-streams", view())

	// A failure at step 10 with the export's message, and its choices.
	fail := &steps.StepError{Step: steps.StepEnable, Cause: errors.New("log export is ENABLE_FAILED: unable to export logs to eu-west-1: AccessDeniedException: not authorized to perform: logs:CreateLogStream"), Fix: "run `crdb-logexport doctor --cluster prod-aws` for the exact fault", Permanent: true}
	send(
		steps.StatusSeen{Status: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnableFailed, UserMessage: "unable to export logs to eu-west-1: AccessDeniedException: not authorized to perform: logs:CreateLogStream"}, ClusterState: cloudapi.StateCreated, Polls: 5, Elapsed: 5 * time.Second, Done: true}},
		steps.StepFailed{Step: steps.StepEnable, Err: fail, Took: 9500 * ms},
		steps.Failure{Stage: steps.StageApply, Err: fail},
		steps.Choice{ID: steps.ChoiceSetupFailed, Title: "What now?", Options: []steps.Option{
			{ID: steps.OptDiagnose, Label: "Diagnose: run the doctor's checks on this cluster"},
			{ID: steps.OptRetry, Label: "Retry (resumes; nothing is made twice)"},
			{ID: steps.OptRollback, Label: "Roll back what this run created"},
			{ID: steps.OptQuit, Label: "Quit and show the command that resumes"},
		}},
	)
	shelltest.Golden(t, "failed", view())
	shelltest.GoldenSizes(t, "failed", resize, view)

	p.Shell().SetForm(nil)
	send(
		steps.Working{Stage: steps.StageRollbackRead, Cluster: cluster.Name},
		steps.RollbackPreviewed{RunID: "r1", Resources: []steps.Resource{
			{Kind: steps.KindAttachment, ID: "CockroachCloudLogExportRole|arn:aws:iam::" + account + ":policy/CockroachCloudLogExportPolicy"},
			{Kind: steps.KindRole, ID: role},
			{Kind: steps.KindLogGroup, ID: "crdb-prod-aws", Region: "us-east-1"},
		}},
		steps.Confirm{ID: steps.ConfirmRollback, Title: "Remove these resources?", Yes: "Remove", No: "Keep them", Default: true},
	)
	shelltest.Golden(t, "rollback-confirm", view())

	// A success from the start: the summary with logs arriving.
	p.Shell().SetForm(nil)
	send(steps.Working{Stage: steps.StageApply, Cluster: cluster.Name})
	m := p.Task().(*Model)
	m.err = nil
	for i := range m.progress.Marks {
		m.progress.Marks[i] = kit.Mark{State: kit.MarkDone, Timed: true, Took: time.Duration(i*10) * ms}
	}
	res := &steps.SetupResult{
		ClusterID: plan.ClusterID, ClusterName: plan.ClusterName, Status: cloudapi.StatusEnabled,
		LogGroup: plan.LogGroup, Regions: plan.Regions,
		RoleARN: role, PolicyARN: "arn:aws:iam::" + account + ":policy/CockroachCloudLogExportPolicy",
		ExternalIDRequired: true, ExternalID: plan.ExternalID,
	}
	for i, r := range plan.Regions {
		res.Streams = append(res.Streams, steps.RegionStreams{Region: r, LogGroup: plan.LogGroup, Streams: 30 + i, Newest: now.Add(-time.Duration(i+1) * time.Second)})
	}
	send(steps.SetupApplied{Result: res})
	shelltest.Golden(t, "summary", view())
	// At every width the summary keeps its headline in view.
	shelltest.GoldenSizes(t, "summary", resize, func() string {
		v := view()
		if !strings.Contains(ansi.Strip(v), "Log export of prod-aws is ENABLED") {
			t.Errorf("the summary lost its headline:\n%s", ansi.Strip(v))
		}
		return v
	})
	send(shelltest.KeyMsg("1"))
	shelltest.Golden(t, "summary-copied", view())
}
