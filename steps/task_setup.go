package steps

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// SetupTask is setting up a cluster's export.
type SetupTask struct {
	// Input holds the flags' answers; its Cluster names the cluster.
	Input SetupInput
	// Cluster is the cluster as chosen in the interface (zero otherwise):
	// the questions are about it.
	Cluster cloudapi.Cluster
	// Ask asks setup's questions first (the interface); without it the
	// flags are the answers.
	Ask bool
	// DryRun plans and shows the plan, and stops.
	DryRun bool
	Apply  SetupOptions
	// Saved is a plan saved by a dry run, to apply as it is: its input
	// replaces Input, and a fresh plan whose prior state or changes differ
	// from it ends the task (nothing changed). It is the confirmation.
	Saved *SavedPlan
}

// The decisions of setup.
const (
	ChoiceSetupPrepareFailed = "setup.prepare-failed"
	ChoiceSetupPlan          = "setup.plan"
	ChoiceSetupFailed        = "setup.failed"
	ConfirmRollback          = "setup.rollback"
	OptRollback              = "rollback"
)

// SetupEnd is how a setup ended.
type SetupEnd struct {
	End
	// Input is the answers it ended with (what repeats it).
	Input    SetupInput
	Plan     *SetupPlan
	Result   *SetupResult
	Rollback *RollbackResult
}

// RunSetup asks setup's questions (with Ask), reads the current state and
// builds the plan (read-only), shows it and applies it once confirmed. A
// plan with a conflict cannot be applied: the answers can be changed. A
// failure to apply leads to a choice: diagnose (when the export failed),
// retry (which resumes, and shows the plan again if it now has a
// conflict), roll back what this run created, or quit with the command
// that resumes.
func RunSetup(ctx context.Context, env *Env, t SetupTask, p Prompter, l Listener) SetupEnd {
	s := &setupRun{t: t, env: env, p: p, l: l, saved: t.Saved}
	s.end.Input = t.Input
	ask, autoApply := t.Ask, false
	if t.Saved != nil {
		s.end.Input = *t.Saved.Setup
		s.end.Input.Cluster = t.Saved.ClusterID
		ask, autoApply = false, true
	} else if ask {
		// A setup of this cluster that did not finish is offered first,
		// with its answers, rather than asking everything again.
		in, askNow, end := offerUnfinished(ctx, env, t, p, l)
		if end.Ending != Completed {
			s.end.End = end
			return s.end
		}
		s.end.Input, ask = in, askNow
	}
	for {
		if ask {
			q := &SetupQuestions{Cluster: t.Cluster, Input: s.end.Input}
			if err := p.Answer(ctx, q); err != nil {
				s.end.End = stopped(s.end.End, err)
				return s.end
			}
			s.end.Input = q.Input
		}
		next := s.prepare(ctx, autoApply)
		switch next {
		case OptEdit:
			ask = true
			continue
		case OptApply:
		default:
			return s.end
		}
		switch s.apply(ctx) {
		case OptRetry:
			ask, autoApply = false, true
		case OptEdit:
			ask, autoApply = true, false
		default:
			return s.end
		}
	}
}

type setupRun struct {
	t        SetupTask
	env      *Env
	p        Prompter
	l        Listener
	end      SetupEnd
	archived bool
	// saved is the saved plan the first plan must match (nil after it).
	saved *SavedPlan
	// status is the export's last status seen while applying, which the
	// procedure reports from its goroutines.
	mu     sync.Mutex
	status cloudapi.Status
}

// prepare builds the plan and asks what to do with it. It returns
// OptApply, OptEdit, or "" when the dialogue ends.
func (s *setupRun) prepare(ctx context.Context, autoApply bool) string {
	for {
		if err := s.archive(ctx); err != nil {
			s.l.emit(Failure{Stage: StagePrepare, Err: err})
			s.end.Ending, s.end.Err = Failed, err
			return ""
		}
		in := s.end.Input
		s.l.emit(Working{Stage: StagePrepare, Cluster: s.t.Cluster.Name})
		plan, err := PrepareSetup(ctx, s.env, in)
		if err != nil {
			if ctx.Err() != nil {
				s.end.End = stopped(s.end.End, ctx.Err())
				return ""
			}
			s.l.emit(Failure{Stage: StagePrepare, Err: err})
			c, cerr := s.p.Choose(ctx, Choice{ID: ChoiceSetupPrepareFailed, Title: "What now?", Unattended: OptQuit, Options: []Option{
				{OptEdit, "Change answers"},
				{OptRetry, "Try again"},
				{OptQuit, "Quit (nothing was changed)"},
			}})
			switch {
			case cerr != nil:
				s.end.End = stopped(End{Err: err, Changed: s.end.Changed}, cerr)
				return ""
			case c == OptRetry:
				continue
			case c == OptEdit:
				return OptEdit
			}
			s.end.Ending, s.end.Err = Failed, err
			return ""
		}
		s.end.Plan = plan
		if s.saved != nil && !checkSaved(&s.saved, plan.Saved(in, time.Now()), StagePrepare, s.l, &s.end.End) {
			return ""
		}
		s.l.emit(SetupPlanned{Plan: plan})
		if s.t.DryRun {
			s.end.Ending = Left
			return ""
		}
		conflicts := plan.Conflicts()
		if autoApply && len(conflicts) == 0 {
			return OptApply
		}
		q := Choice{ID: ChoiceSetupPlan, Title: "Apply this plan?", Unattended: OptApply, Confirms: true, Flag: "--yes", Options: []Option{
			{OptApply, "Apply"},
			{OptEdit, "Change answers"},
			{OptQuit, "Cancel (nothing is changed)"},
		}}
		if len(conflicts) > 0 {
			q = Choice{ID: ChoiceSetupPlan, Unattended: OptQuit,
				Title: fmt.Sprintf("The plan has a conflict at step %d; nothing can be applied until it is resolved.", conflicts[0].Number),
				Options: []Option{
					{OptEdit, "Change answers"},
					{OptQuit, "Quit (nothing was changed)"},
				}}
		}
		c, cerr := s.p.Choose(ctx, q)
		switch {
		case cerr != nil:
			s.end.End = stopped(s.end.End, cerr)
			return ""
		case c == OptQuit && len(conflicts) > 0:
			s.end.Ending, s.end.Err = Failed, conflictError(conflicts[0])
			return ""
		case c == OptQuit:
			s.end.Ending = Stopped
			return ""
		}
		return c
	}
}

