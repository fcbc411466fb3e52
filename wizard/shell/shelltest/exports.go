package shelltest

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// SetUp sets up a cluster's export the way `setup --yes` does, for a task
// to start from.
func SetUp(t *testing.T, build Build, in steps.SetupInput) (*steps.Env, *steps.SetupResult) {
	t.Helper()
	return setUp(t, build, in, FastApply)
}

// Enabling sets up a cluster's export the way `setup --yes --no-wait`
// does: it is left ENABLING.
func Enabling(t *testing.T, build Build, in steps.SetupInput) *steps.Env {
	t.Helper()
	noWait := FastApply
	noWait.NoWait = true
	env, _ := setUp(t, build, in, noWait)
	return env
}

func setUp(t *testing.T, build Build, in steps.SetupInput, opts steps.SetupOptions) (*steps.Env, *steps.SetupResult) {
	t.Helper()
	ctx := context.Background()
	env, err := build(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if in.ExternalID == "" {
		in.ExternalID = steps.ExternalIDAuto
	}
	p, err := steps.PrepareSetup(ctx, env, in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := steps.ApplySetup(ctx, env, p, opts, nil)
	if err != nil || !opts.NoWait && res.Status != cloudapi.StatusEnabled {
		t.Fatalf("setting up %s: %v (status %s)", in.Cluster, err, res.Status)
	}
	return env, res
}

// Updated applies an update the way `update --yes` does.
func Updated(t *testing.T, env *steps.Env, cluster string, edit steps.SpecEdit) *steps.UpdateResult {
	t.Helper()
	ctx := context.Background()
	p, err := steps.PrepareUpdate(ctx, env, steps.UpdateInput{Cluster: cluster, Edit: edit})
	if err != nil {
		t.Fatal(err)
	}
	res, err := steps.ApplyUpdate(ctx, env, p, steps.UpdateOptions{Watch: Watch, StreamTimeout: 10 * time.Second}, nil)
	if err != nil || res.Status != cloudapi.StatusEnabled {
		t.Fatalf("updating %s: %v", cluster, err)
	}
	return res
}

// WrongTrust is the mistake the doctor scenarios make: the role trusts
// the caller's own account instead of the cluster's.
var WrongTrust = `"Principal":{"AWS":"arn:aws:iam::` + Account + `:root"}`

// ExportWithWrongTrust sets up staging-aws's export to ENABLED, then makes
// its role trust the caller's own account (the classic mistake) and waits
// for CockroachDB Cloud to notice: the export ends CREDENTIALS_ERROR.
func ExportWithWrongTrust(t *testing.T, build Build) *steps.Env {
	t.Helper()
	env, _ := SetUp(t, build, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName, ExternalID: steps.ExternalIDNone})
	if err := awsiam.UpdateTrust(context.Background(), env.AWS.IAM, StagingRole, awsiam.TrustPolicy(Account, "")); err != nil {
		t.Fatal(err)
	}
	WaitStatus(t, env, cloudemu.StagingAWSClusterID, cloudapi.Status.Failed)
	return env
}

// WaitStatus polls the Cloud API until the export's status satisfies ok.
func WaitStatus(t *testing.T, env *steps.Env, clusterID string, ok func(cloudapi.Status) bool) cloudapi.LogExportInfo {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		info, err := env.Cloud.LogExport(context.Background(), clusterID)
		if err == nil && ok(info.Status) {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("export status %s (%v) never reached the wanted one", info.Status, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Live is the export as the API has it now.
func Live(t *testing.T, env *steps.Env, clusterID string) cloudapi.LogExportInfo {
	t.Helper()
	info, err := env.Cloud.LogExport(context.Background(), clusterID)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// IAM is an IAM client of the sandbox, to make or read what a test needs
// behind the tool's back.
func IAM(sb *sandbox.Env) *iam.Client {
	return iam.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(sb.AWSURL),
		Credentials:  credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, ""),
	})
}

// RoleExists reports whether the sandbox has the role.
func RoleExists(t *testing.T, sb *sandbox.Env, name string) bool {
	t.Helper()
	_, err := IAM(sb).GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	return err == nil
}

// InterruptedJournal reads the cluster's journal after an interruption: it
// must be there and be whole JSON (each save replaces the file at once).
func InterruptedJournal(t *testing.T, store steps.JournalStore, clusterID string) *steps.Journal {
	t.Helper()
	path, err := store.Path(clusterID)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j := new(steps.Journal)
	if err := json.Unmarshal(raw, j); err != nil {
		t.Fatalf("journal is not valid JSON after the interruption: %v", err)
	}
	return j
}
