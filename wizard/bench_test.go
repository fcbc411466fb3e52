package wizard

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell/shelltest"
)

// BenchmarkView measures one frame: View() of the busiest screens, at the
// narrowest supported terminal and at a large one (the content is capped
// at 100 columns, so 120×50 is as wide as it gets and shows the most
// lines). `make bench` runs it and reports the slowest screen.
//
//	go test -run '^$' -bench '^BenchmarkView$' -benchmem ./wizard
func BenchmarkView(b *testing.B) {
	plan, conn, env := benchPlan(b)
	screens := []struct {
		name  string
		build func(w, h int) *shell.Program
	}{
		{"menu", benchMenu},
		{"plan", func(w, h int) *shell.Program { return benchPlanScreen(b, plan, conn, env, w, h, "") }},
		{"plan-permission", func(w, h int) *shell.Program { return benchPlanScreen(b, plan, conn, env, w, h, "p") }},
		{"applying", func(w, h int) *shell.Program { return benchApplying(b, plan, conn, env, w, h) }},
		{"summary", func(w, h int) *shell.Program { return benchSummary(b, plan, conn, env, w, h) }},
	}
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 50}} {
		for _, sc := range screens {
			b.Run(fmt.Sprintf("%s/%dx%d", sc.name, size.w, size.h), func(b *testing.B) {
				p := sc.build(size.w, size.h)
				b.Cleanup(func() { p.Stop(time.Second) })
				if p.View().Content == "" {
					b.Fatalf("%s draws nothing", sc.name)
				}
				b.ReportAllocs()
				for b.Loop() {
					_ = p.View()
				}
			})
		}
	}
}

// benchPlan is the plan for prod-aws (three regions) from a sandbox, with
// what connecting found; the sandbox is gone before any frame is timed.
func benchPlan(b *testing.B) (*steps.SetupPlan, *steps.Connection, *steps.Env) {
	b.Helper()
	sb, err := sandbox.Start(sandbox.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_ = sb.Close(ctx)
	}()
	cloud, err := cloudapi.New(cloudapi.Options{BaseURL: sb.CloudURL, APIKey: sb.APIKey})
	if err != nil {
		b.Fatal(err)
	}
	env := &steps.Env{
		Cloud: cloud,
		AWS: awsiam.NewClients(aws.Config{
			Region:       sb.Region,
			BaseEndpoint: aws.String(sb.AWSURL),
			Credentials:  credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, ""),
		}),
		Journals: steps.JournalStore{Dir: b.TempDir(), Now: time.Now},
	}
	ctx := context.Background()
	plan, err := steps.PrepareSetup(ctx, env, steps.SetupInput{Cluster: cloudemu.ProdAWSClusterName, ExternalID: steps.ExternalIDAuto})
	if err != nil {
		b.Fatal(err)
	}
	conn, err := steps.Connect(ctx, env, cloudemu.ProdAWSClusterName)
	if err != nil {
		b.Fatal(err)
	}
	return plan, conn, env
}

func benchMenu(w, h int) *shell.Program {
	p := program(context.Background(), Options{Width: w, Height: h}, false)
	p.Init()
	return p
}

// benchNow is the clock of the setup screens.
var benchNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// benchSetup is setup on a session connected to prod-aws, as the
// interface has it once the cluster is chosen. Its dialogue waits for the
// answers; the screens are brought about by the events it would send.
func benchSetup(conn *steps.Connection, env *steps.Env, w, h int) *shell.Program {
	opts := Options{Start: StartSetup, Width: w, Height: h, Now: func() time.Time { return benchNow }, Input: steps.SetupInput{ExternalID: steps.ExternalIDAuto}}
	p := program(context.Background(), opts, false)
	sh := p.Shell()
	sh.Session = steps.Session{Env: env, Conn: conn, Cluster: conn.Clusters[0], Chosen: true}
	p = shell.NewProgram(sh, func(sh *shell.Shell, name string, _ bool) shell.Task { return opts.open(sh, name, true) }, shell.TaskSetup)
	p.Init()
	shelltest.Inject(p, steps.ClusterChosen{Cluster: conn.Clusters[0], ForSetup: true})
	return p
}

