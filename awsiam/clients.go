package awsiam

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// STSAPI is the part of the STS client this package calls.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// IAMAPI is the part of the IAM client this package calls; *iam.Client
// satisfies it.
type IAMAPI interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	CreateRole(ctx context.Context, in *iam.CreateRoleInput, optFns ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	UpdateAssumeRolePolicy(ctx context.Context, in *iam.UpdateAssumeRolePolicyInput, optFns ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
	DeleteRole(ctx context.Context, in *iam.DeleteRoleInput, optFns ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)

	GetPolicy(ctx context.Context, in *iam.GetPolicyInput, optFns ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	GetPolicyVersion(ctx context.Context, in *iam.GetPolicyVersionInput, optFns ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
	ListPolicyVersions(ctx context.Context, in *iam.ListPolicyVersionsInput, optFns ...func(*iam.Options)) (*iam.ListPolicyVersionsOutput, error)
	CreatePolicy(ctx context.Context, in *iam.CreatePolicyInput, optFns ...func(*iam.Options)) (*iam.CreatePolicyOutput, error)
	CreatePolicyVersion(ctx context.Context, in *iam.CreatePolicyVersionInput, optFns ...func(*iam.Options)) (*iam.CreatePolicyVersionOutput, error)
	DeletePolicyVersion(ctx context.Context, in *iam.DeletePolicyVersionInput, optFns ...func(*iam.Options)) (*iam.DeletePolicyVersionOutput, error)
	DeletePolicy(ctx context.Context, in *iam.DeletePolicyInput, optFns ...func(*iam.Options)) (*iam.DeletePolicyOutput, error)

	AttachRolePolicy(ctx context.Context, in *iam.AttachRolePolicyInput, optFns ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	DetachRolePolicy(ctx context.Context, in *iam.DetachRolePolicyInput, optFns ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, optFns ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	ListRolePolicies(ctx context.Context, in *iam.ListRolePoliciesInput, optFns ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
	GetRolePolicy(ctx context.Context, in *iam.GetRolePolicyInput, optFns ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	ListEntitiesForPolicy(ctx context.Context, in *iam.ListEntitiesForPolicyInput, optFns ...func(*iam.Options)) (*iam.ListEntitiesForPolicyOutput, error)
}

// LogsAPI is the part of the CloudWatch Logs client this package calls;
// *cloudwatchlogs.Client satisfies it. A client is bound to one region.
type LogsAPI interface {
	DescribeLogGroups(ctx context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	CreateLogGroup(ctx context.Context, in *cloudwatchlogs.CreateLogGroupInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	PutRetentionPolicy(ctx context.Context, in *cloudwatchlogs.PutRetentionPolicyInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error)
	DeleteLogGroup(ctx context.Context, in *cloudwatchlogs.DeleteLogGroupInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteLogGroupOutput, error)
	DescribeLogStreams(ctx context.Context, in *cloudwatchlogs.DescribeLogStreamsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogStreamsOutput, error)
	ListTagsForResource(ctx context.Context, in *cloudwatchlogs.ListTagsForResourceInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.ListTagsForResourceOutput, error)
}

// globalRegion signs IAM and STS requests when the configuration names no
// region: IAM is global and its commercial endpoint lives in us-east-1.
const globalRegion = "us-east-1"

// Clients holds the SDK clients for one AWS configuration. IAM and STS are
// global; CloudWatch Logs needs one client per region because log groups
// live in every region the cluster exports from.
type Clients struct {
	IAM *iam.Client
	STS *sts.Client

	cfg  aws.Config
	mu   sync.Mutex
	logs map[string]*cloudwatchlogs.Client
}

// DefaultAttemptTimeout bounds one HTTP attempt of an AWS call when the
// configuration brings no HTTP client of its own.
const DefaultAttemptTimeout = 30 * time.Second

// NewClients builds clients from cfg (typically config.LoadDefaultConfig,
// which also honours AWS_ENDPOINT_URL for the sandbox). Every attempt of a
// call is bounded: by cfg.HTTPClient's own timeout when it has one, else by
// DefaultAttemptTimeout (see WithAttemptTimeout).
func NewClients(cfg aws.Config) *Clients {
	if cfg.HTTPClient == nil {
		cfg = WithAttemptTimeout(cfg, 0)
	}
	global := cfg.Copy()
	if global.Region == "" {
		global.Region = globalRegion
	}
	return &Clients{
		IAM:  iam.NewFromConfig(global),
		STS:  sts.NewFromConfig(global),
		cfg:  cfg.Copy(),
		logs: map[string]*cloudwatchlogs.Client{},
	}
}

// WithAttemptTimeout returns cfg whose HTTP client gives up on an attempt
// that has not been answered within d (DefaultAttemptTimeout when 0), and
// whose retryer does not repeat such an attempt: a service that does not
// answer in time once is hanging, and the call fails at once naming the
// operation, instead of stalling the run for several more timeouts.
func WithAttemptTimeout(cfg aws.Config, d time.Duration) aws.Config {
	if d <= 0 {
		d = DefaultAttemptTimeout
	}
	cfg.HTTPClient = awshttp.NewBuildableClient().WithTimeout(d)
	base := cfg.Retryer
	if base == nil {
		attempts := cfg.RetryMaxAttempts
		base = func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				if attempts > 0 {
					o.MaxAttempts = attempts
				}
			})
		}
	}
	cfg.Retryer = func() aws.Retryer { return noTimeoutRetries{base()} }
	return cfg
}

// noTimeoutRetries is a retryer that never repeats an attempt that timed
// out or was refused, and otherwise follows the retryer it wraps.
type noTimeoutRetries struct{ aws.Retryer }

func (r noTimeoutRetries) IsErrorRetryable(err error) bool {
	return notTimeouts(err) != aws.FalseTernary && r.Retryer.IsErrorRetryable(err)
}

// notTimeouts declines to retry an attempt that timed out, or that found
// nobody at the endpoint (the address is wrong: repeating it only delays
// saying so), and leaves every other error to the standard rules.
func notTimeouts(err error) aws.Ternary {
	if attemptTimedOut(err) || IsUnreachable(err) {
		return aws.FalseTernary
	}
	return aws.UnknownTernary
}

// attemptTimedOut: one attempt's HTTP exchange ran out of time (the
// caller's own deadline is reported by the SDK as a canceled request).
func attemptTimedOut(err error) bool {
	var canceled *smithy.CanceledError
	var requestCanceled *aws.RequestCanceledError
	if errors.As(err, &canceled) || errors.As(err, &requestCanceled) {
		return false
	}
	// The HTTP client's own time limit: a *url.Error that timed out. A bare
	// context error (the deadline had passed before the call) is not one.
	var ue *url.Error
	return errors.As(err, &ue) && ue.Timeout()
}

// IsTimeout reports whether an AWS call failed because AWS did not answer
// within the attempt's time limit.
// The caller's own deadline or interrupt is not one: the SDK reports that
// as a smithy.CanceledError.
func IsTimeout(err error) bool {
	var op *smithy.OperationError
	return errors.As(err, &op) && attemptTimedOut(err)
}

// LogsFor returns the CloudWatch Logs client for region, creating it once.
func (c *Clients) LogsFor(region string) *cloudwatchlogs.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.logs[region]; ok {
		return cl
	}
	cl := cloudwatchlogs.NewFromConfig(c.cfg, func(o *cloudwatchlogs.Options) { o.Region = region })
	c.logs[region] = cl
	return cl
}

// Identity is who the AWS credentials belong to.
type Identity struct {
	Account string
	ARN     string
	UserID  string
}

// CallerIdentity asks STS who the credentials belong to; the tool shows this
// account before it changes anything.
func CallerIdentity(ctx context.Context, c STSAPI) (Identity, error) {
	out, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, opErr("sts:GetCallerIdentity", "", err)
	}
	return Identity{
		Account: aws.ToString(out.Account),
		ARN:     aws.ToString(out.Arn),
		UserID:  aws.ToString(out.UserId),
	}, nil
}
