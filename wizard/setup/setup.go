// Package setup is the interface's guided setup: the ten documented steps
// as a checklist the user recognises, setup's questions, the plan (each
// step, the trust and permission policies) before any change, the apply
// with the export's live status and the logs arriving, and what follows
// a failure — diagnose, retry, roll back, change the answers — or the
// summary with the values worth keeping. The dialogue is steps.RunSetup;
// this package asks its questions, shows its other decisions as forms, and
// draws it.
package setup

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
)

// Title is setup's header and its Result.Task.
const Title = "set up log export to CloudWatch"

// Config is what setup needs beside its shell.
type Config struct {
	Connect steps.ConnectTask
	// Input holds the answers given as flags: the questions start from
	// them, and the settings only flags give (channels, redaction, export
	// region) are kept.
	Input steps.SetupInput
	Apply steps.SetupOptions
	// StreamsEvery is how often the summary refreshes the logs arriving in
	// each region (default 2 s).
	StreamsEvery time.Duration
	// ResumeBase is the command the resume command starts with
	// ("crdb-logexport setup" and the connection flags).
	ResumeBase string
}

// stage is where setup is once connected.
type stage int

const (
	asking stage = iota
	// pickingRole: the roles a pasted policy ARN is attached to are
	// looked up, then offered.
	pickingRole
	// resumeOffer: an unfinished setup of the cluster is offered.
	resumeOffer
	preparing
	prepareFailed
	planned
	applying
	failed
	rollbackPreview
	rollbackConfirm
	rollingBack
	summary
)

var stageNames = [...]string{"asking", "pickingRole", "resumeOffer", "preparing", "prepareFailed", "planned", "applying", "failed", "rollbackPreview", "rollbackConfirm", "rollingBack", "summary"}

func (s stage) String() string { return stageNames[s] }

// planPane is what the plan screen shows.
type planPane int

const (
	paneSteps planPane = iota
	paneTrust
	panePermission
	paneCount
)

// Model is the setup task.
type Model struct {
	sh  *shell.Shell
	cfg Config
	*shell.Run

	stage stage
	// q is the dialogue's question being answered: setup's answers.
	q        *shell.AskMsg
	ans      answers
	answered bool
	qi       int
	roles    *shell.Roles

	plan *steps.SetupPlan
	pane planPane
	vp   viewport.Model

	progress     kit.Progress
	changed      bool
	result       *steps.SetupResult
	err          error
	rollbackList []steps.Resource
	previewed    bool
	rollbackRes  *steps.RollbackResult
	rollbackErr  error
	streams      *shell.Streams
	ticking      bool
	flash        string
	// conflict is the plan's conflict the question on screen was
	// reopened for.
	conflict  string
	conflictQ int
	// firstField is the first field of the question on screen: shift+tab
	// from it goes back a question.
	firstField huh.Field
}

// New returns setup on sh.
func New(sh *shell.Shell, cfg Config) *Model {
	cfg.Connect.ForSetup = true
	if cfg.ResumeBase == "" {
		cfg.ResumeBase = "crdb-logexport setup"
	}
	vp := viewport.New()
	vp.SoftWrap = false
	m := &Model{sh: sh, cfg: cfg, vp: vp, ans: newAnswers(cfg.Input), roles: shell.NewRoles(sh, huh.NewOption("Enter another ARN", pickAnother), huh.NewOption("Let setup create a role instead", pickCreate)), streams: shell.NewStreams(sh, cfg.StreamsEvery)}
	m.Run = shell.NewRun(sh, shell.TaskSetup, shell.Follow{Event: m.event, Ask: m.ask, Submitted: m.submitted, Done: m.ended})
	return m
}

// Messages of setup's own commands.
type (
	tickMsg time.Time
)

// Init starts the dialogue: connecting, then steps.RunSetup with the
// questions.
func (m *Model) Init() tea.Cmd {
	cfg := m.cfg
	return m.Start(cfg.Connect, func(ctx context.Context, s steps.Session, p steps.Prompter, l steps.Listener) any {
		in := cfg.Input
		in.Cluster = s.Cluster.ID
		return steps.RunSetup(ctx, s.Env, steps.SetupTask{Input: in, Cluster: s.Cluster, Ask: true, Apply: cfg.Apply}, p, l)
	})
}

