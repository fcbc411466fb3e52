package fleet

import (
	"context"
	"errors"
	"io"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// Terminal is where the screen draws and reads keys.
type Terminal struct {
	In  io.Reader
	Out io.Writer
	// Environ is the environment the colour profile is detected from (the
	// process's when nil); Profile forces one (tests).
	Environ []string
	Profile colorprofile.Profile
}

// Run shows the screen until the user picks a cluster or quits, or ctx
// ends (then the choice is Quit).
func Run(ctx context.Context, term Terminal, cfg Config) (Choice, error) {
	m := New(ctx, cfg)
	opts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithOutput(term.Out)}
	if term.In != nil {
		opts = append(opts, tea.WithInput(term.In))
	}
	if term.Environ != nil {
		opts = append(opts, tea.WithEnvironment(term.Environ))
	}
	if term.Profile != colorprofile.Unknown {
		opts = append(opts, tea.WithColorProfile(term.Profile))
	}
	_, err := tea.NewProgram(m, opts...).Run()
	switch {
	case err == nil:
		return m.Choice(), nil
	case errors.Is(err, tea.ErrInterrupted), errors.Is(err, tea.ErrProgramKilled), errors.Is(err, context.Canceled):
		return Choice{Quit: true}, nil
	}
	return Choice{Quit: true}, err
}
