package tfexport

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
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

// The sandbox's AWS account (the caller's; it owns the roles and policies).
const sandboxAccount = "314159265358"

// goldenExternalID replaces the generated external ID, so the files are
// the same on every run.
const goldenExternalID = "golden-external-id-0001"

var fastWatch = cloudapi.WatchOptions{Schedule: func(time.Duration) time.Duration { return 50 * time.Millisecond }}

// testEnv starts a sandbox whose exports enable quickly, and the clients
// the tool would build for it.
func testEnv(t *testing.T) (*steps.Env, *sandbox.Env) {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{Timings: &cloudemu.Timings{
		EnableAfter: 100 * time.Millisecond, DisableAfter: 100 * time.Millisecond,
		IAMPropagation: time.Nanosecond, EventInterval: time.Hour,
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sb.Close(ctx)
	})
	cloud, err := cloudapi.New(cloudapi.Options{BaseURL: sb.CloudURL, APIKey: sb.APIKey})
	if err != nil {
		t.Fatal(err)
	}
	clients := awsiam.NewClients(aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(sb.AWSURL),
		Credentials:  credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, ""),
	})
	return &steps.Env{Cloud: cloud, AWS: clients, Journals: steps.JournalStore{Dir: filepath.Join(t.TempDir(), "journals")}}, sb
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// setUp runs the tool's own setup and requires ENABLED.
func setUp(t *testing.T, env *steps.Env, in steps.SetupInput) {
	t.Helper()
	ctx := testCtx(t)
	p, err := steps.PrepareSetup(ctx, env, in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := steps.ApplySetup(ctx, env, p, steps.SetupOptions{Watch: fastWatch, StreamTimeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != cloudapi.StatusEnabled {
		t.Fatalf("setup of %s ended %s: %s", in.Cluster, res.Status, res.UserMessage)
	}
}

// update runs the tool's own update and requires ENABLED.
func update(t *testing.T, env *steps.Env, in steps.UpdateInput) {
	t.Helper()
	ctx := testCtx(t)
	p, err := steps.PrepareUpdate(ctx, env, in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := steps.ApplyUpdate(ctx, env, p, steps.UpdateOptions{Watch: fastWatch, StreamTimeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != cloudapi.StatusEnabled {
		t.Fatalf("update of %s ended %s: %s", in.Cluster, res.Status, res.UserMessage)
	}
}

// prodSetup is the prod-aws golden case: the tool's setup in three
// regions with an external ID, then an update adding two groups.
func prodSetup(t *testing.T, env *steps.Env) {
	setUp(t, env, steps.SetupInput{Cluster: cloudemu.ProdAWSClusterName, ExternalID: goldenExternalID,
		OmitChannels: []string{"SQL_PERF", "SQL_EXEC"}, Redact: cloudapi.Bool(true)})
	update(t, env, steps.UpdateInput{Cluster: cloudemu.ProdAWSClusterName, Edit: steps.SpecEdit{Groups: []cloudapi.LogExportGroup{
		{LogName: "crdb-prod-aws-sql", Channels: []string{"SQL_SCHEMA", "PRIVILEGES"}, MinLevel: cloudapi.LevelWarning, Redact: cloudapi.Bool(false)},
		{LogName: "crdb-prod-aws-ops", Channels: []string{"OPS", "HEALTH", "STORAGE"}},
	}}})
}

// cloudPost sends a request to the Cloud emulator the way a person with
// curl would, not through the tool's client.
func cloudPost(t *testing.T, sb *sandbox.Env, path string, body any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, sb.CloudURL+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+sb.APIKey)
	req.Header.Set("Cc-Version", cloudapi.APIVersion)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, out)
	}
}

// waitEnabled polls the export until it is ENABLED.
func waitEnabled(t *testing.T, env *steps.Env, clusterID string) {
	t.Helper()
	if st := waitTerminal(t, env, clusterID); st != cloudapi.StatusEnabled {
		t.Fatalf("hand-made export ended %s", st)
	}
}

// waitTerminal polls the export until its status is terminal.
func waitTerminal(t *testing.T, env *steps.Env, clusterID string) cloudapi.Status {
	t.Helper()
	ctx := testCtx(t)
	for {
		info, err := env.Cloud.LogExport(ctx, clusterID)
		if err != nil {
			t.Fatal(err)
		}
		if info.Status.Terminal() {
			return info.Status
		}
		select {
		case <-ctx.Done():
			t.Fatalf("export still %s", info.Status)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func exportFor(t *testing.T, env *steps.Env, cluster string) *Config {
	t.Helper()
	live, err := Read(testCtx(t), env, cluster)
	if err != nil {
		t.Fatal(err)
	}
	return Build(live)
}

func hasLine(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}
