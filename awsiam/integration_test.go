package awsiam

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/sandbox/awsemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// sandboxBase is where the emulator's clock starts; every reading advances
// it by a second, so resources created one after another have distinct,
// ordered creation times (policy version pruning depends on them).
var sandboxBase = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

type sandbox struct {
	emu     *awsemu.Server
	clients *Clients
	ticks   atomic.Int64
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	sb := &sandbox{}
	sb.emu = awsemu.New(awsemu.Options{
		Controls: knobs.New(),
		Now:      func() time.Time { return sandboxBase.Add(time.Duration(sb.ticks.Add(1)) * time.Second) },
	})
	hs := httptest.NewServer(sb.emu)
	t.Cleanup(hs.Close)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIASANDBOXAWSIAM001", "sandbox-secret", ""),
		BaseEndpoint: aws.String(hs.URL),
		// Injected faults must reach the code under test exactly once.
		Retryer: func() aws.Retryer { return aws.NopRetryer{} },
	}
	// As in the tool, the calls keep under CloudWatch Logs' quotas, which
	// the emulator enforces.
	NewPacer().Install(&cfg)
	sb.clients = NewClients(cfg)
	return sb
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func TestCallerIdentitySandbox(t *testing.T) {
	sb := newSandbox(t)
	id, err := CallerIdentity(testCtx(t), sb.clients.STS)
	must(t, err)
	if id.Account != awsemu.DefaultAccountID {
		t.Errorf("account %q, want %q", id.Account, awsemu.DefaultAccountID)
	}
	if a, err := ParseARN(id.ARN); err != nil || a.AccountID != id.Account {
		t.Errorf("caller ARN %q does not parse into the caller's account: %v", id.ARN, err)
	}
	if id.UserID == "" {
		t.Error("no user ID")
	}
}

func TestEnsureLogGroupSandbox(t *testing.T) {
	sb := newSandbox(t)
	ctx := testCtx(t)
	east := sb.clients.LogsFor("us-east-1")
	if sb.clients.LogsFor("us-east-1") != east {
		t.Error("LogsFor does not reuse the region's client")
	}

	res, err := EnsureLogGroup(ctx, east, "crdb-logs", 30, nil)
	must(t, err)
	if !res.Created || !res.RetentionChanged || res.KMSKeyID != "" {
		t.Errorf("first call: %+v, want created with retention set", res)
	}
	st, err := InspectLogGroup(ctx, east, "crdb-logs")
	must(t, err)
	if !st.Exists || st.RetentionDays == nil || *st.RetentionDays != 30 {
		t.Fatalf("after create: %+v", st)
	}
	if st.ARN != "arn:aws:logs:us-east-1:314159265358:log-group:crdb-logs" {
		t.Errorf("ARN %q", st.ARN)
	}
	tags, err := east.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(st.ARN)})
	must(t, err)
	if tags.Tags[ManagedByTagKey] != ManagedByTagValue {
		t.Errorf("log group tags %v lack %s=%s", tags.Tags, ManagedByTagKey, ManagedByTagValue)
	}

	res, err = EnsureLogGroup(ctx, east, "crdb-logs", 30, nil)
	must(t, err)
	if res.Created || res.RetentionChanged {
		t.Errorf("second call changed something: %+v", res)
	}
	res, err = EnsureLogGroup(ctx, east, "crdb-logs", 0, nil)
	must(t, err)
	if res.Created || res.RetentionChanged {
		t.Errorf("retention 0 must leave the group alone: %+v", res)
	}
	res, err = EnsureLogGroup(ctx, east, "crdb-logs", 90, nil)
	must(t, err)
	if res.Created || !res.RetentionChanged {
		t.Errorf("new retention: %+v", res)
	}
	if st, _ := InspectLogGroup(ctx, east, "crdb-logs"); st.RetentionDays == nil || *st.RetentionDays != 90 {
		t.Errorf("retention now %v, want 90", st.RetentionDays)
	}

	// A group sharing the prefix is not mistaken for the one asked about.
	if st, err := InspectLogGroup(ctx, east, "crdb-log"); err != nil || st.Exists {
		t.Errorf("prefix match: %+v %v", st, err)
	}
	// Log groups are per region.
	west := sb.clients.LogsFor("us-west-2")
	if st, err := InspectLogGroup(ctx, west, "crdb-logs"); err != nil || st.Exists {
		t.Errorf("us-west-2 sees us-east-1's group: %+v %v", st, err)
	}

	if _, err := EnsureLogGroup(ctx, west, "crdb-logs", 31, nil); err == nil || !strings.Contains(err.Error(), "choose one of") {
		t.Errorf("retention 31 accepted: %v", err)
	}
	if _, err := EnsureLogGroup(ctx, west, "bad name", 30, nil); err == nil {
		t.Error("invalid name accepted")
	}
	if st, _ := InspectLogGroup(ctx, west, "crdb-logs"); st.Exists {
		t.Error("a rejected call created the group")
	}

	must(t, DeleteLogGroup(ctx, east, "crdb-logs"))
	must(t, DeleteLogGroup(ctx, east, "crdb-logs"))
	if st, _ := InspectLogGroup(ctx, east, "crdb-logs"); st.Exists {
		t.Error("group still exists after delete")
	}
}

