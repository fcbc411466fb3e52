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
)

// BenchmarkView measures one frame: View() of the busiest screens, at the
// narrowest supported terminal and at a large one (the content is capped
// at 100 columns, so 120×50 is as wide as it gets and shows the most
// lines). `make bench` runs it and reports the slowest screen.
//
//	go test -run '^$' -bench '^BenchmarkView$' -benchmem ./wizard
func BenchmarkView(b *testing.B) {
	plan, cluster := benchPlan(b)
	screens := []struct {
		name  string
		build func(w, h int) *Model
	}{
		{"menu", benchMenu},
		{"plan", func(w, h int) *Model { return benchPlanScreen(b, plan, cluster, w, h, "") }},
		{"plan-permission", func(w, h int) *Model { return benchPlanScreen(b, plan, cluster, w, h, "p") }},
		{"applying", func(w, h int) *Model { return benchApplying(b, plan, cluster, w, h) }},
		{"summary", func(w, h int) *Model { return benchSummary(b, plan, cluster, w, h) }},
	}
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 50}} {
		for _, sc := range screens {
			b.Run(fmt.Sprintf("%s/%dx%d", sc.name, size.w, size.h), func(b *testing.B) {
				m := sc.build(size.w, size.h)
				b.Cleanup(func() { m.stop(time.Second) })
				if m.View().Content == "" {
					b.Fatalf("%s draws nothing", sc.name)
				}
				b.ReportAllocs()
				for b.Loop() {
					_ = m.View()
				}
			})
		}
	}
}

// benchPlan is the plan for prod-aws (three regions) from a sandbox, with
// the cluster it is for; the sandbox is gone before any frame is timed.
func benchPlan(b *testing.B) (*steps.Plan, cloudapi.Cluster) {
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
	plan, err := steps.Prepare(ctx, env, steps.SetupInput{Cluster: cloudemu.ProdAWSClusterName, ExternalID: steps.ExternalIDAuto})
	if err != nil {
		b.Fatal(err)
	}
	cluster, err := cloud.FindCluster(ctx, cloudemu.ProdAWSClusterName)
	if err != nil {
		b.Fatal(err)
	}
	return plan, cluster
}

func benchMenu(w, h int) *Model {
	m := New(context.Background(), Options{Width: w, Height: h})
	m.Init()
	return m
}

// benchConnected is a model past the questions for cluster, as the
// wizard has it when the plan arrives.
func benchConnected(plan *steps.Plan, cluster cloudapi.Cluster, w, h int) *Model {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	m := New(context.Background(), Options{Width: w, Height: h, Now: func() time.Time { return now }})
	m.connected = true
	m.org = cloudapi.Organization{Name: cloudemu.OrgName}
	m.caller = awsiam.Identity{Account: sandboxAccount, ARN: "arn:aws:iam::" + sandboxAccount + ":user/sandbox-admin"}
	m.cluster, m.hasCluster = cluster, true
	m.ans.forCluster(m.cluster)
	m.in = m.ans.input(steps.SetupInput{ExternalID: steps.ExternalIDAuto}, m.cluster)
	return m
}

// benchPlanScreen is the plan with its confirmation; pane is the key that
// switches the tab ("" for the steps).
func benchPlanScreen(b *testing.B, plan *steps.Plan, cluster cloudapi.Cluster, w, h int, pane string) *Model {
	m := benchConnected(plan, cluster, w, h)
	m.phase = phasePreparing
	m.Update(planMsg{seq: m.prepSeq, plan: plan})
	if m.phase != phasePlan {
		b.Fatalf("the plan did not open (phase %d)", m.phase)
	}
	if pane != "" {
		m.Update(keyMsg(pane))
	}
	return m
}

// benchApplying is step 10 under way: every other step done, the status
// watcher's latest event, and streams found in one region.
func benchApplying(b *testing.B, plan *steps.Plan, cluster cloudapi.Cluster, w, h int) *Model {
	m := benchConnected(plan, cluster, w, h)
	m.plan = plan
	m.phase = phaseApplying
	m.run = newApplyRun(1, func() {})
	close(m.run.done)
	m.streams = map[string]steps.RegionStreams{}
	ms := time.Millisecond
	for _, msg := range []any{
		stepDoneMsg{run: 1, id: steps.StepOrganization}, stepDoneMsg{run: 1, id: steps.StepCluster}, stepDoneMsg{run: 1, id: steps.StepClusterAccount},
		stepDoneMsg{run: 1, id: steps.StepLogGroup, took: 388 * ms}, stepDoneMsg{run: 1, id: steps.StepRole, took: 212 * ms},
		stepDoneMsg{run: 1, id: steps.StepPermissions, took: 154 * ms}, stepDoneMsg{run: 1, id: steps.StepTrust, took: 3 * ms},
		stepDoneMsg{run: 1, id: steps.StepPolicy, took: 97 * ms},
		stepDoneMsg{run: 1, id: steps.StepRoleARN, summary: "auth_principal = " + plan.RoleARN},
		stepStartedMsg{run: 1, id: steps.StepEnable},
		statusMsg{run: 1, ev: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnabling}, ClusterState: cloudapi.StateLocked, OperationStatus: cloudapi.OperationLogExportRunning, Polls: 3, Elapsed: 3 * time.Second}},
		regionStreamsMsg{run: 1, rs: steps.RegionStreams{Region: plan.Regions[0], LogGroup: plan.LogGroup, Streams: 33, Newest: m.opts.now().Add(-time.Second)}},
	} {
		m.Update(msg)
	}
	if m.phase != phaseApplying {
		b.Fatalf("not applying (phase %d)", m.phase)
	}
	return m
}

// benchSummary is the end of a successful setup: every value to copy and
// logs arriving in each region.
func benchSummary(b *testing.B, plan *steps.Plan, cluster cloudapi.Cluster, w, h int) *Model {
	m := benchApplying(b, plan, cluster, w, h)
	res := &steps.SetupResult{
		ClusterID: plan.ClusterID, ClusterName: plan.ClusterName, Status: cloudapi.StatusEnabled,
		LogGroup: plan.LogGroup, Regions: plan.Regions,
		RoleARN: plan.RoleARN, PolicyARN: plan.PolicyARN,
		ExternalIDRequired: plan.ExternalIDRequired, ExternalID: plan.ExternalID,
	}
	for i, r := range plan.Regions {
		res.Streams = append(res.Streams, steps.RegionStreams{Region: r, LogGroup: plan.LogGroup, Streams: 33, Newest: m.opts.now().Add(-time.Duration(i+1) * time.Second)})
	}
	m.Update(applyDoneMsg{run: 1, res: res})
	if m.phase != phaseSummary {
		b.Fatalf("no summary (phase %d)", m.phase)
	}
	return m
}
