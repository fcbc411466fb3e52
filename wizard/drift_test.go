package wizard

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/huh/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/charmbracelet/colorprofile"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell/shelltest"
)

// The drift test runs every task's failure paths through each driver of
// its dialogue — the interface, accessible mode, and the non-interactive
// command where it has a say — and asserts that each is offered the same
// decisions with the same choices. Each driver answers them from the
// same script; questions (setup's, update's edit screen) keep their
// defaults.

// offer is a decision as a driver saw it: a Choice's options, or a
// Confirm's yes and no.
type offer struct {
	ID      string
	Options []string
}

func (o offer) String() string { return o.ID + "[" + strings.Join(o.Options, " ") + "]" }

func offerOf(d any) offer {
	switch q := d.(type) {
	case steps.Choice:
		o := offer{ID: q.ID}
		for _, opt := range q.Options {
			o.Options = append(o.Options, opt.ID)
		}
		return o
	case steps.Confirm:
		return offer{ID: q.ID, Options: []string{"yes", "no"}}
	}
	return offer{ID: fmt.Sprintf("%T", d)}
}

// answer is the script's answer to the decision id: an option, or "yes"
// or "no"; do runs first (the world changing meanwhile).
type answer struct {
	id, pick string
	do       func(w *world)
}

// world is a case's sandbox, fresh for each driver.
type world struct {
	t     *testing.T
	sb    *sandbox.Env
	build shelltest.Build
}

// role makes a role as its owner would, by hand.
func (w *world) role(name string, trust *awsiam.PolicyDocument) {
	if _, err := shelltest.IAM(w.sb).CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust.JSON())}); err != nil {
		w.t.Fatal(err)
	}
}

// script hands out a case's answers in order and notes what was offered.
type script struct {
	t       *testing.T
	w       *world
	driver  string
	mu      sync.Mutex
	answers []answer
	offers  []offer
}

// take notes the offer d and returns the answer to it, or false when the
// script expected another decision, or none.
func (s *script) take(d any) (answer, bool) {
	s.mu.Lock()
	o := offerOf(d)
	s.offers = append(s.offers, o)
	if len(s.answers) == 0 || s.answers[0].id != o.ID {
		s.mu.Unlock()
		s.t.Errorf("%s: offered %s, which the script does not expect (next: %v)", s.driver, o, s.answers)
		return answer{}, false
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	s.mu.Unlock()
	if !slices.Contains(o.Options, a.pick) {
		s.t.Errorf("%s: %s does not offer %s", s.driver, o, a.pick)
		return answer{}, false
	}
	if a.do != nil {
		a.do(s.w)
	}
	return a, true
}

func (s *script) taken() []offer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.offers)
}

// driftCase is one failure path of a task.
type driftCase struct {
	name string
	// arrange makes the world the failure happens in.
	arrange func(w *world)
	// opts opens the interface on the task (the menu is not involved, so
	// neither is the way back to it).
	opts func(o *Options)
	// command is the dialogue as the command runs it, without a person
	// and with --yes.
	command func(ctx context.Context, env *steps.Env, p steps.Prompter) any
	answers []answer
	// check is what the drift case says is offered.
	check func(t *testing.T, offers []offer)
}