func TestEnsureLogGroupReportsKMSKey(t *testing.T) {
	sb := newSandbox(t)
	ctx := testCtx(t)
	logs := sb.clients.LogsFor("eu-west-1")
	key := "arn:aws:kms:eu-west-1:314159265358:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	_, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("crdb-logs"), KmsKeyId: aws.String(key)})
	must(t, err)
	res, err := EnsureLogGroup(ctx, logs, "crdb-logs", 30, nil)
	must(t, err)
	if res.Created || res.KMSKeyID != key {
		t.Errorf("got %+v, want existing group with KMS key %s", res, key)
	}
}

func TestEnsureRoleSandbox(t *testing.T) {
	sb := newSandbox(t)
	ctx := testCtx(t)
	c := sb.clients.IAM

	st, err := InspectRole(ctx, c, DefaultRoleName)
	if err != nil || st.Exists {
		t.Fatalf("missing role: %+v %v", st, err)
	}

	trust := TrustPolicy(clusterAccount, "ext-1")
	spec := RoleSpec{Name: DefaultRoleName, Description: "CockroachDB Cloud log export", Trust: trust, Tags: map[string]string{"cluster": "prod-aws"}}
	res, err := EnsureRole(ctx, c, spec)
	must(t, err)
	wantARN := "arn:aws:iam::314159265358:role/" + DefaultRoleName
	if !res.Created || res.ARN != wantARN || res.TrustDiffers {
		t.Fatalf("create: %+v", res)
	}

	st, err = InspectRole(ctx, c, DefaultRoleName)
	must(t, err)
	if !st.Exists || st.ARN != wantARN || st.Path != "/" || st.CreateDate.IsZero() {
		t.Errorf("inspect: %+v", st)
	}
	if !Equivalent(st.Trust, trust) {
		t.Errorf("stored trust differs:\n%s", st.TrustRaw)
	}
	if !strings.HasPrefix(st.TrustRaw, "{") {
		t.Errorf("TrustRaw is not decoded: %s", st.TrustRaw)
	}
	if !ManagedByTool(st.Tags) || st.Tags["cluster"] != "prod-aws" {
		t.Errorf("tags %v", st.Tags)
	}

	res, err = EnsureRole(ctx, c, spec)
	must(t, err)
	if res.Created || res.TrustDiffers || res.ARN != wantARN {
		t.Errorf("second call: %+v", res)
	}

	other := TrustPolicy(clusterAccount, "ext-2")
	res, err = EnsureRole(ctx, c, RoleSpec{Name: DefaultRoleName, Trust: other})
	must(t, err)
	if res.Created || !res.TrustDiffers {
		t.Fatalf("different trust: %+v", res)
	}
	if !strings.Contains(res.CurrentTrust, "ext-1") || !strings.Contains(res.WantTrust, "ext-2") {
		t.Errorf("diff sides:\ncurrent %s\nwant %s", res.CurrentTrust, res.WantTrust)
	}
	st, err = InspectRole(ctx, c, DefaultRoleName)
	must(t, err)
	if !Equivalent(st.Trust, trust) {
		t.Fatal("EnsureRole changed an existing role's trust policy")
	}

	must(t, UpdateTrust(ctx, c, DefaultRoleName, other))
	st, err = InspectRole(ctx, c, DefaultRoleName)
	must(t, err)
	if !Equivalent(st.Trust, other) {
		t.Errorf("UpdateTrust did not apply:\n%s", st.TrustRaw)
	}
	if res, err := EnsureRole(ctx, c, RoleSpec{Name: DefaultRoleName, Trust: other}); err != nil || res.TrustDiffers {
		t.Errorf("after update: %+v %v", res, err)
	}

	res, err = EnsureRole(ctx, c, RoleSpec{Name: "PathRole", Path: "/logexport/", Trust: trust})
	must(t, err)
	if res.ARN != "arn:aws:iam::314159265358:role/logexport/PathRole" {
		t.Errorf("role with path: %s", res.ARN)
	}

	if _, err := EnsureRole(ctx, c, RoleSpec{Name: "bad/name", Trust: trust}); err == nil {
		t.Error("invalid role name accepted")
	}
}

