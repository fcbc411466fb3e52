package wizard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
)

// phase is where the interface is. The home menu is one phase; setup is
// the sequence from phaseAPIKey to phaseSummary.
type phase int

const (
	phaseMenu phase = iota
	phaseAPIKey
	phaseConnecting
	phaseConnectFailed
	phaseCluster
	phaseNotApplicable
	phaseQuestion
	phaseRoleLookup
	phaseRolePick
	phasePreparing
	phasePrepareFailed
	phasePlan
	phaseApplying
	phaseFailed
	phaseRollbackPreview
	phaseRollbackConfirm
	phaseRollingBack
	phaseRolledBack
	phaseSummary
	// phaseFlow: a task other than setup has the screen (see flow).
	phaseFlow
	// phaseProgram: a task of its own package has the screen (bridge.go).
	phaseProgram
)

// planPane is what the plan screen shows.
type planPane int

const (
	paneSteps planPane = iota
	paneTrust
	panePermission
)

// propagation is a wait for IAM to propagate a new or changed role.
type propagation struct {
	until    time.Time
	deadline time.Time
	reason   string
}

// Model is the interface's single top-level model: the home menu and every
// phase of setup. Components (forms, spinner, viewport) are embedded and
// updated like any other; all I/O happens in commands.
type Model struct {
	opts   Options
	styles *Styles
	kit    formKit

	width, height int
	phase         phase
	form          *huh.Form
	spin          spinner.Model
	vp            viewport.Model
	pane          planPane

	ctx    context.Context
	cancel context.CancelFunc

	// What the setup has learned and been told.
	env        *steps.Env
	org        cloudapi.Organization
	caller     awsiam.Identity
	connected  bool
	clusters   []cloudapi.Cluster
	cluster    cloudapi.Cluster
	hasCluster bool
	ans        answers
	in         steps.SetupInput
	qi         int
	roles      []string
	rolesErr   error
	rolesFor   string
	choice     string
	confirm    bool
	plan       *steps.Plan
	prepSeq    int
	archived   bool // --from-scratch has moved the old journal aside
	autoApply  bool
	err        error // the failure on screen (connect, prepare, apply)

	// Applying.
	applyProgress
	runSeq     int
	changed    bool
	streamsSeq int
	ticking    bool
	result     *steps.SetupResult

	rollbackRunID string
	rollbackList  []steps.Resource
	rollbackRes   *steps.RollbackResult
	rollbackErr   error

	// flow is the task other than setup that has the screen; pending is
	// the one chosen in the menu while the connection and the cluster
	// choice it needs come first.
	flow    flow
	pending flow
	// prog has the screen in phaseProgram; stopped are programs that gave
	// it back, still to be stopped at the end.
	prog    *shell.Program
	stopped []*shell.Program

	flash string
	final *Result
	// bg is the terminal's background colour once known: forms made later
	// need it too, to pick their light or dark colours.
	bg *tea.BackgroundColorMsg
}

// New returns the model for opts; ctx bounds every call it makes.
func New(ctx context.Context, opts Options) *Model {
	ctx, cancel := context.WithCancel(ctx)
	st := newStyles()
	m := &Model{
		opts:   opts,
		styles: st,
		kit:    formKit{styles: st},
		width:  opts.Width,
		height: opts.Height,
		ctx:    ctx,
		cancel: cancel,
		ans:    newAnswers(opts.Input),
		spin:   spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(st.Spinner)),
		vp:     viewport.New(),
	}
	m.vp.SoftWrap = false
	return m
}

// Init opens the menu or the setup.
func (m *Model) Init() tea.Cmd {
	if m.opts.Start != StartMenu {
		for _, e := range menuEntries() {
			if e.startAs == m.opts.Start && e.start != nil {
				return tea.Batch(tea.RequestBackgroundColor, e.start(m))
			}
		}
	}
	return tea.Batch(tea.RequestBackgroundColor, m.toMenu())
}

