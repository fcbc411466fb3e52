// Package monitorcmd implements `crdb-logexport monitor`: scheduled checks
// of one, several or all clusters' log exports (package monitor), with a
// single pass for cron (--once), one line or JSON object per event without
// a terminal, and the live fleet screen (package wizard/fleet) on one.
package monitorcmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/tui"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/versioncmd"
	"github.com/crdb-logexport/crdb-logexport/monitor"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard"
)

// The environment variables that may hold the webhook URLs, for where a
// file is awkward (a Kubernetes secret as an environment variable).
const (
	EnvSlackWebhook = "CRDB_LOGEXPORT_SLACK_WEBHOOK_URL"
	EnvWebhook      = "CRDB_LOGEXPORT_WEBHOOK_URL"
)

// Defaults of the long-running monitor.
const (
	defaultInterval  = 5 * time.Minute
	defaultDeepEvery = 6
	defaultTimeout   = 10 * time.Minute
)

// Options are the flags of `monitor`.
type Options struct {
	IO   *cmdutil.IOStreams
	Conn cmdutil.Connection
	Out  cmdutil.OutputFlag

	Clusters      []string
	All           bool
	Once          bool
	Interval      time.Duration
	DeepEvery     int
	NotifySuccess bool
	DailyReport   string
	SlackFile     string
	WebhookFile   string
	Timeout       time.Duration
	flags         *pflag.FlagSet
}

