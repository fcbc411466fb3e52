package wizard

import (
	"context"
	"time"

	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// updateStage is where the update flow is: reading the configuration,
// editing it field by field, reviewing the difference and the AWS changes
// it needs, applying, and the outcome.
type updateStage int

const (
	updLoading updateStage = iota
	updLoadFailed
	updEditing
	updField
	updGroups
	updGroupAction
	updRoleLookup
	updRolePick
	updPlanning
	updPlanFailed
	updReview
	updApplying
	updFailed
	updDone
)

// updatePane is what the review screen shows.
type updatePane int

const (
	updPaneChanges updatePane = iota
	updPanePolicy
)

// Choices of the update flow's menus, beyond the shared choice* values.
const (
	choiceMenu       = "menu"
	choiceReview     = "review"
	choiceApplyOnly  = "apply-config-only"
	choiceDone       = "done"
	choiceAddGroup   = "add-group"
	choiceBack       = "back"
	choiceRemove     = "remove"
	choiceEditGroup  = "edit-group"
	choiceAnotherARN = "another-arn"
)

// updateFlow is `update` on a terminal: the configuration in force, edited
// field by field (nothing untouched is lost: the engine POSTs the whole
// configuration), the difference and the AWS changes it needs, then the
// update followed until the export is ENABLED and logs arrive.
type updateFlow struct {
	stage updateStage

	// What the update starts from and where it is going.
	target    *steps.UpdateTarget
	desired   cloudapi.LogExportSpec
	retention int
	// flagsErr: the changes given as flags could not be applied to the
	// configuration in force; the screen starts from it unchanged.
	flagsErr error
	// specErr is what is wrong with the whole configuration, found when
	// the user asked to review it.
	specErr error

	choice string
	field  string
	draft  updateDraft
	// group is the log name of the group being edited ("" adds one).
	group string

	rolesFor string
	roles    []string
	rolesErr error

	planSeq   int
	plan      *steps.UpdatePlan
	oldPolicy *awsiam.PolicyDocument
	pane      updatePane
	vp        viewport.Model
	skipAWS   bool
	autoApply bool

	runSeq int
	applyProgress
	streamsSeq int
	res        *steps.UpdateResult
	err        error
	changed    bool

	// For the resume command, which result() builds without the model.
	resumeBase string
	noWait     bool
}

func newUpdateFlow(opts Options) *updateFlow {
	base := "crdb-logexport update"
	if opts.Start == StartUpdate && opts.ResumeCommand != "" {
		// The command that opened the interface, with its connection flags.
		base = opts.ResumeCommand
	}
	retention := opts.Update.RetentionDays
	if retention == 0 {
		retention = steps.DefaultRetentionDays
	}
	vp := viewport.New()
	vp.SoftWrap = false
	return &updateFlow{retention: retention, resumeBase: base, noWait: opts.Apply.NoWait, vp: vp}
}

// Messages of the update flow's commands.
type (
	updLoadedMsg struct {
		target *steps.UpdateTarget
		err    error
	}
	updRolesMsg   rolesMsg
	updPlannedMsg struct {
		seq       int
		plan      *steps.UpdatePlan
		oldPolicy *awsiam.PolicyDocument
		err       error
	}
	updAppliedMsg struct {
		run int
		res *steps.UpdateResult
		err error
	}
	updStreamsMsg    streamsMsg
	updStreamsDueMsg struct{ seq int }
	updTickMsg       struct{ run int }
)

func (f *updateFlow) title() string { return "update log export" }

func (f *updateFlow) start(m *Model) tea.Cmd {
	f.stage = updLoading
	return loadUpdate(m.ctx, m.env, m.cluster.ID)
}

func loadUpdate(ctx context.Context, env *steps.Env, clusterID string) tea.Cmd {
	return func() tea.Msg {
		t, err := steps.LoadUpdate(ctx, env, clusterID)
		return updLoadedMsg{target: t, err: err}
	}
}

// planUpdate checks the new configuration and works out the AWS changes it
// needs (read-only), with the permission policy in force when the plan
// gives it a new version, for the review to show the difference.
func planUpdate(ctx context.Context, env *steps.Env, t *steps.UpdateTarget, desired cloudapi.LogExportSpec, retention, seq int) tea.Cmd {
	return func() tea.Msg {
		p, err := steps.PlanUpdate(ctx, env, t, desired, retention)
		msg := updPlannedMsg{seq: seq, plan: p, err: err}
		if err == nil && p.Permission != nil && p.PolicyARN != "" {
			// Without the old document the review shows the new one whole.
			if st, err := awsiam.InspectPolicy(ctx, env.AWS.IAM, p.PolicyARN); err == nil {
				msg.oldPolicy = st.Document
			}
		}
		return msg
	}
}

// runUpdate runs steps.ApplyUpdate with r as its reporter; the outcome is
// queued after every event it reported.
func runUpdate(ctx context.Context, r *applyRun, env *steps.Env, p *steps.UpdatePlan, opts steps.UpdateOptions) tea.Cmd {
	return func() tea.Msg {
		res, err := steps.ApplyUpdate(ctx, env, p, opts, r)
		r.push(updAppliedMsg{run: r.id, res: res, err: err})
		close(r.done)
		return nil
	}
}

func (f *updateFlow) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return f.key(m, msg)
	case updLoadedMsg:
		return f.loaded(m, msg)
	case updRolesMsg:
		return f.rolesFound(m, msg)
	case updPlannedMsg:
		return f.planned(m, msg)
	case stepStartedMsg, stepDoneMsg, stepFailedMsg, statusMsg, propagationMsg, regionStreamsMsg, updAppliedMsg:
		return f.progress(m, msg)
	case updTickMsg:
		if f.stage != updApplying || f.run == nil || msg.run != f.run.id {
			return nil
		}
		return updTick(msg.run)
	case updStreamsMsg:
		if f.stage != updDone || msg.seq != f.streamsSeq {
			return nil
		}
		for _, rs := range msg.streams {
			f.streams[rs.Region] = rs
		}
		seq := f.streamsSeq
		return tea.Tick(m.opts.streamsEvery(), func(time.Time) tea.Msg { return updStreamsDueMsg{seq: seq} })
	case updStreamsDueMsg:
		if f.stage != updDone || msg.seq != f.streamsSeq {
			return nil
		}
		return f.pollStreams(m)
	}
	return m.updateForm(msg)
}

