package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/pflag"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Connection holds the flags every command that talks to the services
// shares, and builds the clients lazily: nothing is read or dialled before
// a command needs it.
type Connection struct {
	IO *IOStreams

	APIKeyFile string
	Profile    string
	Region     string
	Debug      bool
	NoInput    bool
	// RequestTimeout bounds each attempt of every call to AWS and
	// CockroachDB Cloud (the clients' defaults when 0).
	RequestTimeout time.Duration
	// DryRun and NoWait are set by commands that have those flags: a dry
	// run takes no cluster lock; a run told not to wait (or not to ask)
	// does not wait for another run's lock either, it fails naming it.
	DryRun, NoWait bool

	once    sync.Once
	limiter *cloudapi.Limiter
	pacer   *awsiam.Pacer
}

// Register adds --api-key-file, --profile, --region, --debug and --no-input.
func (c *Connection) Register(fs *pflag.FlagSet) {
	fs.StringVar(&c.APIKeyFile, "api-key-file", "", "read the CockroachDB Cloud API key from this file ('-' for standard input) instead of COCKROACH_API_KEY")
	fs.StringVar(&c.Profile, "profile", "", "the AWS shared-config profile (default: the SDK's chain, AWS_PROFILE)")
	fs.StringVar(&c.Region, "region", "", "the AWS region for IAM/STS calls (default: the SDK's chain, AWS_REGION)")
	fs.BoolVar(&c.Debug, "debug", false, "trace HTTP exchanges with CockroachDB Cloud to stderr (the key is redacted)")
	fs.BoolVar(&c.NoInput, "no-input", false, "never prompt: a missing value is an error naming its flag")
	c.RequestTimeout = 30 * time.Second
	fs.Var(positiveDuration{&c.RequestTimeout, "request-timeout"}, "request-timeout", "the longest one request to AWS or CockroachDB Cloud may go unanswered before the call fails, naming it (more than 0)")
}

// APIKey finds the CockroachDB Cloud key: --api-key-file, then
// COCKROACH_API_KEY, then a masked prompt on a terminal. There is
// deliberately no flag that takes the key itself: it would land in shell
// history and in `ps`.
func (c *Connection) APIKey() (string, error) {
	if c.APIKeyFile != "" {
		return ReadSecretFile(c.APIKeyFile, "--api-key-file", c.IO.In, c.IO.ErrOut)
	}
	if key := strings.TrimSpace(c.IO.Env("COCKROACH_API_KEY")); key != "" {
		return key, nil
	}
	if c.NoInput || !c.IO.CanPrompt() {
		return "", UsageError("no CockroachDB Cloud API key: set COCKROACH_API_KEY or pass --api-key-file PATH (create a service account key in the Cloud Console, Organization → Access Management)")
	}
	return c.promptKey()
}

