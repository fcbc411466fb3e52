package wizard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// doctorTitle is the doctor's header and its Result.Task.
const doctorTitle = "diagnose log export"

// Choices of the doctor's screens.
const (
	choiceDocFix      = "doctor-fix"
	choiceDocReenable = "doctor-reenable"
	choiceDocAgain    = "doctor-again"
	choiceDocMenu     = "doctor-menu"
)

// doctorStage is where the doctor is.
type doctorStage int

const (
	// docReading: the checks run (read-only).
	docReading doctorStage = iota
	// docReadFailed: the checks could not run, or export does not apply.
	docReadFailed
	// docReport: the findings, and what to do next.
	docReport
	// docPreview: each repair as a diff, waiting for confirmation.
	docPreview
	// docApplying: the repairs are being made.
	docApplying
	// docReenableAsk: the checks ran again after the repairs and the
	// export should be enabled again; waiting for confirmation.
	docReenableAsk
	// docReenabling: the configuration was POSTed again; following it.
	docReenabling
)

// doctorNext is what the diagnosis in progress follows, which decides
// what its report leads to.
type doctorNext int

const (
	nextNothing doctorNext = iota
	nextRepairs
	nextReenable
)

// doctorFlow is the doctor (PRODUCT.md §4 and §5): it runs every check on
// the chosen cluster, shows the findings worst first with their evidence
// and fix, and repairs what can be repaired — each change shown as a diff
// first — then checks again and, when the export had failed, enables it
// again and follows it, as `doctor --fix` does.
type doctorFlow struct {
	stage   doctorStage
	cluster string
	ctx     context.Context
	cancel  context.CancelFunc
	// seq numbers diagnoses, so that only the latest one's report counts.
	seq  int
	next doctorNext

	report  *steps.DoctorReport
	plan    *steps.FixPlan // PlanFixes(report)
	readErr error
	// applied is the plan whose repairs (or re-enable) ran last:
	// ShouldReenable weighs it with the checks run afterwards.
	applied     *steps.FixPlan
	reenableWhy string
	// note says what the last action led to; opErr is how it failed.
	note  string
	opErr error
	fixes *steps.FixResult
	// changed: a repair or a re-enable was started.
	changed bool

	run    *doctorRun
	events []doctorEvent
	status *cloudapi.StatusEvent
	runAt  time.Time
	// ranFor is how long the last run took, once it is over.
	ranFor   time.Duration
	polls    int
	lastPoll int
	wait     *propagation

	choice  string
	confirm bool
}

// doctorEvent is one line of the repairs' progress.
type doctorEvent struct {
	ok   bool
	text string
}

func newDoctorFlow() *doctorFlow { return &doctorFlow{} }

// Messages of the doctor's commands.
type (
	doctorReportMsg struct {
		from   *doctorFlow
		seq    int
		report *steps.DoctorReport
		err    error
	}
	fixDoneMsg struct {
		run     int
		outcome string
	}
	fixFailedMsg struct {
		run     int
		summary string
		err     error
	}
	fixRunDoneMsg struct {
		run int
		res *steps.FixResult
		err error
	}
)

// doctorRun is ApplyFixes or Reenable in progress. It queues their events
// on an applyRun, whose Status and PropagationWait already speak the
// model's messages; the repairs' own outcomes get messages of their own.
type doctorRun struct{ *applyRun }

func (r doctorRun) FixDone(_ steps.Fix, outcome string) {
	r.push(fixDoneMsg{run: r.id, outcome: outcome})
}

func (r doctorRun) FixFailed(x steps.Fix, err error) {
	r.push(fixFailedMsg{run: r.id, summary: x.Summary, err: err})
}

// start runs work, then queues its outcome after every event it reported.
func (r doctorRun) start(work func(steps.FixReporter) (*steps.FixResult, error)) tea.Cmd {
	return func() tea.Msg {
		res, err := work(r)
		r.push(fixRunDoneMsg{run: r.id, res: res, err: err})
		close(r.done)
		return nil
	}
}

func (f *doctorFlow) title() string { return doctorTitle }

