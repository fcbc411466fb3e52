// Package democmd implements `crdb-logexport demo`: the interactive
// interface against the built-in sandbox, in one process, with no
// credentials and no change to the user's own environment.
package democmd

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/spf13/cobra"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/tui"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard"
)

type options struct {
	timings cloudemu.Timings
	latency time.Duration
}

// NewCmd returns the demo command; reports print what each task of the
// menu did (the home menu's own).
func NewCmd(ios *cmdutil.IOStreams, reports tui.Reports) *cobra.Command {
	o := options{timings: cloudemu.DefaultTimings}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Try the guided setup against the built-in sandbox (no credentials needed)",
		Long: `Starts the CockroachDB Cloud and AWS emulators on loopback inside this process
and opens the interactive interface against them. Pressing enter at every
prompt accepts the defaults and sets up log export of the sandbox cluster
prod-aws: log groups in its three regions, the IAM role and policy, the
export itself — with a realistic enable delay and IAM propagation wait —
until logs arrive.

Nothing outside the process is touched: the sandbox's clients are built
directly (your AWS configuration and COCKROACH_* variables are not read), and
the journal lives in a temporary directory removed on exit.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), cmd, ios, o, reports)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.timings.EnableAfter, "enable-after", o.timings.EnableAfter, "time an enable job takes in the sandbox")
	f.DurationVar(&o.timings.IAMPropagation, "iam-propagation", 6*time.Second, "a role younger than this cannot be assumed yet in the sandbox")
	f.DurationVar(&o.timings.EventInterval, "event-interval", o.timings.EventInterval, "how often the sandbox writes more log events")
	f.DurationVar(&o.latency, "latency", 0, "delay added to every sandbox API call")
	for _, name := range []string{"enable-after", "iam-propagation", "event-interval", "latency"} {
		_ = f.MarkHidden(name)
	}
	return cmd
}

func run(ctx context.Context, cmd *cobra.Command, ios *cmdutil.IOStreams, o options, reports tui.Reports) error {
	if !ios.CanPrompt() {
		return cmdutil.UsageError("demo is interactive and needs a terminal; to script against the sandbox, run `crdb-logexport sandbox serve` and then `crdb-logexport setup --cluster prod-aws --yes` with the variables it prints")
	}
	sb, err := sandbox.Start(sandbox.Options{Timings: &o.timings, Latency: o.latency})
	if err != nil {
		return fmt.Errorf("starting the sandbox: %w", err)
	}
	defer func() {
		// The user has left: do not keep them waiting for the idle
		// connections of the sandbox's clients.
		cctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_ = sb.Close(cctx)
	}()
	dir, err := os.MkdirTemp("", "crdb-logexport-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	connect := func(context.Context, string) (*steps.Env, error) {
		cloud, err := cloudapi.New(cloudapi.Options{BaseURL: sb.CloudURL, APIKey: sb.APIKey, UserAgent: "crdb-logexport-demo"})
		if err != nil {
			return nil, err
		}
		awsc := awsiam.NewClients(aws.Config{
			Region:       sb.Region,
			BaseEndpoint: aws.String(sb.AWSURL),
			Credentials:  credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, ""),
		})
		return &steps.Env{Cloud: cloud, AWS: awsc, Journals: steps.JournalStore{Dir: dir, Now: time.Now}}, nil
	}
	opts := wizard.Options{
		Start:        wizard.StartMenu,
		Input:        steps.SetupInput{ExternalID: steps.ExternalIDAuto},
		APIKeySource: "the sandbox",
		Connect:      connect,
		Badge:        "demo · sandbox",
		ResumeHint:   "The demo's sandbox ended with the program: run `crdb-logexport demo` again to start over.",
	}
	return tui.Run(ctx, ios, opts, tui.Accessible(cmd.Flags(), ios), reports)
}
