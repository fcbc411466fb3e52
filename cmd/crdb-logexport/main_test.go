package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/contract"
)

func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, map[string]func() int{"crdb-logexport": run}))
}

// TestScripts runs the built binary (testscript re-executes this test binary
// as crdb-logexport) through the scenarios in testdata/script. Each script
// gets a fresh sandbox of its own, with the environment variables that
// `sandbox serve` would print already set.
func TestScripts(t *testing.T) {
	// Every exchange with the Cloud emulator is checked against the
	// official OpenAPI document, so the tool's own requests are held to the
	// contract too.
	wrap := func(h http.Handler) http.Handler { return contract.Wrap(t, h) }
	if _, err := contract.SpecPath(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("OpenAPI contract: %v", err)
		}
		t.Logf("OpenAPI document not found (%v): end-to-end scripts run without contract checks", err)
		wrap = nil
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("XDG_STATE_HOME", filepath.Join(env.WorkDir, "state"))
			env.Setenv("NO_COLOR", "1")
			env.Setenv("AWS_PAGER", "")
			env.Setenv("AWS_CONFIG_FILE", filepath.Join(env.WorkDir, "no-aws-config"))
			env.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(env.WorkDir, "no-aws-credentials"))
			sb, err := sandbox.Start(sandbox.Options{
				Timings: &cloudemu.Timings{
					EnableAfter:    300 * time.Millisecond,
					DisableAfter:   300 * time.Millisecond,
					IAMPropagation: time.Nanosecond,
					EventInterval:  time.Second,
				},
				WrapCloud: wrap,
			})
			if err != nil {
				return err
			}
			env.Defer(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = sb.Close(ctx)
			})
			for _, v := range sb.Vars() {
				env.Setenv(v.Name, v.Value)
			}
			env.Setenv("HOOKS_URL", sb.HooksURL)
			env.Setenv("NOON_TZ", noonZone(time.Now()))
			for name, id := range map[string]string{
				"PROD_ID": cloudemu.ProdAWSClusterID, "STAGING_ID": cloudemu.StagingAWSClusterID,
				"STANDARD_ID": cloudemu.StandardAWSClusterID, "GCP_ID": cloudemu.AnalyticsGCPClusterID,
				"BASIC_ID": cloudemu.BasicDevClusterID,
			} {
				env.Setenv(name, id)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitfile":   cmdWaitFile,
			"awsq":       cmdAWSQuery,
			"cloudq":     cmdCloudQuery,
			"sbx":        cmdSandbox,
			"hooks":      cmdHooks,
			"waitstatus": cmdWaitStatus,
			"closedport": cmdClosedPort,
			"imds":       cmdIMDS,
		},
	})
}

// waitfile path [seconds]: wait until a file exists and is not empty (a
// background process such as `sandbox serve` writes it when ready).
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: waitfile path [seconds]")
	}
	limit := 20 * time.Second
	if len(args) == 2 {
		s, err := strconv.Atoi(args[1])
		if err != nil {
			ts.Fatalf("waitfile: bad seconds %q", args[1])
		}
		limit = time.Duration(s) * time.Second
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("waitfile: %s did not appear within %s", args[0], limit)
}

func awsConfig(ts *testscript.TestScript, region string) aws.Config {
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(ts.Getenv("AWS_ENDPOINT_URL")),
		Credentials:  credentials.NewStaticCredentialsProvider(ts.Getenv("AWS_ACCESS_KEY_ID"), ts.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
	}
}

