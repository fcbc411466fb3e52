package steps

import (
	"context"
	"errors"
	"time"
)

// DisableTask is stopping a cluster's export.
type DisableTask struct {
	// In names the cluster and holds the choice the flags made (--cleanup,
	// --delete-log-group): the one taken without a person, and the one
	// selected first with one.
	In DisableInput
	// DryRun reads and shows the plan for In, and stops.
	DryRun  bool
	Options DisableOptions
	Nav     Nav
	// Saved is a plan saved by a dry run, to apply as it is (see
	// SetupTask.Saved): no overview, no question.
	Saved *SavedPlan
}

// The decisions of disabling.
const (
	ChoiceDisableWhat       = "disable.what"
	ChoiceDisableReadFailed = "disable.read-failed"
	ChoiceDisableFailed     = "disable.failed"
	ConfirmDeleteLogGroups  = "disable.delete-log-groups"
	OptDisable              = "disable"
	OptCleanup              = "cleanup"
	OptCleanupLogGroups     = "cleanup-log-groups"
)

// DisableEnd is how disabling ended.
type DisableEnd struct {
	End
	// Input is what was confirmed (nil before anything was).
	Input *DisableInput
	// Plan is what was shown: the overview with every cleanup option on,
	// or the dry run's plan.
	Plan   *DisablePlan
	Result *DisableResult
}

// RunDisable shows what disabling stops and what cleanup could remove —
// only what carries this tool's tags for this cluster — and asks what to do: stop
// exporting, and also remove what the tool created, with or without the
// log groups. Deleting log groups (and the logs in them) is confirmed a
// second time, no being the default. Then the export is disabled and
// followed until DISABLED, and cleaned up; a failure can be retried, which
// resumes.
func RunDisable(ctx context.Context, env *Env, t DisableTask, p Prompter, l Listener) DisableEnd {
	var end DisableEnd
	if t.Saved != nil {
		in := *t.Saved.Disable
		in.Cluster = t.Saved.ClusterID
		end.Plan = &DisablePlan{ClusterID: t.Saved.ClusterID, ClusterName: t.Saved.ClusterName}
		return applyDisable(ctx, env, t, in, end, p, l)
	}
	if t.DryRun {
		l.emit(Working{Stage: StageDisableRead})
		plan, err := PrepareDisable(ctx, env, t.In)
		if err != nil {
			l.emit(Failure{Stage: StageDisableRead, Err: err})
			end.Ending, end.Err = Failed, err
			return end
		}
		end.Plan = plan
		l.emit(DisablePlanned{Plan: plan})
		end.Ending = Left
		return end
	}
	var overview *DisablePlan
	for overview == nil {
		l.emit(Working{Stage: StageDisableRead})
		// Cleanup's options are read where AWS can be: disabling alone
		// needs no AWS credentials (the command connects to AWS only for
		// --cleanup).
		all := env.AWS != nil
		ov, err := PrepareDisable(ctx, env, DisableInput{Cluster: t.In.Cluster, Cleanup: all, DeleteLogGroups: all})
		if err == nil {
			overview = ov
			break
		}
		if ctx.Err() != nil {
			end.End = stopped(end.End, ctx.Err())
			return end
		}
		l.emit(Failure{Stage: StageDisableRead, Err: err})
		opts := []Option{{OptQuit, "Quit"}}
		if se, ok := AsStepError(err); !ok || !se.Permanent {
			opts = append([]Option{{OptRetry, "Try again"}}, opts...)
		}
		c, cerr := p.Choose(ctx, Choice{ID: ChoiceDisableReadFailed, Title: "What now?", Options: t.Nav.add(opts), Unattended: OptQuit})
		switch {
		case cerr != nil:
			end.End = stopped(End{Err: err}, cerr)
			return end
		case c == OptRetry:
			continue
		case c == OptMenu:
			end.Next = OptMenu
		}
		end.Ending, end.Err = Failed, err
		return end
	}
	end.Plan = overview
	l.emit(DisableOverview{Plan: overview})

	q := disableChoice(overview, t.In, t.Nav)
	for {
		c, err := p.Choose(ctx, q)
		if err != nil {
			end.End = stopped(end.End, err)
			return end
		}
		in := DisableInput{Cluster: overview.ClusterID}
		switch c {
		case OptMenu:
			end.Ending, end.Next = Left, OptMenu
			return end
		case OptQuit:
			if !overview.AlreadyDisabled {
				end.Ending = Stopped
				return end
			}
			// Nothing to stop: the journal only learns that the export is
			// off, so what it names is no longer in use.
			res, err := ApplyDisable(ctx, env, withoutCleanup(overview), t.Options, nil)
			end.Result, end.Ending, end.Err = res, Left, err
			return end
		case OptCleanup:
			in.Cleanup = true
		case OptCleanupLogGroups:
			in.Cleanup = true
			yes, err := p.Confirm(ctx, Confirm{ID: ConfirmDeleteLogGroups, Title: "Delete these log groups and the logs in them?", Yes: "Delete them", No: "No, keep them", Flag: "--yes"})
			if errors.Is(err, ErrBack) {
				q.Default = OptCleanupLogGroups
				continue
			}
			if err != nil {
				end.End = stopped(end.End, err)
				return end
			}
			in.DeleteLogGroups = yes
		}
		return applyDisable(ctx, env, t, in, end, p, l)
	}
}