func (f *doctorFlow) start(m *Model) tea.Cmd {
	f.ctx, f.cancel = context.WithCancel(m.ctx)
	f.cluster = m.cluster.Name
	// Whatever failure led here (setup's) is what the report explains.
	m.err = nil
	if err := m.cluster.CheckCloudWatch(); err != nil {
		f.readErr = fmt.Errorf("%w: %v", steps.ErrNotApplicable, err)
		return f.toReadFailed(m)
	}
	return f.diagnose(m)
}

// diagnose runs every check, read-only.
func (f *doctorFlow) diagnose(m *Model) tea.Cmd {
	f.stage = docReading
	m.form = nil
	f.seq++
	ctx, env, id, opts, seq := f.ctx, m.env, m.cluster.ID, m.opts.Doctor, f.seq
	return tea.Batch(func() tea.Msg {
		r, err := steps.Diagnose(ctx, env, id, opts)
		return doctorReportMsg{from: f, seq: seq, report: r, err: err}
	}, m.spin.Tick)
}

func (f *doctorFlow) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case doctorReportMsg:
		if msg.from != f || msg.seq != f.seq || f.stage != docReading {
			return nil
		}
		return f.diagnosed(m, msg)
	case fixDoneMsg, fixFailedMsg, statusMsg, propagationMsg, fixRunDoneMsg:
		return f.progress(m, msg)
	case tea.KeyPressMsg:
		switch f.stage {
		case docReading, docApplying, docReenabling:
			return nil
		case docReport, docPreview, docReenableAsk:
			if f.scrollKey(msg.String()) {
				var cmd tea.Cmd
				m.vp, cmd = m.vp.Update(msg)
				return cmd
			}
			if f.stage == docPreview && msg.String() == "esc" {
				f.note = "Nothing was changed."
				return f.toReport(m)
			}
		}
	}
	return m.updateForm(msg)
}

// scrollKey reports whether a key scrolls the report or the preview
// rather than going to the form: the choices use ↑/↓ themselves, a
// confirmation does not.
func (f *doctorFlow) scrollKey(k string) bool {
	switch k {
	case "pgup", "pgdown":
		return true
	case "up", "down", "k", "j":
		return f.stage != docReport
	}
	return false
}

func (f *doctorFlow) diagnosed(m *Model, msg doctorReportMsg) tea.Cmd {
	next := f.next
	f.next = nextNothing
	if msg.err != nil {
		// Trying again still follows the repairs or the re-enable.
		f.next = next
		f.readErr = msg.err
		return f.toReadFailed(m)
	}
	f.readErr = nil
	f.report = msg.report
	f.plan = steps.PlanFixes(msg.report)
	if next == nextRepairs {
		ok, why := steps.ShouldReenable(f.applied, msg.report)
		if ok {
			f.reenableWhy = why
			f.stage = docReenableAsk
			m.vp.GotoTop()
			return m.setForm(confirmForm(m.kit, "Enable the export again ("+why+")? This POSTs the current configuration and follows it to a terminal status.", "Enable", "Not now", &f.confirm))
		}
		if why != "" {
			f.note += " " + sentence(why)
		}
	}
	return f.toReport(m)
}

// toReport shows the findings and the choices they allow.
func (f *doctorFlow) toReport(m *Model) tea.Cmd {
	f.stage = docReport
	m.vp.GotoTop()
	var opts []huh.Option[string]
	if n := len(f.plan.Fixes); n > 0 {
		opts = append(opts, huh.NewOption(fmt.Sprintf("Fix it: review and apply %d %s, each shown first", n, plural(n, "change", "changes")), choiceDocFix))
	} else if ok, why := steps.ShouldReenable(f.plan, f.report); ok {
		opts = append(opts, huh.NewOption("Enable the export again ("+why+")", choiceDocReenable))
	}
	opts = append(opts, huh.NewOption("Run the checks again", choiceDocAgain))
	if m.fromMenu() {
		opts = append(opts, huh.NewOption("Back to the menu", choiceDocMenu))
	}
	opts = append(opts, huh.NewOption("Quit", choiceQuit))
	return m.setForm(choiceForm(m.kit, "What now?", &f.choice, opts...))
}