func updTick(run int) tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return updTickMsg{run: run} })
}

func (f *updateFlow) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	k := msg.String()
	switch f.stage {
	case updLoading, updPlanning, updRoleLookup, updApplying:
		return nil
	case updDone:
		if k == "q" || k == "enter" || k == "esc" {
			return m.finish(Completed)
		}
		return nil
	case updField, updGroups, updRolePick:
		if k == "esc" {
			if f.field == fieldGroup {
				return f.toGroups(m)
			}
			return f.toEditing(m)
		}
	case updGroupAction:
		if k == "esc" {
			return f.toGroups(m)
		}
	case updReview:
		switch k {
		case "esc":
			return f.toEditing(m)
		case "p":
			if f.plan.Permission != nil {
				f.pane = updPanePolicy
				f.vp.GotoTop()
			}
			return nil
		case "c":
			f.pane = updPaneChanges
			f.vp.GotoTop()
			return nil
		case "pgup", "pgdown", "home", "end":
			var cmd tea.Cmd
			f.vp, cmd = f.vp.Update(msg)
			return cmd
		}
	}
	return m.updateForm(msg)
}

func (f *updateFlow) loaded(m *Model, msg updLoadedMsg) tea.Cmd {
	if f.stage != updLoading {
		return nil
	}
	if msg.err != nil {
		f.err = msg.err
		f.stage = updLoadFailed
		var opts []huh.Option[string]
		if se, ok := steps.AsStepError(msg.err); !ok || !se.Permanent {
			opts = append(opts, huh.NewOption("Try again", choiceRetry))
		}
		if m.fromMenu() {
			opts = append(opts, huh.NewOption("Back to the menu", choiceMenu))
		}
		if m.opts.Input.Cluster == "" && len(m.clusters) > 1 {
			opts = append(opts, huh.NewOption("Choose another cluster", choiceOther))
		}
		opts = append(opts, huh.NewOption("Quit", choiceQuit))
		return m.setForm(choiceForm(m.kit, "What now?", &f.choice, opts...))
	}
	f.err = nil
	f.begin(msg.target, m.opts.Update.Edit)
	f.choice = fieldLogGroup
	if !m.opts.Update.Edit.IsZero() && f.flagsErr == nil {
		// The flags already say what to change: the cursor is on reviewing.
		f.choice = choiceReview
	}
	return f.toEditing(m)
}

