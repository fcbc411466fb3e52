package doctorcmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// Options are the flags of `doctor`.
type Options struct {
	IO   *cmdutil.IOStreams
	Conn cmdutil.Connection
	Out  cmdutil.OutputFlag

	Cluster string
	Fix     bool
	Yes     bool
	Timeout time.Duration
}

// NewCmd returns the doctor command.
func NewCmd(ios *cmdutil.IOStreams) *cobra.Command {
	o := &Options{IO: ios}
	o.Conn.IO = ios
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Diagnose a cluster's log export: role, trust, policies, log groups, status; --fix repairs",
		Long: `Reads the export configuration and status, the cluster, the IAM role named by
auth_principal with its trust policy, permission policies and permissions
boundary, the log group in every destination region and its newest streams,
and runs every check (independent reads run concurrently). Each finding names
its check, quotes the evidence (the exact statement or field) and says how to
fix it. Nothing is changed.

With --fix the repairs --fix can make (trust policy, permission policy and its
attachment, missing log groups, a missing role, auth_principal or
aws_external_id in the configuration) are shown as diffs and applied after
confirmation (--yes for scripts); the checks then run again, and a failed
export is enabled again and followed to a terminal status.

Exit status: 0 when no finding is an error, 3 when one is, 1 when the
diagnosis itself failed.

Check IDs (stable, for scripts):
` + kit.WrapProse(strings.Join(steps.CheckIDs, ", ")+".", kit.Width-2),
		Example: `  crdb-logexport doctor --cluster prod-aws
  crdb-logexport doctor --cluster prod-aws --output json
  crdb-logexport doctor --cluster prod-aws --fix
  crdb-logexport doctor --cluster prod-aws --fix --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), o) },
	}
	f := cmd.Flags()
	o.Conn.Register(f)
	o.Out.Register(f)
	f.StringVar(&o.Cluster, "cluster", "", "cluster id or name")
	f.BoolVar(&o.Fix, "fix", false, "repair what can be repaired, after showing each change")
	f.BoolVarP(&o.Yes, "yes", "y", false, "with --fix: apply the repairs (and enable again) without asking")
	f.DurationVar(&o.Timeout, "timeout", 15*time.Minute, "give up (exit 124) after this long")
	return cmd
}

func run(ctx context.Context, o *Options) error {
	if o.Cluster == "" {
		return cmdutil.UsageError("--cluster is required (a cluster id or name; `crdb-logexport status --all` lists them)")
	}
	canAsk := o.IO.CanPrompt() && !o.Conn.NoInput
	if o.Fix && !o.Yes && !canAsk {
		return cmdutil.UsageError("doctor --fix changes AWS and CockroachDB Cloud resources and there is no terminal to confirm on: pass --yes to apply the repairs without asking\n  crdb-logexport doctor --cluster %s --fix --yes", o.Cluster)
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	env, err := o.Conn.Env(ctx)
	if err != nil {
		return err
	}
	lines := &kit.Lines{W: o.IO.ErrOut, Results: o.IO.Out, FixHint: "doctor --fix", Plans: true}
	if o.Out.JSON() {
		lines.Results = nil
	}
	task := steps.DoctorTask{Ref: o.Cluster, Fix: o.Fix}
	end := steps.RunDoctor(ctx, env, task, cmdutil.Prompter{IO: o.IO, Yes: o.Yes, CanAsk: canAsk}, lines.Event)
	if end.Report == nil || ctx.Err() != nil || end.Ending == steps.Failed && end.Err != nil {
		return fail(ctx, o, end.End)
	}
	if o.Out.JSON() {
		if err := cmdutil.WriteJSON(o.IO.Out, end.Report); err != nil {
			return err
		}
	}
	return exitFor(end.Report)
}

// exitFor is the contract of PRODUCT.md §1: 3 when any finding is an error.
func exitFor(r *steps.DoctorReport) error {
	if r.OK {
		return nil
	}
	return cmdutil.Silent(cmdutil.ExitFindings)
}

// fail reports a diagnosis or repair that could not be completed (not a
// finding): the cause and the fix, as one JSON document for scripts.
func fail(ctx context.Context, o *Options, end steps.End) error {
	var ne *steps.NeedsPersonError
	if errors.As(end.Err, &ne) {
		return cmdutil.UsageError("%s", ne.Error())
	}
	err := end.Err
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	if err == nil {
		return cmdutil.Aborted(o.IO)
	}
	se, isStep := steps.AsStepError(err)
	fix := ""
	if isStep {
		fix = se.Fix
	}
	if o.Out.JSON() {
		doc := map[string]any{"error": err.Error()}
		if isStep {
			doc["fix"] = fix
		}
		_ = cmdutil.WriteJSON(o.IO.Out, doc)
	}
	w := o.IO.ErrOut
	code := cmdutil.ExitCode(err)
	if code == cmdutil.ExitAborted && !end.Changed {
		fmt.Fprintln(w, "Stopped.")
		return cmdutil.Silent(code)
	}
	cmdutil.ReportFailure(w, code, err.Error(), fix, o.Timeout)
	if code == cmdutil.ExitFailure && isStep && !se.Permanent {
		fmt.Fprintln(w, "This looks temporary: running the same command again should get past it.")
	}
	again := "crdb-logexport doctor --cluster " + o.Cluster
	if o.Fix {
		again += " --fix"
	}
	if end.Changed {
		fmt.Fprintf(w, "Run again (repairs already made are kept and not repeated):\n  %s\n", again)
	} else {
		fmt.Fprintf(w, "Run again:\n  %s\n", again)
	}
	return cmdutil.Silent(code)
}
