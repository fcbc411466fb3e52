package wizard

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
)

// stopWait bounds how long an interrupted run waits for the step in
// progress to record its outcome in the journal.
const stopWait = 20 * time.Second

// program is the interface for opts: the task opts.Start names, on a
// shell of its own.
func program(ctx context.Context, opts Options, accessible bool) *shell.Program {
	sh := shell.New(ctx, accessible, opts.Now)
	sh.Width, sh.Height = opts.Width, opts.Height
	sh.FromMenu, sh.ResumeHint = opts.Start == StartMenu, opts.ResumeHint
	p := shell.NewProgram(sh, opts.open, opts.first())
	p.Badge = opts.Badge
	return p
}

// Run shows the interface on the terminal (opts.In and opts.Out) until the
// user is done, and returns how it ended. The caller reports the result on
// standard output and maps the outcome to an exit status. Ctrl-C, or ctx
// ending, stops it: a running Apply is cancelled and Run waits for it to
// record where it stopped, so a rerun resumes.
func Run(ctx context.Context, opts Options) (Result, error) {
	p := program(ctx, opts, false)
	popts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithOutput(opts.Out)}
	if opts.In != nil {
		popts = append(popts, tea.WithInput(opts.In))
	}
	if opts.Environ != nil {
		popts = append(popts, tea.WithEnvironment(opts.Environ))
	}
	if opts.Profile != colorprofile.Unknown {
		popts = append(popts, tea.WithColorProfile(opts.Profile))
	}
	if opts.Width > 0 && opts.Height > 0 {
		popts = append(popts, tea.WithWindowSize(opts.Width, opts.Height))
	}
	_, err := tea.NewProgram(p, popts...).Run()
	// The interface drew on the alternate screen, which is gone now: what
	// it ended on is printed once, to stay in the scrollback.
	if sum := p.Summary(); sum != "" {
		fmt.Fprintln(outputWriter(opts), sum+"\n")
	}
	if p.Running() {
		fmt.Fprintln(opts.Out, "Stopping: letting the step in progress record its outcome in the journal…")
	}
	res := p.Result()
	p.Stop(stopWait)
	switch {
	case err == nil:
	case errors.Is(err, tea.ErrProgramPanic):
		return res, err
	case errors.Is(err, tea.ErrInterrupted), errors.Is(err, tea.ErrProgramKilled), errors.Is(err, context.Canceled):
		res.Outcome = Aborted
	default:
		return res, err
	}
	return res, nil
}

// outputWriter writes to opts.Out in the colours the terminal and the
// environment allow (NO_COLOR), as the program's own renderer does.
func outputWriter(opts Options) *colorprofile.Writer {
	env := opts.Environ
	if env == nil {
		env = os.Environ()
	}
	out := colorprofile.NewWriter(opts.Out, env)
	if opts.Profile != colorprofile.Unknown {
		out.Profile = opts.Profile
	}
	return out
}

// RunAccessible runs the same tasks as Run without a screen, for screen
// readers and terminals that cannot redraw: each question and choice one
// line at a time (Huh's accessible mode), and what the tasks report as
// plain lines — the transcript the commands print too. It reads answers
// from opts.In and writes to opts.Out, downsampled to what the
// environment allows (NO_COLOR, no terminal).
func RunAccessible(ctx context.Context, opts Options) (Result, error) {
	out := outputWriter(opts)
	p := program(ctx, opts, true)
	lines := &kit.Lines{W: out, Results: out, Words: true, Live: true, Plans: true, FixHint: "Fix it", Now: opts.Now}
	res := shell.Drive(ctx, p, opts.In, out, lines)
	p.Stop(stopWait)
	return res, nil
}
