package wizard

import tea "charm.land/bubbletea/v2"

// menuEntry is one entry of the home menu. Each flow the tool offers adds
// its entry here (status, doctor, update and disable join setup as they
// are built); the last entry leaves.
type menuEntry struct {
	id    string
	title string
	desc  string
	// start opens the flow; nil leaves the interface.
	start func(m *Model) tea.Cmd
}

func menuEntries() []menuEntry {
	return []menuEntry{
		{id: "setup", title: "Set up", desc: "log export of a cluster to CloudWatch, step by step", start: (*Model).startSetup},
		{id: "quit", title: "Quit"},
	}
}
