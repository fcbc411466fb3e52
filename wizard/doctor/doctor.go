// Package doctor is the interface's doctor task (PRODUCT.md §5): every
// check on the chosen cluster, the findings worst first with their
// evidence and fix, the repairs — each change shown as a diff first — and,
// once the checks pass again, enabling a failed export again and following
// it, as `doctor --fix` does. The dialogue is steps.RunDoctor; this package
// draws it and shows its decisions as forms.
package doctor

import (
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
)

// Title is the doctor's header and its Result.Task.
const Title = "diagnose log export"

// Config is what the doctor needs beside its shell.
type Config struct {
	Connect steps.ConnectTask
	Options steps.DoctorOptions
	Fix     steps.FixOptions
}

// stage is where the doctor is.
type stage int

const (
	// reading: the checks run (read-only).
	reading stage = iota
	// readFailed: the checks could not run, or export does not apply.
	readFailed
	// report: the findings, and what to do next.
	report
	// preview: each repair as a diff, waiting for confirmation.
	preview
	// applying: the repairs are being made.
	applying
	// reenableAsk: the checks ran again after the repairs and the export
	// should be enabled again; waiting for confirmation.
	reenableAsk
	// reenabling: the configuration was POSTed again; following it.
	reenabling
)

// Model is the doctor task.
type Model struct {
	sh  *shell.Shell
	cfg Config
	*shell.Run
	vp viewport.Model

	stage  stage
	report *steps.DoctorReport
	// plan is the repairs on screen; applied, the last ones made.
	plan    *steps.FixPlan
	applied *steps.FixPlan
	readErr error
	// again: the checks running now follow repairs or a re-enable; last
	// is which (steps.StageRepair, steps.StageReenable); reenableWhy says
	// why the export is enabled again.
	again       bool
	last        steps.Stage
	reenableWhy string
	// note says what the last action led to; opErr is how it failed.
	note    string
	opErr   error
	fixes   *steps.FixResult
	changed bool

	events   []fixLine
	status   *cloudapi.StatusEvent
	runAt    time.Time
	ranFor   time.Duration
	polls    int
	lastPoll int
	wait     *kit.Propagation
}

// fixLine is one line of the repairs' progress.
type fixLine struct {
	ok   bool
	text string
}

// New returns the doctor on sh.
func New(sh *shell.Shell, cfg Config) *Model {
	vp := viewport.New()
	vp.SoftWrap = false
	m := &Model{sh: sh, cfg: cfg, vp: vp}
	m.Run = shell.NewRun(sh, shell.TaskDoctor, shell.Follow{Event: m.event, Ask: m.ask, Done: m.done})
	return m
}

// Init starts the dialogue: connecting, then steps.RunDoctor.
func (m *Model) Init() tea.Cmd {
	cfg, nav := m.cfg, steps.Nav{Menu: m.sh.FromMenu}
	return m.Start(cfg.Connect, func(ctx context.Context, s steps.Session, p steps.Prompter, l steps.Listener) any {
		return steps.RunDoctor(ctx, s.Env, steps.DoctorTask{Cluster: s.Cluster, Options: cfg.Options, FixOptions: cfg.Fix, Nav: nav}, p, l)
	})
}

// Update follows the dialogue and the keys.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := m.Route(msg); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch m.stage {
		case report, preview, reenableAsk:
			if m.scrollKey(msg.String()) {
				var cmd tea.Cmd
				m.vp, cmd = m.vp.Update(msg)
				return cmd
			}
			if m.stage == preview && msg.String() == "esc" {
				m.sh.Reply(steps.ErrBack)
				return nil
			}
		}
	}
	return m.sh.UpdateForm(msg)
}

// scrollKey reports whether a key scrolls the report or the preview
// rather than going to the form: the choices use ↑/↓ themselves, a
// confirmation does not.
func (m *Model) scrollKey(k string) bool {
	switch k {
	case "pgup", "pgdown":
		return true
	case "up", "down", "k", "j":
		return m.stage != report
	}
	return false
}

// ask shows a decision in the stage it belongs to.
func (m *Model) ask(a shell.AskMsg) tea.Cmd {
	switch q := a.Decision.(type) {
	case steps.Choice:
		if q.ID == steps.ChoiceDoctorNext {
			m.stage = report
		}
	case steps.Confirm:
		switch q.ID {
		case steps.ConfirmApplyFixes:
			m.stage = preview
		case steps.ConfirmReenable:
			m.stage = reenableAsk
		}
	}
	m.vp.GotoTop()
	return m.sh.Decide(a)
}