// begin starts editing from the configuration in force with the changes
// given as flags, or without them when they do not apply to it.
func (f *updateFlow) begin(t *steps.UpdateTarget, edit steps.SpecEdit) {
	f.target = t
	desired, err := edit.Apply(t.Current.Spec)
	if err != nil {
		f.flagsErr = err
		desired, _ = steps.SpecEdit{}.Apply(t.Current.Spec)
	}
	f.desired = desired
}

func (f *updateFlow) submitted(m *Model) tea.Cmd {
	switch f.stage {
	case updLoadFailed:
		switch f.choice {
		case choiceRetry:
			return f.start(m)
		case choiceMenu:
			return m.backToMenu()
		case choiceOther:
			m.flow = nil
			return m.startTask(newUpdateFlow(m.opts))
		}
		return m.finish(Failed)
	case updEditing:
		switch f.choice {
		case choiceReview:
			return f.review(m)
		case choiceQuit:
			return m.finish(Aborted)
		}
		return f.openField(m, f.choice)
	case updField:
		return f.fieldDone(m)
	case updGroups:
		switch f.choice {
		case choiceBack:
			f.choice = fieldGroups
			if f.changedFields()["groups"] {
				f.choice = choiceReview
			}
			return f.toEditing(m)
		case choiceAddGroup:
			return f.openGroup(m, "")
		}
		f.group = f.choice
		return f.toGroupAction(m)
	case updGroupAction:
		switch f.choice {
		case choiceEditGroup:
			return f.openGroup(m, f.group)
		case choiceRemove:
			edit := steps.SpecEdit{RemoveGroups: []string{f.group}}
			if spec, err := edit.Apply(f.desired); err == nil {
				f.desired = spec
			}
			f.choice = choiceAddGroup
		default:
			f.choice = f.group
		}
		return f.toGroups(m)
	case updRolePick:
		switch f.choice {
		case choiceAnotherARN:
			f.draft.roleARN = ""
			return f.openField(m, fieldRole)
		case choiceBack:
			f.choice = fieldRole
			return f.toEditing(m)
		}
		f.desired.AuthPrincipal = f.choice
		f.choice = choiceReview
		return f.toEditing(m)
	case updPlanFailed:
		switch f.choice {
		case choiceRetry:
			return f.beginPlan(m, false)
		case choiceEdit:
			f.choice = choiceReview
			return f.toEditing(m)
		}
		return m.finish(Aborted)
	case updReview:
		switch f.choice {
		case choiceApply:
			f.skipAWS = false
			return f.beginApply(m)
		case choiceApplyOnly:
			f.skipAWS = true
			return f.beginApply(m)
		case choiceEdit:
			f.choice = choiceReview
			return f.toEditing(m)
		case choiceDone:
			return m.finish(Left)
		}
		return m.finish(Aborted)
	case updFailed:
		switch f.choice {
		case choiceRetry:
			return f.beginPlan(m, true)
		case choiceEdit:
			f.choice = choiceReview
			return f.toEditing(m)
		}
		return m.finish(Failed)
	}
	return nil
}

