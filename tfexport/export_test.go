package tfexport

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

var rewrite = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *rewrite {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (rerun with -update if the change is meant):\n%s", name, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the first lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n- " + wl + "\n+ " + gl
		}
	}
	return ""
}

// checkFormatted fails when `terraform fmt` (hclwrite.Format, which it
// runs) would change the native syntax.
func checkFormatted(t *testing.T, src []byte) {
	t.Helper()
	if f := hclwrite.Format(src); !bytes.Equal(f, src) {
		t.Errorf("not formatted as terraform fmt leaves it:\n%s", lineDiff(string(src), string(f)))
	}
}

// checkSameContent parses both syntaxes and requires the same blocks,
// arguments, values, references and imports, whether written as one
// document or as the files of a directory.
func checkSameContent(t *testing.T, cfg *Config) *tfConfig {
	t.Helper()
	fromHCL := parseTerraform(t, Output{"all.tf", cfg.Document(FormatHCL)})
	for _, f := range []Format{FormatHCL, FormatJSON} {
		for name, got := range map[string]*tfConfig{
			"one document": parseTerraform(t, Output{"all" + f.Ext(), cfg.Document(f)}),
			"its files":    parseTerraform(t, cfg.Render(f)...),
		} {
			if a, b := canonical(fromHCL), canonical(got); a != b {
				t.Errorf("%s syntax, %s, says something else than the native document:\n%s", f, name, lineDiff(a, b))
			}
		}
	}
	return fromHCL
}

// canonical is a decoded configuration as sorted, indented JSON.
func canonical(c *tfConfig) string {
	for _, r := range c.Resources {
		for k := range r.Refs {
			sort.Strings(r.Refs[k])
		}
	}
	b, _ := json.MarshalIndent(c, "", " ")
	return string(b)
}

// exportChecked exports a cluster and checks the output: the native syntax
// against its golden file and terraform fmt, both syntaxes for the same
// content and no secret, and the decoded configuration against the live
// state.
func exportChecked(t *testing.T, env *steps.Env, sb *sandbox.Env, cluster, goldenName string) (*Config, *tfConfig) {
	t.Helper()
	cfg := exportFor(t, env, cluster)
	hclDoc := cfg.Document(FormatHCL)
	golden(t, goldenName, hclDoc)
	checkFormatted(t, hclDoc)
	checkNoSecrets(t, sb, hclDoc, cfg.Document(FormatJSON))
	tc := checkSameContent(t, cfg)
	checkAgainstLive(t, env, tc, cluster)
	return cfg, tc
}

// TestProdAWSGolden exports the tool's own setup of prod-aws — three
// regions, two groups with their own log groups, an external ID — and
// holds the output to golden files, then reads it back and checks every
// resource, reference, provider, dependency and import ID against the live
// state.
func TestProdAWSGolden(t *testing.T) {
	env, sb := testEnv(t)
	prodSetup(t, env)
	cfg, tc := exportChecked(t, env, sb, cloudemu.ProdAWSClusterName, "prod-aws.tf")
	golden(t, "prod-aws.tf.json", cfg.Document(FormatJSON))
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings for a healthy setup: %q", cfg.Warnings)
	}

	// prod-aws specifics: three regions, three log groups in each, the
	// external ID on both sides.
	if len(tc.Providers) != 4 {
		t.Errorf("providers = %v, want three aws regions and cockroach", keys(tc.Providers))
	}
	export := tc.Resources["cockroach_log_export_config.prod_aws"]
	if export.Args["aws_external_id"] != goldenExternalID {
		t.Errorf("aws_external_id = %v", export.Args["aws_external_id"])
	}
	groups, _ := export.Args["groups"].([]any)
	if len(groups) != 2 {
		t.Fatalf("groups = %v", export.Args["groups"])
	}
	if g := groups[0].(map[string]any); g["log_name"] != "crdb-prod-aws-sql" || g["min_level"] != "WARNING" || g["redact"] != false {
		t.Errorf("group 1 = %v", g)
	}
	if g := groups[1].(map[string]any); g["min_level"] != nil || g["redact"] != nil {
		t.Errorf("group 2 has fields the spec does not: %v", g)
	}
	if n := countType(tc, typeLogGroup); n != 9 {
		t.Errorf("%d log groups, want 3 names × 3 regions", n)
	}
	// The permission policy's log group ARNs follow the variables.
	pol := tc.Resources["aws_iam_policy.log_export"]
	if !slices.Contains(pol.Refs["policy"], "var.group_1_log_group_name") || !slices.Contains(pol.Refs["policy"], "var.log_group_name") {
		t.Errorf("policy refers to %v", pol.Refs["policy"])
	}
}

