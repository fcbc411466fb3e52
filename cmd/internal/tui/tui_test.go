package tui

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard"
	"github.com/crdb-logexport/crdb-logexport/wizard/doctor"
	"github.com/crdb-logexport/crdb-logexport/wizard/setup"
	"github.com/crdb-logexport/crdb-logexport/wizard/status"
)

// TestEndedReadOnlyTasksNeverResume: diagnosing and watching change
// nothing, so how they end never says "Resume" or "Interrupted" (issue 13,
// defect 4); a setup that failed or was interrupted still does.
func TestEndedReadOnlyTasksNeverResume(t *testing.T) {
	readErr := &steps.StepError{Cause: errors.New("no AWS credentials found"), Fix: "give the tool AWS credentials", Permanent: true}
	for _, tc := range []struct {
		name     string
		res      wizard.Result
		code     int
		want     []string
		wantNone []string
	}{
		{"diagnose failed to read", wizard.Result{Outcome: wizard.Failed, Task: doctor.Title, Rerun: true, Err: readErr, Resume: "crdb-logexport doctor --cluster prod-aws"},
			cmdutil.ExitFailure, []string{"Error: no AWS credentials found\n", "Fix: give the tool AWS credentials\n", "Run again:\n  crdb-logexport doctor --cluster prod-aws\n"}, []string{"Resume", "Interrupted"}},
		{"diagnose stopped after repairs", wizard.Result{Outcome: wizard.Aborted, Task: doctor.Title, Rerun: true, Changed: true, Resume: "crdb-logexport doctor --cluster prod-aws --fix"},
			cmdutil.ExitAborted, []string{"Stopped.\n", "Run again (repairs already made are kept and not repeated):\n  crdb-logexport doctor --cluster prod-aws --fix\n"}, []string{"Resume", "Interrupted"}},
		{"diagnose finished with findings", wizard.Result{Outcome: wizard.Failed, Task: doctor.Title, Rerun: true, Doctor: &steps.DoctorReport{}, Resume: "crdb-logexport doctor --cluster prod-aws"},
			cmdutil.ExitFindings, nil, []string{"Resume", "Interrupted", "Run again"}},
		{"status watch ended on a failure", wizard.Result{Outcome: wizard.Failed, Task: status.Title, Rerun: true, Resume: "crdb-logexport status --cluster prod-aws --watch"},
			cmdutil.ExitFailure, []string{"Run again:\n"}, []string{"Resume", "Interrupted"}},
		{"setup failed", wizard.Result{Outcome: wizard.Failed, Task: setup.Title, Err: readErr, Changed: true, Resume: "crdb-logexport setup --cluster prod-aws --yes"},
			cmdutil.ExitFailure, []string{"Resume:\n  crdb-logexport setup --cluster prod-aws --yes\n"}, nil},
		{"setup interrupted", wizard.Result{Outcome: wizard.Aborted, Task: setup.Title, Changed: true, Resume: "crdb-logexport setup --cluster prod-aws --yes"},
			cmdutil.ExitAborted, []string{"Interrupted.\n", "Resume (nothing is duplicated"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w bytes.Buffer
			err := ended(&w, wizard.Options{}, tc.res, Reports{}, false)
			if code := cmdutil.ExitCode(err); code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			for _, s := range tc.want {
				if !strings.Contains(w.String(), s) {
					t.Errorf("lacks %q:\n%s", s, w.String())
				}
			}
			for _, s := range tc.wantNone {
				if strings.Contains(w.String(), s) {
					t.Errorf("says %q:\n%s", s, w.String())
				}
			}
		})
	}
}

// TestEndedAfterTheInterfaceSaysTheErrorOnce: the interface prints the
// screen it ended on, which shows the error and its fix; the closing lines
// then add only the command that resumes, not the error a second time.
func TestEndedAfterTheInterfaceSaysTheErrorOnce(t *testing.T) {
	res := wizard.Result{Outcome: wizard.Failed, Task: setup.Title, Changed: true, Resume: "crdb-logexport setup --cluster prod-aws --yes",
		Err: &steps.StepError{Cause: errors.New("denied"), Fix: "grant it", Permanent: true}}
	var w bytes.Buffer
	err := ended(&w, wizard.Options{}, res, Reports{}, true)
	if cmdutil.ExitCode(err) != cmdutil.ExitFailure || strings.Contains(w.String(), "Error:") || strings.Contains(w.String(), "Fix:") || !strings.Contains(w.String(), "crdb-logexport setup --cluster prod-aws --yes") {
		t.Fatalf("exit %d:\n%s", cmdutil.ExitCode(err), w.String())
	}
}
