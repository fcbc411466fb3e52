// Package disable is the interface's disable task: what disabling stops
// and what cleanup could remove (only what this tool created, by its
// journal), the choice, a second confirmation naming each log group before
// any is deleted, then the DELETE followed until DISABLED and the cleanup.
// The dialogue is steps.RunDisable; this package draws it and shows its
// decisions as forms.
package disable

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
)

// Title is the disable screen's header and its Result.Task.
const Title = "disable log export"

// Config is what the disable task needs beside its shell.
type Config struct {
	Connect steps.ConnectTask
	// Preset is the choice the flags made (--cleanup, --delete-log-group):
	// the one selected first.
	Preset  steps.DisableInput
	Options steps.DisableOptions
	// ResumeBase is the command the resume command starts with
	// ("crdb-logexport disable" and the connection flags).
	ResumeBase string
}

// stage is where the disable is.
type stage int

const (
	loading stage = iota
	loadFailed
	confirm
	confirmLogGroups
	applying
	failed
	done
)

// Model is the disable task.
type Model struct {
	sh  *shell.Shell
	cfg Config
	*shell.Run

	stage    stage
	overview *steps.DisablePlan
	// choice and deleteLogGroups are the answers given; in is what they
	// confirmed (nil before).
	choice          string
	deleteLogGroups bool
	in              *steps.DisableInput

	marks     [2]kit.Mark
	status    *cloudapi.StatusEvent
	resources []cleanupLine
	res       *steps.DisableResult
	err       error
	changed   bool
}

// cleanupLine is one resource cleanup removed or kept, as it happened.
type cleanupLine struct {
	label   string
	removed bool
	reason  string
}

// New returns the disable task on sh.
func New(sh *shell.Shell, cfg Config) *Model {
	if cfg.ResumeBase == "" {
		cfg.ResumeBase = "crdb-logexport disable"
	}
	m := &Model{sh: sh, cfg: cfg}
	m.Run = shell.NewRun(sh, shell.TaskDisable, shell.Follow{Event: m.event, Ask: m.ask, Answered: m.answered, Done: m.ended})
	return m
}

// Init starts the dialogue: connecting, then steps.RunDisable.
func (m *Model) Init() tea.Cmd {
	cfg, nav := m.cfg, steps.Nav{Menu: m.sh.FromMenu}
	return m.Start(cfg.Connect, func(ctx context.Context, s steps.Session, p steps.Prompter, l steps.Listener) any {
		in := cfg.Preset
		in.Cluster = s.Cluster.ID
		return steps.RunDisable(ctx, s.Env, steps.DisableTask{In: in, Options: cfg.Options, Nav: nav}, p, l)
	})
}

// Update follows the dialogue and the keys.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := m.Route(msg); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if m.stage == confirmLogGroups && msg.String() == "esc" {
			m.sh.Reply(steps.ErrBack)
			return nil
		}
	}
	return m.sh.UpdateForm(msg)
}

// ask shows a decision in the stage it belongs to; the second
// confirmation says first, in accessible mode, what it deletes.
func (m *Model) ask(a shell.AskMsg) tea.Cmd {
	switch q := a.Decision.(type) {
	case steps.Choice:
		if q.ID == steps.ChoiceDisableWhat {
			m.stage = confirm
		}
	case steps.Confirm:
		m.stage = confirmLogGroups
		return m.sh.Decide(a, m.logGroupsNote())
	}
	return m.sh.Decide(a)
}

// answered notes the answers that make the disable's input.
func (m *Model) answered(decision, v any) {
	switch q := decision.(type) {
	case steps.Choice:
		if q.ID == steps.ChoiceDisableWhat {
			m.choice, _ = v.(string)
		}
	case steps.Confirm:
		if q.ID == steps.ConfirmDeleteLogGroups {
			m.deleteLogGroups, _ = v.(bool)
		}
	}
}

