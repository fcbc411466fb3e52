package awsemu

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// testClock is the fixed time the emulator sees in tests, so timestamps in
// answers can be asserted exactly.
var testClock = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

type fixture struct {
	srv  *Server
	http *httptest.Server
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testClock }
	}
	if opts.LogsQuotas == nil {
		// These tests make calls back to back, with retries off, to see
		// each answer once; the quotas have tests of their own.
		opts.LogsQuotas = map[string]float64{}
	}
	srv := New(opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &fixture{srv: srv, http: hs}
}

// config is an SDK configuration pointed at the emulator, with retries off
// so every injected fault reaches the caller exactly once.
func (f *fixture) config(region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIASANDBOXTEST00001", "sandbox-secret", ""),
		BaseEndpoint: aws.String(f.http.URL),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

func (f *fixture) iam() *iam.Client { return iam.NewFromConfig(f.config("us-east-1")) }

func (f *fixture) sts() *sts.Client { return sts.NewFromConfig(f.config("us-east-1")) }

func (f *fixture) logs(region string) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(f.config(region))
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// wantErr asserts that err is (or wraps) an error of type E and returns it.
func wantErr[E error](t *testing.T, err error) E {
	t.Helper()
	var target E
	if !errors.As(err, &target) {
		t.Fatalf("got error %v (%T), want %T", err, err, target)
	}
	return target
}

// wantCode asserts the AWS error code of err.
func wantCode(t *testing.T, err error, code string) smithy.APIError {
	t.Helper()
	api := wantErr[smithy.APIError](t, err)
	if api.ErrorCode() != code {
		t.Fatalf("error code = %q (%v), want %q", api.ErrorCode(), err, code)
	}
	return api
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}
