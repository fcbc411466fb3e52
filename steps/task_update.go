package steps

import (
	"context"
	"errors"
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// UpdateTask is a change to a cluster's export.
type UpdateTask struct {
	// In names the cluster and holds the changes the flags make.
	In UpdateInput
	// Edit asks what to change (the interface's edit screen), starting
	// from the flags' changes; without it the flags are the change.
	Edit bool
	// DryRun plans and shows the update, and stops.
	DryRun  bool
	Options UpdateOptions
	Nav     Nav
	// Saved is a plan saved by a dry run, to apply as it is (see
	// SetupTask.Saved).
	Saved *SavedPlan
}

// The decisions of an update.
const (
	ChoiceUpdateLoadFailed = "update.load-failed"
	ChoiceUpdatePlanFailed = "update.plan-failed"
	ChoiceUpdateReview     = "update.review"
	ChoiceUpdateFailed     = "update.failed"
	OptApplyConfigOnly     = "apply-config-only"
	OptDone                = "done"
)

// UpdateEnd is how an update ended.
type UpdateEnd struct {
	End
	Target *UpdateTarget
	// Desired and RetentionDays are the change as last edited; SkipAWS,
	// whether the AWS changes were declined.
	Desired       cloudapi.LogExportSpec
	RetentionDays int
	SkipAWS       bool
	Plan          *UpdatePlan
	Result        *UpdateResult
}

// RunUpdate reads the configuration in force, applies the change to it
// (asking for it with Edit), plans the update — the configuration's
// difference and the AWS changes it needs, read-only — and applies it once
// confirmed: the missing log groups, the permission policy's new version,
// the POST of the whole configuration and the wait for ENABLED and logs.
// A failure can be retried (resuming, from the configuration in force
// then) or the change edited; an export that is not there can be set up
// instead.
func RunUpdate(ctx context.Context, env *Env, t UpdateTask, p Prompter, l Listener) UpdateEnd {
	u := &updateRun{t: t, env: env, p: p, l: l, saved: t.Saved}
	if t.Saved != nil {
		u.t.In = *t.Saved.Update
		u.t.In.Cluster = t.Saved.ClusterID
		u.t.Edit = false
		t = u.t
	}
	if !u.load(ctx) {
		return u.end
	}
	desired, flagsErr := t.In.Edit.Apply(u.end.Target.Current.Spec)
	if flagsErr != nil {
		desired, _ = SpecEdit{}.Apply(u.end.Target.Current.Spec)
	}
	u.end.Desired, u.end.RetentionDays = desired, t.In.RetentionDays
	if u.end.RetentionDays == 0 {
		u.end.RetentionDays = DefaultRetentionDays
	}
	var problems error
	edit := t.Edit || flagsErr != nil
	autoApply := t.Saved != nil
	for {
		if edit {
			q := &UpdateQuestions{Target: u.end.Target, Desired: u.end.Desired, RetentionDays: u.end.RetentionDays, FlagsErr: flagsErr, Problems: problems,
				Changed: len(DiffSpecs(u.end.Target.Current.Spec, u.end.Desired)) > 0 && flagsErr == nil}
			if err := p.Answer(ctx, q); err != nil {
				u.end.End = stopped(u.end.End, err)
				return u.end
			}
			flagsErr = nil
			u.end.Desired, u.end.RetentionDays = q.Desired, q.RetentionDays
			if problems = ValidateSpec(u.end.Desired, u.end.Target.Cluster); problems != nil {
				continue
			}
		}
		next := u.plan(ctx, autoApply)
		autoApply, edit = false, false
		switch next {
		case OptEdit:
			edit = true
			continue
		case OptApply, OptApplyConfigOnly:
			u.end.SkipAWS = next == OptApplyConfigOnly
		default:
			return u.end
		}
		switch u.apply(ctx) {
		case OptRetry:
			autoApply = true
		case OptEdit:
			edit = true
		default:
			return u.end
		}
	}
}

type updateRun struct {
	t   UpdateTask
	env *Env
	p   Prompter
	l   Listener
	end UpdateEnd
	// saved is the saved plan the first plan must match (nil after it).
	saved *SavedPlan
}

// load reads the configuration in force; it returns false with the ending
// when there is none to update and the person left.
func (u *updateRun) load(ctx context.Context) bool {
	for {
		u.l.emit(Working{Stage: StageUpdateLoad})
		t, err := LoadUpdate(ctx, u.env, u.t.In.Cluster)
		if err == nil {
			u.end.Target = t
			u.l.emit(UpdateLoaded{Target: t})
			return true
		}
		if ctx.Err() != nil {
			u.end.End = stopped(u.end.End, ctx.Err())
			return false
		}
		if u.saved != nil && (errors.Is(err, errNoExport) || errors.Is(err, errExportDisabled)) {
			// The saved plan updates an export that is gone: that is
			// the live state moving, and it is said as such.
			now := exportState(nil)
			if errors.Is(err, errExportDisabled) {
				now = "DISABLED"
			}
			err = u.saved.exportGone(now)
			u.l.emit(Failure{Stage: StageUpdateLoad, Err: err})
			u.end.Ending, u.end.Err = Failed, err
			return false
		}
		u.l.emit(Failure{Stage: StageUpdateLoad, Err: err})
		var opts []Option
		se, isStep := AsStepError(err)
		if !isStep || !se.Permanent {
			opts = append(opts, Option{OptRetry, "Try again"})
		}
		if errors.Is(err, errNoExport) || errors.Is(err, errExportDisabled) {
			opts = append(opts, Option{OptSetUp, "Set it up"})
		}
		c, cerr := u.p.Choose(ctx, Choice{ID: ChoiceUpdateLoadFailed, Title: "What now?", Options: u.t.Nav.add(append(opts, Option{OptQuit, "Quit"})), Unattended: OptQuit})
		switch {
		case cerr != nil:
			u.end.End = stopped(End{Err: err}, cerr)
			return false
		case c == OptRetry:
			continue
		case c == OptSetUp || c == OptMenu || c == OptOtherCluster:
			u.end.Next = c
		}
		u.end.Ending, u.end.Err = Failed, err
		return false
	}
}

// plan works out the update and asks whether to apply it. Once a run was
// started the configuration in force is read again first: that run may
// have changed it. With autoApply (a retry) a plan without a conflict is
// applied at once: the person confirmed these changes already. It returns
// the option taken: OptApply, OptApplyConfigOnly, OptEdit, or "" when the
// dialogue ends.
func (u *updateRun) plan(ctx context.Context, autoApply bool) string {
	for {
		u.l.emit(Working{Stage: StageUpdatePlan, Cluster: u.end.Target.Cluster.Name})
		plan, old, err := u.planOnce(ctx)
		if err != nil {
			if ctx.Err() != nil {
				u.end.End = stopped(u.end.End, ctx.Err())
				return ""
			}
			u.l.emit(Failure{Stage: StageUpdatePlan, Err: err})
			c, cerr := u.p.Choose(ctx, Choice{ID: ChoiceUpdatePlanFailed, Title: "What now?", Unattended: OptQuit, Options: []Option{
				{OptEdit, "Change the configuration"},
				{OptRetry, "Try again"},
				{OptQuit, "Quit (nothing was changed)"},
			}})
			switch {
			case cerr != nil:
				u.end.End = stopped(End{Err: err, Changed: u.end.Changed}, cerr)
				return ""
			case c == OptRetry:
				continue
			case c == OptEdit:
				return OptEdit
			}
			u.end.Ending, u.end.Err = Failed, err
			return ""
		}
		u.end.Plan = plan
		if u.saved != nil && !checkSaved(&u.saved, plan.Saved(u.t.In, time.Now()), StageUpdatePlan, u.l, &u.end.End) {
			return ""
		}
		u.l.emit(UpdatePlanned{Plan: plan, OldPolicy: old})
		if u.t.DryRun {
			u.end.Ending = Left
			return ""
		}
		conflicts := plan.Conflicts()
		if autoApply && len(conflicts) == 0 {
			return OptApply
		}
		q := Choice{ID: ChoiceUpdateReview}
		switch {
		case len(conflicts) > 0:
			q.Title = "A conflict stops the update: nothing can be applied until it is resolved."
			q.Options = []Option{{OptEdit, "Back to editing"}, {OptQuit, "Quit (nothing was changed)"}}
			q.Unattended = OptQuit
		case !plan.Changes():
			q.Title = "Nothing to change: the configuration and the AWS side are already as asked."
			q.Options = []Option{{OptDone, "Done"}, {OptEdit, "Back to editing"}}
			q.Unattended = OptDone
		default:
			q.Title = "Apply these changes?"
			q.Options = []Option{{OptApply, "Apply"}}
			if awsChanges(plan) {
				q.Options = append(q.Options, Option{OptApplyConfigOnly, "Apply the configuration only (no AWS changes)"})
			}
			q.Options = append(q.Options, Option{OptEdit, "Back to editing"}, Option{OptQuit, "Quit (nothing was changed)"})
			q.Unattended, q.Confirms, q.Flag = OptApply, true, "--yes"
		}
		c, cerr := u.p.Choose(ctx, q)
		switch {
		case cerr != nil:
			u.end.End = stopped(u.end.End, cerr)
			return ""
		case c == OptDone:
			// Nothing is sent; applying brings the journal up to date with
			// the configuration in force and follows a job still running.
			return OptApply
		case c == OptQuit && len(conflicts) > 0:
			u.end.Ending, u.end.Err = Failed, conflictError(conflicts[0])
			return ""
		case c == OptQuit:
			u.end.Ending = Stopped
			return ""
		}
		return c
	}
}

// planOnce plans the update against the configuration in force, with the
// permission policy's document in force when the plan gives it a new
// version (to show the difference).
func (u *updateRun) planOnce(ctx context.Context) (*UpdatePlan, *awsiam.PolicyDocument, error) {
	if u.end.Changed {
		t, err := LoadUpdate(ctx, u.env, u.end.Target.Cluster.ID)
		if err != nil {
			return nil, nil, err
		}
		u.end.Target = t
	}
	plan, err := PlanUpdate(ctx, u.env, u.end.Target, u.end.Desired, u.end.RetentionDays)
	if err != nil {
		return nil, nil, err
	}
	u.end.Target.Current = plan.Current
	var old *awsiam.PolicyDocument
	if plan.Permission != nil && plan.PolicyARN != "" {
		// Without the old document the difference shows the new one whole.
		if st, err := awsiam.InspectPolicy(ctx, u.env.AWS.IAM, plan.PolicyARN); err == nil {
			old = st.Document
		}
	}
	return plan, old, nil
}

// apply runs the update; after a failure it returns the person's choice:
// OptRetry, OptEdit, or "" when the dialogue ends.
func (u *updateRun) apply(ctx context.Context) string {
	opts := u.t.Options
	if u.end.SkipAWS {
		opts.SkipLogGroups, opts.SkipPolicy = true, true
	}
	u.end.Changed = true
	u.l.emit(Working{Stage: StageUpdateApply, Cluster: u.end.Plan.ClusterName})
	res, err := ApplyUpdate(ctx, u.env, u.end.Plan, opts, u.l.Reporter())
	u.end.Result = res
	if err == nil {
		u.l.emit(UpdateApplied{Result: res})
		u.end.Ending, u.end.Err = Completed, nil
		return ""
	}
	u.end.Err = err
	if ctx.Err() != nil {
		u.end.End = stopped(u.end.End, ctx.Err())
		return ""
	}
	u.l.emit(Failure{Stage: StageUpdateApply, Err: err})
	c, cerr := u.p.Choose(ctx, Choice{ID: ChoiceUpdateFailed, Title: "What now?", Unattended: OptQuit, Options: []Option{
		{OptRetry, "Retry (resumes; nothing is made twice)"},
		{OptEdit, "Change the configuration"},
		{OptQuit, "Quit and show the command that resumes"},
	}})
	switch {
	case cerr != nil:
		u.end.End = stopped(u.end.End, cerr)
		return ""
	case c == OptRetry || c == OptEdit:
		return c
	}
	u.end.Ending = Failed
	return ""
}

// awsChanges reports whether the plan creates log groups or changes the
// permission policy: what "apply the configuration only" leaves out.
func awsChanges(p *UpdatePlan) bool {
	lg, perm := p.Step(StepLogGroup), p.Step(StepPermissions)
	return lg != nil && lg.Action == Create || perm != nil && perm.Action == WillChange
}
