package wizard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"charm.land/huh/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
)

// RunAccessible asks the same questions as Run, one line at a time with no
// redraws (Huh's accessible mode), and reports progress as plain lines:
// for screen readers and terminals that cannot redraw. It reads answers
// from opts.In and writes to opts.Out, downsampled to what the
// environment allows (NO_COLOR, no terminal).
func RunAccessible(ctx context.Context, opts Options) (Result, error) {
	env := opts.Environ
	if env == nil {
		env = os.Environ()
	}
	out := colorprofile.NewWriter(opts.Out, env)
	if opts.Profile != colorprofile.Unknown {
		out.Profile = opts.Profile
	}
	st := newStyles()
	a := &accessible{
		opts: opts,
		w:    out,
		r:    watchEOF(opts.In),
		kit:  formKit{styles: st, accessible: true},
		ans:  newAnswers(opts.Input),
	}
	type ended struct {
		res Result
		err error
	}
	done := make(chan ended, 1)
	go func() {
		res, err := a.run(ctx)
		done <- ended{res, err}
	}()
	select {
	case e := <-done:
		return e.res, e.err
	case <-ctx.Done():
	}
	// Interrupted. A prompt waits on a read nothing can interrupt: leave it
	// and report what stood before the prompt. Anything else (Apply) stops
	// with the context; give it the time to record where it stopped.
	a.mu.Lock()
	prompting, snapshot := a.prompting, a.snapshot
	a.mu.Unlock()
	if prompting {
		return snapshot, nil
	}
	select {
	case e := <-done:
		return e.res, e.err
	case <-time.After(stopWait):
		return snapshot, nil
	}
}

// eofReader notes the end of the input: huh's accessible prompts take it as
// "keep the default", which must not become a confirmation nobody gave.
type eofReader struct {
	r   io.Reader
	mu  sync.Mutex
	eof bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.mu.Lock()
		e.eof = true
		e.mu.Unlock()
	}
	return n, err
}

func (e *eofReader) ended() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.eof
}

// input is what the prompts read from.
type input interface {
	io.Reader
	ended() bool
}

// eofTerminal keeps the terminal's descriptor visible, which the masked
// API key prompt needs.
type eofTerminal struct {
	*eofReader
	fd uintptr
}

func (e eofTerminal) Fd() uintptr { return e.fd }

func watchEOF(r io.Reader) input {
	if f, ok := r.(interface{ Fd() uintptr }); ok {
		return eofTerminal{eofReader: &eofReader{r: r}, fd: f.Fd()}
	}
	return &eofReader{r: r}
}

type accessible struct {
	opts Options
	w    io.Writer
	r    input
	kit  formKit
	ans  answers

	// mu guards what an interruption reads while a prompt waits: whether
	// one does, and the result as it stood before it.
	mu        sync.Mutex
	prompting bool
	snapshot  Result

	env      *steps.Env
	cluster  cloudapi.Cluster
	chosen   bool
	in       steps.SetupInput
	changed  bool
	setup    *steps.SetupResult
	clusters []cloudapi.Cluster
	err      error
	rb       *steps.RollbackResult
	// archived: --from-scratch has moved the old journal aside.
	archived bool
	// taskOutcome, set by a task other than setup, is that task's result
	// as it stands: what an interruption during a prompt reports.
	taskOutcome func(Outcome) Result
}

func (a *accessible) say(format string, args ...any) {
	fmt.Fprintf(a.w, format+"\n", args...)
}

// ask runs one form line by line. The end of the input stops the setup.
func (a *accessible) ask(f *huh.Form) error {
	a.mu.Lock()
	a.prompting, a.snapshot = true, a.outcome(Aborted)
	a.mu.Unlock()
	err := a.runForm(f)
	a.mu.Lock()
	a.prompting = false
	a.mu.Unlock()
	switch {
	case errors.Is(err, huh.ErrUserAborted), err == nil && a.r.ended():
		return context.Canceled
	}
	return err
}

// runForm runs f on the input. When the input ends right after an answer
// that is out of range, huh's accessible select (v2.0.3) indexes its
// options with that answer and panics; an ended input stops the run
// everywhere else, so it does here too.
func (a *accessible) runForm(f *huh.Form) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if !a.r.ended() {
				panic(p)
			}
			err = huh.ErrUserAborted
		}
	}()
	return f.WithInput(a.r).WithOutput(a.w).Run()
}

