// Package disablecmd implements `crdb-logexport disable`: stop log export,
// wait until it is really disabled, and optionally remove the AWS
// resources this tool created for it.
package disablecmd

import (
	"context"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/tui"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// Options are the flags of `disable`.
type Options struct {
	IO   *cmdutil.IOStreams
	Conn cmdutil.Connection
	Out  cmdutil.OutputFlag

	In      steps.DisableInput
	Yes     bool
	DryRun  bool
	Plan    cmdutil.PlanFlags
	Timeout time.Duration
	flags   *pflag.FlagSet
}

// NewCmd returns the disable command.
func NewCmd(ios *cmdutil.IOStreams) *cobra.Command {
	o := &Options{IO: ios}
	o.Conn.IO = ios
	cmd := &cobra.Command{
		Use:   "disable",
		Short: "Disable log export and wait until it is disabled; --cleanup removes what this tool created",
		Long: `Shows what will stop, asks for confirmation, DELETEs the log export
configuration and waits until its status is DISABLED. DISABLE_FAILED is reported
with the server's user_message.

--cleanup then removes the AWS resources this tool created for the cluster,
according to its journal: the permission policy (detached, then deleted with all
its versions) and the role. Nothing this tool did not create is touched — a
role you made yourself stays, and so does anything another cluster's export
uses. Log groups hold the exported logs and are kept unless --delete-log-group
is given too and confirmed a second time.

Without a terminal, --yes confirms; together with --delete-log-group it
confirms the deletion of the log groups as well. Running the same command again
after an interruption resumes the wait or the cleanup.`,
		Example: `  crdb-logexport disable --cluster prod-aws --yes
  crdb-logexport disable --cluster prod-aws --cleanup --yes
  crdb-logexport disable --cluster prod-aws --cleanup --delete-log-group --yes --output json`,
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
	f.BoolVar(&o.In.Cleanup, "cleanup", false, "then remove the AWS role and policy this tool created (per its journal)")
	f.BoolVar(&o.In.DeleteLogGroups, "delete-log-group", false, "with --cleanup: also delete the log groups this tool created, and the logs in them")
	f.BoolVarP(&o.Yes, "yes", "y", false, "do it without asking (with --delete-log-group, confirms that too)")
	f.BoolVar(&o.DryRun, "dry-run", false, "show what would stop and be removed, change nothing")
	f.DurationVar(&o.Timeout, "timeout", 15*time.Minute, "give up (exit 124) after this long")
	o.Plan.Register(f)
	return cmd
}

func run(ctx context.Context, o *Options) error {
	if err := o.Plan.Begin(steps.ProcedureDisable, o.flags, o.DryRun, o.Yes); err != nil {
		return err
	}
	if sp := o.Plan.Saved; sp != nil {
		o.In = *sp.Disable
		o.In.Cluster = sp.ClusterID
	}
	canAsk := !o.Conn.NoInput && o.IO.CanPrompt()
	switch {
	case o.In.Cluster == "":
		return cmdutil.UsageError("--cluster is required (a cluster id or name; `crdb-logexport status --all` lists them)")
	case o.In.DeleteLogGroups && !o.In.Cleanup:
		return cmdutil.UsageError("--delete-log-group only works with --cleanup")
	case !o.Yes && !o.DryRun && !canAsk:
		return cmdutil.UsageError("disable stops log export: pass --yes to do it, or --dry-run to see what it would do (no terminal to ask on).\n  %s --yes", resume(o))
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	if !o.Yes && !o.DryRun && !o.Out.JSON() {
		return runInterface(ctx, o)
	}
	o.Conn.DryRun = o.DryRun
	env, err := o.Conn.CloudEnv()
	if err != nil {
		return err
	}
	if o.In.Cleanup {
		// Cleanup looks for what the tool made in AWS itself.
		if env.AWS, err = o.Conn.AWS(ctx); err != nil {
			return err
		}
	}
	lines := &kit.Lines{W: o.IO.ErrOut, Results: o.IO.Out, Plans: true}
	if o.Out.JSON() {
		lines.Results = nil
	}
	task := steps.DisableTask{In: o.In, DryRun: o.DryRun, Saved: o.Plan.Saved}
	end := steps.RunDisable(ctx, env, task, cmdutil.Prompter{IO: o.IO, Yes: o.Yes, CanAsk: canAsk}, lines.Event)
	switch {
	case ctx.Err() != nil:
	case o.DryRun && end.Plan != nil:
		return o.Plan.DryRunDone(o.IO, o.Out.JSON(), end.Plan, end.Plan.Saved(o.In, time.Now()), planCommand(o))
	case end.Ending == steps.Completed || end.Ending == steps.Left && end.Result != nil && end.Err == nil:
		return report(o, end.Result, end.Ending == steps.Left)
	}
	var result any
	if end.Result != nil {
		result = end.Result
	}
	return o.Plan.End(ctx, o.IO, o.Out.JSON(), end.End, o.DryRun, resume(o)+" --yes", o.Timeout, result)
}

func resume(o *Options) string {
	return cmdutil.ResumeCommand("disable", o.flags, "yes", "dry-run")
}

// planCommand is the command a dry run plans: what does it with --yes.
func planCommand(o *Options) string {
	return cmdutil.ResumeCommand("disable", o.flags, "yes", "dry-run", "plan-file", "detailed-exitcode", "output")
}

// runInterface is `disable` on a terminal without --yes: the interface's
// confirmation screen (what stops, what cleanup removes and never
// touches), then the progress to DISABLED.
func runInterface(ctx context.Context, o *Options) error {
	opts := wizard.Options{
		Start:   wizard.StartDisable,
		Input:   steps.SetupInput{Cluster: o.In.Cluster},
		Disable: o.In,
		// The flow adds the choices (and --yes) to the connection flags.
		ResumeCommand: tui.ResumeBase("disable", o.flags),
	}
	return tui.Open(ctx, o.IO, &o.Conn, o.flags, opts, tui.Reports{
		Disable: func(res *steps.DisableResult) error { return report(o, res, true) },
	})
}

// report prints what disabling did: JSON, or — when the transcript did
// not already (nothing to stop) — the text.
func report(o *Options, res *steps.DisableResult, quiet bool) error {
	if o.Out.JSON() {
		return cmdutil.WriteJSON(o.IO.Out, res)
	}
	if quiet {
		kit.WriteDisableResult(o.IO.Out, res)
	}
	return nil
}
