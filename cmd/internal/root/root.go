// Package root assembles the crdb-logexport command tree and runs it with
// the exit-code contract of cmdutil.
package root

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"charm.land/fang/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/applycmd"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/democmd"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/disablecmd"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/doctorcmd"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/exportcmd"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/monitorcmd"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/sandboxcmd"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/setupcmd"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/statuscmd"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/tui"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/updatecmd"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/versioncmd"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// NewCmd builds the command tree.
func NewCmd(ios *cmdutil.IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "crdb-logexport",
		Short: "Set up, check and repair CockroachDB Cloud log export to Amazon CloudWatch",
		Long: `crdb-logexport sets up CockroachDB Cloud log export to Amazon CloudWatch on both
sides: the AWS side (log group in every cluster region, cross-account IAM role,
least-privilege permission policy) and the CockroachDB Cloud side (the
/api/v1/clusters/{id}/logexport configuration), and follows the export until
logs arrive.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		// Alone on a terminal, the tool opens its home menu; without one
		// there is no one to choose, so it says which commands to run.
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !ios.CanPrompt() {
				return cmdutil.UsageError("no terminal for the interactive menu: run a command instead, for example\n  crdb-logexport setup --cluster NAME --yes\n  crdb-logexport demo    (in a terminal)\nSee crdb-logexport --help.")
			}
			return runMenu(cmd, ios)
		},
	}
	root.PersistentFlags().Bool("accessible", false, "plain line-by-line prompts and progress, no redraws (also ACCESSIBLE=1)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	})
	root.AddCommand(
		setupcmd.NewCmd(ios),
		setupcmd.NewCmdPolicy(ios),
		statuscmd.NewCmd(ios),
		doctorcmd.NewCmd(ios),
		updatecmd.NewCmd(ios),
		disablecmd.NewCmd(ios),
		applycmd.NewCmd(ios),
		exportcmd.NewCmd(ios),
		monitorcmd.NewCmd(ios),
		democmd.NewCmd(ios, MenuReports(ios)),
		sandboxcmd.NewCmd(ios),
		versioncmd.NewCmd(ios),
	)
	return root
}

// Run executes the command line args and returns the process exit status.
func Run(ctx context.Context, ios *cmdutil.IOStreams, args []string) int {
	root := NewCmd(ios)
	root.SetArgs(args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	err := fang.Execute(ctx, root,
		fang.WithVersion(versioncmd.Current().String()),
		fang.WithErrorHandler(reportError),
	)
	code := exitCode(err)
	if code == cmdutil.ExitUsage && detailedExitCode(args) && !cmdutil.IsChanges(err) {
		// With --detailed-exitcode, 2 means "the plan has changes" only;
		// any other failure is 1, as Terraform's.
		code = cmdutil.ExitFailure
	}
	return code
}

// detailedExitCode reports whether args ask for --detailed-exitcode.
func detailedExitCode(args []string) bool {
	for _, a := range args {
		switch {
		case a == "--":
			return false
		case a == "--detailed-exitcode", a == "--detailed-exitcode=true":
			return true
		}
	}
	return false
}

func exitCode(err error) int {
	if isUsage(err) {
		return cmdutil.ExitUsage
	}
	return cmdutil.ExitCode(err)
}

// isUsage recognises cobra's own argument errors, which it does not type.
func isUsage(err error) bool {
	if err == nil {
		return false
	}
	var ee *cmdutil.ExitError
	if errors.As(err, &ee) {
		return false
	}
	var notExist *pflag.NotExistError
	if errors.As(err, &notExist) {
		return true
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "requires at most", "invalid argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func reportError(w io.Writer, _ fang.Styles, err error) {
	var ee *cmdutil.ExitError
	if errors.As(err, &ee) && ee.Err == nil {
		return
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(w, "Interrupted.")
		return
	}
	msg := err.Error()
	fmt.Fprintf(w, "Error: %s\n", msg)
	if isUsage(err) && !strings.Contains(msg, "--help") {
		fmt.Fprintln(w, "Run 'crdb-logexport --help' for usage.")
	}
}

// runMenu is `crdb-logexport` alone on a terminal: the home menu, with the
// connection settings of the environment.
func runMenu(cmd *cobra.Command, ios *cmdutil.IOStreams) error {
	conn := &cmdutil.Connection{IO: ios}
	opts := wizard.Options{Start: wizard.StartMenu, Input: steps.SetupInput{ExternalID: steps.ExternalIDAuto}}
	return tui.Open(cmd.Context(), ios, conn, cmd.Flags(), opts, MenuReports(ios))
}

// MenuReports print, for people, what the task chosen in the home menu did.
func MenuReports(ios *cmdutil.IOStreams) tui.Reports {
	return tui.Reports{
		Setup: func(r *steps.SetupResult) error {
			kit.WriteSetupResult(ios.Out, r, time.Now())
			return nil
		},
		Status: func(st *steps.ClusterExport) error {
			kit.WriteExport(ios.Out, st, time.Now())
			return nil
		},
		Doctor: func(r *steps.DoctorReport) error {
			kit.WriteDoctorReport(ios.Out, r, "doctor --fix")
			return nil
		},
		Update: func(r *steps.UpdateResult) error {
			kit.WriteUpdateResult(ios.Out, r, time.Now())
			return nil
		},
		Disable: func(r *steps.DisableResult) error {
			kit.WriteDisableResult(ios.Out, r)
			return nil
		},
	}
}
