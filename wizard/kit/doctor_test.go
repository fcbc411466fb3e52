package kit

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

func sampleReport() *steps.DoctorReport {
	long := strings.Repeat("a fairly long explanation that must wrap ", 6)
	return &steps.DoctorReport{ClusterID: "c-1", ClusterName: "prod-aws", Status: cloudapi.StatusEnabled, Findings: []steps.Finding{
		{Check: steps.CheckExportStatus, Severity: steps.SeverityOK, Summary: "log export is ENABLED"},
		{Check: steps.CheckTrustPrincipal, Severity: steps.SeverityError, Summary: "the trust policy does not let the cluster's account 271828182845 assume the role",
			Detail: long, Evidence: `Statement[0] of the trust policy: {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::314159265358:root"},"Action":"sts:AssumeRole"}`,
			Fix: "--fix replaces the trust policy", Fixable: true},
		{Check: steps.CheckLogGroupKMS, Severity: steps.SeverityWarning, Summary: "1 log group(s) are encrypted", Evidence: `kmsKeyId "arn:aws:kms:us-east-1:1:key/k"`, Fix: "check the key policy"},
		{Check: steps.CheckRoleAccount, Severity: steps.SeverityInfo, Summary: "not checked: something"},
	}}
}

// TestDoctorReportAsText: the one report renderer, as commands print it —
// worst first, prose within 80 columns, evidence whole to copy.
func TestDoctorReportAsText(t *testing.T) {
	var b bytes.Buffer
	WriteDoctorReport(&b, sampleReport(), "doctor --fix")
	out := b.String()
	order := []string{"Diagnosis of prod-aws · ✓ ENABLED · 1 error · 1 warning · 1 info · 1 ok", "✗ error    trust-principal", "⚠ warning  log-group-kms", "· info     role-account", "✓ ok       export-status"}
	last := -1
	for _, s := range order {
		i := strings.Index(out, s)
		if i < 0 || i < last {
			t.Fatalf("%q missing or out of order:\n%s", s, out)
		}
		last = i
	}
	for _, line := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(line) > 80 && !strings.HasPrefix(line, "      ") {
			t.Errorf("line wider than 80 columns: %q", line)
		}
	}
	for _, want := range []string{
		`      Statement[0] of the trust policy: {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::314159265358:root"},"Action":"sts:AssumeRole"}`,
		"    Fix: --fix replaces the trust policy (doctor --fix can do this)",
		"    Fix: check the key policy\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestDoctorReportFitsAScreen: the same renderer laid out for a screen
// breaks even the evidence at the width, keeping every character.
func TestDoctorReportFitsAScreen(t *testing.T) {
	r := sampleReport()
	out := ansi.Strip(DoctorFindings(r, NewStyles(), Layout{Width: 60, Fit: true, FixHint: "Fix it"}))
	for _, line := range strings.Split(out, "\n") {
		if ansi.StringWidth(line) > 60 {
			t.Errorf("line wider than 60 columns: %q", line)
		}
	}
	if !strings.Contains(strings.Join(strings.Fields(out), ""), strings.Join(strings.Fields(r.Findings[1].Evidence), "")) {
		t.Errorf("the evidence lost characters:\n%s", out)
	}
	if !strings.Contains(strings.Join(strings.Fields(out), " "), "(Fix it can do this)") {
		t.Errorf("no fix hint:\n%s", out)
	}
}

// TestDoctorReportCausesFirst: a finding that follows from another comes
// after its cause, whatever the check order; a consequence takes one line
// that names its cause.
func TestDoctorReportCausesFirst(t *testing.T) {
	r := &steps.DoctorReport{ClusterID: "c-1", ClusterName: "staging-aws", Status: cloudapi.StatusEnableFailed, Findings: []steps.Finding{
		{Check: steps.CheckExportStatus, Severity: steps.SeverityError, Summary: "log export is ENABLE_FAILED", CausedBy: []string{steps.CheckPermissionsAccount},
			Detail: "The finding permissions-resource-account explains it.", Fix: "--fix enables the export again", Fixable: true},
		{Check: steps.CheckPermissionsAccount, Severity: steps.SeverityError, Summary: "the resource ARNs name the cluster's account", Fix: "--fix writes the policy", Fixable: true},
		{Check: steps.CheckPermissionsLogGroup, Severity: steps.SeverityInfo, CausedBy: []string{steps.CheckPermissionsAccount},
			Summary: "follows from permissions-resource-account: logs:DescribeLogGroups refused in us-east-2 for that reason"},
	}}
	var b bytes.Buffer
	WriteDoctorReport(&b, r, "doctor --fix")
	out := b.String()
	cause := strings.Index(out, "✗ error    permissions-resource-account")
	status := strings.Index(out, "✗ error    export-status")
	if cause < 0 || status < cause {
		t.Fatalf("the cause does not come before the status that follows from it:\n%s", out)
	}
	if !strings.Contains(out, "\n· info     permissions-log-group         follows from permissions-resource-account: logs:DescribeLogGroups refused in us-east-2 for that reason\n") {
		t.Fatalf("the consequence is not one line naming its cause:\n%s", out)
	}
}