// disableChoice offers what can be done: disabling (unless it already is),
// removing what this tool created, and that with its log groups.
func disableChoice(ov *DisablePlan, preset DisableInput, nav Nav) Choice {
	var iam, logGroups bool
	for _, it := range ov.Items {
		switch {
		case !it.Remove:
		case it.Kind == KindLogGroup && !it.Empty:
			logGroups = true
		default:
			iam = true
		}
	}
	q := Choice{ID: ChoiceDisableWhat, Title: "Disable log export of " + firstNonEmpty(ov.ClusterName, ov.ClusterID) + "?", Confirms: true, Flag: "--yes"}
	verb := "Disable export and remove"
	if ov.AlreadyDisabled {
		q.Title, verb = "What would you like to do?", "Remove"
	} else {
		q.Options = append(q.Options, Option{OptDisable, "Disable export"})
	}
	if iam {
		label := verb + " what this tool created"
		if logGroups {
			label += " (keep the log groups)"
		}
		q.Options = append(q.Options, Option{OptCleanup, label})
	}
	if logGroups {
		label := "Disable export, remove what this tool created and delete its log groups"
		if ov.AlreadyDisabled {
			label = "Remove what this tool created, log groups too"
		}
		q.Options = append(q.Options, Option{OptCleanupLogGroups, label})
	}
	if len(q.Options) == 0 {
		q.Title, q.Confirms = "Nothing to do.", false
		q.Options = nav.add([]Option{{OptQuit, "Quit"}})
		q.Unattended = OptQuit
		return q
	}
	q.Options = append(q.Options, Option{OptQuit, "Cancel (nothing is changed)"})
	switch {
	case preset.Cleanup && preset.DeleteLogGroups:
		q.Default = OptCleanupLogGroups
	case preset.Cleanup:
		q.Default = OptCleanup
	default:
		q.Default = OptDisable
	}
	// What the flags ask for may be partly off the menu — the log groups
	// are someone else's, nothing is left to remove, the export is
	// already off: the nearest choice that does the rest.
	for _, fallback := range []string{OptCleanup, OptDisable, OptQuit} {
		if q.Has(q.Default) {
			break
		}
		q.Default = fallback
	}
	q.Unattended = q.Default
	return q
}

func withoutCleanup(p *DisablePlan) *DisablePlan {
	cp := *p
	cp.Cleanup, cp.DeleteLogGroups, cp.Items = false, false, []CleanupItem{}
	return &cp
}

// applyDisable prepares the disable again with the choice made (the status
// may have moved since the overview was read) and applies it, offering to
// retry a failure.
func applyDisable(ctx context.Context, env *Env, t DisableTask, in DisableInput, end DisableEnd, p Prompter, l Listener) DisableEnd {
	end.Input = &in
	saved := t.Saved
	for {
		l.emit(Working{Stage: StageDisable, Cluster: end.Plan.ClusterName})
		plan, err := PrepareDisable(ctx, env, in)
		if err == nil && saved != nil {
			end.Plan = plan
			if !checkSaved(&saved, plan.Saved(in, time.Now()), StageDisable, l, &end.End) {
				return end
			}
		}
		end.Changed = true
		var res *DisableResult
		if err == nil {
			res, err = ApplyDisable(ctx, env, plan, t.Options, l.Reporter())
		}
		end.Result = res
		if err == nil {
			l.emit(DisableApplied{Result: res})
			end.Ending, end.Err = Completed, nil
			return end
		}
		end.Err = err
		if ctx.Err() != nil {
			end.End = stopped(end.End, ctx.Err())
			return end
		}
		l.emit(Failure{Stage: StageDisable, Err: err})
		c, cerr := p.Choose(ctx, Choice{ID: ChoiceDisableFailed, Title: "What now?", Unattended: OptQuit, Options: []Option{
			{OptRetry, "Retry (resumes: what was removed is not touched again)"},
			{OptQuit, "Quit and show the command that resumes"},
		}})
		switch {
		case cerr != nil:
			end.End = stopped(end.End, cerr)
			return end
		case c == OptRetry:
			continue
		}
		end.Ending = Failed
		return end
	}
}