// Update follows the dialogue, the questions and the keys.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := m.Route(msg, m.streams, m.roles); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case tickMsg:
		if m.stage != applying && m.stage != summary {
			m.ticking = false
			return nil
		}
		return tick()
	case tea.WindowSizeMsg:
		m.layoutPlan()
		cmd := m.sh.UpdateForm(msg)
		m.fitConflict()
		return cmd
	case tea.KeyPressMsg:
		m.flash = ""
		if cmd, ok := m.key(msg); ok {
			return cmd
		}
	}
	return m.sh.UpdateForm(msg)
}

// key handles the plan's and the summary's keys; it reports whether it
// did.
func (m *Model) key(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	switch k := msg.String(); m.stage {
	case asking, pickingRole:
		// Esc goes back one question; so does shift+tab from the first
		// field of one (from another, it is the form's own: the field
		// before).
		back := k == "esc" || k == "shift+tab" && (m.stage == pickingRole || m.sh.Form() != nil && m.sh.Form().GetFocusedField() == m.firstField)
		if !back {
			return nil, false
		}
		if m.stage == pickingRole {
			return m.askQuestion(questionIndex(qRoleARN)), true
		}
		if i := prevQuestion(m.qi, &m.ans, m.cluster()); i >= 0 {
			return m.askQuestion(i), true
		}
		m.flash = "This is the first question: ctrl+c quits, nothing has been changed yet."
		return nil, true
	case planned:
		switch k {
		case "tab", "shift+tab":
			step := planPane(1)
			if k == "shift+tab" {
				step = paneCount - 1
			}
			m.setPane((m.pane + step) % paneCount)
			return nil, true
		case "t":
			m.setPane(paneTrust)
			return nil, true
		case "p":
			m.setPane(panePermission)
			return nil, true
		case "s", "esc":
			m.setPane(paneSteps)
			return nil, true
		case "e":
			return nil, m.sh.Key(k) || m.sh.Offers(steps.OptEdit) && m.sh.Reply(steps.OptEdit)
		case "up", "down", "k", "j":
			if !m.sh.Offers(steps.OptApply) {
				// The choice's own keys.
				return nil, false
			}
			fallthrough
		case "pgup", "pgdown", "home", "end":
			var cmd tea.Cmd
			m.vp, cmd = m.vp.Update(msg)
			return cmd, true
		}
	case summary:
		if len(k) == 1 && k[0] >= '1' && k[0] <= '9' {
			return m.copyValue(int(k[0] - '1')), true
		}
	}
	return nil, false
}

// ask shows a decision of the dialogue: the questions, or a form.
func (m *Model) ask(a shell.AskMsg) tea.Cmd {
	switch q := a.Decision.(type) {
	case *steps.SetupQuestions:
		m.q = &a
		if !m.answered {
			m.startAnswers(q.Input)
		}
		m.ans.forCluster(q.Cluster)
		first := nextQuestion(-1, &m.ans, m.cluster())
		// Editing after a conflict starts at the question that caused
		// it, its value cleared and the conflict said above it.
		conflict := ""
		if m.plan != nil {
			if c := m.plan.Conflicts(); len(c) > 0 {
				if i := m.ans.clearConflict(c[0], m.cluster()); i >= 0 {
					first, conflict = i, c[0].Summary
				}
			}
		}
		m.plan, m.pane = nil, paneSteps
		m.conflict, m.conflictQ = conflict, first
		cmd := m.askQuestion(first)
		m.fitConflict()
		return cmd
	case steps.Choice:
		switch q.ID {
		case steps.ChoiceSetupResume:
			m.stage = resumeOffer
		case steps.ChoiceSetupPrepareFailed:
			m.stage = prepareFailed
		case steps.ChoiceSetupPlan:
			m.stage, m.pane = planned, paneSteps
			cmd := m.sh.Decide(a)
			if q.Has(steps.OptApply) {
				// One line, as the plan needs every other: changing the
				// answers is a key.
				cmd = m.sh.DecideAsConfirm(a, steps.Confirm{Title: q.Title, Yes: q.Label(steps.OptApply), No: "Cancel", Default: true},
					steps.OptApply, steps.OptQuit, map[string]string{"e": steps.OptEdit})
			}
			m.layoutPlan()
			m.vp.GotoTop()
			m.showConflict()
			return cmd
		case steps.ChoiceSetupFailed:
			m.stage = failed
		}
	case steps.Confirm:
		m.stage = rollbackConfirm
	}
	return m.sh.Decide(a)
}

