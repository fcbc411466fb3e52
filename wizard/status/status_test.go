package status

import (
	"context"
	"errors"
	"github.com/charmbracelet/x/ansi"
	"strings"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell/shelltest"
)

// program opens the status of cluster (chosen from the list when "") on
// a shell; the tasks it leads to are stubs.
func program(build shelltest.Build, cluster string, accessible bool) *shell.Program {
	return shelltest.Program(shell.TaskStatus, accessible, func(sh *shell.Shell) shell.Task {
		return New(sh, Config{
			Connect:   steps.ConnectTask{Build: build, ClusterRef: cluster},
			Watch:     shelltest.Watch,
			LogsEvery: 100 * time.Millisecond,
		})
	})
}

func task(hs *shelltest.Harness) *Model {
	m, _ := hs.P.Task().(*Model)
	return m
}

// TestStatusFollowsEnablingToEnabled opens the status right after an
// export was configured: it follows ENABLING to ENABLED, then shows the
// logs arriving in the region and keeps refreshing them.
func TestStatusFollowsEnablingToEnabled(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{EnableAfter: 800 * time.Millisecond})
	shelltest.Enabling(t, build, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName, ExternalID: steps.ExternalIDAuto})

	hs := shelltest.New(t, program(build, cloudemu.StagingAWSClusterName, false), 80, 24)
	var sawEnabling, sawFollowing bool
	hs.Until("ENABLED with logs arriving", 20*time.Second, func() bool {
		m := task(hs)
		cur := m.current()
		if cur != nil && cur.Status == cloudapi.StatusEnabling && m.following {
			sawEnabling = true
			sawFollowing = sawFollowing || strings.Contains(hs.Screen(), "following live while the status changes")
		}
		return cur != nil && m.following && m.live && !m.reading && m.st.Status == cloudapi.StatusEnabled &&
			len(cur.Logs) == 1 && cur.Logs[0].Arriving && cur.Logs[0].Streams > 0 && hs.P.Shell().Offers(steps.OptReadAgain)
	})
	if !sawEnabling || !sawFollowing {
		t.Errorf("ENABLING was never shown live (seen %v, following shown %v)", sawEnabling, sawFollowing)
	}
	m := task(hs)
	if m.ev == nil || m.ev.Done || m.ev.Polls < 2 || m.ev.Changes < 1 {
		t.Errorf("the watch's last event: %+v", m.ev)
	}
	s := hs.Screen()
	for _, want := range []string{"log export status", "Log export of staging-aws", "✓ ENABLED", "polls", "ENABLED since", "1 change seen", "following live: a change made anywhere shows here", "Configuration", "crdb-staging-aws", "arn:aws:iam::" + shelltest.Account + ":role/" + shelltest.StagingRole, "Logs in CloudWatch", "us-east-2", "streams", "r read again", "d diagnose"} {
		if !strings.Contains(s, want) {
			t.Errorf("status screen lacks %q:\n%s", want, s)
		}
	}
	shelltest.CheckFits(t, "status", s, 80, 24)

	// The logs keep refreshing once the status is terminal.
	seq := m.logsSeq
	newest := m.st.Logs[0].Newest
	hs.Until("the logs to refresh", 10*time.Second, func() bool { return m.st.Logs[0].Newest.After(newest) })
	if m.logsSeq != seq {
		t.Errorf("the refresh restarted instead of continuing")
	}

	// r reads everything again and follows on, and the choice comes back.
	hs.Key("r")
	if hs.P.Shell().Pending() != nil {
		t.Fatal("r did not answer the decision")
	}
	hs.Until("the new read", 10*time.Second, func() bool { return hs.P.Shell().Offers(steps.OptReadAgain) })
	if m.current().Status != cloudapi.StatusEnabled || m.logsSeq == seq {
		t.Fatalf("after r: status %s, logs loop %d", m.current().Status, m.logsSeq)
	}

	hs.Key("q")
	hs.Until("the end", 10*time.Second, hs.P.Ended)
	res := hs.P.Result()
	if res.Outcome != shell.Completed || res.Task != Title || res.Status == nil || res.Status.Status != cloudapi.StatusEnabled || res.Changed {
		t.Fatalf("result %+v", res)
	}
	if res.Resume != "crdb-logexport status --cluster staging-aws --watch" || !res.Rerun {
		t.Errorf("resume %q (rerun %v: a watch is run again, not resumed)", res.Resume, res.Rerun)
	}
}

