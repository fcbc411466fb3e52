package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Failure ends a command that failed: it names the step, the cause, the fix
// and the command that resumes, on the UI stream and — for --output json —
// as one JSON document on standard output (with result, when there is
// one). It returns the error that exits with the right status: 124 after a
// timeout, 130 when interrupted, 2 when the input cannot work (a
// StepError marked Usage), 1 otherwise. A usage failure has nothing to
// resume, and neither has a read-only command: resume is "" for those.
func Failure(ios *IOStreams, jsonOut bool, err error, resume string, timeout time.Duration, result any) error {
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	code := ExitCode(err)
	msg := err.Error()
	se, isStep := steps.AsStepError(err)
	if isStep {
		msg = se.Error()
		if se.Usage && code == ExitFailure {
			code, resume = ExitUsage, ""
		}
	}
	if jsonOut {
		doc := map[string]any{"error": msg}
		if resume != "" {
			doc["resume"] = resume
		}
		if isStep {
			if se.Step != "" {
				doc["step"] = se.Step
			}
			if n := steps.StepNumber(se.Step); n > 0 {
				doc["step_number"] = n
			}
			doc["fix"] = se.Fix
			doc["permanent"] = se.Permanent
		}
		if result != nil {
			doc["result"] = result
		}
		_ = WriteJSON(ios.Out, doc)
	}
	w := ios.ErrOut
	fmt.Fprintln(w)
	fix := ""
	if isStep {
		fix = se.Fix
	}
	if code == ExitAborted && resume == "" {
		// Nothing to resume: the command changes nothing.
		fmt.Fprintln(w, "Stopped.")
	} else {
		ReportFailure(w, code, msg, fix, timeout)
	}
	if isStep && !se.Permanent && code == ExitFailure {
		fmt.Fprintln(w, "This looks temporary: running the same command again should get past it.")
	}
	if resume != "" {
		fmt.Fprintf(w, "Resume (the journal keeps what was done; nothing is repeated):\n  %s\n", resume)
	}
	return Silent(code)
}

// ReportFailure tells on w how a command failed, by its exit status: it
// timed out (124), was interrupted (130), or failed with msg and its fix
// ("" for none).
func ReportFailure(w io.Writer, code int, msg, fix string, timeout time.Duration) {
	switch code {
	case ExitTimeout:
		fmt.Fprintf(w, "Timed out after %s.\n", timeout)
	case ExitAborted:
		fmt.Fprintln(w, "Interrupted.")
	default:
		fmt.Fprintf(w, "Error: %s\n", msg)
		if fix != "" {
			fmt.Fprintf(w, "Fix: %s\n", fix)
		}
	}
}

// ResumeCommand rebuilds a command line from the flags the user set, for
// the "Resume" line. Repeatable flags are repeated; the API key cannot
// appear (no flag carries it). Flags in skip are left out.
func ResumeCommand(command string, fs *pflag.FlagSet, skip ...string) string {
	parts := []string{"crdb-logexport", command}
	var names []string
	fs.Visit(func(f *pflag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	for _, n := range names {
		if containsString(skip, n) {
			continue
		}
		f := fs.Lookup(n)
		switch sv, isSlice := f.Value.(pflag.SliceValue); {
		case f.Value.Type() == "bool":
			if f.Value.String() == "true" {
				parts = append(parts, "--"+n)
			} else {
				parts = append(parts, "--"+n+"=false")
			}
		case f.Value.Type() == "stringArray" && isSlice:
			for _, v := range sv.GetSlice() {
				parts = append(parts, "--"+n, steps.ShellQuote(v))
			}
		case isSlice:
			parts = append(parts, "--"+n, steps.ShellQuote(strings.Join(sv.GetSlice(), ",")))
		default:
			parts = append(parts, "--"+n, steps.ShellQuote(f.Value.String()))
		}
	}
	return strings.Join(parts, " ")
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Ask prints a question on the UI stream and reads one line of answer from
// the input: the plain-line confirmation used on a terminal when --yes was
// not given.
func Ask(ios *IOStreams, question string) (string, error) {
	fmt.Fprint(ios.ErrOut, question)
	// One byte at a time: a buffered reader would swallow the answer to
	// the next question along with this one.
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := ios.In.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
		}
		if err == io.EOF && len(line) > 0 {
			break
		}
		if err != nil {
			return "", fmt.Errorf("reading the answer: %w", err)
		}
	}
	return strings.TrimSpace(string(line)), nil
}

// Confirm asks a yes/no question; anything but y or yes is no.
func Confirm(ios *IOStreams, question string) (bool, error) {
	a, err := Ask(ios, question+" [y/N] ")
	if err != nil {
		return false, err
	}
	a = strings.ToLower(a)
	return a == "y" || a == "yes", nil
}

// Aborted ends a command the user declined: exit status 130.
func Aborted(ios *IOStreams) error {
	fmt.Fprintln(ios.ErrOut, "Nothing was changed.")
	return Silent(ExitAborted)
}
