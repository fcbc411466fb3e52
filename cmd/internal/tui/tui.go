// Package tui runs the interactive interface (package wizard) for the
// commands that open it on a terminal — the home menu, setup, status
// --watch, update and disable — and reports how it ended: what the task did
// on standard output, the failure and the command that resumes on standard
// error, and the exit status.
package tui

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard"
)

// Reports print, on standard output, what a task did once the interface
// has ended; each command passes the one for its own task (in its own
// output format), the home menu all of them. A nil report prints nothing.
type Reports struct {
	Setup   func(*steps.SetupResult) error
	Status  func(*steps.ClusterExport) error
	Doctor  func(*steps.DoctorReport) error
	Update  func(*steps.UpdateResult) error
	Disable func(*steps.DisableResult) error
}

// Accessible reports whether the user asked for plain line-by-line prompts:
// the persistent --accessible flag, or ACCESSIBLE set in the environment
// (the variable Huh and other terminal tools honour).
func Accessible(fs *pflag.FlagSet, ios *cmdutil.IOStreams) bool {
	if on, err := fs.GetBool("accessible"); err == nil && on {
		return true
	}
	return ios.Env("ACCESSIBLE") != ""
}

// Connect tells the interface where the API key comes from and how to
// build the clients. A key the interface asks for reaches the clients only
// through the connection's environment lookup: never argv, never a file.
func Connect(ios *cmdutil.IOStreams, conn *cmdutil.Connection, opts *wizard.Options) error {
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

// ResumeBase is `crdb-logexport COMMAND` with the connection flags the
// user gave, to which the interface adds the answers when it says how to
// resume. The API key is never among them: no flag carries it, and a key
// read from standard input cannot be read again.
func ResumeBase(command string, fs *pflag.FlagSet) string {
	parts := []string{"crdb-logexport", command}
	for _, name := range []string{"api-key-file", "profile", "region"} {
		if f := fs.Lookup(name); f != nil && fs.Changed(name) && f.Value.String() != "-" {
			parts = append(parts, "--"+name, steps.ShellQuote(f.Value.String()))
		}
	}
	return strings.Join(parts, " ")
}

// withAPIKey returns streams whose environment gives key as
// COCKROACH_API_KEY, for a key typed at the interface's masked prompt.
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

// Open is how a command opens the interface on the user's connection:
// Connect, then Run, line by line when the flags or the environment ask
// for it.
func Open(ctx context.Context, ios *cmdutil.IOStreams, conn *cmdutil.Connection, fs *pflag.FlagSet, opts wizard.Options, rep Reports) error {
	if err := Connect(ios, conn, &opts); err != nil {
		return err
	}
	return Run(ctx, ios, opts, Accessible(fs, ios), rep)
}

// Run runs the interface (line by line when accessible) on the terminal
// and reports how it ended. Exit status: 0 done; 1 failed (a status watch
// that ended on a failure, a setup, update or disable that stopped); 3 the
// doctor's last report has an error finding; 130 stopped by the user.
func Run(ctx context.Context, ios *cmdutil.IOStreams, opts wizard.Options, accessible bool, rep Reports) error {
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
	// The interface printed the screen it ended on, which shows a
	// failure's error and fix; accessible mode's transcript said them as
	// they happened, but not as a closing line: it gets them here.
	return ended(ios.ErrOut, opts, res, rep, !accessible)
}

// ended reports on w how the interface ended, and returns the exit.
func ended(w io.Writer, opts wizard.Options, res wizard.Result, rep Reports, shown bool) error {
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
	// Diagnosing and watching change nothing (bar the doctor's repairs,
	// which are kept): there is nothing to resume, only to run again.
	readOnly := res.Rerun
	switch res.Outcome {
	case wizard.Left:
		return nil
	case wizard.Aborted:
		if !res.Changed {
			fmt.Fprintln(w, "Stopped. Nothing was changed.")
			if opts.ResumeHint == "" && res.Resume != "" {
				fmt.Fprintf(w, "To do this without questions:\n  %s\n", res.Resume)
			}
			return cmdutil.Silent(cmdutil.ExitAborted)
		}
		if readOnly {
			fmt.Fprintln(w, "Stopped.")
			resume("Run again (repairs already made are kept and not repeated):")
			return cmdutil.Silent(cmdutil.ExitAborted)
		}
		fmt.Fprintln(w, "Interrupted.")
		resume("Resume (nothing is duplicated; the journal keeps what was done):")
		return cmdutil.Silent(cmdutil.ExitAborted)
	}
	if err := report(res, rep); err != nil {
		return err
	}
	if res.Outcome == wizard.Completed {
		return nil
	}
	// Failed. The doctor's failure is its findings, already reported.
	if res.Doctor != nil && res.Err == nil {
		if res.Doctor.OK {
			return nil
		}
		return cmdutil.Silent(cmdutil.ExitFindings)
	}
	if res.Err != nil && !shown {
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
	if readOnly {
		resume("Run again:")
	} else {
		resume("Resume:")
	}
	return cmdutil.Silent(cmdutil.ExitFailure)
}

// report prints what the task that ended did, with the caller's report for
// it.
func report(res wizard.Result, rep Reports) error {
	switch {
	case res.Setup != nil:
		if rep.Setup != nil && res.Outcome == wizard.Completed {
			return rep.Setup(res.Setup)
		}
	case res.Doctor != nil:
		if rep.Doctor != nil {
			return rep.Doctor(res.Doctor)
		}
	case res.Update != nil:
		if rep.Update != nil {
			return rep.Update(res.Update)
		}
	case res.Disable != nil:
		if rep.Disable != nil {
			return rep.Disable(res.Disable)
		}
	case res.Status != nil:
		if rep.Status != nil {
			return rep.Status(res.Status)
		}
	}
	return nil
}
