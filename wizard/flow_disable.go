package wizard

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// disableStage is where the disable flow is.
type disableStage int

const (
	disLoading disableStage = iota
	disLoadFailed
	disConfirm
	disConfirmLogGroups
	disApplying
	disFailed
	disDone
)

// Choices of the disable confirmation.
const (
	choiceDisable         = "disable"
	choiceCleanup         = "cleanup"
	choiceCleanupLogGroup = "cleanup-log-groups"
)

// disableFlow is `disable` on a terminal: what disabling stops and what
// cleanup could remove (only what this tool created, by its journal), a
// choice, a second confirmation naming each log group before any is
// deleted, then the DELETE followed until DISABLED and the cleanup.
type disableFlow struct {
	stage disableStage
	// overview is the plan with every cleanup option on: what the screen
	// offers. The plan applied is prepared again with the user's choice.
	overview *steps.DisablePlan
	preset   steps.DisableInput
	choice   string
	// deleteLogGroups is the answer to the second confirmation.
	deleteLogGroups bool
	// in is what the user confirmed (nil before).
	in *steps.DisableInput

	runSeq    int
	run       *applyRun
	marks     [2]mark
	status    *cloudapi.StatusEvent
	resources []cleanupLine
	res       *steps.DisableResult
	err       error
	changed   bool

	clusterName string
	resumeBase  string
}

// cleanupLine is one resource cleanup removed or kept, as it happened.
type cleanupLine struct {
	label   string
	removed bool
	reason  string
}

func newDisableFlow(opts Options) *disableFlow {
	base := "crdb-logexport disable"
	if opts.Start == StartDisable && opts.ResumeCommand != "" {
		base = opts.ResumeCommand
	}
	return &disableFlow{preset: opts.Disable, resumeBase: base}
}

// Messages of the disable flow's commands.
type (
	disPreparedMsg struct {
		plan *steps.DisablePlan
		err  error
	}
	disResourceMsg struct {
		run int
		cleanupLine
	}
	disAppliedMsg struct {
		run int
		res *steps.DisableResult
		err error
	}
)

// disableRun is an applyRun that also hears about each resource cleanup
// removes or keeps.
type disableRun struct{ *applyRun }

func (r disableRun) ResourceRemoved(label string) {
	r.push(disResourceMsg{run: r.id, cleanupLine: cleanupLine{label: label, removed: true}})
}

func (r disableRun) ResourceKept(label, reason string) {
	r.push(disResourceMsg{run: r.id, cleanupLine: cleanupLine{label: label, reason: reason}})
}

// start runs the disable the user chose; the outcome is queued after every
// event it reported.
func (r disableRun) start(ctx context.Context, env *steps.Env, in steps.DisableInput, opts steps.DisableOptions) tea.Cmd {
	return func() tea.Msg {
		res, err := runDisable(ctx, env, in, opts, r)
		r.push(disAppliedMsg{run: r.id, res: res, err: err})
		close(r.done)
		return nil
	}
}

// runDisable prepares the disable again with the choice made (the status
// may have moved since the confirmation was read) and applies it.
func runDisable(ctx context.Context, env *steps.Env, in steps.DisableInput, opts steps.DisableOptions, rep steps.Reporter) (*steps.DisableResult, error) {
	p, err := steps.PrepareDisable(ctx, env, in)
	if err != nil {
		return nil, err
	}
	return steps.ApplyDisable(ctx, env, p, opts, rep)
}

func prepareDisable(ctx context.Context, env *steps.Env, clusterID string) tea.Cmd {
	return func() tea.Msg {
		p, err := steps.PrepareDisable(ctx, env, steps.DisableInput{Cluster: clusterID, Cleanup: true, DeleteLogGroups: true})
		return disPreparedMsg{plan: p, err: err}
	}
}

func (f *disableFlow) title() string { return "disable log export" }

func (f *disableFlow) start(m *Model) tea.Cmd {
	f.stage = disLoading
	f.clusterName = firstNonEmpty(m.cluster.Name, m.cluster.ID)
	return prepareDisable(m.ctx, m.env, m.cluster.ID)
}

func (f *disableFlow) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return f.key(m, msg)
	case disPreparedMsg:
		return f.prepared(m, msg)
	case stepStartedMsg, stepDoneMsg, stepFailedMsg, statusMsg, disResourceMsg, disAppliedMsg:
		return f.progress(m, msg)
	}
	return m.updateForm(msg)
}

func (f *disableFlow) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	switch k := msg.String(); f.stage {
	case disLoading, disApplying:
		return nil
	case disDone:
		if k == "q" || k == "enter" || k == "esc" {
			return m.finish(Completed)
		}
		return nil
	case disConfirmLogGroups:
		if k == "esc" {
			return f.toConfirm(m)
		}
	}
	return m.updateForm(msg)
}

