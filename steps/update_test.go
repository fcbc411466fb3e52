package steps

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

const sandboxAccount = "314159265358"

var fastUpdate = UpdateOptions{Watch: fastWatch, StreamTimeout: 10 * time.Second}

func TestUpdateToNewLogGroupCreatesItAndExtendsThePolicy(t *testing.T) {
	ctx := context.Background()
	env, _ := lifecycleEnv(t, 0)
	setup := setUp(t, env, SetupInput{Cluster: cloudemu.ProdAWSClusterName})

	plan, err := PrepareUpdate(ctx, env, UpdateInput{Cluster: cloudemu.ProdAWSClusterName, Edit: SpecEdit{LogGroup: "crdb-prod-v2"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Diff) != 1 || plan.Diff[0].Field != "log_name" || plan.Diff[0].New != "crdb-prod-v2" {
		t.Fatalf("diff = %v", plan.Diff)
	}
	lg := plan.Step(StepLogGroup)
	if lg.Action != Create || len(lg.Items) != 3 || slices.ContainsFunc(lg.Items, func(it PlanItem) bool { return it.Action != Create }) {
		t.Fatalf("log group step = %+v, want a creation in each of the 3 regions", lg)
	}
	if s := plan.Step(StepPermissions); s.Action != WillChange || plan.PolicyARN != setup.PolicyARN {
		t.Fatalf("permissions step = %+v (policy %s), want a new version of %s", s, plan.PolicyARN, setup.PolicyARN)
	}
	if s := plan.Step(StepEnable); s.Action != WillChange || !plan.Changes() || len(plan.Conflicts()) != 0 {
		t.Fatalf("enable step = %+v", s)
	}

	res, err := ApplyUpdate(ctx, env, plan, fastUpdate, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != cloudapi.StatusEnabled || res.Spec.LogName != "crdb-prod-v2" {
		t.Fatalf("result %s, log_name %s: %s", res.Status, res.Spec.LogName, res.UserMessage)
	}
	if len(res.Created) != 3 || !slices.ContainsFunc(res.Changed, func(c string) bool { return strings.HasPrefix(c, setup.PolicyARN+" v") }) {
		t.Fatalf("created %v, changed %v", res.Created, res.Changed)
	}
	if len(res.Streams) != 3 {
		t.Fatalf("streams = %+v", res.Streams)
	}
	for _, s := range res.Streams {
		if s.Streams == 0 || s.LogGroup != "crdb-prod-v2" {
			t.Errorf("no streams in %s %s: %+v", s.Region, s.LogGroup, s)
		}
	}

	// AWS holds what the plan said, and the journal knows the tool made it.
	j, err := env.Journals.Open(cloudemu.ProdAWSClusterID, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, region := range cloudemu.ProdAWSRegions() {
		st, err := awsiam.InspectLogGroup(ctx, env.AWS.LogsFor(region), "crdb-prod-v2")
		if err != nil || !st.Exists || st.RetentionDays == nil || *st.RetentionDays != DefaultRetentionDays {
			t.Errorf("log group in %s: %+v, %v", region, st, err)
		}
		if !j.Owns(KindLogGroup, "crdb-prod-v2", region) {
			t.Errorf("journal does not record crdb-prod-v2 in %s as created", region)
		}
	}
	if j.Settings["log_group"] != "crdb-prod-v2" {
		t.Errorf("journal log_group = %q", j.Settings["log_group"])
	}
	// Make before break: a version granting both groups while the new
	// configuration was tried, then one granting only the new group.
	pol, err := awsiam.InspectPolicy(ctx, env.AWS.IAM, setup.PolicyARN)
	if err != nil || pol.VersionCount != 3 || !strings.Contains(pol.Document.JSON(), "log-group:crdb-prod-v2:*") || strings.Contains(pol.Document.JSON(), "log-group:crdb-prod-aws:*") {
		t.Fatalf("policy after update: %+v, %v\n%s", pol, err, pol.Document.JSON())
	}
	if !slices.ContainsFunc(res.Changed, func(c string) bool { return strings.Contains(c, "narrowed") }) {
		t.Fatalf("changed %v: the policy was not narrowed after ENABLED", res.Changed)
	}

	// The same update again has nothing to do.
	again, err := PrepareUpdate(ctx, env, UpdateInput{Cluster: cloudemu.ProdAWSClusterName, Edit: SpecEdit{LogGroup: "crdb-prod-v2"}})
	if err != nil {
		t.Fatal(err)
	}
	if again.Changes() || len(again.Diff) != 0 {
		t.Fatalf("second plan changes things: diff %v, steps %+v", again.Diff, again.Steps)
	}
	res, err = ApplyUpdate(ctx, env, again, fastUpdate, nil)
	if err != nil || len(res.Created) != 0 || len(res.Changed) != 0 || res.Status != cloudapi.StatusEnabled {
		t.Fatalf("second apply: %+v, %v", res, err)
	}
}

func TestUpdateRedactOnlyKeepsGroupsAndOmittedChannels(t *testing.T) {
	ctx := context.Background()
	env, _ := lifecycleEnv(t, 0)
	setUp(t, env, SetupInput{Cluster: cloudemu.StagingAWSClusterName})

	omit := []string{"SQL_PERF", "SQL_EXEC"}
	audit, err := ParseGroup("crdb-staging-audit=SENSITIVE_ACCESS,USER_ADMIN:WARNING:redact")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := PrepareUpdate(ctx, env, UpdateInput{Cluster: cloudemu.StagingAWSClusterName, Edit: SpecEdit{OmitChannels: &omit, Groups: []cloudapi.LogExportGroup{audit}}})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Step(StepLogGroup).Action != Create || plan.Step(StepPermissions).Action != WillChange {
		t.Fatalf("a new group needs its log group and permissions: %+v", plan.Steps)
	}
	if _, err := ApplyUpdate(ctx, env, plan, fastUpdate, nil); err != nil {
		t.Fatal(err)
	}
	before, err := env.Cloud.LogExport(ctx, cloudemu.StagingAWSClusterID)
	if err != nil || len(before.Spec.Groups) != 1 || len(before.Spec.OmittedChannels) != 2 {
		t.Fatalf("after the first update: %+v, %v", before.Spec, err)
	}

	plan, err = PrepareUpdate(ctx, env, UpdateInput{Cluster: cloudemu.StagingAWSClusterName, Edit: SpecEdit{Redact: cloudapi.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Diff) != 1 || plan.Diff[0].Field != "redact" {
		t.Fatalf("diff = %v, want only redact", plan.Diff)
	}
	if plan.Step(StepLogGroup).Action != ExistsOK || plan.Step(StepPermissions).Action != ExistsOK {
		t.Fatalf("a redact change needs nothing in AWS: %+v", plan.Steps)
	}
	res, err := ApplyUpdate(ctx, env, plan, fastUpdate, nil)
	if err != nil || res.Status != cloudapi.StatusEnabled {
		t.Fatalf("apply: %+v, %v", res, err)
	}
	after, err := env.Cloud.LogExport(ctx, cloudemu.StagingAWSClusterID)
	if err != nil {
		t.Fatal(err)
	}
	want := before.Spec.Request().Spec()
	want.Redact = cloudapi.Bool(true)
	if !cloudapi.SpecsEqual(after.Spec, want) {
		t.Fatalf("read back after the redact update:\n got %+v\nwant %+v", after.Spec, want)
	}
	if g := after.Spec.Groups; len(g) != 1 || g[0].MinLevel != cloudapi.LevelWarning || g[0].Redact == nil || !*g[0].Redact {
		t.Fatalf("group lost its settings: %+v", g)
	}
}

func TestUpdateRefusals(t *testing.T) {
	ctx := context.Background()
	env, sb := lifecycleEnv(t, 0)
	stepOf := func(err error) string {
		t.Helper()
		se, ok := AsStepError(err)
		if !ok {
			t.Fatalf("error %v is not a StepError", err)
		}
		return se.Step
	}

	// nothing configured: nothing to update
	_, err := PrepareUpdate(ctx, env, UpdateInput{Cluster: cloudemu.StagingAWSClusterName, Edit: SpecEdit{Redact: cloudapi.Bool(true)}})
	if !errors.Is(err, errNoExport) || !strings.Contains(err.(*StepError).Fix, "setup") {
		t.Fatalf("unconfigured cluster: %v", err)
	}

	setup := setUp(t, env, SetupInput{Cluster: cloudemu.ProdAWSClusterName})

	// a policy ARN where the role ARN belongs: named, with the role it is attached to
	_, err = PrepareUpdate(ctx, env, UpdateInput{Cluster: cloudemu.ProdAWSClusterName, Edit: SpecEdit{RoleARN: setup.PolicyARN}})
	if stepOf(err) != StepRoleARN || !strings.Contains(err.(*StepError).Fix, setup.RoleARN) {
		t.Fatalf("policy ARN: %v (fix %q)", err, err.(*StepError).Fix)
	}

	// invalid configurations never reach the API
	for _, edit := range []SpecEdit{
		{Channels: []string{"TELEMETRY"}},
		{Groups: []cloudapi.LogExportGroup{{LogName: "a", Channels: []string{"OPS"}, EnableSendingQueue: cloudapi.Bool(true)}, {LogName: "b", Channels: []string{"HEALTH"}, EnableSendingQueue: cloudapi.Bool(true)}}},
		{RoleARN: "arn:aws:iam::" + sandboxAccount + ":user/alice"},
	} {
		if _, err := PrepareUpdate(ctx, env, UpdateInput{Cluster: cloudemu.ProdAWSClusterName, Edit: edit}); err == nil {
			t.Errorf("edit %+v accepted", edit)
		}
	}

	// a role that trusts the wrong account is a conflict, and applying changes nothing
	wrong := awsiam.TrustPolicy(sandboxAccount, "")
	if _, err := awsiam.EnsureRole(ctx, env.AWS.IAM, awsiam.RoleSpec{Name: "WrongTrust", Trust: wrong}); err != nil {
		t.Fatal(err)
	}
	plan, err := PrepareUpdate(ctx, env, UpdateInput{Cluster: cloudemu.ProdAWSClusterName, Edit: SpecEdit{RoleARN: "arn:aws:iam::" + sandboxAccount + ":role/WrongTrust", LogGroup: "crdb-other"}})
	if err != nil {
		t.Fatal(err)
	}
	if c := plan.Conflicts(); len(c) != 1 || c[0].ID != StepRoleARN || !strings.Contains(c[0].Summary, cloudemu.ProdAWSAccountID) {
		t.Fatalf("conflicts = %+v", c)
	}
	if _, err := ApplyUpdate(ctx, env, plan, fastUpdate, nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("apply with a conflict: %v", err)
	}
	if st, _ := awsiam.InspectLogGroup(ctx, env.AWS.LogsFor("us-east-1"), "crdb-other"); st.Exists {
		t.Fatal("a conflicting plan created a log group")
	}

	// a role whose (hand-made) policies do not cover the new log group: the
	// tool does not edit a policy it did not write
	prodSpec, err := env.Cloud.LogExport(ctx, cloudemu.ProdAWSClusterID)
	if err != nil {
		t.Fatal(err)
	}
	trust := awsiam.TrustPolicy(cloudemu.ProdAWSAccountID, prodSpec.Spec.AWSExternalID)
	if _, err := awsiam.EnsureRole(ctx, env.AWS.IAM, awsiam.RoleSpec{Name: "HandMade", Trust: trust}); err != nil {
		t.Fatal(err)
	}
	hand, err := awsiam.EnsurePolicy(ctx, env.AWS.IAM, awsiam.PolicySpec{Account: sandboxAccount, Name: "HandPolicy",
		Document: awsiam.PermissionPolicy(awsiam.PermissionSpec{Account: sandboxAccount, LogGroups: []string{"crdb-prod-aws"}})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := awsiam.AttachPolicy(ctx, env.AWS.IAM, "HandMade", hand.ARN); err != nil {
		t.Fatal(err)
	}
	edit := SpecEdit{RoleARN: "arn:aws:iam::" + sandboxAccount + ":role/HandMade"}
	plan, err = PrepareUpdate(ctx, env, UpdateInput{Cluster: cloudemu.ProdAWSClusterName, Edit: edit})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Conflicts()) != 0 || plan.Step(StepRoleARN).Action != WillChange || plan.Step(StepPermissions).Action != ExistsOK {
		t.Fatalf("switching to a sufficient hand-made role: %+v", plan.Steps)
	}
	edit.LogGroup = "crdb-prod-elsewhere"
	plan, err = PrepareUpdate(ctx, env, UpdateInput{Cluster: cloudemu.ProdAWSClusterName, Edit: edit})
	if err != nil {
		t.Fatal(err)
	}
	if c := plan.Conflicts(); len(c) != 1 || c[0].ID != StepPermissions || !strings.Contains(c[0].Summary, "none of its attached policies was made by this tool for this cluster") {
		t.Fatalf("conflicts = %+v", c)
	}

	// policies this identity may not read do not block a change that needs
	// nothing new from them; the plan says they were not checked
	sb.AWS.Controls().InjectFault(knobs.Fault{Op: "iam:ListAttachedRolePolicies", Status: 403, Code: "AccessDenied", Times: -1})
	plan, err = PrepareUpdate(ctx, env, UpdateInput{Cluster: cloudemu.ProdAWSClusterName, Edit: SpecEdit{Redact: cloudapi.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	if s := plan.Step(StepPermissions); len(plan.Conflicts()) != 0 || s.Action != Info || !strings.Contains(s.Summary, "AccessDenied") {
		t.Fatalf("unreadable policies: %+v", plan.Steps)
	}
}

func TestUpdateAdoptsTheExternalIDANewRoleRequires(t *testing.T) {
	ctx := context.Background()
	env, _ := lifecycleEnv(t, 0)
	setup := setUp(t, env, SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	trust := awsiam.TrustPolicy(cloudemu.StagingAWSAccountID, "their-own-id")
	if _, err := awsiam.EnsureRole(ctx, env.AWS.IAM, awsiam.RoleSpec{Name: "Theirs", Trust: trust}); err != nil {
		t.Fatal(err)
	}
	if _, err := awsiam.AttachPolicy(ctx, env.AWS.IAM, "Theirs", setup.PolicyARN); err != nil {
		t.Fatal(err)
	}
	plan, err := PrepareUpdate(ctx, env, UpdateInput{Cluster: cloudemu.StagingAWSClusterName, Edit: SpecEdit{RoleARN: "arn:aws:iam::" + sandboxAccount + ":role/Theirs"}})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Desired.AWSExternalID != "their-own-id" || len(plan.Conflicts()) != 0 {
		t.Fatalf("external ID %q, conflicts %+v", plan.Desired.AWSExternalID, plan.Conflicts())
	}
	fields := map[string]bool{}
	for _, d := range plan.Diff {
		fields[d.Field] = true
	}
	if !fields["auth_principal"] || !fields["aws_external_id"] || len(fields) != 2 {
		t.Fatalf("diff = %v", plan.Diff)
	}
	res, err := ApplyUpdate(ctx, env, plan, fastUpdate, nil)
	if err != nil || res.Status != cloudapi.StatusEnabled || res.Spec.AWSExternalID != "their-own-id" {
		t.Fatalf("apply: %+v, %v", res, err)
	}
}

func TestUpdateRetryDecisionAfterAPolicyChange(t *testing.T) {
	ctx := context.Background()
	env, _ := lifecycleEnv(t, 0)
	setUp(t, env, SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	p, err := PrepareUpdate(ctx, env, UpdateInput{Cluster: cloudemu.StagingAWSClusterName, Edit: SpecEdit{Redact: cloudapi.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	var numbers []int
	for _, s := range p.Steps {
		numbers = append(numbers, s.Number)
	}
	if !slices.IsSorted(numbers) {
		t.Fatalf("plan steps out of the documented order: %v", numbers)
	}
	j, err := env.Journals.Open(cloudemu.StagingAWSClusterID, "")
	if err != nil {
		t.Fatal(err)
	}
	denied := cloudapi.StatusEvent{Done: true, Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnableFailed,
		UserMessage: "unable to export logs to us-east-2: AccessDeniedException: User: arn:aws:sts::314159265358:assumed-role/R/s is not authorized to perform: logs:CreateLogStream"}}
	limit := 2 * time.Minute

	// the policy changed moments ago and now allows everything: wait, then retry
	wait, why, retry := p.retryAfterFailure(ctx, env, j, denied, 0, limit, 0, env.now())
	if !retry || wait != 5*time.Second || !strings.Contains(why, "propagated") {
		t.Fatalf("fresh policy change: retry=%v wait=%v why=%q", retry, wait, why)
	}
	// the wait never goes past the limit
	if wait, _, retry := p.retryAfterFailure(ctx, env, j, denied, limit-2*time.Second, limit, 4, env.now()); !retry || wait != 2*time.Second {
		t.Fatalf("near the limit: retry=%v wait=%v", retry, wait)
	}
	// no policy change in this run: the failure is real
	if _, why, retry := p.retryAfterFailure(ctx, env, j, denied, 0, limit, 0, time.Time{}); retry || !strings.Contains(why, "doctor") {
		t.Fatalf("no policy change: retry=%v why=%q", retry, why)
	}
	// the policies do not cover what is needed: retrying cannot help
	p.LogGroups = []string{"not-covered"}
	if _, why, retry := p.retryAfterFailure(ctx, env, j, denied, 0, limit, 0, env.now()); retry || !strings.Contains(why, "still do not allow") {
		t.Fatalf("uncovered group: retry=%v why=%q", retry, why)
	}
	// an assume-role failure of the role setup just created: IAM propagation
	assume := cloudapi.StatusEvent{Done: true, Info: cloudapi.LogExportInfo{Status: cloudapi.StatusCredentialsError,
		UserMessage: "unable to assume role arn:aws:iam::314159265358:role/CockroachCloudLogExportRole: AccessDenied"}}
	if _, why, retry := p.retryAfterFailure(ctx, env, j, assume, 0, limit, 0, time.Time{}); !retry {
		t.Fatalf("young role: no retry (%s)", why)
	}
}