// TestStandardAWSGolden: a Standard cluster's trust requires the cluster
// ID as external ID, and its export carries no aws_external_id.
func TestStandardAWSGolden(t *testing.T) {
	env, sb := testEnv(t)
	setUp(t, env, steps.SetupInput{Cluster: cloudemu.StandardAWSClusterName})
	_, tc := exportChecked(t, env, sb, cloudemu.StandardAWSClusterName, "standard-aws.tf")

	export := tc.Resources["cockroach_log_export_config.standard_aws"]
	if _, ok := export.Args["aws_external_id"]; ok {
		t.Errorf("a Standard export got aws_external_id %v", export.Args["aws_external_id"])
	}
	trust := tc.Resources["aws_iam_role.log_export"].Args["assume_role_policy"]
	cond := dig(trust, "Statement", 0, "Condition", "StringEquals", "sts:ExternalId")
	if cond != cloudemu.StandardAWSClusterID {
		t.Errorf("trust external ID = %v, want the cluster ID", cond)
	}
	if len(tc.Providers) != 2 || tc.Providers["aws.us_east_1"]["region"] != "us-east-1" {
		t.Errorf("providers = %v", tc.Providers)
	}
}

// TestHandMadeExport: an export nobody set up with this tool — a role,
// policy, inline policy and log group made directly in AWS, and the export
// POSTed directly to the Cloud API — is exported the same way: everything
// imported as it is, and said not to be the tool's.
func TestHandMadeExport(t *testing.T) {
	env, sb := testEnv(t)
	handMade(t, env, sb)
	cfg, tc := exportChecked(t, env, sb, cloudemu.StagingAWSClusterName, "hand-made.tf")

	text := string(cfg.Document(FormatHCL))
	for _, what := range []string{"role", "policy", "log group"} {
		if !strings.Contains(text, "# This "+what+" was not made by crdb-logexport") {
			t.Errorf("no comment saying the %s is not the tool's", what)
		}
	}
	role := tc.Resources["aws_iam_role.log_export"]
	for arg, want := range map[string]any{
		"path": "/byo/", "description": "Lets staging write logs (made by hand)", "max_session_duration": float64(7200),
		"permissions_boundary": "arn:aws:iam::" + sandboxAccount + ":policy/byo/LogsBoundary",
		"tags":                 map[string]any{"team": "platform"},
	} {
		if !reflect.DeepEqual(role.Args[arg], want) {
			t.Errorf("role %s = %#v, want %#v", arg, role.Args[arg], want)
		}
	}
	inline := tc.Resources["aws_iam_role_policy.describe_groups"]
	if inline == nil || tc.Imports["aws_iam_role_policy.describe_groups"].ID != "StagingExporter:describe-groups" {
		t.Fatalf("inline policy: %+v, import %+v", inline, tc.Imports["aws_iam_role_policy.describe_groups"])
	}
	export := tc.Resources["cockroach_log_export_config.staging_aws"]
	if !slices.Contains(export.DependsOn, "aws_iam_role_policy.describe_groups") {
		t.Errorf("the export does not wait for the inline policy: %v", export.DependsOn)
	}
	lg := tc.Resources["aws_cloudwatch_log_group.us_east_2"]
	if lg.Args["retention_in_days"] != float64(90) || lg.Args["log_group_class"] != nil {
		t.Errorf("log group = %v", lg.Args)
	}
	if tc.Variables["retention_in_days"].Default != float64(90) {
		t.Errorf("retention variable = %v", tc.Variables["retention_in_days"])
	}
}