func (m *Model) event(ev steps.Event) tea.Cmd {
	switch ev := ev.(type) {
	case steps.Working:
		switch ev.Stage {
		case steps.StageDisableRead:
			m.stage = loading
		case steps.StageDisable:
			m.stage, m.err, m.changed = applying, nil, true
			in := steps.DisableInput{Cluster: m.sh.Session.Cluster.ID, Cleanup: m.choice != steps.OptDisable}
			in.DeleteLogGroups = m.choice == steps.OptCleanupLogGroups && m.deleteLogGroups
			m.in = &in
			m.marks, m.status, m.resources, m.res = [2]kit.Mark{}, nil, nil, nil
		}
		return m.sh.SpinTick()
	case steps.Failure:
		m.err = ev.Err
		m.stage = failed
		if ev.Stage == steps.StageDisableRead {
			m.stage = loadFailed
		}
	case steps.DisableOverview:
		m.overview = ev.Plan
	case steps.StepStarted:
		if mk := m.mark(ev.Step); mk != nil {
			mk.State = kit.MarkRunning
		}
	case steps.StepDone:
		if mk := m.mark(ev.Step); mk != nil {
			*mk = kit.Mark{State: kit.MarkDone, Took: ev.Took, Timed: true, Summary: ev.Summary}
		}
	case steps.StepFailed:
		if mk := m.mark(ev.Step); mk != nil {
			*mk = kit.Mark{State: kit.MarkFailed, Took: ev.Took, Timed: true}
		}
	case steps.StatusSeen:
		e := ev.Status
		m.status = &e
	case steps.ResourceRemoved:
		m.resources = append(m.resources, cleanupLine{label: ev.Label, removed: true})
	case steps.ResourceKept:
		m.resources = append(m.resources, cleanupLine{label: ev.Label, reason: ev.Reason})
	case steps.DisableApplied:
		m.res, m.stage = ev.Result, done
	}
	return nil
}

// mark is the checklist line of one of disable's two steps.
func (m *Model) mark(id string) *kit.Mark {
	switch id {
	case steps.StepDisable:
		return &m.marks[0]
	case steps.StepCleanup:
		return &m.marks[1]
	}
	return nil
}

// ended follows the dialogue's end: the outcome stays on screen until the
// person leaves it.
func (m *Model) ended(result any) tea.Cmd {
	var end steps.End
	switch r := result.(type) {
	case steps.DisableEnd:
		end = r.End
		if r.Result != nil {
			m.res = r.Result
		}
		if r.Input != nil {
			m.in = r.Input
		}
	case steps.End:
		end = r
	}
	return m.End(end, m.Result(shell.OutcomeOf(end.Ending)), true)
}

// Title is the header's.
func (m *Model) Title() string { return Title }

// Busy: the export is read, or disabled.
func (m *Model) Busy() bool { return m.Conn.Busy() || m.stage == loading || m.stage == applying }

// Result is what disabling did.
func (m *Model) Result(o shell.Outcome) shell.Result {
	res := shell.Result{Outcome: o, Task: Title, Disable: m.res, Changed: m.changed, Resume: m.resume()}
	if o == shell.Failed || o == shell.Aborted {
		res.Err = m.err
	}
	return res
}

// resume is the command that repeats the confirmed disable without
// questions ("" before one was confirmed).
func (m *Model) resume() string {
	if m.in == nil {
		return ""
	}
	cmd := m.cfg.ResumeBase + " --cluster " + steps.ShellQuote(clusterName(m.sh.Session.Cluster))
	if m.in.Cleanup {
		cmd += " --cleanup"
	}
	if m.in.DeleteLogGroups {
		cmd += " --delete-log-group"
	}
	return cmd + " --yes"
}

func clusterName(c cloudapi.Cluster) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// logGroupsNote is the second confirmation's warning, in words: what
// accessible mode says before asking.
func (m *Model) logGroupsNote() string {
	note := "Deleting a log group deletes every log event in it, for good. These log groups hold the exported logs of " + clusterName(m.sh.Session.Cluster) + ":"
	for _, g := range kit.DisableOverview(m.overview).LogGroups {
		note += "\n  " + g
	}
	return note + "\nEither way, the export is disabled and what else this tool created is removed."
}
