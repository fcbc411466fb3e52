// Package menu is the interface's home menu: the tasks it offers, one of
// which it opens.
package menu

import (
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
)

// Title is the menu's header.
const Title = "CockroachDB Cloud log export to CloudWatch"

// Entry is a task the menu offers; an empty Task leaves.
type Entry struct {
	Task  string
	Title string
	Desc  string
}

// Model is the home menu.
type Model struct {
	sh      *shell.Shell
	entries []Entry
	choice  string
}

// New returns the menu offering entries on sh.
func New(sh *shell.Shell, entries []Entry) *Model { return &Model{sh: sh, entries: entries} }

// Init shows the choice.
func (m *Model) Init() tea.Cmd {
	opts := make([]huh.Option[string], len(m.entries))
	for i, e := range m.entries {
		label := e.Title
		if e.Desc != "" {
			label += " — " + e.Desc
		}
		opts[i] = huh.NewOption(label, e.Task)
	}
	m.choice = m.entries[0].Task
	sel := huh.NewSelect[string]().Title("What would you like to do?").Options(opts...).Value(&m.choice)
	return m.sh.SetForm(m.sh.Forms.Form(huh.NewGroup(sel)))
}

// Update opens the task chosen; q and esc leave.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok && (k.String() == "q" || k.String() == "esc") && !m.sh.Typing() {
		m.sh.SetForm(nil)
		return shell.Finish(shell.Result{Outcome: shell.Left})
	}
	if done, ok := msg.(shell.FormDoneMsg); ok {
		if !m.sh.Done(done) {
			return nil
		}
		m.sh.SetForm(nil)
		if m.choice == "" {
			return shell.Finish(shell.Result{Outcome: shell.Left})
		}
		return shell.Open(m.choice, false)
	}
	return m.sh.UpdateForm(msg)
}

// View is a line of what the tool does, and the choice.
func (m *Model) View(w, _ int) string {
	intro := m.sh.Styles.Faint.Render("Sets up, checks and repairs CockroachDB Cloud log export: the CloudWatch log group, the cross-account IAM role and its policy, and the export itself.")
	return kit.Wrap(intro, w) + "\n\n" + m.sh.FormView()
}

// Title is the header's.
func (m *Model) Title() string { return Title }

// Keys are the menu's.
func (m *Model) Keys() []string { return []string{"q quit"} }

// Busy: the menu waits for nothing.
func (m *Model) Busy() bool { return false }

// Result: leaving the menu did nothing.
func (m *Model) Result(o shell.Outcome) shell.Result { return shell.Result{Outcome: o} }

// Stop: nothing runs.
func (m *Model) Stop(time.Duration) {}