// NewCmd returns the monitor command.
func NewCmd(ios *cmdutil.IOStreams) *cobra.Command {
	o := &Options{IO: ios}
	o.Conn.IO = ios
	cmd := &cobra.Command{
		Use:   "monitor",
		Short: "Watch log exports on a schedule and notify Slack or a webhook when one breaks or recovers",
		Long: `Checks the log export of one or more clusters (--cluster, repeatable) or of every
cluster of the organization that exports logs (--all): the export status and
user_message, whether logs are arriving in every destination region, and the
doctor's checks of the role, trust policy, permission policies and log groups.
The Cloud API is read at most 10 requests a second, and CloudWatch Logs within
its per-region quotas.

--once runs one pass, for cron, systemd timers and Kubernetes CronJobs. Without
it the monitor passes every --interval until interrupted: on a terminal it shows
the fleet (enter opens the doctor on a cluster); without one it prints one line
per event (--output json: one JSON object per line).

Notifications go out on change, not on every pass: healthy → failing sends one
"failing", failing → healthy one "recovered", a new finding on a failing
export an update. What each destination was told is kept under the state
directory, so separate --once runs deduplicate too. --notify-success also sends
"ok" after each healthy pass; --daily-report HH:MM sends a fleet summary once a
day, at the first pass after that local time.

Destinations: --slack-webhook-url-file (or ` + EnvSlackWebhook + `) posts Slack
messages; --webhook-url-file (or ` + EnvWebhook + `) posts one JSON
document per event. A webhook URL is a secret, so no flag takes it: a file
readable by others gets a warning, and plain http is refused except to
loopback. Undelivered notifications (429, 5xx and network failures are retried
with backoff, honouring Retry-After) are kept and sent on the next pass.

Exit status with --once: 0 when every watched export is healthy, 3 when any is
not, 1 when the pass itself failed (clusters could not be listed or checked, a
notification could not be delivered). Interrupting the long-running monitor
exits 0.`,
		Example: `  crdb-logexport monitor --all --once
  crdb-logexport monitor --cluster prod-aws --cluster staging-aws --once --slack-webhook-url-file ~/.config/crdb-logexport/slack-url
  crdb-logexport monitor --all --interval 5m --daily-report 09:00
  crdb-logexport monitor --all --output json | tee -a monitor.log`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.flags = cmd.Flags()
			return run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	o.Conn.Register(f)
	o.Out.Register(f)
	f.StringSliceVar(&o.Clusters, "cluster", nil, "cluster id or name to watch (repeatable, or comma-separated)")
	f.BoolVar(&o.All, "all", false, "watch every cluster of the organization that exports logs")
	f.BoolVar(&o.Once, "once", false, "run one pass and exit: 0 all healthy, 3 some failing, 1 the pass failed")
	f.DurationVar(&o.Interval, "interval", defaultInterval, "time between the starts of two passes (without --once)")
	f.IntVar(&o.DeepEvery, "deep-every", defaultDeepEvery, "read IAM (role, trust, policies) every Nth pass; the passes between read the status and logs (without --once, which always reads everything)")
	f.BoolVar(&o.NotifySuccess, "notify-success", false, `also send "ok" for every healthy export after each pass`)
	f.StringVar(&o.DailyReport, "daily-report", "", "send a summary of every watched export once a day, at the first pass after this local time (HH:MM)")
	f.StringVar(&o.SlackFile, "slack-webhook-url-file", "", "file holding the Slack incoming webhook URL ('-' for standard input); or set "+EnvSlackWebhook)
	f.StringVar(&o.WebhookFile, "webhook-url-file", "", "file holding a webhook URL that receives one JSON document per event; or set "+EnvWebhook)
	f.DurationVar(&o.Timeout, "timeout", 0, "give up (exit 124) after this long; with --once the default is 10m, otherwise no limit")
	return cmd
}

// validate checks the flags before anything is read or dialled.
func (o *Options) validate() error {
	changed := func(name string) bool { return o.flags != nil && o.flags.Changed(name) }
	switch {
	case o.All && len(o.Clusters) > 0:
		return cmdutil.UsageError("--all and --cluster cannot be used together")
	case !o.All && len(o.Clusters) == 0:
		return cmdutil.UsageError("say what to watch: --cluster ID|NAME (repeatable) or --all")
	case o.Once && changed("interval"):
		return cmdutil.UsageError("--interval sets the time between passes of the long-running monitor; --once runs one pass")
	case o.Once && changed("deep-every"):
		return cmdutil.UsageError("--deep-every applies to the long-running monitor; --once always runs every check")
	case o.Interval <= 0:
		return cmdutil.UsageError("--interval must be positive, got %s", o.Interval)
	case o.DeepEvery < 1:
		return cmdutil.UsageError("--deep-every must be 1 or more, got %d", o.DeepEvery)
	case o.Timeout < 0:
		return cmdutil.UsageError("--timeout must not be negative, got %s", o.Timeout)
	case o.SlackFile == "-" && o.WebhookFile == "-":
		return cmdutil.UsageError("only one of --slack-webhook-url-file and --webhook-url-file can read standard input")
	}
	for _, c := range o.Clusters {
		if strings.TrimSpace(c) == "" {
			return cmdutil.UsageError("--cluster needs a cluster id or name")
		}
	}
	if o.DailyReport != "" {
		if _, _, err := monitor.ParseClock(o.DailyReport); err != nil {
			return cmdutil.UsageError("--daily-report: %v", err)
		}
	}
	return nil
}

// destinations reads the webhook URLs: the file flags first, then the
// environment. A bad URL is a usage error that names where it came from,
// never the URL.
func (o *Options) destinations() ([]*monitor.Destination, error) {
	var out []*monitor.Destination
	for _, src := range []struct {
		kind, flag, file, env string
	}{
		{monitor.KindSlack, "--slack-webhook-url-file", o.SlackFile, EnvSlackWebhook},
		{monitor.KindWebhook, "--webhook-url-file", o.WebhookFile, EnvWebhook},
	} {
		raw, from := "", ""
		switch {
		case src.file != "":
			v, err := cmdutil.ReadSecretFile(src.file, src.flag, o.IO.In, o.IO.ErrOut)
			if err != nil {
				return nil, err
			}
			raw, from = v, src.flag+" "+src.file
		case strings.TrimSpace(o.IO.Env(src.env)) != "":
			raw, from = o.IO.Env(src.env), src.env
		default:
			continue
		}
		d, err := monitor.NewDestination(src.kind, raw)
		if err != nil {
			return nil, cmdutil.UsageError("%s: %v", from, err)
		}
		out = append(out, d)
	}
	return out, nil
}

func run(ctx context.Context, o *Options) error {
	if err := o.validate(); err != nil {
		return err
	}
	dests, err := o.destinations()
	if err != nil {
		return err
	}
	timeout := o.Timeout
	if o.Once && !o.flags.Changed("timeout") {
		timeout = defaultTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	env, err := o.Conn.Env(ctx)
	if err != nil {
		return err
	}
	if len(dests) == 0 {
		fmt.Fprintf(o.IO.ErrOut, "No notification destination (--slack-webhook-url-file, --webhook-url-file, %s or %s): changes are only printed.\n", EnvSlackWebhook, EnvWebhook)
	}
	cfg := monitor.Config{
		Env: env, Store: monitor.NewStore(env.Journals.Dir),
		Clusters: o.Clusters, All: o.All, Once: o.Once, DeepEvery: o.DeepEvery,
		NotifySuccess: o.NotifySuccess, DailyReport: o.DailyReport, Destinations: dests,
		Sender: monitor.NewSender(monitor.SendPolicy{}, "crdb-logexport/"+versioncmd.Current().Version),
		OnLockWait: func(holder string) {
			fmt.Fprintf(o.IO.ErrOut, "Waiting for the pass of %s to finish (monitors sharing %s take turns)…\n", holder, monitor.NewStore(env.Journals.Dir).Dir)
		},
	}
	m, err := monitor.New(cfg)
	if err != nil {
		return err
	}
	lines := newPrinter(o.IO.Out, o.Out.JSON())
	if o.Once {
		res := m.Pass(ctx)
		lines.pass(res)
		return onceExit(ctx, res, timeout)
	}
	if o.IO.CanPrompt() && !o.Out.JSON() && !o.Conn.NoInput && !tui.Accessible(o.flags, o.IO) {
		// The doctor opened from the screen works on the monitor's own
		// clients: one rate limiter and one key for the whole process.
		wopts := wizard.Options{
			APIKeySource: "the monitor's connection",
			Connect:      func(context.Context, string) (*steps.Env, error) { return env, nil },
		}
		return runScreen(ctx, o, m, wopts)
	}
	fmt.Fprintf(o.IO.ErrOut, "Monitoring %s every %s; Ctrl-C stops.\n", what(o), o.Interval)
	passes := 0
	m.Run(ctx, o.Interval, nil, monitor.Hooks{Done: func(res *monitor.PassResult) {
		passes++
		lines.pass(res)
	}})
	fmt.Fprintf(o.IO.ErrOut, "Stopped after %d pass(es).\n", passes)
	return nil
}

func what(o *Options) string {
	if o.All {
		return "every cluster that exports logs"
	}
	return strings.Join(o.Clusters, ", ")
}

// onceExit is the exit status of a --once pass: 3 when an export is
// failing (and whoever is to be told was told), 1 when the pass could not
// do its work, 124 after --timeout. A notification not delivered is 1
// even when an export is failing: nobody was told, and a scheduler that
// takes 3 for "the monitor did its job" must not take it here.
func onceExit(ctx context.Context, res *monitor.PassResult, timeout time.Duration) error {
	_, failing, errs := res.Count()
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return &cmdutil.ExitError{Code: cmdutil.ExitTimeout, Err: fmt.Errorf("the pass did not finish within %s", timeout)}
	case ctx.Err() != nil:
		return cmdutil.Silent(cmdutil.ExitAborted)
	case failing > 0 && res.Undelivered > 0:
		return cmdutil.Silent(cmdutil.ExitFailure)
	case failing > 0:
		return cmdutil.Silent(cmdutil.ExitFindings)
	case res.Err != nil:
		return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: res.Err}
	case errs > 0 || res.Undelivered > 0:
		return cmdutil.Silent(cmdutil.ExitFailure)
	}
	return nil
}