func TestEnsurePolicySandbox(t *testing.T) {
	sb := newSandbox(t)
	ctx := testCtx(t)
	c := sb.clients.IAM

	doc := func(groups ...string) *PolicyDocument {
		return PermissionPolicy(PermissionSpec{Account: ownAccount, LogGroups: groups, Regions: []string{"us-east-1", "us-west-2", "eu-west-1"}})
	}
	spec := PolicySpec{Account: ownAccount, Name: DefaultPolicyName, Description: "log export", Document: doc("crdb-logs")}
	wantARN := PolicyARN(ownAccount, DefaultPolicyName, "")

	res, err := EnsurePolicy(ctx, c, spec)
	must(t, err)
	if !res.Created || res.ARN != wantARN || res.NewVersion != "" {
		t.Fatalf("create: %+v", res)
	}
	st, err := InspectPolicy(ctx, c, wantARN)
	must(t, err)
	if !st.Exists || st.DefaultVersion != "v1" || st.VersionCount != 1 || !Equivalent(st.Document, spec.Document) || !ManagedByTool(st.Tags) {
		t.Fatalf("inspect: %+v", st)
	}

	res, err = EnsurePolicy(ctx, c, spec)
	must(t, err)
	if res.Created || res.NewVersion != "" || res.PrunedVersion != "" {
		t.Errorf("unchanged document made a change: %+v", res)
	}
	// The same grant written differently is not a change either.
	reordered := spec.Document.Clone()
	reordered.Statement[0], reordered.Statement[1] = reordered.Statement[1], reordered.Statement[0]
	reordered.Statement[0].Action = StringList{strings.ToUpper(describeLogGroupsAction)}
	spec.Document = reordered
	if res, err := EnsurePolicy(ctx, c, spec); err != nil || res.NewVersion != "" {
		t.Errorf("equivalent document made a new version: %+v %v", res, err)
	}

	spec.Document = doc("crdb-logs", "crdb-audit")
	res, err = EnsurePolicy(ctx, c, spec)
	must(t, err)
	if res.Created || res.NewVersion != "v2" || res.PrunedVersion != "" {
		t.Fatalf("changed document: %+v", res)
	}
	st, err = InspectPolicy(ctx, c, wantARN)
	must(t, err)
	if st.DefaultVersion != "v2" || st.VersionCount != 2 || !Equivalent(st.Document, spec.Document) {
		t.Fatalf("after change: default %s, %d versions", st.DefaultVersion, st.VersionCount)
	}

	for i, g := range []string{"g3", "g4", "g5"} {
		spec.Document = doc("crdb-logs", g)
		res, err := EnsurePolicy(ctx, c, spec)
		must(t, err)
		if want := "v" + string(rune('3'+i)); res.NewVersion != want || res.PrunedVersion != "" {
			t.Fatalf("version %s: %+v", want, res)
		}
	}
	spec.Document = doc("crdb-logs", "g6")
	res, err = EnsurePolicy(ctx, c, spec)
	must(t, err)
	if res.NewVersion != "v6" || res.PrunedVersion != "v1" {
		t.Fatalf("at the limit: %+v, want v6 with v1 pruned", res)
	}
	st, err = InspectPolicy(ctx, c, wantARN)
	must(t, err)
	if st.VersionCount != MaxPolicyVersions || st.DefaultVersion != "v6" {
		t.Fatalf("after pruning: %d versions, default %s", st.VersionCount, st.DefaultVersion)
	}

	// When someone made an old version the default, the oldest version that
	// is not the default goes.
	_, err = c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(wantARN), VersionId: aws.String("v2")})
	must(t, err)
	spec.Document = doc("crdb-logs", "g7")
	res, err = EnsurePolicy(ctx, c, spec)
	must(t, err)
	if res.NewVersion != "v7" || res.PrunedVersion != "v3" {
		t.Fatalf("with v2 default: %+v, want v7 with v3 pruned", res)
	}
	versions, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(wantARN)})
	must(t, err)
	var ids []string
	for _, v := range versions.Versions {
		ids = append(ids, aws.ToString(v.VersionId))
	}
	sort.Strings(ids)
	if got := strings.Join(ids, ","); got != "v2,v4,v5,v6,v7" {
		t.Errorf("versions left: %s", got)
	}
}

