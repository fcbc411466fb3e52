package wizard

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

func statusOptions(connect func(context.Context, string) (*steps.Env, error), cluster string) Options {
	opts := flowOptions(connect)
	opts.Start = StartStatus
	opts.Input.Cluster = cluster
	opts.Fix = fastFix
	return opts
}

func (hs *harness) status() *statusFlow {
	f, _ := hs.m.flow.(*statusFlow)
	return f
}

// TestStatusFollowsEnablingToEnabled opens the status right after an
// export was configured: it follows ENABLING to ENABLED, then shows the
// logs arriving in the region and keeps refreshing them.
func TestStatusFollowsEnablingToEnabled(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{EnableAfter: 800 * time.Millisecond})
	ctx := context.Background()
	env, err := connect(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := steps.Prepare(ctx, env, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName, ExternalID: steps.ExternalIDAuto})
	if err != nil {
		t.Fatal(err)
	}
	noWait := fastApply
	noWait.NoWait = true
	if _, err := steps.Apply(ctx, env, plan, noWait, nil); err != nil {
		t.Fatal(err)
	}

	hs := newHarness(t, statusOptions(connect, cloudemu.StagingAWSClusterName), 80, 24)
	var sawEnabling, sawFollowing bool
	hs.until("ENABLED with logs arriving", 20*time.Second, func() bool {
		f := hs.status()
		if f == nil {
			return false
		}
		cur := f.current()
		if cur != nil && cur.Status == cloudapi.StatusEnabling && f.following {
			sawEnabling = true
			sawFollowing = sawFollowing || strings.Contains(hs.screen(), "following live until the status is terminal")
		}
		return cur != nil && !f.following && !f.reading && cur.Status == cloudapi.StatusEnabled &&
			len(cur.Logs) == 1 && cur.Logs[0].Arriving && cur.Logs[0].Streams > 0
	})
	if !sawEnabling || !sawFollowing {
		t.Errorf("ENABLING was never shown live (seen %v, following shown %v)", sawEnabling, sawFollowing)
	}
	f := hs.status()
	if f.ev == nil || !f.ev.Done || f.ev.Polls < 2 {
		t.Errorf("the watch's last event: %+v", f.ev)
	}
	s := hs.screen()
	for _, want := range []string{"log export status", "Log export of staging-aws", "✓ ENABLED", "polls", "Configuration", "crdb-staging-aws", "arn:aws:iam::" + sandboxAccount + ":role/" + stagingRole, "Logs in CloudWatch", "us-east-2", "streams", "r read again"} {
		if !strings.Contains(s, want) {
			t.Errorf("status screen lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "d diagnose") {
		t.Errorf("diagnose offered for a healthy export:\n%s", s)
	}
	checkFits(t, "status", s, 80, 24)

	// The logs keep refreshing once the status is terminal.
	seq := f.logsSeq
	newest := f.st.Logs[0].Newest
	hs.until("the logs to refresh", 10*time.Second, func() bool {
		return f.st.Logs[0].Newest.After(newest)
	})
	if f.logsSeq != seq {
		t.Errorf("the refresh restarted instead of continuing")
	}

	// r reads everything again and follows again (the status is terminal:
	// the watch ends at its first poll).
	hs.key("r")
	if f.gen != 2 || !f.following {
		t.Fatalf("r did not start a new read (generation %d, following %v)", f.gen, f.following)
	}
	hs.until("the new read", 10*time.Second, func() bool { return !f.following && !f.reading })
	if f.ev == nil || f.ev.Polls != 1 || f.current().Status != cloudapi.StatusEnabled {
		t.Fatalf("after r: %+v", f.ev)
	}

	hs.key("q")
	res := hs.m.Result()
	if res.Outcome != Completed || res.Task != statusTitle || res.Status == nil || res.Status.Status != cloudapi.StatusEnabled || res.Changed {
		t.Fatalf("result %+v", res)
	}
	if res.Resume != "crdb-logexport status --cluster staging-aws --watch" {
		t.Errorf("resume %q", res.Resume)
	}
}

// TestStatusFailureOpensTheDoctor: a failed export shows its user_message
// and the diagnose hint; "d" opens the doctor's report on it.
func TestStatusFailureOpensTheDoctor(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	exportWithWrongTrust(t, connect)
	hs := newHarness(t, statusOptions(connect, cloudemu.StagingAWSClusterName), 80, 24)
	hs.until("the failure", 15*time.Second, func() bool {
		f := hs.status()
		return f != nil && f.st != nil && !f.following && !f.reading && f.current().Status.Failed()
	})
	s := hs.screen()
	for _, want := range []string{"✗ CREDENTIALS_ERROR", "user_message", "unable to assume role", "The export failed.", "Press d for the doctor's checks", "d diagnose"} {
		if !strings.Contains(s, want) {
			t.Errorf("failure screen lacks %q:\n%s", want, s)
		}
	}
	checkFits(t, "status failure", s, 80, 24)

	hs.key("d")
	f := hs.atDoctor(docReport)
	if f.report.Finding(steps.CheckTrustPrincipal).Severity != steps.SeverityError {
		t.Fatalf("report: %+v", f.report.Finding(steps.CheckTrustPrincipal))
	}
	if !hs.screenHas("diagnose log export") || !hs.screenHas("✗ trust-principal") || !hs.screenHas(wrongTrust) {
		t.Errorf("doctor screen:\n%s", hs.screen())
	}

	// Leaving a failed export from the status screen is a failure, as
	// `status --watch` exits 1.
	hs2 := newHarness(t, statusOptions(connect, cloudemu.StagingAWSClusterName), 80, 24)
	hs2.until("the failure", 15*time.Second, func() bool {
		f := hs2.status()
		return f != nil && f.st != nil && !f.reading && f.current().Status.Failed()
	})
	hs2.key("q")
	res := hs2.m.Result()
	if res.Outcome != Failed || res.Status == nil || res.Status.Status != cloudapi.StatusCredentialsError || res.Err == nil || !strings.Contains(res.Err.Error(), "unable to assume role") {
		t.Fatalf("result %+v", res)
	}
}

// TestStatusWithoutExport: a cluster never set up shows DISABLED and how
// to set it up; one export does not apply to says so, from the menu.
func TestStatusWithoutExport(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	hs := newHarness(t, statusOptions(connect, cloudemu.ProdAWSClusterName), 80, 24)
	hs.until("the status", 15*time.Second, func() bool {
		f := hs.status()
		return f != nil && f.st != nil && !f.following && !f.reading
	})
	s := hs.screen()
	for _, want := range []string{"DISABLED", "never configured", "crdb-logexport setup --cluster prod-aws"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	hs.key("d") // nothing to diagnose
	if hs.status() == nil {
		t.Fatal("d left the status screen of an export that is off")
	}
	hs.key("q")
	if res := hs.m.Result(); res.Outcome != Completed || res.Status == nil || res.Status.Configured {
		t.Fatalf("result %+v", res)
	}

	hs = newHarness(t, flowOptions(connect), 80, 24)
	hs.atPhase(phaseMenu)
	hs.key("down")
	hs.enter() // Check status
	hs.atPhase(phaseCluster)
	hs.key("up")
	hs.key("up")
	hs.enter() // analytics-gcp
	hs.until("the status screen", 15*time.Second, func() bool { return hs.status() != nil })
	if s := hs.screen(); !strings.Contains(s, "analytics-gcp runs on GCP") || !strings.Contains(s, "esc menu") {
		t.Fatalf("screen:\n%s", s)
	}
	hs.key("esc")
	hs.atPhase(phaseMenu)
	hs.key("ctrl+c")
	hs = newHarness(t, statusOptions(connect, cloudemu.BasicDevClusterName), 80, 24)
	hs.until("the status screen", 15*time.Second, func() bool { return hs.status() != nil })
	hs.key("q")
	if res := hs.m.Result(); res.Outcome != Failed || !errors.Is(res.Err, steps.ErrNotApplicable) {
		t.Fatalf("result %+v", res)
	}
}

func TestAccessibleStatusFailureOffersTheDoctor(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	exportWithWrongTrust(t, connect)
	var out bytes.Buffer
	opts := statusOptions(connect, cloudemu.StagingAWSClusterName)
	opts.In = iotest.OneByteReader(strings.NewReader("1\n3\n")) // diagnose, then quit
	opts.Out = &out
	opts.Environ = []string{}
	res, err := RunAccessible(context.Background(), opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"Log export status: CREDENTIALS_ERROR.", "Message: unable to assume role", "Log group: crdb-staging-aws.", "The export failed. Run the doctor's checks?", "Error, check trust-principal:"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if res.Outcome != Failed || res.Task != doctorTitle || res.Doctor == nil || res.Doctor.OK || res.Err != nil {
		t.Fatalf("result %+v\n%s", res, text)
	}
}

func TestAccessibleStatusFollowsToEnabled(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{EnableAfter: 500 * time.Millisecond})
	ctx := context.Background()
	env, err := connect(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := steps.Prepare(ctx, env, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName, ExternalID: steps.ExternalIDNone})
	if err != nil {
		t.Fatal(err)
	}
	noWait := fastApply
	noWait.NoWait = true
	if _, err := steps.Apply(ctx, env, plan, noWait, nil); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	opts := statusOptions(connect, cloudemu.StagingAWSClusterName)
	opts.In = iotest.OneByteReader(strings.NewReader(""))
	opts.Out = &out
	opts.Environ = []string{}
	res, err := RunAccessible(ctx, opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"Log export status: ENABLING.", "Following the status until it is terminal", "Export status ENABLED", "Log export status: ENABLED."} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if res.Outcome != Completed || res.Task != statusTitle || res.Status == nil || res.Status.Status != cloudapi.StatusEnabled {
		t.Fatalf("result %+v\n%s", res, text)
	}
}

// TestGoldenStatusScreens renders the status of an enabled export with
// logs arriving and of a failed one, from fixed values and a fixed clock.
func TestGoldenStatusScreens(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	m := New(context.Background(), Options{Width: goldenW, Height: goldenH, Start: StartMenu, Now: func() time.Time { return now }})
	t.Cleanup(func() { m.stop(time.Second) })
	m.connected = true
	m.org = cloudapi.Organization{Name: cloudemu.OrgName}
	m.caller = awsiam.Identity{Account: sandboxAccount, ARN: "arn:aws:iam::" + sandboxAccount + ":user/sandbox-admin"}
	m.cluster, m.hasCluster = cloudapi.Cluster{ID: cloudemu.ProdAWSClusterID, Name: cloudemu.ProdAWSClusterName, Plan: cloudapi.PlanAdvanced, CloudProvider: cloudapi.ProviderAWS}, true
	regions := cloudemu.ProdAWSRegions()
	role := "arn:aws:iam::" + sandboxAccount + ":role/" + prodRole
	st := &steps.ClusterExport{
		ClusterID: cloudemu.ProdAWSClusterID, ClusterName: cloudemu.ProdAWSClusterName, Plan: cloudapi.PlanAdvanced, CloudProvider: cloudapi.ProviderAWS,
		ClusterState: cloudapi.StateCreated, Status: cloudapi.StatusEnabled, Configured: true,
		Spec:      &cloudapi.LogExportSpec{Type: cloudapi.TypeAWSCloudWatch, LogName: "crdb-prod-aws", AuthPrincipal: role, AWSExternalID: "crdb-" + strings.Repeat("0", 32)},
		CreatedAt: now.Add(-10 * time.Minute), UpdatedAt: now.Add(-time.Minute),
		Regions: regions,
	}
	for i, r := range regions {
		st.Logs = append(st.Logs, steps.RegionLogs{Region: r, LogGroup: "crdb-prod-aws", Streams: 33, Newest: now.Add(-time.Duration(i+1) * time.Second), Arriving: true})
	}
	f := &statusFlow{st: st, ev: &cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnabled}, ClusterState: cloudapi.StateCreated, Polls: 7, Elapsed: 9 * time.Second, Done: true, Reached: true}}
	m.flow, m.phase = f, phaseFlow
	golden(t, "status-enabled", m.View().Content)

	failed := *st
	failed.Status = cloudapi.StatusCredentialsError
	failed.UserMessage = "unable to assume role " + role + ": AccessDenied: not authorized to perform: sts:AssumeRole"
	failed.Logs = []steps.RegionLogs{
		{Region: regions[0], LogGroup: "crdb-prod-aws", Streams: 33, Newest: now.Add(-20 * time.Minute)},
		{Region: regions[1], LogGroup: "crdb-prod-aws", Streams: 33, Newest: now.Add(-20 * time.Minute)},
		{Region: regions[2], LogGroup: "crdb-prod-aws", Error: "log group crdb-prod-aws does not exist in " + regions[2]},
	}
	m.flow = &statusFlow{st: &failed, ev: &cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: failed.Status, UserMessage: failed.UserMessage}, ClusterState: cloudapi.StateCreated, Polls: 3, Elapsed: 2 * time.Second, Done: true}}
	golden(t, "status-failed", m.View().Content)
}
