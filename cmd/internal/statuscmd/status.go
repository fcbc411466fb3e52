// Package statuscmd implements `crdb-logexport status`: one cluster's log
// export (optionally followed live with --watch), or every cluster of the
// organization with --all. It also holds the plain-line progress output,
// failure report and confirmation prompt that `update` and `disable` share.
package statuscmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/tui"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard"
)

// Options are the flags of `status`.
type Options struct {
	IO   *cmdutil.IOStreams
	Conn cmdutil.Connection
	Out  cmdutil.OutputFlag

	Cluster string
	All     bool
	Watch   bool
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

--watch follows the status live, one line per change, until it is terminal
(ENABLED, DISABLED or a failure) or you interrupt it.

--all lists every cluster of the organization with its export status. The
statuses are read concurrently at CockroachDB Cloud's rate limit of 10 requests
per second, never above it; clusters without export show DISABLED.

--history shows the transitions ` + "`crdb-logexport monitor`" + ` recorded for the cluster
(first verdict, failing, recovered, new findings), oldest first, from the
monitor's state on this machine; it reads nothing over the network.

Exit status: 0 when the status could be read (whatever it is); with --watch, 1
when it ended on a failure status; with --all, 1 when some cluster's status
could not be read.`,
		Example: `  crdb-logexport status --cluster prod-aws
  crdb-logexport status --cluster prod-aws --watch
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
	f.BoolVarP(&o.Watch, "watch", "w", false, "follow the status live until it is terminal or interrupted")
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
	if o.Watch && !o.NoLogs && !o.Out.JSON() && !o.Conn.NoInput && o.IO.CanPrompt() {
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
	if o.Watch {
		return runWatch(ctx, o, env)
	}
	st, err := steps.ExportStatus(ctx, env, o.Cluster, steps.StatusOptions{SkipLogs: o.NoLogs})
	if err != nil {
		return cmdutil.Failure(o.IO, o.Out.JSON(), err, cmdutil.ResumeCommand("status", o.flags), o.Timeout, nil)
	}
	if o.Out.JSON() {
		return cmdutil.WriteJSON(o.IO.Out, st)
	}
	WriteExport(o.IO.Out, st, time.Now())
	return nil
}

// runWatch prints one line per change on standard output (the UI stream
// with --output json, which keeps standard output for the final document)
// until the status is terminal, then the full status.
func runWatch(ctx context.Context, o *Options, env *steps.Env) error {
	cl, err := steps.FindCluster(ctx, env, o.Cluster)
	if err != nil {
		return cmdutil.Failure(o.IO, o.Out.JSON(), err, cmdutil.ResumeCommand("status", o.flags), o.Timeout, nil)
	}
	lines := o.IO.Out
	if o.Out.JSON() {
		lines = o.IO.ErrOut
	}
	fmt.Fprintf(o.IO.ErrOut, "Following the log export of %s (%s) until its status is terminal; Ctrl-C stops.\n", cl.Name, cl.ID)
	last, err := steps.WatchExport(ctx, env, cl.ID, cloudapi.WatchOptions{}, func(ev cloudapi.StatusEvent) {
		fmt.Fprintf(lines, "%s  %s\n", time.Now().UTC().Format("15:04:05"), cmdutil.EventText(ev))
	})
	if err != nil {
		return cmdutil.Failure(o.IO, o.Out.JSON(), err, cmdutil.ResumeCommand("status", o.flags), o.Timeout, nil)
	}
	st, err := steps.ExportStatus(ctx, env, cl.ID, steps.StatusOptions{SkipLogs: o.NoLogs})
	if err != nil {
		return cmdutil.Failure(o.IO, o.Out.JSON(), err, cmdutil.ResumeCommand("status", o.flags), o.Timeout, nil)
	}
	if o.Out.JSON() {
		if err := cmdutil.WriteJSON(o.IO.Out, st); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(o.IO.Out)
		WriteExport(o.IO.Out, st, time.Now())
	}
	if last.Failed() {
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
			WriteExport(o.IO.Out, st, time.Now())
			return nil
		},
	})
}

// WriteExport renders one cluster's export for people.
func WriteExport(w io.Writer, st *steps.ClusterExport, now time.Time) {
	row := func(k, v string) { fmt.Fprintf(w, "%-14s %s\n", k, v) }
	row("cluster", fmt.Sprintf("%s (%s), %s on %s", st.ClusterName, st.ClusterID, st.Plan, st.CloudProvider))
	state := string(st.ClusterState)
	if st.OperationStatus != "" && st.OperationStatus != cloudapi.OperationUnspecified {
		state += ", " + string(st.OperationStatus)
	}
	row("cluster state", state)
	status := string(st.Status)
	if !st.Configured {
		status += " (log export was never configured)"
	}
	row("status", status)
	if st.UserMessage != "" {
		row("message", st.UserMessage)
	}
	if s := st.Spec; s != nil {
		row("type", string(s.Type))
		row("log group", s.LogName)
		row("role", s.AuthPrincipal)
		if s.AWSExternalID != "" {
			row("external ID", s.AWSExternalID)
		}
		if s.Region != "" {
			row("region", s.Region+" (every region's logs go to this region's log group)")
		} else {
			row("region", "each region exports to its own log group")
		}
		row("redact", fmt.Sprint(s.Redact != nil && *s.Redact))
		omitted := "(none)"
		if len(s.OmittedChannels) > 0 {
			omitted = strings.Join(s.OmittedChannels, ", ")
		}
		row("omitted", omitted)
		for _, g := range s.Groups {
			row("group", steps.FormatGroup(g))
		}
		row("destinations", strings.Join(st.Regions, ", "))
	}
	if !st.CreatedAt.IsZero() {
		row("created", st.CreatedAt.UTC().Format(time.RFC3339))
	}
	if !st.UpdatedAt.IsZero() {
		row("updated", st.UpdatedAt.UTC().Format(time.RFC3339))
	}
	for _, l := range st.Logs {
		var v string
		switch {
		case l.Error != "":
			v = "not readable: " + l.Error
		case l.Streams == 0:
			v = "no log streams"
		default:
			v = fmt.Sprintf("%d streams, newest event %s ago", l.Streams, now.Sub(l.Newest).Round(time.Second))
			if l.Arriving {
				v += " — arriving"
			} else {
				v += " — NOT arriving (nothing in the last " + steps.ArrivingWindow.String() + ")"
			}
		}
		row("logs", fmt.Sprintf("%s %s: %s", l.Region, l.LogGroup, v))
	}
	if st.LogsNote != "" {
		row("logs", st.LogsNote)
	}
	if st.Status.Failed() {
		fmt.Fprintf(w, "\nThe export failed. `crdb-logexport doctor --cluster %s` names the exact fault.\n", st.ClusterName)
	}
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
		return cmdutil.Failure(o.IO, o.Out.JSON(), err, cmdutil.ResumeCommand("status", o.flags), o.Timeout, nil)
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
			status := string(c.Status)
			if c.Error != "" {
				status = "ERROR: " + c.Error
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ClusterName, c.ClusterID, c.Plan, c.CloudProvider, status, c.LogName)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if res.Failed > 0 {
		fmt.Fprintf(o.IO.ErrOut, "The status of %d cluster(s) could not be read.\n", res.Failed)
		return cmdutil.Silent(cmdutil.ExitFailure)
	}
	return nil
}
