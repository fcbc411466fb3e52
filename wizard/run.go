package wizard

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// stopWait bounds how long an interrupted run waits for the step in
// progress to record its outcome in the journal.
const stopWait = 20 * time.Second

// Run shows the interface on the terminal (opts.In and opts.Out) until the
// user is done, and returns how it ended. The caller reports the result on
// standard output and maps the outcome to an exit status. Ctrl-C, or ctx
// ending, stops it: a running Apply is cancelled and Run waits for it to
// record where it stopped, so a rerun resumes.
func Run(ctx context.Context, opts Options) (Result, error) {
	m := New(ctx, opts)
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
	_, err := tea.NewProgram(m, popts...).Run()
	if m.run != nil && !m.run.finished() {
		fmt.Fprintln(opts.Out, "Stopping: letting the step in progress record its outcome in the journal…")
	}
	m.stop(stopWait)
	res := m.Result()
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
