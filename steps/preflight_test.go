package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// An update that keeps a configuration the role's trust no longer lets in
// (someone changed the external ID the trust requires): the plan's POST is
// a pre-flight conflict naming trust-external-id and its fix, and applying
// it sends nothing.
func TestPreflightStopsAnUpdateThatWouldFailToAssumeTheRole(t *testing.T) {
	ctx := context.Background()
	env, sb := lifecycleEnv(t, 0)
	setUp(t, env, SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	role := DefaultRoleNameFor(cloudemu.StagingAWSClusterName, cloudemu.StagingAWSClusterID)
	if err := awsiam.UpdateTrust(ctx, env.AWS.IAM, role, awsiam.TrustPolicy(cloudemu.StagingAWSAccountID, "someone-elses-id")); err != nil {
		t.Fatal(err)
	}
	plan, err := PrepareUpdate(ctx, env, UpdateInput{Cluster: cloudemu.StagingAWSClusterName, Edit: SpecEdit{Redact: cloudapi.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	s := plan.Step(StepEnable)
	if s.Action != Conflict || !strings.Contains(s.Summary, "pre-flight") || !strings.Contains(s.Summary, CheckTrustExternalID) {
		t.Fatalf("step 10 = %+v", s)
	}
	if details := strings.Join(s.Details, "\n"); !strings.Contains(details, "someone-elses-id") || !strings.Contains(details, "Fix: ") {
		t.Fatalf("the conflict does not quote the trust and the fix:\n%s", details)
	}
	before := sb.Cloud.Controls().Stats().ByOperation["cloud:EnableLogExport"]
	if _, err := ApplyUpdate(ctx, env, plan, fastUpdate, nil); err == nil {
		t.Fatal("a pre-flight conflict was applied")
	}
	if after := sb.Cloud.Controls().Stats().ByOperation["cloud:EnableLogExport"]; after != before {
		t.Fatalf("the configuration was POSTed (%d → %d)", before, after)
	}
}

// Setup of an export in force whose role has a permissions boundary that
// denies the logs actions: the POST the plan would send is a pre-flight
// conflict naming the boundary.
func TestPreflightStopsASetupTheBoundaryWouldRefuse(t *testing.T) {
	ctx := context.Background()
	env, _ := lifecycleEnv(t, 0)
	setUp(t, env, SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	guard, err := awsiam.EnsurePolicy(ctx, env.AWS.IAM, awsiam.PolicySpec{Account: sandboxAccount, Name: "OnlySTS",
		Document: &awsiam.PolicyDocument{Version: awsiam.PolicyVersion, Statement: []awsiam.Statement{{Effect: awsiam.EffectAllow, Action: awsiam.StringList{"sts:*"}, Resource: awsiam.StringList{"*"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	role := DefaultRoleNameFor(cloudemu.StagingAWSClusterName, cloudemu.StagingAWSClusterID)
	if _, err := env.AWS.IAM.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String(role), PermissionsBoundary: aws.String(guard.ARN)}); err != nil {
		t.Fatal(err)
	}
	plan, err := PrepareSetup(ctx, env, SetupInput{Cluster: cloudemu.StagingAWSClusterName, Redact: cloudapi.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	s := plan.Step(StepEnable)
	if s.Action != Conflict || !strings.Contains(s.Summary, CheckPermissionsBoundary) {
		t.Fatalf("step 10 = %+v", s)
	}
	if _, err := ApplySetup(ctx, env, plan, SetupOptions{Watch: fastWatch}, nil); err == nil {
		t.Fatal("a pre-flight conflict was applied")
	}
}

// A healthy configuration passes the pre-flight: a plain update plans its
// POST as a change.
func TestPreflightLetsAHealthyUpdateThrough(t *testing.T) {
	ctx := context.Background()
	env, _ := lifecycleEnv(t, 0)
	setUp(t, env, SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	plan, err := PrepareUpdate(ctx, env, UpdateInput{Cluster: cloudemu.StagingAWSClusterName, Edit: SpecEdit{Redact: cloudapi.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	if s := plan.Step(StepEnable); s.Action != WillChange {
		t.Fatalf("step 10 = %+v", s)
	}
}
