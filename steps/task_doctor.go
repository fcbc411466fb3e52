package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// DoctorTask is a diagnosis of one cluster's export, with its repairs.
type DoctorTask struct {
	// Cluster is the cluster (as chosen), or Ref names it.
	Cluster cloudapi.Cluster
	Ref     string
	// Fix: the repairs were asked for (`doctor --fix`): without a person,
	// the first report's repairs (or re-enable) are taken, once.
	Fix        bool
	Options    DoctorOptions
	FixOptions FixOptions
	Nav        Nav
}

// The decisions of the doctor.
const (
	ChoiceDoctorNext       = "doctor.next"
	ChoiceDoctorReadFailed = "doctor.read-failed"
	ConfirmApplyFixes      = "doctor.apply-fixes"
	ConfirmReenable        = "doctor.reenable"
	OptFix                 = "fix"
	OptReenable            = "reenable"
	OptCheckAgain          = "check-again"
)

// DoctorEnd is how a diagnosis ended: the last report, and what the
// repairs and re-enables did.
type DoctorEnd struct {
	End
	Report *DoctorReport
	Fixes  *FixResult
}

// RunDoctor runs every check, shows the report and offers what it allows:
// repairing what can be repaired (each change shown first, then
// confirmed), enabling a failed export again, running the checks again.
// After repairs the checks run again — whether or not every repair went
// through — and when the export should be enabled again (it failed, or its
// logs stopped) and nothing else still stands in the way, that is offered
// and confirmed; then the checks run again once more. Leaving with an
// error finding is a failure (`doctor` exits 3); the report says why.
func RunDoctor(ctx context.Context, env *Env, t DoctorTask, p Prompter, l Listener) DoctorEnd {
	d := &doctorRun{t: t, env: env, p: p, l: l, ref: firstNonEmpty(t.Cluster.ID, t.Ref)}
	if t.Cluster.ID != "" {
		if err := t.Cluster.CheckCloudWatch(); err != nil {
			err = fmt.Errorf("%w: %v", ErrNotApplicable, err)
			l.emit(Failure{Stage: StageDiagnose, Err: err})
			return d.readFailed(ctx, err)
		}
	}
	if end, ok := d.diagnose(ctx, ""); !ok {
		return end
	}
	for round := 0; ; round++ {
		plan := PlanFixes(d.end.Report)
		q := Choice{ID: ChoiceDoctorNext, Title: "What now?", Unattended: OptQuit}
		reenable, why := ShouldReenable(plan, d.end.Report)
		if n := len(plan.Fixes); n > 0 {
			q.Options = append(q.Options, Option{OptFix, fmt.Sprintf("Fix it: review and apply %d %s, each shown first", n, plural(n, "change", "changes"))})
		} else if reenable {
			q.Options = append(q.Options, Option{OptReenable, "Enable the export again (" + why + ")"})
		}
		if t.Fix && round == 0 {
			if len(q.Options) > 0 {
				q.Unattended = q.Options[0].ID
			} else {
				// --fix has nothing to do: say so.
				l.emit(FixesPlanned{Plan: plan})
			}
		}
		q.Options = t.Nav.add(append(q.Options, Option{OptCheckAgain, "Run the checks again"}, Option{OptQuit, "Quit"}))
		c, err := p.Choose(ctx, q)
		if err != nil {
			d.end.End = stopped(d.end.End, err)
			return d.end
		}
		var ok bool
		switch c {
		case OptFix:
			ok = d.repair(ctx, plan)
		case OptReenable:
			ok = d.reenable(ctx, why)
		case OptCheckAgain:
			_, ok = d.diagnose(ctx, "")
		case OptMenu:
			d.end.Next = OptMenu
			d.end.Ending = Left
			return d.end
		default:
			d.end.Ending = Completed
			if !d.end.Report.OK {
				d.end.Ending = Failed
			}
			return d.end
		}
		if !ok {
			return d.end
		}
	}
}

type doctorRun struct {
	t   DoctorTask
	env *Env
	p   Prompter
	l   Listener
	ref string
	end DoctorEnd
}

// diagnose runs the checks (after: what they follow). It returns false
// with the ending when they could not run and the person left.
func (d *doctorRun) diagnose(ctx context.Context, after Stage) (DoctorEnd, bool) {
	for {
		stage := StageDiagnose
		if after != "" {
			stage = StageRediagnose
		}
		d.l.emit(Working{Stage: stage, Cluster: d.t.Cluster.Name})
		r, err := Diagnose(ctx, d.env, d.ref, d.t.Options)
		if err == nil {
			d.end.Report = r
			d.l.emit(Diagnosed{Report: r, After: after})
			return d.end, true
		}
		if ctx.Err() != nil {
			d.end.End = stopped(d.end.End, ctx.Err())
			return d.end, false
		}
		d.l.emit(Failure{Stage: stage, Err: err})
		end := d.readFailed(ctx, err)
		if end.Next != OptRetry {
			d.end = end
			return end, false
		}
	}
}

