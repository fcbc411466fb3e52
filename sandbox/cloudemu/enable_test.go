package cloudemu

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/sandbox/awsemu"
)

const customerAcct = awsemu.DefaultAccountID

// awsSide is the customer's AWS account: an awsemu server and SDK clients
// that set it up the way a user (or the tool) would.
type awsSide struct {
	t    *testing.T
	url  string
	iam  *iam.Client
	logs *cloudwatchlogs.Client
}

func newAWSSide(t *testing.T) *awsSide {
	t.Helper()
	hs := httptest.NewServer(awsemu.New(awsemu.Options{}))
	t.Cleanup(hs.Close)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIATESTCUSTOMER0001", "customer-secret", ""),
		BaseEndpoint: aws.String(hs.URL),
		HTTPClient:   hs.Client(),
	}
	return &awsSide{t: t, url: hs.URL, iam: iam.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg)}
}

// cloud starts a Cloud API emulator pointed at this AWS account.
func (a *awsSide) cloud(timings *Timings) *harness {
	if timings == nil {
		timings = &fast
	}
	return start(a.t, Options{Timings: timings, AWS: AWSTarget{Endpoint: a.url, AccessKeyID: "AKIACLOUDEMUTEST0001", SecretAccessKey: "s"}})
}

// role creates a role with a trust policy and attaches each permission
// document as a customer-managed policy; it returns the role ARN.
func (a *awsSide) role(name, trust string, permissions ...string) string {
	a.t.Helper()
	ctx := context.Background()
	out, err := a.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		a.t.Fatalf("CreateRole: %v", err)
	}
	for i, doc := range permissions {
		p, err := a.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("%s-policy-%d", name, i)), PolicyDocument: aws.String(doc)})
		if err != nil {
			a.t.Fatalf("CreatePolicy: %v", err)
		}
		if _, err := a.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: p.Policy.Arn}); err != nil {
			a.t.Fatalf("AttachRolePolicy: %v", err)
		}
	}
	return aws.ToString(out.Role.Arn)
}

func (a *awsSide) inline(role, name, doc string) {
	a.t.Helper()
	if _, err := a.iam.PutRolePolicy(context.Background(), &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
		a.t.Fatalf("PutRolePolicy: %v", err)
	}
}

func (a *awsSide) logGroup(region, name string) {
	a.t.Helper()
	if _, err := a.logs.CreateLogGroup(context.Background(), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name)}, inRegion(region)); err != nil {
		a.t.Fatalf("CreateLogGroup %s in %s: %v", name, region, err)
	}
}

// streams lists the stream names of a log group in a region; nil when the
// group does not exist there.
func (a *awsSide) streams(region, group string) []string {
	a.t.Helper()
	ctx := context.Background()
	exists, err := (&awsClients{logs: a.logs}).logGroupExists(ctx, region, group)
	if err != nil {
		a.t.Fatal(err)
	}
	if !exists {
		return nil
	}
	var names []string
	p := cloudwatchlogs.NewDescribeLogStreamsPaginator(a.logs, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(group)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, inRegion(region))
		if err != nil {
			a.t.Fatalf("DescribeLogStreams %s in %s: %v", group, region, err)
		}
		for _, s := range page.LogStreams {
			names = append(names, aws.ToString(s.LogStreamName))
		}
	}
	sort.Strings(names)
	return names
}

// events returns the messages of one stream.
func (a *awsSide) events(region, group, stream string) []string {
	a.t.Helper()
	out, err := a.logs.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true)}, inRegion(region))
	if err != nil {
		a.t.Fatalf("GetLogEvents %s/%s in %s: %v", group, stream, region, err)
	}
	var msgs []string
	for _, e := range out.Events {
		msgs = append(msgs, aws.ToString(e.Message))
	}
	return msgs
}

// eventCount counts every event of a log group in a region.
func (a *awsSide) eventCount(region, group string) int {
	a.t.Helper()
	n := 0
	for _, s := range a.streams(region, group) {
		n += len(a.events(region, group, s))
	}
	return n
}

