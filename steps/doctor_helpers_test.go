package steps

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// Accounts of the sandbox: the AWS emulator's (the caller's, "yours") and
// the seeded clusters'.
const (
	dtOwnAccount      = "314159265358"
	dtStagingAccount  = cloudemu.StagingAWSAccountID
	dtProdAccount     = cloudemu.ProdAWSAccountID
	dtStandardAccount = cloudemu.StandardAWSAccountID
)

// dtBox is one sandbox with an Env whose waits are short.
type dtBox struct {
	t   *testing.T
	ctx context.Context
	sb  *sandbox.Env
	env *Env
	iam *iam.Client
	cfg aws.Config
}

// newDTBox starts a sandbox whose enabled exports write their first events
// at once and then stay quiet for an hour: what a test breaks afterwards
// stays broken, as it would between two runs of the real service's checks.
func newDTBox(t *testing.T) *dtBox {
	t.Helper()
	t.Parallel()
	sb, err := sandbox.Start(sandbox.Options{Timings: &cloudemu.Timings{
		EnableAfter:    100 * time.Millisecond,
		DisableAfter:   100 * time.Millisecond,
		IAMPropagation: time.Nanosecond,
		EventInterval:  time.Hour,
	}})
	if err != nil {
		t.Fatal(err)
	}
	// The clients get a transport of their own, whose idle connections are
	// dropped before the sandbox shuts down: otherwise the shutdown waits
	// for them to time out.
	transport := &http.Transport{}
	t.Cleanup(func() {
		transport.CloseIdleConnections()
		// The emulators' own connections to each other may still be open;
		// shutting down does not wait long for them.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = sb.Close(ctx)
	})
	cloud, err := cloudapi.New(cloudapi.Options{BaseURL: sb.CloudURL, APIKey: sb.APIKey,
		HTTPClient: &http.Client{Transport: transport, Timeout: 30 * time.Second},
		Retry:      cloudapi.RetryPolicy{BaseDelay: 10 * time.Millisecond, LockPoll: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(sb.AWSURL),
		Credentials:  credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, ""),
		HTTPClient:   &http.Client{Transport: transport},
	}
	env := &Env{
		Cloud: cloud, AWS: awsiam.NewClients(cfg),
		Journals: JournalStore{Dir: filepath.Join(t.TempDir(), "journals")},
		// Waits (stream polls, propagation backoff) take a few milliseconds.
		Sleep: func(ctx context.Context, d time.Duration) error {
			tm := time.NewTimer(min(d, 10*time.Millisecond))
			defer tm.Stop()
			select {
			case <-tm.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	t.Cleanup(cancel)
	return &dtBox{t: t, ctx: ctx, sb: sb, env: env, iam: iam.NewFromConfig(cfg), cfg: cfg}
}

func dtWatch() cloudapi.WatchOptions {
	return cloudapi.WatchOptions{Schedule: func(time.Duration) time.Duration { return 20 * time.Millisecond }}
}

func dtFixOptions() FixOptions {
	return FixOptions{Watch: dtWatch(), PropagationLimit: 300 * time.Millisecond}
}

// setup runs the setup procedure to ENABLED, as `setup --yes` does.
func (b *dtBox) setup(in SetupInput) *SetupResult {
	b.t.Helper()
	if in.ExternalID == "" {
		in.ExternalID = ExternalIDAuto
	}
	plan, err := PrepareSetup(b.ctx, b.env, in)
	if err != nil {
		b.t.Fatalf("setup %s: prepare: %v", in.Cluster, err)
	}
	res, err := ApplySetup(b.ctx, b.env, plan, SetupOptions{Watch: dtWatch(), StreamTimeout: 5 * time.Second}, nil)
	if err != nil {
		b.t.Fatalf("setup %s: %v", in.Cluster, err)
	}
	if res.Status != cloudapi.StatusEnabled {
		b.t.Fatalf("setup %s ended %s: %s", in.Cluster, res.Status, res.UserMessage)
	}
	return res
}

func (b *dtBox) diagnose(cluster string, opts DoctorOptions) *DoctorReport {
	b.t.Helper()
	r, err := Diagnose(b.ctx, b.env, cluster, opts)
	if err != nil {
		b.t.Fatalf("diagnose %s: %v", cluster, err)
	}
	if len(r.Findings) != len(CheckIDs) {
		b.t.Fatalf("report has %d findings, want one per check (%d)", len(r.Findings), len(CheckIDs))
	}
	for i, fd := range r.Findings {
		if fd.Check != CheckIDs[i] {
			b.t.Fatalf("finding %d is %q, want %q", i, fd.Check, CheckIDs[i])
		}
	}
	return r
}

// fix does what `doctor --fix --yes` does: apply the plan, run the checks
// again, enable again when that is advised, and check once more.
func (b *dtBox) fix(r *DoctorReport, opts DoctorOptions) (*FixPlan, *DoctorReport) {
	b.t.Helper()
	plan := PlanFixes(r)
	if _, err := ApplyFixes(b.ctx, b.env, plan, dtFixOptions(), nil); err != nil {
		b.t.Fatalf("apply fixes: %v", err)
	}
	after := b.diagnose(r.ClusterID, opts)
	if ok, _ := ShouldReenable(plan, after); ok {
		if _, err := Reenable(b.ctx, b.env, after, dtFixOptions(), nil); err != nil {
			b.t.Fatalf("re-enable: %v", err)
		}
		after = b.diagnose(r.ClusterID, opts)
	}
	return plan, after
}

func (b *dtBox) logs(region string) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(b.cfg, func(o *cloudwatchlogs.Options) { o.Region = region })
}

func (b *dtBox) must(err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
}

// setPolicy makes doc the default version of a managed policy.
func (b *dtBox) setPolicy(arn string, doc *awsiam.PolicyDocument) {
	b.t.Helper()
	_, err := b.iam.CreatePolicyVersion(b.ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(doc.JSON()), SetAsDefault: true})
	b.must(err)
}

func (b *dtBox) setTrust(role string, doc *awsiam.PolicyDocument) {
	b.t.Helper()
	b.must(awsiam.UpdateTrust(b.ctx, b.iam, role, doc))
}

// deliver writes one event the way CockroachDB Cloud names its streams,
// standing in for the cluster when a test needs logs to arrive.
func (b *dtBox) deliver(region, group string) {
	b.t.Helper()
	logs := b.logs(region)
	stream := group + "." + region + ".cockroachdbcloud.OPS.n1"
	_, err := logs.CreateLogStream(b.ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
	b.must(err)
	_, err = logs.PutLogEvents(b.ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
		LogEvents: []logstypes.InputLogEvent{{Message: aws.String("I250101 00:00:00 1 node started"), Timestamp: aws.Int64(time.Now().UnixMilli())}}})
	b.must(err)
}

// postPrincipal POSTs staging-aws's configuration again with another
// auth_principal and waits for the enable to fail.
func (b *dtBox) postPrincipal(principal string) {
	b.t.Helper()
	info, err := b.env.Cloud.LogExport(b.ctx, cloudemu.StagingAWSClusterID)
	b.must(err)
	req := info.Spec.Request()
	req.AuthPrincipal = principal
	_, err = b.env.Cloud.EnableLogExport(b.ctx, cloudemu.StagingAWSClusterID, req)
	b.must(err)
	b.waitStatus(cloudemu.StagingAWSClusterID, cloudapi.StatusCredentialsError)
}

// dtCausedBy checks that a finding follows from exactly the given checks,
// in the report and in its JSON document.
func dtCausedBy(t *testing.T, r *DoctorReport, check string, causes ...string) Finding {
	t.Helper()
	fd := r.Finding(check)
	if !slices.Equal(fd.CausedBy, causes) {
		t.Fatalf("%s caused_by = %v, want %v (%s: %s)", check, fd.CausedBy, causes, fd.Severity, fd.Summary)
	}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []struct {
			Check    string   `json:"check"`
			CausedBy []string `json:"caused_by"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	ids := map[string][]string{}
	for _, f := range doc.Findings {
		ids[f.Check] = f.CausedBy
	}
	if !slices.Equal(ids[check], causes) {
		t.Fatalf("JSON: %s caused_by = %v, want %v", check, ids[check], causes)
	}
	for _, c := range causes {
		if got, ok := ids[c]; !ok || len(got) != 0 {
			t.Fatalf("JSON: the cause %s is missing or follows from %v itself", c, got)
		}
	}
	return fd
}

// dtConsequence checks that a finding is reported as a consequence of the
// given checks, not as an error of its own.
func dtConsequence(t *testing.T, r *DoctorReport, check string, causes ...string) Finding {
	t.Helper()
	fd := dtCausedBy(t, r, check, causes...)
	if fd.Severity != SeverityInfo || !strings.HasPrefix(fd.Summary, "follows from "+strings.Join(causes, ", ")+": ") {
		t.Fatalf("%s is %s %q, want info following from %v", check, fd.Severity, fd.Summary, causes)
	}
	return fd
}

// waitStatus polls the export until it has status want.
func (b *dtBox) waitStatus(clusterID string, want cloudapi.Status) cloudapi.LogExportInfo {
	b.t.Helper()
	for {
		info, err := b.env.Cloud.LogExport(b.ctx, clusterID)
		b.must(err)
		if info.Status == want {
			return info
		}
		if b.ctx.Err() != nil {
			b.t.Fatalf("export of %s stayed %s (%s), want %s", clusterID, info.Status, info.UserMessage, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dtErrors lists the checks reported as errors.
func dtErrors(r *DoctorReport) []string {
	var out []string
	for _, fd := range r.Findings {
		if fd.Severity == SeverityError {
			out = append(out, fd.Check)
		}
	}
	return out
}

// dtAllOK fails unless every check is ok.
func dtAllOK(t *testing.T, r *DoctorReport) {
	t.Helper()
	for _, fd := range r.Findings {
		if fd.Severity != SeverityOK {
			t.Errorf("%s is %s: %s\n  detail: %s\n  evidence: %s", fd.Check, fd.Severity, fd.Summary, fd.Detail, fd.Evidence)
		}
	}
	if !r.OK {
		t.Errorf("report not OK")
	}
}

// dtOnly checks that exactly the given checks are errors.
func dtOnly(t *testing.T, r *DoctorReport, want ...string) {
	t.Helper()
	got := dtErrors(r)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		for _, id := range got {
			fd := r.Finding(id)
			t.Logf("%s: %s\n  detail: %s\n  evidence: %s", id, fd.Summary, fd.Detail, fd.Evidence)
		}
		t.Fatalf("error findings = %v, want %v", got, want)
	}
}

// dtFinding checks one finding's severity, that its evidence quotes
// each of quotes, and whether it is fixable.
func dtFinding(t *testing.T, r *DoctorReport, check string, sev Severity, fixable bool, quotes ...string) Finding {
	t.Helper()
	fd := r.Finding(check)
	if fd.Severity != sev {
		t.Fatalf("%s is %s (%s; %s), want %s", check, fd.Severity, fd.Summary, fd.Detail, sev)
	}
	for _, q := range quotes {
		if !strings.Contains(fd.Evidence, q) {
			t.Errorf("%s evidence does not quote %q:\n%s", check, q, fd.Evidence)
		}
	}
	if fd.Fixable != fixable {
		t.Errorf("%s fixable = %v, want %v (fix: %s)", check, fd.Fixable, fixable, fd.Fix)
	}
	if fd.Summary == "" || (sev != SeverityOK && fd.Fix == "") {
		t.Errorf("%s has no summary or no fix: %+v", check, fd)
	}
	return fd
}

func dtKinds(p *FixPlan) []FixKind {
	var out []FixKind
	for _, x := range p.Fixes {
		out = append(out, x.Kind)
	}
	return out
}