// handMade builds staging-aws's export without the tool.
func handMade(t *testing.T, env *steps.Env, sb *sandbox.Env) {
	t.Helper()
	ctx := testCtx(t)
	iamc := env.AWS.IAM
	// Keys in another order than the tool writes them, and array forms.
	trust := `{"Statement":[{"Action":["sts:AssumeRole"],"Principal":{"AWS":["arn:aws:iam::` + cloudemu.StagingAWSAccountID + `:root"]},"Effect":"Allow"}],"Version":"2012-10-17"}`
	boundaryARN := mustCreatePolicy(t, env, "LogsBoundary", "/byo/", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`)
	_, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("StagingExporter"), Path: aws.String("/byo/"), Description: aws.String("Lets staging write logs (made by hand)"),
		MaxSessionDuration: aws.Int32((7200)), AssumeRolePolicyDocument: aws.String(trust), PermissionsBoundary: aws.String(boundaryARN),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	perm := `{"Version":"2012-10-17","Statement":[{"Sid":"Write","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents","logs:DescribeLogStreams","logs:CreateLogGroup","logs:PutRetentionPolicy"],"Resource":"arn:aws:logs:us-east-2:` + sandboxAccount + `:log-group:staging-logs:*"}]}`
	policyARN := mustCreatePolicy(t, env, "StagingLogs", "/byo/", "Staging log export (by hand)", perm)
	if _, err := awsiam.AttachPolicy(ctx, iamc, "StagingExporter", policyARN); err != nil {
		t.Fatal(err)
	}
	inline := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"logs:DescribeLogGroups","Resource":"*"}}`
	if _, err := iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("StagingExporter"), PolicyName: aws.String("describe-groups"), PolicyDocument: aws.String(inline)}); err != nil {
		t.Fatal(err)
	}
	logs := env.AWS.LogsFor("us-east-2")
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("staging-logs"), Tags: map[string]string{"team": "platform"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("staging-logs"), RetentionInDays: aws.Int32((90))}); err != nil {
		t.Fatal(err)
	}
	cloudPost(t, sb, "/api/v1/clusters/"+cloudemu.StagingAWSClusterID+"/logexport", map[string]any{
		"type": "AWS_CLOUDWATCH", "log_name": "staging-logs",
		"auth_principal": "arn:aws:iam::" + sandboxAccount + ":role/byo/StagingExporter",
		"groups":         []map[string]any{{"log_name": "staging-logs", "channels": []string{"SESSIONS"}, "min_level": "ERROR"}},
	})
	waitEnabled(t, env, cloudemu.StagingAWSClusterID)
}

