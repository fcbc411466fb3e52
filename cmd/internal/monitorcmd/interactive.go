package monitorcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/tui"
	"github.com/crdb-logexport/crdb-logexport/monitor"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard"
	"github.com/crdb-logexport/crdb-logexport/wizard/fleet"
)

// board is the latest snapshot the monitor published, for the screen.
type board struct {
	mu      sync.Mutex
	snap    fleet.Snapshot
	changed chan struct{}
}

func (b *board) latest() fleet.Snapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.snap
}

func (b *board) update(f func(*fleet.Snapshot)) {
	b.mu.Lock()
	f(&b.snap)
	b.mu.Unlock()
	select {
	case b.changed <- struct{}{}:
	default:
	}
}

// runScreen is the long-running monitor on a terminal: the monitor passes
// in the background while the fleet screen shows the last one; enter on a
// cluster opens the doctor's interface on it, and leaving the doctor comes
// back to the screen (with a pass at once, to show what a repair did).
func runScreen(ctx context.Context, o *Options, m *monitor.Monitor, wopts wizard.Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b := &board{changed: make(chan struct{}, 1)}
	kick := make(chan struct{}, 1)
	checkNow := func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	done := make(chan struct{})
	var last *monitor.PassResult
	go func() {
		defer close(done)
		m.Run(ctx, o.Interval, kick, monitor.Hooks{
			Start: func() { b.update(func(s *fleet.Snapshot) { s.Running = true }) },
			Done: func(res *monitor.PassResult) {
				last = res
				b.update(func(s *fleet.Snapshot) {
					s.Result, s.Running, s.Next = res, false, res.Started.Add(o.Interval)
				})
			},
		})
	}()
	term := fleet.Terminal{In: o.IO.In, Out: o.IO.ErrOut}
	if !o.IO.ColorEnabled() {
		term.Environ = append(os.Environ(), "NO_COLOR=1")
	}
	cfg := fleet.Config{Title: what(o), Latest: b.latest, Changed: b.changed, CheckNow: checkNow}
	var err error
	for {
		var choice fleet.Choice
		choice, err = fleet.Run(ctx, term, cfg)
		if err != nil || choice.Quit || ctx.Err() != nil {
			break
		}
		opts := wopts
		opts.Start = wizard.StartDoctor
		opts.Input = steps.SetupInput{Cluster: choice.ClusterID}
		if derr := tui.Run(ctx, o.IO, opts, false, tui.Reports{}); derr != nil && !isExit(derr) {
			err = derr
			break
		}
		checkNow()
	}
	cancel()
	<-done
	if last != nil {
		fmt.Fprintln(o.IO.Out, eventLine(monitor.Event{Time: time.Now(), Event: monitor.EventPass, Pass: last.Summary()}))
	}
	return err
}

// isExit reports an exit status the doctor's interface ended with (the
// doctor found errors, the user left): the monitor carries on.
func isExit(err error) bool {
	var ee *cmdutil.ExitError
	return errors.As(err, &ee)
}