// Update routes a message: global keys and sizes first, then results of
// commands, then whatever the current phase's components make of it.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.final != nil {
		return m, nil
	}
	if m.phase == phaseProgram {
		if ws, ok := msg.(tea.WindowSizeMsg); ok {
			m.width, m.height = ws.Width, ws.Height
		}
		return m, m.programUpdate(msg)
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.resize()
		return m, nil
	case tea.BackgroundColorMsg:
		m.bg = &msg
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+c" {
			return m, m.interrupt()
		}
		m.flash = ""
		return m, m.key(msg)
	case spinner.TickMsg:
		if !m.busy() {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case tickMsg:
		if m.phase != phaseApplying && m.phase != phaseSummary {
			m.ticking = false
			return m, nil
		}
		return m, tick()
	case connectedMsg:
		return m, m.onConnected(msg)
	case rolesMsg:
		return m, m.rolesFound(msg)
	case planMsg:
		return m, m.planned(msg)
	case stepStartedMsg, stepDoneMsg, stepFailedMsg, statusMsg, propagationMsg, regionStreamsMsg, applyDoneMsg:
		if m.phase == phaseFlow {
			// A flow's own run reports through an applyRun too.
			return m, m.flow.update(m, msg)
		}
		return m, m.progress(msg)
	case rollbackPreviewMsg:
		return m, m.rollbackPreviewed(msg)
	case rollbackDoneMsg:
		return m, m.rolledBack(msg)
	case streamsMsg:
		if msg.seq != m.streamsSeq || m.result == nil {
			return m, nil
		}
		for _, rs := range msg.streams {
			m.streams[rs.Region] = rs
		}
		return m, streamsDue(m.opts.streamsEvery(), m.streamsSeq)
	case streamsDueMsg:
		if msg.seq != m.streamsSeq || m.result == nil {
			return m, nil
		}
		return m, pollStreams(m.ctx, m.env, m.result.LogGroup, m.result.Regions, m.streamsSeq)
	}
	if m.phase == phaseFlow {
		return m, m.flow.update(m, msg)
	}
	return m, m.updateForm(msg)
}

// busy reports whether the current phase shows a spinner.
func (m *Model) busy() bool {
	switch m.phase {
	case phaseConnecting, phaseRoleLookup, phasePreparing, phaseApplying, phaseRollbackPreview, phaseRollingBack:
		return true
	case phaseFlow:
		return m.flow.busy()
	}
	return false
}

// key handles the keys a phase uses itself; the rest go to its form.
func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	switch m.phase {
	case phaseFlow:
		return m.flow.update(m, msg)
	case phasePlan:
		switch msg.String() {
		case "t":
			m.setPane(paneTrust)
			return nil
		case "p":
			m.setPane(panePermission)
			return nil
		case "s", "esc":
			m.setPane(paneSteps)
			return nil
		case "e":
			return m.editAnswers()
		case "up", "down", "pgup", "pgdown", "home", "end", "k", "j":
			if len(m.plan.Conflicts()) == 0 || strings.HasPrefix(msg.String(), "pg") || msg.String() == "home" || msg.String() == "end" {
				var cmd tea.Cmd
				m.vp, cmd = m.vp.Update(msg)
				return cmd
			}
		}
	case phaseSummary:
		switch s := msg.String(); s {
		case "q", "enter", "esc":
			return m.finish(Completed)
		default:
			if len(s) == 1 && s[0] >= '1' && s[0] <= '9' {
				return m.copyValue(int(s[0] - '1'))
			}
		}
		return nil
	case phaseConnecting, phaseRoleLookup, phasePreparing, phaseApplying, phaseRollbackPreview, phaseRollingBack:
		return nil
	}
	return m.updateForm(msg)
}

// updateForm forwards a message to the current form and acts once the
// form is submitted.
func (m *Model) updateForm(msg tea.Msg) tea.Cmd {
	if m.form == nil {
		return nil
	}
	f, cmd := m.form.Update(msg)
	if form, ok := f.(*huh.Form); ok {
		m.form = form
	}
	switch m.form.State {
	case huh.StateCompleted:
		return tea.Batch(cmd, m.submitted())
	case huh.StateAborted:
		return m.interrupt()
	}
	return cmd
}

// setForm makes f the current form, sized to the space the phase leaves.
func (m *Model) setForm(f *huh.Form) tea.Cmd {
	m.form = f
	if f == nil {
		return nil
	}
	if m.bg != nil {
		f.Update(*m.bg)
	}
	cmd := f.Init()
	m.resize()
	return cmd
}

// resize fits the components to the terminal.
func (m *Model) resize() {
	w := m.contentWidth()
	if m.form != nil {
		m.form.Update(tea.WindowSizeMsg{Width: w, Height: m.formHeight()})
	}
	if m.phase == phasePlan {
		m.layoutPlan()
	}
}

