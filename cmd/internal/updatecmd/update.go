// Package updatecmd implements `crdb-logexport update`: change an existing
// log export configuration (fetch, edit, diff, the AWS changes it needs,
// POST of the whole configuration, wait).
package updatecmd

import (
	"context"
	"fmt"
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

// Options are the flags of `update`.
type Options struct {
	IO   *cmdutil.IOStreams
	Conn cmdutil.Connection
	Out  cmdutil.OutputFlag

	In              steps.UpdateInput
	redact          bool
	exportRegion    string
	omitChannels    []string
	groups          []string
	CreateLogGroups bool
	ExtendPolicy    bool
	Yes             bool
	DryRun          bool
	NoWait          bool
	Timeout         time.Duration
	Plan            cmdutil.PlanFlags
	flags           *pflag.FlagSet
}

// NewCmd returns the update command.
func NewCmd(ios *cmdutil.IOStreams) *cobra.Command {
	o := &Options{IO: ios}
	o.Conn.IO = ios
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Change an existing log export configuration safely",
		Long: `Changes the log export configuration of a cluster. The CockroachDB Cloud API
replaces the whole configuration on every POST, so update fetches the current
one, applies only the changes you ask for, and sends everything else back
unchanged: no group, omitted channel or setting is lost.

Before changing anything it validates the result (exportable channels, at most
one group with a sending queue, no channel in two groups, a role ARN rather than
a policy ARN) and shows the difference between the old and new configuration
and the AWS changes the new one needs: every log group (log_name and each
group's log name) must exist in every destination region — missing ones are
created — and the role's policies must allow writing to them — when they do
not, the permission policy this tool manages gets a new version. Then it POSTs
the configuration and follows the status until ENABLED and logs arrive.

Groups route channels to log groups of their own:
  --group 'LOG_NAME=CHANNEL[,CHANNEL…][:LEVEL][:redact|:noredact][:sending-queue]'
adds a group, or replaces the group with that log name. LEVEL is UNSPECIFIED,
WARNING, ERROR or FATAL (minimum severity); redact/noredact set the group's own
redaction (otherwise it inherits --redact); sending-queue sets
enable_sending_queue (one group at most). Repeat --group for several groups.
--remove-group LOG_NAME drops one group, --clear-groups drops them all (before
any --group is applied).

--export-region R sends every region's logs to region R's log group;
--export-region '' removes that override. --omit-channels '' exports every
channel again. Running the same command again after an interruption resumes.`,
		Example: `  crdb-logexport update --cluster prod-aws --redact=true --yes
  crdb-logexport update --cluster prod-aws --log-group crdb-prod-v2 --yes
  crdb-logexport update --cluster prod-aws --group 'crdb-audit=SENSITIVE_ACCESS,USER_ADMIN:WARNING:redact' --yes
  crdb-logexport update --cluster prod-aws --omit-channels SQL_PERF,SQL_EXEC --dry-run
  crdb-logexport update --cluster prod-aws --role-arn arn:aws:iam::123456789012:role/LogRole --yes --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.flags = cmd.Flags()
			return run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	o.Conn.Register(f)
	o.Out.Register(f)
	f.StringVar(&o.In.Cluster, "cluster", "", "cluster id or name")
	f.StringVar(&o.In.Edit.LogGroup, "log-group", "", "new log group (log_name)")
	f.StringVar(&o.In.Edit.RoleARN, "role-arn", "", "new IAM role for CockroachDB Cloud to assume (a ROLE ARN, not a policy ARN)")
	f.BoolVar(&o.redact, "redact", false, "redact sensitive data in exported logs (--redact=false to stop)")
	f.StringVar(&o.exportRegion, "export-region", "", "send every region's logs to this region's log group ('' removes the override)")
	f.StringSliceVar(&o.omitChannels, "omit-channels", nil, "channels not to export, replacing the current list ('' exports all)")
	f.StringSliceVar(&o.In.Edit.Channels, "channels", nil, "export only these channels; the others are omitted")
	f.StringArrayVar(&o.groups, "group", nil, "add or replace a group: "+steps.GroupSyntax+" (repeatable)")
	f.StringArrayVar(&o.In.Edit.RemoveGroups, "remove-group", nil, "remove the group with this log name (repeatable)")
	f.BoolVar(&o.In.Edit.ClearGroups, "clear-groups", false, "remove every group (before --group is applied)")
	f.IntVar(&o.In.RetentionDays, "retention-days", steps.DefaultRetentionDays, "retention of log groups the update creates (existing ones are not changed)")
	f.BoolVar(&o.CreateLogGroups, "create-log-groups", true, "create missing log groups in the destination regions")
	f.BoolVar(&o.ExtendPolicy, "extend-policy", true, "extend this tool's permission policy to cover the new log groups")
	f.BoolVarP(&o.Yes, "yes", "y", false, "apply without asking")
	f.BoolVar(&o.DryRun, "dry-run", false, "show the difference and the plan, change nothing")
	f.BoolVar(&o.NoWait, "no-wait", false, "return once the configuration is accepted, without waiting for ENABLED")
	f.DurationVar(&o.Timeout, "timeout", 15*time.Minute, "give up (exit 124) after this long")
	o.Plan.Register(f)
	return cmd
}

func run(ctx context.Context, o *Options) error {
	if err := o.readEdit(); err != nil {
		return err
	}
	if err := o.Plan.Begin(steps.ProcedureUpdate, o.flags, o.DryRun, o.Yes); err != nil {
		return err
	}
	if sp := o.Plan.Saved; sp != nil {
		o.In = *sp.Update
		o.In.Cluster = sp.ClusterID
		if err := steps.CheckUpdateInput(&o.In); err != nil {
			return cmdutil.UsageError("--plan-file %s: %v", o.Plan.Path, err)
		}
	}
	canAsk := !o.Conn.NoInput && o.IO.CanPrompt()
	switch {
	case o.In.Cluster == "":
		return cmdutil.UsageError("--cluster is required (a cluster id or name; `crdb-logexport status --all` lists them)")
	case !o.Yes && !o.DryRun && !canAsk:
		return cmdutil.UsageError("update changes the export configuration: pass --yes to apply it, or --dry-run to see it (no terminal to ask on).\n  %s --dry-run", resume(o))
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	if !o.Yes && !o.DryRun && !o.Out.JSON() {
		return runInterface(ctx, o)
	}
	o.Conn.DryRun, o.Conn.NoWait = o.DryRun, o.NoWait
	env, err := o.Conn.Env(ctx)
	if err != nil {
		return err
	}
	if o.In.Edit.IsZero() && o.Plan.Saved == nil {
		fmt.Fprintln(o.IO.ErrOut, "No change requested (`crdb-logexport update --help` lists the flags): the configuration is only sent again if its status is a failure.")
	}
	lines := &kit.Lines{W: o.IO.ErrOut, Results: o.IO.Out, Plans: !o.Out.JSON() || o.DryRun}
	if o.Out.JSON() {
		lines.Results = nil
	}
	task := steps.UpdateTask{In: o.In, DryRun: o.DryRun, Options: steps.UpdateOptions{SkipLogGroups: !o.CreateLogGroups, SkipPolicy: !o.ExtendPolicy, NoWait: o.NoWait}, Saved: o.Plan.Saved}
	end := steps.RunUpdate(ctx, env, task, cmdutil.Prompter{IO: o.IO, Yes: o.Yes, CanAsk: canAsk}, lines.Event)
	switch {
	case ctx.Err() != nil:
	case o.DryRun && end.Plan != nil:
		return o.Plan.DryRunDone(o.IO, o.Out.JSON(), end.Plan, end.Plan.Saved(o.In, time.Now()), planCommand(o))
	case end.Ending == steps.Completed:
		return report(o, end.Result, false)
	}
	var result any
	if end.Result != nil {
		result = end.Result
	}
	return o.Plan.End(ctx, o.IO, o.Out.JSON(), end.End, o.DryRun, resume(o)+" --yes", o.Timeout, result)
}

// readEdit turns the flags whose presence matters (an empty value is a
// value) into the edit.
func (o *Options) readEdit() error {
	e := &o.In.Edit
	if o.flags.Changed("channels") && o.flags.Changed("omit-channels") {
		return cmdutil.UsageError("--channels and --omit-channels cannot be used together: --channels lists what to export, --omit-channels what to leave out")
	}
	if o.flags.Changed("redact") {
		e.Redact = cloudapi.Bool(o.redact)
	}
	if o.flags.Changed("export-region") {
		e.ExportRegion = &o.exportRegion
	}
	if o.flags.Changed("omit-channels") {
		omit := o.omitChannels
		if omit == nil {
			omit = []string{}
		}
		e.OmitChannels = &omit
	}
	if !o.flags.Changed("channels") {
		e.Channels = nil
	} else if e.Channels == nil {
		e.Channels = []string{}
	}
	if e.LogGroup != "" {
		if err := cloudapi.CheckLogName(e.LogGroup); err != nil {
			return cmdutil.UsageError("--log-group: %v", err)
		}
	}
	for _, g := range o.groups {
		grp, err := steps.ParseGroup(g)
		if err == nil {
			err = cloudapi.CheckLogName(grp.LogName)
		}
		if err != nil {
			return cmdutil.UsageError("--group: %v", err)
		}
		e.Groups = append(e.Groups, grp)
	}
	if err := steps.CheckUpdateInput(&o.In); err != nil {
		return cmdutil.UsageError("%v", err)
	}
	return nil
}

func resume(o *Options) string {
	return cmdutil.ResumeCommand("update", o.flags, "yes", "dry-run")
}

// planCommand is the command a dry run plans: what applies it with --yes.
func planCommand(o *Options) string {
	return cmdutil.ResumeCommand("update", o.flags, "yes", "dry-run", "plan-file", "detailed-exitcode", "output")
}

// runInterface is `update` on a terminal without --yes: the update screens
// of the interactive interface, starting from the changes given as flags.
func runInterface(ctx context.Context, o *Options) error {
	opts := wizard.Options{
		Start:  wizard.StartUpdate,
		Input:  steps.SetupInput{Cluster: o.In.Cluster},
		Update: o.In,
		Apply:  steps.SetupOptions{NoWait: o.NoWait},
		// The flow adds the changes (and --yes) to the connection flags.
		ResumeCommand: tui.ResumeBase("update", o.flags),
	}
	if o.NoWait {
		opts.ResumeCommand += " --no-wait"
	}
	return tui.Open(ctx, o.IO, &o.Conn, o.flags, opts, tui.Reports{
		Update: func(res *steps.UpdateResult) error { return report(o, res, true) },
	})
}

// report prints what an update did: JSON, or — when the transcript did
// not already (an update with nothing to change) — the text.
func report(o *Options, res *steps.UpdateResult, unchanged bool) error {
	if o.Out.JSON() {
		return cmdutil.WriteJSON(o.IO.Out, res)
	}
	if unchanged {
		kit.WriteUpdateResult(o.IO.Out, res, time.Now())
	}
	return nil
}
