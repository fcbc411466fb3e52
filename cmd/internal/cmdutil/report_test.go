package cmdutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/crdb-logexport/crdb-logexport/steps"
)

// TestFailureTaxonomy: how a failure ends decides its exit and whether a
// resume line follows (issue 13, defect 4).
func TestFailureTaxonomy(t *testing.T) {
	const resume = "crdb-logexport setup --cluster prod-aws --yes"
	for _, tc := range []struct {
		name     string
		err      error
		resume   string
		code     int
		want     []string
		wantNone []string
	}{
		{"a step failed", &steps.StepError{Step: steps.StepRole, Cause: errors.New("boom"), Fix: "do this", Permanent: true}, resume,
			ExitFailure, []string{"Error: step 5 (Create the cross-account IAM role) failed: boom\n", "Fix: do this\n", "Resume (the journal keeps what was done; nothing is repeated):\n  " + resume + "\n"}, []string{"temporary"}},
		{"a passing failure", &steps.StepError{Step: steps.StepEnable, Cause: errors.New("503")}, resume,
			ExitFailure, []string{"This looks temporary", "Resume"}, nil},
		{"a value only the cluster could judge", &steps.StepError{Step: steps.StepTrust, Cause: errors.New("Standard clusters …"), Fix: "leave --external-id out", Permanent: true, Usage: true}, resume,
			ExitUsage, []string{"Error: step 8 (Trust the cluster's account) failed: Standard clusters …\n", "Fix: leave --external-id out\n"}, []string{"Resume", "temporary"}},
		{"a failure of no step", &steps.StepError{Cause: errors.New("log export is not configured for cluster prod-aws"), Fix: "set it up", Permanent: true, Usage: true}, resume,
			ExitUsage, []string{"Error: log export is not configured for cluster prod-aws\n"}, []string{"step", "Resume"}},
		{"a read-only command interrupted", fmt.Errorf("reading: %w", context.Canceled), "",
			ExitAborted, []string{"Stopped.\n"}, []string{"Interrupted", "Resume"}},
		{"a change interrupted", fmt.Errorf("applying: %w", context.Canceled), resume,
			ExitAborted, []string{"Interrupted.\n", "Resume"}, nil},
		{"a read-only command failed", errors.New("boom"), "",
			ExitFailure, []string{"Error: boom\n"}, []string{"Resume"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, jsonOut := range []bool{false, true} {
				var out, errOut bytes.Buffer
				err := Failure(Test(strings.NewReader(""), &out, &errOut, nil), jsonOut, tc.err, tc.resume, 0, nil)
				if code := ExitCode(err); code != tc.code {
					t.Errorf("json=%v: exit %d, want %d", jsonOut, code, tc.code)
				}
				for _, s := range tc.want {
					if !strings.Contains(errOut.String(), s) {
						t.Errorf("json=%v: lacks %q:\n%s", jsonOut, s, errOut.String())
					}
				}
				for _, s := range tc.wantNone {
					if strings.Contains(errOut.String(), s) {
						t.Errorf("json=%v: says %q:\n%s", jsonOut, s, errOut.String())
					}
				}
				if jsonOut && strings.Contains(out.String(), `"resume"`) != (tc.code != ExitUsage && tc.resume != "") {
					t.Errorf("JSON resume wrong:\n%s", out.String())
				}
			}
		})
	}
}