func trustFor(account string, condition string) string {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"sts:AssumeRole"`
	if condition != "" {
		doc += `,"Condition":` + condition
	}
	return doc + `}]}`
}

func externalIDCondition(id string) string {
	return `{"StringEquals":{"sts:ExternalId":"` + id + `"}}`
}

// permissions is the documented permission policy over the given resources.
func permissions(resources ...string) string {
	b, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":   "Allow",
			"Action":   []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutRetentionPolicy", "logs:PutLogEvents"},
			"Resource": resources,
		}},
	})
	return string(b)
}

var documented = permissions("arn:aws:logs:*:" + customerAcct + ":log-group:crdb:*")

func spec(role string, extra string) string {
	return `{"type":"AWS_CLOUDWATCH","log_name":"crdb","auth_principal":"` + role + `"` + extra + `}`
}

func TestEnableWritesLogsInEveryRegion(t *testing.T) {
	a := newAWSSide(t)
	role := a.role("CockroachCloudLogExportRole", trustFor(ProdAWSAccountID, ""), documented)
	// The group exists in one region; the export creates it in the others.
	a.logGroup("us-east-1", "crdb")
	h := a.cloud(nil)
	h.enable(ProdAWSClusterID, spec(role, ""))
	info := h.waitSettled(ProdAWSClusterID)
	if info["status"] != StatusEnabled {
		t.Fatalf("status %v: %v", info["status"], info["user_message"])
	}
	if msg, ok := info["user_message"]; ok && msg != "" {
		t.Errorf("ENABLED with user_message %q", msg)
	}
	for _, region := range ProdAWSRegions() {
		names := a.streams(region, "crdb")
		var want []string
		for _, ch := range exportableChannels {
			for n := 1; n <= 3; n++ {
				want = append(want, fmt.Sprintf("crdb.%s.cockroachdbcloud.%s.n%d", region, ch, n))
			}
		}
		sort.Strings(want)
		if strings.Join(names, ",") != strings.Join(want, ",") {
			t.Errorf("streams in %s:\n got %v\nwant %v", region, names, want)
			continue
		}
		msgs := a.events(region, "crdb", "crdb."+region+".cockroachdbcloud.OPS.n2")
		if len(msgs) == 0 {
			t.Errorf("no events in %s OPS.n2", region)
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(msgs[0]), &ev); err != nil || ev["channel"] != "OPS" || ev["node_id"] != float64(2) || ev["cluster_id"] != ProdAWSClusterID {
			t.Errorf("event in %s is %q (%v)", region, msgs[0], err)
		}
	}

	// It keeps writing while enabled.
	before := a.eventCount("eu-west-1", "crdb")
	deadline := time.Now().Add(10 * time.Second)
	for a.eventCount("eu-west-1", "crdb") <= before {
		if time.Now().After(deadline) {
			t.Fatalf("no new events in eu-west-1 after the first %d", before)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Disabling stops the writing.
	h.do("DELETE", "/api/v1/clusters/"+ProdAWSClusterID+"/logexport", "").wantStatus(t, 200)
	if info := h.waitSettled(ProdAWSClusterID); info["status"] != StatusDisabled {
		t.Fatalf("after DELETE: %v", info)
	}
	stopped := a.eventCount("us-west-2", "crdb")
	time.Sleep(6 * fast.EventInterval)
	if n := a.eventCount("us-west-2", "crdb"); n != stopped {
		t.Errorf("events still written after DISABLED: %d -> %d", stopped, n)
	}
}

func TestEnableAdvancedWithExternalIDRegionAndGroups(t *testing.T) {
	a := newAWSSide(t)
	const extID = "c2f9a7e4-61b0-4d3e-9a55-0e8b7f4d1c22"
	role := a.role("StagingLogs", trustFor(StagingAWSAccountID, externalIDCondition(extID)),
		permissions("arn:aws:logs:us-west-2:"+customerAcct+":log-group:crdb:*", "arn:aws:logs:us-west-2:"+customerAcct+":log-group:ops:*"))
	h := a.cloud(nil)
	h.enable(StagingAWSClusterID, spec(role, `,"aws_external_id":"`+extID+`","region":"us-west-2","omitted_channels":["SESSIONS"],
		"groups":[{"log_name":"ops","channels":["OPS","HEALTH"],"min_level":"WARNING","redact":true}]`))
	info := h.waitSettled(StagingAWSClusterID)
	if info["status"] != StatusEnabled {
		t.Fatalf("status %v: %v", info["status"], info["user_message"])
	}
	// Everything goes to the override region, named after the source region.
	if got := a.streams("us-east-2", "crdb"); got != nil {
		t.Errorf("streams in the cluster's own region despite the override: %v", got)
	}
	ops := a.streams("us-west-2", "ops")
	if len(ops) != 6 || ops[0] != "ops.us-east-2.cockroachdbcloud.HEALTH.n1" {
		t.Errorf("ops group streams = %v", ops)
	}
	def := a.streams("us-west-2", "crdb")
	if len(def) != 8*3 || !contains(def, "crdb.us-east-2.cockroachdbcloud.SQL_EXEC.n3") || contains(def, "crdb.us-east-2.cockroachdbcloud.SESSIONS.n1") || contains(def, "crdb.us-east-2.cockroachdbcloud.OPS.n1") {
		t.Errorf("default group streams = %v", def)
	}
	var ev map[string]any
	msgs := a.events("us-west-2", "ops", "ops.us-east-2.cockroachdbcloud.OPS.n1")
	if len(msgs) == 0 || json.Unmarshal([]byte(msgs[0]), &ev) != nil || ev["severity"] != "WARNING" || !strings.Contains(ev["message"].(string), "‹×›") {
		t.Errorf("ops group event = %v, want a redacted WARNING", msgs)
	}
}

func TestEnableStandard(t *testing.T) {
	a := newAWSSide(t)
	// Standard clusters always send their cluster ID as the external ID.
	role := a.role("StandardLogs", trustFor(StandardAWSAccountID, externalIDCondition(StandardAWSClusterID)), documented)
	h := a.cloud(nil)
	h.enable(StandardAWSClusterID, spec(role, ""))
	info := h.waitSettled(StandardAWSClusterID)
	if info["status"] != StatusEnabled {
		t.Fatalf("status %v: %v", info["status"], info["user_message"])
	}
	names := a.streams("us-east-1", "crdb")
	if len(names) != len(exportableChannels) || !contains(names, "crdb.us-east-1.cockroachdbcloud.SQL_SCHEMA") {
		t.Errorf("Standard streams = %v, want one per channel without a node suffix", names)
	}
	if len(a.events("us-east-1", "crdb", "crdb.us-east-1.cockroachdbcloud.OPS")) == 0 {
		t.Error("no events in the Standard cluster's OPS stream")
	}
}

func TestEnableFailures(t *testing.T) {
	roleName := "CockroachCloudLogExportRole"
	myRole := "arn:aws:iam::" + customerAcct + ":role/" + roleName
	cases := []struct {
		name    string
		cluster string
		setup   func(a *awsSide)
		role    string // auth_principal; default the role the setup creates
		extra   string // appended to the POST body
		status  string
		want    []string
	}{
		{
			name: "no role", cluster: ProdAWSClusterID,
			setup:  func(a *awsSide) {},
			status: StatusCredentialsError,
			want:   []string{"role " + myRole + " cannot be found"},
		},
		{
			name: "role ARN in another account", cluster: ProdAWSClusterID,
			setup:  func(a *awsSide) { a.role(roleName, trustFor(ProdAWSAccountID, ""), documented) },
			role:   "arn:aws:iam::111122223333:role/" + roleName,
			status: StatusCredentialsError,
			want:   []string{"role arn:aws:iam::111122223333:role/" + roleName + " cannot be found"},
		},
		{
			// The docs' troubleshooting case: the policy's ARN where the
			// role's belongs. STS cannot assume a policy.
			name: "policy ARN as auth_principal", cluster: ProdAWSClusterID,
			setup:  func(a *awsSide) { a.role(roleName, trustFor(ProdAWSAccountID, ""), documented) },
			role:   "arn:aws:iam::" + customerAcct + ":policy/" + roleName + "-policy-0",
			status: StatusCredentialsError,
			want: []string{"AccessDenied", "assumed-role/crl-logexport-0f7d3c2e",
				"is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::" + customerAcct + ":policy/" + roleName + "-policy-0"},
		},
		{
			name: "not an ARN as auth_principal", cluster: ProdAWSClusterID,
			setup:  func(a *awsSide) { a.role(roleName, trustFor(ProdAWSAccountID, ""), documented) },
			role:   roleName,
			status: StatusCredentialsError,
			want:   []string{"ValidationError", `"` + roleName + `" is not a valid value for roleArn`},
		},
		{
			name: "trust names the customer's own account", cluster: ProdAWSClusterID,
			setup:  func(a *awsSide) { a.role(roleName, trustFor(customerAcct, ""), documented) },
			status: StatusCredentialsError,
			want: []string{"AccessDenied", "assumed-role/crl-logexport-0f7d3c2e", ProdAWSAccountID,
				"is not authorized to perform: sts:AssumeRole on resource: " + myRole, "without an external ID"},
		},
		{
			name: "trust requires an external ID the spec does not send", cluster: ProdAWSClusterID,
			setup: func(a *awsSide) {
				a.role(roleName, trustFor(ProdAWSAccountID, externalIDCondition("expected-id")), documented)
			},
			status: StatusCredentialsError,
			want:   []string{"sts:AssumeRole on resource: " + myRole, "without an external ID"},
		},
		{
			name: "external ID differs", cluster: ProdAWSClusterID,
			setup: func(a *awsSide) {
				a.role(roleName, trustFor(ProdAWSAccountID, externalIDCondition("expected-id")), documented)
			},
			extra:  `,"aws_external_id":"some-other-id"`,
			status: StatusCredentialsError,
			want:   []string{"sts:AssumeRole", `with external ID "some-other-id"`},
		},
		{
			name: "Standard trust without the cluster ID condition value", cluster: StandardAWSClusterID,
			setup: func(a *awsSide) {
				a.role(roleName, trustFor(StandardAWSAccountID, externalIDCondition(ProdAWSClusterID)), documented)
			},
			status: StatusCredentialsError,
			want:   []string{"sts:AssumeRole", `with external ID "` + StandardAWSClusterID + `"`},
		},
		{
			name: "resource ARN uses the cluster's account", cluster: ProdAWSClusterID,
			setup: func(a *awsSide) {
				a.role(roleName, trustFor(ProdAWSAccountID, ""), permissions("arn:aws:logs:*:"+ProdAWSAccountID+":log-group:crdb:*"))
			},
			status: StatusEnableFailed,
			want: []string{"unable to export logs to us-east-1", "AccessDeniedException",
				"assumed-role/" + roleName + "/crl-logexport-0f7d3c2e",
				"is not authorized to perform: logs:DescribeLogGroups on resource: arn:aws:logs:us-east-1:" + customerAcct + ":log-group:crdb:*",
				"because no identity-based policy allows the logs:DescribeLogGroups action"},
		},
		{
			name: "region restriction misses a cluster region", cluster: ProdAWSClusterID,
			setup: func(a *awsSide) {
				a.role(roleName, trustFor(ProdAWSAccountID, ""), permissions(
					"arn:aws:logs:us-east-1:"+customerAcct+":log-group:crdb:*", "arn:aws:logs:us-west-2:"+customerAcct+":log-group:crdb:*"))
			},
			status: StatusEnableFailed,
			want:   []string{"unable to export logs to eu-west-1", "on resource: arn:aws:logs:eu-west-1:" + customerAcct + ":log-group:crdb:*"},
		},
		{
			name: "log group missing and no CreateLogGroup", cluster: ProdAWSClusterID,
			setup: func(a *awsSide) {
				doc := strings.Replace(documented, `"logs:CreateLogGroup",`, "", 1)
				a.role(roleName, trustFor(ProdAWSAccountID, ""), doc)
				a.logGroup("us-east-1", "crdb")
				a.logGroup("us-west-2", "crdb")
			},
			status: StatusEnableFailed,
			want: []string{"unable to export logs to eu-west-1", `log group "crdb" does not exist and the role may not create it`,
				"logs:CreateLogGroup on resource: arn:aws:logs:eu-west-1:" + customerAcct + ":log-group:crdb:*"},
		},
		{
			name: "resource without the :* suffix", cluster: ProdAWSClusterID,
			setup: func(a *awsSide) {
				a.role(roleName, trustFor(ProdAWSAccountID, ""), permissions("arn:aws:logs:*:"+customerAcct+":log-group:crdb"))
			},
			status: StatusEnableFailed,
			want:   []string{"logs:CreateLogStream on resource: arn:aws:logs:us-east-1:" + customerAcct + ":log-group:crdb:log-stream:crdb.us-east-1.cockroachdbcloud."},
		},
		{
			name: "group log name not covered", cluster: StagingAWSClusterID,
			setup: func(a *awsSide) {
				a.role(roleName, trustFor(StagingAWSAccountID, ""), documented)
			},
			extra:  `,"groups":[{"log_name":"audit","channels":["SENSITIVE_ACCESS"]}]`,
			status: StatusEnableFailed,
			want:   []string{"logs:DescribeLogGroups on resource: arn:aws:logs:us-east-2:" + customerAcct + ":log-group:audit:*"},
		},
		{
			name: "explicit deny", cluster: StagingAWSClusterID,
			setup: func(a *awsSide) {
				a.role(roleName, trustFor(StagingAWSAccountID, ""), documented)
				a.inline(roleName, "NoWrites", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}}`)
			},
			status: StatusEnableFailed,
			want:   []string{"logs:PutLogEvents", "with an explicit deny in an identity-based policy"},
		},
		{
			name: "permissions boundary", cluster: StagingAWSClusterID,
			setup: func(a *awsSide) {
				a.role(roleName, trustFor(StagingAWSAccountID, ""), documented)
				b, err := a.iam.CreatePolicy(context.Background(), &iam.CreatePolicyInput{PolicyName: aws.String("Boundary"),
					PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:Describe*","logs:Create*"],"Resource":"*"}]}`)})
				if err != nil {
					a.t.Fatal(err)
				}
				if _, err := a.iam.PutRolePermissionsBoundary(context.Background(), &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String(roleName), PermissionsBoundary: b.Policy.Arn}); err != nil {
					a.t.Fatal(err)
				}
			},
			status: StatusEnableFailed,
			want:   []string{"logs:PutLogEvents", "because no permissions boundary allows the logs:PutLogEvents action"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAWSSide(t)
			tc.setup(a)
			h := a.cloud(nil)
			principal := myRole
			if tc.role != "" {
				principal = tc.role
			}
			h.enable(tc.cluster, spec(principal, tc.extra))
			info := h.waitSettled(tc.cluster)
			msg, _ := info["user_message"].(string)
			if info["status"] != tc.status {
				t.Fatalf("status %v (%q), want %s", info["status"], msg, tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("user_message %q\n does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, DefaultAPIKey) {
				t.Error("user_message contains the API key")
			}
			// A failed export writes nothing.
			for _, r := range []string{"us-east-1", "us-east-2", "eu-west-1"} {
				if s := a.streams(r, "crdb"); len(s) != 0 {
					t.Errorf("streams written in %s despite the failure: %d", r, len(s))
				}
			}
		})
	}
}

func TestYoungRoleThenRetry(t *testing.T) {
	a := newAWSSide(t)
	role := a.role("FreshRole", trustFor(StagingAWSAccountID, ""), documented)
	slow := fast
	slow.IAMPropagation = time.Hour
	h := a.cloud(&slow)
	h.enable(StagingAWSClusterID, spec(role, ""))
	info := h.waitSettled(StagingAWSClusterID)
	msg, _ := info["user_message"].(string)
	if info["status"] != StatusCredentialsError || !strings.Contains(msg, "is not authorized to perform: sts:AssumeRole on resource: "+role) {
		t.Fatalf("young role: %v %q, want CREDENTIALS_ERROR naming sts:AssumeRole on the role", info["status"], msg)
	}
	// Once the role has propagated, the same POST succeeds.
	h.srv.SetTimings(fast)
	h.enable(StagingAWSClusterID, spec(role, ""))
	if info := h.waitSettled(StagingAWSClusterID); info["status"] != StatusEnabled {
		t.Fatalf("after propagation: %v %v", info["status"], info["user_message"])
	}
}

// TestZeroPropagationAssumesAtOnce: with iam_propagation and enable_after
// of zero, a role created just before the POST is assumed at once (with
// the defaults, the same POST would fail after 3 s: 5 s of propagation).
func TestZeroPropagationAssumesAtOnce(t *testing.T) {
	a := newAWSSide(t)
	h := a.cloud(&Timings{EventInterval: time.Hour})
	role := a.role("JustMade", trustFor(StagingAWSAccountID, ""), documented)
	h.enable(StagingAWSClusterID, spec(role, ""))
	if info := h.waitSettled(StagingAWSClusterID); info["status"] != StatusEnabled {
		t.Fatalf("status %v (%v), want ENABLED at once", info["status"], info["user_message"])
	}
}

func TestAccessLostWhileEnabled(t *testing.T) {
	a := newAWSSide(t)
	role := a.role("LosingRole", trustFor(StagingAWSAccountID, ""), documented)
	h := a.cloud(nil)
	h.enable(StagingAWSClusterID, spec(role, ""))
	if info := h.waitSettled(StagingAWSClusterID); info["status"] != StatusEnabled {
		t.Fatalf("status %v: %v", info["status"], info["user_message"])
	}
	ctx := context.Background()
	att, err := a.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("LosingRole")})
	if err != nil || len(att.AttachedPolicies) != 1 {
		t.Fatalf("attached policies: %v %v", att, err)
	}
	if _, err := a.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("LosingRole"), PolicyArn: att.AttachedPolicies[0].PolicyArn}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info := h.get("/api/v1/clusters/" + StagingAWSClusterID + "/logexport")
		if info["status"] == StatusCredentialsError {
			if msg, _ := info["user_message"].(string); !strings.Contains(msg, "is not authorized to perform: logs:DescribeLogGroups") {
				t.Errorf("user_message %q does not name the lost permission", msg)
			}
			break
		}
		if info["status"] != StatusEnabled || time.Now().After(deadline) {
			t.Fatalf("after losing access: %v", info)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Writing stopped with the error.
	n := a.eventCount("us-east-2", "crdb")
	time.Sleep(6 * fast.EventInterval)
	if m := a.eventCount("us-east-2", "crdb"); m != n {
		t.Errorf("events still written after CREDENTIALS_ERROR: %d -> %d", n, m)
	}
}