// TestStatusFailureOpensTheDoctor: a failed export shows its user_message
// and the diagnose hint; "d" opens the doctor on it.
func TestStatusFailureOpensTheDoctor(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	shelltest.ExportWithWrongTrust(t, build)
	hs := shelltest.New(t, program(build, cloudemu.StagingAWSClusterName, false), 80, 24)
	hs.Until("the failure", 15*time.Second, func() bool { return hs.P.Shell().Offers(steps.OptDiagnose) })
	s := hs.Screen()
	for _, want := range []string{"✗ CREDENTIALS_ERROR", "user_message", "unable to assume role", "The export failed.", "Press d for the doctor's checks", "d diagnose"} {
		if !strings.Contains(s, want) {
			t.Errorf("failure screen lacks %q:\n%s", want, s)
		}
	}
	shelltest.CheckFits(t, "status failure", s, 80, 24)

	hs.Key("d")
	hs.Until("the doctor", 10*time.Second, func() bool { return hs.P.Task().Title() == shell.TaskDoctor })

	// Leaving a failed export from the status screen is a failure, as
	// `status --watch` exits 1.
	hs2 := shelltest.New(t, program(build, cloudemu.StagingAWSClusterName, false), 80, 24)
	hs2.Until("the failure", 15*time.Second, func() bool { return hs2.P.Shell().Offers(steps.OptDiagnose) })
	hs2.Key("q")
	hs2.Until("the end", 10*time.Second, hs2.P.Ended)
	res := hs2.P.Result()
	if res.Outcome != shell.Failed || res.Status == nil || res.Status.Status != cloudapi.StatusCredentialsError || res.Err == nil || !strings.Contains(res.Err.Error(), "unable to assume role") {
		t.Fatalf("result %+v", res)
	}
}

// TestStatusWithoutExport: a cluster never set up shows DISABLED and how
// to set it up; one export does not apply to says so.
func TestStatusWithoutExport(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	hs := shelltest.New(t, program(build, cloudemu.ProdAWSClusterName, false), 80, 24)
	hs.Until("the status", 15*time.Second, func() bool { return hs.P.Shell().Offers(steps.OptReadAgain) })
	s := hs.Screen()
	for _, want := range []string{"DISABLED", "never configured", "crdb-logexport setup --cluster prod-aws"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	hs.Key("d") // nothing to diagnose
	if _, ok := hs.P.Task().(*Model); !ok || hs.P.Ended() {
		t.Fatal("d left the status screen of an export that is off")
	}
	hs.Key("q")
	hs.Until("the end", 10*time.Second, hs.P.Ended)
	if res := hs.P.Result(); res.Outcome != shell.Completed || res.Status == nil || res.Status.Configured {
		t.Fatalf("result %+v", res)
	}

	// From the menu, chosen from the list: export does not apply to
	// analytics-gcp, and esc goes back to the menu.
	p := program(build, "", false)
	p.Shell().FromMenu = true
	hs = shelltest.New(t, p, 80, 24)
	hs.Until("the cluster list", 15*time.Second, func() bool { return hs.P.Shell().Form() != nil })
	hs.Key("up")
	hs.Key("up")
	hs.Enter()
	hs.Until("the explanation", 15*time.Second, func() bool { return task(hs).notApplicable != nil && hs.P.Shell().Offers(steps.OptMenu) })
	if s := hs.Screen(); !strings.Contains(s, "analytics-gcp runs on GCP") || !strings.Contains(s, "esc menu") {
		t.Fatalf("screen:\n%s", s)
	}
	hs.Key("esc")
	hs.Until("the menu", 10*time.Second, func() bool { return hs.P.Task().Title() == shell.TaskMenu })

	hs = shelltest.New(t, program(build, cloudemu.BasicDevClusterName, false), 80, 24)
	hs.Until("the explanation", 15*time.Second, func() bool { return task(hs).notApplicable != nil && hs.P.Shell().Offers(steps.OptQuit) })
	if s := hs.Screen(); !strings.Contains(s, "Basic clusters cannot export logs") {
		t.Fatalf("screen:\n%s", s)
	}
	hs.Key("q")
	hs.Until("the end", 10*time.Second, hs.P.Ended)
	if res := hs.P.Result(); res.Outcome != shell.Failed || !errors.Is(res.Err, steps.ErrNotApplicable) {
		t.Fatalf("result %+v", res)
	}
}

func TestAccessibleStatusFollowsToEnabled(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{EnableAfter: 500 * time.Millisecond})
	shelltest.Enabling(t, build, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName, ExternalID: steps.ExternalIDNone})
	res, text := shelltest.Accessible(t, program(build, cloudemu.StagingAWSClusterName, true), "4") // quit
	for _, want := range []string{"status         ENABLING", "Following the log export of staging-aws", "status ENABLED (cluster CREATED)", "status         ENABLED", "1. Keep following", "2. Diagnose", "3. Read it again", "4. Quit"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if res.Outcome != shell.Completed || res.Task != Title || res.Status == nil || res.Status.Status != cloudapi.StatusEnabled {
		t.Fatalf("result %+v\n%s", res, text)
	}
}