// benchPlanScreen is the plan with its choice; pane is the key that
// switches the tab ("" for the steps).
func benchPlanScreen(b *testing.B, plan *steps.SetupPlan, conn *steps.Connection, env *steps.Env, w, h int, pane string) *shell.Program {
	p := benchSetup(conn, env, w, h)
	shelltest.Inject(p, steps.SetupPlanned{Plan: plan}, steps.Choice{ID: steps.ChoiceSetupPlan, Title: "Apply this plan?", Options: []steps.Option{
		{ID: steps.OptApply, Label: "Apply"}, {ID: steps.OptEdit, Label: "Change answers"}, {ID: steps.OptQuit, Label: "Cancel (nothing is changed)"},
	}})
	if !p.Shell().Offers(steps.OptApply) {
		b.Fatal("the plan did not open")
	}
	if pane != "" {
		shelltest.Inject(p, shelltest.KeyMsg(pane))
	}
	return p
}

// benchApplying is step 10 under way: every other step done, the status
// watcher's latest event, and streams found in one region.
func benchApplying(b *testing.B, plan *steps.SetupPlan, conn *steps.Connection, env *steps.Env, w, h int) *shell.Program {
	p := benchSetup(conn, env, w, h)
	ms := time.Millisecond
	shelltest.Inject(p, steps.SetupPlanned{Plan: plan}, steps.Working{Stage: steps.StageApply, Cluster: plan.ClusterName},
		steps.StepDone{Step: steps.StepOrganization}, steps.StepDone{Step: steps.StepCluster}, steps.StepDone{Step: steps.StepClusterAccount},
		steps.StepDone{Step: steps.StepLogGroup, Took: 388 * ms}, steps.StepDone{Step: steps.StepRole, Took: 212 * ms},
		steps.StepDone{Step: steps.StepPermissions, Took: 154 * ms}, steps.StepDone{Step: steps.StepTrust, Took: 3 * ms},
		steps.StepDone{Step: steps.StepPolicy, Took: 97 * ms},
		steps.StepDone{Step: steps.StepRoleARN, Summary: "auth_principal = " + plan.RoleARN},
		steps.StepStarted{Step: steps.StepEnable},
		steps.StatusSeen{Status: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnabling}, ClusterState: cloudapi.StateLocked, OperationStatus: cloudapi.OperationLogExportRunning, Polls: 3, Elapsed: 3 * time.Second}},
		steps.StreamsSeen{Streams: steps.RegionStreams{Region: plan.Regions[0], LogGroup: plan.LogGroup, Streams: 33, Newest: benchNow.Add(-time.Second)}},
	)
	if !p.Task().Busy() {
		b.Fatal("not applying")
	}
	return p
}

// benchSummary is the end of a successful setup: every value to copy and
// logs arriving in each region.
func benchSummary(b *testing.B, plan *steps.SetupPlan, conn *steps.Connection, env *steps.Env, w, h int) *shell.Program {
	p := benchApplying(b, plan, conn, env, w, h)
	res := &steps.SetupResult{
		ClusterID: plan.ClusterID, ClusterName: plan.ClusterName, Status: cloudapi.StatusEnabled,
		LogGroup: plan.LogGroup, Regions: plan.Regions,
		RoleARN: plan.RoleARN, PolicyARN: plan.PolicyARN,
		ExternalIDRequired: plan.ExternalIDRequired, ExternalID: plan.ExternalID,
	}
	for i, r := range plan.Regions {
		res.Streams = append(res.Streams, steps.RegionStreams{Region: r, LogGroup: plan.LogGroup, Streams: 33, Newest: benchNow.Add(-time.Duration(i+1) * time.Second)})
	}
	shelltest.Inject(p, steps.SetupApplied{Result: res})
	if p.Task().Busy() || p.Result().Setup != res {
		b.Fatal("no summary")
	}
	return p
}
