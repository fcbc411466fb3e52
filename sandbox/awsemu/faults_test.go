package awsemu

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// wantStatus asserts the HTTP status the error arrived with.
func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	if got := httpStatus(t, err); got != status {
		t.Errorf("HTTP status = %d, want %d (%v)", got, status, err)
	}
}

func httpStatus(t *testing.T, err error) int {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	return re.HTTPStatusCode()
}

func TestInjectedThrottlingReachesCallerOncePerCount(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.iam()
	createRole(t, c, "r")
	f.srv.Controls().InjectFault(knobs.Fault{Op: "iam:GetRole", Times: 2, Status: http.StatusBadRequest, Code: "Throttling"})

	for i := range 2 {
		_, err := c.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("r")})
		api := wantCode(t, err, "Throttling")
		if api.ErrorMessage() != "Rate exceeded" {
			t.Errorf("call %d: message = %q", i, api.ErrorMessage())
		}
		if s := httpStatus(t, err); s != http.StatusBadRequest {
			t.Errorf("call %d: status = %d", i, s)
		}
		if !retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool() {
			t.Errorf("call %d: the SDK does not see a throttle: %v", i, err)
		}
	}
	_, err := c.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("r")})
	noErr(t, err)

	st := f.srv.Controls().Stats().ByOpStatus["iam:GetRole"]
	if st["400"] != 2 || st["200"] != 1 {
		t.Errorf("iam:GetRole stats = %v, want 2×400 and 1×200", st)
	}
}

func TestInjectedServerErrorsAreTheSDKsTypedErrors(t *testing.T) {
	f := newFixture(t, Options{})
	ctl := f.srv.Controls()
	ctl.InjectFault(knobs.Fault{Op: "iam:CreateRole", Status: http.StatusInternalServerError})
	ctl.InjectFault(knobs.Fault{Op: "logs:CreateLogGroup", Status: http.StatusInternalServerError})
	ctl.InjectFault(knobs.Fault{Op: "sts:GetCallerIdentity", Status: http.StatusServiceUnavailable})
	ctl.InjectFault(knobs.Fault{Op: "logs:DescribeLogGroups", Status: http.StatusBadRequest, Code: "ThrottlingException"})
	ctl.InjectFault(knobs.Fault{Op: "iam:GetRole", Status: http.StatusForbidden, Code: "AccessDenied", Message: "no way"})

	_, err := f.iam().CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustDoc)})
	wantErr[*iamtypes.ServiceFailureException](t, err)
	if httpStatus(t, err) != 500 {
		t.Errorf("status = %d", httpStatus(t, err))
	}
	logs := f.logs("us-east-1")
	_, err = logs.CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")})
	wantErr[*logstypes.ServiceUnavailableException](t, err)
	_, err = f.sts().GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	wantCode(t, err, "ServiceUnavailable")
	if httpStatus(t, err) != 503 {
		t.Errorf("status = %d", httpStatus(t, err))
	}
	_, err = logs.DescribeLogGroups(ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{})
	wantCode(t, err, "ThrottlingException")
	_, err = f.iam().GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("r")})
	if api := wantCode(t, err, "AccessDenied"); api.ErrorMessage() != "no way" {
		t.Errorf("message = %q", api.ErrorMessage())
	}

	// Each fault fired once; the calls now do their real work.
	_, err = f.iam().CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustDoc)})
	noErr(t, err)
	stats := ctl.Stats()
	if stats.ByOpStatus["iam:CreateRole"]["500"] != 1 || stats.ByOpStatus["iam:CreateRole"]["200"] != 1 ||
		stats.ByOpStatus["logs:CreateLogGroup"]["500"] != 1 || stats.ByOpStatus["sts:GetCallerIdentity"]["503"] != 1 {
		t.Errorf("stats = %+v", stats.ByOpStatus)
	}
	if len(ctl.Faults()) != 0 {
		t.Errorf("faults left: %+v", ctl.Faults())
	}
}

func TestSDKRetriesSeeEveryInjectedFault(t *testing.T) {
	f := newFixture(t, Options{})
	cfg := f.config("us-east-1")
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.RateLimiter = ratelimit.None
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
	c := cloudwatchlogs.NewFromConfig(cfg)
	f.srv.Controls().InjectFault(knobs.Fault{Op: "logs:CreateLogGroup", Times: 2, Status: http.StatusInternalServerError, Code: "ServiceUnavailableException"})
	_, err := c.CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")})
	noErr(t, err) // third attempt succeeds
	st := f.srv.Controls().Stats().ByOpStatus["logs:CreateLogGroup"]
	if st["500"] != 2 || st["200"] != 1 {
		t.Errorf("stats = %v, want 2×500 then 1×200", st)
	}
}

func TestLatencyIsApplied(t *testing.T) {
	f := newFixture(t, Options{})
	const latency = 150 * time.Millisecond
	f.srv.Controls().SetLatency(latency)
	start := time.Now()
	_, err := f.sts().GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	noErr(t, err)
	if elapsed := time.Since(start); elapsed < latency {
		t.Errorf("call took %v with %v latency configured", elapsed, latency)
	}

	// A fault's own delay adds to the latency; with Status 0 it only delays.
	f.srv.Controls().SetLatency(0)
	f.srv.Controls().InjectFault(knobs.Fault{Op: "sts:GetCallerIdentity", Delay: knobs.Duration(latency)})
	start = time.Now()
	_, err = f.sts().GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	noErr(t, err)
	if elapsed := time.Since(start); elapsed < latency {
		t.Errorf("delayed call took %v, want at least %v", elapsed, latency)
	}
}

func TestHangingFaultIsAbandoned(t *testing.T) {
	f := newFixture(t, Options{})
	f.srv.Controls().InjectFault(knobs.Fault{Op: "logs:DescribeLogGroups", Hang: true})
	c := f.logs("us-east-1")
	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.DescribeLogGroups(short, &cloudwatchlogs.DescribeLogGroupsInput{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung call ended with %v, want the client's deadline", err)
	}
	_, err = c.DescribeLogGroups(ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{})
	noErr(t, err)
	// The server side of the abandoned call may still be unwinding; only the
	// answered call may have been counted.
	if st := f.srv.Controls().Stats().ByOpStatus["logs:DescribeLogGroups"]; st["200"] != 1 || len(st) != 1 {
		t.Errorf("stats = %v, want only the answered call", st)
	}
}

func TestFaultsInjectedOverHTTP(t *testing.T) {
	f := newFixture(t, Options{})
	body := `{"op": "iam:CreatePolicy", "status": 409, "code": "LimitExceeded", "message": "Cannot exceed quota for PoliciesPerAccount: 1500"}`
	resp, err := http.Post(f.http.URL+"/_sandbox/faults", "application/json", strings.NewReader(body))
	noErr(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /_sandbox/faults = %d", resp.StatusCode)
	}
	_, err = f.iam().CreatePolicy(ctx(t), &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(permissionsDoc)})
	e := wantErr[*iamtypes.LimitExceededException](t, err)
	if !strings.Contains(e.ErrorMessage(), "PoliciesPerAccount") {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	if f.srv.Controls().Stats().Requests != 1 {
		t.Errorf("requests = %d, want 1 (admin calls are not counted)", f.srv.Controls().Stats().Requests)
	}
}
