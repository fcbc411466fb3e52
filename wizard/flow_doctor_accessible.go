package wizard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/steps"
)

// accessibleDoctor is the doctor line by line: the report as sentences,
// then the same choices as the full-screen doctor — repair (each change
// printed first, then confirmed), enable again, check again, quit.
func accessibleDoctor(a *accessible, ctx context.Context) (Result, error) {
	var (
		report  *steps.DoctorReport
		fixes   *steps.FixResult
		changed bool
	)
	result := func(o Outcome, err error) Result {
		return Result{Outcome: o, Task: doctorTitle, Doctor: report, Fixes: fixes, Changed: changed, Resume: doctorCommand(a.cluster.Name, changed), Err: err}
	}
	a.taskOutcome = func(o Outcome) Result { return result(o, nil) }
	// stopped ends on an interruption, or on a failure to run the checks.
	stopped := func(err error) (Result, error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return result(Aborted, nil), nil
		}
		a.say("Error: %s", errorText(err))
		return result(Failed, err), nil
	}
	if err := a.cluster.CheckCloudWatch(); err != nil {
		a.say("%s", notApplicable(a.cluster, err))
		return result(Failed, fmt.Errorf("%w: %v", steps.ErrNotApplicable, err)), nil
	}
	diagnose := func(what string) error {
		a.say("%s", what)
		r, err := steps.Diagnose(ctx, a.env, a.cluster.ID, a.opts.Doctor)
		if err != nil {
			return err
		}
		report = r
		writeDoctorText(a.w, r)
		return nil
	}
	rep := fixLineReporter{&lineReporter{w: a.w, now: a.opts.now}}
	reenable := func(why string) error {
		changed = true
		a.say("Enabling the export again (%s)…", why)
		res, err := steps.Reenable(ctx, a.env, report, a.opts.Fix, rep)
		fixes = mergeFixResults(fixes, res)
		if err != nil {
			return err
		}
		a.say("The export is %s.", res.Status)
		return diagnose("Checking again (read-only)…")
	}
	if err := diagnose(fmt.Sprintf("Running the doctor's checks on %s (read-only)…", a.cluster.Name)); err != nil {
		return stopped(err)
	}
	for {
		plan := steps.PlanFixes(report)
		var opts []huh.Option[string]
		if n := len(plan.Fixes); n > 0 {
			opts = append(opts, huh.NewOption(fmt.Sprintf("Fix it: review and apply %d %s", n, plural(n, "change", "changes")), choiceDocFix))
		} else if ok, why := steps.ShouldReenable(plan, report); ok {
			opts = append(opts, huh.NewOption("Enable the export again ("+why+")", choiceDocReenable))
		}
		opts = append(opts, huh.NewOption("Run the checks again", choiceDocAgain), huh.NewOption("Quit", choiceQuit))
		choice, err := a.choose("What now?", opts...)
		if err != nil {
			return stopped(err)
		}
		switch choice {
		case choiceDocFix:
			writeFixPlanText(a.w, plan)
			var ok bool
			n := len(plan.Fixes)
			if err := a.ask(confirmForm(a.kit, fmt.Sprintf("Apply %s?", plural(n, "this change", fmt.Sprintf("these %d changes", n))), "Apply", "Cancel", &ok)); err != nil {
				return stopped(err)
			}
			if !ok {
				a.say("Nothing was changed.")
				continue
			}
			changed = true
			res, err := steps.ApplyFixes(ctx, a.env, plan, a.opts.Fix, rep)
			fixes = mergeFixResults(fixes, res)
			if err != nil {
				if ctx.Err() != nil {
					return stopped(err)
				}
				a.say("Some repairs failed: %s", errorText(err))
			}
			if err := diagnose("Checking again (read-only)…"); err != nil {
				return stopped(err)
			}
			ok, why := steps.ShouldReenable(plan, report)
			if !ok {
				if why != "" {
					a.say("%s", sentence(why))
				}
				continue
			}
			var yes bool
			if err := a.ask(confirmForm(a.kit, "Enable the export again ("+why+")?", "Enable", "Not now", &yes)); err != nil {
				return stopped(err)
			}
			if !yes {
				a.say("Not enabled again.")
				continue
			}
			if err := reenable(why); err != nil {
				return stopped(err)
			}
		case choiceDocReenable:
			_, why := steps.ShouldReenable(plan, report)
			if err := reenable(why); err != nil {
				return stopped(err)
			}
		case choiceDocAgain:
			if err := diagnose("Checking again (read-only)…"); err != nil {
				return stopped(err)
			}
		default:
			if report.OK {
				return result(Completed, nil), nil
			}
			return result(Failed, nil), nil
		}
	}
}