func (f *doctorFlow) toReadFailed(m *Model) tea.Cmd {
	f.stage = docReadFailed
	var opts []huh.Option[string]
	if !isNotApplicable(f.readErr) {
		opts = append(opts, huh.NewOption("Try again", choiceRetry))
	}
	if m.fromMenu() {
		opts = append(opts, huh.NewOption("Back to the menu", choiceDocMenu))
	}
	opts = append(opts, huh.NewOption("Quit", choiceQuit))
	return m.setForm(choiceForm(m.kit, "What now?", &f.choice, opts...))
}

func (f *doctorFlow) submitted(m *Model) tea.Cmd {
	switch f.stage {
	case docReadFailed:
		switch f.choice {
		case choiceRetry:
			return f.diagnose(m)
		case choiceDocMenu:
			// The viewport is shared: setup's plan must not open scrolled.
			m.vp.GotoTop()
			return m.backToMenu()
		}
		return f.quit(m)
	case docReport:
		switch f.choice {
		case choiceDocFix:
			f.stage = docPreview
			m.vp.GotoTop()
			n := len(f.plan.Fixes)
			return m.setForm(confirmForm(m.kit, fmt.Sprintf("Apply %s?", plural(n, "this change", fmt.Sprintf("these %d changes", n))), "Apply", "Cancel", &f.confirm))
		case choiceDocReenable:
			_, why := steps.ShouldReenable(f.plan, f.report)
			return f.reenable(m, f.plan, why)
		case choiceDocAgain:
			f.note, f.opErr = "", nil
			return f.diagnose(m)
		case choiceDocMenu:
			// The viewport is shared: setup's plan must not open scrolled.
			m.vp.GotoTop()
			return m.backToMenu()
		}
		return f.quit(m)
	case docPreview:
		if !f.confirm {
			f.note = "Nothing was changed."
			return f.toReport(m)
		}
		return f.repair(m)
	case docReenableAsk:
		if !f.confirm {
			f.note += " Not enabled again: the export stays " + string(f.report.Status) + "."
			return f.toReport(m)
		}
		return f.reenable(m, f.applied, f.reenableWhy)
	}
	return nil
}

// quit ends the interface: completed when the latest report has no error
// finding, failed otherwise (the findings say why; `doctor` exits 3).
func (f *doctorFlow) quit(m *Model) tea.Cmd {
	m.err = nil
	switch {
	case f.stage == docReadFailed:
		m.err = f.readErr
		return m.finish(Failed)
	case f.report != nil && f.report.OK:
		return m.finish(Completed)
	}
	return m.finish(Failed)
}

// repair applies the plan's changes.
func (f *doctorFlow) repair(m *Model) tea.Cmd {
	plan := f.plan
	env, opts := m.env, m.opts.Fix
	f.stage = docApplying
	f.applied = plan
	return f.begin(m, func(ctx context.Context, rep steps.FixReporter) (*steps.FixResult, error) {
		return steps.ApplyFixes(ctx, env, plan, opts, rep)
	})
}

// reenable POSTs the configuration again and follows it.
func (f *doctorFlow) reenable(m *Model, plan *steps.FixPlan, why string) tea.Cmd {
	report := f.report
	env, opts := m.env, m.opts.Fix
	f.reenableWhy = why
	f.stage = docReenabling
	f.applied = plan
	return f.begin(m, func(ctx context.Context, rep steps.FixReporter) (*steps.FixResult, error) {
		return steps.Reenable(ctx, env, report, opts, rep)
	})
}

func (f *doctorFlow) begin(m *Model, work func(context.Context, steps.FixReporter) (*steps.FixResult, error)) tea.Cmd {
	m.form = nil
	f.changed = true
	f.note, f.opErr = "", nil
	f.events, f.status, f.wait = nil, nil, nil
	f.polls, f.lastPoll = 0, 0
	f.runAt, f.ranFor = m.opts.now(), 0
	m.runSeq++
	ctx, cancel := context.WithCancel(f.ctx)
	f.run = &doctorRun{newApplyRun(m.runSeq, cancel)}
	run := f.run
	return tea.Batch(run.start(func(rep steps.FixReporter) (*steps.FixResult, error) { return work(ctx, rep) }), run.next(), m.spin.Tick)
}