func (m *Model) contentWidth() int {
	w := m.width
	if w <= 0 {
		w = 80
	}
	return min(w, 100)
}

func (m *Model) termHeight() int {
	if m.height <= 0 {
		return 24
	}
	return m.height
}

// submitted moves on once the current form is complete.
func (m *Model) submitted() tea.Cmd {
	switch m.phase {
	case phaseMenu:
		for _, e := range menuEntries() {
			if e.id == m.choice {
				if e.start == nil {
					return m.finish(Left)
				}
				return e.start(m)
			}
		}
		return m.finish(Left)
	case phaseAPIKey:
		return m.beginConnect()
	case phaseConnectFailed:
		switch m.choice {
		case choiceRetry:
			return m.beginConnect()
		case choiceRekey:
			m.ans.apiKey = ""
			m.phase = phaseAPIKey
			return m.setForm(apiKeyForm(m.kit, &m.ans.apiKey))
		}
		return m.finish(Aborted)
	case phaseCluster:
		for _, c := range m.clusters {
			if c.ID == m.ans.clusterID {
				return m.chooseCluster(c)
			}
		}
		return nil
	case phaseNotApplicable:
		if m.choice == choiceOther {
			return m.toClusterList()
		}
		// Setup cannot be done here; there is nothing to resume.
		m.err = fmt.Errorf("%w: %v", steps.ErrNotApplicable, m.err)
		m.hasCluster = false
		return m.finish(Failed)
	case phaseQuestion:
		return m.answered()
	case phaseRolePick:
		return m.rolePicked()
	case phasePrepareFailed:
		switch m.choice {
		case choiceRetry:
			return m.beginPrepare(false)
		case choiceEdit:
			return m.editAnswers()
		}
		return m.finish(Aborted)
	case phasePlan:
		if len(m.plan.Conflicts()) > 0 {
			if m.choice == choiceEdit {
				return m.editAnswers()
			}
			return m.finish(Aborted)
		}
		if !m.confirm {
			return m.finish(Aborted)
		}
		return m.beginApply()
	case phaseFailed:
		switch m.choice {
		case choiceRetry:
			return m.beginPrepare(true)
		case choiceRollback:
			m.phase = phaseRollbackPreview
			m.form = nil
			return tea.Batch(previewRollback(m.env, m.cluster.ID), m.spin.Tick)
		case choiceDoctor:
			return m.startProgram(shell.TaskDoctor, true)
		}
		return m.finish(Failed)
	case phaseRollbackConfirm:
		if len(m.rollbackList) == 0 || !m.confirm {
			return m.toFailed()
		}
		m.phase = phaseRollingBack
		m.form = nil
		return tea.Batch(rollback(m.ctx, m.env, m.cluster.ID, m.rollbackRunID), m.spin.Tick)
	case phaseRolledBack:
		return m.finish(Failed)
	case phaseFlow:
		return m.flow.submitted(m)
	}
	return nil
}

func (m *Model) toMenu() tea.Cmd {
	m.phase = phaseMenu
	entries := menuEntries()
	opts := make([]huh.Option[string], len(entries))
	for i, e := range entries {
		label := e.title
		if e.desc != "" {
			label += " — " + e.desc
		}
		opts[i] = huh.NewOption(label, e.id)
	}
	return m.setForm(choiceForm(m.kit, "What would you like to do?", &m.choice, opts...))
}

// startSetup begins the setup: the API key if none was given, then the
// connection.
func (m *Model) startSetup() tea.Cmd {
	if m.opts.APIKeySource == "" {
		m.phase = phaseAPIKey
		return m.setForm(apiKeyForm(m.kit, &m.ans.apiKey))
	}
	return m.beginConnect()
}

func (m *Model) beginConnect() tea.Cmd {
	m.phase = phaseConnecting
	m.form = nil
	m.err = nil
	key := strings.TrimSpace(m.ans.apiKey)
	return tea.Batch(connect(m.ctx, m.opts.Connect, key, m.opts.Input.Cluster), m.spin.Tick)
}

