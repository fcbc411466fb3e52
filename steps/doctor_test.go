package steps

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// Names setup gives staging-aws's resources.
const (
	dtRole      = DefaultRoleName + "-" + dtStaging
	dtPolicyARN = "arn:aws:iam::" + dtOwnAccount + ":policy/" + DefaultPolicyName + "-" + dtStaging
	dtRoleARN   = "arn:aws:iam::" + dtOwnAccount + ":role/" + dtRole
	dtStaging   = cloudemu.StagingAWSClusterName
	dtStagingLG = "crdb-staging-aws"
	dtStagingRg = "us-east-2"
	dtProd      = cloudemu.ProdAWSClusterName
	dtProdLG    = "crdb-prod-aws"
	// prod-aws's policy, as setup names it.
	dtProdPolicyARN = "arn:aws:iam::" + dtOwnAccount + ":policy/" + DefaultPolicyName + "-" + dtProd
)

func TestDoctorCorrectConfiguration(t *testing.T) {
	b := newDTBox(t)
	b.setup(SetupInput{Cluster: dtProd, RestrictRegions: true})
	r := b.diagnose(dtProd, DoctorOptions{})
	dtAllOK(t, r)
	if r.Status != cloudapi.StatusEnabled || r.ClusterID != cloudemu.ProdAWSClusterID {
		t.Fatalf("report header = %s %s", r.ClusterID, r.Status)
	}
	// the evidence of the ok findings quotes what was verified
	dtFinding(t, r, CheckTrustPrincipal, SeverityOK, false, `"AWS":"arn:aws:iam::`+dtProdAccount+`:root"`)
	dtFinding(t, r, CheckLogsArriving, SeverityOK, false, "eu-west-1: 33 streams")
	if p := PlanFixes(r); !p.Empty() || len(p.Manual) != 0 {
		t.Fatalf("a healthy export has fixes planned: %+v", p)
	}

	// The JSON document has exactly the shape PRODUCT.md §5 gives.
	var doc map[string]any
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if keys := dtKeys(doc); !slices.Equal(keys, []string{"cluster_id", "findings", "ok", "status"}) {
		t.Fatalf("report keys = %v", keys)
	}
	findings := doc["findings"].([]any)
	if len(findings) != 15 {
		t.Fatalf("%d findings", len(findings))
	}
	for _, f := range findings {
		if keys := dtKeys(f.(map[string]any)); !slices.Equal(keys, []string{"caused_by", "check", "detail", "evidence", "fix", "fixable", "severity", "summary"}) {
			t.Fatalf("finding keys = %v", keys)
		}
		if c, ok := f.(map[string]any)["caused_by"].([]any); !ok || len(c) != 0 {
			t.Fatalf("caused_by of a healthy finding = %v, want []", f.(map[string]any)["caused_by"])
		}
	}
}

func dtKeys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestDoctorNothingConfigured(t *testing.T) {
	b := newDTBox(t)
	r := b.diagnose(dtStaging, DoctorOptions{})
	if !r.OK || r.Status != cloudapi.StatusDisabled {
		t.Fatalf("never configured: ok=%v status=%s", r.OK, r.Status)
	}
	for _, fd := range r.Findings {
		if fd.Severity != SeverityInfo {
			t.Errorf("%s is %s, want info", fd.Check, fd.Severity)
		}
		if fd.Check != CheckExportStatus && fd.Summary != "nothing configured; run setup" {
			t.Errorf("%s says %q", fd.Check, fd.Summary)
		}
	}
	if fd := r.Finding(CheckExportStatus); !strings.Contains(fd.Fix, "crdb-logexport setup --cluster staging-aws") {
		t.Errorf("export-status fix = %q", fd.Fix)
	}
	if !PlanFixes(r).Empty() {
		t.Fatal("fixes planned for a cluster without export")
	}
	// CloudWatch export does not apply to a GCP cluster: refused, no report
	if _, err := Diagnose(b.ctx, b.env, cloudemu.AnalyticsGCPClusterName, DoctorOptions{}); err == nil || !strings.Contains(err.Error(), "GCP") {
		t.Fatalf("GCP cluster: err = %v", err)
	}
}