// progress applies one event of the running repairs and asks for the next.
func (f *doctorFlow) progress(m *Model, msg tea.Msg) tea.Cmd {
	if f.run == nil {
		return nil
	}
	id := f.run.id
	switch msg := msg.(type) {
	case fixDoneMsg:
		if msg.run != id {
			return nil
		}
		f.events = append(f.events, doctorEvent{ok: true, text: msg.outcome})
	case fixFailedMsg:
		if msg.run != id {
			return nil
		}
		f.events = append(f.events, doctorEvent{text: msg.summary + ": " + msg.err.Error()})
	case statusMsg:
		if msg.run != id {
			return nil
		}
		// A re-enable during IAM propagation starts a new watch each time;
		// the polls add up.
		if msg.ev.Polls < f.lastPoll {
			f.polls += f.lastPoll
		}
		f.lastPoll = msg.ev.Polls
		ev := msg.ev
		f.status = &ev
		if f.wait != nil && m.opts.now().After(f.wait.until) {
			f.wait = nil
		}
	case propagationMsg:
		if msg.run != id {
			return nil
		}
		now := m.opts.now()
		f.wait = &propagation{until: now.Add(msg.wait), deadline: now.Add(msg.remaining), reason: msg.reason}
	case fixRunDoneMsg:
		if msg.run != id {
			return nil
		}
		return f.ran(m, msg)
	}
	return f.run.next()
}

// ran follows the end of the repairs or the re-enable: the checks run
// again, and their report says what is left.
func (f *doctorFlow) ran(m *Model, msg fixRunDoneMsg) tea.Cmd {
	f.fixes = mergeFixResults(f.fixes, msg.res)
	f.ranFor = m.opts.now().Sub(f.runAt)
	f.wait = nil
	f.opErr = msg.err
	switch f.stage {
	case docApplying:
		f.next = nextRepairs
		done := 0
		if msg.res != nil {
			done = len(msg.res.Applied)
		}
		f.note = fmt.Sprintf("Applied %d of %d %s; the checks ran again.", done, len(f.applied.Fixes), plural(len(f.applied.Fixes), "repair", "repairs"))
	case docReenabling:
		f.next = nextReenable
		switch {
		case msg.res != nil && msg.res.Status != "":
			f.note = "Enabled again: the export is " + string(msg.res.Status) + "."
			if msg.res.UserMessage != "" {
				f.note += " " + msg.res.UserMessage
			}
		case msg.err == nil:
			f.note = "Enabled again."
		}
	}
	return f.diagnose(m)
}

// mergeFixResults adds what one run of repairs or re-enable did to what
// the earlier ones did; the status is the latest one.
func mergeFixResults(acc, r *steps.FixResult) *steps.FixResult {
	if r == nil {
		return acc
	}
	if acc == nil {
		acc = &steps.FixResult{Applied: []string{}}
	}
	acc.Applied = append(acc.Applied, slices.Clone(r.Applied)...)
	if r.Status != "" {
		acc.Status, acc.UserMessage = r.Status, r.UserMessage
	}
	acc.PropagationRetries += r.PropagationRetries
	return acc
}

func (f *doctorFlow) busy() bool {
	return f.stage == docReading || f.stage == docApplying || f.stage == docReenabling
}

func (f *doctorFlow) result(res *Result) {
	res.Doctor = f.report
	res.Fixes = f.fixes
	res.Changed = res.Changed || f.changed
	res.Resume = doctorCommand(f.cluster, f.changed)
}

// doctorCommand runs the doctor again: with --fix once repairs were made,
// since a rerun picks up where they stopped.
func doctorCommand(cluster string, fix bool) string {
	if cluster == "" {
		return ""
	}
	cmd := "crdb-logexport doctor --cluster " + cluster
	if fix {
		cmd += " --fix"
	}
	return cmd
}

func (f *doctorFlow) stop(limit time.Duration) {
	if f.cancel != nil {
		f.cancel()
	}
	if f.run != nil && !f.run.finished() {
		f.run.wait(limit)
	}
}

func isNotApplicable(err error) bool {
	return errors.Is(err, steps.ErrNotApplicable)
}