func (a *accessible) choose(title string, opts ...huh.Option[string]) (string, error) {
	var v string
	err := a.ask(choiceForm(a.kit, title, &v, opts...))
	return v, err
}

func (a *accessible) outcome(o Outcome) Result {
	if a.taskOutcome != nil {
		return a.taskOutcome(o)
	}
	res := Result{Outcome: o, Setup: a.setup, Changed: a.changed, Rollback: a.rb}
	if a.chosen {
		res.Resume = resumeCommand(a.opts.resumeBase(), a.ans.input(a.opts.Input, a.cluster), a.cluster)
	}
	if o == Failed || o == Aborted {
		res.Err = a.err
	}
	return res
}

// stopped turns a cancelled context or an aborted prompt into Aborted.
func (a *accessible) stopped(err error) (Result, error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return a.outcome(Aborted), nil
	}
	return a.outcome(Aborted), err
}

func (a *accessible) run(ctx context.Context) (Result, error) {
	entries := menuEntries()
	var entry menuEntry
	if a.opts.Start == StartMenu {
		opts := make([]huh.Option[string], len(entries))
		for i, e := range entries {
			opts[i] = huh.NewOption(e.title, e.id)
		}
		choice, err := a.choose("What would you like to do?", opts...)
		if err != nil {
			return a.stopped(err)
		}
		for _, e := range entries {
			if e.id == choice {
				entry = e
			}
		}
	} else {
		for _, e := range entries {
			if e.startAs == a.opts.Start {
				entry = e
			}
		}
	}
	switch {
	case entry.start == nil:
		return a.outcome(Left), nil
	case entry.task != "":
		return a.driveTask(ctx, entry.task, false)
	case entry.accessible != nil:
		// Another task: it needs the connection and a cluster, of any kind
		// (the task itself says what it can do with it).
		if err := a.connect(ctx); err != nil {
			return a.stopped(err)
		}
		if err := a.chooseCluster(ctx, false); err != nil {
			if errors.Is(err, errNoClusters) {
				return a.outcome(Left), nil
			}
			return a.stopped(err)
		}
		return entry.accessible(a, ctx)
	}
	a.say("Guided setup of CockroachDB Cloud log export to Amazon CloudWatch. Nothing changes until you confirm the plan.")
	if err := a.connect(ctx); err != nil {
		return a.stopped(err)
	}
	if err := a.chooseCluster(ctx, true); err != nil {
		switch {
		case errors.Is(err, errNoClusters):
			return a.outcome(Left), nil
		case errors.Is(err, steps.ErrNotApplicable):
			a.err = err
			return a.outcome(Failed), nil
		}
		return a.stopped(err)
	}
	for {
		if err := a.questions(ctx); err != nil {
			return a.stopped(err)
		}
		p, again, err := a.plan(ctx)
		if err != nil {
			return a.stopped(err)
		}
		if again {
			continue
		}
		if p == nil {
			return a.outcome(Aborted), nil
		}
		return a.apply(ctx, p)
	}
}

// errNoClusters: there is nothing to set up.
var errNoClusters = errors.New("no clusters")