// checkAgainstLive reads the live state again, independently of Read, and
// requires the decoded configuration to describe it: each log group in its
// region's provider with its settings, the role's trust and the policies'
// documents as IAM holds them, references instead of copies, the export's
// every field, depends_on, and the documented import ID of every resource.
func checkAgainstLive(t *testing.T, env *steps.Env, tc *tfConfig, cluster string) {
	t.Helper()
	ctx := testCtx(t)
	c, err := env.Cloud.FindCluster(ctx, cluster)
	if err != nil {
		t.Fatal(err)
	}
	info, err := env.Cloud.LogExport(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	spec := info.Spec
	regions := c.ExportRegions(spec)

	if tc.RequiredProviders["aws"]["source"] != "hashicorp/aws" || tc.RequiredProviders["cockroach"]["source"] != "cockroachdb/cockroach" ||
		tc.RequiredProviders["aws"]["version"] == nil || tc.RequiredProviders["cockroach"]["version"] == nil || tc.RequiredVersion == "" {
		t.Errorf("terraform block: %v, %q", tc.RequiredProviders, tc.RequiredVersion)
	}
	if _, ok := tc.Providers["cockroach"]; !ok {
		t.Error("no cockroach provider block")
	}

	// Log groups: one per name and region, on that region's provider.
	logGroups := map[string]bool{}
	for _, name := range spec.LogGroups() {
		for _, region := range regions {
			st, err := awsiam.InspectLogGroup(ctx, env.AWS.LogsFor(region), name)
			if err != nil || !st.Exists {
				t.Fatalf("log group %s in %s: %+v %v", name, region, st, err)
			}
			addr, r := findLogGroup(tc, name, region)
			if r == nil {
				t.Errorf("no resource for log group %s in %s", name, region)
				continue
			}
			logGroups[addr] = true
			if tc.Imports[addr].ID != name || tc.Imports[addr].Provider != r.Provider {
				t.Errorf("%s import = %+v, want id %s on %s", addr, tc.Imports[addr], name, r.Provider)
			}
			if r.Args["retention_in_days"] != float64(*st.RetentionDays) {
				t.Errorf("%s retention = %v, live %d", addr, r.Args["retention_in_days"], *st.RetentionDays)
			}
			tags, err := awsiam.LogGroupTags(ctx, env.AWS.LogsFor(region), st.ARN)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Args["tags"], stringMap(tags)) {
				t.Errorf("%s tags = %v, live %v", addr, r.Args["tags"], tags)
			}
		}
	}
	if len(logGroups) != countType(tc, typeLogGroup) {
		t.Errorf("%d log group resources, %d live log groups", countType(tc, typeLogGroup), len(logGroups))
	}

	// The role, with its trust as IAM holds it.
	principal, _ := awsiam.ParseARN(spec.AuthPrincipal)
	role, err := awsiam.InspectRole(ctx, env.AWS.IAM, principal.Name)
	if err != nil {
		t.Fatal(err)
	}
	r := tc.Resources["aws_iam_role.log_export"]
	if r == nil {
		t.Fatal("no aws_iam_role.log_export")
	}
	iamProvider := "aws." + label(regions[0])
	if r.Provider != iamProvider || r.Args["name"] != role.Name || tc.Imports["aws_iam_role.log_export"] != (tfImport{ID: role.Name, Provider: iamProvider}) {
		t.Errorf("role: provider %s, name %v, import %+v", r.Provider, r.Args["name"], tc.Imports["aws_iam_role.log_export"])
	}
	if !reflect.DeepEqual(r.Args["assume_role_policy"], jsonDoc(t, role.TrustRaw)) {
		t.Errorf("trust = %v\nlive %s", r.Args["assume_role_policy"], role.TrustRaw)
	}
	if dig(r.Args["assume_role_policy"], "Statement", 0, "Principal", "AWS") == nil {
		t.Error("trust names no AWS principal")
	}

	// Each attached policy: the policy as IAM holds it (customer managed),
	// and the attachment by references.
	set, err := awsiam.RolePolicies(ctx, env.AWS.IAM, role.Name)
	if err != nil {
		t.Fatal(err)
	}
	export := tc.Resources["cockroach_log_export_config."+label(c.Name)]
	if export == nil {
		t.Fatalf("no cockroach_log_export_config.%s", label(c.Name))
	}
	for _, p := range set.Attached {
		addr, att := findAttachment(tc, role.Name, p.ARN)
		if att == nil {
			t.Errorf("no attachment of %s imported as role-name/policy-arn", p.ARN)
			continue
		}
		if att.Provider != iamProvider || tc.Imports[addr].Provider != iamProvider {
			t.Errorf("%s on %s, imported on %s", addr, att.Provider, tc.Imports[addr].Provider)
		}
		if !slices.Equal(att.Refs["role"], []string{"aws_iam_role.log_export.name"}) {
			t.Errorf("%s role refers to %v", addr, att.Refs["role"])
		}
		if !slices.Contains(export.DependsOn, addr) {
			t.Errorf("the export does not depend on %s: %v", addr, export.DependsOn)
		}
		if a, _ := awsiam.ParseARN(p.ARN); a.AccountID == "aws" {
			if att.Args["policy_arn"] != p.ARN {
				t.Errorf("%s policy_arn = %v, want the AWS managed policy's ARN", addr, att.Args["policy_arn"])
			}
			continue
		}
		polAddr := strings.TrimSuffix(strings.Join(att.Refs["policy_arn"], ""), ".arn")
		pol := tc.Resources[polAddr]
		if pol == nil {
			t.Errorf("%s policy_arn refers to %v, not a policy of this configuration", addr, att.Refs["policy_arn"])
			continue
		}
		if tc.Imports[polAddr] != (tfImport{ID: p.ARN, Provider: iamProvider}) || pol.Args["name"] != p.Name ||
			!reflect.DeepEqual(pol.Args["policy"], jsonDoc(t, p.Text)) {
			t.Errorf("%s: import %+v, name %v, document %v\nlive %s", polAddr, tc.Imports[polAddr], pol.Args["name"], pol.Args["policy"], p.Text)
		}
	}
	for _, p := range set.Inline {
		addr := ""
		for a := range tc.Resources {
			if strings.HasPrefix(a, typeInline+".") && tc.Imports[a].ID == role.Name+":"+p.Name {
				addr = a
			}
		}
		ip := tc.Resources[addr]
		if ip == nil {
			t.Errorf("no inline policy %s imported as role-name:policy-name", p.Name)
			continue
		}
		if ip.Args["name"] != p.Name || !reflect.DeepEqual(ip.Args["policy"], jsonDoc(t, p.Text)) || !slices.Contains(export.DependsOn, addr) {
			t.Errorf("%s = %v (depends_on %v)\nlive %s", addr, ip.Args, export.DependsOn, p.Text)
		}
	}

	// The export: every field of the live spec, the role by reference.
	if tc.Imports["cockroach_log_export_config."+label(c.Name)] != (tfImport{ID: c.ID}) {
		t.Errorf("export import = %+v, want the cluster ID and no provider alias", tc.Imports["cockroach_log_export_config."+label(c.Name)])
	}
	if !slices.Equal(export.Refs["auth_principal"], []string{"aws_iam_role.log_export.arn"}) {
		t.Errorf("auth_principal refers to %v", export.Refs["auth_principal"])
	}
	want := map[string]any{"id": c.ID, "type": string(spec.Type), "log_name": spec.LogName, "auth_principal": "<aws_iam_role.log_export.arn>"}
	if spec.AWSExternalID != "" {
		want["aws_external_id"] = spec.AWSExternalID
	}
	if spec.Region != "" {
		want["region"] = spec.Region
	}
	if spec.Redact != nil {
		want["redact"] = *spec.Redact
	}
	if len(spec.OmittedChannels) > 0 {
		want["omitted_channels"] = anyList(spec.OmittedChannels)
	}
	if len(spec.Groups) > 0 {
		var gs []any
		for _, g := range spec.Groups {
			m := map[string]any{"log_name": g.LogName, "channels": anyList(g.Channels)}
			if g.MinLevel != "" && g.MinLevel != cloudapi.LevelUnspecified {
				m["min_level"] = string(g.MinLevel)
			}
			if g.Redact != nil {
				m["redact"] = *g.Redact
			}
			gs = append(gs, m)
		}
		want["groups"] = gs
	}
	got := export.Args
	if !reflect.DeepEqual(normaliseGroups(got), want) {
		t.Errorf("export arguments:\n got %v\nwant %v", got, want)
	}

	// Everything exists, so everything is imported.
	for addr := range tc.Resources {
		if _, ok := tc.Imports[addr]; !ok {
			t.Errorf("%s exists but has no import block", addr)
		}
	}
	for addr := range tc.Imports {
		if tc.Resources[addr] == nil {
			t.Errorf("import of %s, which the configuration does not declare", addr)
		}
	}
}

