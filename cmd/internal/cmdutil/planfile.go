package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// PlanFlags are the saved-plan flags of setup, update and disable:
// `--dry-run --plan-file PATH` writes the plan, `--plan-file PATH --yes`
// (or `apply PATH`) applies exactly it, and `--dry-run --detailed-exitcode`
// says in the exit status whether the plan changes anything.
type PlanFlags struct {
	Path     string
	Detailed bool
	// Saved is the plan --plan-file --yes applies, read by Begin.
	Saved *steps.SavedPlan
}

// ExitChanges is --detailed-exitcode's status for a plan with changes, as
// Terraform's (0 is no changes, 1 an error).
const ExitChanges = 2

// Register adds the flags.
func (p *PlanFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&p.Path, "plan-file", "", "with --dry-run: save the plan to this file; with --yes: apply the plan saved there, exactly (as `apply PATH`)")
	fs.BoolVar(&p.Detailed, "detailed-exitcode", false, "with --dry-run: exit 0 when the plan changes nothing, 2 when it has changes, 1 on error")
}

// Check judges the flags before any network call. With --plan-file and no
// --dry-run the file is the whole input: the flags that would change it
// are refused, as are the other saved-plan combinations that mean nothing.
func (p *PlanFlags) Check(command string, fset *pflag.FlagSet, dryRun, yes bool) error {
	switch {
	case p.Detailed && !dryRun:
		return UsageError("--detailed-exitcode goes with --dry-run: it reports whether the plan has changes")
	case fset.Changed("plan-file") && p.Path == "":
		return UsageError("--plan-file needs a path")
	case p.Path == "":
		return nil
	case dryRun:
		if err := steps.CheckPlanPath(p.Path); err != nil {
			return UsageError("--plan-file: %v", err)
		}
		return nil
	case !yes:
		return UsageError("--plan-file without --dry-run applies the saved plan: add --yes (or run `crdb-logexport apply %s`)", p.Path)
	}
	allowed := map[string]bool{"plan-file": true, "yes": true, "timeout": true, "no-wait": true}
	probe := pflag.NewFlagSet("", pflag.ContinueOnError)
	(&Connection{}).Register(probe)
	(&OutputFlag{}).Register(probe)
	probe.VisitAll(func(f *pflag.Flag) { allowed[f.Name] = true })
	var extra []string
	fset.Visit(func(f *pflag.Flag) {
		if !allowed[f.Name] {
			extra = append(extra, "--"+f.Name)
		}
	})
	if len(extra) > 0 {
		sort.Strings(extra)
		return UsageError("%s: the saved plan %s holds the whole input; %s would change it. Plan again with those flags and --dry-run --plan-file, or apply the file as it is", command, p.Path, strings.Join(extra, ", "))
	}
	return nil
}

// Begin judges the flags (Check) and, when --plan-file applies a saved
// plan, reads it into Saved: both before any network call.
func (p *PlanFlags) Begin(procedure string, fset *pflag.FlagSet, dryRun, yes bool) error {
	if err := p.Check(procedure, fset, dryRun, yes); err != nil {
		return err
	}
	if p.Path == "" || dryRun {
		return nil
	}
	sp, err := p.Load(procedure)
	p.Saved = sp
	return err
}

// End reports a run that did not complete: the apply of a saved plan as
// SavedEnded does, any other as Ended does, with the command that resumes
// it — none for a dry run, which changed nothing.
func (p *PlanFlags) End(ctx context.Context, ios *IOStreams, jsonOut bool, end steps.End, dryRun bool, resume string, timeout time.Duration, result any) error {
	if p.Saved != nil {
		return SavedEnded(ctx, ios, jsonOut, end, p.Saved, p.Path, timeout, result)
	}
	if dryRun {
		resume = ""
	}
	return Ended(ctx, ios, jsonOut, end, resume, timeout, result)
}

// Load reads the saved plan to apply, and checks that it is one of
// procedure: a bad file is a usage error, before any network call.
func (p *PlanFlags) Load(procedure string) (*steps.SavedPlan, error) {
	sp, err := steps.ReadPlanFile(p.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, UsageError("--plan-file %s: no such file (make one with `crdb-logexport %s … --dry-run --plan-file %s`)", p.Path, procedure, p.Path)
		}
		return nil, UsageError("--plan-file: %v", err)
	}
	if sp.Procedure != procedure {
		return nil, UsageError("--plan-file %s holds %s plan, not %s one: run `crdb-logexport apply %s`", p.Path, article(sp.Procedure), article(procedure), p.Path)
	}
	return sp, nil
}

