package awsiam

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
)

// CredentialsError is the SDK's credential chain finding nothing to sign
// with. It says which sources the chain looked at and what it found there,
// instead of the error of the last one tried (usually the EC2 instance
// metadata service, which means nothing off EC2).
type CredentialsError struct {
	// Tried lists each source the chain looked at, with what it found.
	Tried []string
	// Err is the chain's own error, kept for errors.As and --debug.
	Err error
}

func (e *CredentialsError) Error() string {
	return "no AWS credentials found; the SDK's chain tried: " + strings.Join(e.Tried, "; ")
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// Fix says how to give the tool credentials.
func (e *CredentialsError) Fix() string {
	return "give the tool AWS credentials: a profile (--profile NAME or AWS_PROFILE; `aws configure` or `aws configure sso` makes one, `aws sso login --profile NAME` renews an SSO session), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment; `aws sts get-caller-identity` shows what the SDK finds"
}

// ExplainCredentials returns cfg whose credentials, when the chain finds
// none, fail with a *CredentialsError naming the sources tried (profile is
// the --profile given, "" for the SDK's choice), and which remember where
// the credentials they found came from (CredentialSource).
func ExplainCredentials(cfg aws.Config, profile string) aws.Config {
	if cfg.Credentials == nil {
		return cfg
	}
	cfg.Credentials = &explainedCredentials{inner: cfg.Credentials, profile: profile}
	return cfg
}

type explainedCredentials struct {
	inner   aws.CredentialsProvider
	profile string

	mu     sync.Mutex
	source string
}

func (p *explainedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := p.inner.Retrieve(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return creds, err
		}
		return creds, explainChain(p.profile, err)
	}
	p.mu.Lock()
	p.source = creds.Source
	p.mu.Unlock()
	return creds, nil
}

// CredentialSource says where the credentials in use came from, for a
// message about credentials AWS refused ("" before any were found).
func (c *Clients) CredentialSource() string {
	p, ok := c.cfg.Credentials.(*explainedCredentials)
	if !ok {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return describeSource(p.source)
}

func describeSource(source string) string {
	switch {
	case source == "":
		return ""
	case source == "EnvConfigCredentials":
		return "from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment"
	case strings.HasPrefix(source, "SharedConfigCredentials: "):
		return "from the shared file " + strings.TrimPrefix(source, "SharedConfigCredentials: ")
	case source == "SSOProvider":
		return "from the profile's SSO session"
	case source == "EC2RoleProvider":
		return "from the EC2 instance's role"
	case source == "AssumeRoleProvider":
		return "from a role the profile assumes"
	case source == "WebIdentityCredentials":
		return "from web identity (AWS_WEB_IDENTITY_TOKEN_FILE)"
	case source == "ProcessProvider":
		return "from the profile's credential_process"
	case source == "CredentialsEndpointProvider":
		return "from the container credentials endpoint"
	}
	return "from " + source
}

// explainChain describes what the SDK's default chain looked at, in its
// order, from the same environment the SDK read.
func explainChain(profile string, err error) *CredentialsError {
	e := &CredentialsError{Err: err}
	if profile == "" {
		profile = os.Getenv("AWS_PROFILE")
	}
	if profile == "" {
		profile = "default"
	}
	set := func(name string) bool { return os.Getenv(name) != "" }
	switch {
	case set("AWS_ACCESS_KEY_ID") && !set("AWS_SECRET_ACCESS_KEY"):
		e.Tried = append(e.Tried, "environment (AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not)")
	case !set("AWS_ACCESS_KEY_ID"):
		e.Tried = append(e.Tried, "environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set)")
	}
	e.Tried = append(e.Tried, fmt.Sprintf("profile %q in %s", profile, SharedFiles()))
	if set("AWS_WEB_IDENTITY_TOKEN_FILE") {
		e.Tried = append(e.Tried, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)")
	}
	if set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || set("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
		e.Tried = append(e.Tried, "the container credentials endpoint")
	}
	if strings.EqualFold(os.Getenv("AWS_EC2_METADATA_DISABLED"), "true") {
		e.Tried = append(e.Tried, "EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)")
	} else {
		e.Tried = append(e.Tried, "EC2 instance metadata (no instance role: not on EC2, or no role attached)")
	}
	if !fromIMDS(err) {
		// The chain stopped at a source that is configured but failed
		// (an expired SSO session, a broken credential_process): its own
		// words are the cause.
		e.Tried = append(e.Tried, "the error: "+err.Error())
	}
	return e
}

// fromIMDS reports whether the chain's error is the instance metadata
// service's, the last resort of the chain: nothing else was configured.
func fromIMDS(err error) bool {
	var op *smithy.OperationError
	return errors.As(err, &op) && op.ServiceID == "ec2imds" || strings.Contains(err.Error(), "EC2 IMDS")
}

// SharedFiles names the shared credentials and config files, and which of
// them exist.
func SharedFiles() string {
	home, _ := os.UserHomeDir()
	file := func(env, def string) string {
		if p := os.Getenv(env); p != "" {
			return p
		}
		return filepath.Join(home, ".aws", def)
	}
	var parts []string
	for _, p := range []string{file("AWS_SHARED_CREDENTIALS_FILE", "credentials"), file("AWS_CONFIG_FILE", "config")} {
		if _, err := os.Stat(p); err != nil {
			parts = append(parts, p+" (missing)")
		} else {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " and ")
}

// IsCredentialsRefused reports whether AWS refused the credentials the call
// was signed with: unknown, mistyped, expired or revoked.
func IsCredentialsRefused(err error) bool {
	switch ErrorCode(err) {
	case "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException",
		"UnrecognizedClientException", "InvalidAccessKeyId", "AuthFailure", "IncompleteSignature":
		return true
	}
	return false
}