func (a *accessible) connect(ctx context.Context) error {
	for {
		if a.opts.APIKeySource == "" {
			if err := a.ask(apiKeyForm(a.kit, &a.ans.apiKey)); err != nil {
				return err
			}
		}
		a.say("Connecting (read-only): the CockroachDB Cloud organization, the AWS identity, the clusters…")
		msg := connect(ctx, a.opts.Connect, strings.TrimSpace(a.ans.apiKey), a.opts.Input.Cluster)().(connectedMsg)
		if msg.err == nil {
			a.ans.apiKey = ""
			a.env = msg.env
			a.say("Acting in AWS account %s as %s. CockroachDB Cloud organization: %s.", msg.caller.Account, msg.caller.ARN, msg.org.Name)
			a.clusters = msg.clusters
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		a.say("Error: %s", errorText(msg.err))
		choice, err := a.choose("What now?", huh.NewOption("Try again", choiceRetry), huh.NewOption("Quit", choiceQuit))
		if err != nil {
			return err
		}
		if choice != choiceRetry {
			return context.Canceled
		}
	}
}

// chooseCluster sets a.cluster: the one named with --cluster, or the
// user's choice. With forSetup, a cluster CloudWatch export does not apply
// to is refused (another can be chosen).
func (a *accessible) chooseCluster(ctx context.Context, forSetup bool) error {
	for {
		var c cloudapi.Cluster
		switch {
		case a.opts.Input.Cluster != "" && len(a.clusters) == 1:
			c = a.clusters[0]
		case len(a.clusters) == 0:
			a.say("The API key's organization has no clusters.")
			return errNoClusters
		default:
			a.ans.clusterID = firstNonEmpty(a.ans.clusterID, defaultCluster(a.clusters))
			if err := a.ask(clusterForm(a.kit, a.clusters, &a.ans.clusterID, 0)); err != nil {
				return err
			}
			for _, x := range a.clusters {
				if x.ID == a.ans.clusterID {
					c = x
				}
			}
		}
		if err := c.CheckCloudWatch(); err != nil && forSetup {
			a.say("%s", notApplicable(c, err))
			stop := fmt.Errorf("%w: %v", steps.ErrNotApplicable, err)
			if a.opts.Input.Cluster != "" || len(a.clusters) < 2 {
				return stop
			}
			choice, cerr := a.choose("What now?", huh.NewOption("Choose another cluster", choiceOther), huh.NewOption("Quit", choiceQuit))
			if cerr != nil {
				return cerr
			}
			if choice != choiceOther {
				return stop
			}
			continue
		}
		a.cluster, a.chosen = c, true
		if !forSetup {
			a.say("Cluster %s (%s), %s on %s.", c.Name, c.ID, c.Plan, c.CloudProvider)
			return nil
		}
		a.ans.forCluster(c)
		a.say("Cluster %s (%s), %s on %s, regions %s; its AWS account %s will assume your role.", c.Name, c.ID, c.Plan, c.CloudProvider, strings.Join(c.RegionNames(), ", "), c.ExportAccountID())
		return nil
	}
}

// questions asks every question that applies, in order.
func (a *accessible) questions(ctx context.Context) error {
	regions := destinationRegions(a.opts.Input, a.cluster)
	for i := nextQuestion(-1, &a.ans, a.cluster); i < len(questions); {
		q := questions[i]
		a.say("Step %d: %s.", steps.StepNumber(q.step), steps.StepTitle(q.step))
		if err := a.ask(q.build(a.kit, &a.ans, a.cluster, regions)); err != nil {
			return err
		}
		if q.id == qLogGroup && strings.TrimSpace(a.ans.logGroup) == "" {
			a.ans.logGroup = a.ans.defaultLogGroup
		}
		if q.id == qRoleARN && awsiam.Classify(strings.TrimSpace(a.ans.roleARN)) == awsiam.KindPolicy {
			next, err := a.pickRole(ctx)
			if err != nil {
				return err
			}
			i = next
			continue
		}
		i = nextQuestion(i, &a.ans, a.cluster)
	}
	return nil
}

// pickRole follows a pasted policy ARN: it says so, lists the roles the
// policy is attached to and lets the user pick one; it returns the
// question to continue with.
func (a *accessible) pickRole(ctx context.Context) (int, error) {
	arn := strings.TrimSpace(a.ans.roleARN)
	a.say("Warning: this is a policy ARN, not a role ARN. %s", arnWarning(arn))
	a.say("Looking up the roles it is attached to…")
	msg := lookupRoles(ctx, a.env, arn)().(rolesMsg)
	switch {
	case msg.err != nil:
		a.say("The roles could not be listed: %v", msg.err)
	case len(msg.roles) == 0:
		a.say("That policy is attached to no role.")
	default:
		a.say("It is attached to: %s", strings.Join(msg.roles, ", "))
	}
	if err := a.ask(rolePickForm(a.kit, &a.ans, msg.roles)); err != nil {
		return 0, err
	}
	switch a.ans.rolePick {
	case pickAnother:
		a.ans.roleARN = ""
		return questionIndex(qRoleARN), nil
	case pickCreate:
		a.ans.roleMode, a.ans.roleARN = roleCreate, ""
		if a.ans.extChoice == steps.ExternalIDNone {
			a.ans.extChoice = steps.ExternalIDAuto
		}
		return questionIndex(qRoleNames), nil
	}
	a.ans.roleARN = a.ans.rolePick
	return nextQuestion(questionIndex(qRoleARN), &a.ans, a.cluster), nil
}

// plan builds and shows the plan, then asks whether to apply it. It
// returns again=true to ask the questions again, and a nil plan when the
// user quits.
func (a *accessible) plan(ctx context.Context) (*steps.Plan, bool, error) {
	for {
		a.in = a.ans.input(a.opts.Input, a.cluster)
		a.say("Reading the current state (read-only)…")
		archive := a.in.FromScratch && !a.archived
		a.archived = true
		msg := prepare(ctx, a.env, a.in, 0, archive)().(planMsg)
		if msg.err != nil {
			if err := ctx.Err(); err != nil {
				return nil, false, err
			}
			a.err = msg.err
			a.say("Error: %s", errorText(msg.err))
			choice, err := a.choose("What now?", huh.NewOption("Change answers", choiceEdit), huh.NewOption("Try again", choiceRetry), huh.NewOption("Quit (nothing was changed)", choiceQuit))
			switch {
			case err != nil:
				return nil, false, err
			case choice == choiceEdit:
				return nil, true, nil
			case choice == choiceRetry:
				continue
			}
			return nil, false, nil
		}
		a.err = nil
		p := msg.plan
		p.WriteText(a.w)
		a.say("")
		a.say("Trust policy of the role:\n%s", p.Trust.JSON())
		if p.Permission != nil {
			a.say("Permission policy:\n%s", p.Permission.JSON())
		}
		opts := []huh.Option[string]{huh.NewOption("Apply this plan", choiceApply)}
		title := "Apply this plan?"
		if c := p.Conflicts(); len(c) > 0 {
			title = fmt.Sprintf("The plan has a conflict at step %d; nothing can be applied until it is resolved.", c[0].Number)
			opts = nil
		}
		opts = append(opts, huh.NewOption("Change answers", choiceEdit), huh.NewOption("Quit (nothing was changed)", choiceQuit))
		choice, err := a.choose(title, opts...)
		switch {
		case err != nil:
			return nil, false, err
		case choice == choiceApply:
			return p, false, nil
		case choice == choiceEdit:
			return nil, true, nil
		}
		return nil, false, nil
	}
}

func (a *accessible) apply(ctx context.Context, p *steps.Plan) (Result, error) {
	for {
		a.changed = true
		rep := &lineReporter{w: a.w, now: a.opts.now}
		res, err := steps.Apply(ctx, a.env, p, a.opts.Apply, rep)
		a.setup = res
		if err == nil {
			a.summary(res)
			return a.outcome(Completed), nil
		}
		if ctx.Err() != nil {
			a.err = err
			return a.outcome(Aborted), nil
		}
		a.err = err
		a.say("Error: %s", errorText(err))
		var opts []huh.Option[string]
		if isEnableFailure(err) {
			opts = append(opts, huh.NewOption("Diagnose: run the doctor's checks on this cluster", choiceDoctor))
		}
		opts = append(opts, huh.NewOption("Retry (resumes; nothing is made twice)", choiceRetry))
		if a.rb == nil {
			opts = append(opts, huh.NewOption("Roll back what this run created", choiceRollback))
		}
		opts = append(opts, huh.NewOption("Quit and show the command that resumes", choiceQuit))
		choice, cerr := a.choose("What now?", opts...)
		if cerr != nil {
			return a.stopped(cerr)
		}
		switch choice {
		case choiceRetry:
			msg := prepare(ctx, a.env, a.in, 0, false)().(planMsg)
			if msg.err != nil {
				a.err = msg.err
				a.say("Error: %s", errorText(msg.err))
				return a.outcome(Failed), nil
			}
			if c := msg.plan.Conflicts(); len(c) > 0 {
				msg.plan.WriteText(a.w)
				a.err = &steps.StepError{Step: c[0].ID, Cause: steps.ErrConflict, Fix: strings.Join(c[0].Details, "\n"), Permanent: true}
				return a.outcome(Failed), nil
			}
			p = msg.plan
		case choiceRollback:
			if err := a.rollback(ctx); err != nil {
				return a.stopped(err)
			}
		case choiceDoctor:
			// The doctor's report and repairs replace the setup's ending.
			return a.driveTask(ctx, shell.TaskDoctor, true)
		default:
			return a.outcome(Failed), nil
		}
	}
}

func (a *accessible) rollback(ctx context.Context) error {
	prev := previewRollback(a.env, a.cluster.ID)().(rollbackPreviewMsg)
	if prev.err != nil {
		a.say("The journal cannot be read: %v", prev.err)
		return nil
	}
	if len(prev.resources) == 0 {
		a.say("This run created nothing that can be removed.")
		return nil
	}
	a.say("Rollback removes only what this setup run created:")
	for _, r := range prev.resources {
		if r.Kind == steps.KindLogGroup {
			a.say("  keeps log group %s in %s (it holds the exported logs)", r.ID, r.Region)
			continue
		}
		a.say("  removes %s %s", r.Kind, r.ID)
	}
	var ok bool
	if err := a.ask(confirmForm(a.kit, "Remove these resources?", "Remove", "Keep them", &ok)); err != nil {
		return err
	}
	if !ok {
		return nil
	}
	done := rollback(ctx, a.env, a.cluster.ID, prev.runID)().(rollbackDoneMsg)
	res := done.res
	a.rb = &res
	for _, x := range res.Removed {
		a.say("Removed %s", x)
	}
	for _, x := range res.Kept {
		a.say("Kept %s", x)
	}
	if done.err != nil {
		a.say("Rollback error: %v", done.err)
	}
	return nil
}

func (a *accessible) summary(r *steps.SetupResult) {
	a.say("")
	a.say("Log export of %s is %s.", r.ClusterName, orUnknown(string(r.Status)))
	a.say("Role ARN: %s", r.RoleARN)
	if r.PolicyARN != "" {
		a.say("Policy ARN: %s", r.PolicyARN)
	}
	a.say("Log group: %s", r.LogGroup)
	a.say("Regions: %s", strings.Join(r.Regions, ", "))
	if r.ExternalIDRequired {
		a.say("External ID: %s", r.ExternalID)
	}
	now := a.opts.now()
	for _, s := range r.Streams {
		if s.Streams == 0 {
			a.say("Logs in %s: no streams yet.", s.Region)
			continue
		}
		a.say("Logs arriving in %s: %d streams, newest event %s ago.", s.Region, s.Streams, formatAge(now.Sub(s.Newest)))
	}
	a.say("Next: crdb-logexport status --cluster %s; crdb-logexport doctor --cluster %s; crdb-logexport disable --cluster %s", r.ClusterName, r.ClusterName, r.ClusterName)
}

// lineReporter reports Apply's progress as plain sentences, one per line,
// without glyphs a screen reader would spell out.
type lineReporter struct {
	mu         sync.Mutex
	w          io.Writer
	now        func() time.Time
	lastStatus string
}

func (r *lineReporter) say(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, format+"\n", args...)
}