// archive moves the cluster's journal aside once, before the first plan,
// with --from-scratch: the setup starts a new run instead of resuming one.
func (s *setupRun) archive(ctx context.Context) error {
	if !s.end.Input.FromScratch || s.archived {
		return nil
	}
	s.archived = true
	id := s.t.Cluster.ID
	if id == "" {
		c, err := FindCluster(ctx, s.env, s.end.Input.Cluster)
		if err != nil {
			return err
		}
		id = c.ID
	}
	return s.env.Journals.Archive(id)
}

// apply runs the plan; after a failure it returns the person's choice:
// OptRetry, OptEdit, or "" when the dialogue ends.
func (s *setupRun) apply(ctx context.Context) string {
	s.end.Changed = true
	s.setStatus("")
	listen := func(e Event) {
		if st, ok := e.(StatusSeen); ok {
			s.setStatus(st.Status.Info.Status)
		}
		s.l.emit(e)
	}
	s.l.emit(Working{Stage: StageApply, Cluster: s.end.Plan.ClusterName})
	res, err := ApplySetup(ctx, s.env, s.end.Plan, s.t.Apply, Listener(listen).Reporter())
	s.end.Result = res
	if err == nil {
		s.l.emit(SetupApplied{Result: res})
		s.end.Ending, s.end.Err = Completed, nil
		return ""
	}
	s.end.Err = err
	if ctx.Err() != nil {
		s.end.End = stopped(s.end.End, ctx.Err())
		return ""
	}
	s.l.emit(Failure{Stage: StageApply, Err: err})
	rollback := true
	for {
		var opts []Option
		if se, ok := AsStepError(err); ok && se.Step == StepEnable || s.lastStatus().Failed() {
			opts = append(opts, Option{OptDiagnose, "Diagnose: run the doctor's checks on this cluster"})
		}
		opts = append(opts, Option{OptRetry, "Retry (resumes; nothing is made twice)"})
		if rollback && s.end.Rollback == nil {
			opts = append(opts, Option{OptRollback, "Roll back what this run created"})
		}
		opts = append(opts, Option{OptQuit, "Quit and show the command that resumes"})
		c, cerr := s.p.Choose(ctx, Choice{ID: ChoiceSetupFailed, Title: "What now?", Options: opts, Unattended: OptQuit})
		switch {
		case cerr != nil:
			s.end.End = stopped(s.end.End, cerr)
			return ""
		case c == OptRetry:
			return OptRetry
		case c == OptDiagnose:
			s.end.Ending, s.end.Next = Failed, OptDiagnose
			return ""
		case c == OptRollback:
			rollback = s.rollback(ctx)
			if ctx.Err() != nil {
				s.end.End = stopped(s.end.End, ctx.Err())
				return ""
			}
			continue
		}
		s.end.Ending = Failed
		return ""
	}
}

func (s *setupRun) setStatus(st cloudapi.Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = st
}

func (s *setupRun) lastStatus() cloudapi.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// rollback shows what this run created and removes it once confirmed. It
// reports whether rolling back is still worth offering.
func (s *setupRun) rollback(ctx context.Context) bool {
	id := s.end.Plan.ClusterID
	s.l.emit(Working{Stage: StageRollbackRead, Cluster: s.end.Plan.ClusterName})
	j, err := s.env.Journals.Open(id, "")
	if err != nil {
		s.l.emit(RolledBack{Err: fmt.Errorf("the journal cannot be read: %w", err)})
		return true
	}
	created := j.CreatedIn(j.RunID)
	s.l.emit(RollbackPreviewed{RunID: j.RunID, Resources: created})
	if len(created) == 0 {
		return false
	}
	yes, err := s.p.Confirm(ctx, Confirm{ID: ConfirmRollback, Title: "Remove these resources?", Yes: "Remove", No: "Keep them", Default: true})
	if err != nil || !yes {
		if !errors.Is(err, ErrBack) && err != nil {
			return true
		}
		s.l.emit(Declined{Stage: StageRollback})
		return true
	}
	s.l.emit(Working{Stage: StageRollback, Cluster: s.end.Plan.ClusterName})
	res, err := Rollback(ctx, s.env, id, RollbackOptions{RunID: j.RunID})
	s.end.Rollback = &res
	s.l.emit(RolledBack{Result: res, Err: err})
	return false
}
