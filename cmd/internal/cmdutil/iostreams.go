package cmdutil

import (
	"io"
	"os"

	"github.com/charmbracelet/x/term"
)

// IOStreams is where a command reads and writes. The UI and messages go to
// ErrOut; results (ARNs, JSON, export lines) go to Out, so they can be piped.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	inTTY, errTTY bool
	// Env is the environment commands read (NO_COLOR, COCKROACH_API_KEY, …);
	// tests substitute their own.
	Env func(string) string
}

// System returns the process's streams.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		inTTY:  isTerminal(os.Stdin),
		errTTY: isTerminal(os.Stderr),
		Env:    os.Getenv,
	}
}

// Test returns streams over the given reader and writers, none a terminal.
func Test(in io.Reader, out, errOut io.Writer, env map[string]string) *IOStreams {
	return &IOStreams{In: in, Out: out, ErrOut: errOut, Env: func(k string) string { return env[k] }}
}

func isTerminal(f *os.File) bool { return term.IsTerminal(f.Fd()) }

// SetTerminal overrides terminal detection of the input and the UI stream
// (tests of interactive paths).
func (s *IOStreams) SetTerminal(in, errOut bool) { s.inTTY, s.errTTY = in, errOut }

// IsStderrTTY reports whether standard error, where the UI draws, is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.errTTY }

// CanPrompt reports whether a person can answer prompts: both the input and
// the UI stream are terminals.
func (s *IOStreams) CanPrompt() bool { return s.inTTY && s.errTTY }

// ColorEnabled reports whether the UI stream may use colour.
func (s *IOStreams) ColorEnabled() bool { return s.errTTY && s.Env("NO_COLOR") == "" }
