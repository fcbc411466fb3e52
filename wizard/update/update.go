// Package update is the interface's update task: the configuration in
// force, edited field by field (nothing untouched is lost: the whole
// configuration is sent again), the difference and the AWS changes it
// needs, then the update followed until the export is ENABLED and logs
// arrive. The dialogue is steps.RunUpdate; this package answers its
// question — what to change — with the edit screen, shows its other
// decisions as forms, and draws it.
package update

import (
	"context"
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

// Title is the update's header and its Result.Task.
const Title = "update log export"

// Config is what the update needs beside its shell.
type Config struct {
	Connect steps.ConnectTask
	// In holds the changes given as flags: the edit starts from them.
	In      steps.UpdateInput
	Options steps.UpdateOptions
	// StreamsEvery is how often the outcome refreshes the logs arriving
	// (default 2 s).
	StreamsEvery time.Duration
	// ResumeBase is the command the resume command starts with.
	ResumeBase string
}

// stage is where the update is: reading the configuration, editing it
// field by field, reviewing the difference and the AWS changes it needs,
// applying, and the outcome.
type stage int

const (
	loading stage = iota
	loadFailed
	editing
	editField
	editGroups
	editGroupAction
	// pickingRole: the roles a policy ARN given as the role is attached
	// to are looked up, then offered.
	pickingRole
	planning
	planFailed
	review
	applying
	failed
	done
)

// pane is what the review shows.
type pane int

const (
	paneChanges pane = iota
	panePolicy
)

// Model is the update task.
type Model struct {
	sh  *shell.Shell
	cfg Config
	*shell.Run

	stage stage
	// q is the dialogue's question being answered: what to change.
	q         *shell.AskMsg
	asked     bool
	target    *steps.UpdateTarget
	desired   cloudapi.LogExportSpec
	retention int
	flagsErr  error
	specErr   error

	// The edit screen's state (edit.go).
	choice string
	field  string
	draft  draft
	group  string

	roles *shell.Roles

	plan      *steps.UpdatePlan
	oldPolicy *awsiam.PolicyDocument
	pane      pane
	vp        viewport.Model
	skipAWS   bool

	progress kit.Progress
	streams  *shell.Streams
	res      *steps.UpdateResult
	err      error
	changed  bool
}

// New returns the update task on sh.
func New(sh *shell.Shell, cfg Config) *Model {
	if cfg.ResumeBase == "" {
		cfg.ResumeBase = "crdb-logexport update"
	}
	vp := viewport.New()
	vp.SoftWrap = false
	m := &Model{sh: sh, cfg: cfg, vp: vp, roles: shell.NewRoles(sh, huh.NewOption("Enter another ARN", choiceAnotherARN), huh.NewOption("Keep the role in use", choiceBack)), streams: shell.NewStreams(sh, cfg.StreamsEvery)}
	m.Run = shell.NewRun(sh, shell.TaskUpdate, shell.Follow{Event: m.event, Ask: m.ask, Submitted: m.submitted, Done: m.ended})
	return m
}

// Init starts the dialogue: connecting, then steps.RunUpdate with the
// edit screen.
func (m *Model) Init() tea.Cmd {
	cfg, menu := m.cfg, m.sh.FromMenu
	return m.Start(cfg.Connect, func(ctx context.Context, s steps.Session, p steps.Prompter, l steps.Listener) any {
		in := cfg.In
		in.Cluster = s.Cluster.ID
		nav := steps.Nav{Menu: menu, OtherCluster: cfg.Connect.ClusterRef == "" && s.Conn != nil && len(s.Conn.Clusters) > 1}
		return steps.RunUpdate(ctx, s.Env, steps.UpdateTask{In: in, Edit: true, Options: cfg.Options, Nav: nav}, p, l)
	})
}

// Update follows the dialogue, the edit screen and the keys.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := m.Route(msg, m.streams, m.roles); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if cmd, ok := m.key(msg); ok {
			return cmd
		}
	}
	return m.sh.UpdateForm(msg)
}

