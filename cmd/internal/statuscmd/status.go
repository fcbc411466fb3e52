// Package statuscmd implements `crdb-logexport status`: one cluster's log
// export (optionally followed live with --watch) — the status dialogue of
// package steps, answered from flags — or every cluster of the
// organization with --all.
package statuscmd

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/tui"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// Options are the flags of `status`.
type Options struct {
	IO   *cmdutil.IOStreams
	Conn cmdutil.Connection
	Out  cmdutil.OutputFlag

	Cluster string
	All     bool
	Watch   bool
	Until   bool
	NoLogs  bool
	History bool
	Timeout time.Duration
	flags   *pflag.FlagSet
}

// NewCmd returns the status command.
func NewCmd(ios *cmdutil.IOStreams) *cobra.Command {
	o := &Options{IO: ios}
	o.Conn.IO = ios
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the log export status of a cluster, or of every cluster with --all",
		Long: `Shows one cluster's log export: its status and user_message, the configuration
(log group, role, region override, redaction, omitted channels, groups), when it
was created and last changed, the cluster's state and operation, and whether
logs are arriving in CloudWatch in each destination region (streams with events
in the last 15 minutes; this reads your AWS account, skip it with --no-logs).

--watch follows the status live, one line per change, until you interrupt it:
past ENABLED, DISABLED and failures too, so a disable from another shell, a
detached policy or an enable all show. It polls every 750 ms while the status
moves, and less often once it stands still (every 2 s for a minute, then 10 s,
then 30 s after 10 minutes). With --until-terminal it stops at the first
terminal status instead (ENABLED, DISABLED or a failure): for scripts that
wait, and for --output json, which prints that one status.

--all lists every cluster of the organization with its export status. The
statuses are read concurrently at CockroachDB Cloud's rate limit of 10 requests
per second, never above it. A cluster whose export was never configured shows
"not configured"; one CloudWatch export does not apply to (Basic, or not on
AWS) says so ("not eligible"), unless it has an export of its own.

--history shows the transitions ` + "`crdb-logexport monitor`" + ` recorded for the cluster
(first verdict, failing, recovered, new findings), oldest first, from the
monitor's state on this machine; it reads nothing over the network.

Exit status: 0 when the status could be read (whatever it is); with
--until-terminal, 1 when it ended on a failure status; with --all, 1 when some
cluster's status could not be read.`,
		Example: `  crdb-logexport status --cluster prod-aws
  crdb-logexport status --cluster prod-aws --watch
  crdb-logexport status --cluster prod-aws --watch --until-terminal --output json
  crdb-logexport status --cluster prod-aws --output json
  crdb-logexport status --all --output json
  crdb-logexport status --cluster prod-aws --history`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.flags = cmd.Flags()
			return run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	o.Conn.Register(f)
	o.Out.Register(f)
	f.StringVar(&o.Cluster, "cluster", "", "cluster id or name")
	f.BoolVar(&o.All, "all", false, "list every cluster in the organization with its export status")
	f.BoolVarP(&o.Watch, "watch", "w", false, "follow the status live until interrupted")
	f.BoolVar(&o.Until, "until-terminal", false, "with --watch, stop at the first terminal status (ENABLED, DISABLED or a failure); exit 1 on a failure")
	f.BoolVar(&o.NoLogs, "no-logs", false, "do not check CloudWatch for arriving logs (no AWS calls)")
	f.BoolVar(&o.History, "history", false, "show the transitions the monitor recorded for --cluster (no network calls)")
	f.DurationVar(&o.Timeout, "timeout", 0, "give up (exit 124) after this long; 0 means no limit")
	return cmd
}