// TestDoctorScenarios builds one broken setup per check in the sandbox,
// through the AWS and Cloud APIs, and proves that the doctor reports that
// check with evidence quoting the offending text and no other error, and
// that --fix repairs it until every check is ok.
func TestDoctorScenarios(t *testing.T) {
	writePolicy := func(account string, regions []string, groups ...string) *awsiam.PolicyDocument {
		return awsiam.PermissionPolicy(awsiam.PermissionSpec{Account: account, LogGroups: groups, Regions: regions})
	}

	t.Run("trust names the caller's own account", func(t *testing.T) {
		b := newDTBox(t)
		res := b.setup(SetupInput{Cluster: dtStaging})
		b.setTrust(dtRole, awsiam.TrustPolicy(dtOwnAccount, res.ExternalID))
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckTrustPrincipal)
		fd := dtFinding(t, r, CheckTrustPrincipal, SeverityError, true, `"Principal":{"AWS":"arn:aws:iam::`+dtOwnAccount+`:root"}`)
		if !strings.Contains(fd.Detail, "your own account") {
			t.Errorf("detail does not name the mistake: %s", fd.Detail)
		}
		plan, after := b.fix(r, DoctorOptions{})
		if k := dtKinds(plan); !slices.Equal(k, []FixKind{FixTrust}) {
			t.Fatalf("plan = %v", k)
		}
		if d := plan.Fixes[0].Diff; !strings.Contains(d, "- ") || !strings.Contains(d, "+ ") || !strings.Contains(d, dtStagingAccount+":root") {
			t.Errorf("trust diff:\n%s", d)
		}
		dtAllOK(t, after)
	})

	t.Run("external ID the cluster does not send", func(t *testing.T) {
		b := newDTBox(t)
		res := b.setup(SetupInput{Cluster: dtStaging})
		b.setTrust(dtRole, awsiam.TrustPolicy(dtStagingAccount, "somebody-elses-id"))
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckTrustExternalID)
		dtFinding(t, r, CheckTrustExternalID, SeverityError, true, `"sts:ExternalId":"somebody-elses-id"`, `aws_external_id: "`+res.ExternalID+`"`)
		_, after := b.fix(r, DoctorOptions{})
		dtAllOK(t, after)
	})

	t.Run("trust requires an external ID the configuration lacks", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging, ExternalID: ExternalIDNone})
		b.setTrust(dtRole, awsiam.TrustPolicy(dtStagingAccount, "their-id"))
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckTrustExternalID)
		dtFinding(t, r, CheckTrustExternalID, SeverityError, true, `"their-id"`, `aws_external_id: ""`)
		plan, after := b.fix(r, DoctorOptions{})
		// the configuration is what changes, not the trust: dropping the
		// condition would weaken it
		if k := dtKinds(plan); !slices.Equal(k, []FixKind{FixExport}) || !strings.Contains(plan.Fixes[0].Diff, "+ aws_external_id: their-id") {
			t.Fatalf("plan = %v\n%s", k, plan.Fixes[0].Diff)
		}
		dtAllOK(t, after)
		info, err := b.env.Cloud.LogExport(b.ctx, cloudemu.StagingAWSClusterID)
		b.must(err)
		if info.Spec.AWSExternalID != "their-id" {
			t.Fatalf("aws_external_id = %q", info.Spec.AWSExternalID)
		}
	})

	t.Run("Standard trust without the cluster ID condition", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: cloudemu.StandardAWSClusterName})
		b.setTrust(DefaultRoleNameFor(cloudemu.StandardAWSClusterName, cloudemu.StandardAWSClusterID), awsiam.TrustPolicy(dtStandardAccount, ""))
		r := b.diagnose(cloudemu.StandardAWSClusterName, DoctorOptions{})
		dtOnly(t, r, CheckTrustExternalID)
		fd := dtFinding(t, r, CheckTrustExternalID, SeverityError, true, cloudemu.StandardAWSClusterID)
		if !strings.Contains(fd.Detail, "shares among Standard clusters") {
			t.Errorf("detail: %s", fd.Detail)
		}
		_, after := b.fix(r, DoctorOptions{})
		dtAllOK(t, after)
	})

	t.Run("the tool's policy still grants the log group an update left", func(t *testing.T) {
		// An update interrupted between widening the policy and narrowing
		// it: nothing fails, but the role may write where the export does
		// not, so it is a warning with the command that narrows it.
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		b.setPolicy(dtPolicyARN, writePolicy(dtOwnAccount, nil, dtStagingLG, "crdb-staging-old"))
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r)
		fd := dtFinding(t, r, CheckPermissionsLogGroup, SeverityWarning, false, "log-group:crdb-staging-old:*")
		if !strings.Contains(fd.Summary, "crdb-staging-old") || !strings.Contains(fd.Fix, "crdb-logexport update --cluster "+dtStaging+" --yes") {
			t.Errorf("finding %+v", fd)
		}
	})

	t.Run("resource ARN with the cluster's account", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		b.setPolicy(dtPolicyARN, writePolicy(dtStagingAccount, nil, dtStagingLG))
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckPermissionsAccount)
		dtFinding(t, r, CheckPermissionsAccount, SeverityError, true, "arn:aws:logs:*:"+dtStagingAccount+":log-group:"+dtStagingLG+":*")
		plan, after := b.fix(r, DoctorOptions{})
		if k := dtKinds(plan); !slices.Equal(k, []FixKind{FixPolicy}) {
			t.Fatalf("plan = %v", k)
		}
		dtAllOK(t, after)
	})

	t.Run("region restriction missing one cluster region", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtProd, RestrictRegions: true})
		b.setPolicy(dtProdPolicyARN, writePolicy(dtOwnAccount, []string{"us-east-1", "us-west-2"}, dtProdLG))
		r := b.diagnose(dtProd, DoctorOptions{})
		dtOnly(t, r, CheckPermissionsRegions)
		fd := dtFinding(t, r, CheckPermissionsRegions, SeverityError, true, "arn:aws:logs:us-west-2:"+dtOwnAccount+":log-group:"+dtProdLG+":*")
		if !strings.Contains(fd.Summary, "but not eu-west-1") {
			t.Errorf("summary: %s", fd.Summary)
		}
		plan, after := b.fix(r, DoctorOptions{})
		// the restriction is kept, and now covers every cluster region
		if d := plan.Fixes[0].Diff; !strings.Contains(d, "\n+ ") || !strings.Contains(d, `"arn:aws:logs:eu-west-1:`+dtOwnAccount+`:log-group:`+dtProdLG+`:*"`) {
			t.Errorf("policy diff:\n%s", plan.Fixes[0].Diff)
		}
		dtAllOK(t, after)
	})

	t.Run("log group resource without the :* suffix", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		doc := writePolicy(dtOwnAccount, nil, dtStagingLG)
		doc.Statement[0].Resource = awsiam.StringList{"arn:aws:logs:*:" + dtOwnAccount + ":log-group:" + dtStagingLG}
		b.setPolicy(dtPolicyARN, doc)
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckPermissionsLogGroup)
		fd := dtFinding(t, r, CheckPermissionsLogGroup, SeverityError, true, `"Resource":"arn:aws:logs:*:`+dtOwnAccount+`:log-group:`+dtStagingLG+`"`)
		if !strings.Contains(fd.Summary, `":*" suffix`) {
			t.Errorf("summary: %s", fd.Summary)
		}
		_, after := b.fix(r, DoctorOptions{})
		dtAllOK(t, after)
	})

	t.Run("a missing action", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		doc := writePolicy(dtOwnAccount, nil, dtStagingLG)
		doc.Statement[0].Action = slices.DeleteFunc(slices.Clone(doc.Statement[0].Action), func(a string) bool { return a == "logs:PutLogEvents" })
		b.setPolicy(dtPolicyARN, doc)
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckPermissionsActions)
		fd := dtFinding(t, r, CheckPermissionsActions, SeverityError, true, `"logs:CreateLogStream"`)
		if fd.Summary != "no policy allows logs:PutLogEvents" {
			t.Errorf("summary: %s", fd.Summary)
		}
		_, after := b.fix(r, DoctorOptions{})
		dtAllOK(t, after)
	})

	t.Run("a detached policy", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		b.must(awsiam.DetachPolicy(b.ctx, b.iam, dtRole, dtPolicyARN))
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckPermissionsActions)
		fd := dtFinding(t, r, CheckPermissionsActions, SeverityError, true, "role "+dtRole+" has no attached or inline policy")
		for _, a := range awsiam.RequiredActions {
			if !strings.Contains(fd.Summary, a) {
				t.Errorf("summary does not name %s: %s", a, fd.Summary)
			}
		}
		plan, after := b.fix(r, DoctorOptions{})
		if d := plan.Fixes[0].Diff; d != "+ attach "+dtPolicyARN+" to role "+dtRole {
			t.Errorf("diff = %q", d)
		}
		dtAllOK(t, after)
	})

	t.Run("an explicit Deny", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		_, err := b.iam.PutRolePolicy(b.ctx, &iam.PutRolePolicyInput{RoleName: aws.String(dtRole), PolicyName: aws.String("Guardrail"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"NoWrites","Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`)})
		b.must(err)
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckPermissionsActions)
		fd := dtFinding(t, r, CheckPermissionsActions, SeverityError, false, `Statement[0] (Sid "NoWrites") of inline policy Guardrail: {"Sid":"NoWrites","Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}`)
		if !strings.Contains(fd.Detail, "explicit Deny wins") {
			t.Errorf("detail: %s", fd.Detail)
		}
		// --fix does not edit a guardrail: the finding is left to the user
		plan := PlanFixes(r)
		if len(plan.Fixes) != 0 || len(plan.Manual) != 1 || plan.Manual[0].Check != CheckPermissionsActions {
			t.Fatalf("plan: fixes %v, manual %v", dtKinds(plan), plan.Manual)
		}
		_, err = b.iam.DeleteRolePolicy(b.ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(dtRole), PolicyName: aws.String("Guardrail")})
		b.must(err)
		dtAllOK(t, b.diagnose(dtStaging, DoctorOptions{}))
	})

	t.Run("a permissions boundary that denies", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		out, err := b.iam.CreatePolicy(b.ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Boundary"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:Describe*","logs:CreateLogGroup","logs:PutRetentionPolicy"],"Resource":"*"}]}`)})
		b.must(err)
		_, err = b.iam.PutRolePermissionsBoundary(b.ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String(dtRole), PermissionsBoundary: out.Policy.Arn})
		b.must(err)
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckPermissionsBoundary)
		fd := dtFinding(t, r, CheckPermissionsBoundary, SeverityError, false, aws.ToString(out.Policy.Arn), `"Action":["logs:CreateLogGroup","logs:Describe*","logs:PutRetentionPolicy"]`)
		if !strings.Contains(fd.Summary, "does not allow logs:CreateLogStream, logs:PutLogEvents") {
			t.Errorf("summary: %s", fd.Summary)
		}
		if plan := PlanFixes(r); len(plan.Fixes) != 0 || len(plan.Manual) != 1 {
			t.Fatalf("plan: fixes %v, manual %v", dtKinds(plan), plan.Manual)
		}
		// a boundary with an explicit Deny is quoted by its statement
		_, err = b.iam.CreatePolicyVersion(b.ctx, &iam.CreatePolicyVersionInput{PolicyArn: out.Policy.Arn, SetAsDefault: true,
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"Frozen","Effect":"Deny","Action":"logs:CreateLogStream","Resource":"*"}]}`)})
		b.must(err)
		r = b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckPermissionsBoundary)
		dtFinding(t, r, CheckPermissionsBoundary, SeverityError, false, `(Sid "Frozen") of permissions boundary Boundary: {"Sid":"Frozen","Effect":"Deny"`)
	})

	t.Run("a log group missing in one region", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtProd})
		_, err := b.logs("eu-west-1").DeleteLogGroup(b.ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(dtProdLG)})
		b.must(err)
		r := b.diagnose(dtProd, DoctorOptions{})
		dtOnly(t, r, CheckLogGroupExists)
		fd := dtFinding(t, r, CheckLogGroupExists, SeverityError, true, `eu-west-1: logs:DescribeLogGroups found no log group named "crdb-prod-aws"`)
		if fd.Summary != "log group missing: crdb-prod-aws in eu-west-1" {
			t.Errorf("summary: %s", fd.Summary)
		}
		// the other regions' logs still arrive; the missing region is noted
		dtFinding(t, r, CheckLogsArriving, SeverityOK, false, "eu-west-1: no log group")
		plan := PlanFixes(r)
		if k := dtKinds(plan); !slices.Equal(k, []FixKind{FixLogGroup}) || plan.Fixes[0].Diff != "+ log group crdb-prod-aws in eu-west-1, retention 30 days" {
			t.Fatalf("plan = %v %q", k, plan.Fixes[0].Diff)
		}
		if _, err := ApplyFixes(b.ctx, b.env, plan, dtFixOptions(), nil); err != nil {
			t.Fatal(err)
		}
		// CockroachDB Cloud writes to the group again once it exists
		b.deliver("eu-west-1", dtProdLG)
		dtAllOK(t, b.diagnose(dtProd, DoctorOptions{}))
		// and what the doctor created is in the journal, for cleanup
		j, err := b.env.Journals.Open(cloudemu.ProdAWSClusterID, "")
		b.must(err)
		if !j.Owns(KindLogGroup, dtProdLG, "eu-west-1") {
			t.Fatal("the created log group is not in the journal")
		}
	})

	t.Run("no streams after ENABLED", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		logs := b.logs(dtStagingRg)
		_, err := logs.DeleteLogGroup(b.ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(dtStagingLG)})
		b.must(err)
		_, err = logs.CreateLogGroup(b.ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(dtStagingLG)})
		b.must(err)
		// just enabled: a warning, since logs are not back-filled
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r)
		dtFinding(t, r, CheckLogsArriving, SeverityWarning, false, "us-east-2: no stream with events in crdb-staging-aws")
		// enabled longer ago than the grace period: an error, repaired by
		// enabling again
		opts := DoctorOptions{ArrivalGrace: time.Nanosecond}
		r = b.diagnose(dtStaging, opts)
		dtOnly(t, r, CheckLogsArriving)
		dtFinding(t, r, CheckLogsArriving, SeverityError, true, "us-east-2: no stream with events")
		plan, after := b.fix(r, opts)
		if len(plan.Fixes) != 0 || !plan.Reenable || plan.ReenableReason != "logs are not arriving" {
			t.Fatalf("plan: %v reenable=%v %q", dtKinds(plan), plan.Reenable, plan.ReenableReason)
		}
		dtAllOK(t, after)
	})

	t.Run("a KMS-encrypted log group", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		logs := b.logs(dtStagingRg)
		key := "arn:aws:kms:us-east-2:" + dtOwnAccount + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
		_, err := logs.DeleteLogGroup(b.ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(dtStagingLG)})
		b.must(err)
		_, err = logs.CreateLogGroup(b.ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(dtStagingLG), KmsKeyId: aws.String(key)})
		b.must(err)
		b.deliver(dtStagingRg, dtStagingLG)
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r)
		fd := dtFinding(t, r, CheckLogGroupKMS, SeverityWarning, false, `kmsKeyId "`+key+`"`)
		if !strings.Contains(fd.Detail, "logs.us-east-2.amazonaws.com") {
			t.Errorf("detail: %s", fd.Detail)
		}
	})

	t.Run("the role is gone", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		b.must(awsiam.DeleteRole(b.ctx, b.iam, dtRole, []string{dtPolicyARN}))
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckRoleExists)
		dtFinding(t, r, CheckRoleExists, SeverityError, true, `auth_principal: "`+dtRoleARN+`"`)
		if fd := r.Finding(CheckTrustPrincipal); fd.Severity != SeverityInfo || !strings.Contains(fd.Summary, "does not exist") {
			t.Errorf("trust check without a role: %+v", fd)
		}
		plan, after := b.fix(r, DoctorOptions{})
		if k := dtKinds(plan); !slices.Equal(k, []FixKind{FixCreateRole, FixPolicy}) || !plan.Reenable {
			t.Fatalf("plan = %v reenable=%v", k, plan.Reenable)
		}
		dtAllOK(t, after)
	})

	t.Run("a role in the cluster's account", func(t *testing.T) {
		b := newDTBox(t)
		res := b.setup(SetupInput{Cluster: dtStaging})
		info, err := b.env.Cloud.LogExport(b.ctx, cloudemu.StagingAWSClusterID)
		b.must(err)
		req := info.Spec.Request()
		req.AuthPrincipal = "arn:aws:iam::" + dtStagingAccount + ":role/" + dtRole
		_, err = b.env.Cloud.EnableLogExport(b.ctx, cloudemu.StagingAWSClusterID, req)
		b.must(err)
		b.waitStatus(cloudemu.StagingAWSClusterID, cloudapi.StatusCredentialsError)
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckRoleAccount, CheckExportStatus)
		fd := dtFinding(t, r, CheckRoleAccount, SeverityError, true, req.AuthPrincipal)
		if !strings.Contains(fd.Detail, res.RoleARN) {
			t.Errorf("detail does not offer the role in your account: %s", fd.Detail)
		}
		plan, after := b.fix(r, DoctorOptions{})
		if k := dtKinds(plan); !slices.Equal(k, []FixKind{FixExport}) || plan.Reenable {
			t.Fatalf("plan = %v reenable=%v", k, plan.Reenable)
		}
		dtAllOK(t, after)
	})

	t.Run("a role in some other account", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		info, err := b.env.Cloud.LogExport(b.ctx, cloudemu.StagingAWSClusterID)
		b.must(err)
		req := info.Spec.Request()
		req.AuthPrincipal = "arn:aws:iam::111122223333:role/ThirdParty"
		_, err = b.env.Cloud.EnableLogExport(b.ctx, cloudemu.StagingAWSClusterID, req)
		b.must(err)
		b.waitStatus(cloudemu.StagingAWSClusterID, cloudapi.StatusCredentialsError)
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckExportStatus)
		fd := dtFinding(t, r, CheckRoleAccount, SeverityWarning, false, req.AuthPrincipal)
		if !strings.Contains(fd.Fix, "account 111122223333") {
			t.Errorf("fix: %s", fd.Fix)
		}
		for _, id := range []string{CheckTrustPrincipal, CheckPermissionsActions, CheckLogGroupExists} {
			if r.Finding(id).Severity != SeverityInfo {
				t.Errorf("%s is %s, want info (cannot be checked)", id, r.Finding(id).Severity)
			}
		}
	})

	t.Run("a failed export whose cause is out of sight", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		// IAM propagation (or an SCP) refuses what every local check allows
		b.sb.Cloud.SetTimings(cloudemu.Timings{EnableAfter: 100 * time.Millisecond, IAMPropagation: time.Hour, EventInterval: time.Hour})
		info, err := b.env.Cloud.LogExport(b.ctx, cloudemu.StagingAWSClusterID)
		b.must(err)
		_, err = b.env.Cloud.EnableLogExport(b.ctx, cloudemu.StagingAWSClusterID, info.Spec.Request())
		b.must(err)
		b.waitStatus(cloudemu.StagingAWSClusterID, cloudapi.StatusCredentialsError)
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckExportStatus)
		fd := dtFinding(t, r, CheckExportStatus, SeverityError, true, `status: "CREDENTIALS_ERROR"`, "user_message: \"unable to assume role")
		if !strings.Contains(fd.Detail, "SCP") || !strings.Contains(fd.Detail, "propagated") {
			t.Errorf("detail: %s", fd.Detail)
		}
		plan := PlanFixes(r)
		if len(plan.Fixes) != 0 || !plan.Reenable {
			t.Fatalf("plan: %v reenable=%v", dtKinds(plan), plan.Reenable)
		}
		// while IAM still refuses, enabling again retries (the role changed
		// less than two minutes ago and its trust checks out) until the two
		// minutes IAM may take are over, then reports the failure; the clock
		// advances by each backoff instead of waiting for it
		ok, _ := ShouldReenable(plan, r)
		if !ok {
			t.Fatal("re-enable not advised")
		}
		var mu sync.Mutex
		offset := 100 * time.Second // setup changed the role this long ago
		b.env.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(offset) }
		b.env.Sleep = func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			offset += d
			mu.Unlock()
			return ctx.Err()
		}
		res, err := Reenable(b.ctx, b.env, r, FixOptions{Watch: dtWatch()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != cloudapi.StatusCredentialsError || res.PropagationRetries == 0 {
			t.Fatalf("re-enable during propagation: %s after %d retries", res.Status, res.PropagationRetries)
		}
		// once IAM has caught up, enabling again works
		b.sb.Cloud.SetTimings(cloudemu.Timings{EnableAfter: 100 * time.Millisecond, IAMPropagation: time.Nanosecond, EventInterval: time.Hour})
		_, after := b.fix(b.diagnose(dtStaging, DoctorOptions{}), DoctorOptions{})
		dtAllOK(t, after)
	})

	t.Run("a policy ARN as auth_principal", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		// The docs' troubleshooting case, end to end: the API takes the
		// policy's ARN, and CockroachDB Cloud's AssumeRole on it fails.
		b.postPrincipal(dtPolicyARN)
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckAuthPrincipalKind, CheckExportStatus)
		fd := dtFinding(t, r, CheckAuthPrincipalKind, SeverityError, true, `auth_principal: "`+dtPolicyARN+`"`, "attached to: "+dtRoleARN)
		if !strings.Contains(fd.Fix, "auth_principal "+dtRoleARN) {
			t.Errorf("fix: %s", fd.Fix)
		}
		dtCausedBy(t, r, CheckExportStatus, CheckAuthPrincipalKind)
		dtFinding(t, r, CheckExportStatus, SeverityError, true, "sts:AssumeRole on resource: "+dtPolicyARN)
		plan, after := b.fix(r, DoctorOptions{})
		if k := dtKinds(plan); !slices.Equal(k, []FixKind{FixExport}) || plan.Fixes[0].Diff != "- auth_principal: "+dtPolicyARN+"\n+ auth_principal: "+dtRoleARN {
			t.Fatalf("plan = %v\n%s", k, plan.Fixes[0].Diff)
		}
		dtAllOK(t, after)

		// attached to several roles: they are listed, and the choice is the user's
		_, err := awsiam.EnsureRole(b.ctx, b.iam, awsiam.RoleSpec{Name: "SecondRole", Trust: awsiam.TrustPolicy(dtStagingAccount, "")})
		b.must(err)
		_, err = awsiam.AttachPolicy(b.ctx, b.iam, "SecondRole", dtPolicyARN)
		b.must(err)
		b.postPrincipal(dtPolicyARN)
		r = b.diagnose(dtStaging, DoctorOptions{})
		fd = dtFinding(t, r, CheckAuthPrincipalKind, SeverityError, false, "attached to: "+dtRoleARN+", arn:aws:iam::"+dtOwnAccount+":role/SecondRole")
		if !strings.Contains(fd.Fix, "--role-arn ROLE_ARN") {
			t.Errorf("fix: %s", fd.Fix)
		}
		if k := dtKinds(PlanFixes(r)); slices.Contains(k, FixExport) {
			t.Fatalf("a role was chosen among several: %v", k)
		}
	})

	t.Run("a non-exportable channel", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		// The Cloud API refuses these channels today; older configurations
		// can still carry them.
		f, err := GatherDoctorFacts(b.ctx, b.env, dtStaging, DoctorOptions{})
		b.must(err)
		f.Export.Spec.OmittedChannels = []string{"SQL_PERF", "DEV"}
		f.Export.Spec.Groups = []cloudapi.LogExportGroup{{LogName: dtStagingLG, Channels: []string{"OPS", "TELEMETRY"}}}
		r := RunChecks(f)
		dtOnly(t, r, CheckChannelsValid)
		dtFinding(t, r, CheckChannelsValid, SeverityError, false, `omitted_channels: "DEV"`, `groups[0] (crdb-staging-aws).channels: "TELEMETRY"`)
	})
}