func (m *Model) event(ev steps.Event) tea.Cmd {
	switch ev := ev.(type) {
	case steps.Working:
		switch ev.Stage {
		case steps.StageDiagnose:
			m.stage, m.again, m.note, m.opErr = reading, false, "", nil
		case steps.StageRediagnose:
			m.stage, m.again = reading, true
		case steps.StageRepair:
			m.stage, m.applied, m.last = applying, m.plan, ev.Stage
			m.begin()
		case steps.StageReenable:
			m.stage, m.reenableWhy, m.last = reenabling, ev.Detail, ev.Stage
			m.begin()
		}
		return m.sh.SpinTick()
	case steps.Failure:
		m.stage, m.readErr = readFailed, ev.Err
	case steps.Diagnosed:
		m.report, m.readErr = ev.Report, nil
		m.plan = steps.PlanFixes(ev.Report)
	case steps.FixesPlanned:
		m.plan = ev.Plan
	case steps.FixApplied:
		m.events = append(m.events, fixLine{ok: true, text: ev.Outcome})
	case steps.FixFailed:
		m.events = append(m.events, fixLine{text: ev.Fix.Summary + ": " + ev.Err.Error()})
	case steps.StatusSeen:
		// A re-enable during IAM propagation starts a new watch each time;
		// the polls add up.
		if ev.Status.Polls < m.lastPoll {
			m.polls += m.lastPoll
		}
		m.lastPoll = ev.Status.Polls
		e := ev.Status
		m.status = &e
		if m.wait != nil && m.sh.Now().After(m.wait.Until) {
			m.wait = nil
		}
	case steps.Propagating:
		now := m.sh.Now()
		m.wait = &kit.Propagation{Until: now.Add(ev.Wait), Deadline: now.Add(ev.Remaining), Reason: ev.Reason}
	case steps.FixesDone:
		m.ran(ev.Result, ev.Err)
		done := 0
		if ev.Result != nil {
			done = len(ev.Result.Applied)
		}
		m.note = fmt.Sprintf("Applied %d of %d %s; the checks ran again.", done, ev.Planned, kit.Plural(ev.Planned, "repair", "repairs"))
	case steps.Reenabled:
		m.ran(ev.Result, ev.Err)
		switch {
		case ev.Result != nil && ev.Result.Status != "":
			m.note = "Enabled again: the export is " + string(ev.Result.Status) + "."
			if ev.Result.UserMessage != "" {
				m.note += " " + ev.Result.UserMessage
			}
		case ev.Err == nil:
			m.note = "Enabled again."
		}
	case steps.ReenableSkipped:
		m.note += " " + kit.Sentence(ev.Reason)
	case steps.Declined:
		m.note = "Nothing was changed."
	}
	return nil
}

// begin starts following repairs or a re-enable.
func (m *Model) begin() {
	m.changed = true
	m.note, m.opErr = "", nil
	m.events, m.status, m.wait = nil, nil, nil
	m.polls, m.lastPoll = 0, 0
	m.runAt, m.ranFor = m.sh.Now(), 0
}

// ran notes the end of repairs or a re-enable.
func (m *Model) ran(res *steps.FixResult, err error) {
	m.fixes = steps.MergeFixResults(m.fixes, res)
	m.ranFor = m.sh.Now().Sub(m.runAt)
	m.wait, m.opErr = nil, err
}

// done follows the dialogue's end.
func (m *Model) done(result any) tea.Cmd {
	var end steps.End
	switch r := result.(type) {
	case steps.DoctorEnd:
		end = r.End
		if r.Report != nil {
			m.report = r.Report
		}
		m.fixes = r.Fixes
	case steps.End:
		end = r
	}
	return m.End(end, m.Result(shell.OutcomeOf(end.Ending)), false)
}

// Title is the header's.
func (m *Model) Title() string { return Title }

// Busy: the checks, the repairs or the re-enable run.
func (m *Model) Busy() bool {
	return m.Conn.Busy() || m.stage == reading || m.stage == applying || m.stage == reenabling
}

// Result is the last report and what the repairs did.
func (m *Model) Result(o shell.Outcome) shell.Result {
	res := shell.Result{Outcome: o, Task: Title, Doctor: m.report, Fixes: m.fixes, Changed: m.changed, Rerun: true}
	if c := m.sh.Session.Cluster; m.sh.Session.Chosen {
		// Running the doctor again: with --fix once repairs were made,
		// since a rerun picks up where they stopped.
		res.Resume = "crdb-logexport doctor --cluster " + c.Name
		if m.changed {
			res.Resume += " --fix"
		}
	}
	if o == shell.Failed && m.stage == readFailed {
		res.Err = m.readErr
	}
	return res
}
