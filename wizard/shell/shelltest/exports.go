package shelltest

import (
	"context"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// SetUp sets up a cluster's export the way `setup --yes` does, for a task
// to start from.
func SetUp(t *testing.T, build Build, in steps.SetupInput) (*steps.Env, *steps.SetupResult) {
	t.Helper()
	ctx := context.Background()
	env, err := build(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if in.ExternalID == "" {
		in.ExternalID = steps.ExternalIDAuto
	}
	p, err := steps.Prepare(ctx, env, in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := steps.Apply(ctx, env, p, FastApply, nil)
	if err != nil || res.Status != cloudapi.StatusEnabled {
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
	if err := awsiam.UpdateTrust(context.Background(), env.AWS.IAM, steps.DefaultRoleName, awsiam.TrustPolicy(Account, "")); err != nil {
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