func (m *Model) onConnected(msg connectedMsg) tea.Cmd {
	if m.phase != phaseConnecting {
		return nil
	}
	if msg.err != nil {
		m.err = msg.err
		m.phase = phaseConnectFailed
		opts := []huh.Option[string]{huh.NewOption("Try again", choiceRetry)}
		if m.opts.APIKeySource == "" && cloudapi.IsUnauthenticated(msg.err) {
			opts = []huh.Option[string]{huh.NewOption("Enter the API key again", choiceRekey), opts[0]}
		}
		opts = append(opts, huh.NewOption("Quit", choiceQuit))
		return m.setForm(choiceForm(m.kit, "What now?", &m.choice, opts...))
	}
	// The key has served its purpose: the client holds it, the model need not.
	m.ans.apiKey = ""
	m.env, m.org, m.caller, m.connected = msg.env, msg.org, msg.caller, true
	m.clusters = msg.clusters
	if m.opts.Input.Cluster != "" && len(msg.clusters) == 1 {
		return m.chooseCluster(msg.clusters[0])
	}
	return m.toClusterList()
}

func (m *Model) toClusterList() tea.Cmd {
	m.phase = phaseCluster
	m.hasCluster = false
	if m.ans.clusterID == "" {
		m.ans.clusterID = defaultCluster(m.clusters)
	}
	if len(m.clusters) == 0 {
		m.err = errors.New("the API key's organization has no clusters")
		m.phase = phaseConnectFailed
		return m.setForm(choiceForm(m.kit, "What now?", &m.choice, huh.NewOption("Try again", choiceRetry), huh.NewOption("Quit", choiceQuit)))
	}
	return m.setForm(clusterForm(m.kit, m.clusters, &m.ans.clusterID, m.formHeight()-4))
}

func (m *Model) chooseCluster(c cloudapi.Cluster) tea.Cmd {
	m.cluster, m.hasCluster = c, true
	if m.pending != nil {
		return m.openFlow(m.pending)
	}
	if err := c.CheckCloudWatch(); err != nil {
		m.err = err
		m.phase = phaseNotApplicable
		opts := []huh.Option[string]{}
		if m.opts.Input.Cluster == "" && len(m.clusters) > 1 {
			opts = append(opts, huh.NewOption("Choose another cluster", choiceOther))
		}
		opts = append(opts, huh.NewOption("Quit", choiceQuit))
		return m.setForm(choiceForm(m.kit, "What now?", &m.choice, opts...))
	}
	m.ans.forCluster(c)
	return m.ask(nextQuestion(-1, &m.ans, c))
}

// ask shows question i, or prepares the plan when all are answered.
func (m *Model) ask(i int) tea.Cmd {
	if i >= len(questions) {
		return m.beginPrepare(false)
	}
	m.qi = i
	m.phase = phaseQuestion
	q := questions[i]
	return m.setForm(q.build(m.kit, &m.ans, m.cluster, destinationRegions(m.opts.Input, m.cluster)))
}

func (m *Model) answered() tea.Cmd {
	q := questions[m.qi]
	if q.id == qRoleARN && awsiam.Classify(strings.TrimSpace(m.ans.roleARN)) == awsiam.KindPolicy {
		m.phase = phaseRoleLookup
		m.form = nil
		m.rolesFor = strings.TrimSpace(m.ans.roleARN)
		return tea.Batch(lookupRoles(m.ctx, m.env, m.rolesFor), m.spin.Tick)
	}
	return m.ask(nextQuestion(m.qi, &m.ans, m.cluster))
}

func (m *Model) rolesFound(msg rolesMsg) tea.Cmd {
	if m.phase != phaseRoleLookup || msg.policyARN != m.rolesFor {
		return nil
	}
	m.roles, m.rolesErr = msg.roles, msg.err
	m.phase = phaseRolePick
	return m.setForm(rolePickForm(m.kit, &m.ans, msg.roles))
}

func (m *Model) rolePicked() tea.Cmd {
	switch m.ans.rolePick {
	case pickAnother:
		m.ans.roleARN = ""
		return m.ask(questionIndex(qRoleARN))
	case pickCreate:
		m.ans.roleMode = roleCreate
		m.ans.roleARN = ""
		if m.ans.extChoice == steps.ExternalIDNone {
			m.ans.extChoice = steps.ExternalIDAuto
		}
		return m.ask(questionIndex(qRoleNames))
	}
	m.ans.roleARN = m.ans.rolePick
	return m.ask(nextQuestion(questionIndex(qRoleARN), &m.ans, m.cluster))
}