func (f *disableFlow) prepared(m *Model, msg disPreparedMsg) tea.Cmd {
	if f.stage != disLoading {
		return nil
	}
	if msg.err != nil {
		f.err = msg.err
		f.stage = disLoadFailed
		var opts []huh.Option[string]
		if se, ok := steps.AsStepError(msg.err); !ok || !se.Permanent {
			opts = append(opts, huh.NewOption("Try again", choiceRetry))
		}
		if m.fromMenu() {
			opts = append(opts, huh.NewOption("Back to the menu", choiceMenu))
		}
		opts = append(opts, huh.NewOption("Quit", choiceQuit))
		return m.setForm(choiceForm(m.kit, "What now?", &f.choice, opts...))
	}
	f.err = nil
	f.overview = msg.plan
	f.choice = ""
	switch {
	case f.preset.Cleanup && f.preset.DeleteLogGroups:
		f.choice = choiceCleanupLogGroup
	case f.preset.Cleanup:
		f.choice = choiceCleanup
	}
	return f.toConfirm(m)
}

// cleanupSets splits what cleanup could remove: the role, the policy and
// its attachment, and the log groups (which hold the exported logs).
func (f *disableFlow) cleanupSets() (iam, logGroups []steps.CleanupItem) {
	for _, it := range f.overview.Items {
		switch {
		case !it.Remove:
		case it.Kind == steps.KindLogGroup:
			logGroups = append(logGroups, it)
		default:
			iam = append(iam, it)
		}
	}
	return iam, logGroups
}

// toConfirm shows the confirmation: what stops, what cleanup removes, what
// it never touches, and the choices.
func (f *disableFlow) toConfirm(m *Model) tea.Cmd {
	f.stage = disConfirm
	iam, logGroups := f.cleanupSets()
	var opts []huh.Option[string]
	title := "Disable log export of " + f.clusterName + "?"
	if !f.overview.AlreadyDisabled {
		opts = append(opts, huh.NewOption("Disable export", choiceDisable))
	} else {
		title = "What would you like to do?"
	}
	verb := "Disable export and remove"
	if f.overview.AlreadyDisabled {
		verb = "Remove"
	}
	if len(iam) > 0 {
		label := verb + " what this tool created"
		if len(logGroups) > 0 {
			label += " (keep the log groups)"
		}
		opts = append(opts, huh.NewOption(label, choiceCleanup))
	}
	if len(logGroups) > 0 {
		label := "Disable export, remove what this tool created and delete its log groups"
		if f.overview.AlreadyDisabled {
			label = "Remove what this tool created, log groups too"
		}
		opts = append(opts, huh.NewOption(label, choiceCleanupLogGroup))
	}
	switch {
	case len(opts) == 0 && m.fromMenu():
		title = "Nothing to do."
		opts = append(opts, huh.NewOption("Back to the menu", choiceMenu), huh.NewOption("Quit", choiceDone))
	case len(opts) == 0:
		title = "Nothing to do."
		opts = append(opts, huh.NewOption("Quit", choiceDone))
	default:
		opts = append(opts, huh.NewOption("Cancel (nothing is changed)", choiceQuit))
	}
	// The cursor starts on the choice the flags made, or the one made
	// before going back; on the first option otherwise.
	sel := huh.NewSelect[string]().Title(title).Options(opts...).Value(&f.choice)
	return m.setForm(m.kit.form(huh.NewGroup(sel)))
}

// toConfirmLogGroups is the second confirmation: it names each log group
// and says what deleting it loses. No is the default.
func (f *disableFlow) toConfirmLogGroups(m *Model) tea.Cmd {
	f.stage = disConfirmLogGroups
	f.deleteLogGroups = false
	return m.setForm(m.kit.form(huh.NewGroup(huh.NewConfirm().
		Title("Delete these log groups and the logs in them?").
		Affirmative("Delete them").
		Negative("No, keep them").
		Value(&f.deleteLogGroups))))
}

func (f *disableFlow) submitted(m *Model) tea.Cmd {
	switch f.stage {
	case disLoadFailed:
		switch f.choice {
		case choiceRetry:
			return f.start(m)
		case choiceMenu:
			return m.backToMenu()
		}
		return m.finish(Failed)
	case disConfirm:
		switch f.choice {
		case choiceDisable:
			return f.apply(m, steps.DisableInput{Cluster: m.cluster.ID})
		case choiceCleanup:
			return f.apply(m, steps.DisableInput{Cluster: m.cluster.ID, Cleanup: true})
		case choiceCleanupLogGroup:
			return f.toConfirmLogGroups(m)
		case choiceMenu:
			return m.backToMenu()
		case choiceDone:
			return m.finish(Left)
		}
		return m.finish(Aborted)
	case disConfirmLogGroups:
		// Declining keeps the log groups; the rest of the choice stands.
		return f.apply(m, steps.DisableInput{Cluster: m.cluster.ID, Cleanup: true, DeleteLogGroups: f.deleteLogGroups})
	case disFailed:
		if f.choice == choiceRetry {
			return f.apply(m, *f.in)
		}
		return m.finish(Failed)
	}
	return nil
}

