package wizard

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// atDoctor waits for the doctor's report and its choices.
func (hs *harness) atDoctor() *steps.DoctorReport {
	hs.t.Helper()
	hs.until("the doctor's report", 30*time.Second, func() bool {
		if hs.m.phase != phaseProgram || hs.m.final != nil {
			return false
		}
		q, ok := hs.m.prog.Shell().Pending().(steps.Choice)
		return ok && q.ID == steps.ChoiceDoctorNext
	})
	return hs.m.prog.Result().Doctor
}

// TestSetupEnableFailureOpensTheDoctor: setup adopts a role whose inline
// guardrail denies writing logs, so CockroachDB Cloud fails to enable the
// export; the failure screen offers the doctor first, whose report quotes
// the guardrail.
func TestSetupEnableFailureOpensTheDoctor(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{})
	ctx := context.Background()
	iamc := sandboxIAM(sb)
	if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(steps.DefaultRoleName), AssumeRolePolicyDocument: aws.String(awsiam.TrustPolicy(cloudemu.ProdAWSAccountID, "").JSON())}); err != nil {
		t.Fatal(err)
	}
	guardrail := `{"Version":"2012-10-17","Statement":[{"Sid":"NoWrites","Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`
	if _, err := iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(steps.DefaultRoleName), PolicyName: aws.String("Guardrail"), PolicyDocument: aws.String(guardrail)}); err != nil {
		t.Fatal(err)
	}
	hs := newHarness(t, flowOptions(connect), 80, 24)
	answerDefaults(t, hs)
	hs.enter() // apply
	hs.atPhase(phaseFailed)
	if !isEnableFailure(hs.m.err) {
		t.Fatalf("setup failed elsewhere: %v", hs.m.err)
	}
	if !strings.Contains(hs.screen(), "> Diagnose: run the doctor's checks on this cluster") {
		t.Fatalf("the failure does not offer the doctor first:\n%s", hs.screen())
	}
	hs.enter() // Diagnose
	report := hs.atDoctor()
	fd := report.Finding(steps.CheckPermissionsActions)
	if fd.Severity != steps.SeverityError || !strings.Contains(fd.Evidence, `"Effect":"Deny"`) {
		t.Fatalf("permissions-actions: %+v", fd)
	}
	for _, want := range []string{"diagnose log export", "Diagnosis of prod-aws", "✗ error    permissions-actions", `(Sid "NoWrites") of inline policy Guardrail`} {
		if !strings.Contains(squeeze(hs.screen()), squeeze(want)) {
			t.Errorf("report lacks %q:\n%s", want, hs.screen())
		}
	}
	if strings.Contains(hs.screen(), "Fix it") || strings.Contains(hs.screen(), "Enable the export again") {
		t.Errorf("a guardrail is the user's to change, yet the doctor offers to:\n%s", hs.screen())
	}
	checkFits(t, "report after setup", hs.screen(), 80, 24)
	hs.key("down")
	hs.enter() // Back to the menu
	hs.atPhase(phaseMenu)
	if hs.m.prog != nil {
		t.Fatal("the doctor still has the screen")
	}
	hs.key("ctrl+c")
	if res := hs.m.Result(); res.Outcome != Aborted {
		t.Fatalf("result %+v", res)
	}
}

// TestAccessibleSetupEnableFailureOffersTheDoctor is the same failure line
// by line: the first choice runs the doctor, whose report ends the run.
func TestAccessibleSetupEnableFailureOffersTheDoctor(t *testing.T) {
	sb, connect, _ := testSandbox(t, cloudemu.Timings{})
	ctx := context.Background()
	iamc := sandboxIAM(sb)
	if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(steps.DefaultRoleName), AssumeRolePolicyDocument: aws.String(awsiam.TrustPolicy(cloudemu.ProdAWSAccountID, "").JSON())}); err != nil {
		t.Fatal(err)
	}
	guardrail := `{"Version":"2012-10-17","Statement":[{"Sid":"NoWrites","Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`
	if _, err := iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(steps.DefaultRoleName), PolicyName: aws.String("Guardrail"), PolicyDocument: aws.String(guardrail)}); err != nil {
		t.Fatal(err)
	}
	// Enter at every question and the plan, then 1 (Diagnose) at the
	// failure, then the doctor's last choice (quit).
	res, out := runAccessible(t, connect, "", "", "", "", "", "", "", "", "", "1", "2")
	if res.Task != "diagnose log export" || res.Doctor == nil {
		t.Fatalf("the failure did not lead to the doctor: %+v\n%s", res, out)
	}
	fd := res.Doctor.Finding(steps.CheckPermissionsActions)
	if fd.Severity != steps.SeverityError || !strings.Contains(fd.Evidence, `"Sid":"NoWrites"`) {
		t.Errorf("permissions-actions: %+v", fd)
	}
	if res.Outcome != Failed || !strings.Contains(out, "Diagnose: run the doctor's checks on this cluster") || !strings.Contains(out, "permissions-actions") {
		t.Errorf("outcome %v\n%s", res.Outcome, out)
	}
}

func squeeze(s string) string { return strings.Join(strings.Fields(s), "") }
