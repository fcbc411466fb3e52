package awsemu

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestGetCallerIdentity(t *testing.T) {
	for _, account := range []string{"", "123412341234"} {
		f := newFixture(t, Options{AccountID: account})
		out, err := f.sts().GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
		noErr(t, err)
		want := account
		if want == "" {
			want = DefaultAccountID
		}
		if aws.ToString(out.Account) != want || f.srv.AccountID() != want {
			t.Errorf("Account = %s, AccountID() = %s, want %s", aws.ToString(out.Account), f.srv.AccountID(), want)
		}
		if aws.ToString(out.Arn) != "arn:aws:iam::"+want+":user/sandbox-admin" {
			t.Errorf("Arn = %s", aws.ToString(out.Arn))
		}
		if id := aws.ToString(out.UserId); !strings.HasPrefix(id, "AIDA") || len(id) != 21 {
			t.Errorf("UserId = %s", id)
		}
	}
}

// rawQuery sends a hand-made query-protocol request; scope is the
// credential scope to sign with ("" for no Authorization header).
func rawQuery(t *testing.T, f *fixture, scope string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.http.URL+"/", strings.NewReader(form.Encode()))
	noErr(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if scope != "" {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIASANDBOXTEST00001/20250314/"+scope+"/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
	}
	resp, err := http.DefaultClient.Do(req)
	noErr(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	noErr(t, err)
	return resp.StatusCode, string(body)
}

type xmlErrorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Type    string   `xml:"Error>Type"`
	Code    string   `xml:"Error>Code"`
	Message string   `xml:"Error>Message"`
	ReqID   string   `xml:"RequestId"`
}

func parseXMLError(t *testing.T, body string) xmlErrorResponse {
	t.Helper()
	var e xmlErrorResponse
	if err := xml.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not an ErrorResponse: %v\n%s", err, body)
	}
	return e
}