func (c *Connection) promptKey() (string, error) {
	f, ok := c.IO.In.(*os.File)
	if !ok {
		return "", UsageError("no CockroachDB Cloud API key: set COCKROACH_API_KEY or pass --api-key-file")
	}
	fmt.Fprint(c.IO.ErrOut, "CockroachDB Cloud API key (input hidden): ")
	b, err := term.ReadPassword(f.Fd())
	fmt.Fprintln(c.IO.ErrOut)
	if err != nil {
		return "", fmt.Errorf("reading the API key: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if key == "" {
		return "", UsageError("no API key entered")
	}
	return key, nil
}

// Cloud returns a CockroachDB Cloud API client (COCKROACH_SERVER or the
// public endpoint).
func (c *Connection) Cloud() (*cloudapi.Client, error) {
	key, err := c.APIKey()
	if err != nil {
		return nil, err
	}
	c.shared()
	opts := cloudapi.Options{
		BaseURL:   c.IO.Env("COCKROACH_SERVER"),
		APIKey:    key,
		UserAgent: "crdb-logexport",
		Limiter:   c.limiter,
		// A hung endpoint fails the call naming it, instead of holding
		// the run until --timeout.
		AttemptTimeout: c.RequestTimeout,
	}
	if c.Debug {
		opts.Debug = c.IO.ErrOut
	}
	return cloudapi.New(opts)
}

// shared makes the process's one Cloud API rate limiter and one CloudWatch
// Logs pacer: every client of a command shares them, since the server
// counts per key and AWS per account.
func (c *Connection) shared() {
	c.once.Do(func() {
		c.limiter = cloudapi.NewLimiter(cloudapi.DefaultRate, nil)
		c.pacer = awsiam.NewPacer()
	})
}

// AWS loads the AWS configuration through the SDK's standard chain
// (profile, SSO, environment, AWS_ENDPOINT_URL).
func (c *Connection) AWS(ctx context.Context) (*awsiam.Clients, error) {
	var opts []func(*config.LoadOptions) error
	if c.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.Profile))
	}
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	// The SDK's own warnings (an instance metadata service that is not
	// there, off EC2) are noise on the user's screen; the failure that
	// matters is explained (awsiam.ExplainCredentials). --debug shows them.
	logs := io.Discard
	if c.Debug {
		logs = c.IO.ErrOut
	}
	opts = append(opts, config.WithLogger(logging.NewStandardLogger(logs)))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	var noProfile config.SharedConfigProfileNotExistError
	if errors.As(err, &noProfile) {
		flag := "--profile"
		if c.Profile == "" {
			flag = "AWS_PROFILE"
		}
		return nil, UsageError("%s %s: no such profile in %s (`aws configure list-profiles` lists them)", flag, noProfile.Profile, awsiam.SharedFiles())
	}
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w (check --profile / AWS_PROFILE)", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	cfg.RetryMaxAttempts = 5
	cfg.RetryMode = aws.RetryModeStandard
	c.shared()
	c.pacer.Install(&cfg)
	cfg = awsiam.ExplainCredentials(cfg, c.Profile)
	return awsiam.NewClients(awsiam.WithAttemptTimeout(cfg, c.RequestTimeout)), nil
}

// Env builds the clients the procedures use.
func (c *Connection) Env(ctx context.Context) (*steps.Env, error) {
	env, err := c.CloudEnv()
	if err != nil {
		return nil, err
	}
	if env.AWS, err = c.AWS(ctx); err != nil {
		return nil, err
	}
	return env, nil
}

// CloudEnv is Env without AWS clients, for what needs only the Cloud API
// (AWS can be added later: env.AWS, err = c.AWS(ctx)).
func (c *Connection) CloudEnv() (*steps.Env, error) {
	cloud, err := c.Cloud()
	if err != nil {
		return nil, err
	}
	store, err := steps.DefaultJournalStore(c.IO.Env)
	if err != nil {
		return nil, err
	}
	return &steps.Env{
		Cloud: cloud, Journals: store,
		DryRun: c.DryRun,
		Lock: steps.LockPolicy{
			NoWait: c.NoInput || c.NoWait,
			OnWait: func(h steps.LockHolder) {
				fmt.Fprintf(c.IO.ErrOut, "Another crdb-logexport run is changing this cluster (%s); waiting for it to finish. Ctrl-C stops.\n", h)
			},
		},
		Warn: func(msg string) { fmt.Fprintf(c.IO.ErrOut, "Warning: %s\n", msg) },
	}, nil
}

// positiveDuration is a duration flag that must be more than 0: 0 would
// mean no limit, and a request with none can hang the run.
type positiveDuration struct {
	d    *time.Duration
	name string
}

func (p positiveDuration) String() string {
	if p.d == nil {
		return ""
	}
	return p.d.String()
}

func (p positiveDuration) Type() string { return "duration" }

func (p positiveDuration) Set(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return UsageError("--%s %q is not a duration (e.g. 30s, 2m)", p.name, v)
	}
	if d <= 0 {
		return UsageError("--%s must be more than 0: without a limit, one unanswered request could hang the run", p.name)
	}
	*p.d = d
	return nil
}