// TestGoldenStatusScreens renders the status of an enabled export with
// logs arriving and of a failed one, from fixed events and a fixed clock.
func TestGoldenStatusScreens(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	regions := cloudemu.ProdAWSRegions()
	role := "arn:aws:iam::" + shelltest.Account + ":role/" + shelltest.ProdRole
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
	screen := func(st *steps.ClusterExport, ev cloudapi.StatusEvent, opts ...steps.Option) string {
		sh, _, p := statusOn(st, now, shelltest.GoldenW, shelltest.GoldenH)
		sh.FromMenu = true
		shelltest.Inject(p, steps.ClusterChosen{Cluster: sh.Session.Cluster}, steps.ExportRead{Export: st}, steps.Working{Stage: steps.StageStatusWatch}, steps.StatusSeen{Status: ev}, steps.ExportRead{Export: st, Final: true},
			steps.Choice{ID: steps.ChoiceStatusNext, Options: append(opts, steps.Option{ID: steps.OptReadAgain}, steps.Option{ID: steps.OptMenu}, steps.Option{ID: steps.OptQuit})})
		return p.Render()
	}
	shelltest.Golden(t, "status-enabled", screen(st, cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnabled}, ClusterState: cloudapi.StateCreated, Polls: 7, Elapsed: 9 * time.Second, Done: true, Reached: true}))

	failed := *st
	failed.Status = cloudapi.StatusCredentialsError
	failed.UserMessage = "unable to assume role " + role + ": AccessDenied: not authorized to perform: sts:AssumeRole"
	failed.Logs = []steps.RegionLogs{
		{Region: regions[0], LogGroup: "crdb-prod-aws", Streams: 33, Newest: now.Add(-20 * time.Minute)},
		{Region: regions[1], LogGroup: "crdb-prod-aws", Streams: 33, Newest: now.Add(-20 * time.Minute)},
		{Region: regions[2], LogGroup: "crdb-prod-aws", Error: "log group crdb-prod-aws does not exist in " + regions[2]},
	}
	shelltest.Golden(t, "status-failed", screen(&failed, cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: failed.Status, UserMessage: failed.UserMessage}, ClusterState: cloudapi.StateCreated, Polls: 3, Elapsed: 2 * time.Second, Done: true}, steps.Option{ID: steps.OptDiagnose}))
}

