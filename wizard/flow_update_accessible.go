package wizard

import (
	"context"
	"errors"
	"strings"

	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// accessibleUpdate is the update line by line: the configuration in force,
// a field at a time, the plan as text, then the update's progress as
// sentences. It keeps its state in an updateFlow, as the screens do.
func accessibleUpdate(a *accessible, ctx context.Context) (Result, error) {
	f := newUpdateFlow(a.opts)
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
	a.say("Update of the log export of %s. Nothing changes until you review the changes and confirm.", a.cluster.Name)
	a.say("Reading the configuration in force (read-only)…")
	t, err := steps.LoadUpdate(ctx, a.env, a.cluster.ID)
	if err != nil {
		if ctx.Err() != nil {
			return finish(Aborted), nil
		}
		f.err = err
		a.say("Error: %s", errorText(err))
		return finish(Failed), nil
	}
	f.begin(t, a.opts.Update.Edit)
	if f.flagsErr != nil {
		a.say("The changes given as flags do not apply: %v", f.flagsErr)
	}
	for {
		f.writeConfig(a)
		choice, err := a.choose("What would you like to change?", f.accessibleChoices()...)
		if err != nil {
			return stopped(err)
		}
		switch choice {
		case choiceQuit:
			return finish(Aborted), nil
		case choiceAddGroup:
			err = f.askGroup(a)
		case choiceRemove:
			err = f.askRemoveGroup(a)
		case choiceReview:
			var (
				o    Outcome
				done bool
			)
			o, done, err = f.accessibleReview(ctx, a)
			if err == nil && done {
				return finish(o), nil
			}
		default:
			err = f.askField(ctx, a, choice)
		}
		if err != nil {
			return stopped(err)
		}
	}
}

func (f *updateFlow) accessibleChoices() []huh.Option[string] {
	opts := []huh.Option[string]{
		huh.NewOption("Log group", fieldLogGroup),
		huh.NewOption("Role ARN", fieldRole),
		huh.NewOption("Export region", fieldRegion),
		huh.NewOption("Redaction", fieldRedact),
		huh.NewOption("Omitted channels", fieldOmitted),
		huh.NewOption("Add or replace a group", choiceAddGroup),
	}
	if len(f.desired.Groups) > 0 {
		opts = append(opts, huh.NewOption("Remove a group", choiceRemove))
	}
	return append(opts,
		huh.NewOption("Review the changes", choiceReview),
		huh.NewOption("Quit without changing anything", choiceQuit))
}

// writeConfig says what the configuration is now, and what changed.
func (f *updateFlow) writeConfig(a *accessible) {
	d := f.desired
	a.say("")
	a.say("Configuration (export status %s):", f.target.Current.Status)
	a.say("  Log group: %s", d.LogName)
	a.say("  Role ARN: %s", d.AuthPrincipal)
	a.say("  Export region: %s", regionText(d.Region))
	a.say("  Redaction: %s", onOff(boolValue(d.Redact)))
	a.say("  Omitted channels: %s", listText(d.OmittedChannels))
	if len(d.Groups) == 0 {
		a.say("  Groups: none")
	}
	for _, g := range d.Groups {
		a.say("  Group: %s", steps.FormatGroup(g))
	}
	diff := steps.DiffSpecs(f.target.Current.Spec, d)
	if len(diff) == 0 {
		a.say("No changes yet.")
		return
	}
	a.say("Changes so far (everything else is sent again as it is):")
	for _, c := range diff {
		a.say("  %s", c)
	}
}

// askField asks one field and applies the answer; an empty answer keeps
// the value shown.
func (f *updateFlow) askField(ctx context.Context, a *accessible, field string) error {
	if err := a.ask(f.fieldForm(a.kit, a.cluster, field)); err != nil {
		return err
	}
	policy := f.applyDraft(field)
	if policy == "" {
		return nil
	}
	a.say("Warning: this is a policy ARN, not a role ARN. %s", arnWarning(policy))
	a.say("Looking up the roles it is attached to…")
	msg := lookupRoles(ctx, a.env, policy)().(rolesMsg)
	a.say("%s", rolesText(msg.roles, msg.err))
	for _, r := range msg.roles {
		a.say("  %s", r)
	}
	opts := make([]huh.Option[string], 0, len(msg.roles)+1)
	for _, r := range msg.roles {
		opts = append(opts, huh.NewOption("Use "+r, r))
	}
	opts = append(opts, huh.NewOption("Keep the role in use", choiceBack))
	choice, err := a.choose("Which role?", opts...)
	if err != nil {
		return err
	}
	if choice != choiceBack {
		f.desired.AuthPrincipal = choice
	}
	return nil
}

// askGroup reads a group in the syntax of `update --group`: one line is
// easier to answer than a form of five fields.
func (f *updateFlow) askGroup(a *accessible) error {
	var line string
	desc := "As `update --group` takes it: " + steps.GroupSyntax + ". LEVEL is WARNING, ERROR or FATAL. A group with the same log name is replaced."
	check := func(s string) error {
		g, err := steps.ParseGroup(strings.TrimSpace(s))
		if err != nil {
			return err
		}
		return f.introduced(a.cluster, func(sp *cloudapi.LogExportSpec) {
			if out, err := (steps.SpecEdit{Groups: []cloudapi.LogExportGroup{g}}).Apply(*sp); err == nil {
				*sp = out
			}
		})
	}
	form := a.kit.form(huh.NewGroup(huh.NewInput().
		Title(a.kit.title("Group", desc, "")).
		Value(&line).
		Validate(check)))
	if err := a.ask(form); err != nil {
		return err
	}
	g, err := steps.ParseGroup(strings.TrimSpace(line))
	if err != nil {
		return err
	}
	out, err := (steps.SpecEdit{Groups: []cloudapi.LogExportGroup{g}}).Apply(f.desired)
	if err != nil {
		return err
	}
	f.desired = out
	return nil
}

func (f *updateFlow) askRemoveGroup(a *accessible) error {
	opts := make([]huh.Option[string], 0, len(f.desired.Groups)+1)
	for _, g := range f.desired.Groups {
		opts = append(opts, huh.NewOption(steps.FormatGroup(g), g.LogName))
	}
	opts = append(opts, huh.NewOption("Keep them all", choiceBack))
	choice, err := a.choose("Remove which group? (its channels go to the main log group again)", opts...)
	if err != nil || choice == choiceBack {
		return err
	}
	out, err := (steps.SpecEdit{RemoveGroups: []string{choice}}).Apply(f.desired)
	if err != nil {
		return err
	}
	f.desired = out
	return nil
}

// accessibleReview plans the update, shows it, and applies it once
// confirmed. done is false to go on editing.
func (f *updateFlow) accessibleReview(ctx context.Context, a *accessible) (Outcome, bool, error) {
	if err := steps.ValidateSpec(f.desired, a.cluster); err != nil {
		a.say("To fix before the review:")
		for _, e := range steps.Problems(err) {
			a.say("  %v", e)
		}
		return 0, false, nil
	}
	for {
		a.say("Checking the new configuration and what AWS needs for it (read-only)…")
		msg := planUpdate(ctx, a.env, f.target, f.desired, f.retention, 0)().(updPlannedMsg)
		if msg.err != nil {
			if err := ctx.Err(); err != nil {
				return 0, false, err
			}
			f.err = msg.err
			a.say("Error: %s", errorText(msg.err))
			choice, err := a.choose("What now?",
				huh.NewOption("Change the configuration", choiceEdit),
				huh.NewOption("Try again", choiceRetry),
				huh.NewOption("Quit (nothing was changed)", choiceQuit))
			switch {
			case err != nil:
				return 0, false, err
			case choice == choiceRetry:
				continue
			case choice == choiceEdit:
				return 0, false, nil
			}
			return Aborted, true, nil
		}
		f.err = nil
		f.plan, f.oldPolicy = msg.plan, msg.oldPolicy
		f.target.Current = msg.plan.Current
		f.plan.WriteText(a.w)
		if f.plan.Permission != nil {
			a.say("")
			a.say("Permission policy %s, its new default version (lines starting with - go, with + come):", f.plan.PolicyARN)
			var old []string
			if f.oldPolicy != nil {
				old = strings.Split(f.oldPolicy.JSON(), "\n")
			}
			for _, l := range steps.LineDiff(old, strings.Split(f.plan.Permission.JSON(), "\n")) {
				a.say("%s", l)
			}
		}
		var opts []huh.Option[string]
		title := "Apply these changes?"
		switch {
		case len(f.plan.Conflicts()) > 0:
			title = "A conflict stops the update: nothing can be applied until it is resolved."
		case !f.plan.Changes():
			title = "Nothing to change: the configuration and the AWS side are already as asked."
			opts = append(opts, huh.NewOption("Done", choiceDone))
		default:
			opts = append(opts, huh.NewOption("Apply", choiceApply))
			if f.awsChanges() {
				opts = append(opts, huh.NewOption("Apply the configuration only (no AWS changes)", choiceApplyOnly))
			}
		}
		opts = append(opts, huh.NewOption("Back to editing", choiceEdit), huh.NewOption("Quit (nothing was changed)", choiceQuit))
		choice, err := a.choose(title, opts...)
		switch {
		case err != nil:
			return 0, false, err
		case choice == choiceEdit:
			return 0, false, nil
		case choice == choiceDone:
			return Left, true, nil
		case choice == choiceQuit:
			return Aborted, true, nil
		}
		f.skipAWS = choice == choiceApplyOnly
		o, err := f.accessibleApply(ctx, a)
		return o, true, err
	}
}

func (f *updateFlow) accessibleApply(ctx context.Context, a *accessible) (Outcome, error) {
	ao := a.opts.Apply
	opts := steps.UpdateOptions{
		SkipLogGroups: f.skipAWS, SkipPolicy: f.skipAWS, NoWait: ao.NoWait,
		PropagationLimit: ao.PropagationLimit, StreamTimeout: ao.StreamTimeout, Watch: ao.Watch,
	}
	for {
		f.changed = true
		res, err := steps.ApplyUpdate(ctx, a.env, f.plan, opts, &lineReporter{w: a.w, now: a.opts.now})
		f.res = res
		if err == nil {
			f.err = nil
			f.writeOutcome(a)
			return Completed, nil
		}
		f.err = err
		if ctx.Err() != nil {
			return Aborted, nil
		}
		a.say("Error: %s", errorText(err))
		if isEnableFailure(err) {
			a.say("Diagnose it: crdb-logexport doctor --cluster %s", a.cluster.Name)
		}
		a.say("Resume: %s", f.resume())
		choice, cerr := a.choose("What now?",
			huh.NewOption("Retry (resumes; nothing is made twice)", choiceRetry),
			huh.NewOption("Quit and show the command that resumes", choiceQuit))
		if cerr != nil {
			return Aborted, cerr
		}
		if choice != choiceRetry {
			return Failed, nil
		}
		t, err := steps.LoadUpdate(ctx, a.env, a.cluster.ID)
		if err == nil {
			msg := planUpdate(ctx, a.env, t, f.desired, f.retention, 0)().(updPlannedMsg)
			err = msg.err
			if err == nil {
				f.target, f.plan = t, msg.plan
				if c := f.plan.Conflicts(); len(c) > 0 {
					f.plan.WriteText(a.w)
					err = &steps.StepError{Step: c[0].ID, Cause: steps.ErrConflict, Fix: strings.Join(c[0].Details, "\n"), Permanent: true}
				}
			}
		}
		if err != nil {
			f.err = err
			a.say("Error: %s", errorText(err))
			return Failed, nil
		}
	}
}

func (f *updateFlow) writeOutcome(a *accessible) {
	r := f.res
	a.say("")
	a.say("Log export of %s is %s.", r.ClusterName, orUnknown(string(r.Status)))
	for _, d := range r.Diff {
		a.say("Changed %s", d)
	}
	for _, c := range r.Created {
		a.say("Created %s", c)
	}
	for _, c := range r.Changed {
		if !strings.HasPrefix(c, "log export configuration") {
			a.say("Changed %s", c)
		}
	}
	now := a.opts.now()
	for _, s := range r.Streams {
		if s.Streams == 0 {
			a.say("Logs in %s: no streams yet in %s.", s.Region, s.LogGroup)
			continue
		}
		a.say("Logs arriving in %s: %d streams in %s, newest event %s ago.", s.Region, s.Streams, s.LogGroup, formatAge(now.Sub(s.Newest)))
	}
	a.say("Next: crdb-logexport status --cluster %s; crdb-logexport doctor --cluster %s", r.ClusterName, r.ClusterName)
}