// review checks the whole configuration locally, then plans the update.
func (f *updateFlow) review(m *Model) tea.Cmd {
	f.specErr = steps.ValidateSpec(f.desired, m.cluster)
	if f.specErr != nil {
		return f.toEditing(m)
	}
	return f.beginPlan(m, false)
}

// beginPlan reads the AWS side for the new configuration. With thenApply
// (a retry after a failure) the plan is applied at once unless it has a
// conflict: the user already confirmed these changes. Once a run has been
// started the configuration in force is read again first, as that run may
// have changed it.
func (f *updateFlow) beginPlan(m *Model, thenApply bool) tea.Cmd {
	f.planSeq++
	f.autoApply = thenApply
	f.stage = updPlanning
	f.err = nil
	m.form = nil
	seq, target, desired, reload := f.planSeq, f.target, f.desired, f.changed
	ctx, env, cluster, retention := m.ctx, m.env, m.cluster.ID, f.retention
	return tea.Batch(func() tea.Msg {
		if reload {
			t, err := steps.LoadUpdate(ctx, env, cluster)
			if err != nil {
				return updPlannedMsg{seq: seq, err: err}
			}
			// The configuration in force is now what the failed run sent,
			// or still the old one; the goal is unchanged.
			target = t
		}
		return planUpdate(ctx, env, target, desired, retention, seq)()
	}, m.spin.Tick)
}

func (f *updateFlow) planned(m *Model, msg updPlannedMsg) tea.Cmd {
	if f.stage != updPlanning || msg.seq != f.planSeq {
		return nil
	}
	if msg.err != nil {
		f.err = msg.err
		f.stage = updPlanFailed
		return m.setForm(choiceForm(m.kit, "What now?", &f.choice,
			huh.NewOption("Change the configuration", choiceEdit),
			huh.NewOption("Try again", choiceRetry),
			huh.NewOption("Quit (nothing was changed)", choiceQuit)))
	}
	f.plan, f.oldPolicy = msg.plan, msg.oldPolicy
	f.target.Current = msg.plan.Current
	if f.autoApply && len(f.plan.Conflicts()) == 0 {
		return f.beginApply(m)
	}
	f.stage = updReview
	f.pane = updPaneChanges
	f.vp.GotoTop()
	var opts []huh.Option[string]
	title := "Apply these changes?"
	switch {
	case len(f.plan.Conflicts()) > 0:
		title = "A conflict stops the update: nothing can be applied until it is resolved."
		opts = []huh.Option[string]{
			huh.NewOption("Back to editing", choiceEdit),
			huh.NewOption("Quit (nothing was changed)", choiceQuit),
		}
	case !f.plan.Changes():
		title = "Nothing to change: the configuration and the AWS side are already as asked."
		opts = []huh.Option[string]{
			huh.NewOption("Back to editing", choiceEdit),
			huh.NewOption("Done", choiceDone),
		}
	default:
		opts = []huh.Option[string]{huh.NewOption("Apply", choiceApply)}
		if f.awsChanges() {
			opts = append(opts, huh.NewOption("Apply the configuration only (no AWS changes)", choiceApplyOnly))
		}
		opts = append(opts, huh.NewOption("Back to editing", choiceEdit))
	}
	return m.setForm(choiceForm(m.kit, title, &f.choice, opts...))
}

// awsChanges reports whether the plan creates log groups or changes the
// permission policy: what "apply the configuration only" leaves out.
func (f *updateFlow) awsChanges() bool {
	lg, perm := f.plan.Step(steps.StepLogGroup), f.plan.Step(steps.StepPermissions)
	return lg != nil && lg.Action == steps.Create || perm != nil && perm.Action == steps.WillChange
}

