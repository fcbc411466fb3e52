package wizard

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/menu"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell/shelltest"
)

// guardrail makes setup adopt a role whose inline guardrail denies
// writing logs, so CockroachDB Cloud fails to enable the export.
func guardrail(t *testing.T, sb *sandbox.Env) {
	t.Helper()
	ctx := context.Background()
	iamc := shelltest.IAM(sb)
	if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(shelltest.ProdRole), AssumeRolePolicyDocument: aws.String(awsiam.TrustPolicy(cloudemu.ProdAWSAccountID, "").JSON())}); err != nil {
		t.Fatal(err)
	}
	deny := `{"Version":"2012-10-17","Statement":[{"Sid":"NoWrites","Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`
	if _, err := iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(shelltest.ProdRole), PolicyName: aws.String("Guardrail"), PolicyDocument: aws.String(deny)}); err != nil {
		t.Fatal(err)
	}
}

// TestSetupEnableFailureOpensTheDoctor: the failure screen offers the
// doctor first, whose report quotes the guardrail; leaving it goes back to
// the menu.
func TestSetupEnableFailureOpensTheDoctor(t *testing.T) {
	sb, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	guardrail(t, sb)
	hs := start(t, options(build), 80, 24)
	setUpWithDefaults(hs)
	q := pending(hs, steps.ChoiceSetupFailed)
	if q.Options[0].ID != steps.OptDiagnose || !hs.Has("> Diagnose: run the doctor's checks on this cluster") {
		t.Fatalf("the failure does not offer the doctor first:\n%s", hs.Screen())
	}
	hs.Enter() // Diagnose
	pending(hs, steps.ChoiceDoctorNext)
	report := hs.P.Result().Doctor
	fd := report.Finding(steps.CheckPermissionsActions)
	if fd.Severity != steps.SeverityError || !strings.Contains(fd.Evidence, `"Effect":"Deny"`) {
		t.Fatalf("permissions-actions: %+v", fd)
	}
	for _, want := range []string{"diagnose log export", "Diagnosis of prod-aws", "✗ error    permissions-actions", `(Sid "NoWrites") of inline policy Guardrail`} {
		if !hs.Has(want) {
			t.Errorf("report lacks %q:\n%s", want, hs.Screen())
		}
	}
	if s := hs.Screen(); strings.Contains(s, "Fix it") || strings.Contains(s, "Enable the export again") {
		t.Errorf("a guardrail is the user's to change, yet the doctor offers to:\n%s", s)
	}
	shelltest.CheckFits(t, "report after setup", hs.Screen(), 80, 24)
	hs.Key("down")
	hs.Enter() // Back to the menu
	atTask(hs, menu.Title)
	hs.Key("ctrl+c")
	if res := hs.P.Result(); res.Outcome != Aborted {
		t.Fatalf("result %+v", res)
	}
}

// TestAccessibleSetupEnableFailureOffersTheDoctor is the same failure line
// by line: the first choice runs the doctor, whose report ends the run.
func TestAccessibleSetupEnableFailureOffersTheDoctor(t *testing.T) {
	sb, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	guardrail(t, sb)
	// Enter at every question and the plan, then 1 (Diagnose) at the
	// failure, then the doctor's last choice (quit).
	res, out := runAccessible(t, build, "", "", "", "", "", "", "", "", "", "1", "2")
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
