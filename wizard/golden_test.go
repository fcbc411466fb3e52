package wizard

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// Golden screens are rendered at the narrowest size the interface
// supports, through a forced 16-colour profile.
const goldenW, goldenH = 80, 24

// externalIDs are generated per run; goldens show a fixed stand-in of the
// same length, so wrapping is unchanged.
var externalIDs = regexp.MustCompile(`crdb-[0-9a-f]{32}`)

func golden(t *testing.T, name, content string) {
	t.Helper()
	checkFits(t, name, ansi.Strip(content), goldenW, goldenH)
	got := externalIDs.ReplaceAllString(rendered(content, colorprofile.ANSI), "crdb-"+strings.Repeat("x", 32)) + "\n"
	path := filepath.Join("testdata", name+".golden")
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("screen %s differs from %s (go test -update rewrites it)\n--- got:\n%s\n--- want:\n%s", name, path, ansi.Strip(got), ansi.Strip(string(want)))
	}
}

// TestGoldenQuestionScreens walks the questions against the sandbox and
// compares each screen.
func TestGoldenQuestionScreens(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	hs := newHarness(t, flowOptions(connect), goldenW, goldenH)
	hs.atPhase(phaseMenu)
	golden(t, "menu", hs.m.View().Content)
	hs.enter()
	hs.atPhase(phaseCluster)
	golden(t, "cluster", hs.m.View().Content)
	hs.enter()
	hs.atQuestion(qLogGroup)
	golden(t, "log-group", hs.m.View().Content)
	hs.typeText(" x")
	golden(t, "log-group-invalid", hs.m.View().Content)
	hs.clear(2)
	hs.enter()
	hs.enter()
	hs.atQuestion(qRoleMode)
	golden(t, "role-mode", hs.m.View().Content)
	hs.enter()
	hs.atQuestion(qRoleNames)
	golden(t, "role-names", hs.m.View().Content)
	hs.enter()
	hs.enter()
	hs.enter()
	hs.atQuestion(qExternalID)
	golden(t, "external-id", hs.m.View().Content)
	hs.enter()
	hs.atPhase(phasePlan)
	golden(t, "plan", hs.m.View().Content)
	hs.key("t")
	golden(t, "plan-trust", hs.m.View().Content)
	hs.key("p")
	golden(t, "plan-permission", hs.m.View().Content)
	hs.key("s")
	hs.key("pgdown")
	golden(t, "plan-scrolled", hs.m.View().Content)
	hs.key("e")
	hs.atQuestion(qLogGroup)
	hs.enter()
	hs.enter()
	hs.atQuestion(qRoleMode)
	hs.key("down")
	hs.enter()
	hs.atQuestion(qRoleARN)
	hs.typeText("arn:aws:iam::" + sandboxAccount + ":policy/CockroachCloudLogExportPolicy")
	golden(t, "role-arn-policy-warning", hs.m.View().Content)
}