func (m *Model) editAnswers() tea.Cmd {
	m.plan = nil
	m.pane = paneSteps
	return m.ask(nextQuestion(-1, &m.ans, m.cluster))
}

// beginPrepare reads the current state and builds the plan. With
// thenApply (a retry after a failure) the plan is applied at once unless
// it has a conflict: the user already confirmed these answers.
func (m *Model) beginPrepare(thenApply bool) tea.Cmd {
	m.in = m.ans.input(m.opts.Input, m.cluster)
	m.prepSeq++
	m.autoApply = thenApply
	m.phase = phasePreparing
	m.form = nil
	m.err = nil
	archive := m.in.FromScratch && !m.archived
	m.archived = true
	return tea.Batch(prepare(m.ctx, m.env, m.in, m.prepSeq, archive), m.spin.Tick)
}

func (m *Model) planned(msg planMsg) tea.Cmd {
	if m.phase != phasePreparing || msg.seq != m.prepSeq {
		return nil
	}
	if msg.err != nil {
		m.err = msg.err
		m.phase = phasePrepareFailed
		return m.setForm(choiceForm(m.kit, "What now?", &m.choice,
			huh.NewOption("Change answers", choiceEdit),
			huh.NewOption("Try again", choiceRetry),
			huh.NewOption("Quit (nothing was changed)", choiceQuit)))
	}
	m.plan = msg.plan
	if m.autoApply && len(m.plan.Conflicts()) == 0 {
		return m.beginApply()
	}
	m.phase = phasePlan
	m.pane = paneSteps
	var f *huh.Form
	if len(m.plan.Conflicts()) > 0 {
		f = choiceForm(m.kit, "The plan has a conflict; nothing can be applied until it is resolved.", &m.choice,
			huh.NewOption("Change answers", choiceEdit),
			huh.NewOption("Quit (nothing was changed)", choiceQuit))
	} else {
		f = confirmForm(m.kit, "Apply this plan?", "Apply", "Cancel", &m.confirm)
	}
	cmd := m.setForm(f)
	m.layoutPlan()
	return cmd
}

func (m *Model) setPane(p planPane) {
	m.pane = p
	m.layoutPlan()
	m.vp.GotoTop()
}

// beginApply runs steps.Apply; its progress arrives as messages.
func (m *Model) beginApply() tea.Cmd {
	m.runSeq++
	ctx, cancel := context.WithCancel(m.ctx)
	m.track(newApplyRun(m.runSeq, cancel))
	m.phase = phaseApplying
	m.form = nil
	m.err = nil
	m.changed = true
	m.result = nil
	cmds := []tea.Cmd{m.run.start(ctx, m.env, m.plan, m.opts.Apply), m.run.next(), m.spin.Tick}
	if !m.ticking {
		m.ticking = true
		cmds = append(cmds, tick())
	}
	return tea.Batch(cmds...)
}

// progress applies one event of the running Apply and asks for the next.
func (m *Model) progress(msg tea.Msg) tea.Cmd {
	if m.run == nil {
		return nil
	}
	if done, ok := msg.(applyDoneMsg); ok {
		if done.run != m.run.id {
			return nil
		}
		return m.applied(done)
	}
	if !m.record(msg, m.opts.now()) {
		return nil
	}
	return m.run.next()
}

func (m *Model) applied(msg applyDoneMsg) tea.Cmd {
	m.wait = nil
	if msg.err != nil {
		m.err = msg.err
		if msg.res != nil {
			m.result = msg.res
		}
		return m.toFailed()
	}
	m.result = msg.res
	m.form = nil
	for _, rs := range msg.res.Streams {
		m.streams[rs.Region] = rs
	}
	m.phase = phaseSummary
	m.streamsSeq++
	cmds := []tea.Cmd{}
	if msg.res.Status == cloudapi.StatusEnabled {
		cmds = append(cmds, pollStreams(m.ctx, m.env, msg.res.LogGroup, msg.res.Regions, m.streamsSeq))
	}
	if !m.ticking {
		m.ticking = true
		cmds = append(cmds, tick())
	}
	return tea.Batch(cmds...)
}

