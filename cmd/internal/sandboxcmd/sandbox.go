// Package sandboxcmd implements `crdb-logexport sandbox serve`: the local
// emulators of CockroachDB Cloud and AWS, over loopback.
package sandboxcmd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// NewCmd returns the `sandbox` command group.
func NewCmd(ios *cmdutil.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Local emulators of CockroachDB Cloud and AWS for trying and testing the tool",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newCmdServe(ios))
	return cmd
}

type serveOptions struct {
	cloudAddr, awsAddr string
	hooksAddr          string
	logsQuotas         bool
	awsEndpoint        string
	region             string
	envFile            string
	latency            time.Duration
	timings            cloudemu.Timings
	extraClusters      int
}

func newCmdServe(ios *cmdutil.IOStreams) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Cloud API and AWS emulators and a webhook receiver on loopback until interrupted",
		Long: `Runs the CockroachDB Cloud API emulator, the AWS emulator (IAM, STS and
CloudWatch Logs) and a webhook receiver on loopback and prints the environment
variables that point crdb-logexport (and the aws CLI, curl, the AWS SDKs) at
them. The webhook variables make ` + "`crdb-logexport monitor`" + ` notify the receiver
(a Slack incoming webhook and a generic JSON webhook); GET /_sandbox/webhooks on
the receiver lists what arrived.

CloudWatch Logs enforces AWS's published per-region request quotas
(DescribeLogGroups and DescribeLogStreams 5 a second, GetLogEvents 10,
CreateLogStream 50), answering ThrottlingException above them;
--logs-quotas=false lifts them.

Enabling log export in the Cloud emulator does real work: after --enable-after
it reads the role and its policies through the AWS endpoint, decides whether the
cluster's account could assume it and write to the log group in every region,
and then either reaches ENABLED and writes log events, or fails with the
message CockroachDB Cloud would give.

Test controls live under /_sandbox/ on every endpoint: stats, reset, faults,
latency, and (Cloud) timings, (AWS) state and quotas, (receiver) webhooks.

Ctrl-C stops the sandbox (exit status 0).`,
		Example: `  crdb-logexport sandbox serve --env-file /tmp/sandbox.env
  . /tmp/sandbox.env && crdb-logexport setup --cluster prod-aws --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), ios, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.cloudAddr, "cloud-addr", defaultAddrs["--cloud-addr"], "loopback address of the Cloud API emulator (port 0 picks a free one)")
	f.StringVar(&o.awsAddr, "aws-addr", defaultAddrs["--aws-addr"], "loopback address of the AWS emulator (port 0 picks a free one)")
	f.StringVar(&o.hooksAddr, "hooks-addr", defaultAddrs["--hooks-addr"], "loopback address of the webhook receiver (port 0 picks a free one)")
	f.BoolVar(&o.logsQuotas, "logs-quotas", true, "enforce CloudWatch Logs' published request quotas (ThrottlingException above them)")
	f.StringVar(&o.awsEndpoint, "aws-endpoint", "", "use this AWS-compatible endpoint instead of the built-in AWS emulator (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)")
	f.StringVar(&o.region, "region", sandbox.DefaultRegion, "the AWS_REGION to print")
	f.StringVar(&o.envFile, "env-file", "", "also write the export lines to this file (mode 0600)")
	f.DurationVar(&o.latency, "latency", 0, "delay added to every API call on both emulators, e.g. 100ms")
	d := cloudemu.DefaultTimings
	f.DurationVar(&o.timings.EnableAfter, "enable-after", d.EnableAfter, "time an enable job takes before its outcome (0: at once)")
	f.DurationVar(&o.timings.DisableAfter, "disable-after", d.DisableAfter, "time a disable job takes (0: at once)")
	f.DurationVar(&o.timings.IAMPropagation, "iam-propagation", d.IAMPropagation, "a role younger than this cannot be assumed yet, as with IAM eventual consistency (0: at once)")
	f.DurationVar(&o.timings.EventInterval, "event-interval", d.EventInterval, "how often an enabled export writes more log events (more than 0)")
	f.IntVar(&o.extraClusters, "extra-clusters", 0, "add this many Advanced AWS clusters to the seeded organization")
	return cmd
}

func runServe(ctx context.Context, ios *cmdutil.IOStreams, o serveOptions) error {
	if o.extraClusters < 0 {
		return cmdutil.UsageError("--extra-clusters must be 0 or more, got %d", o.extraClusters)
	}
	if o.latency < 0 {
		return cmdutil.UsageError("--latency must not be negative, got %s", o.latency)
	}
	opts := sandbox.Options{
		CloudAddr:     o.cloudAddr,
		AWSAddr:       o.awsAddr,
		HooksAddr:     o.hooksAddr,
		AWSEndpoint:   o.awsEndpoint,
		Region:        o.region,
		Latency:       o.latency,
		Timings:       &o.timings,
		ExtraClusters: o.extraClusters,
	}
	if o.awsEndpoint != "" {
		opts.AWSAccessKeyID = ios.Env("AWS_ACCESS_KEY_ID")
		opts.AWSSecret = ios.Env("AWS_SECRET_ACCESS_KEY")
		if opts.AWSAccessKeyID == "" || opts.AWSSecret == "" {
			return cmdutil.UsageError("--aws-endpoint needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment for that endpoint")
		}
	}
	if err := opts.Validate(); err != nil {
		var te *cloudemu.TimingError
		if errors.As(err, &te) {
			return cmdutil.UsageError("--%s %s %s", strings.ReplaceAll(te.Name, "_", "-"), te.Value, te.Reason)
		}
		return cmdutil.UsageError("%s", err)
	}
	if !o.logsQuotas {
		opts.LogsQuotas = map[string]float64{}
	}
	env, err := sandbox.Start(opts)
	if errors.Is(err, syscall.EADDRINUSE) {
		return addressInUse(ctx, err)
	}
	if err != nil {
		return err
	}
	defer func() {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = env.Close(shutdown)
	}()

	lines := env.ExportLines()
	if o.envFile != "" {
		if err := os.WriteFile(o.envFile, []byte(lines), 0o600); err != nil {
			return fmt.Errorf("writing --env-file: %w", err)
		}
	}
	if _, err := fmt.Fprint(ios.Out, lines); err != nil {
		return err
	}
	describe(ios, env, o)
	<-ctx.Done()
	fmt.Fprintln(ios.ErrOut, "Sandbox stopped.")
	return nil
}

func describe(ios *cmdutil.IOStreams, env *sandbox.Env, o serveOptions) {
	w := ios.ErrOut
	fmt.Fprintf(w, "\nCockroachDB Cloud API emulator  %s\n", env.CloudURL)
	if env.AWS != nil {
		fmt.Fprintf(w, "AWS emulator (IAM, STS, Logs)    %s  account %s\n", env.AWSURL, env.AWS.AccountID())
	} else {
		fmt.Fprintf(w, "AWS endpoint (external)          %s\n", env.AWSURL)
	}
	fmt.Fprintf(w, "Webhook receiver (Slack, JSON)   %s  what arrived: %s/_sandbox/webhooks\n", env.HooksURL, env.HooksURL)
	fmt.Fprintf(w, "Enable takes %s, disable %s; roles younger than %s cannot be assumed yet.\n",
		o.timings.EnableAfter, o.timings.DisableAfter, o.timings.IAMPropagation)
	fmt.Fprintln(w, "\nSeeded clusters:")
	for _, c := range cloudemu.Seed(o.extraClusters) {
		if c.Inactive {
			continue
		}
		var regions []string
		for _, r := range c.Regions {
			regions = append(regions, r.Name)
		}
		account := c.AccountID
		if account == "" {
			account = "-"
		}
		fmt.Fprintf(w, "  %-14s %-8s %-4s %-12s %-36s %s\n", c.Name, c.Plan, c.CloudProvider, account, c.ID, strings.Join(regions, ","))
	}
	if o.envFile != "" {
		fmt.Fprintf(w, "\nIn another shell:  . %s\n", o.envFile)
	} else {
		fmt.Fprintln(w, "\nIn another shell, run the export lines above (or use --env-file).")
	}
	fmt.Fprintf(w, "Controls: %s/_sandbox/stats, …/reset, …/faults, …/latency, …/timings\n", env.CloudURL)
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}

// addressInUse explains a listen address that is taken: most often by a
// sandbox started earlier in another shell, which answers its stats path.
func addressInUse(ctx context.Context, err error) error {
	var le *sandbox.ListenError
	if !errors.As(err, &le) {
		return err
	}
	flag, addr := le.Flag, le.Addr
	why := "another program listens there"
	if addr != "" && answersAsSandbox(ctx, addr) {
		why = "a sandbox is already running there (answering " + addr + "/_sandbox/stats): use it — the variables it printed still apply — or stop it with Ctrl-C in its shell"
	} else if addr == defaultAddrs[flag] {
		why = "a sandbox is probably already running (`crdb-logexport sandbox serve` in another shell), or another program listens there"
	}
	return fmt.Errorf("%s %s is already in use: %s.\nTo run a second sandbox, let it pick free ports: crdb-logexport sandbox serve --cloud-addr 127.0.0.1:0 --aws-addr 127.0.0.1:0 --hooks-addr 127.0.0.1:0 --env-file PATH", flag, addr, why)
}

// defaultAddrs are the flags' defaults, where a second sandbox collides
// with the first.
var defaultAddrs = map[string]string{"--cloud-addr": "127.0.0.1:26280", "--aws-addr": "127.0.0.1:26281", "--hooks-addr": "127.0.0.1:26282"}

// answersAsSandbox reports whether a sandbox's admin path answers at addr.
func answersAsSandbox(ctx context.Context, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/_sandbox/stats", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