// TestGoldenProgressScreens renders the apply, failure and summary screens
// from fixed events and a fixed clock.
func TestGoldenProgressScreens(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	env, err := connect(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := steps.Prepare(context.Background(), env, steps.SetupInput{Cluster: "prod-aws", ExternalID: steps.ExternalIDAuto})
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := env.Cloud.FindCluster(context.Background(), "prod-aws")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	m := New(context.Background(), Options{Width: goldenW, Height: goldenH, Now: func() time.Time { return now }})
	t.Cleanup(func() { m.stop(time.Second) })
	m.connected = true
	m.org = cloudapi.Organization{Name: cloudemu.OrgName}
	m.caller = awsiam.Identity{Account: sandboxAccount, ARN: "arn:aws:iam::" + sandboxAccount + ":user/sandbox-admin"}
	m.cluster, m.hasCluster = cluster, true
	m.ans.forCluster(m.cluster)
	m.in = m.ans.input(steps.SetupInput{ExternalID: steps.ExternalIDAuto}, m.cluster)
	m.plan = plan
	m.phase = phaseApplying
	m.run = newApplyRun(1, func() {})
	close(m.run.done)
	m.streams = map[string]steps.RegionStreams{}
	send := func(msgs ...any) {
		for _, msg := range msgs {
			m.Update(msg)
		}
	}
	ms := time.Millisecond
	send(
		stepStartedMsg{run: 1, id: steps.StepOrganization}, stepDoneMsg{run: 1, id: steps.StepOrganization, took: 0},
		stepDoneMsg{run: 1, id: steps.StepCluster}, stepDoneMsg{run: 1, id: steps.StepClusterAccount},
		stepStartedMsg{run: 1, id: steps.StepLogGroup}, stepStartedMsg{run: 1, id: steps.StepRole}, stepStartedMsg{run: 1, id: steps.StepPermissions},
		stepDoneMsg{run: 1, id: steps.StepRole, took: 212 * ms},
	)
	golden(t, "applying-steps", m.View().Content)

	send(
		stepDoneMsg{run: 1, id: steps.StepLogGroup, took: 388 * ms}, stepDoneMsg{run: 1, id: steps.StepPermissions, took: 154 * ms},
		stepStartedMsg{run: 1, id: steps.StepTrust}, stepDoneMsg{run: 1, id: steps.StepTrust, took: 3 * ms},
		stepStartedMsg{run: 1, id: steps.StepPolicy}, stepDoneMsg{run: 1, id: steps.StepPolicy, took: 97 * ms},
		stepDoneMsg{run: 1, id: steps.StepRoleARN, summary: "auth_principal = arn:aws:iam::" + sandboxAccount + ":role/CockroachCloudLogExportRole"},
		stepStartedMsg{run: 1, id: steps.StepEnable},
	)
	now = now.Add(6 * time.Second)
	send(
		statusMsg{run: 1, ev: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusCredentialsError, UserMessage: "unable to assume role arn:aws:iam::" + sandboxAccount + ":role/CockroachCloudLogExportRole: AccessDenied"}, ClusterState: cloudapi.StateCreated, Polls: 6, Elapsed: 6 * time.Second, Done: true}},
		propagationMsg{run: 1, wait: 5 * time.Second, remaining: 114 * time.Second, reason: "the role was created or changed moments ago and IAM has not propagated it yet; the trust and policy check out locally"},
	)
	now = now.Add(2 * time.Second)
	golden(t, "applying-propagation", m.View().Content)

	now = now.Add(4 * time.Second)
	send(
		statusMsg{run: 1, ev: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnabling}, ClusterState: cloudapi.StateLocked, OperationStatus: cloudapi.OperationLogExportRunning, Polls: 1}},
		statusMsg{run: 1, ev: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnabled}, ClusterState: cloudapi.StateCreated, Polls: 4, Elapsed: 4 * time.Second, Done: true, Reached: true}},
		regionStreamsMsg{run: 1, rs: steps.RegionStreams{Region: "us-east-1", LogGroup: plan.LogGroup, Streams: 33, Newest: now.Add(-time.Second)}},
	)
	golden(t, "applying-streams", m.View().Content)

	// A failure at step 10 with the export's message, and its choices.
	fail := &steps.StepError{Step: steps.StepEnable, Cause: errString("log export is ENABLE_FAILED: unable to export logs to eu-west-1: AccessDeniedException: not authorized to perform: logs:CreateLogStream"), Fix: "run `crdb-logexport doctor --cluster prod-aws` for the exact fault", Permanent: true}
	send(
		statusMsg{run: 1, ev: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnableFailed, UserMessage: "unable to export logs to eu-west-1: AccessDeniedException: not authorized to perform: logs:CreateLogStream"}, ClusterState: cloudapi.StateCreated, Polls: 5, Elapsed: 5 * time.Second, Done: true}},
		stepFailedMsg{run: 1, id: steps.StepEnable, err: fail, took: 9500 * ms},
		applyDoneMsg{run: 1, err: fail},
	)
	golden(t, "failed", m.View().Content)

	m.phase = phaseRollbackPreview
	m.form = nil
	send(rollbackPreviewMsg{runID: "r1", resources: []steps.Resource{
		{Kind: steps.KindAttachment, ID: "CockroachCloudLogExportRole|arn:aws:iam::" + sandboxAccount + ":policy/CockroachCloudLogExportPolicy"},
		{Kind: steps.KindRole, ID: "arn:aws:iam::" + sandboxAccount + ":role/CockroachCloudLogExportRole"},
		{Kind: steps.KindLogGroup, ID: "crdb-prod-aws", Region: "us-east-1"},
	}})
	golden(t, "rollback-confirm", m.View().Content)

	// A success from the start: the summary with logs arriving.
	m.phase = phaseApplying
	m.rollbackRes = nil
	m.err = nil
	res := &steps.SetupResult{
		ClusterID: plan.ClusterID, ClusterName: plan.ClusterName, Status: cloudapi.StatusEnabled,
		LogGroup: plan.LogGroup, Regions: plan.Regions,
		RoleARN: "arn:aws:iam::" + sandboxAccount + ":role/CockroachCloudLogExportRole", PolicyARN: "arn:aws:iam::" + sandboxAccount + ":policy/CockroachCloudLogExportPolicy",
		ExternalIDRequired: true, ExternalID: plan.ExternalID,
	}
	for i, r := range plan.Regions {
		res.Streams = append(res.Streams, steps.RegionStreams{Region: r, LogGroup: plan.LogGroup, Streams: 30 + i, Newest: now.Add(-time.Duration(i+1) * time.Second)})
	}
	for i := range m.marks {
		m.marks[i] = mark{state: markDone, timed: true, took: time.Duration(i*10) * ms}
	}
	send(applyDoneMsg{run: 1, res: res})
	golden(t, "summary", m.View().Content)
	send(keyMsg("1"))
	golden(t, "summary-copied", m.View().Content)
}

type errString string

func (e errString) Error() string { return string(e) }