// Save writes a dry run's plan with the command that made it (without
// the dry-run and plan flags) and says how to apply it.
func (p *PlanFlags) Save(ios *IOStreams, sp *steps.SavedPlan, command string) error {
	if p.Path == "" {
		return nil
	}
	sp.Command = command
	if err := steps.WritePlanFile(p.Path, sp); err != nil {
		return fmt.Errorf("saving the plan: %w", err)
	}
	fmt.Fprintf(ios.ErrOut, "Plan saved to %s (%d %s). Apply exactly this plan with:\n  crdb-logexport apply %s\n",
		p.Path, len(sp.Changes), kit.Plural(len(sp.Changes), "change", "changes"), steps.ShellQuote(p.Path))
	return nil
}

func hasConflict(sp *steps.SavedPlan) bool {
	for _, c := range sp.Changes {
		if c.Action == steps.Conflict {
			return true
		}
	}
	return false
}

// article puts "a" or "an" before a procedure's name.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// SavedEnded ends the apply of a saved plan: a plan the live state no
// longer matches is refused with each difference and the command that
// plans again (nothing was changed); any other failure as Ended reports
// it, resumed by the plan's own command with --yes (the journal knows
// what this apply did, which the file's prior state no longer shows).
func SavedEnded(ctx context.Context, ios *IOStreams, jsonOut bool, end steps.End, sp *steps.SavedPlan, path string, timeout time.Duration, result any) error {
	var drift *steps.DriftError
	if !errors.As(end.Err, &drift) {
		resume := sp.Command + " --yes"
		if !end.Changed {
			// Nothing was changed: the plan itself is still the one to
			// apply, not a fresh one nobody reviewed.
			resume = "crdb-logexport apply " + steps.ShellQuote(path)
		}
		return Ended(ctx, ios, jsonOut, end, resume, timeout, result)
	}
	again := sp.Command + " --dry-run --plan-file " + steps.ShellQuote(path)
	if jsonOut {
		_ = WriteJSON(ios.Out, map[string]any{"error": "the saved plan no longer matches the live state", "differences": drift.Differences, "plan_again": again})
	}
	fmt.Fprintf(ios.ErrOut, "\nError: the saved plan %s no longer matches the live state; nothing was changed.\n", path)
	for _, d := range drift.Differences {
		fmt.Fprintf(ios.ErrOut, "  - %s\n", d)
	}
	fmt.Fprintf(ios.ErrOut, "Plan again, review, and apply the new plan:\n  %s\n  crdb-logexport apply %s\n", again, steps.ShellQuote(path))
	return Silent(ExitFailure)
}

// DryRunDone ends a dry run whose plan is plan (sp, as a file would hold
// it): it saves the plan when --plan-file asks, writes the JSON document
// for --output json or says how to apply it, and exits as
// --detailed-exitcode asks.
func (p *PlanFlags) DryRunDone(ios *IOStreams, jsonOut bool, plan any, sp *steps.SavedPlan, command string) error {
	conflict := hasConflict(sp)
	if conflict && p.Path != "" {
		// As Terraform keeps no plan that errored: this one could never
		// be applied.
		if jsonOut {
			_ = WriteJSON(ios.Out, map[string]any{"dry_run": true, "plan": plan, "changes": sp.Changes, "error": "the plan has a conflict: not saved"})
		}
		fmt.Fprintf(ios.ErrOut, "The plan has a conflict, so it was not saved to %s: it could not be applied. Resolve the conflict (its Fix: line says how), then plan again.\n", p.Path)
		return Silent(ExitFailure)
	}
	if err := p.Save(ios, sp, command); err != nil {
		return err
	}
	switch {
	case jsonOut:
		doc := map[string]any{"dry_run": true, "plan": plan, "changes": sp.Changes}
		if p.Path != "" {
			doc["plan_file"] = p.Path
		}
		if err := WriteJSON(ios.Out, doc); err != nil {
			return err
		}
	case p.Path != "", conflict:
	case len(sp.Changes) == 0:
		fmt.Fprintln(ios.ErrOut, "Dry run: nothing to change.")
	default:
		fmt.Fprintf(ios.ErrOut, "Dry run: nothing was changed. Apply with:\n  %s --yes\n", command)
	}
	// --detailed-exitcode: ExitChanges when the plan changes something, a
	// failure when a conflict stops it.
	switch {
	case !p.Detailed:
		return nil
	case conflict:
		return Silent(ExitFailure)
	case len(sp.Changes) > 0:
		return &ExitError{Code: ExitChanges, changes: true}
	}
	return nil
}

// IsChanges reports whether err is --detailed-exitcode's "the plan has
// changes" rather than a failure.
func IsChanges(err error) bool {
	var ee *ExitError
	return errors.As(err, &ee) && ee.changes
}