func (r *lineReporter) StepStarted(id string) {
	r.say("Step %d of 10 started: %s.", steps.StepNumber(id), steps.StepTitle(id))
}

func (r *lineReporter) StepDone(id string, _ steps.Action, summary string, took time.Duration) {
	r.say("Step %d of 10 done: %s. %s (%s)", steps.StepNumber(id), steps.StepTitle(id), summary, formatDuration(took))
}

func (r *lineReporter) StepFailed(id string, _ error, took time.Duration) {
	r.say("Step %d of 10 failed: %s (%s).", steps.StepNumber(id), steps.StepTitle(id), formatDuration(took))
}

func (r *lineReporter) Status(ev cloudapi.StatusEvent) {
	line := "Export status " + string(ev.Info.Status)
	if ev.ClusterState != "" {
		line += ", cluster " + string(ev.ClusterState)
		if ev.OperationStatus != "" && ev.OperationStatus != cloudapi.OperationUnspecified {
			line += " (" + string(ev.OperationStatus) + ")"
		}
	}
	if ev.Info.UserMessage != "" {
		line += ". Message: " + ev.Info.UserMessage
	}
	if ev.Err != nil && !ev.Done {
		line = "Status check failed, retrying: " + ev.Err.Error()
	}
	r.mu.Lock()
	same := line == r.lastStatus
	r.lastStatus = line
	r.mu.Unlock()
	if !same {
		r.say("%s, after %s and %d %s.", line, formatAge(ev.Elapsed), ev.Polls, plural(ev.Polls, "poll", "polls"))
	}
}

func (r *lineReporter) PropagationWait(wait, remaining time.Duration, reason string) {
	r.say("Waiting %s for IAM to propagate the role, then enabling again (gives up in %s): %s", formatAge(wait), formatAge(remaining), reason)
}

func (r *lineReporter) Streams(s steps.RegionStreams) {
	if s.Streams == 0 {
		r.say("No log streams yet in %s.", s.Region)
		return
	}
	r.say("Logs arriving in %s: %d streams in %s, newest event %s ago.", s.Region, s.Streams, s.LogGroup, formatAge(r.now().Sub(s.Newest)))
}

// errorText is a failure as one paragraph: what failed, and the fix.
func errorText(err error) string {
	var se *steps.StepError
	if errors.As(err, &se) && se.Fix != "" {
		return err.Error() + "\nFix: " + se.Fix
	}
	return err.Error()
}