// awsq reads AWS state through the real SDK and prints it to stdout so the
// script can match it:
//
//	awsq role NAME                  the role's ARN and decoded trust policy
//	awsq policy ARN                 the default version's id and document, and the version count
//	awsq attached ROLE              ARNs of the managed policies attached to ROLE
//	awsq log-groups REGION          log group names, one a line
//	awsq streams REGION GROUP       streams with at least one event, one a line
//	awsq create-role NAME TRUSTJSON [KEY=VALUE…]  create a role by hand (not through the tool), with tags
//	awsq update-trust NAME TRUSTJSON             replace a role's trust policy by hand
//	awsq create-log-group REGION NAME
//	awsq detach ROLE POLICYARN      detach a managed policy from a role
func cmdAWSQuery(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: awsq role|policy|attached|log-groups|streams|create-role|create-log-group ARGS")
	}
	ctx := context.Background()
	iamc := iam.NewFromConfig(awsConfig(ts, "us-east-1"))
	var out strings.Builder
	var err error
	switch args[0] {
	case "role":
		var r *iam.GetRoleOutput
		if r, err = iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: &args[1]}); err == nil {
			doc, _ := url.QueryUnescape(aws.ToString(r.Role.AssumeRolePolicyDocument))
			fmt.Fprintf(&out, "arn %s\ntrust %s\n", aws.ToString(r.Role.Arn), compactJSON(doc))
		}
	case "policy":
		var p *iam.GetPolicyOutput
		if p, err = iamc.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: &args[1]}); err == nil {
			var v *iam.GetPolicyVersionOutput
			if v, err = iamc.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: &args[1], VersionId: p.Policy.DefaultVersionId}); err == nil {
				doc, _ := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document))
				var vs *iam.ListPolicyVersionsOutput
				if vs, err = iamc.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: &args[1]}); err == nil {
					fmt.Fprintf(&out, "default %s\nversions %d\ndocument %s\n", aws.ToString(p.Policy.DefaultVersionId), len(vs.Versions), compactJSON(doc))
				}
			}
		}
	case "attached":
		var a *iam.ListAttachedRolePoliciesOutput
		if a, err = iamc.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: &args[1]}); err == nil {
			for _, p := range a.AttachedPolicies {
				fmt.Fprintln(&out, aws.ToString(p.PolicyArn))
			}
		}
	case "log-groups":
		logs := cloudwatchlogs.NewFromConfig(awsConfig(ts, args[1]))
		var g *cloudwatchlogs.DescribeLogGroupsOutput
		if g, err = logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{}); err == nil {
			for _, lg := range g.LogGroups {
				ret := "never"
				if lg.RetentionInDays != nil {
					ret = strconv.Itoa(int(*lg.RetentionInDays))
				}
				fmt.Fprintf(&out, "%s retention=%s\n", aws.ToString(lg.LogGroupName), ret)
			}
		}
	case "streams":
		if len(args) != 3 {
			ts.Fatalf("usage: awsq streams REGION GROUP")
		}
		logs := cloudwatchlogs.NewFromConfig(awsConfig(ts, args[1]))
		var names []string
		var token *string
		for {
			var s *cloudwatchlogs.DescribeLogStreamsOutput
			if s, err = logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: &args[2], NextToken: token}); err != nil {
				break
			}
			for _, st := range s.LogStreams {
				if st.LastEventTimestamp != nil {
					names = append(names, aws.ToString(st.LogStreamName))
				}
			}
			if token = s.NextToken; token == nil {
				break
			}
		}
		sort.Strings(names)
		fmt.Fprintf(&out, "count %d\n%s\n", len(names), strings.Join(names, "\n"))
	case "create-role":
		if len(args) < 3 {
			ts.Fatalf("usage: awsq create-role NAME TRUSTJSON [KEY=VALUE…]")
		}
		var tags []iamtypes.Tag
		for _, kv := range args[3:] {
			k, v, _ := strings.Cut(kv, "=")
			tags = append(tags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		_, err = iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: &args[1], AssumeRolePolicyDocument: &args[2], Tags: tags})
	case "update-trust":
		if len(args) != 3 {
			ts.Fatalf("usage: awsq update-trust NAME TRUSTJSON")
		}
		_, err = iamc.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: &args[1], PolicyDocument: &args[2]})
	case "detach":
		if len(args) != 3 {
			ts.Fatalf("usage: awsq detach ROLE POLICYARN")
		}
		_, err = iamc.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: &args[1], PolicyArn: &args[2]})
	case "create-log-group":
		if len(args) != 3 {
			ts.Fatalf("usage: awsq create-log-group REGION NAME")
		}
		_, err = cloudwatchlogs.NewFromConfig(awsConfig(ts, args[1])).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: &args[2]})
	default:
		ts.Fatalf("awsq: unknown query %q", args[0])
	}
	if err != nil {
		if !neg {
			ts.Fatalf("awsq %s: %v", strings.Join(args, " "), err)
		}
		fmt.Fprintf(ts.Stdout(), "error: %v\n", err)
		return
	}
	if neg {
		ts.Fatalf("awsq %s unexpectedly succeeded", strings.Join(args, " "))
	}
	fmt.Fprint(ts.Stdout(), out.String())
}

func compactJSON(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return s
	}
	return b.String()
}

// cloudq calls the Cloud API emulator and prints the status code and the
// compacted JSON answer, whatever the status (scripts match on both):
// `cloudq GET /api/v1/clusters/ID/logexport`, `cloudq POST PATH JSON`.
func cmdCloudQuery(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: cloudq METHOD PATH [JSON] (match the status in stdout instead of negating)")
	}
	body := ""
	if len(args) == 3 {
		body = args[2]
	}
	code, answer := httpCall(ts, args[0], ts.Getenv("COCKROACH_SERVER")+args[1], body, true)
	body = answer
	fmt.Fprintf(ts.Stdout(), "%d %s\n", code, compactJSON(body))
}

