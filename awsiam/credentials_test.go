package awsiam

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

type failingProvider struct{ err error }

func (p failingProvider) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{}, p.err
}

// TestExplainCredentials: a chain that finds nothing says which sources it
// tried, not the instance metadata service's last words (issue 13).
func TestExplainCredentials(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	imds := errors.New("failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, http response error StatusCode: 403")
	cfg := ExplainCredentials(aws.Config{Credentials: failingProvider{imds}}, "")
	_, err := cfg.Credentials.Retrieve(context.Background())
	var ce *CredentialsError
	if !errors.As(err, &ce) || !errors.Is(err, imds) {
		t.Fatalf("err = %v, want a CredentialsError wrapping the chain's", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"no AWS credentials found",
		"environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set)",
		fmt.Sprintf(`profile "default" in %s (missing) and %s (missing)`, filepath.Join(dir, "credentials"), filepath.Join(dir, "config")),
		"EC2 instance metadata (no instance role",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "IMDS") || strings.Contains(msg, "ec2imds") {
		t.Errorf("message repeats the metadata service's error:\n%s", msg)
	}
	if !strings.Contains(ce.Fix(), "--profile") || !strings.Contains(ce.Fix(), "AWS_ACCESS_KEY_ID") {
		t.Errorf("fix = %q", ce.Fix())
	}

	// A source that is configured but fails (an expired SSO session) is
	// the cause: its words are kept, with the profile named.
	sso := errors.New("the SSO session has expired or is invalid")
	_, err = ExplainCredentials(aws.Config{Credentials: failingProvider{sso}}, "work").Credentials.Retrieve(context.Background())
	if msg := err.Error(); !strings.Contains(msg, `profile "work"`) || !strings.Contains(msg, "the SSO session has expired") {
		t.Errorf("a failing profile: %s", msg)
	}
}

// TestCredentialSource: the source of the credentials in use, for a
// message about credentials AWS refused.
func TestCredentialSource(t *testing.T) {
	c := NewClients(ExplainCredentials(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIA", "secret", "")}, ""))
	if got := c.CredentialSource(); got != "" {
		t.Errorf("before any call: %q", got)
	}
	if _, err := c.cfg.Credentials.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := c.CredentialSource(); got != "from StaticCredentials" {
		t.Errorf("source = %q", got)
	}
}

// TestRefusedIsNotRetried: an endpoint where nobody listens is said at
// once; the SDK's standard retryer alone would try it again (issue 13: 13 s
// of retries, then the credentials were blamed).
func TestRefusedIsNotRetried(t *testing.T) {
	refused := &url.Error{Op: "Post", URL: "http://127.0.0.1:9/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	standard := retry.NewStandard()
	if !standard.IsErrorRetryable(refused) {
		t.Fatal("the standard retryer no longer retries a refused connection: this test proves nothing")
	}
	if (noTimeoutRetries{standard}).IsErrorRetryable(refused) || !IsUnreachable(refused) {
		t.Error("a refused connection is retried")
	}
	msg := (&OpError{Op: "sts:GetCallerIdentity", Err: refused}).Error()
	if msg != "sts:GetCallerIdentity: nothing accepts connections at 127.0.0.1:9 (if AWS_ENDPOINT_URL is set, is it right?)" {
		t.Errorf("message = %q", msg)
	}
	noHost := &url.Error{Op: "Post", URL: "http://no-such-host.invalid/", Err: &net.DNSError{Err: "no such host", Name: "no-such-host.invalid", IsNotFound: true}}
	if (noTimeoutRetries{standard}).IsErrorRetryable(noHost) {
		t.Error("a host that does not exist is retried")
	}
	if msg := (&OpError{Op: "sts:GetCallerIdentity", Err: noHost}).Error(); !strings.Contains(msg, "the host no-such-host.invalid does not exist") {
		t.Errorf("message = %q", msg)
	}
}