// fixLineReporter reports repairs as sentences; the status and the IAM
// propagation waits read as setup's do.
type fixLineReporter struct{ *lineReporter }

func (r fixLineReporter) FixDone(_ steps.Fix, outcome string) { r.say("Done: %s.", outcome) }

func (r fixLineReporter) FixFailed(x steps.Fix, err error) {
	r.say("Failed: %s: %s", x.Summary, errorText(err))
}

// writeDoctorText writes a report as plain sentences: errors and warnings
// in full (detail, evidence, fix), info one line each, and the checks that
// passed as one list.
func writeDoctorText(w io.Writer, r *steps.DoctorReport) {
	c := r.Counts()
	name := r.ClusterName
	if name == "" {
		name = r.ClusterID
	}
	fmt.Fprintf(w, "Diagnosis of %s: export status %s; %d %s, %d %s, %d info, %d ok.\n", name, r.Status,
		c[steps.SeverityError], plural(c[steps.SeverityError], "error", "errors"),
		c[steps.SeverityWarning], plural(c[steps.SeverityWarning], "warning", "warnings"),
		c[steps.SeverityInfo], c[steps.SeverityOK])
	labels := map[steps.Severity]string{steps.SeverityError: "Error", steps.SeverityWarning: "Warning"}
	for _, fd := range r.Problems() {
		fmt.Fprintf(w, "%s, check %s: %s\n", labels[fd.Severity], fd.Check, fd.Summary)
		if fd.Detail != "" {
			fmt.Fprintf(w, "  %s\n", fd.Detail)
		}
		if fd.Evidence != "" {
			fmt.Fprintf(w, "  Evidence:\n")
			for _, line := range strings.Split(fd.Evidence, "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
		if fd.Fix != "" {
			fix := fd.Fix
			if fd.Fixable {
				fix += " (Fix it can do this)"
			}
			fmt.Fprintf(w, "  Fix: %s\n", fix)
		}
	}
	var ok []string
	for _, fd := range r.Findings {
		switch fd.Severity {
		case steps.SeverityInfo:
			fmt.Fprintf(w, "Info, check %s: %s\n", fd.Check, fd.Summary)
		case steps.SeverityOK:
			ok = append(ok, fd.Check)
		}
	}
	if len(ok) > 0 {
		fmt.Fprintf(w, "Passed: %s.\n", strings.Join(ok, ", "))
	}
}

// writeFixPlanText writes each repair with its exact change, before it is
// confirmed.
func writeFixPlanText(w io.Writer, p *steps.FixPlan) {
	fmt.Fprintf(w, "%d %s to %s:\n", len(p.Fixes), plural(len(p.Fixes), "change", "changes"), p.ClusterName)
	for i, x := range p.Fixes {
		fmt.Fprintf(w, "%d. %s (%s), repairs %s. The change:\n", i+1, x.Summary, x.Kind, strings.Join(x.Checks, ", "))
		for _, line := range strings.Split(x.Diff, "\n") {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
	if p.Reenable {
		fmt.Fprintf(w, "Then the export is enabled again (%s), once the checks pass.\n", p.ReenableReason)
	}
	for _, fd := range p.Manual {
		fmt.Fprintf(w, "Left to you: %s: %s\n", fd.Check, fd.Summary)
	}
}
