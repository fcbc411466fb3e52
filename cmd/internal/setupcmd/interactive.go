package setupcmd

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard"
)

// Accessible reports whether the user asked for plain line-by-line prompts:
// the persistent --accessible flag, or ACCESSIBLE set in the environment
// (the variable Huh and other terminal tools honour).
func Accessible(fs *pflag.FlagSet, ios *cmdutil.IOStreams) bool {
	if on, err := fs.GetBool("accessible"); err == nil && on {
		return true
	}
	return ios.Env("ACCESSIBLE") != ""
}

// runWizard is `setup` on a terminal without --yes: the guided setup, with
// every flag given preselected.
func runWizard(ctx context.Context, o *Options) error {
	opts := wizard.Options{
		Start:         wizard.StartSetup,
		Input:         o.In,
		Apply:         steps.ApplyOptions{NoWait: o.NoWait},
		ResumeCommand: resumeBase(o),
	}
	if err := wizardConnection(o.IO, &o.Conn, &opts); err != nil {
		return err
	}
	return RunWizard(ctx, o.IO, opts, Accessible(o.flags, o.IO), o)
}

// RunMenu is `crdb-logexport` alone on a terminal: the home menu, with the
// connection settings of the environment.
func RunMenu(ctx context.Context, cmd *cobra.Command, ios *cmdutil.IOStreams) error {
	conn := &cmdutil.Connection{IO: ios}
	opts := wizard.Options{Start: wizard.StartMenu, Input: steps.SetupInput{ExternalID: steps.ExternalIDAuto}}
	if err := wizardConnection(ios, conn, &opts); err != nil {
		return err
	}
	return RunWizard(ctx, ios, opts, Accessible(cmd.Flags(), ios), nil)
}

// wizardConnection tells the wizard where the API key comes from and how
// to build the clients. A key the wizard asks for reaches the clients only
// through the connection's environment lookup: never argv, never a file.
func wizardConnection(ios *cmdutil.IOStreams, conn *cmdutil.Connection, opts *wizard.Options) error {
	switch {
	case conn.APIKeyFile == "-":
		// Standard input is the terminal the interface reads keys from:
		// read the key before the interface starts.
		key, err := conn.APIKey()
		if err != nil {
			return err
		}
		conn.APIKeyFile = ""
		conn.IO = withAPIKey(ios, key)
		opts.APIKeySource = "standard input"
	case conn.APIKeyFile != "":
		opts.APIKeySource = "--api-key-file " + conn.APIKeyFile
	case strings.TrimSpace(ios.Env("COCKROACH_API_KEY")) != "":
		opts.APIKeySource = "COCKROACH_API_KEY"
	}
	opts.Connect = func(ctx context.Context, key string) (*steps.Env, error) {
		if key != "" {
			conn.IO = withAPIKey(ios, key)
		}
		return conn.Env(ctx)
	}
	return nil
}

// withAPIKey returns streams whose environment gives key as
// COCKROACH_API_KEY, for a key typed at the wizard's masked prompt.
func withAPIKey(ios *cmdutil.IOStreams, key string) *cmdutil.IOStreams {
	cp := *ios
	parent := ios.Env
	cp.Env = func(name string) string {
		if name == "COCKROACH_API_KEY" {
			return key
		}
		return parent(name)
	}
	return &cp
}

// resumeBase is `crdb-logexport setup` with the connection flags the user
// gave, to which the wizard adds the answers.
func resumeBase(o *Options) string {
	parts := []string{"crdb-logexport", "setup"}
	for _, name := range []string{"api-key-file", "profile", "region"} {
		if f := o.flags.Lookup(name); f != nil && o.flags.Changed(name) && f.Value.String() != "-" {
			parts = append(parts, "--"+name, cmdutil.ShellQuote(f.Value.String()))
		}
	}
	if o.NoWait {
		parts = append(parts, "--no-wait")
	}
	return strings.Join(parts, " ")
}

// RunWizard runs the interface (line by line when accessible) on the
// terminal and reports how it ended: the result on standard output, the
// failure and the command that resumes on standard error, and the exit
// status (0 done, 1 failed, 130 stopped by the user). o, when not nil,
// gives the output format of the result.
func RunWizard(ctx context.Context, ios *cmdutil.IOStreams, opts wizard.Options, accessible bool, o *Options) error {
	opts.In, opts.Out = ios.In, ios.ErrOut
	if !ios.ColorEnabled() {
		opts.Environ = append(os.Environ(), "NO_COLOR=1")
	}
	run := wizard.Run
	if accessible {
		run = wizard.RunAccessible
	}
	res, err := run(ctx, opts)
	if err != nil {
		return err
	}
	if o == nil {
		o = &Options{IO: ios}
	}
	w := ios.ErrOut
	// resume says how to carry on: the command, or the hint that replaces
	// it (the demo's sandbox does not outlive the program).
	resume := func(label string) {
		switch {
		case opts.ResumeHint != "":
			fmt.Fprintln(w, opts.ResumeHint)
		case res.Resume != "":
			fmt.Fprintf(w, "%s\n  %s\n", label, res.Resume)
		}
	}
	switch res.Outcome {
	case wizard.Completed:
		return report(o, res.Setup)
	case wizard.Left:
		return nil
	case wizard.Aborted:
		if !res.Changed {
			fmt.Fprintln(w, "Stopped. Nothing was changed.")
			if opts.ResumeHint == "" && res.Resume != "" {
				fmt.Fprintf(w, "To run this setup without questions:\n  %s\n", res.Resume)
			}
			return cmdutil.Silent(cmdutil.ExitAborted)
		}
		fmt.Fprintln(w, "Interrupted.")
		resume("Resume (nothing is duplicated; the journal keeps what was done):")
		return cmdutil.Silent(cmdutil.ExitAborted)
	}
	if res.Err != nil {
		fmt.Fprintf(w, "Error: %v\n", res.Err)
		if se, ok := steps.AsStepError(res.Err); ok && se.Fix != "" {
			fmt.Fprintf(w, "Fix: %s\n", se.Fix)
		}
	}
	if rb := res.Rollback; rb != nil {
		for _, r := range rb.Removed {
			fmt.Fprintf(w, "Rolled back: %s\n", r)
		}
		for _, r := range rb.Kept {
			fmt.Fprintf(w, "Kept: %s\n", r)
		}
	}
	resume("Resume:")
	return cmdutil.Silent(cmdutil.ExitFailure)
}