// normaliseGroups drops the null attributes an object constructor of the
// native syntax never has but a decoded list of differently shaped
// objects gets (cty unifies their types).
func normaliseGroups(args map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range args {
		out[k] = v
	}
	if gs, ok := out["groups"].([]any); ok {
		clean := make([]any, len(gs))
		for i, g := range gs {
			m := map[string]any{}
			for k, v := range g.(map[string]any) {
				if v != nil {
					m[k] = v
				}
			}
			clean[i] = m
		}
		out["groups"] = clean
	}
	return out
}

func findLogGroup(tc *tfConfig, name, region string) (string, *tfResource) {
	for addr, r := range tc.Resources {
		if strings.HasPrefix(addr, typeLogGroup+".") && r.Args["name"] == name && r.Provider == "aws."+label(region) {
			return addr, r
		}
	}
	return "", nil
}

// findAttachment finds the attachment of a policy by its import ID,
// role-name/policy-arn.
func findAttachment(tc *tfConfig, roleName, policyARN string) (string, *tfResource) {
	for addr, r := range tc.Resources {
		if strings.HasPrefix(addr, typeAttachment+".") && tc.Imports[addr].ID == roleName+"/"+policyARN {
			return addr, r
		}
	}
	return "", nil
}

func countType(tc *tfConfig, typ string) int {
	n := 0
	for addr := range tc.Resources {
		if strings.HasPrefix(addr, typ+".") {
			n++
		}
	}
	return n
}