func TestDriversAreOfferedTheSameChoices(t *testing.T) {
	const cluster = cloudemu.StagingAWSClusterName
	denyPolicy := func(w *world) {
		w.sb.AWS.Controls().InjectFault(knobs.Fault{Op: "iam:CreatePolicy", Status: 403, Code: "AccessDenied", Message: "not authorized to perform: iam:CreatePolicy", Times: -1})
	}
	setupOpts := func(o *Options) { o.Start = StartSetup }
	setupCommand := func(in steps.SetupInput) func(context.Context, *steps.Env, steps.Prompter) any {
		return func(ctx context.Context, env *steps.Env, p steps.Prompter) any {
			return steps.RunSetup(ctx, env, steps.SetupTask{Input: in, Apply: shelltest.FastApply}, p, nil)
		}
	}
	handRole := "arn:aws:iam::" + shelltest.Account + ":role/HandRole"
	cases := []driftCase{
		{
			name:    "setup/a denied step is rolled back",
			arrange: denyPolicy,
			opts:    setupOpts,
			command: setupCommand(steps.SetupInput{Cluster: cluster, ExternalID: steps.ExternalIDAuto}),
			answers: []answer{
				{id: steps.ChoiceSetupPlan, pick: steps.OptApply},
				{id: steps.ChoiceSetupFailed, pick: steps.OptRollback},
				{id: steps.ConfirmRollback, pick: "yes"},
				{id: steps.ChoiceSetupFailed, pick: steps.OptQuit},
			},
			check: func(t *testing.T, o []offer) {
				if !slices.Equal(o[3].Options, []string{steps.OptRetry, steps.OptQuit}) {
					t.Errorf("after the rollback: %s", o[3])
				}
			},
		},
		{
			name: "setup/a retry that meets a conflict shows the plan again",
			arrange: func(w *world) {
				w.role("HandRole", awsiam.TrustPolicy(cloudemu.StagingAWSAccountID, ""))
				w.sb.Cloud.Controls().InjectFault(knobs.Fault{Op: "cloud:EnableLogExport", Status: 500, Code: "13", Message: "internal error", Times: -1})
			},
			opts: func(o *Options) {
				o.Start = StartSetup
				o.Input.RoleARN, o.Input.ExternalID = handRole, steps.ExternalIDNone
			},
			command: setupCommand(steps.SetupInput{Cluster: cluster, RoleARN: handRole, ExternalID: steps.ExternalIDNone}),
			answers: []answer{
				{id: steps.ChoiceSetupPlan, pick: steps.OptApply},
				{id: steps.ChoiceSetupFailed, pick: steps.OptRetry, do: func(w *world) {
					// The role's owner changes its trust meanwhile: the
					// cluster may no longer assume it.
					if err := awsiam.UpdateTrust(context.Background(), shelltest.IAM(w.sb), "HandRole", awsiam.TrustPolicy(shelltest.Account, "")); err != nil {
						w.t.Fatal(err)
					}
				}},
				{id: steps.ChoiceSetupPlan, pick: steps.OptQuit},
			},
			check: func(t *testing.T, o []offer) {
				if !slices.Equal(o[2].Options, []string{steps.OptEdit, steps.OptQuit}) {
					t.Errorf("the plan after the retry: %s", o[2])
				}
			},
		},
		{
			name: "setup/an export that fails offers the doctor",
			arrange: func(w *world) {
				w.role(shelltest.StagingRole, awsiam.TrustPolicy(cloudemu.StagingAWSAccountID, ""))
				deny := `{"Version":"2012-10-17","Statement":[{"Sid":"NoWrites","Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`
				if _, err := shelltest.IAM(w.sb).PutRolePolicy(context.Background(), &iam.PutRolePolicyInput{RoleName: aws.String(shelltest.StagingRole), PolicyName: aws.String("Guardrail"), PolicyDocument: aws.String(deny)}); err != nil {
					w.t.Fatal(err)
				}
			},
			opts: func(o *Options) {
				o.Start = StartSetup
				o.Input.ExternalID = steps.ExternalIDNone
			},
			command: setupCommand(steps.SetupInput{Cluster: cluster, ExternalID: steps.ExternalIDNone}),
			answers: []answer{
				{id: steps.ChoiceSetupPlan, pick: steps.OptApply},
				{id: steps.ChoiceSetupFailed, pick: steps.OptQuit},
			},
			check: func(t *testing.T, o []offer) {
				if o[1].Options[0] != steps.OptDiagnose {
					t.Errorf("the failure: %s", o[1])
				}
			},
		},
		{
			name:    "status --watch/a failed export offers the doctor",
			arrange: func(w *world) { shelltest.ExportWithWrongTrust(w.t, w.build) },
			opts:    func(o *Options) { o.Start = StartStatus },
			command: func(ctx context.Context, env *steps.Env, p steps.Prompter) any {
				// Unattended, --watch keeps following until interrupted.
				ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				defer cancel()
				return steps.RunStatus(ctx, env, steps.StatusTask{Ref: cluster, Follow: true, Watch: shelltest.Watch}, p, nil)
			},
			answers: []answer{{id: steps.ChoiceStatusNext, pick: steps.OptQuit}},
			check: func(t *testing.T, o []offer) {
				if !slices.Contains(o[0].Options, steps.OptDiagnose) {
					t.Errorf("the failed status: %s", o[0])
				}
			},
		},
		{
			name: "doctor/a failed repair goes on",
			arrange: func(w *world) {
				shelltest.ExportWithWrongTrust(w.t, w.build)
				w.sb.AWS.Controls().InjectFault(knobs.Fault{Op: "iam:UpdateAssumeRolePolicy", Status: 403, Code: "AccessDenied", Message: "not authorized to perform: iam:UpdateAssumeRolePolicy", Times: -1})
			},
			opts: func(o *Options) { o.Start = StartDoctor },
			command: func(ctx context.Context, env *steps.Env, p steps.Prompter) any {
				return steps.RunDoctor(ctx, env, steps.DoctorTask{Ref: cluster, Fix: true, FixOptions: shelltest.FastFix}, p, nil)
			},
			answers: []answer{
				{id: steps.ChoiceDoctorNext, pick: steps.OptFix},
				{id: steps.ConfirmApplyFixes, pick: "yes"},
				{id: steps.ChoiceDoctorNext, pick: steps.OptQuit},
			},
		},
		{
			name: "update/a failure offers changing the configuration",
			arrange: func(w *world) {
				shelltest.SetUp(w.t, w.build, steps.SetupInput{Cluster: cluster})
				w.sb.Cloud.Controls().InjectFault(knobs.Fault{Op: "cloud:EnableLogExport", Status: 403, Code: "7", Message: "the service account lacks permission to change this cluster", Times: -1})
			},
			opts: func(o *Options) {
				o.Start = StartUpdate
				o.Update = steps.UpdateInput{Cluster: cluster, Edit: steps.SpecEdit{Redact: cloudapi.Bool(true)}}
			},
			command: func(ctx context.Context, env *steps.Env, p steps.Prompter) any {
				in := steps.UpdateInput{Cluster: cluster, Edit: steps.SpecEdit{Redact: cloudapi.Bool(true)}}
				return steps.RunUpdate(ctx, env, steps.UpdateTask{In: in, Options: steps.UpdateOptions{Watch: shelltest.Watch}}, p, nil)
			},
			answers: []answer{
				{id: steps.ChoiceUpdateReview, pick: steps.OptApply},
				{id: steps.ChoiceUpdateFailed, pick: steps.OptQuit},
			},
			check: func(t *testing.T, o []offer) {
				if !slices.Contains(o[1].Options, steps.OptEdit) {
					t.Errorf("the failure: %s", o[1])
				}
			},
		},
		{
			name: "disable/a failure offers a retry",
			arrange: func(w *world) {
				shelltest.SetUp(w.t, w.build, steps.SetupInput{Cluster: cluster})
				w.sb.Cloud.Controls().InjectFault(knobs.Fault{Op: "cloud:DeleteLogExport", Status: 403, Code: "7", Message: "permission denied", Times: -1})
			},
			opts: func(o *Options) { o.Start = StartDisable },
			command: func(ctx context.Context, env *steps.Env, p steps.Prompter) any {
				return steps.RunDisable(ctx, env, steps.DisableTask{In: steps.DisableInput{Cluster: cluster}, Options: steps.DisableOptions{Watch: shelltest.Watch}}, p, nil)
			},
			answers: []answer{
				{id: steps.ChoiceDisableWhat, pick: steps.OptDisable},
				{id: steps.ChoiceDisableFailed, pick: steps.OptQuit},
			},
			check: func(t *testing.T, o []offer) {
				if !slices.Contains(o[1].Options, steps.OptRetry) {
					t.Errorf("the failure: %s", o[1])
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ui := viaInterface(t, c)
			acc := viaAccessible(t, c)
			cmd, cmdAnswers := viaCommand(t, c)
			t.Logf("interface %v\naccessible %v\ncommand %v (answered %v)", ui, acc, cmd, cmdAnswers)
			if !slices.EqualFunc(ui, acc, offerEqual) {
				t.Errorf("the interface was offered\n  %v\naccessible mode\n  %v", ui, acc)
			}
			if len(ui) != len(c.answers) {
				t.Fatalf("the interface was offered %v; the script answers %d decisions", ui, len(c.answers))
			}
			// The command is offered the same, until its answer (the one
			// without a person) departs from the script's.
			for i, o := range cmd {
				if i >= len(ui) || !offerEqual(o, ui[i]) {
					t.Errorf("the command was offered %v, the interface %v", cmd, ui)
					break
				}
				if cmdAnswers[i] != c.answers[i].pick {
					break
				}
			}
			if len(cmd) == 0 {
				t.Errorf("the command was offered nothing")
			}
			if c.check != nil {
				c.check(t, ui)
			}
		})
	}
}

func offerEqual(a, b offer) bool { return a.ID == b.ID && slices.Equal(a.Options, b.Options) }

func newWorld(t *testing.T, c driftCase) *world {
	sb, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	w := &world{t: t, sb: sb, build: build}
	c.arrange(w)
	return w
}

func (c driftCase) options(w *world) Options {
	o := options(w.build)
	o.Input.Cluster = cloudemu.StagingAWSClusterName
	o.Doctor = steps.DoctorOptions{}
	c.opts(&o)
	return o
}

// viaInterface answers as a person at the interface does: a choice shown
// as a list by moving to its option, a yes-or-no by its key, and one
// offered by keys of a live screen through them (the task's own keys:
// the shell's reply); a question keeps its defaults.
func viaInterface(t *testing.T, c driftCase) []offer {
	w := newWorld(t, c)
	s := &script{t: t, w: w, driver: "interface", answers: slices.Clone(c.answers)}
	hs := start(t, c.options(w), 100, 30)
	for {
		hs.Until("a form, a decision or the end", 60*time.Second, func() bool {
			sh := hs.P.Shell()
			return hs.P.Ended() || sh.Pending() != nil || sh.Form() != nil
		})
		sh := hs.P.Shell()
		if hs.P.Ended() {
			return s.taken()
		}
		d := sh.Pending()
		if d == nil {
			hs.Enter()
			continue
		}
		a, ok := s.take(d)
		if !ok {
			hs.Key("ctrl+c")
			return s.taken()
		}
		form := sh.Form()
		var field huh.Field
		if form != nil {
			field = form.GetFocusedField()
		}
		switch field.(type) {
		case *huh.Select[string]:
			hs.Key("g")
			for range slices.Index(offerOf(d).Options, a.pick) {
				hs.Key("down")
			}
			hs.Key("enter")
		case *huh.Confirm:
			if _, isConfirm := d.(steps.Confirm); isConfirm {
				hs.Key(map[bool]string{true: "y", false: "n"}[a.pick == "yes"])
				break
			}
			sh.Reply(a.pick)
		default:
			sh.Reply(a.pick)
		}
		hs.Until("the answer", 30*time.Second, func() bool {
			return hs.P.Ended() || hs.P.Shell().Pending() == nil || hs.P.Shell().Form() != form
		})
	}
}

// viaAccessible answers line by line: each decision by its number (or y
// or n), each question with an empty line (its default). A decision the
// script does not expect ends the input.
func viaAccessible(t *testing.T, c driftCase) []offer {
	w := newWorld(t, c)
	s := &script{t: t, w: w, driver: "accessible", answers: slices.Clone(c.answers)}
	p := program(context.Background(), c.options(w), true)
	in := &scriptedInput{s: s, p: p}
	var out shelltest.SyncBuffer
	o := colorprofile.NewWriter(&out, []string{"TERM=dumb"})
	shell.Drive(context.Background(), p, in, o, &kit.Lines{W: o, Results: o, Words: true, Live: true, Plans: true, FixHint: "Fix it"})
	p.Stop(10 * time.Second)
	if t.Failed() {
		t.Logf("accessible transcript:\n%s", out.String())
	}
	return s.taken()
}

// scriptedInput is what a person types in accessible mode, line by line
// as each prompt reads it (one byte a read, as a terminal gives it). It
// runs on the driver's goroutine, between Updates.
type scriptedInput struct {
	s    *script
	p    *shell.Program
	buf  []byte
	last *huh.Form
	end  bool
	// defaults counts the empty answers in a row: a prompt that refuses
	// its default would ask forever.
	defaults int
}

func (in *scriptedInput) Read(b []byte) (int, error) {
	if len(in.buf) == 0 {
		if in.end {
			return 0, io.EOF
		}
		line, ok := in.next()
		if !ok {
			in.end = true
			return 0, io.EOF
		}
		in.buf = []byte(line + "\n")
	}
	b[0] = in.buf[0]
	in.buf = in.buf[1:]
	return 1, nil
}

func (in *scriptedInput) next() (string, bool) {
	sh := in.p.Shell()
	d := sh.Pending()
	if d == nil || sh.Form() == in.last {
		in.defaults++
		if in.defaults > 40 {
			in.s.t.Errorf("accessible: a prompt keeps refusing its default")
			return "", false
		}
		return "", true
	}
	in.defaults = 0
	in.last = sh.Form()
	a, ok := in.s.take(d)
	switch {
	case !ok:
		return "", false
	case a.pick == "yes":
		return "y", true
	case a.pick == "no":
		return "n", true
	}
	return strconv.Itoa(slices.Index(offerOf(d).Options, a.pick) + 1), true
}

// viaCommand runs the dialogue as the command does without a person, with
// --yes; it returns what was offered and what was answered.
func viaCommand(t *testing.T, c driftCase) ([]offer, []string) {
	w := newWorld(t, c)
	env, err := w.build(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{p: steps.Unattended{Yes: true}}
	c.command(context.Background(), env, r)
	return r.offers, r.answers
}

// recorder notes the decisions a Prompter is given and its answers.
type recorder struct {
	p       steps.Prompter
	offers  []offer
	answers []string
}

func (r *recorder) Confirm(ctx context.Context, q steps.Confirm) (bool, error) {
	yes, err := r.p.Confirm(ctx, q)
	r.offers = append(r.offers, offerOf(q))
	r.answers = append(r.answers, map[bool]string{true: "yes", false: "no"}[yes])
	return yes, err
}

func (r *recorder) Choose(ctx context.Context, q steps.Choice) (string, error) {
	c, err := r.p.Choose(ctx, q)
	r.offers = append(r.offers, offerOf(q))
	r.answers = append(r.answers, c)
	return c, err
}

func (r *recorder) Answer(ctx context.Context, q steps.Question) error { return r.p.Answer(ctx, q) }