func (m *Model) cluster() cloudapi.Cluster { return m.sh.Session.Cluster }

// startAnswers starts the answers from in (the flags, or an unfinished
// setup's answers).
func (m *Model) startAnswers(in steps.SetupInput) {
	m.ans, m.answered = newAnswers(in), true
	if c := m.sh.Session.Conn; c != nil {
		m.ans.account = c.Caller.Account
	}
}

// askQuestion shows question i, or answers the dialogue's question when
// all are answered.
func (m *Model) askQuestion(i int) tea.Cmd {
	if i >= len(questions) {
		a := m.q
		m.q = nil
		a.Decision.(*steps.SetupQuestions).Input = m.ans.input(m.cfg.Input, m.cluster())
		m.sh.SetForm(nil)
		m.stage = preparing
		a.Reply(nil)
		return m.sh.SpinTick()
	}
	if i != m.conflictQ {
		m.conflict = ""
	}
	m.qi = i
	m.stage = asking
	q := questions[i]
	note := fmt.Sprintf("Step %d: %s.", steps.StepNumber(q.step), steps.StepTitle(q.step))
	if m.conflict != "" {
		note += "\nThe plan had a conflict here: " + m.conflict + " Choose another value."
	}
	cmd := m.sh.SetForm(q.build(m.sh.Forms, &m.ans, m.cluster(), destinationRegions(m.cfg.Input, m.cluster())), note)
	m.firstField = m.sh.Form().GetFocusedField()
	return cmd
}

// submitted acts on a completed question or role pick.
func (m *Model) submitted() tea.Cmd {
	switch m.stage {
	case asking:
		q := questions[m.qi]
		if q.id == qLogGroup && strings.TrimSpace(m.ans.logGroup) == "" {
			// An empty answer keeps the name shown.
			m.ans.logGroup = m.ans.defaultLogGroup
		}
		if q.id == qRoleARN && awsiam.Classify(strings.TrimSpace(m.ans.roleARN)) == awsiam.KindPolicy {
			return m.lookupRoles(strings.TrimSpace(m.ans.roleARN))
		}
		return m.askQuestion(nextQuestion(m.qi, &m.ans, m.cluster()))
	case pickingRole:
		switch m.roles.Pick {
		case pickAnother:
			m.ans.roleARN = ""
			return m.askQuestion(questionIndex(qRoleARN))
		case pickCreate:
			m.ans.roleMode, m.ans.roleARN = roleCreate, ""
			if m.ans.extChoice == steps.ExternalIDNone {
				m.ans.extChoice = steps.ExternalIDAuto
			}
			return m.askQuestion(questionIndex(qRoleNames))
		}
		m.ans.roleARN = m.roles.Pick
		return m.askQuestion(nextQuestion(questionIndex(qRoleARN), &m.ans, m.cluster()))
	}
	return nil
}

// lookupRoles follows a policy ARN pasted where the role ARN belongs: the
// roles it is attached to are looked up, to be offered.
func (m *Model) lookupRoles(arn string) tea.Cmd {
	m.stage = pickingRole
	return m.roles.Look(arn)
}