// readFailed offers what follows checks that could not run: trying again
// (unless export does not apply), or leaving.
func (d *doctorRun) readFailed(ctx context.Context, err error) DoctorEnd {
	end := d.end
	opts := []Option{{OptQuit, "Quit"}}
	if !errors.Is(err, ErrNotApplicable) {
		opts = append([]Option{{OptRetry, "Try again"}}, opts...)
	}
	c, cerr := d.p.Choose(ctx, Choice{ID: ChoiceDoctorReadFailed, Title: "What now?", Options: d.t.Nav.add(opts), Unattended: OptQuit})
	switch {
	case cerr != nil:
		end.End = stopped(End{Err: err, Changed: end.Changed}, cerr)
	case c == OptRetry:
		end.Next = OptRetry
	default:
		end.Ending, end.Err, end.Next = Failed, err, ""
		if c == OptMenu {
			end.Next = OptMenu
		}
	}
	return end
}

// repair shows the plan's changes, applies them once confirmed, runs the
// checks again and, when the export should be enabled again, does so: the
// confirmation covered it when the plan said so, else it is offered.
func (d *doctorRun) repair(ctx context.Context, plan *FixPlan) bool {
	d.l.emit(FixesPlanned{Plan: plan})
	n := len(plan.Fixes)
	// One confirmation: when the plan says the export is enabled again
	// after the repairs, applying it is agreeing to that too.
	title := fmt.Sprintf("Apply %s?", plural(n, "this change", fmt.Sprintf("these %d changes", n)))
	if plan.Reenable {
		title = plural(n, "Apply it", "Apply them") + ", then enable the export again?"
	}
	yes, err := d.p.Confirm(ctx, Confirm{ID: ConfirmApplyFixes, Title: title, Yes: "Apply", No: "Cancel", Default: true, Flag: "--yes"})
	switch {
	case errors.Is(err, ErrBack) || err == nil && !yes:
		d.l.emit(Declined{Stage: StageRepair})
		return true
	case err != nil:
		d.end.End = stopped(d.end.End, err)
		return false
	}
	d.end.Changed = true
	d.l.emit(Working{Stage: StageRepair, Cluster: plan.ClusterName})
	res, err := ApplyFixes(ctx, d.env, plan, d.t.FixOptions, d.l.Reporter())
	d.end.Fixes = MergeFixResults(d.end.Fixes, res)
	if ctx.Err() != nil {
		d.end.End = stopped(d.end.End, ctx.Err())
		return false
	}
	d.l.emit(FixesDone{Result: res, Planned: n, Err: err})
	if _, ok := d.diagnose(ctx, StageRepair); !ok {
		return false
	}
	ok, why := ShouldReenable(plan, d.end.Report)
	if !ok {
		if why != "" {
			d.l.emit(ReenableSkipped{Reason: why})
		}
		return true
	}
	if plan.Reenable {
		return d.reenable(ctx, why)
	}
	yes, err = d.p.Confirm(ctx, Confirm{ID: ConfirmReenable, Title: "Enable the export again (" + why + ")? This POSTs the current configuration and follows it to a terminal status.", Yes: "Enable", No: "Not now", Default: true, Flag: "--yes"})
	switch {
	case errors.Is(err, ErrBack) || err == nil && !yes:
		d.l.emit(ReenableSkipped{Reason: "not enabled again: the export stays " + string(d.end.Report.Status)})
		return true
	case err != nil:
		d.end.End = stopped(d.end.End, err)
		return false
	}
	return d.reenable(ctx, why)
}

// reenable POSTs the configuration again, follows it, and runs the checks
// again.
func (d *doctorRun) reenable(ctx context.Context, why string) bool {
	d.end.Changed = true
	d.l.emit(Working{Stage: StageReenable, Cluster: d.end.Report.ClusterName, Detail: why})
	res, err := Reenable(ctx, d.env, d.end.Report, d.t.FixOptions, d.l.Reporter())
	d.end.Fixes = MergeFixResults(d.end.Fixes, res)
	if ctx.Err() != nil {
		d.end.End = stopped(d.end.End, ctx.Err())
		return false
	}
	d.l.emit(Reenabled{Result: res, Err: err})
	_, ok := d.diagnose(ctx, StageReenable)
	return ok
}

// MergeFixResults adds what one run of repairs or re-enable did to what
// the earlier ones did; the status is the latest one.
func MergeFixResults(acc, r *FixResult) *FixResult {
	if r == nil {
		return acc
	}
	if acc == nil {
		acc = &FixResult{Applied: []string{}}
	}
	acc.Applied = append(acc.Applied, slices.Clone(r.Applied)...)
	if r.Status != "" {
		acc.Status, acc.UserMessage = r.Status, r.UserMessage
	}
	acc.PropagationRetries += r.PropagationRetries
	return acc
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
