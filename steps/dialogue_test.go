package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// scripted is one answer of a script: to the decision id, with answer (an
// option ID, a bool, or a func(Question)), after do runs.
type scripted struct {
	id     string
	answer any
	do     func()
}

// script answers a dialogue's decisions in order, failing the test when
// one is asked that it does not expect, and records what was offered.
type script struct {
	t       *testing.T
	answers []scripted
	mu      sync.Mutex
	offered map[string][][]string
	events  []Event
}

func newScript(t *testing.T, answers ...scripted) *script {
	return &script{t: t, answers: answers, offered: map[string][][]string{}}
}

func (s *script) next(id string) scripted {
	s.t.Helper()
	if len(s.answers) == 0 {
		s.t.Fatalf("decision %s asked after the script ended", id)
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	if a.id != id {
		s.t.Fatalf("decision %s asked, the script expects %s", id, a.id)
	}
	if a.do != nil {
		a.do()
	}
	return a
}

func (s *script) Confirm(_ context.Context, q Confirm) (bool, error) {
	a := s.next(q.ID)
	if err, ok := a.answer.(error); ok {
		return false, err
	}
	return a.answer.(bool), nil
}

func (s *script) Choose(_ context.Context, q Choice) (string, error) {
	ids := make([]string, len(q.Options))
	for i, o := range q.Options {
		ids[i] = o.ID
	}
	s.mu.Lock()
	s.offered[q.ID] = append(s.offered[q.ID], ids)
	s.mu.Unlock()
	a := s.next(q.ID)
	if err, ok := a.answer.(error); ok {
		return "", err
	}
	if !q.Has(a.answer.(string)) {
		s.t.Fatalf("decision %s: the script answers %v, the options are %v", q.ID, a.answer, ids)
	}
	return a.answer.(string), nil
}

func (s *script) Answer(_ context.Context, q Question) error {
	id := fmt.Sprintf("%T", q)
	a := s.next(id)
	if f, ok := a.answer.(func(Question)); ok {
		f(q)
	}
	return nil
}

func (s *script) listen(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
}

// done fails the test when answers were left over.
func (s *script) done() {
	s.t.Helper()
	if len(s.answers) > 0 {
		s.t.Fatalf("the dialogue ended before the script's decision %s", s.answers[0].id)
	}
}

func (s *script) lastOffered(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.offered[id]
	if len(o) == 0 {
		return nil
	}
	return o[len(o)-1]
}

func eventsOf[T Event](s *script) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []T
	for _, e := range s.events {
		if x, ok := e.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

func dtApply() SetupOptions {
	return SetupOptions{Watch: dtWatch(), StreamTimeout: 5 * time.Second, PropagationLimit: 300 * time.Millisecond}
}

// TestSetupRetryThatMeetsAConflictShowsThePlanAgain: a retry after a
// failure prepares the plan again; when the plan now has a conflict, it is
// shown with its choices (change the answers, or quit) instead of ending.
func TestSetupRetryThatMeetsAConflictShowsThePlanAgain(t *testing.T) {
	b := newDTBox(t)
	trust := awsiam.TrustPolicy(dtStagingAccount, "")
	if _, err := b.iam.CreateRole(b.ctx, &iam.CreateRoleInput{RoleName: aws.String("HandRole"), AssumeRolePolicyDocument: aws.String(trust.JSON())}); err != nil {
		t.Fatal(err)
	}
	b.sb.Cloud.Controls().InjectFault(knobs.Fault{Op: "cloud:EnableLogExport", Status: 500, Code: "13", Message: "internal error", Times: -1})
	in := SetupInput{Cluster: cloudemu.StagingAWSClusterName, RoleARN: "arn:aws:iam::" + dtOwnAccount + ":role/HandRole", ExternalID: ExternalIDNone}
	s := newScript(t,
		scripted{id: ChoiceSetupPlan, answer: OptApply},
		scripted{id: ChoiceSetupFailed, answer: OptRetry, do: func() {
			// The role's owner changes its trust meanwhile: the cluster
			// may no longer assume it, and this tool does not rewrite roles
			// it did not create.
			b.setTrust("HandRole", awsiam.TrustPolicy(dtOwnAccount, ""))
		}},
		scripted{id: ChoiceSetupPlan, answer: OptQuit},
	)
	end := RunSetup(b.ctx, b.env, SetupTask{Input: in, Apply: dtApply()}, s, s.listen)
	s.done()
	if got := s.lastOffered(ChoiceSetupPlan); !slices.Equal(got, []string{OptEdit, OptQuit}) {
		t.Errorf("the plan after the retry offers %v, want change answers or quit", got)
	}
	if n := len(eventsOf[SetupPlanned](s)); n != 2 {
		t.Errorf("the plan was shown %d times, want 2", n)
	}
	var se *StepError
	if end.Ending != Failed || !errors.As(end.Err, &se) || !errors.Is(end.Err, ErrConflict) || se.Step != StepTrust {
		t.Fatalf("end %+v", end.End)
	}
}

// TestSetupFailureOffersTheDoctorOnAFailedStatus: an export that ends
// ENABLE_FAILED makes the doctor the first choice.
func TestSetupFailureOffersTheDoctorOnAFailedStatus(t *testing.T) {
	b := newDTBox(t)
	if _, err := b.iam.CreateRole(b.ctx, &iam.CreateRoleInput{RoleName: aws.String(dtRole), AssumeRolePolicyDocument: aws.String(awsiam.TrustPolicy(dtStagingAccount, "").JSON())}); err != nil {
		t.Fatal(err)
	}
	guardrail := `{"Version":"2012-10-17","Statement":[{"Sid":"NoWrites","Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`
	if _, err := b.iam.PutRolePolicy(b.ctx, &iam.PutRolePolicyInput{RoleName: aws.String(dtRole), PolicyName: aws.String("Guardrail"), PolicyDocument: aws.String(guardrail)}); err != nil {
		t.Fatal(err)
	}
	s := newScript(t,
		scripted{id: ChoiceSetupPlan, answer: OptApply},
		scripted{id: ChoiceSetupFailed, answer: OptDiagnose},
	)
	end := RunSetup(b.ctx, b.env, SetupTask{Input: SetupInput{Cluster: cloudemu.StagingAWSClusterName, ExternalID: ExternalIDNone}, Apply: dtApply()}, s, s.listen)
	s.done()
	if got := s.lastOffered(ChoiceSetupFailed); len(got) == 0 || got[0] != OptDiagnose || !slices.Contains(got, OptRollback) {
		t.Errorf("the failure offers %v", got)
	}
	if end.Ending != Failed || end.Next != OptDiagnose || !end.Changed {
		t.Fatalf("end %+v", end.End)
	}
}

// TestDoctorGoesOnAfterAFailedRepair: repairs that fail still lead to the
// checks running again and the report's choices, whoever answers.
func TestDoctorGoesOnAfterAFailedRepair(t *testing.T) {
	b := newDTBox(t)
	b.setup(SetupInput{Cluster: cloudemu.StagingAWSClusterName, ExternalID: ExternalIDNone})
	b.setTrust(dtRole, awsiam.TrustPolicy(dtOwnAccount, ""))
	b.sb.AWS.Controls().InjectFault(knobs.Fault{Op: "iam:UpdateAssumeRolePolicy", Status: 403, Code: "AccessDenied", Message: "denied by a guardrail", Times: -1})
	s := newScript(t,
		scripted{id: ChoiceDoctorNext, answer: OptFix},
		scripted{id: ConfirmApplyFixes, answer: true},
		scripted{id: ChoiceDoctorNext, answer: OptQuit},
	)
	end := RunDoctor(b.ctx, b.env, DoctorTask{Ref: cloudemu.StagingAWSClusterName, FixOptions: dtFixOptions()}, s, s.listen)
	s.done()
	done := eventsOf[FixesDone](s)
	if len(done) != 1 || done[0].Err == nil || !strings.Contains(done[0].Err.Error(), "denied by a guardrail") {
		t.Fatalf("the failed repair was not reported: %+v", done)
	}
	if d := eventsOf[Diagnosed](s); len(d) != 2 || d[1].After != StageRepair {
		t.Fatalf("the checks did not run again after the failed repair: %+v", d)
	}
	if end.Ending != Failed || end.Report == nil || end.Report.OK || !end.Changed {
		t.Fatalf("end %+v", end.End)
	}
}

// TestUpdateFailureOffersChangingTheConfiguration: after a failed update
// the configuration can be changed, and the change is planned again.
func TestUpdateFailureOffersChangingTheConfiguration(t *testing.T) {
	b := newDTBox(t)
	b.setup(SetupInput{Cluster: cloudemu.StagingAWSClusterName, ExternalID: ExternalIDNone})
	b.sb.Cloud.Controls().InjectFault(knobs.Fault{Op: "cloud:EnableLogExport", Status: 403, Code: "7", Message: "not allowed", Times: 1})
	s := newScript(t,
		scripted{id: ChoiceUpdateReview, answer: OptApply},
		scripted{id: ChoiceUpdateFailed, answer: OptEdit},
		scripted{id: "*steps.UpdateQuestions", answer: func(q Question) {
			q.(*UpdateQuestions).Desired.Redact = cloudapi.Bool(false)
		}},
		scripted{id: ChoiceUpdateReview, answer: OptDone},
	)
	end := RunUpdate(b.ctx, b.env, UpdateTask{In: UpdateInput{Cluster: cloudemu.StagingAWSClusterName, Edit: SpecEdit{Redact: cloudapi.Bool(true)}}, Options: UpdateOptions{Watch: dtWatch(), StreamTimeout: 5 * time.Second}}, s, s.listen)
	s.done()
	if got := s.lastOffered(ChoiceUpdateFailed); !slices.Equal(got, []string{OptRetry, OptEdit, OptQuit}) {
		t.Errorf("the failure offers %v", got)
	}
	if end.Ending != Completed || end.Result == nil || len(end.Result.Diff) != 0 {
		t.Fatalf("end %+v, result %+v", end.End, end.Result)
	}
}

// TestUnattendedAnswersFromFlags: without a person, --yes confirms, a
// choice takes its unattended option, and a change that needs confirming
// without --yes names the flag.
func TestUnattendedAnswersFromFlags(t *testing.T) {
	ctx := context.Background()
	q := Choice{ID: ChoiceSetupPlan, Title: "Apply this plan?", Options: []Option{{OptApply, "Apply"}, {OptQuit, "Cancel"}}, Unattended: OptApply, Confirms: true, Flag: "--yes"}
	if c, err := (Unattended{Yes: true}).Choose(ctx, q); err != nil || c != OptApply {
		t.Fatalf("with --yes: %q %v", c, err)
	}
	var ne *NeedsPersonError
	if _, err := (Unattended{}).Choose(ctx, q); !errors.As(err, &ne) || ne.Flag != "--yes" {
		t.Fatalf("without --yes: %v", err)
	}
	failed := Choice{ID: ChoiceSetupFailed, Options: []Option{{OptRetry, "Retry"}, {OptQuit, "Quit"}}, Unattended: OptQuit}
	if c, err := (Unattended{}).Choose(ctx, failed); err != nil || c != OptQuit {
		t.Fatalf("after a failure: %q %v", c, err)
	}
	if err := (Unattended{}).Answer(ctx, &ClusterQuestion{}); !errors.As(err, &ne) || ne.Flag != "--cluster" {
		t.Fatalf("the cluster: %v", err)
	}
}
