package wizard

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// flow is a task of the home menu other than setup: status, doctor,
// update, disable. The model does what every task shares — the API key,
// connecting, choosing the cluster, the header, Ctrl-C, the form plumbing —
// and hands the flow the screen once the cluster is chosen.
//
// While a flow runs (phaseFlow) every message the model does not handle
// itself reaches flow.update; a flow that shows a form sets it with
// m.setForm and forwards messages with m.updateForm, which calls
// flow.submitted once the form is complete.
type flow interface {
	// title says what the task does, for the header ("diagnose log export").
	title() string
	// start runs once the cluster is chosen (m.cluster, m.env are set).
	start(m *Model) tea.Cmd
	// update receives keys and the results of the flow's own commands.
	update(m *Model, msg tea.Msg) tea.Cmd
	// submitted acts on the flow's completed form.
	submitted(m *Model) tea.Cmd
	// body draws the flow in w columns and at most h lines.
	body(m *Model, w, h int) string
	// keys are the flow's own keys for the footer, after the form's.
	keys(m *Model) []string
	// busy reports whether the spinner should turn.
	busy() bool
	// result fills in what the flow did, once the interface ends.
	result(res *Result)
	// stop cancels what the flow has running and waits, at most limit,
	// for it to record its outcome (the journal).
	stop(limit time.Duration)
}

// startTask opens f (nil: setup) the way every task opens: the API key if
// none was given and the connection, unless already connected, then the
// cluster (the one named with --cluster, or a choice).
func (m *Model) startTask(f flow) tea.Cmd {
	m.pending = f
	if !m.connected {
		return m.startSetup()
	}
	if m.opts.Input.Cluster != "" && len(m.clusters) == 1 {
		return m.chooseCluster(m.clusters[0])
	}
	return m.toClusterList()
}

// openFlow gives the screen to f for the chosen cluster. Setup's failure
// screen opens the doctor this way too.
func (m *Model) openFlow(f flow) tea.Cmd {
	m.pending = nil
	m.flow = f
	m.phase = phaseFlow
	m.form = nil
	return tea.Batch(f.start(m), m.spin.Tick)
}

// fromMenu reports whether the interface opened on the home menu, where a
// finished task can return to it.
func (m *Model) fromMenu() bool { return m.opts.Start == StartMenu }

// backToMenu ends the current flow and shows the home menu again, still
// connected. What the flow left running is stopped first.
func (m *Model) backToMenu() tea.Cmd {
	if m.flow != nil {
		m.flow.stop(stopWait)
		m.flow = nil
	}
	m.err = nil
	m.choice = ""
	return m.toMenu()
}
