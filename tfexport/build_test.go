package tfexport

import (
	"slices"
	"strings"
	"testing"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// edgeLive is a live state with everything unusual at once: a failed
// export, a missing log group, retentions that differ, a KMS key and a
// log group class, two customer managed policies and an AWS managed one,
// a sending queue, and IAM policy variables that must stay literal.
func edgeLive() *Live {
	ret := func(d int32) *int32 { return &d }
	role := "arn:aws:iam::" + sandboxAccount + ":role/edge-role"
	return &Live{
		Cluster: cloudapi.Cluster{ID: "c0ffee00-0000-4000-8000-000000000001", Name: "edge", Plan: cloudapi.PlanAdvanced, CloudProvider: cloudapi.ProviderAWS,
			Regions: []cloudapi.Region{{Name: "us-east-1"}, {Name: "eu-west-1"}}},
		Export: cloudapi.LogExportInfo{Configured: true, Status: cloudapi.StatusCredentialsError, UserMessage: "could not assume the role",
			Spec: cloudapi.LogExportSpec{Type: cloudapi.TypeAWSCloudWatch, LogName: "edge-logs", AuthPrincipal: role,
				Groups: []cloudapi.LogExportGroup{{LogName: "edge-audit", Channels: []string{"SENSITIVE_ACCESS"}, EnableSendingQueue: cloudapi.Bool(true)}}}},
		Account: sandboxAccount,
		Regions: []string{"us-east-1", "eu-west-1"},
		Role: awsiam.RoleState{Exists: true, Name: "edge-role", ARN: role, Path: "/",
			TrustRaw: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::271828182845:root"},"Action":"sts:AssumeRole"}]}`},
		Policies: awsiam.RolePolicySet{Attached: []awsiam.ManagedPolicy{
			{ARN: "arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess", Name: "CloudWatchLogsReadOnlyAccess", Text: `{"Version":"2012-10-17","Statement":[]}`},
			{ARN: "arn:aws:iam::" + sandboxAccount + ":policy/edge-a", Name: "edge-a", Path: "/",
				Text: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:*:314159265358:log-group:edge-logs:*"}]}`},
			{ARN: "arn:aws:iam::" + sandboxAccount + ":policy/edge-b", Name: "edge-b", Path: "/",
				Text: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:*:314159265358:log-group:${aws:PrincipalTag/team}-%{x}:*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":3600},"Bool":{"aws:SecureTransport":true},"Null":{"aws:TokenIssueTime":null}}}]}`},
		}},
		LogGroups: []LogGroup{
			{Region: "us-east-1", Name: "edge-logs", State: awsiam.LogGroupState{Exists: true, RetentionDays: ret(14),
				KMSKeyID: "arn:aws:kms:us-east-1:314159265358:key/k-1", Class: "INFREQUENT_ACCESS", ARN: "arn:aws:logs:us-east-1:314159265358:log-group:edge-logs"},
				Tags: map[string]string{"b": "2", "a": "1"}},
			{Region: "eu-west-1", Name: "edge-logs"},
			{Region: "us-east-1", Name: "edge-audit", State: awsiam.LogGroupState{Exists: true, RetentionDays: ret(365), Class: "STANDARD"}},
			{Region: "eu-west-1", Name: "edge-audit", State: awsiam.LogGroupState{Exists: true}},
		},
	}
}

func TestBuildUnusualLiveState(t *testing.T) {
	cfg := Build(edgeLive())
	hclDoc := cfg.Document(FormatHCL)
	checkFormatted(t, hclDoc)
	tc := checkSameContent(t, cfg)
	text := string(hclDoc)

	// The failed status and the missing group are said, in the output and
	// to the caller.
	if len(cfg.Warnings) != 2 || !strings.Contains(cfg.Warnings[0], "edge-logs does not exist in eu-west-1") || !strings.Contains(cfg.Warnings[1], "CREDENTIALS_ERROR when this was written: could not assume the role") {
		t.Errorf("warnings = %q", cfg.Warnings)
	}
	for _, w := range cfg.Warnings {
		if !strings.Contains(strings.Join(strings.Fields(strings.ReplaceAll(text, "#", "")), " "), w) {
			t.Errorf("warning %q is not in the output as a comment", w)
		}
	}
	// A missing log group is created, not imported.
	if _, ok := tc.Imports["aws_cloudwatch_log_group.eu_west_1"]; ok {
		t.Error("the missing log group has an import block")
	}
	if i := slices.IndexFunc(cfg.Resources, func(r Resource) bool { return r.Address == "aws_cloudwatch_log_group.eu_west_1" }); i < 0 || cfg.Resources[i].ImportID != "" {
		t.Errorf("resources = %+v", cfg.Resources)
	}
	// Retention: the variable holds the first existing group's; the others
	// keep theirs (0 is never expire).
	if tc.Variables["retention_in_days"].Default != float64(14) {
		t.Errorf("retention variable = %v", tc.Variables["retention_in_days"].Default)
	}
	for addr, want := range map[string]any{
		"aws_cloudwatch_log_group.us_east_1": float64(14), "aws_cloudwatch_log_group.group_1_us_east_1": float64(365),
		"aws_cloudwatch_log_group.group_1_eu_west_1": float64(0), "aws_cloudwatch_log_group.eu_west_1": float64(14),
	} {
		if got := tc.Resources[addr].Args["retention_in_days"]; got != want {
			t.Errorf("%s retention = %v, want %v", addr, got, want)
		}
	}
	us := tc.Resources["aws_cloudwatch_log_group.us_east_1"].Args
	if us["kms_key_id"] != "arn:aws:kms:us-east-1:314159265358:key/k-1" || us["log_group_class"] != "INFREQUENT_ACCESS" {
		t.Errorf("us-east-1 log group = %v", us)
	}
	if tc.Resources["aws_cloudwatch_log_group.group_1_us_east_1"].Args["log_group_class"] != nil {
		t.Error("the default class STANDARD is written out")
	}
	// Tags are sorted, so the output is the same on every run.
	if strings.Index(text, `"a" = "1"`) > strings.Index(text, `"b" = "2"`) {
		t.Error("tags are not sorted")
	}
	// enable_sending_queue needs the cockroach provider 1.22.
	if tc.RequiredProviders["cockroach"]["version"] != cockroachQueueVersion {
		t.Errorf("cockroach version = %v", tc.RequiredProviders["cockroach"]["version"])
	}
	// Two customer managed policies: one resource and variable each; the
	// AWS managed one is attached by its ARN, not managed.
	for _, addr := range []string{"aws_iam_policy.edge_a", "aws_iam_policy.edge_b", "aws_iam_role_policy_attachment.edge_a", "aws_iam_role_policy_attachment.edge_b"} {
		if tc.Resources[addr] == nil {
			t.Errorf("no %s", addr)
		}
	}
	if tc.Variables["edge_a_policy_name"].Default != "edge-a" || tc.Variables["edge_b_policy_name"].Default != "edge-b" {
		t.Errorf("variables = %v", tc.Variables)
	}
	if _, ok := tc.Resources["aws_iam_policy.cloudwatchlogsreadonlyaccess"]; ok {
		t.Error("an AWS managed policy became a resource")
	}
	att := tc.Resources["aws_iam_role_policy_attachment.cloudwatchlogsreadonlyaccess"]
	if att == nil || att.Args["policy_arn"] != "arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess" ||
		tc.Imports["aws_iam_role_policy_attachment.cloudwatchlogsreadonlyaccess"].ID != "edge-role/arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess" {
		t.Errorf("AWS managed attachment = %+v", att)
	}
	// IAM's own ${...} and a %{ stay literal in both syntaxes; numbers,
	// booleans and null keep their JSON types.
	doc := tc.Resources["aws_iam_policy.edge_b"].Args["policy"]
	if r := dig(doc, "Statement", 0, "Resource"); r != "arn:aws:logs:*:314159265358:log-group:${aws:PrincipalTag/team}-%{x}:*" {
		t.Errorf("resource = %v", r)
	}
	cond := dig(doc, "Statement", 0, "Condition")
	if dig(cond, "NumericLessThan", "aws:MultiFactorAuthAge") != float64(3600) || dig(cond, "Bool", "aws:SecureTransport") != true ||
		!hasKeyNull(dig(cond, "Null"), "aws:TokenIssueTime") {
		t.Errorf("condition = %v", cond)
	}
	// A log group ARN of the export follows its variable.
	if refs := tc.Resources["aws_iam_policy.edge_a"].Refs["policy"]; !slices.Equal(refs, []string{"var.log_group_name"}) {
		t.Errorf("edge-a refers to %v", refs)
	}
}

func hasKeyNull(v any, key string) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	val, present := m[key]
	return present && val == nil
}

func TestLabel(t *testing.T) {
	for in, want := range map[string]string{
		"us-east-1": "us_east_1", "prod-aws": "prod_aws", "CockroachCloudLogExportPolicy": "cockroachcloudlogexportpolicy",
		"7th-cluster": "r_7th_cluster", "": "r_", "a.b/c@d": "a_b_c_d",
	} {
		if got := label(in); got != want {
			t.Errorf("label(%q) = %q, want %q", in, got, want)
		}
	}
	taken := map[string]bool{"log_export": true}
	if a, b := uniqueLabel("log-export", taken), uniqueLabel("log.export", taken); a != "log_export_2" || b != "log_export_3" {
		t.Errorf("unique labels %q %q", a, b)
	}
}