func TestAttachAndRolesForPolicySandbox(t *testing.T) {
	sb := newSandbox(t)
	ctx := testCtx(t)
	c := sb.clients.IAM
	trust := TrustPolicy(clusterAccount, "")

	for _, r := range []RoleSpec{{Name: "RoleA", Trust: trust}, {Name: "RoleB", Path: "/service-role/", Trust: trust}, {Name: "Unrelated", Trust: trust}} {
		_, err := EnsureRole(ctx, c, r)
		must(t, err)
	}
	pol, err := EnsurePolicy(ctx, c, PolicySpec{Account: ownAccount, Name: DefaultPolicyName, Document: PermissionPolicy(PermissionSpec{Account: ownAccount, LogGroups: []string{"crdb-logs"}})})
	must(t, err)

	roles, err := RolesForPolicy(ctx, c, pol.ARN)
	must(t, err)
	if len(roles) != 0 {
		t.Errorf("unattached policy has roles %v", roles)
	}

	for _, name := range []string{"RoleB", "RoleA"} {
		attached, err := AttachPolicy(ctx, c, name, pol.ARN)
		must(t, err)
		if !attached {
			t.Errorf("%s: first attach reported already attached", name)
		}
	}
	attached, err := AttachPolicy(ctx, c, "RoleA", pol.ARN)
	must(t, err)
	if attached {
		t.Error("second attach reported a new attachment")
	}

	roles, err = RolesForPolicy(ctx, c, pol.ARN)
	must(t, err)
	want := []string{"arn:aws:iam::314159265358:role/RoleA", "arn:aws:iam::314159265358:role/service-role/RoleB"}
	if strings.Join(roles, " ") != strings.Join(want, " ") {
		t.Errorf("RolesForPolicy = %v, want %v", roles, want)
	}
	// The policy ARN a user pastes by mistake is recognised, and its roles
	// are the ones to offer.
	if _, err := CheckRoleARN(pol.ARN); err == nil {
		t.Error("policy ARN accepted as a role ARN")
	}
	for _, r := range roles {
		if _, err := CheckRoleARN(r); err != nil {
			t.Errorf("offered role %s is rejected: %v", r, err)
		}
	}

	_, err = RolesForPolicy(ctx, c, PolicyARN(ownAccount, "Missing", ""))
	if !IsNotFound(err) {
		t.Errorf("missing policy: %v, want not found", err)
	}
}

