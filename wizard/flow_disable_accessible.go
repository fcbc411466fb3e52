package wizard

import (
	"context"
	"errors"
	"time"

	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/steps"
)

// accessibleDisable is the disable line by line: what stops and what
// cleanup removes, the choice, the second confirmation before log groups
// are deleted, then the progress as sentences.
func accessibleDisable(a *accessible, ctx context.Context) (Result, error) {
	f := newDisableFlow(a.opts)
	f.clusterName = firstNonEmpty(a.cluster.Name, a.cluster.ID)
	finish := func(o Outcome) Result {
		res := Result{Outcome: o, Task: f.title()}
		f.result(&res)
		return res
	}
	a.taskOutcome = finish
	stopped := func(err error) (Result, error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return finish(Aborted), nil
		}
		return finish(Aborted), err
	}
	a.say("Reading the export and what this tool created for it (read-only)…")
	msg := prepareDisable(ctx, a.env, a.cluster.ID)().(disPreparedMsg)
	if msg.err != nil {
		if ctx.Err() != nil {
			return finish(Aborted), nil
		}
		f.err = msg.err
		a.say("Error: %s", errorText(msg.err))
		return finish(Failed), nil
	}
	f.overview = msg.plan
	f.writeOverview(a)

	iam, logGroups := f.cleanupSets()
	var opts []huh.Option[string]
	if !f.overview.AlreadyDisabled {
		opts = append(opts, huh.NewOption("Disable export", choiceDisable))
	}
	if len(iam) > 0 {
		opts = append(opts, huh.NewOption("Also remove what this tool created (not the log groups)", choiceCleanup))
	}
	if len(logGroups) > 0 {
		opts = append(opts, huh.NewOption("Also remove what this tool created and delete its log groups", choiceCleanupLogGroup))
	}
	if len(opts) == 0 {
		a.say("Nothing to do.")
		return finish(Left), nil
	}
	opts = append(opts, huh.NewOption("Cancel (nothing is changed)", choiceQuit))
	choice, err := a.choose("What would you like to do?", opts...)
	if err != nil {
		return stopped(err)
	}
	in := steps.DisableInput{Cluster: a.cluster.ID}
	switch choice {
	case choiceQuit:
		return finish(Aborted), nil
	case choiceCleanup:
		in.Cleanup = true
	case choiceCleanupLogGroup:
		in.Cleanup = true
		a.say("Deleting a log group deletes every log event in it, for good. These log groups hold the exported logs of %s:", f.clusterName)
		for _, g := range overviewOf(f.overview).logGroups {
			a.say("  %s", g)
		}
		a.say("Either way, the export is disabled and what else this tool created is removed.")
		if err := a.ask(a.kit.form(huh.NewGroup(huh.NewConfirm().
			Title("Delete these log groups and the logs in them?").
			Affirmative("Delete them").
			Negative("No, keep them").
			Value(&in.DeleteLogGroups)))); err != nil {
			return stopped(err)
		}
	}
	for {
		f.in = &in
		f.changed = true
		rep := disableLineReporter{lineReporter: &lineReporter{w: a.w, now: a.opts.now}}
		res, err := runDisable(ctx, a.env, in, steps.DisableOptions{Watch: a.opts.Apply.Watch}, rep)
		f.res = res
		if err == nil {
			f.err = nil
			f.writeOutcome(a)
			return finish(Completed), nil
		}
		f.err = err
		if ctx.Err() != nil {
			return finish(Aborted), nil
		}
		a.say("Error: %s", errorText(err))
		a.say("Resume: %s", f.resume())
		choice, cerr := a.choose("What now?",
			huh.NewOption("Retry (resumes: what was removed is not touched again)", choiceRetry),
			huh.NewOption("Quit and show the command that resumes", choiceQuit))
		if cerr != nil {
			return stopped(cerr)
		}
		if choice != choiceRetry {
			return finish(Failed), nil
		}
	}
}

func (f *disableFlow) writeOverview(a *accessible) {
	o := overviewOf(f.overview)
	if o.head != "" {
		a.say("%s", o.head)
	} else {
		a.say("Log export of %s, status %s.", f.clusterName, f.overview.Status)
	}
	if o.message != "" {
		a.say("Message: %s", o.message)
	}
	for _, s := range o.stops {
		a.say("Disabling stops %s.", s)
	}
	if len(o.removes)+len(o.logGroups) == 0 {
		a.say("Cleanup has nothing to remove: nothing in AWS carries this tool's tags for this cluster.")
	} else {
		a.say("Cleanup removes only what this tool made for this cluster (its tags say so):")
	}
	for _, r := range o.removes {
		a.say("  %s", r)
	}
	for _, g := range o.logGroups {
		a.say("  log group %s, only if you also choose to delete the log groups (they hold the exported logs)", g)
	}
	for _, k := range o.kept {
		a.say("  keeps %s", k)
	}
	for _, u := range o.untouched {
		a.say("  never touches %s", u)
	}
}

func (f *disableFlow) writeOutcome(a *accessible) {
	r := f.res
	switch {
	case r.AlreadyDisabled:
		a.say("Log export of %s was already disabled.", r.ClusterName)
	default:
		a.say("Log export of %s is %s.", r.ClusterName, orUnknown(string(r.Status)))
	}
	for _, x := range r.Removed {
		a.say("Removed %s", x)
	}
	for _, x := range r.Kept {
		a.say("Kept %s", x)
	}
	a.say("Set it up again with: crdb-logexport setup --cluster %s", r.ClusterName)
}

// disableLineReporter says disable's steps and each resource cleanup
// removes or keeps, as sentences.
type disableLineReporter struct{ *lineReporter }

func (r disableLineReporter) StepStarted(id string) { r.say("Started: %s.", steps.StepLabel(id)) }

func (r disableLineReporter) StepDone(id string, _ steps.Action, summary string, took time.Duration) {
	r.say("Done: %s. %s (%s)", steps.StepLabel(id), summary, formatDuration(took))
}

func (r disableLineReporter) StepFailed(id string, _ error, took time.Duration) {
	r.say("Failed: %s (%s).", steps.StepLabel(id), formatDuration(took))
}

func (r disableLineReporter) ResourceRemoved(label string) { r.say("Removed %s.", label) }

func (r disableLineReporter) ResourceKept(label, reason string) {
	r.say("Kept %s (%s).", label, reason)
}
