package cloudapi_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/contract"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// emulator starts the Cloud API emulator, wrapped so that every exchange
// is checked against the OpenAPI document, with short job timings and no
// AWS side (so an enable job ends in ENABLE_FAILED after EnableAfter).
func emulator(t *testing.T, extra int) (*cloudemu.Server, string) {
	t.Helper()
	srv, err := cloudemu.New(cloudemu.Options{
		ExtraClusters: extra,
		Timings:       &cloudemu.Timings{EnableAfter: time.Second, DisableAfter: 200 * time.Millisecond, IAMPropagation: time.Millisecond, EventInterval: time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(contract.Wrap(t, srv))
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return srv, ts.URL
}

func client(t *testing.T, baseURL string, mutate ...func(*cloudapi.Options)) *cloudapi.Client {
	t.Helper()
	opts := cloudapi.Options{
		BaseURL: baseURL,
		APIKey:  cloudemu.DefaultAPIKey,
		Retry:   cloudapi.RetryPolicy{BaseDelay: 20 * time.Millisecond, MaxDelay: 100 * time.Millisecond, LockPoll: 50 * time.Millisecond, LockWait: 10 * time.Second},
	}
	for _, m := range mutate {
		m(&opts)
	}
	c, err := cloudapi.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fastSchedule(time.Duration) time.Duration { return 50 * time.Millisecond }

func TestEmulatorListAndGet(t *testing.T) {
	srv, url := emulator(t, 200)
	c := client(t, url)
	ctx := context.Background()

	org, err := c.Organization(ctx)
	if err != nil || org.ID == "" || org.Name == "" {
		t.Fatalf("organization %+v, %v", org, err)
	}
	all, err := c.ListClusters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 205 {
		t.Fatalf("%d clusters, want the 5 seeded active ones and 200 extra", len(all))
	}
	ids := map[string]bool{}
	for _, cl := range all {
		if ids[cl.ID] {
			t.Fatalf("cluster %s listed twice", cl.ID)
		}
		ids[cl.ID] = true
	}
	if pages := srv.Controls().Stats().ByOperation["cloud:ListClusters"]; pages != 3 {
		t.Fatalf("%d list requests, want 3 pages of up to 100", pages)
	}

	prod, err := c.FindCluster(ctx, cloudemu.ProdAWSClusterName)
	if err != nil {
		t.Fatal(err)
	}
	if prod.Plan != cloudapi.PlanAdvanced || prod.CloudProvider != cloudapi.ProviderAWS || prod.State != cloudapi.StateCreated ||
		prod.ExportAccountID() != cloudemu.ProdAWSAccountID || len(prod.ExportRegions(cloudapi.LogExportSpec{})) != 3 {
		t.Fatalf("prod-aws = %+v", prod)
	}
	byID, err := c.FindCluster(ctx, prod.ID)
	if err != nil || byID.Name != prod.Name {
		t.Fatalf("by ID: %+v, %v", byID, err)
	}
	std, err := c.Cluster(ctx, cloudemu.StandardAWSClusterID)
	if err != nil || std.Plan != cloudapi.PlanStandard || std.ExportAccountID() != cloudemu.StandardAWSAccountID {
		t.Fatalf("standard-aws = %+v (%v); want its account from keychain_config", std, err)
	}
	_, err = c.FindCluster(ctx, "prod")
	var lookup *cloudapi.ClusterLookupError
	if !errors.As(err, &lookup) || len(lookup.Candidates) == 0 || lookup.Candidates[0].Name != cloudemu.ProdAWSClusterName {
		t.Fatalf("FindCluster(prod) = %v; want a suggestion of prod-aws", err)
	}
	if _, err := c.FindCluster(ctx, "00000000-0000-4000-8000-000000000000"); !cloudapi.IsNotFound(err) {
		t.Fatalf("unknown ID: %v", err)
	}
}

func TestEmulatorEnableInvalidChannel(t *testing.T) {
	_, url := emulator(t, 0)
	c := client(t, url)
	req := cloudapi.EnableLogExportRequest{
		Type: cloudapi.TypeAWSCloudWatch, LogName: "crdb", AuthPrincipal: "arn:aws:iam::111122223333:role/CockroachCloudLogExportRole",
		Groups: []cloudapi.LogExportGroup{{LogName: "dev", Channels: []string{"DEV"}}},
	}
	// The local check catches it before anything is sent...
	var chErr *cloudapi.ChannelError
	if err := req.Validate(cloudapi.Cluster{Name: "staging-aws", Plan: cloudapi.PlanAdvanced, CloudProvider: cloudapi.ProviderAWS}); !errors.As(err, &chErr) || chErr.Channel != "DEV" {
		t.Fatalf("Validate = %v", err)
	}
	// ...and the server refuses it with its own message, not retried.
	_, err := c.EnableLogExport(context.Background(), cloudemu.StagingAWSClusterID, req)
	var apiErr *cloudapi.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != 400 || apiErr.Code != 3 || !strings.Contains(apiErr.Message, `invalid channel "DEV"`) {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), apiErr.Message) {
		t.Fatalf("Error() %q does not show the server's message", err)
	}
}

func TestEmulatorEnableWatchLockAndDisable(t *testing.T) {
	_, url := emulator(t, 0)
	var mu sync.Mutex
	var notices []cloudapi.RetryNotice
	c := client(t, url, func(o *cloudapi.Options) {
		o.OnRetry = func(n cloudapi.RetryNotice) {
			mu.Lock()
			notices = append(notices, n)
			mu.Unlock()
		}
	})
	ctx := context.Background()
	id := cloudemu.StagingAWSClusterID

	before, err := c.LogExport(ctx, id)
	if err != nil || before.Configured || before.Status != cloudapi.StatusDisabled {
		t.Fatalf("before: %+v, %v; want never configured", before, err)
	}

	req := cloudapi.EnableLogExportRequest{
		Type: cloudapi.TypeAWSCloudWatch, LogName: "crdb-logs", AuthPrincipal: "arn:aws:iam::111122223333:role/CockroachCloudLogExportRole",
		AWSExternalID: "ext-123", OmittedChannels: []string{"SESSIONS"}, Redact: cloudapi.Bool(true),
		Groups: []cloudapi.LogExportGroup{{
			LogName: "crdb-ops", Channels: []string{"OPS", "HEALTH"}, MinLevel: cloudapi.LevelWarning,
			Redact: cloudapi.Bool(false), EnableSendingQueue: cloudapi.Bool(true),
		}},
	}
	info, err := c.EnableLogExport(ctx, id, req)
	if err != nil || info.Status != cloudapi.StatusEnabling || !cloudapi.SpecsEqual(info.Spec, req.Spec()) {
		t.Fatalf("enable: %+v, %v", info, err)
	}

	var evs []cloudapi.StatusEvent
	for ev := range cloudapi.Watch(ctx, c, id, cloudapi.WatchOptions{Goal: cloudapi.GoalEnabled, Schedule: fastSchedule, WithCluster: true}) {
		evs = append(evs, ev)
	}
	first, last := evs[0], evs[len(evs)-1]
	if first.Info.Status != cloudapi.StatusEnabling || first.ClusterState != cloudapi.StateLocked || first.OperationStatus != cloudapi.OperationLogExportRunning {
		t.Fatalf("first event = %+v; want ENABLING on a LOCKED cluster", first)
	}
	// No AWS endpoint behind this emulator: the job fails, and says why.
	if !last.Done || last.Reached || last.Info.Status != cloudapi.StatusEnableFailed || last.Info.UserMessage == "" {
		t.Fatalf("last event = %+v; want ENABLE_FAILED with a user message", last)
	}

	// Two changes back to back: the second meets the first one's lock,
	// waits for the cluster to be CREATED, and goes through.
	if _, err := c.EnableLogExport(ctx, id, req); err != nil {
		t.Fatal(err)
	}
	if _, err := c.EnableLogExport(ctx, id, req); err != nil {
		t.Fatalf("second enable: %v", err)
	}
	mu.Lock()
	locked := len(notices) > 0 && notices[0].Locked && cloudapi.IsLocked(notices[0].Err)
	mu.Unlock()
	if !locked {
		t.Fatalf("notices = %+v; want a lock wait", notices)
	}

	if _, err := cloudapi.Wait(ctx, c, id, cloudapi.WatchOptions{Goal: cloudapi.GoalEnabled, Schedule: fastSchedule}); err != nil {
		t.Fatal(err)
	}
	del, err := c.DeleteLogExport(ctx, id)
	if err != nil || del.Status != cloudapi.StatusDisabling {
		t.Fatalf("delete: %+v, %v", del, err)
	}
	end, err := cloudapi.Wait(ctx, c, id, cloudapi.WatchOptions{Goal: cloudapi.GoalDisabled, Schedule: fastSchedule})
	if err != nil || !end.Reached || end.Info.Status != cloudapi.StatusDisabled {
		t.Fatalf("disable: %+v, %v", end, err)
	}
}

func TestEmulatorRetriesInjectedFaults(t *testing.T) {
	srv, url := emulator(t, 0)
	c := client(t, url)
	srv.Controls().InjectFault(knobs.Fault{Op: "cloud:GetOrganizationInfo", Status: 503, Times: 2})
	if _, err := c.Organization(context.Background()); err != nil {
		t.Fatalf("GET after two 503s: %v", err)
	}
	srv.Controls().InjectFault(knobs.Fault{Op: "cloud:EnableLogExport", Status: 500})
	_, err := c.EnableLogExport(context.Background(), cloudemu.StagingAWSClusterID, cloudapi.EnableLogExportRequest{
		Type: cloudapi.TypeAWSCloudWatch, LogName: "crdb", AuthPrincipal: "arn:aws:iam::111122223333:role/R",
	})
	var apiErr *cloudapi.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != 500 {
		t.Fatalf("err = %v", err)
	}
	st := srv.Controls().Stats()
	if st.ByOpStatus["cloud:GetOrganizationInfo"]["503"] != 2 || st.ByOpStatus["cloud:GetOrganizationInfo"]["200"] != 1 || st.ByOperation["cloud:EnableLogExport"] != 1 {
		t.Fatalf("stats = %+v; want GET retried twice and the POST sent once", st.ByOpStatus)
	}
}

func TestEmulatorConcurrentCallsStayUnderRateLimit(t *testing.T) {
	srv, url := emulator(t, 0)
	c := client(t, url)
	const n = 25
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := c.LogExport(context.Background(), cloudemu.ProdAWSClusterID)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if st := srv.Controls().Stats(); st.ByStatus["429"] != 0 || st.Requests != n {
		t.Fatalf("stats %+v: want %d requests and no 429", st.ByStatus, n)
	}
}

func TestEmulatorWrongKeyAndDebug(t *testing.T) {
	_, url := emulator(t, 0)
	var debug bytes.Buffer
	wrong := "CCDB1_wrongwrongwrong_0123456789abcdef"
	c := client(t, url, func(o *cloudapi.Options) { o.APIKey = wrong; o.Debug = &debug })
	_, err := c.Organization(context.Background())
	if !cloudapi.IsUnauthenticated(err) || strings.Contains(err.Error(), wrong) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(debug.String(), wrong) || !strings.Contains(debug.String(), "Bearer [REDACTED]") {
		t.Fatalf("debug trace:\n%s", debug.String())
	}
}
