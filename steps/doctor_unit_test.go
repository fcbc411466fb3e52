package steps

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// dtFacts are the facts of a healthy staging-aws export, built by hand, for
// checks whose inputs the sandbox cannot produce.
func dtFacts(t *testing.T) *DoctorFacts {
	t.Helper()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	perm := awsiam.PermissionPolicy(awsiam.PermissionSpec{Account: dtOwnAccount, LogGroups: []string{dtStagingLG}})
	principal, err := awsiam.ParseARN(dtRoleARN)
	if err != nil {
		t.Fatal(err)
	}
	return &DoctorFacts{
		Cluster: cloudapi.Cluster{ID: cloudemu.StagingAWSClusterID, Name: dtStaging, Plan: cloudapi.PlanAdvanced, CloudProvider: cloudapi.ProviderAWS,
			AccountID: dtStagingAccount, Regions: []cloudapi.Region{{Name: dtStagingRg, NodeCount: 3}}},
		Export: cloudapi.LogExportInfo{Configured: true, Status: cloudapi.StatusEnabled, UpdatedAt: now.Add(-2 * time.Hour),
			Spec: cloudapi.LogExportSpec{Type: cloudapi.TypeAWSCloudWatch, LogName: dtStagingLG, AuthPrincipal: dtRoleARN, AWSExternalID: "ext-1"}},
		Caller:    awsiam.Identity{Account: dtOwnAccount},
		Now:       now,
		Principal: principal,
		RoleARN:   dtRoleARN,
		Role: awsiam.RoleState{Exists: true, ARN: dtRoleARN, Trust: awsiam.TrustPolicy(dtStagingAccount, "ext-1"),
			Tags: awsiam.ToolTags(awsiam.ClusterTags(cloudemu.StagingAWSClusterID, dtStaging))},
		RoleOurs:   true,
		Policies:   awsiam.RolePolicySet{Attached: []awsiam.ManagedPolicy{{ARN: dtPolicyARN, Name: DefaultPolicyName + "-" + dtStaging, Version: "v1", Document: perm}}},
		ToolPolicy: awsiam.PolicyState{Exists: true, ARN: dtPolicyARN, Document: perm, DefaultVersion: "v1"},
		LogGroups: []LogGroupFact{{Region: dtStagingRg, Name: dtStagingLG,
			State:   awsiam.LogGroupState{Exists: true, ARN: "arn:aws:logs:us-east-2:" + dtOwnAccount + ":log-group:" + dtStagingLG},
			Streams: []awsiam.StreamInfo{{Name: dtStagingLG + ".us-east-2.cockroachdbcloud.OPS.n1", LastEventTime: now.Add(-time.Minute)}}}},
		UsedElsewhere: map[string]string{},
		ArrivalWindow: 15 * time.Minute,
		ArrivalGrace:  5 * time.Minute,
	}
}