// apply runs steps.ApplyDisable; its progress arrives as messages.
func (f *disableFlow) apply(m *Model, in steps.DisableInput) tea.Cmd {
	f.in = &in
	f.runSeq++
	ctx, cancel := context.WithCancel(m.ctx)
	f.run = newApplyRun(f.runSeq, cancel)
	f.stage = disApplying
	m.form = nil
	f.err = nil
	f.changed = true
	f.marks = [2]mark{}
	f.status, f.resources, f.res = nil, nil, nil
	opts := steps.DisableOptions{Watch: m.opts.Apply.Watch}
	return tea.Batch(disableRun{f.run}.start(ctx, m.env, in, opts), f.run.next(), m.spin.Tick)
}

// mark is the checklist line of one of disable's two steps.
func (f *disableFlow) mark(id string) *mark {
	switch id {
	case steps.StepDisable:
		return &f.marks[0]
	case steps.StepCleanup:
		return &f.marks[1]
	}
	return nil
}

func (f *disableFlow) progress(m *Model, msg tea.Msg) tea.Cmd {
	if f.run == nil {
		return nil
	}
	switch msg := msg.(type) {
	case stepStartedMsg:
		if msg.run != f.run.id {
			return nil
		}
		if mk := f.mark(msg.id); mk != nil {
			mk.state = markRunning
		}
	case stepDoneMsg:
		if msg.run != f.run.id {
			return nil
		}
		if mk := f.mark(msg.id); mk != nil {
			*mk = mark{state: markDone, took: msg.took, timed: true, summary: msg.summary}
		}
	case stepFailedMsg:
		if msg.run != f.run.id {
			return nil
		}
		if mk := f.mark(msg.id); mk != nil {
			*mk = mark{state: markFailed, took: msg.took, timed: true}
		}
	case statusMsg:
		if msg.run != f.run.id {
			return nil
		}
		ev := msg.ev
		f.status = &ev
	case disResourceMsg:
		if msg.run != f.run.id {
			return nil
		}
		f.resources = append(f.resources, msg.cleanupLine)
	case disAppliedMsg:
		if msg.run != f.run.id {
			return nil
		}
		return f.applied(m, msg)
	}
	return f.run.next()
}

func (f *disableFlow) applied(m *Model, msg disAppliedMsg) tea.Cmd {
	f.res = msg.res
	if msg.err != nil {
		f.err = msg.err
		f.stage = disFailed
		return m.setForm(choiceForm(m.kit, "What now?", &f.choice,
			huh.NewOption("Retry (resumes: what was removed is not touched again)", choiceRetry),
			huh.NewOption("Quit and show the command that resumes", choiceQuit)))
	}
	f.stage = disDone
	m.form = nil
	return nil
}

func (f *disableFlow) busy() bool { return f.stage == disLoading || f.stage == disApplying }

func (f *disableFlow) keys(m *Model) []string {
	switch f.stage {
	case disApplying:
		return []string{"ctrl+c stop — the journal keeps what was done; rerunning resumes"}
	case disDone:
		return []string{"enter or q exit"}
	case disConfirmLogGroups:
		return []string{"esc back", "ctrl+c quit (nothing changed yet)"}
	case disFailed:
		return []string{"ctrl+c quit"}
	}
	return []string{"ctrl+c quit (nothing changed yet)"}
}

func (f *disableFlow) result(res *Result) {
	res.Disable = f.res
	res.Changed = f.changed
	res.Resume = f.resume()
	if (res.Outcome == Failed || res.Outcome == Aborted) && res.Err == nil {
		res.Err = f.err
	}
}

// resume is the command that repeats the confirmed disable without
// questions ("" before one was confirmed).
func (f *disableFlow) resume() string {
	if f.in == nil {
		return ""
	}
	cmd := f.resumeBase + " --cluster " + steps.ShellQuote(f.clusterName)
	if f.in.Cleanup {
		cmd += " --cleanup"
	}
	if f.in.DeleteLogGroups {
		cmd += " --delete-log-group"
	}
	return cmd + " --yes"
}

func (f *disableFlow) stop(limit time.Duration) {
	if f.run != nil && !f.run.finished() {
		f.run.cancel()
		f.run.wait(limit)
	}
}