func (m *Model) event(ev steps.Event) tea.Cmd {
	if m.stage == applying && m.progress.Record(ev, m.sh.Now()) {
		return nil
	}
	switch ev := ev.(type) {
	case steps.Working:
		switch ev.Stage {
		case steps.StagePrepare:
			m.stage, m.err = preparing, nil
		case steps.StageApply:
			m.stage, m.err, m.changed, m.result = applying, nil, true, nil
			m.progress.Reset()
			m.streams.Stop()
			return tea.Batch(m.sh.SpinTick(), m.startTicking())
		case steps.StageRollbackRead:
			m.stage, m.rollbackErr = rollbackPreview, nil
		case steps.StageRollback:
			m.stage = rollingBack
		}
		return m.sh.SpinTick()
	case steps.Failure:
		m.err = ev.Err
	case steps.SetupPlanned:
		m.plan = ev.Plan
	case steps.SetupResuming:
		// The answers are the unfinished setup's: what a rerun repeats,
		// and where editing them starts.
		m.startAnswers(ev.Input)
		m.ans.forCluster(m.cluster())
	case steps.SetupApplied:
		return m.applied(ev.Result)
	case steps.RollbackPreviewed:
		m.rollbackList, m.previewed = ev.Resources, true
	case steps.RolledBack:
		if ev.Result.Removed != nil || ev.Result.Kept != nil {
			res := ev.Result
			m.rollbackRes = &res
		}
		m.rollbackErr = ev.Err
	}
	return nil
}

// applied shows the summary, and keeps the logs refreshing while it is
// on screen.
func (m *Model) applied(res *steps.SetupResult) tea.Cmd {
	m.result, m.stage = res, summary
	m.progress.Wait = nil
	for _, rs := range res.Streams {
		m.progress.Streams[rs.Region] = rs
	}
	cmds := []tea.Cmd{m.startTicking()}
	if res.Status == cloudapi.StatusEnabled {
		cmds = append(cmds, m.streams.Follow(res.LogGroup, res.Regions, m.progress.Streams))
	}
	return tea.Batch(cmds...)
}

func (m *Model) startTicking() tea.Cmd {
	if m.ticking || m.sh.Accessible {
		return nil
	}
	m.ticking = true
	return tick()
}

// tick redraws elapsed times and ages every second.
func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// ended follows the dialogue's end: the doctor, the summary, or the end.
func (m *Model) ended(result any) tea.Cmd {
	var end steps.End
	switch r := result.(type) {
	case steps.SetupEnd:
		end = r.End
		if r.Result != nil {
			m.result = r.Result
		}
		if r.Rollback != nil {
			m.rollbackRes = r.Rollback
		}
	case steps.End:
		end = r
	}
	return m.End(end, m.Result(shell.OutcomeOf(end.Ending)), true)
}

func (m *Model) copyValue(i int) tea.Cmd {
	vals := m.summaryValues()
	if i < 0 || i >= len(vals) {
		return nil
	}
	m.flash = "Copied the " + vals[i].label + " to the clipboard (OSC 52, if the terminal allows it)."
	return tea.SetClipboard(vals[i].value)
}

// Title is the header's.
func (m *Model) Title() string { return Title }

// Busy: connecting, reading, applying or rolling back.
func (m *Model) Busy() bool {
	switch m.stage {
	case preparing, applying, rollbackPreview, rollingBack:
		return true
	}
	if m.roles.Looking() {
		return true
	}
	return m.Conn.Busy()
}

// Result is what setup did, and the command that resumes or repeats it.
func (m *Model) Result(o shell.Outcome) shell.Result {
	res := shell.Result{Outcome: o, Task: Title, Setup: m.result, Changed: m.changed, Rollback: m.rollbackRes, Resume: m.resume()}
	if o == shell.Failed || o == shell.Aborted {
		res.Err = m.err
	}
	return res
}

// resume is the command that resumes or repeats this setup ("" before a
// cluster was chosen).
func (m *Model) resume() string {
	if m.Conn.Active() {
		return ""
	}
	return resumeCommand(m.cfg.ResumeBase, m.ans.input(m.cfg.Input, m.cluster()), m.cluster())
}
