package wizard

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
)

// menuEntry is one entry of the home menu: a task, each opened through its
// flow (setup is the model's own); the last entry leaves.
type menuEntry struct {
	id    string
	title string
	desc  string
	// startAs is the Options.Start that opens this entry directly, without
	// the menu (the command of the same name on a terminal).
	startAs Start
	// start opens the flow; nil leaves the interface.
	start func(m *Model) tea.Cmd
	// accessible runs the task line by line (RunAccessible) once connected
	// and a cluster is chosen; nil for setup, whose line-by-line form is
	// the accessible type's own.
	accessible func(a *accessible, ctx context.Context) (Result, error)
	// task is the task of its own package the entry opens (bridge.go).
	task string
}

func menuEntries() []menuEntry {
	return []menuEntry{
		{id: "setup", title: "Set up", desc: "log export of a cluster to CloudWatch, step by step", startAs: StartSetup, start: func(m *Model) tea.Cmd { return m.startTask(nil) }},
		{id: "status", title: "Check status", desc: "a cluster's export, followed live", startAs: StartStatus, start: func(m *Model) tea.Cmd { return m.startProgram(shell.TaskStatus, false) }, task: shell.TaskStatus},
		{id: "doctor", title: "Diagnose", desc: "find what is wrong with a cluster's export and fix it", startAs: StartDoctor, start: func(m *Model) tea.Cmd { return m.startProgram(shell.TaskDoctor, false) }, task: shell.TaskDoctor},
		{id: "update", title: "Update", desc: "change an export's log group, role, redaction, channels or groups", startAs: StartUpdate, start: func(m *Model) tea.Cmd { return m.startProgram(shell.TaskUpdate, false) }, task: shell.TaskUpdate},
		{id: "disable", title: "Disable", desc: "stop exporting, optionally removing what this tool created", startAs: StartDisable, start: func(m *Model) tea.Cmd { return m.startProgram(shell.TaskDisable, false) }, task: shell.TaskDisable},
		{id: "quit", title: "Quit"},
	}
}
