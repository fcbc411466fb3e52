package monitor

import (
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/hookemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// The life of one export as separate --once runs see it: healthy (nothing
// sent), broken (one "failing" per destination), unchanged (nothing new),
// a new finding (one update), repaired (one "recovered").
func TestNotifiesOnChangeOnly(t *testing.T) {
	b := newBox(t)
	b.setup(cloudemu.StagingAWSClusterName)
	once := func() *PassResult { return b.pass(b.monitor(b.config(cloudemu.StagingAWSClusterName))) }

	res := once()
	if c := check(t, res, cloudemu.StagingAWSClusterName); c.Health != Healthy || !c.Deep || len(c.Regions) != 1 || !c.Regions[0].Arriving {
		t.Fatalf("first pass: %+v", c)
	}
	if got := eventNames(res.Events); got != EventWatching {
		t.Errorf("first pass events %q, want %q", got, EventWatching)
	}
	if n := len(b.sb.Hooks.Requests()); n != 0 {
		t.Fatalf("a healthy export sent %d notification(s)", n)
	}

	// Break it: the log group goes in the cluster's only region.
	b.deleteLogGroup("us-east-2", "crdb-staging-aws")
	res = once()
	c := check(t, res, cloudemu.StagingAWSClusterName)
	if c.Health != Failing || !slices.Contains(c.Checks, steps.CheckLogGroupExists) {
		t.Fatalf("after deleting the log group: %+v", c)
	}
	if got := b.events(); !slices.Equal(got, []string{"failing"}) {
		t.Fatalf("webhook events %v, want one failing", got)
	}
	slack := b.accepted(KindSlack)
	if len(slack) != 1 || !strings.Contains(slack[0]["text"].(string), "staging-aws") || !strings.Contains(slack[0]["text"].(string), steps.CheckLogGroupExists) {
		t.Fatalf("Slack messages %v", slack)
	}
	doc := b.accepted(KindWebhook)[0]
	if doc["cluster_name"] != "staging-aws" || doc["cluster_id"] != cloudemu.StagingAWSClusterID || doc["status"] != "ENABLED" || doc["id"] == "" {
		t.Errorf("webhook document %v", doc)
	}
	if fs, _ := doc["findings"].([]any); len(fs) == 0 || fs[0].(map[string]any)["check"] != steps.CheckLogGroupExists {
		t.Errorf("webhook findings %v", doc["findings"])
	}

	res = once()
	if got := b.events(); len(got) != 1 {
		t.Fatalf("an unchanged failure was notified again: %v", got)
	}
	if got := eventNames(res.Events); got != "" {
		t.Errorf("an unchanged pass logged %q", got)
	}

	// A new finding: the policy detached as well.
	b.detachPolicies(steps.DefaultRoleNameFor(cloudemu.StagingAWSClusterName, cloudemu.StagingAWSClusterID))
	res = once()
	if got := b.events(); !slices.Equal(got, []string{"failing", "failing(update)"}) {
		t.Fatalf("webhook events %v, want an update", got)
	}
	upd := b.accepted(KindWebhook)[1]
	if nc, _ := upd["new_checks"].([]any); len(nc) == 0 || !slices.Contains(nc, any(steps.CheckPermissionsActions)) {
		t.Errorf("update's new_checks %v", upd["new_checks"])
	}

	// Repair with the doctor's own fixes, then one recovered.
	report, err := steps.Diagnose(b.ctx, b.env, cloudemu.StagingAWSClusterName, steps.DoctorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := steps.ApplyFixes(b.ctx, b.env, steps.PlanFixes(report), steps.FixOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	b.deliverEvent("us-east-2", "crdb-staging-aws")
	res = once()
	if c := check(t, res, cloudemu.StagingAWSClusterName); c.Health != Healthy {
		t.Fatalf("after the repair: %+v", c)
	}
	_ = res
	if got := b.events(); !slices.Equal(got, []string{"failing", "failing(update)", "recovered"}) {
		t.Fatalf("webhook events %v, want a recovered last", got)
	}
	if n := len(b.accepted(KindSlack)); n != 3 {
		t.Errorf("%d Slack messages, want 3", n)
	}

	st, err := b.store.Load()
	if err != nil {
		t.Fatal(err)
	}
	_, _, hist, ok := st.History(cloudemu.StagingAWSClusterName)
	var evs []string
	for _, h := range hist {
		evs = append(evs, h.Event)
	}
	if !ok || !slices.Equal(evs, []string{EventWatching, EventFailing, EventUpdate, EventRecovered}) {
		t.Errorf("history %v", evs)
	}
	if len(st.Outbox) != 0 {
		t.Errorf("outbox not empty: %+v", st.Outbox)
	}
}

// The receiver refuses: 429 with Retry-After is waited out within the
// pass; a receiver that keeps failing leaves the notification in the
// outbox, and the next pass delivers it — the same id, once.
func TestDeliveryRetriesAndKeepsWhatItCannotSend(t *testing.T) {
	b := newBox(t)
	b.setup(cloudemu.StagingAWSClusterName)
	b.deleteLogGroup("us-east-2", "crdb-staging-aws")
	ctl := b.sb.Hooks.Controls()
	ctl.InjectFault(knobs.Fault{Op: hookemu.OpSlack, Status: 429, RetryAfter: knobs.Duration(time.Second)})
	ctl.InjectFault(knobs.Fault{Op: hookemu.OpWebhook, Status: 503, Times: 10})
	cfg := b.config(cloudemu.StagingAWSClusterName)
	cfg.Sender = NewSender(SendPolicy{BaseDelay: 10 * time.Millisecond, Attempts: 3, SlackPerSecond: 1000}, "test")

	start := time.Now()
	res := b.pass(b.monitor(cfg))
	if took := time.Since(start); took < time.Second {
		t.Errorf("the pass took %s: it did not wait out Retry-After: 1", took)
	}
	if res.Delivered != 1 || res.Pending != 1 || res.Undelivered != 1 {
		t.Fatalf("delivered %d, pending %d, undelivered %d; want 1, 1, 1 (events %s)", res.Delivered, res.Pending, res.Undelivered, eventNames(res.Events))
	}
	if n := len(b.accepted(KindSlack)); n != 1 {
		t.Errorf("%d Slack messages accepted, want 1 after the 429", n)
	}
	st, _ := b.store.Load()
	if len(st.Outbox) != 1 || st.Outbox[0].Attempts != 1 || !strings.Contains(st.Outbox[0].LastError, "HTTP 503") {
		t.Fatalf("outbox %+v", st.Outbox)
	}
	kept := st.Outbox[0].ID

	ctl.ClearFaults()
	res = b.pass(b.monitor(cfg))
	if res.Delivered != 1 || res.Pending != 0 {
		t.Fatalf("second pass: delivered %d, pending %d", res.Delivered, res.Pending)
	}
	docs := b.accepted(KindWebhook)
	if len(docs) != 1 || docs[0]["id"] != kept || docs[0]["event"] != "failing" {
		t.Errorf("webhook received %v, want the kept notification %s once", docs, kept)
	}
}

// Two monitors sharing a state directory — a cron job's --once runs
// overlapping — take turns: the failure is notified once.
func TestConcurrentPassesNotifyOnce(t *testing.T) {
	b := newBox(t)
	b.setup(cloudemu.StagingAWSClusterName)
	b.deleteLogGroup("us-east-2", "crdb-staging-aws")
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { b.pass(b.monitor(b.config(cloudemu.StagingAWSClusterName))) })
	}
	wg.Wait()
	if got := b.events(); !slices.Equal(got, []string{"failing"}) {
		t.Errorf("three overlapping passes sent %v, want one failing", got)
	}
	if n := len(b.accepted(KindSlack)); n != 1 {
		t.Errorf("%d Slack messages, want 1", n)
	}
}

// A long-running monitor reads IAM only on deep passes; between them a
// pass reads the status and streams, and a change of verdict brings a full
// diagnosis at once, so the notification names the cause.
func TestDeepEveryNthPass(t *testing.T) {
	b := newBox(t)
	b.setup(cloudemu.StagingAWSClusterName)
	cfg := b.config(cloudemu.StagingAWSClusterName)
	cfg.Once, cfg.DeepEvery = false, 3
	m := b.monitor(cfg)
	iamCalls := func() int {
		n := 0
		for op, c := range b.sb.AWS.Controls().Stats().ByOperation {
			if strings.HasPrefix(op, "iam:") {
				n += c
			}
		}
		return n
	}
	var deep []bool
	for range 3 {
		before := iamCalls()
		res := b.pass(m)
		c := check(t, res, cloudemu.StagingAWSClusterName)
		deep = append(deep, c.Deep)
		if !c.Deep && iamCalls() != before {
			t.Errorf("pass %d was not deep but called IAM %d times", res.Number, iamCalls()-before)
		}
		if c.Health != Healthy {
			t.Fatalf("pass %d: %+v", res.Number, c)
		}
	}
	if !slices.Equal(deep, []bool{true, false, false}) {
		t.Errorf("deep passes %v, want the first of three", deep)
	}

	// Broken between deep passes: the recheck sees the log group gone and
	// the pass diagnoses in full.
	b.deleteLogGroup("us-east-2", "crdb-staging-aws")
	if c := check(t, b.pass(m), cloudemu.StagingAWSClusterName); c.Health != Failing || !c.Deep {
		t.Fatalf("the fourth pass (deep): %+v", c)
	}
	b.createLogGroup("us-east-2", "crdb-staging-aws")
	b.deliverEvent("us-east-2", "crdb-staging-aws")
	res := b.pass(m) // the fifth: not deep, but the log group came back
	if c := check(t, res, cloudemu.StagingAWSClusterName); c.Health != Healthy || !c.Deep {
		t.Errorf("the pass after the repair: %+v, want healthy from a full diagnosis", c)
	}
	if got := b.events(); !slices.Equal(got, []string{"failing", "recovered"}) {
		t.Errorf("events %v", got)
	}
}

// --notify-success sends "ok" for every healthy export after each pass:
// one document per cluster to a webhook, one message for the fleet to
// Slack.
func TestNotifySuccess(t *testing.T) {
	b := newBox(t)
	b.setup(cloudemu.StagingAWSClusterName)
	cfg := b.config(cloudemu.StagingAWSClusterName)
	cfg.NotifySuccess = true
	for range 2 {
		b.pass(b.monitor(cfg))
	}
	if got := b.events(); !slices.Equal(got, []string{"ok", "ok"}) {
		t.Errorf("webhook events %v, want ok after each pass", got)
	}
	slack := b.accepted(KindSlack)
	if len(slack) != 2 || !strings.Contains(slack[0]["text"].(string), "healthy: 1 cluster(s): staging-aws") {
		t.Errorf("Slack messages %v", slack)
	}
}

// The daily report goes out once a day, at the first pass after its time.
func TestDailyReportOnceADay(t *testing.T) {
	b := newBox(t)
	b.setup(cloudemu.StagingAWSClusterName)
	day := time.Date(2026, 3, 2, 8, 0, 0, 0, time.Local)
	clock := day
	cfg := b.config(cloudemu.StagingAWSClusterName)
	cfg.DailyReport = "09:30"
	cfg.Now = func() time.Time { return clock }
	for _, at := range []time.Duration{0, 90 * time.Minute, 91 * time.Minute, 5 * time.Hour, 24*time.Hour + 90*time.Minute} {
		clock = day.Add(at)
		b.pass(b.monitor(cfg))
	}
	reports := 0
	for _, ev := range b.events() {
		if ev == "report" {
			reports++
		}
	}
	if reports != 2 {
		t.Errorf("%d reports over two days, want one a day", reports)
	}
	doc := b.accepted(KindWebhook)[0]
	sum, _ := doc["summary"].(map[string]any)
	if doc["event"] != "report" || sum["watched"] != 1.0 || sum["healthy"] != 1.0 {
		t.Errorf("report %v", doc)
	}
	if _, err := New(Config{Env: b.env, All: true, DailyReport: "9am"}); err == nil {
		t.Error("--daily-report 9am was accepted")
	}
}

// The state file is private and holds no webhook URL.
func TestStateIsPrivateAndHoldsNoSecret(t *testing.T) {
	b := newBox(t)
	b.setup(cloudemu.StagingAWSClusterName)
	b.deleteLogGroup("us-east-2", "crdb-staging-aws")
	b.sb.Hooks.Controls().InjectFault(knobs.Fault{Op: hookemu.OpSlack, Status: 500, Times: -1})
	b.pass(b.monitor(b.config(cloudemu.StagingAWSClusterName)))
	fi, err := os.Stat(b.store.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %04o, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(b.store.Path())
	for _, secret := range []string{"sandboxSlackWebhookToken0", "/services/", "/hooks/"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the state file contains %q", secret)
		}
	}
	st, _ := b.store.Load()
	if len(st.Outbox) != 1 || !strings.Contains(st.Outbox[0].LastError, "Slack webhook (127.0.0.1:") {
		t.Errorf("outbox %+v", st.Outbox)
	}
}

// A named cluster whose export is not running is failing; with --all, a
// cluster without export is not watched.
func TestNamedClusterWithoutExportIsFailing(t *testing.T) {
	b := newBox(t)
	res := b.pass(b.monitor(b.config(cloudemu.ProdAWSClusterName)))
	c := check(t, res, cloudemu.ProdAWSClusterName)
	if c.Health != Failing || !slices.Equal(c.Checks, []string{steps.CheckExportStatus}) {
		t.Errorf("named, never configured: %+v", c)
	}

	cfg := b.config()
	cfg.All = true
	res = b.pass(b.monitor(cfg))
	if c := check(t, res, cloudemu.ProdAWSClusterName); c.Health != NotExported || c.Skipped == "" {
		t.Errorf("--all, never configured: %+v", c)
	}
	if c := check(t, res, cloudemu.AnalyticsGCPClusterName); c.Health != NotExported || !strings.Contains(c.Skipped, "GCP") {
		t.Errorf("--all, GCP: %+v", c)
	}
	if got := b.events(); !slices.Equal(got, []string{"failing"}) {
		t.Errorf("events %v", got)
	}

	res = b.pass(b.monitor(b.config("no-such-cluster")))
	if res.Err != nil || len(res.Checks) != 1 || !strings.Contains(res.Checks[0].Error, `no cluster named "no-such-cluster"`) {
		t.Errorf("an unknown name: %v %+v", res.Err, res.Checks)
	}
}

func (b *box) createLogGroup(region, name string) {
	b.t.Helper()
	if _, err := b.env.AWS.LogsFor(region).CreateLogGroup(b.ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name)}); err != nil {
		b.t.Fatal(err)
	}
}

