package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// StatusTask is a look at one cluster's export.
type StatusTask struct {
	// Cluster is the cluster (as chosen), or Ref names it.
	Cluster cloudapi.Cluster
	Ref     string
	// Follow follows a status that is not terminal until it is (`status
	// --watch`, the interface).
	Follow bool
	Watch  cloudapi.WatchOptions
	// SkipLogs leaves out the CloudWatch check (`--no-logs`).
	SkipLogs bool
	Nav      Nav
}

// ChoiceStatusNext follows a status read: diagnose it, read it again, or
// leave.
const (
	ChoiceStatusNext = "status.next"
	OptReadAgain     = "read-again"
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
// failure, as `status --watch` exits 1 on it.
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
		q := Choice{ID: ChoiceStatusNext, Title: "What now?", Unattended: OptQuit}
		if quiet := NotArriving(end.Export); end.Export != nil && end.Export.Status.Failed() {
			q.Title = "The export failed. Run the doctor's checks? They name the exact field that is wrong."
			q.Options = append(q.Options, Option{OptDiagnose, "Diagnose: run the doctor's checks on this cluster"})
		} else if len(quiet) > 0 {
			q.Title = fmt.Sprintf("No logs arriving in %s. Run the doctor's checks?", strings.Join(quiet, ", "))
			q.Options = append(q.Options, Option{OptDiagnose, "Diagnose: run the doctor's checks on this cluster"})
		}
		q.Options = t.Nav.add(append(q.Options, Option{OptReadAgain, "Read it again"}, Option{OptQuit, "Quit"}))
		c, cerr := p.Choose(ctx, q)
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