func TestRolePoliciesSandbox(t *testing.T) {
	sb := newSandbox(t)
	ctx := testCtx(t)
	c := sb.clients.IAM

	_, err := EnsureRole(ctx, c, RoleSpec{Name: DefaultRoleName, Trust: TrustPolicy(clusterAccount, "")})
	must(t, err)
	perm := PermissionPolicy(PermissionSpec{Account: ownAccount, LogGroups: []string{"crdb-logs", "crdb-audit"}})
	pol, err := EnsurePolicy(ctx, c, PolicySpec{Account: ownAccount, Name: DefaultPolicyName, Document: perm})
	must(t, err)
	_, err = AttachPolicy(ctx, c, DefaultRoleName, pol.ARN)
	must(t, err)

	// Hand-written inline policy: lone statement object, string forms,
	// spaces, a "+" and a boolean condition, so decoding is exercised.
	inlineText := `{ "Version": "2012-10-17", "Statement": { "Effect": "Deny", "Action": "logs:DeleteLogGroup", "Resource": "arn:aws:logs:*:314159265358:log-group:a+b:*", "Condition": { "Bool": { "aws:SecureTransport": false } } } }`
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(DefaultRoleName), PolicyName: aws.String("no-delete"), PolicyDocument: aws.String(inlineText)})
	must(t, err)

	boundaryDoc := &PolicyDocument{Version: PolicyVersion, Statement: []Statement{{Effect: EffectAllow, Action: StringList{"logs:*"}, Resource: StringList{"*"}}}}
	boundary, err := EnsurePolicy(ctx, c, PolicySpec{Account: ownAccount, Name: "Boundary", Path: "/boundaries/", Document: boundaryDoc})
	must(t, err)
	_, err = c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String(DefaultRoleName), PermissionsBoundary: aws.String(boundary.ARN)})
	must(t, err)

	got, err := RolePolicies(ctx, c, DefaultRoleName)
	must(t, err)
	if len(got.Attached) != 1 || got.Attached[0].ARN != pol.ARN || got.Attached[0].Name != DefaultPolicyName || got.Attached[0].Version != "v1" {
		t.Fatalf("attached: %+v", got.Attached)
	}
	if !Equivalent(got.Attached[0].Document, perm) {
		t.Errorf("attached document:\n%s", got.Attached[0].Document.JSON())
	}
	if len(got.Inline) != 1 || got.Inline[0].Name != "no-delete" {
		t.Fatalf("inline: %+v", got.Inline)
	}
	if !Equivalent(got.Inline[0].Document, mustParse(t, inlineText)) {
		t.Errorf("inline document decoded wrongly:\n%s", got.Inline[0].Document.JSON())
	}
	if r := got.Inline[0].Document.Statement[0].Resource[0]; r != "arn:aws:logs:*:314159265358:log-group:a+b:*" {
		t.Errorf("plus sign lost in decoding: %s", r)
	}
	// The text is what IAM stored, spelling and all, not a canonical form.
	if got.Inline[0].Text != inlineText {
		t.Errorf("inline text = %s\nwant %s", got.Inline[0].Text, inlineText)
	}
	if a := got.Attached[0]; a.Path != "/" || a.Text != perm.JSON() || a.Tags[ManagedByTagKey] != ManagedByTagValue {
		t.Errorf("attached path %q, tags %v, text:\n%s", a.Path, a.Tags, a.Text)
	}
	if got.Boundary == nil || got.Boundary.ARN != boundary.ARN || !Equivalent(got.Boundary.Document, boundaryDoc) {
		t.Errorf("boundary: %+v", got.Boundary)
	}
	st, err := InspectRole(ctx, c, DefaultRoleName)
	must(t, err)
	if st.BoundaryARN != boundary.ARN {
		t.Errorf("InspectRole boundary %q", st.BoundaryARN)
	}
}

func TestInspectRoleAndPolicyDetailsSandbox(t *testing.T) {
	sb := newSandbox(t)
	ctx := testCtx(t)
	c := sb.clients.IAM
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("Exporter"), Path: aws.String("/logs/"), Description: aws.String("made by hand"),
		MaxSessionDuration:       aws.Int32(7200),
		AssumeRolePolicyDocument: aws.String(TrustPolicy(clusterAccount, "").JSON()),
	})
	must(t, err)
	st, err := InspectRole(ctx, c, "Exporter")
	must(t, err)
	if st.Name != "Exporter" || st.Path != "/logs/" || st.Description != "made by hand" || st.MaxSessionDuration != 7200 {
		t.Errorf("role state = %+v", st)
	}
	_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName: aws.String("ExporterLogs"), Path: aws.String("/logs/"), Description: aws.String("logs for the exporter"),
		PolicyDocument: aws.String(PermissionPolicy(PermissionSpec{Account: ownAccount, LogGroups: []string{"x"}}).JSON()),
	})
	must(t, err)
	arn := PolicyARN(ownAccount, "ExporterLogs", "/logs/")
	_, err = AttachPolicy(ctx, c, "Exporter", arn)
	must(t, err)
	set, err := RolePolicies(ctx, c, "Exporter")
	must(t, err)
	if len(set.Attached) != 1 {
		t.Fatalf("attached = %+v", set.Attached)
	}
	// IAM returns a managed policy's description only from GetPolicy, which
	// is where RolePolicies reads it.
	if a := set.Attached[0]; a.Path != "/logs/" || a.Description != "logs for the exporter" || len(a.Tags) != 0 {
		t.Errorf("attached = %+v", a)
	}
}

