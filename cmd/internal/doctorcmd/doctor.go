package doctorcmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/steps"
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

	// answers reads confirmations; one reader for the whole run, so an
	// answer typed ahead is not lost to a second buffer.
	answers *bufio.Reader
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
` + strings.Join(wrap(strings.Join(steps.CheckIDs, ", ")+".", width-2), "\n"),
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
	fmt.Fprintf(o.IO.ErrOut, "Checking the log export of %s (read-only)…\n", o.Cluster)
	report, err := steps.Diagnose(ctx, env, o.Cluster, steps.DoctorOptions{})
	if err != nil {
		return fail(o, err)
	}
	if !o.Fix {
		return finish(o, report)
	}
	if !o.Out.JSON() {
		WriteReport(o.IO.Out, report)
	}
	after, err := repair(ctx, o, env, report)
	if err != nil {
		return fail(o, err)
	}
	if after == report {
		// Nothing was changed: the report stands as printed.
		if o.Out.JSON() {
			return finish(o, report)
		}
		return exitFor(report)
	}
	if !o.Out.JSON() {
		fmt.Fprintln(o.IO.Out, "\nAfter the repairs:")
	}
	return finish(o, after)
}

// repair plans the fixes, shows them, applies them once confirmed, runs
// the checks again and, when the export had failed (or its logs stopped),
// offers to enable it again. It returns the last report.
func repair(ctx context.Context, o *Options, env *steps.Env, report *steps.DoctorReport) (*steps.DoctorReport, error) {
	w := o.IO.ErrOut
	plan := steps.PlanFixes(report)
	WritePlan(w, plan)
	if plan.Empty() {
		return report, nil
	}
	rep := newFixReporter(w)
	confirm := func(question string) (bool, error) {
		if o.Yes {
			return true, nil
		}
		return o.ask(question)
	}
	if len(plan.Fixes) > 0 {
		yes, err := confirm(fmt.Sprintf("Apply %s?", plural(len(plan.Fixes), "this change", "these %d changes")))
		if err != nil || !yes {
			if err == nil {
				fmt.Fprintln(w, "Nothing was changed.")
			}
			return report, err
		}
		if _, err := steps.ApplyFixes(ctx, env, plan, steps.FixOptions{}, rep); err != nil {
			return nil, err
		}
	}
	fmt.Fprintln(w, "Checking again…")
	after, err := steps.Diagnose(ctx, env, report.ClusterID, steps.DoctorOptions{})
	if err != nil {
		return nil, err
	}
	ok, why := steps.ShouldReenable(plan, after)
	switch {
	case ok:
		yes, err := confirm(fmt.Sprintf("Enable the export again (%s): POST the current configuration and wait for ENABLED?", why))
		if err != nil {
			return nil, err
		}
		if !yes {
			fmt.Fprintln(w, "Not enabled again.")
			return after, nil
		}
		fmt.Fprintf(w, "Enabling the export again (%s)…\n", why)
		res, err := steps.Reenable(ctx, env, after, steps.FixOptions{}, rep)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "Export is %s.\n", res.Status)
		if after, err = steps.Diagnose(ctx, env, report.ClusterID, steps.DoctorOptions{}); err != nil {
			return nil, err
		}
	case why != "":
		fmt.Fprintln(w, why+".")
	}
	return after, nil
}

// ask puts a yes/no question on the UI stream and reads the answer.
func (o *Options) ask(question string) (bool, error) {
	if o.answers == nil {
		o.answers = bufio.NewReader(o.IO.In)
	}
	fmt.Fprintf(o.IO.ErrOut, "%s [y/N] ", question)
	line, err := o.answers.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

func finish(o *Options, r *steps.DoctorReport) error {
	if o.Out.JSON() {
		if err := cmdutil.WriteJSON(o.IO.Out, r); err != nil {
			return err
		}
	} else {
		WriteReport(o.IO.Out, r)
	}
	return exitFor(r)
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
func fail(o *Options, err error) error {
	var ee *cmdutil.ExitError
	if errors.As(err, &ee) {
		return err
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
	cmdutil.ReportFailure(w, code, err.Error(), fix, o.Timeout)
	if code == cmdutil.ExitFailure && isStep && !se.Permanent {
		fmt.Fprintln(w, "This looks temporary: running the same command again should get past it.")
	}
	again := "crdb-logexport doctor --cluster " + o.Cluster
	if o.Fix {
		again += " --fix"
	}
	fmt.Fprintf(w, "Run again (repairs already made are kept and not repeated):\n  %s\n", again)
	return cmdutil.Silent(code)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf(many, n)
}