// TestStatusNarrowAndShort: at 60 columns on a terminal too short even
// for the lean view, the status keeps every row (the screen scrolls; the
// lean view's dropped rows could never be scrolled to), no line is wider
// than the screen, and timestamps and ARNs are never cut at a hyphen.
func TestStatusNarrowAndShort(t *testing.T) {
	now := time.Date(2026, 12, 4, 14, 18, 44, 0, time.UTC)
	role := "arn:aws:iam::" + shelltest.Account + ":role/" + shelltest.ProdRole
	st := &steps.ClusterExport{
		ClusterID: cloudemu.ProdAWSClusterID, ClusterName: cloudemu.ProdAWSClusterName, Plan: cloudapi.PlanAdvanced, CloudProvider: cloudapi.ProviderAWS,
		ClusterState: cloudapi.StateCreated, Status: cloudapi.StatusEnabled, Configured: true,
		Spec:      &cloudapi.LogExportSpec{Type: cloudapi.TypeAWSCloudWatch, LogName: "crdb-prod-aws", AuthPrincipal: role, AWSExternalID: "crdb-" + strings.Repeat("0", 32)},
		CreatedAt: now, UpdatedAt: now.Add(3 * time.Minute), Regions: cloudemu.ProdAWSRegions(),
	}
	sh, m, p := statusOn(st, now.Add(5*time.Minute), 60, 20)
	shelltest.Inject(p, steps.ClusterChosen{Cluster: sh.Session.Cluster}, steps.ExportRead{Export: st}, steps.Working{Stage: steps.StageStatusWatch})
	view := ansi.Strip(m.View(60, 8))
	for i, line := range strings.Split(view, "\n") {
		if n := ansi.StringWidth(line); n > 60 {
			t.Errorf("line %d is %d columns: %q", i+1, n, line)
		}
	}
	flat := strings.Join(strings.Fields(view), " ")
	for _, want := range []string{"external ID", "regions", "redaction", "2026-12-04T14:18:44Z", "2026-12-04T14:21:44Z", "following live"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the view lacks %q:\n%s", want, view)
		}
	}
	if !strings.Contains(strings.Join(strings.Fields(view), ""), role) {
		t.Errorf("the role ARN is not whole:\n%s", view)
	}
}

// TestClusterPickerKeys: the cluster question can be left before anything
// is done: esc goes back to the menu it was opened from, q quits.
func TestClusterPickerKeys(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	open := func(fromMenu bool) *shelltest.Harness {
		sh := shell.New(context.Background(), false, nil)
		sh.FromMenu = fromMenu
		p := shelltest.ProgramOn(sh, shell.TaskStatus, func(sh *shell.Shell) shell.Task {
			return New(sh, Config{Connect: steps.ConnectTask{Build: build}, Watch: shelltest.Watch})
		})
		hs := shelltest.New(t, p, 80, 24)
		hs.Until("the cluster question", 10*time.Second, func() bool {
			return strings.Contains(hs.Screen(), "prod-aws") && strings.Contains(hs.Screen(), "q quit")
		})
		return hs
	}
	hs := open(true)
	if !strings.Contains(hs.Screen(), "esc menu") {
		t.Errorf("the keys do not say esc goes back to the menu:\n%s", hs.Screen())
	}
	hs.Key("esc")
	hs.Until("the menu", 10*time.Second, func() bool { return strings.Contains(hs.Screen(), "["+shell.TaskMenu+"]") })

	hs = open(false)
	hs.Key("q")
	hs.Until("the end", 10*time.Second, hs.P.Ended)
	if res := hs.P.Result(); res.Outcome != shell.Aborted || res.Changed {
		t.Errorf("q at the cluster question ended %+v", res)
	}
}

// statusOn is the status task of st's cluster on a w×h shell whose clock
// says now, connected, the cluster chosen, its program started.
func statusOn(st *steps.ClusterExport, now time.Time, w, h int) (*shell.Shell, *Model, *shell.Program) {
	sh := shell.New(context.Background(), false, func() time.Time { return now })
	sh.Width, sh.Height = w, h
	sh.Session = steps.Session{
		Conn:    &steps.Connection{Org: cloudapi.Organization{Name: cloudemu.OrgName}, Caller: awsiam.Identity{Account: shelltest.Account, ARN: "arn:aws:iam::" + shelltest.Account + ":user/sandbox-admin"}},
		Cluster: cloudapi.Cluster{ID: st.ClusterID, Name: st.ClusterName, Plan: st.Plan, CloudProvider: st.CloudProvider}, Chosen: true,
	}
	m := New(sh, Config{})
	p := shell.NewProgram(sh, func(*shell.Shell, string, bool) shell.Task { return m }, shell.TaskStatus)
	p.Init()
	return sh, m, p
}