func jsonDoc(t *testing.T, text string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// dig walks decoded JSON by keys and indexes; nil when a step is missing.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func stringMap(m map[string]string) any {
	if len(m) == 0 {
		return nil
	}
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func anyList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func keys[V any](m map[string]V) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

// checkNoSecrets: neither the API key nor the AWS secret key appears.
func checkNoSecrets(t *testing.T, sb *sandbox.Env, docs ...[]byte) {
	t.Helper()
	for _, d := range docs {
		for _, secret := range []string{sb.APIKey, sb.SecretAccessKey} {
			if bytes.Contains(d, []byte(secret)) {
				t.Errorf("a secret appears in the output")
			}
		}
	}
}

func mustCreatePolicy(t *testing.T, env *steps.Env, name, path, description, doc string) string {
	t.Helper()
	in := &iam.CreatePolicyInput{PolicyName: aws.String(name), Path: aws.String(path), PolicyDocument: aws.String(doc)}
	if description != "" {
		in.Description = aws.String(description)
	}
	out, err := env.AWS.IAM.CreatePolicy(testCtx(t), in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Policy.Arn)
}

// TestAnotherClustersResources: staging-aws's export pointed by hand at
// the role, policy and log group setup made for prod-aws is exported, and
// each of them is said — in a comment and a warning — to be another
// cluster's, since prod-aws's own Terraform would import the same ones.
func TestAnotherClustersResources(t *testing.T) {
	env, sb := testEnv(t)
	setUp(t, env, steps.SetupInput{Cluster: cloudemu.ProdAWSClusterName, ExportRegion: "us-east-1"})
	prod, err := Read(testCtx(t), env, cloudemu.ProdAWSClusterName)
	if err != nil {
		t.Fatal(err)
	}
	cloudPost(t, sb, "/api/v1/clusters/"+cloudemu.StagingAWSClusterID+"/logexport", map[string]any{
		"type": "AWS_CLOUDWATCH", "log_name": prod.Export.Spec.LogName, "auth_principal": prod.Export.Spec.AuthPrincipal,
		"region": "us-east-1", "aws_external_id": prod.Export.Spec.AWSExternalID,
	})
	live, err := Read(testCtx(t), env, cloudemu.StagingAWSClusterName)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Build(live)
	text := string(cfg.Document(FormatHCL))
	for _, what := range []string{"role " + prod.Role.Name, "policy ", "log group " + prod.Export.Spec.LogName} {
		found := false
		for _, w := range cfg.Warnings {
			if strings.Contains(w, "The "+what) && strings.Contains(w, "made by crdb-logexport for another cluster, "+cloudemu.ProdAWSClusterName+" ("+cloudemu.ProdAWSClusterID+")") {
				found = true
			}
		}
		if !found {
			t.Errorf("no warning that the %s is prod-aws's: %q", what, cfg.Warnings)
		}
	}
	// Comments are wrapped: read them as one line each.
	joined := regexp.MustCompile(`\n\s*# `).ReplaceAllString(text, " ")
	if n := strings.Count(joined, "made by crdb-logexport for another cluster"); n != 3 {
		t.Errorf("%d comments name another cluster, want 3 (role, policy, log group):\n%s", n, text)
	}
	if strings.Contains(text, "was not made by crdb-logexport") {
		t.Errorf("resources the tool made are said not to be its:\n%s", text)
	}
	own, err := Read(testCtx(t), env, cloudemu.ProdAWSClusterName)
	if err != nil {
		t.Fatal(err)
	}
	if w := Build(own).Warnings; len(w) != 0 {
		t.Errorf("prod-aws's own export has warnings: %q", w)
	}
}
