// Package applycmd implements `crdb-logexport apply PATH`: apply a plan
// saved by `setup|update|disable --dry-run --plan-file PATH`, exactly.
package applycmd

import (
	"errors"
	"io/fs"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// NewCmd returns the apply command. It is the plan's own command run with
// --plan-file PATH --yes: the same dialogue, the same output and exit
// codes, with the file as the whole input.
func NewCmd(ios *cmdutil.IOStreams) *cobra.Command {
	var (
		conn    cmdutil.Connection
		out     cmdutil.OutputFlag
		timeout time.Duration
		noWait  bool
	)
	cmd := &cobra.Command{
		Use:   "apply PATH",
		Short: "Apply a saved plan exactly, or refuse when the live state has moved",
		Long: `Applies a plan saved by setup, update or disable with --dry-run --plan-file PATH.

The file holds the input, the live state the plan was computed from and the
changes. apply plans again from the same input against the live AWS and
CockroachDB Cloud state and applies only when the prior state and the changes
are the same; otherwise it names each difference and changes nothing. The file
is the confirmation: apply does not ask. It holds no secret.`,
		Example: `  crdb-logexport setup --cluster prod-aws --dry-run --plan-file prod.plan
  crdb-logexport apply prod.plan`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageError("apply takes one argument, the saved plan's path (made by `crdb-logexport setup|update|disable … --dry-run --plan-file PATH`)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			sp, err := steps.ReadPlanFile(path)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return cmdutil.UsageError("%s: no such file (make one with `crdb-logexport setup|update|disable … --dry-run --plan-file %s`)", path, path)
			case err != nil:
				return cmdutil.UsageError("%v", err)
			}
			sub, _, err := cmd.Root().Find([]string{sp.Procedure})
			if err != nil || sub == cmd.Root() {
				return cmdutil.UsageError("%s holds a %q plan, which this version cannot apply", path, sp.Procedure)
			}
			set := func(name, value string) error {
				if f := sub.Flags().Lookup(name); f == nil {
					return nil
				}
				return sub.Flags().Set(name, value)
			}
			if err := errors.Join(set("plan-file", path), set("yes", "true")); err != nil {
				return err
			}
			var ferr error
			cmd.Flags().Visit(func(f *pflag.Flag) { ferr = errors.Join(ferr, set(f.Name, f.Value.String())) })
			if ferr != nil {
				return ferr
			}
			sub.SetContext(cmd.Context())
			return sub.RunE(sub, nil)
		},
	}
	f := cmd.Flags()
	conn.Register(f)
	out.Register(f)
	f.DurationVar(&timeout, "timeout", 15*time.Minute, "give up (exit 124) after this long")
	f.BoolVar(&noWait, "no-wait", false, "return once the configuration is accepted, without waiting for ENABLED")
	return cmd
}