func dtParse(t *testing.T, text string) *awsiam.PolicyDocument {
	t.Helper()
	doc, err := awsiam.ParsePolicy(text)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestDoctorChecksByHand(t *testing.T) {
	t.Run("healthy", func(t *testing.T) {
		r := RunChecks(dtFacts(t))
		dtAllOK(t, r)
		if r2 := RunChecks(dtFacts(t)); len(r2.Findings) != len(r.Findings) || !reflect.DeepEqual(r2.Findings[6], r.Findings[6]) {
			t.Fatal("the same facts gave another report")
		}
	})

	t.Run("a Deny whose condition cannot be decided", func(t *testing.T) {
		f := dtFacts(t)
		f.Policies.Inline = []awsiam.InlinePolicy{{Name: "OfficeOnly", Document: dtParse(t,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"logs:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}`)}}
		r := RunChecks(f)
		dtOnly(t, r)
		fd := dtFinding(t, r, CheckPermissionsActions, SeverityWarning, false, `"aws:SourceIp":"203.0.113.0/24"`)
		if !strings.Contains(fd.Summary, "cannot decide") {
			t.Errorf("summary: %s", fd.Summary)
		}
	})

	t.Run("the documented single-statement policy", func(t *testing.T) {
		// All six actions on the group with ":*": DescribeLogGroups names no
		// group, so it is not covered — a warning, since delivery works.
		f := dtFacts(t)
		doc := dtParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:DescribeLogGroups","logs:DescribeLogStreams","logs:PutRetentionPolicy","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:`+dtOwnAccount+`:log-group:`+dtStagingLG+`:*"}]}`)
		f.Policies.Attached[0].Document = doc
		f.ToolPolicy.Document = doc
		r := RunChecks(f)
		dtOnly(t, r)
		dtFinding(t, r, CheckPermissionsLogGroup, SeverityWarning, true, `"Resource":"arn:aws:logs:*:`+dtOwnAccount+`:log-group:`+dtStagingLG+`:*"`)
		plan := PlanFixes(r)
		if k := dtKinds(plan); len(k) != 1 || k[0] != FixPolicy || !strings.Contains(plan.Fixes[0].Diff, `+       "Sid": "DescribeLogGroups",`) {
			t.Fatalf("plan %v:\n%s", k, plan.Fixes[0].Diff)
		}
	})

	t.Run("resources for another log group", func(t *testing.T) {
		f := dtFacts(t)
		doc := awsiam.PermissionPolicy(awsiam.PermissionSpec{Account: dtOwnAccount, LogGroups: []string{"some-other-group"}})
		f.Policies.Attached[0].Document = doc
		r := RunChecks(f)
		dtOnly(t, r, CheckPermissionsLogGroup)
		fd := dtFinding(t, r, CheckPermissionsLogGroup, SeverityError, true, "log-group:some-other-group:*")
		if fd.Summary != "the resources do not cover log group crdb-staging-aws" {
			t.Errorf("summary: %s", fd.Summary)
		}
	})

	t.Run("wrong account and wrong region: the account is named", func(t *testing.T) {
		f := dtFacts(t)
		f.Policies.Attached[0].Document = awsiam.PermissionPolicy(awsiam.PermissionSpec{Account: dtStagingAccount, LogGroups: []string{dtStagingLG}, Regions: []string{"us-west-1"}})
		f.ToolPolicy.Document = f.Policies.Attached[0].Document
		r := RunChecks(f)
		dtOnly(t, r, CheckPermissionsAccount)
		dtFinding(t, r, CheckPermissionsAccount, SeverityError, true, "arn:aws:logs:us-west-1:"+dtStagingAccount+":log-group:"+dtStagingLG+":*")
		// the repair keeps a region restriction, for the right region
		plan := PlanFixes(r)
		if len(plan.Fixes) != 1 || !strings.Contains(plan.Fixes[0].Diff, `+       "Resource": "arn:aws:logs:us-east-2:`+dtOwnAccount+`:log-group:`+dtStagingLG+`:*"`) {
			t.Fatalf("plan %v:\n%s", dtKinds(plan), plan.Fixes[0].Diff)
		}
	})

	t.Run("a trust policy open to everyone", func(t *testing.T) {
		f := dtFacts(t)
		f.Role.Trust = dtParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}]}`)
		r := RunChecks(f)
		dtOnly(t, r)
		dtFinding(t, r, CheckTrustPrincipal, SeverityWarning, true, `"Principal":"*"`)
	})

	t.Run("a trust Deny in a role the tool did not make", func(t *testing.T) {
		f := dtFacts(t)
		f.Role.Tags, f.RoleOurs = nil, false
		trust := awsiam.TrustPolicy(dtStagingAccount, "ext-1")
		trust.Statement = append(trust.Statement, awsiam.Statement{Sid: "NoCockroach", Effect: awsiam.EffectDeny,
			Principal: &awsiam.Principal{AWS: awsiam.StringList{dtStagingAccount}}, Action: awsiam.StringList{"sts:AssumeRole"}})
		f.Role.Trust = trust
		r := RunChecks(f)
		dtOnly(t, r, CheckTrustPrincipal)
		dtFinding(t, r, CheckTrustPrincipal, SeverityError, false, `(Sid "NoCockroach") of the trust policy`)
		// made by the tool for this cluster, the trust is simply rewritten
		f.Role.Tags, f.RoleOurs = awsiam.ToolTags(awsiam.ClusterTags(f.Cluster.ID, f.Cluster.Name)), true
		r = RunChecks(f)
		dtFinding(t, r, CheckTrustPrincipal, SeverityError, true)
		if plan := PlanFixes(r); !strings.Contains(plan.Fixes[0].Diff, `-       "Sid": "NoCockroach",`) {
			t.Fatalf("diff:\n%s", plan.Fixes[0].Diff)
		}
	})

	t.Run("a trust fix that keeps the other statements", func(t *testing.T) {
		f := dtFacts(t)
		f.UsedElsewhere[dtRoleARN] = "prod-aws"
		f.Role.Trust = awsiam.TrustPolicy(dtProdAccount, "prod-ext")
		r := RunChecks(f)
		dtOnly(t, r, CheckTrustPrincipal)
		plan := PlanFixes(r)
		if len(plan.Fixes) != 1 || plan.Fixes[0].Kind != FixTrust {
			t.Fatalf("plan: %v", dtKinds(plan))
		}
		d := plan.Fixes[0].Diff
		line := func(prefix, text string) bool {
			for _, l := range strings.Split(d, "\n") {
				if strings.HasPrefix(l, prefix) && strings.TrimSpace(l[len(prefix):]) == text {
					return true
				}
			}
			return false
		}
		if !line("  ", `"AWS": "arn:aws:iam::`+dtProdAccount+`:root"`) || !line("+ ", `"Sid": "CockroachCloudLogExport4a1e8b6c2d3f",`) || !line("+ ", `"AWS": "arn:aws:iam::`+dtStagingAccount+`:root"`) {
			t.Errorf("diff does not keep prod's statement and add staging's:\n%s", d)
		}
		if strings.Contains(d, "\n- ") {
			t.Errorf("the additive fix removes lines:\n%s", d)
		}
	})

	t.Run("logs stopped", func(t *testing.T) {
		f := dtFacts(t)
		f.LogGroups[0].Streams[0].LastEventTime = f.Now.Add(-3 * time.Hour)
		r := RunChecks(f)
		dtOnly(t, r, CheckLogsArriving)
		dtFinding(t, r, CheckLogsArriving, SeverityError, true, "us-east-2: 1 stream, newest event 3h0m0s ago")
		// an export enabled a minute ago: give it time
		f.Export.UpdatedAt = f.Now.Add(-time.Minute)
		dtFinding(t, RunChecks(f), CheckLogsArriving, SeverityWarning, false)
	})

	t.Run("reads that failed", func(t *testing.T) {
		f := dtFacts(t)
		denied := errors.New("iam:GetRole CockroachCloudLogExportRole: AccessDenied")
		f.Role, f.RoleErr = awsiam.RoleState{}, denied
		f.Policies, f.PoliciesErr = awsiam.RolePolicySet{}, denied
		f.LogGroups[0].State, f.LogGroups[0].Err = awsiam.LogGroupState{}, errors.New("logs:DescribeLogGroups: AccessDeniedException")
		r := RunChecks(f)
		if !r.OK {
			t.Fatalf("unreadable resources are errors: %v", dtErrors(r))
		}
		for _, id := range []string{CheckRoleExists, CheckTrustPrincipal, CheckPermissionsActions, CheckLogGroupExists} {
			if fd := r.Finding(id); fd.Severity != SeverityInfo || !strings.Contains(fd.Summary, "AccessDenied") {
				t.Errorf("%s: %s %s", id, fd.Severity, fd.Summary)
			}
		}
	})

	t.Run("a disabled export", func(t *testing.T) {
		f := dtFacts(t)
		f.Export.Status = cloudapi.StatusDisabled
		r := RunChecks(f)
		for _, fd := range r.Findings {
			if fd.Severity != SeverityInfo {
				t.Errorf("%s is %s", fd.Check, fd.Severity)
			}
		}
		if got := r.Finding(CheckRoleExists).Summary; got != "log export is DISABLED; nothing to check" {
			t.Errorf("summary: %s", got)
		}
	})

	t.Run("an invalid auth_principal", func(t *testing.T) {
		f := dtFacts(t)
		f.Export.Spec.AuthPrincipal = "arn:aws:iam::" + dtOwnAccount + ":user/alice"
		f.Principal, f.PrincipalErr = awsiam.ParseARN(f.Export.Spec.AuthPrincipal)
		f.RoleARN = ""
		r := RunChecks(f)
		dtOnly(t, r, CheckAuthPrincipalKind)
		fd := dtFinding(t, r, CheckAuthPrincipalKind, SeverityError, false, `auth_principal: "arn:aws:iam::`+dtOwnAccount+`:user/alice"`)
		if !strings.Contains(fd.Detail, "IAM user ARN") || !strings.Contains(fd.Fix, "--role-arn") {
			t.Errorf("detail %q fix %q", fd.Detail, fd.Fix)
		}
	})
}

func TestDoctorLineDiff(t *testing.T) {
	got := doctorLineDiff("a\nb\nc\nd", "a\nc\nx\nd")
	want := "  a\n- b\n  c\n+ x\n  d"
	if got != want {
		t.Fatalf("diff:\n%s\nwant:\n%s", got, want)
	}
	if got := doctorLineDiff("a\nb", "a\nc"); got != "  a\n- b\n+ c" {
		t.Fatalf("replacement: %q", got)
	}
	if got := doctorLineDiff("same", "same"); got != "  same" {
		t.Fatalf("no change: %q", got)
	}
}

func TestPolicyRestrictsRegions(t *testing.T) {
	spec := awsiam.PermissionSpec{Account: dtOwnAccount, LogGroups: []string{"g"}}
	if policyRestrictsRegions(awsiam.PermissionPolicy(spec)) {
		t.Fatal("a policy for every region counted as restricted")
	}
	spec.Regions = []string{"us-east-1", "eu-west-1"}
	if !policyRestrictsRegions(awsiam.PermissionPolicy(spec)) {
		t.Fatal("a restricted policy counted as unrestricted")
	}
}
