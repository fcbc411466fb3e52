package steps

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// lifecycleEnv starts a sandbox with short job timings (and extra
// clusters) and returns an Env using it, with the sandbox for inspection.
func lifecycleEnv(t *testing.T, extra int) (*Env, *sandbox.Env) {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{
		Timings: &cloudemu.Timings{
			EnableAfter:    150 * time.Millisecond,
			DisableAfter:   150 * time.Millisecond,
			IAMPropagation: time.Nanosecond,
			EventInterval:  200 * time.Millisecond,
		},
		ExtraClusters: extra,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	cloud, err := cloudapi.New(cloudapi.Options{BaseURL: sb.CloudURL, APIKey: sb.APIKey})
	if err != nil {
		t.Fatal(err)
	}
	clients := awsiam.NewClients(aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(sb.AWSURL),
		Credentials:  credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, ""),
	})
	return &Env{Cloud: cloud, AWS: clients, Journals: JournalStore{Dir: filepath.Join(t.TempDir(), "journals")}}, sb
}

// fastWatch polls often: the sandbox's jobs take a fraction of a second.
var fastWatch = cloudapi.WatchOptions{Schedule: func(time.Duration) time.Duration { return 100 * time.Millisecond }}

// setUp runs the whole setup for a cluster and requires ENABLED.
func setUp(t *testing.T, env *Env, in SetupInput) *SetupResult {
	t.Helper()
	ctx := context.Background()
	p, err := PrepareSetup(ctx, env, in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ApplySetup(ctx, env, p, SetupOptions{Watch: fastWatch, StreamTimeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != cloudapi.StatusEnabled {
		t.Fatalf("setup of %s ended %s: %s", in.Cluster, res.Status, res.UserMessage)
	}
	return res
}

func TestExportStatus(t *testing.T) {
	ctx := context.Background()
	env, _ := lifecycleEnv(t, 0)

	// never configured: DISABLED, not an error, and nothing to look for
	st, err := ExportStatus(ctx, env, cloudemu.StagingAWSClusterName, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != cloudapi.StatusDisabled || st.Configured || st.Spec != nil || len(st.Logs) != 0 || st.LogsNote == "" || st.ClusterState != cloudapi.StateCreated {
		t.Fatalf("never-configured status = %+v", st)
	}

	setUp(t, env, SetupInput{Cluster: cloudemu.ProdAWSClusterName})
	st, err = ExportStatus(ctx, env, cloudemu.ProdAWSClusterID, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != cloudapi.StatusEnabled || !st.Configured || st.Spec == nil || st.Spec.LogName != "crdb-prod-aws" || st.CreatedAt.IsZero() {
		t.Fatalf("status = %+v", st)
	}
	if len(st.Regions) != 3 || len(st.Logs) != 3 {
		t.Fatalf("regions %v, logs %+v: want one entry per region", st.Regions, st.Logs)
	}
	for _, l := range st.Logs {
		if l.Streams == 0 || !l.Arriving || l.Error != "" || l.LogGroup != "crdb-prod-aws" {
			t.Errorf("logs in %s: %+v, want streams arriving", l.Region, l)
		}
	}

	// --no-logs makes no AWS call and says nothing about logs
	env.AWS = nil
	st, err = ExportStatus(ctx, env, cloudemu.ProdAWSClusterName, StatusOptions{SkipLogs: true})
	if err != nil || len(st.Logs) != 0 || st.LogsNote != "" || st.Status != cloudapi.StatusEnabled {
		t.Fatalf("status without logs = %+v, %v", st, err)
	}
	// without AWS the status still comes, with the reason logs were not checked
	st, err = ExportStatus(ctx, env, cloudemu.ProdAWSClusterName, StatusOptions{})
	if err != nil || st.LogsNote == "" || len(st.Logs) != 0 {
		t.Fatalf("status without AWS = %+v, %v", st, err)
	}

	if _, err := ExportStatus(ctx, env, "no-such-cluster", StatusOptions{}); err == nil {
		t.Fatal("unknown cluster: no error")
	} else if se, ok := AsStepError(err); !ok || se.Step != StepCluster {
		t.Fatalf("unknown cluster: %v", err)
	}
}

func TestAllStatusesStaysUnderTheRateLimit(t *testing.T) {
	ctx := context.Background()
	env, sb := lifecycleEnv(t, 25)
	setUp(t, env, SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	sb.Cloud.Controls().Reset()

	var calls, lastDone, lastKnown int
	res, err := AllStatuses(ctx, env, func(done, known int) { calls++; lastDone, lastKnown = done, known })
	if err != nil {
		t.Fatal(err)
	}
	want := len(cloudemu.Seed(25)) - 1 // the retired cluster is not listed
	if len(res.Clusters) != want || res.Failed != 0 {
		t.Fatalf("%d clusters (%d failed), want %d", len(res.Clusters), res.Failed, want)
	}
	if calls != want || lastDone != want || lastKnown != want {
		t.Fatalf("progress: %d calls, last %d of %d; want %d", calls, lastDone, lastKnown, want)
	}
	byName := map[string]ClusterSummary{}
	for _, c := range res.Clusters {
		byName[c.ClusterName] = c
	}
	if s := byName[cloudemu.StagingAWSClusterName]; s.Status != cloudapi.StatusEnabled || !s.Configured || s.LogName != "crdb-staging-aws" {
		t.Errorf("staging = %+v", s)
	}
	if s := byName["fleet-0025"]; s.Status != cloudapi.StatusDisabled || s.Configured || s.Plan != cloudapi.PlanAdvanced || s.CloudProvider != cloudapi.ProviderAWS {
		t.Errorf("fleet-0025 = %+v", s)
	}
	if s := byName[cloudemu.AnalyticsGCPClusterName]; s.Status != cloudapi.StatusDisabled || s.CloudProvider != cloudapi.ProviderGCP {
		t.Errorf("analytics-gcp = %+v", s)
	}
	stats := sb.Cloud.Controls().Stats()
	if n := stats.ByStatus["429"]; n != 0 {
		t.Fatalf("%d answers were 429: the listing tripped the rate limit", n)
	}
	if got := stats.ByOperation["cloud:GetLogExportInfo"]; got != want {
		t.Fatalf("%d export reads for %d clusters, want one each", got, want)
	}
}

func TestAllStatusesStopsWhenCancelled(t *testing.T) {
	env, _ := lifecycleEnv(t, 30)
	ctx, cancel := context.WithCancel(context.Background())
	res, err := AllStatuses(ctx, env, func(done, _ int) {
		if done == 3 {
			cancel()
		}
	})
	if err == nil || res != nil {
		t.Fatalf("cancelled listing = %+v, %v; want the context's error", res, err)
	}
}
