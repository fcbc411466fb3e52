package steps

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// StatusTask is a look at one cluster's export.
type StatusTask struct {
	// Cluster is the cluster (as chosen), or Ref names it.
	Cluster cloudapi.Cluster
	Ref     string
	// Follow follows the status live (`status --watch`, the interface):
	// past terminal statuses, slower once it stands still, until the
	// person leaves or the context ends — another shell's disable, a
	// detached policy or an enable all show. With UntilTerminal it stops
	// at the first terminal status instead (`--until-terminal`, scripts
	// that wait).
	Follow        bool
	UntilTerminal bool
	// Watch paces the watch (tests shorten it); a followed watch settles
	// on cloudapi.SettledSchedule unless Watch.Settled says otherwise.
	Watch cloudapi.WatchOptions
	// SkipLogs leaves out the CloudWatch check (`--no-logs`).
	SkipLogs bool
	Nav      Nav
}

// ChoiceStatusNext follows a status read: diagnose it, read it again, or
// leave.
const (
	ChoiceStatusNext = "status.next"
	OptReadAgain     = "read-again"
	// OptKeepFollowing goes on following without a question until the
	// status settles on something new (then it asks again); it is what a
	// followed status does unattended.
	OptKeepFollowing = "keep-following"
)

// StatusEnd is how a look at the status ended.
type StatusEnd struct {
	End
	Export *ClusterExport
}

// RunStatus reads the export and, with Follow, follows a status that is
// not terminal until it is, then reads it all again. When the export
// failed, or it is enabled and logs do not arrive everywhere, the doctor
// is offered. Leaving a failed export (or one that could not be read) is a
// failure, as `status --watch --until-terminal` exits 1 on it.
func RunStatus(ctx context.Context, env *Env, t StatusTask, p Prompter, l Listener) StatusEnd {
	var end StatusEnd
	ref := firstNonEmpty(t.Cluster.ID, t.Ref)
	if t.Cluster.ID != "" {
		if err := t.Cluster.CheckCloudWatch(); err != nil {
			l.emit(NotApplicable{Cluster: t.Cluster, Err: err})
			end.Ending, end.Err = Failed, fmt.Errorf("%w: %v", ErrNotApplicable, err)
			c, cerr := p.Choose(ctx, Choice{ID: ChoiceStatusNext, Title: "What now?", Options: t.Nav.add([]Option{{OptQuit, "Quit"}}), Unattended: OptQuit})
			if cerr != nil {
				end.End = stopped(end.End, cerr)
			} else if c == OptMenu {
				end.Next = OptMenu
			}
			return end
		}
	}
	opts := StatusOptions{SkipLogs: t.SkipLogs || env.AWS == nil}
	for {
		var failure error
		l.emit(Working{Stage: StageStatusRead, Cluster: t.Cluster.Name})
		st, err := ExportStatus(ctx, env, ref, opts)
		switch {
		case err != nil && ctx.Err() != nil:
			return StatusEnd{End: stopped(End{}, ctx.Err()), Export: end.Export}
		case err != nil:
			failure = err
			l.emit(Failure{Stage: StageStatusRead, Err: err})
		case t.Follow && !t.UntilTerminal:
			end.Export = st
			l.emit(ExportRead{Export: st, Final: st.Status.Terminal()})
			fe := followStatus(ctx, env, t, ref, opts, st, p, l)
			if fe.Next == OptReadAgain {
				continue
			}
			return fe
		case !t.Follow || st.Status.Terminal():
			end.Export = st
			l.emit(ExportRead{Export: st, Final: true})
		default:
			end.Export = st
			l.emit(ExportRead{Export: st})
			l.emit(Working{Stage: StageStatusWatch, Cluster: st.ClusterName})
			_, werr := WatchExport(ctx, env, st.ClusterID, t.Watch, func(ev cloudapi.StatusEvent) { l.emit(StatusSeen{ev}) })
			if ctx.Err() != nil {
				return StatusEnd{End: stopped(End{}, ctx.Err()), Export: end.Export}
			}
			if werr != nil {
				failure = werr
				l.emit(Failure{Stage: StageStatusWatch, Err: werr})
				break
			}
			// Terminal: read everything again; the configuration and the
			// logs may have changed meanwhile.
			l.emit(Working{Stage: StageStatusRead, Cluster: st.ClusterName})
			if st, err = ExportStatus(ctx, env, ref, opts); err != nil {
				if ctx.Err() != nil {
					return StatusEnd{End: stopped(End{}, ctx.Err()), Export: end.Export}
				}
				failure = err
				l.emit(Failure{Stage: StageStatusRead, Err: err})
				break
			}
			end.Export = st
			l.emit(ExportRead{Export: st, Final: true})
		}
		end.End = StatusEnding(end.Export, failure)
		c, cerr := p.Choose(ctx, statusNext(end.Export, t.Nav, false))
		switch {
		case cerr != nil:
			return StatusEnd{End: stopped(end.End, cerr), Export: end.Export}
		case c == OptReadAgain:
			continue
		case c == OptDiagnose || c == OptMenu:
			end.Next = c
		}
		return end
	}
}