// beginApply runs steps.ApplyUpdate; its progress arrives as messages.
func (f *updateFlow) beginApply(m *Model) tea.Cmd {
	f.runSeq++
	ctx, cancel := context.WithCancel(m.ctx)
	f.track(newApplyRun(f.runSeq, cancel))
	f.stage = updApplying
	m.form = nil
	f.err = nil
	f.changed = true
	f.res = nil
	a := m.opts.Apply
	opts := steps.UpdateOptions{
		SkipLogGroups: f.skipAWS, SkipPolicy: f.skipAWS, NoWait: a.NoWait,
		PropagationLimit: a.PropagationLimit, StreamTimeout: a.StreamTimeout, Watch: a.Watch,
	}
	return tea.Batch(runUpdate(ctx, f.run, m.env, f.plan, opts), f.run.next(), m.spin.Tick, updTick(f.run.id))
}

// progress applies one event of the running update and asks for the next.
func (f *updateFlow) progress(m *Model, msg tea.Msg) tea.Cmd {
	if f.run == nil {
		return nil
	}
	if done, ok := msg.(updAppliedMsg); ok {
		if done.run != f.run.id {
			return nil
		}
		return f.applied(m, done)
	}
	if !f.record(msg, m.opts.now()) {
		return nil
	}
	return f.run.next()
}

func (f *updateFlow) applied(m *Model, msg updAppliedMsg) tea.Cmd {
	f.wait = nil
	f.res = msg.res
	if msg.err != nil {
		f.err = msg.err
		f.stage = updFailed
		return m.setForm(choiceForm(m.kit, "What now?", &f.choice,
			huh.NewOption("Retry (resumes; nothing is made twice)", choiceRetry),
			huh.NewOption("Change the configuration", choiceEdit),
			huh.NewOption("Quit and show the command that resumes", choiceQuit)))
	}
	f.stage = updDone
	m.form = nil
	for _, rs := range msg.res.Streams {
		f.streams[rs.Region] = rs
	}
	if msg.res.Status != cloudapi.StatusEnabled || len(msg.res.Streams) == 0 {
		// Not enabled (--no-wait), or the log groups are in an account
		// this tool cannot read.
		return nil
	}
	f.streamsSeq++
	return f.pollStreams(m)
}

// pollStreams refreshes the logs arriving in the new log group while the
// outcome is on screen.
func (f *updateFlow) pollStreams(m *Model) tea.Cmd {
	poll := pollStreams(m.ctx, m.env, f.plan.Desired.LogName, f.plan.Regions, f.streamsSeq)
	return func() tea.Msg { return updStreamsMsg(poll().(streamsMsg)) }
}

func (f *updateFlow) busy() bool {
	switch f.stage {
	case updLoading, updPlanning, updRoleLookup, updApplying:
		return true
	}
	return false
}

func (f *updateFlow) keys(m *Model) []string {
	switch f.stage {
	case updApplying:
		return []string{"ctrl+c stop — the journal keeps what was done; rerunning resumes"}
	case updDone:
		return []string{"enter or q exit"}
	case updFailed:
		return []string{"ctrl+c quit"}
	case updField, updGroups, updGroupAction, updRolePick:
		return []string{"esc back", "ctrl+c quit (nothing changed yet)"}
	case updReview:
		keys := []string{"pgup/pgdn scroll"}
		if f.plan.Permission != nil {
			keys = append(keys, "p policy", "c changes")
		}
		return append(keys, "esc edit", "ctrl+c quit")
	}
	return []string{"ctrl+c quit (nothing changed yet)"}
}

func (f *updateFlow) result(res *Result) {
	res.Update = f.res
	res.Changed = f.changed
	res.Resume = f.resume()
	if (res.Outcome == Failed || res.Outcome == Aborted) && res.Err == nil {
		res.Err = f.err
	}
}

func (f *updateFlow) stop(limit time.Duration) {
	if f.run != nil && !f.run.finished() {
		f.run.cancel()
		f.run.wait(limit)
	}
}