// sbx drives the sandbox's test controls:
//
//	sbx cloud|aws|hooks METHOD PATH [JSON]   e.g. sbx aws POST /_sandbox/faults '{"op":"iam:CreateRole","status":400,"code":"Throttling"}'
//	sbx cluster-id NAME                print the seeded cluster's id
func cmdSandbox(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 2 && args[0] == "cluster-id" {
		for _, c := range cloudemu.Seed(0) {
			if c.Name == args[1] {
				fmt.Fprintln(ts.Stdout(), c.ID)
				return
			}
		}
		ts.Fatalf("sbx: no seeded cluster %q", args[1])
	}
	if len(args) < 3 {
		ts.Fatalf("usage: sbx cloud|aws METHOD PATH [JSON]")
	}
	base := ts.Getenv("COCKROACH_SERVER")
	switch args[0] {
	case "aws":
		base = ts.Getenv("AWS_ENDPOINT_URL")
	case "hooks":
		base = ts.Getenv("HOOKS_URL")
	}
	body := ""
	if len(args) > 3 {
		body = args[3]
	}
	code, out := httpCall(ts, args[1], base+args[2], body, false)
	if (code >= 300) != neg {
		ts.Fatalf("sbx %s: %d %s", strings.Join(args, " "), code, out)
	}
	fmt.Fprintln(ts.Stdout(), compactJSON(out))
}

func httpCall(ts *testscript.TestScript, method, u, body string, auth bool) (int, string) {
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		ts.Fatalf("%v", err)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+ts.Getenv("COCKROACH_API_KEY"))
		req.Header.Set("Cc-Version", "2024-09-16")
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// hooks prints what the sandbox's webhook receiver answered, one request a
// line, oldest first: kind, status, accepted or refused, the event id (and
// "duplicate"), then the body as compact JSON; then "requests: N".
// Scripts count and match lines:
//
//	hooks            every request
//	hooks accepted   the requests it accepted
func cmdHooks(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 || (len(args) == 1 && args[0] != "accepted") {
		ts.Fatalf("usage: hooks [accepted]")
	}
	code, out := httpCall(ts, http.MethodGet, ts.Getenv("HOOKS_URL")+"/_sandbox/webhooks", "", false)
	if code != http.StatusOK {
		ts.Fatalf("hooks: %d %s", code, out)
	}
	var doc struct {
		Requests []struct {
			Kind      string          `json:"kind"`
			Status    int             `json:"status"`
			Accepted  bool            `json:"accepted"`
			EventID   string          `json:"event_id"`
			Duplicate bool            `json:"duplicate"`
			Body      json.RawMessage `json:"body"`
		} `json:"requests"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		ts.Fatalf("hooks: %v", err)
	}
	n := 0
	for _, r := range doc.Requests {
		if len(args) == 1 && !r.Accepted {
			continue
		}
		n++
		verdict := "refused"
		if r.Accepted {
			verdict = "accepted"
		}
		id := r.EventID
		if r.Duplicate {
			id += " duplicate"
		}
		fmt.Fprintf(ts.Stdout(), "%s %d %s %s %s\n", r.Kind, r.Status, verdict, id, compactJSON(string(r.Body)))
	}
	fmt.Fprintf(ts.Stdout(), "requests: %d\n", n)
}

// waitstatus CLUSTER_ID STATUS [seconds]: wait until the Cloud emulator
// reports the export in that status.
func cmdWaitStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: waitstatus CLUSTER_ID STATUS [seconds]")
	}
	limit := 30 * time.Second
	if len(args) == 3 {
		s, err := strconv.Atoi(args[2])
		if err != nil {
			ts.Fatalf("waitstatus: bad seconds %q", args[2])
		}
		limit = time.Duration(s) * time.Second
	}
	var last string
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, body := httpCall(ts, http.MethodGet, ts.Getenv("COCKROACH_SERVER")+"/api/v1/clusters/"+args[0]+"/logexport", "", true)
		var info struct {
			Status string `json:"status"`
		}
		_ = json.Unmarshal([]byte(body), &info)
		if last = info.Status; last == args[1] {
			return
		}
	}
	ts.Fatalf("waitstatus: the export of %s stayed %s, not %s, for %s", args[0], last, args[1], limit)
}

// noonZone names a time zone in which it is now early afternoon, so a
// daily report set for 00:00 is due and tomorrow's is hours away: the
// scripts need no clock of their own.
func noonZone(now time.Time) string {
	offset := 13 - now.UTC().Hour() // hours east of UTC, -10 … +13
	switch {
	case offset == 0:
		return "Etc/GMT"
	case offset > 0:
		return fmt.Sprintf("Etc/GMT-%d", offset)
	}
	return fmt.Sprintf("Etc/GMT+%d", -offset)
}