func (m *Model) toFailed() tea.Cmd {
	m.phase = phaseFailed
	opts := []huh.Option[string]{
		huh.NewOption("Retry (resumes; nothing is made twice)", choiceRetry),
		huh.NewOption("Roll back what this run created", choiceRollback),
		huh.NewOption("Quit and show the command that resumes", choiceQuit),
	}
	if m.rollbackRes != nil {
		opts = []huh.Option[string]{opts[0], opts[2]}
	}
	if m.connected && m.hasCluster && (isEnableFailure(m.err) || m.status != nil && m.status.Info.Status.Failed()) {
		opts = append([]huh.Option[string]{huh.NewOption("Diagnose: run the doctor's checks on this cluster", choiceDoctor)}, opts...)
	}
	return m.setForm(choiceForm(m.kit, "What now?", &m.choice, opts...))
}

func (m *Model) rollbackPreviewed(msg rollbackPreviewMsg) tea.Cmd {
	if m.phase != phaseRollbackPreview {
		return nil
	}
	if msg.err != nil {
		m.rollbackErr = msg.err
		return m.toFailed()
	}
	m.rollbackRunID, m.rollbackList = msg.runID, msg.resources
	m.phase = phaseRollbackConfirm
	if len(msg.resources) == 0 {
		return m.setForm(choiceForm(m.kit, "This run created nothing that can be removed.", &m.choice, huh.NewOption("Back", choiceRetry)))
	}
	return m.setForm(confirmForm(m.kit, "Remove these resources?", "Remove", "Keep them", &m.confirm))
}

func (m *Model) rolledBack(msg rollbackDoneMsg) tea.Cmd {
	if m.phase != phaseRollingBack {
		return nil
	}
	res := msg.res
	m.rollbackRes, m.rollbackErr = &res, msg.err
	m.phase = phaseRolledBack
	return m.setForm(choiceForm(m.kit, "Rollback finished.", &m.choice, huh.NewOption("Quit", choiceQuit)))
}

func (m *Model) copyValue(i int) tea.Cmd {
	vals := m.summaryValues()
	if i < 0 || i >= len(vals) {
		return nil
	}
	m.flash = "Copied the " + vals[i].label + " to the clipboard (OSC 52, if the terminal allows it)."
	return tea.SetClipboard(vals[i].value)
}

// resume is the command that resumes or repeats this setup.
func (m *Model) resume() string {
	if !m.hasCluster {
		return ""
	}
	in := m.in
	if in.Cluster == "" {
		in = m.ans.input(m.opts.Input, m.cluster)
	}
	return resumeCommand(m.opts.resumeBase(), in, m.cluster)
}

func (m *Model) finish(o Outcome) tea.Cmd {
	res := &Result{Outcome: o, Setup: m.result, Changed: m.changed, Resume: m.resume()}
	if o == Failed || o == Aborted {
		res.Err = m.err
	}
	res.Rollback = m.rollbackRes
	if f := m.task(); f != nil {
		// The setup's resume command does not repeat another task; the
		// flow says what does.
		res.Resume = ""
		res.Task = f.title()
		f.result(res)
	}
	m.final = res
	m.form = nil
	if m.run != nil && !m.run.finished() {
		m.run.cancel()
	}
	return tea.Quit
}

// interrupt is Ctrl-C: stop at once. A running Apply is cancelled; Run
// waits for it to record its outcome before returning.
func (m *Model) interrupt() tea.Cmd {
	return m.finish(Aborted)
}

// Result is how the interface ended; valid once the program has exited.
func (m *Model) Result() Result {
	if m.final == nil && m.prog != nil {
		return m.prog.Result()
	}
	if m.final == nil {
		res := Result{Outcome: Aborted, Setup: m.result, Changed: m.changed, Resume: m.resume(), Err: m.err}
		if f := m.task(); f != nil {
			res.Resume = ""
			res.Task = f.title()
			f.result(&res)
		}
		return res
	}
	return *m.final
}

// stop cancels whatever is still running and waits (bounded) for a
// cancelled Apply to record its outcome in the journal.
func (m *Model) stop(limit time.Duration) {
	if m.run != nil && !m.run.finished() {
		m.run.cancel()
		m.run.wait(limit)
	}
	if m.flow != nil {
		m.flow.stop(limit)
	}
	m.stopPrograms(limit)
	m.cancel()
}

// task is the flow in progress or about to start (nil: setup or the menu).
func (m *Model) task() flow {
	if m.flow != nil {
		return m.flow
	}
	return m.pending
}