func run(ctx context.Context, o *Options) error {
	switch {
	case o.All && o.Cluster != "":
		return cmdutil.UsageError("--all and --cluster cannot be used together")
	case o.All && o.Watch:
		return cmdutil.UsageError("--watch follows one cluster: use it with --cluster, not --all")
	case !o.All && o.Cluster == "":
		return cmdutil.UsageError("--cluster is required (a cluster id or name), or --all for every cluster")
	case o.Until && !o.Watch:
		return cmdutil.UsageError("--until-terminal says when --watch stops: use it with --watch")
	case o.Watch && !o.Until && o.Out.JSON():
		return cmdutil.UsageError("--watch --output json prints one document, once the watch ends: add --until-terminal to stop at the first terminal status")
	case o.History && (o.All || o.Watch):
		return cmdutil.UsageError("--history shows one cluster's recorded transitions: use it with --cluster alone")
	}
	if o.History {
		return runHistory(o)
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	if o.Watch && !o.Until && !o.NoLogs && !o.Conn.NoInput && o.IO.CanPrompt() {
		return runInterface(ctx, o)
	}
	cloud, err := o.Conn.Cloud()
	if err != nil {
		return err
	}
	env := &steps.Env{Cloud: cloud}
	if o.All {
		return runAll(ctx, o, env)
	}
	if !o.NoLogs {
		// Without a usable AWS configuration the status is still worth
		// showing; the CloudWatch part then says why it is missing.
		if awsc, err := o.Conn.AWS(ctx); err == nil {
			env.AWS = awsc
		}
	}
	lines := &kit.Lines{W: o.IO.ErrOut, Results: o.IO.Out}
	if o.Out.JSON() {
		lines.Results = nil
	}
	end := steps.RunStatus(ctx, env, steps.StatusTask{Ref: o.Cluster, Follow: o.Watch, UntilTerminal: o.Until, SkipLogs: o.NoLogs}, cmdutil.Prompter{IO: o.IO}, lines.Event)
	failedStatus := end.Export != nil && end.Export.Status.Failed()
	if end.Export == nil || ctx.Err() != nil || end.Ending == steps.Failed && !failedStatus {
		return cmdutil.Ended(ctx, o.IO, o.Out.JSON(), end.End, "", o.Timeout, nil)
	}
	if o.Out.JSON() {
		if err := cmdutil.WriteJSON(o.IO.Out, end.Export); err != nil {
			return err
		}
	}
	// The status was read: that is success, unless --until-terminal
	// waited for it and it failed.
	if o.Until && failedStatus {
		return cmdutil.Silent(cmdutil.ExitFailure)
	}
	return nil
}

// runInterface is `status --watch` on a terminal: the status screen of the
// interactive interface, followed live, from which a failure opens the
// doctor's report.
func runInterface(ctx context.Context, o *Options) error {
	opts := wizard.Options{Start: wizard.StartStatus, Input: steps.SetupInput{Cluster: o.Cluster}}
	return tui.Open(ctx, o.IO, &o.Conn, o.flags, opts, tui.Reports{
		Status: func(st *steps.ClusterExport) error {
			kit.WriteExport(o.IO.Out, st, time.Now())
			return nil
		},
	})
}

func runAll(ctx context.Context, o *Options, env *steps.Env) error {
	start := time.Now()
	var progress func(done, known int)
	if o.IO.IsStderrTTY() {
		progress = func(done, known int) {
			fmt.Fprintf(o.IO.ErrOut, "\rReading export status: %d of %d clusters…", done, known)
		}
	}
	res, err := steps.AllStatuses(ctx, env, progress)
	if progress != nil {
		fmt.Fprint(o.IO.ErrOut, "\r\033[K")
	}
	if err != nil {
		return cmdutil.Failure(o.IO, o.Out.JSON(), err, "", o.Timeout, nil)
	}
	fmt.Fprintf(o.IO.ErrOut, "%d clusters; export status read in %s (at most %d requests a second).\n",
		len(res.Clusters), time.Since(start).Round(100*time.Millisecond), cloudapi.DefaultRate)
	if o.Out.JSON() {
		if err := cmdutil.WriteJSON(o.IO.Out, res); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(o.IO.Out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tID\tPLAN\tCLOUD\tSTATUS\tLOG GROUP")
		for _, c := range res.Clusters {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ClusterName, c.ClusterID, c.Plan, c.CloudProvider, c.StatusText(), c.LogName)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if res.Failed > 0 {
		fmt.Fprintf(o.IO.ErrOut, "The status of %d %s could not be read.\n", res.Failed, kit.Plural(res.Failed, "cluster", "clusters"))
		return cmdutil.Silent(cmdutil.ExitFailure)
	}
	return nil
}
