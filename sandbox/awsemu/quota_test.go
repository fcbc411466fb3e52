package awsemu

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// A burst above DescribeLogStreams' quota of 5 per second in one region is
// answered as AWS answers it: the first five pass, the rest get HTTP 400
// ThrottlingException "Rate exceeded", which the SDK classifies as a
// throttle. Another region has a quota of its own, and the quota refills.
func TestLogsQuotaThrottlesPerRegionAsAWSDoes(t *testing.T) {
	f := newFixture(t, Options{LogsQuotas: DefaultLogsQuotas})
	east, west := f.logs("us-east-1"), f.logs("us-west-2")
	for _, c := range []*cloudwatchlogs.Client{east, west} {
		_, err := c.CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")})
		noErr(t, err)
	}
	describe := func(c *cloudwatchlogs.Client) error {
		_, err := c.DescribeLogStreams(ctx(t), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g")})
		return err
	}
	ok, throttled := 0, 0
	for range 8 {
		err := describe(east)
		if err == nil {
			ok++
			continue
		}
		api := wantCode(t, err, "ThrottlingException")
		if api.ErrorMessage() != "Rate exceeded" {
			t.Errorf("message = %q, want AWS's \"Rate exceeded\"", api.ErrorMessage())
		}
		wantStatus(t, err, http.StatusBadRequest)
		if !retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool() {
			t.Errorf("the SDK does not see a throttle: %v", err)
		}
		throttled++
	}
	// Eight calls take far less than the 200 ms that refills a token, so
	// exactly the bucket's five pass (allowing one refill on a slow run).
	if ok < 5 || ok > 6 || throttled != 8-ok {
		t.Errorf("%d passed and %d throttled of 8 back-to-back calls, want 5 (or 6) and the rest", ok, throttled)
	}
	noErr(t, describe(west))

	time.Sleep(450 * time.Millisecond) // two tokens at 5 per second
	noErr(t, describe(east))

	st := f.srv.quotas.view()
	if st.Throttled["us-east-1 logs:DescribeLogStreams"] != throttled || st.Throttled["us-west-2 logs:DescribeLogStreams"] != 0 {
		t.Errorf("throttled counts = %v", st.Throttled)
	}
	if n := f.srv.Controls().Stats().ByOpStatus["logs:DescribeLogStreams"]["400"]; n != throttled {
		t.Errorf("the stats count %d answers of 400, want %d", n, throttled)
	}
}

// The SDK's standard retryer rides out a short throttle: a client that paces
// itself by retrying still gets every answer.
func TestLogsQuotaIsRiddenOutByTheStandardRetryer(t *testing.T) {
	f := newFixture(t, Options{LogsQuotas: map[string]float64{"DescribeLogGroups": 5}})
	cfg := f.config("eu-west-1")
	cfg.Retryer = func() aws.Retryer { return retry.NewStandard() }
	c := cloudwatchlogs.NewFromConfig(cfg)
	for i := range 8 {
		if _, err := c.DescribeLogGroups(ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := f.srv.quotas.view().Throttled["eu-west-1 logs:DescribeLogGroups"]; n == 0 {
		t.Error("eight calls in a row were never throttled: the quota did not apply")
	}
}

// /_sandbox/quotas shows and changes the quotas; a reset restores them.
func TestLogsQuotaAdminEndpoint(t *testing.T) {
	f := newFixture(t, Options{LogsQuotas: DefaultLogsQuotas})
	call := func(method, body string) (int, quotaView) {
		req, err := http.NewRequest(method, f.http.URL+"/_sandbox/quotas", bytes.NewBufferString(body))
		noErr(t, err)
		resp, err := http.DefaultClient.Do(req)
		noErr(t, err)
		defer resp.Body.Close()
		var v quotaView
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	code, v := call(http.MethodGet, "")
	if code != 200 || v.Quotas["logs:DescribeLogStreams"] != 5 || v.Quotas["logs:GetLogEvents"] != 10 || v.Quotas["logs:CreateLogStream"] != 50 || v.Quotas["logs:DescribeLogGroups"] != 5 {
		t.Fatalf("GET = %d %+v, want the published quotas", code, v)
	}
	code, v = call(http.MethodPut, `{"quotas":{"logs:DescribeLogStreams":25,"logs:GetLogEvents":0}}`)
	if _, still := v.Quotas["logs:GetLogEvents"]; code != 200 || v.Quotas["logs:DescribeLogStreams"] != 25 || still {
		t.Fatalf("PUT = %d %+v", code, v)
	}
	if code, _ := call(http.MethodPut, `{"quotas":{"iam:GetRole":1}}`); code != http.StatusBadRequest {
		t.Errorf("a quota for a non-Logs operation was accepted (%d)", code)
	}
	resp, err := http.Post(f.http.URL+"/_sandbox/reset", "application/json", nil)
	noErr(t, err)
	resp.Body.Close()
	if _, v = call(http.MethodGet, ""); v.Quotas["logs:DescribeLogStreams"] != 5 || v.Quotas["logs:GetLogEvents"] != 10 {
		t.Errorf("after a reset: %+v, want the published quotas again", v)
	}
}