func TestQueryProtocolEnvelope(t *testing.T) {
	f := newFixture(t, Options{})
	status, body := rawQuery(t, f, "us-east-1/sts", url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}})
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	var ok struct {
		XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
		Account string   `xml:"GetCallerIdentityResult>Account"`
		ReqID   string   `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &ok); err != nil || ok.Account != DefaultAccountID || ok.ReqID == "" {
		t.Errorf("envelope = %+v (%v)\n%s", ok, err, body)
	}

	status, body = rawQuery(t, f, "", url.Values{"Action": {"ListRoles"}, "Version": {"2010-05-08"}})
	e := parseXMLError(t, body)
	if status != 403 || e.Code != "MissingAuthenticationToken" || e.Type != "Sender" || e.ReqID == "" {
		t.Errorf("unsigned request = %d %+v", status, e)
	}

	// Signed for STS, an IAM action does not exist.
	status, body = rawQuery(t, f, "us-east-1/sts", url.Values{"Action": {"ListRoles"}})
	if e := parseXMLError(t, body); status != 400 || e.Code != "InvalidAction" {
		t.Errorf("IAM action signed for sts = %d %+v", status, e)
	}
	// Signed for IAM, it does.
	status, body = rawQuery(t, f, "us-east-1/iam", url.Values{"Action": {"ListRoles"}})
	if status != 200 || !strings.Contains(body, "<ListRolesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">") {
		t.Errorf("ListRoles = %d\n%s", status, body)
	}
	status, body = rawQuery(t, f, "us-east-1/iam", url.Values{"Action": {"CreateUser"}, "Version": {"2010-05-08"}})
	if e := parseXMLError(t, body); status != 400 || e.Code != "InvalidAction" {
		t.Errorf("unimplemented action = %d %+v", status, e)
	}
	status, body = rawQuery(t, f, "us-east-1/iam", url.Values{"Action": {"GetRole"}, "Version": {"2010-05-08"}})
	if e := parseXMLError(t, body); status != 400 || e.Code != "ValidationError" || !strings.Contains(e.Message, "roleName") {
		t.Errorf("missing RoleName = %d %+v", status, e)
	}
}

func TestJSONProtocolErrors(t *testing.T) {
	f := newFixture(t, Options{})
	send := func(target, auth, body string) (int, map[string]string, http.Header) {
		req, err := http.NewRequest(http.MethodPost, f.http.URL+"/", strings.NewReader(body))
		noErr(t, err)
		req.Header.Set("Content-Type", jsonContentType)
		req.Header.Set("X-Amz-Target", target)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		noErr(t, err)
		defer resp.Body.Close()
		var out map[string]string
		raw, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(raw, &out)
		return resp.StatusCode, out, resp.Header
	}
	signed := "AWS4-HMAC-SHA256 Credential=AKIASANDBOXTEST00001/20250314/ap-south-1/logs/aws4_request, SignedHeaders=host, Signature=00"

	status, out, _ := send("Logs_20140328.DescribeLogGroups", "", "{}")
	if status != 400 || out["__type"] != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned = %d %v", status, out)
	}
	status, out, _ = send("Logs_20140328.DescribeLogGroups", "AWS4-HMAC-SHA256 SignedHeaders=host", "{}")
	if status != 400 || out["__type"] != "IncompleteSignatureException" {
		t.Errorf("no credential = %d %v", status, out)
	}
	status, out, _ = send("Logs_20140328.StartQuery", signed, "{}")
	if status != 400 || out["__type"] != "UnknownOperationException" {
		t.Errorf("unimplemented = %d %v", status, out)
	}
	status, out, _ = send("Logs_20140328.CreateLogGroup", signed, `{"logGroupName": 7}`)
	if status != 400 || out["__type"] != "SerializationException" {
		t.Errorf("wrong type = %d %v", status, out)
	}
	status, out, hdr := send("Logs_20140328.CreateLogGroup", signed, `{"logGroupName": "/from/raw"}`)
	if status != 200 || hdr.Get("Content-Type") != jsonContentType || hdr.Get("X-Amzn-Requestid") == "" {
		t.Errorf("create = %d %v %v", status, out, hdr)
	}
	// The region came from the credential scope.
	if g := f.srv.State().LogGroups["ap-south-1"]; len(g) != 1 || g[0].Name != "/from/raw" {
		t.Errorf("state = %+v", f.srv.State().LogGroups)
	}
}

func TestAdminStateAndReset(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.iam()
	createRole(t, c, "r")
	pol := createPolicy(t, c, "p")
	_, err := c.AttachRolePolicy(ctx(t), &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: pol.Arn})
	noErr(t, err)
	_, err = c.PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(permissionsDoc)})
	noErr(t, err)
	logs := f.logs("eu-central-1")
	createGroup(t, logs, "g")
	createStream(t, logs, "g", "s1")
	createStream(t, logs, "g", "s2")

	resp, err := http.Get(f.http.URL + "/_sandbox/state")
	noErr(t, err)
	var st State
	noErr(t, json.NewDecoder(resp.Body).Decode(&st))
	resp.Body.Close()
	if len(st.Roles) != 1 || len(st.Policies) != 1 {
		t.Fatalf("state = %+v", st)
	}
	r := st.Roles[0]
	var trust struct {
		Statement []struct{ Principal map[string]string }
	}
	noErr(t, json.Unmarshal(r.Trust, &trust))
	if trust.Statement[0].Principal["AWS"] != "arn:aws:iam::123456789012:root" {
		t.Errorf("decoded trust = %s", r.Trust)
	}
	if len(r.AttachedPolicies) != 1 || r.AttachedPolicies[0] != aws.ToString(pol.Arn) || r.InlinePolicies["inline"] == nil {
		t.Errorf("role state = %+v", r)
	}
	if p := st.Policies[0]; len(p.AttachedTo) != 1 || p.AttachedTo[0] != "r" || len(p.Versions) != 1 || !p.Versions[0].IsDefault {
		t.Errorf("policy state = %+v", p)
	}
	if g := st.LogGroups["eu-central-1"]; len(g) != 1 || g[0].Streams != 2 {
		t.Errorf("log groups = %+v", st.LogGroups)
	}

	requests := f.srv.Controls().Stats().Requests
	resp, err = http.Post(f.http.URL+"/_sandbox/reset", "application/json", nil)
	noErr(t, err)
	resp.Body.Close()
	if st := f.srv.State(); len(st.Roles) != 0 || len(st.Policies) != 0 || len(st.LogGroups) != 0 {
		t.Errorf("after reset state = %+v", st)
	}
	if f.srv.Controls().Stats().Requests != 0 || requests == 0 {
		t.Errorf("requests before reset %d, after %d", requests, f.srv.Controls().Stats().Requests)
	}
	// The emulator still works after a reset, with fresh IDs.
	again := createRole(t, c, "r")
	if aws.ToString(again.RoleId) == r.RoleID {
		t.Error("a role recreated after reset got its old RoleId")
	}
	out, err := logs.DescribeLogGroups(ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{})
	noErr(t, err)
	if len(out.LogGroups) != 0 {
		t.Errorf("log groups after reset = %d", len(out.LogGroups))
	}
}
