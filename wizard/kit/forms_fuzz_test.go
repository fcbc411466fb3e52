package kit

import (
	"errors"
	"strings"
	"testing"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
)

// FuzzValidateRoleARN checks the role ARN field of the guided setup: it
// accepts exactly role ARNs and policy ARNs (the latter so the roles the
// policy is attached to can be offered), refuses anything else with the
// reason, and the as-you-type warning agrees with it.
func FuzzValidateRoleARN(f *testing.F) {
	for _, s := range []string{
		"arn:aws:iam::314159265358:role/CockroachCloudLogExportRole",
		"  arn:aws:iam::314159265358:role/service-role/R  ",
		"arn:aws:iam::314159265358:policy/CockroachCloudLogExportPolicy",
		"arn:aws:iam::314159265358:user/alice",
		"arn:aws:iam::314159265358:instance-profile/p",
		"arn:aws:sts::314159265358:assumed-role/R/s",
		"arn:aws:iam::31415926535:role/R",
		"arn:aws:iam::314159265358:role/",
		"CockroachCloudLogExportRole",
		"",
		"   ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateRoleARN(s)
		trimmed := strings.TrimSpace(s)
		kind := awsiam.Classify(trimmed)
		_, roleErr := awsiam.CheckRoleARN(trimmed)
		switch {
		case err == nil && kind != awsiam.KindPolicy && roleErr != nil:
			t.Fatalf("accepted %q, which is neither a role ARN nor a policy ARN (%v)", s, roleErr)
		case err != nil && (kind == awsiam.KindPolicy || roleErr == nil):
			t.Fatalf("refused %q (%s): %v", s, kind, err)
		case err != nil && err.Error() == "":
			t.Fatalf("refused %q without a reason", s)
		}
		warning := ARNWarning(s)
		if roleErr == nil && warning != "" {
			t.Fatalf("warned %q about a role ARN %q", warning, s)
		}
		if strings.HasPrefix(trimmed, "arn:") && roleErr != nil {
			var ae *awsiam.ARNError
			if warning == "" || errors.As(roleErr, &ae) && warning != ae.Reason {
				t.Fatalf("for %q the warning %q does not give the reason %v", s, warning, roleErr)
			}
		}
	})
}