func TestLogGroupTagsSandbox(t *testing.T) {
	sb := newSandbox(t)
	ctx := testCtx(t)
	logs := sb.clients.LogsFor("eu-west-1")
	_, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{
		LogGroupName: aws.String("tagged"), Tags: map[string]string{"team": "platform", ManagedByTagKey: ManagedByTagValue},
		LogGroupClass: logstypes.LogGroupClassInfrequentAccess,
	})
	must(t, err)
	_, err = EnsureLogGroup(ctx, logs, "bare", 0, nil)
	must(t, err)
	tagged, err := InspectLogGroup(ctx, logs, "tagged")
	must(t, err)
	if tagged.Class != "INFREQUENT_ACCESS" {
		t.Errorf("class = %q", tagged.Class)
	}
	// The ARN works with and without the ":*" DescribeLogGroups may add.
	for _, arn := range []string{tagged.ARN, tagged.ARN + ":*"} {
		tags, err := LogGroupTags(ctx, logs, arn)
		must(t, err)
		if len(tags) != 2 || tags["team"] != "platform" || !ManagedByTool(tags) {
			t.Errorf("tags of %s = %v", arn, tags)
		}
	}
	bare, err := InspectLogGroup(ctx, logs, "bare")
	must(t, err)
	if bare.Class != "STANDARD" {
		t.Errorf("class of a group created without one = %q", bare.Class)
	}
	tags, err := LogGroupTags(ctx, logs, bare.ARN)
	must(t, err)
	if len(tags) != 1 || !ManagedByTool(tags) {
		t.Errorf("tags of the tool's group = %v", tags)
	}
	_, err = LogGroupTags(ctx, logs, strings.Replace(bare.ARN, ":bare", ":gone", 1))
	var op *OpError
	if !IsNotFound(err) || !errors.As(err, &op) || !strings.Contains(err.Error(), "logs:ListTagsForResource") {
		t.Errorf("missing group: %v", err)
	}
}