func (b *box) deleteLogGroup(region, name string) {
	b.t.Helper()
	logs := b.env.AWS.LogsFor(region)
	if _, err := logs.DeleteLogGroup(b.ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(name)}); err != nil {
		b.t.Fatal(err)
	}
}

// deliverEvent writes one event into the export's stream, standing in for
// the cluster (whose writer the sandbox keeps quiet).
func (b *box) deliverEvent(region, group string) {
	b.t.Helper()
	info, err := b.env.Cloud.LogExport(b.ctx, cloudemu.StagingAWSClusterID)
	if err != nil || info.Status != cloudapi.StatusEnabled {
		b.t.Fatalf("export %s: %v", info.Status, err)
	}
	logs := b.env.AWS.LogsFor(region)
	stream := group + "." + region + ".cockroachdbcloud.OPS.n1"
	_, _ = logs.CreateLogStream(b.ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
	_, err = logs.PutLogEvents(b.ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
		LogEvents: []logstypes.InputLogEvent{{Message: aws.String("node started"), Timestamp: aws.Int64(time.Now().UnixMilli())}}})
	if err != nil {
		b.t.Fatal(err)
	}
}

// TestUnreadableIsNotHealthy: when the AWS reads the checks rest on fail
// (access denied to the role, a server error on the log streams), no
// finding is an error, but the export is not checked — never healthy, and
// no "ok" is sent for it.
func TestUnreadableIsNotHealthy(t *testing.T) {
	for _, fault := range []knobs.Fault{
		{Op: "iam:GetRole", Status: 403, Code: "AccessDenied", Message: "not authorized to perform: iam:GetRole", Times: -1},
		{Op: "logs:DescribeLogStreams", Status: 500, Code: "ServiceUnavailableException", Times: -1},
	} {
		t.Run(fault.Op, func(t *testing.T) {
			b := newBox(t)
			b.setup(cloudemu.StagingAWSClusterName)
			b.sb.AWS.Controls().InjectFault(fault)
			cfg := b.config(cloudemu.StagingAWSClusterName)
			cfg.NotifySuccess = true
			res := b.pass(b.monitor(cfg))
			c := check(t, res, cloudemu.StagingAWSClusterName)
			if c.Health == Healthy || c.Watched() || !strings.Contains(c.Error, "could not be checked") {
				t.Fatalf("with %s failing: %+v", fault.Op, c)
			}
			if got := b.events(); len(got) != 0 {
				t.Errorf("events sent for an export not checked: %v", got)
			}
		})
	}
}