// statusNext is the question that follows a read: diagnose (offered
// first when the export failed or logs do not arrive, and always while the
// status is followed, as it may fail any moment), read it again, keep
// following, or leave. (A followed export that was never configured has
// nothing to diagnose until it is read again.)
func statusNext(st *ClusterExport, nav Nav, following bool) Choice {
	q := Choice{ID: ChoiceStatusNext, Title: "What now?", Unattended: OptQuit}
	diagnose := Option{OptDiagnose, "Diagnose: run the doctor's checks on this cluster"}
	if quiet := NotArriving(st); st != nil && st.Status.Failed() {
		q.Title = "The export failed. Run the doctor's checks? They name the exact field that is wrong."
		q.Options = append(q.Options, diagnose)
	} else if len(quiet) > 0 {
		q.Title = fmt.Sprintf("No logs arriving in %s. Run the doctor's checks?", strings.Join(quiet, ", "))
		q.Options = append(q.Options, diagnose)
	}
	if following {
		q.Unattended = OptKeepFollowing
		q.Options = append(q.Options, Option{OptKeepFollowing, "Keep following: say when the status changes"})
		if len(q.Options) == 1 && st != nil && st.Configured {
			q.Options = append(q.Options, diagnose)
		}
	}
	q.Options = nav.add(append(q.Options, Option{OptReadAgain, "Read it again"}, Option{OptQuit, "Quit"}))
	return q
}

// followStatus follows st live past terminal statuses: every poll is an
// event, a status that settles on something new is read again whole (the
// configuration and the logs may have changed with it), and the question
// of what next is asked beside it — again after each such change when the
// answer was to keep following. A watch that fails for good ends it.
func followStatus(ctx context.Context, env *Env, t StatusTask, ref string, opts StatusOptions, st *ClusterExport, p Prompter, l Listener) StatusEnd {
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		mu       sync.Mutex
		cur      = st
		werr     error
		settled  = make(chan struct{}, 1)
		finished = make(chan struct{})
	)
	current := func() *ClusterExport {
		mu.Lock()
		defer mu.Unlock()
		return cur
	}
	wo := t.Watch
	wo.Goal, wo.EveryPoll = cloudapi.GoalFollow, true
	if wo.Settled == nil {
		wo.Settled = cloudapi.SettledSchedule
	}
	l.emit(Working{Stage: StageStatusFollow, Cluster: st.ClusterName})
	go func() {
		defer close(finished)
		changes := 0
		_, err := WatchExport(wctx, env, st.ClusterID, wo, func(ev cloudapi.StatusEvent) {
			l.emit(StatusSeen{ev})
			if ev.Err != nil || ev.Changes == changes {
				return
			}
			changes = ev.Changes
			mu.Lock()
			moved := *cur
			moved.Status, moved.UserMessage = ev.Info.Status, ev.Info.UserMessage
			cur = &moved
			mu.Unlock()
			if !ev.Info.Status.Terminal() {
				return
			}
			// Settled on something new: read it all again.
			again, err := ExportStatus(wctx, env, ref, opts)
			if err != nil {
				if wctx.Err() == nil {
					l.emit(Failure{Stage: StageStatusRead, Err: err})
				}
				return
			}
			mu.Lock()
			cur = again
			mu.Unlock()
			l.emit(ExportRead{Export: again, Final: true})
			select {
			case settled <- struct{}{}:
			default:
			}
		})
		if err != nil && wctx.Err() == nil {
			l.emit(Failure{Stage: StageStatusFollow, Err: err})
			mu.Lock()
			werr = err
			mu.Unlock()
		}
	}()
	leave := func(end End, next string) StatusEnd {
		stop()
		<-finished
		end.Next = next
		return StatusEnd{End: end, Export: current()}
	}
	wait := func() (StatusEnd, bool) {
		select {
		case <-ctx.Done():
			return leave(stopped(StatusEnding(current(), nil), ctx.Err()), ""), true
		case <-finished:
			if ctx.Err() != nil {
				// The watch ended with the context: an interruption.
				return leave(stopped(StatusEnding(current(), nil), ctx.Err()), ""), true
			}
			mu.Lock()
			err := werr
			mu.Unlock()
			return leave(StatusEnding(current(), err), ""), true
		case <-settled:
			return StatusEnd{}, false
		}
	}
	// A status on its way somewhere is followed to where it settles
	// before anything is asked, as a read of it would say little.
	if !st.Status.Terminal() {
		if end, over := wait(); over {
			return end
		}
	}
	for {
		c, err := p.Choose(ctx, statusNext(current(), t.Nav, true))
		if err != nil {
			return leave(stopped(StatusEnding(current(), nil), err), "")
		}
		switch c {
		case OptKeepFollowing:
			if end, over := wait(); over {
				return end
			}
		case OptReadAgain, OptDiagnose, OptMenu:
			return leave(StatusEnding(current(), nil), c)
		default:
			return leave(StatusEnding(current(), nil), "")
		}
	}
}

// StatusEnding is how leaving a look at the status ends: leaving a failed
// export, or one whose status could not be read, is a failure.
func StatusEnding(st *ClusterExport, failure error) End {
	switch {
	case st == nil && failure != nil:
		return End{Ending: Failed, Err: failure}
	case st != nil && st.Status.Failed():
		return End{Ending: Failed, Err: fmt.Errorf("log export of %s is %s: %s", st.ClusterName, st.Status, st.UserMessage)}
	case failure != nil:
		return End{Ending: Failed, Err: failure}
	}
	return End{Ending: Completed}
}

// NotArriving lists the regions whose logs do not arrive while the export
// is enabled: with a failed export, what the doctor is for.
func NotArriving(st *ClusterExport) []string {
	if st == nil || st.Status != cloudapi.StatusEnabled {
		return nil
	}
	var out []string
	for _, l := range st.Logs {
		if !l.Arriving {
			out = append(out, l.Region)
		}
	}
	return out
}
