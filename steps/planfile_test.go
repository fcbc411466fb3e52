package steps

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// dryRun is env as a --dry-run command builds it: it takes no lock.
func dryRun(env *Env) *Env {
	d := *env
	d.DryRun = true
	return &d
}

// A setup planned with --dry-run --plan-file and applied from the file:
// the file holds the input, the prior state and the changes, no secret;
// applied unchanged, the export ends ENABLED.
func TestSavedSetupPlanAppliesExactlyWhenNothingChanged(t *testing.T) {
	ctx := context.Background()
	env, sb := lifecycleEnv(t, 0)
	in := SetupInput{Cluster: cloudemu.ProdAWSClusterName}
	p, err := Prepare(ctx, dryRun(env), in)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := WritePlanFile(path, p.Saved(in, time.Now())); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("the plan file has mode %o", fi.Mode().Perm())
	}
	if strings.Contains(string(b), sb.APIKey) || strings.Contains(string(b), sb.SecretAccessKey) {
		t.Fatal("the plan file holds a secret")
	}
	for _, want := range []string{`"format": "crdb-logexport-plan"`, `"procedure": "setup"`, `"resource": "role CockroachCloudLogExportRole-prod-aws"`, `"state": "absent"`, `"action": "create"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the plan file lacks %s", want)
		}
	}
	sp, err := ReadPlanFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fresh, _, _, err := sp.Replan(ctx, env, time.Now())
	if err != nil {
		t.Fatalf("an unchanged plan was refused: %v", err)
	}
	if fresh.ExternalID != p.ExternalID || fresh.ExternalID == "" {
		t.Fatalf("the external ID changed between plan and apply: %q → %q", p.ExternalID, fresh.ExternalID)
	}
	res, err := Apply(ctx, env, fresh, ApplyOptions{Watch: fastWatch, StreamTimeout: 10 * time.Second}, nil)
	if err != nil || res.Status != cloudapi.StatusEnabled {
		t.Fatalf("apply: %+v, %v", res, err)
	}
}

// The live state drifts between the plan and its apply — someone makes
// the role the plan would create — and the saved plan is refused, naming
// the role; nothing is changed.
func TestSavedPlanRefusedOnDrift(t *testing.T) {
	ctx := context.Background()
	env, _ := lifecycleEnv(t, 0)
	in := SetupInput{Cluster: cloudemu.ProdAWSClusterName}
	p, err := Prepare(ctx, dryRun(env), in)
	if err != nil {
		t.Fatal(err)
	}
	sp := p.Saved(in, time.Now())
	role := DefaultRoleNameFor(cloudemu.ProdAWSClusterName, cloudemu.ProdAWSClusterID)
	if _, err := env.AWS.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(awsiam.TrustPolicy(cloudemu.ProdAWSAccountID, "").JSON())}); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = sp.Replan(ctx, env, time.Now())
	var drift *DriftError
	if !errors.As(err, &drift) {
		t.Fatalf("err = %v, want a DriftError", err)
	}
	if !strings.Contains(err.Error(), "role "+role+": was absent; now trust") {
		t.Fatalf("the refusal does not name the role's change:\n%v", err)
	}
	st, _ := awsiam.InspectLogGroup(ctx, env.AWS.LogsFor("us-east-1"), "crdb-prod-aws")
	if st.Exists {
		t.Fatal("a refused plan changed something")
	}
}

// An update plan whose export was changed by someone else meanwhile is
// refused; a disable plan that still holds applies.
func TestSavedUpdateAndDisablePlans(t *testing.T) {
	ctx := context.Background()
	env, _ := lifecycleEnv(t, 0)
	setUp(t, env, SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	up := UpdateInput{Cluster: cloudemu.StagingAWSClusterName, Edit: SpecEdit{Redact: cloudapi.Bool(true)}}
	p, err := PrepareUpdate(ctx, dryRun(env), up)
	if err != nil {
		t.Fatal(err)
	}
	sp := p.Saved(up, time.Now())
	// someone else changes the export's channels meanwhile
	other := UpdateInput{Cluster: cloudemu.StagingAWSClusterName, Edit: SpecEdit{OmitChannels: &[]string{"SQL_PERF"}}}
	op, err := PrepareUpdate(ctx, env, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ApplyUpdate(ctx, env, op, fastUpdate, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := sp.Replan(ctx, env, time.Now()); !errors.Is(err, ErrPlanDrift) || !strings.Contains(err.Error(), "export of staging-aws") {
		t.Fatalf("err = %v, want drift naming the export", err)
	}

	dis := DisableInput{Cluster: cloudemu.StagingAWSClusterName, Cleanup: true}
	dp, err := PrepareDisable(ctx, dryRun(env), dis)
	if err != nil {
		t.Fatal(err)
	}
	_, _, fresh, err := dp.Saved(dis, time.Now()).Replan(ctx, env, time.Now())
	if err != nil {
		t.Fatalf("an unchanged disable plan was refused: %v", err)
	}
	if res, err := ApplyDisable(ctx, env, fresh, fastDisable, nil); err != nil || res.Status != cloudapi.StatusDisabled || len(res.Removed) == 0 {
		t.Fatalf("apply: %+v, %v", res, err)
	}
}

// Apply leaves the plan it was given as it was: it is data the caller may
// show, save or compare again. What the run learns is on the result's copy.
func TestApplyDoesNotChangeThePlan(t *testing.T) {
	ctx := context.Background()
	env, _ := lifecycleEnv(t, 0)
	p, err := Prepare(ctx, env, SetupInput{Cluster: cloudemu.StagingAWSClusterName, RoleName: "RoleForThisTest"})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := json.Marshal(p)
	res, err := Apply(ctx, env, p, ApplyOptions{NoWait: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := json.Marshal(p); string(after) != string(before) {
		t.Fatalf("Apply changed the plan:\nbefore %s\nafter  %s", before, after)
	}
	if res.Plan == p || res.Plan.RoleARN == "" || !strings.HasSuffix(res.RoleARN, "/RoleForThisTest") {
		t.Fatalf("the result's plan: %+v", res.Plan)
	}
	// The result lists each step carried out, typed: its action and what
	// it did.
	got := map[string]AppliedStep{}
	for _, s := range res.Steps {
		got[s.Step] = s
	}
	if len(res.Steps) != 10 || got[StepRole].Action != Create || !strings.Contains(got[StepRole].Summary, "RoleForThisTest") || got[StepCluster].Action != Info {
		t.Fatalf("applied steps: %+v", res.Steps)
	}
}