func TestDeleteRoleAndPolicySandbox(t *testing.T) {
	sb := newSandbox(t)
	ctx := testCtx(t)
	c := sb.clients.IAM

	_, err := EnsureRole(ctx, c, RoleSpec{Name: DefaultRoleName, Trust: TrustPolicy(clusterAccount, "")})
	must(t, err)
	ours, err := EnsurePolicy(ctx, c, PolicySpec{Account: ownAccount, Name: DefaultPolicyName, Document: PermissionPolicy(PermissionSpec{Account: ownAccount, LogGroups: []string{"a"}})})
	must(t, err)
	// A second version, so deletion has a non-default version to remove.
	_, err = EnsurePolicy(ctx, c, PolicySpec{Account: ownAccount, Name: DefaultPolicyName, Document: PermissionPolicy(PermissionSpec{Account: ownAccount, LogGroups: []string{"b"}})})
	must(t, err)
	theirs, err := EnsurePolicy(ctx, c, PolicySpec{Account: ownAccount, Name: "SomeoneElses", Document: PermissionPolicy(PermissionSpec{Account: ownAccount, LogGroups: []string{"c"}})})
	must(t, err)
	for _, p := range []string{ours.ARN, theirs.ARN} {
		_, err := AttachPolicy(ctx, c, DefaultRoleName, p)
		must(t, err)
	}

	err = DeletePolicy(ctx, c, ours.ARN)
	if err == nil || !strings.Contains(err.Error(), "still attached to role "+DefaultRoleName) {
		t.Fatalf("deleting an attached policy: %v", err)
	}

	err = DeleteRole(ctx, c, DefaultRoleName, []string{ours.ARN})
	if err == nil || !strings.Contains(err.Error(), theirs.ARN) {
		t.Fatalf("deleting a role with a foreign policy: %v", err)
	}
	set, err := RolePolicies(ctx, c, DefaultRoleName)
	must(t, err)
	if len(set.Attached) != 2 {
		t.Fatalf("refusal changed attachments: %+v", set.Attached)
	}

	_, err = c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(DefaultRoleName), PolicyArn: aws.String(theirs.ARN)})
	must(t, err)
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(DefaultRoleName), PolicyName: aws.String("inline"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}}`)})
	must(t, err)
	if err := DeleteRole(ctx, c, DefaultRoleName, []string{ours.ARN}); err == nil || !strings.Contains(err.Error(), "inline policies (inline)") {
		t.Fatalf("deleting a role with an inline policy: %v", err)
	}
	_, err = c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(DefaultRoleName), PolicyName: aws.String("inline")})
	must(t, err)

	must(t, DeleteRole(ctx, c, DefaultRoleName, []string{ours.ARN}))
	if st, err := InspectRole(ctx, c, DefaultRoleName); err != nil || st.Exists {
		t.Fatalf("role still there: %+v %v", st, err)
	}
	must(t, DeleteRole(ctx, c, DefaultRoleName, []string{ours.ARN}))

	must(t, DeletePolicy(ctx, c, ours.ARN))
	if st, err := InspectPolicy(ctx, c, ours.ARN); err != nil || st.Exists {
		t.Fatalf("policy still there: %+v %v", st, err)
	}
	must(t, DeletePolicy(ctx, c, ours.ARN))
}

func TestRecentStreamsSandbox(t *testing.T) {
	sb := newSandbox(t)
	ctx := testCtx(t)
	logs := sb.clients.LogsFor("us-west-2")
	_, err := EnsureLogGroup(ctx, logs, "crdb-logs", 0, nil)
	must(t, err)

	// Event times relative to the emulator's clock, well inside what
	// PutLogEvents accepts.
	at := func(minutesAgo int) int64 {
		return sandboxBase.Add(-time.Duration(minutesAgo) * time.Minute).UnixMilli()
	}
	streams := map[string]int{
		"crdb-logs.us-west-2.cockroachdbcloud.OPS.n1":    30,
		"crdb-logs.us-west-2.cockroachdbcloud.HEALTH.n1": 5,
		"crdb-logs.us-west-2.cockroachdbcloud.SQL.n2":    60,
		"other.stream": 1,
	}
	for name, ago := range streams {
		_, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("crdb-logs"), LogStreamName: aws.String(name)})
		must(t, err)
		_, err = logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
			LogGroupName:  aws.String("crdb-logs"),
			LogStreamName: aws.String(name),
			LogEvents: []logstypes.InputLogEvent{
				{Message: aws.String("first"), Timestamp: aws.Int64(at(ago + 10))},
				{Message: aws.String("last"), Timestamp: aws.Int64(at(ago))},
			},
		})
		must(t, err)
	}
	_, err = logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("crdb-logs"), LogStreamName: aws.String("crdb-logs.empty")})
	must(t, err)

	names := func(s []StreamInfo) string {
		var out []string
		for _, x := range s {
			out = append(out, x.Name)
		}
		return strings.Join(out, " ")
	}

	all, err := RecentStreams(ctx, logs, "crdb-logs", "", 2)
	must(t, err)
	if got := names(all); got != "other.stream crdb-logs.us-west-2.cockroachdbcloud.HEALTH.n1" {
		t.Errorf("most recent two: %s", got)
	}
	if !all[0].LastEventTime.Equal(time.UnixMilli(at(1)).UTC()) || !all[0].FirstEventTime.Equal(time.UnixMilli(at(11)).UTC()) {
		t.Errorf("times: %+v", all[0])
	}

	pref, err := RecentStreams(ctx, logs, "crdb-logs", "crdb-logs.us-west-2.", 10)
	must(t, err)
	want := "crdb-logs.us-west-2.cockroachdbcloud.HEALTH.n1 crdb-logs.us-west-2.cockroachdbcloud.OPS.n1 crdb-logs.us-west-2.cockroachdbcloud.SQL.n2"
	if got := names(pref); got != want {
		t.Errorf("with prefix: %s", got)
	}

	_, err = RecentStreams(ctx, logs, "missing-group", "", 5)
	if !IsNotFound(err) {
		t.Errorf("missing group: %v, want not found", err)
	}
}

func TestErrorClassificationSandbox(t *testing.T) {
	sb := newSandbox(t)
	ctx := testCtx(t)
	ctl := sb.emu.Controls()

	ctl.InjectFault(knobs.Fault{Op: "iam:GetRole", Status: 403, Code: "AccessDenied", Message: "not authorized to perform: iam:GetRole"})
	_, err := InspectRole(ctx, sb.clients.IAM, "SomeRole")
	if !IsAccessDenied(err) || IsNotFound(err) || IsThrottling(err) {
		t.Errorf("access denied classified wrongly: %v", err)
	}
	var op *OpError
	if !errors.As(err, &op) || op.Op != "iam:GetRole" || op.Code() != "AccessDenied" {
		t.Fatalf("not an OpError naming the call: %#v", err)
	}
	if msg := err.Error(); msg != "iam:GetRole role SomeRole: AccessDenied: not authorized to perform: iam:GetRole" {
		t.Errorf("message %q", msg)
	}

	ctl.InjectFault(knobs.Fault{Op: "logs:DescribeLogGroups", Status: 400, Code: "ThrottlingException", Message: "Rate exceeded"})
	_, err = InspectLogGroup(ctx, sb.clients.LogsFor("us-east-1"), "crdb-logs")
	if !IsThrottling(err) || IsAccessDenied(err) {
		t.Errorf("throttling classified wrongly: %v", err)
	}
	if !strings.Contains(err.Error(), "logs:DescribeLogGroups log group crdb-logs: ThrottlingException") {
		t.Errorf("message %q", err)
	}

	_, err = sb.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Missing")})
	if !IsNotFound(err) {
		t.Errorf("NoSuchEntity not recognised: %v", err)
	}
	_, err = sb.clients.LogsFor("us-east-1").DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("missing")})
	if !IsNotFound(err) {
		t.Errorf("ResourceNotFoundException not recognised: %v", err)
	}

	_, err = EnsureRole(ctx, sb.clients.IAM, RoleSpec{Name: "R", Trust: TrustPolicy(clusterAccount, "")})
	must(t, err)
	_, err = sb.clients.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("R"), AssumeRolePolicyDocument: aws.String(TrustPolicy(clusterAccount, "").JSON())})
	if !IsAlreadyExists(err) {
		t.Errorf("EntityAlreadyExists not recognised: %v", err)
	}
}

// An AWS endpoint that accepts the request and never answers fails the call
// after one attempt of the time limit, and the error names the operation
// and the endpoint instead of the SDK's transport text.
func TestHungCallFailsAfterOneAttemptNamingIt(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hs.Close()
	defer close(release)
	cfg := WithAttemptTimeout(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIASANDBOXAWSIAM001", "sandbox-secret", ""),
		BaseEndpoint:     aws.String(hs.URL),
		RetryMaxAttempts: 5,
	}, 300*time.Millisecond)
	clients := NewClients(cfg)
	start := time.Now()
	_, err := InspectRole(testCtx(t), clients.IAM, "SomeRole")
	if err == nil {
		t.Fatal("no error from an endpoint that never answers")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the call took %s", took)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d attempts, want 1: a hung call is not repeated", n)
	}
	host := strings.TrimPrefix(hs.URL, "http://")
	for _, want := range []string{"iam:GetRole", "no answer from " + host, "--request-timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if !IsTimeout(err) {
		t.Errorf("IsTimeout(%v) = false", err)
	}
}

// Other transport failures are still retried: a reset connection is not a
// hang.
func TestResetConnectionsAreStillRetried(t *testing.T) {
	var calls atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}))
	defer hs.Close()
	clients := NewClients(WithAttemptTimeout(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIASANDBOXAWSIAM001", "sandbox-secret", ""),
		BaseEndpoint:     aws.String(hs.URL),
		RetryMaxAttempts: 3,
	}, time.Second))
	if _, err := InspectRole(testCtx(t), clients.IAM, "SomeRole"); err == nil {
		t.Fatal("no error")
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
}