// key handles the keys of the edit screen's forms and of the review; it
// reports whether it did.
func (m *Model) key(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := msg.String()
	switch m.stage {
	case editField, editGroups, pickingRole:
		if k == "esc" && !m.roles.Looking() {
			if m.field == fieldGroup {
				return m.toGroups(), true
			}
			return m.toEditing(), true
		}
	case editGroupAction:
		if k == "esc" {
			return m.toGroups(), true
		}
	case review:
		switch k {
		case "esc":
			return nil, m.sh.Reply(steps.OptEdit)
		case "p":
			if m.plan.Permission != nil {
				m.pane = panePolicy
				m.vp.GotoTop()
			}
			return nil, true
		case "c":
			m.pane = paneChanges
			m.vp.GotoTop()
			return nil, true
		case "pgup", "pgdown", "home", "end":
			var cmd tea.Cmd
			m.vp, cmd = m.vp.Update(msg)
			return cmd, true
		}
	}
	return nil, false
}

// ask shows a decision of the dialogue: the edit screen for what to
// change, a form for the rest.
func (m *Model) ask(a shell.AskMsg) tea.Cmd {
	switch q := a.Decision.(type) {
	case *steps.UpdateQuestions:
		m.q = &a
		m.target, m.desired, m.retention = q.Target, q.Desired, q.RetentionDays
		m.flagsErr, m.specErr = q.FlagsErr, q.Problems
		switch {
		case m.asked || q.Changed:
			// The flags already say what to change, or an edit came back:
			// the cursor is on reviewing.
			m.choice = choiceReview
		default:
			m.choice = fieldLogGroup
		}
		m.asked = true
		return m.toEditing()
	case steps.Choice:
		switch q.ID {
		case steps.ChoiceUpdateLoadFailed:
			m.stage = loadFailed
		case steps.ChoiceUpdatePlanFailed:
			m.stage = planFailed
		case steps.ChoiceUpdateReview:
			m.stage, m.pane = review, paneChanges
			m.vp.GotoTop()
		case steps.ChoiceUpdateFailed:
			m.stage = failed
		}
	}
	return m.sh.Decide(a)
}

func (m *Model) event(ev steps.Event) tea.Cmd {
	if m.stage == applying && m.progress.Record(ev, m.sh.Now()) {
		return nil
	}
	switch ev := ev.(type) {
	case steps.Working:
		switch ev.Stage {
		case steps.StageUpdateLoad:
			m.stage = loading
		case steps.StageUpdatePlan:
			m.stage, m.err = planning, nil
		case steps.StageUpdateApply:
			m.stage, m.err, m.changed, m.res = applying, nil, true, nil
			m.progress.Reset()
			m.streams.Stop()
		}
		return m.sh.SpinTick()
	case steps.Failure:
		m.err = ev.Err
	case steps.UpdateLoaded:
		m.target = ev.Target
	case steps.UpdatePlanned:
		m.plan, m.oldPolicy = ev.Plan, ev.OldPolicy
		m.target.Current = ev.Plan.Current
	case steps.UpdateApplied:
		return m.applied(ev.Result)
	}
	return nil
}

// applied shows the outcome, and keeps the logs of the new configuration
// refreshing while it is on screen.
func (m *Model) applied(res *steps.UpdateResult) tea.Cmd {
	m.res, m.stage = res, done
	m.progress.Wait = nil
	for _, rs := range res.Streams {
		m.progress.Streams[rs.Region] = rs
	}
	if res.Status != cloudapi.StatusEnabled || len(res.Streams) == 0 {
		// Not enabled (--no-wait), or the log groups are in an account
		// this tool cannot read.
		return nil
	}
	return m.streams.Follow(m.plan.Desired.LogName, m.plan.Regions, m.progress.Streams)
}

// ended follows the dialogue's end.
func (m *Model) ended(result any) tea.Cmd {
	var end steps.End
	switch r := result.(type) {
	case steps.UpdateEnd:
		end = r.End
		if r.Result != nil {
			m.res = r.Result
		}
		if r.Target != nil {
			m.target, m.desired, m.retention, m.skipAWS = r.Target, r.Desired, r.RetentionDays, r.SkipAWS
		}
	case steps.End:
		end = r
	}
	return m.End(end, m.Result(shell.OutcomeOf(end.Ending)), true)
}

// Title is the header's.
func (m *Model) Title() string { return Title }

// Busy: reading, planning or applying.
func (m *Model) Busy() bool {
	switch m.stage {
	case loading, planning, applying:
		return true
	}
	return m.Conn.Busy() || m.roles.Looking()
}

// Result is what the update did.
func (m *Model) Result(o shell.Outcome) shell.Result {
	res := shell.Result{Outcome: o, Task: Title, Update: m.res, Changed: m.changed, Resume: m.resume()}
	if o == shell.Failed || o == shell.Aborted {
		res.Err = m.err
	}
	return res
}
