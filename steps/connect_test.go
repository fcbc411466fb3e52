package steps

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
)

// TestAWSCallerFix: each way of not reaching AWS has its own fix, and none
// is "check the credentials" when the credentials are not the problem.
func TestAWSCallerFix(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&awsiam.CredentialsError{Tried: []string{"environment"}}, "give the tool AWS credentials"},
		{&awsiam.OpError{Op: "sts:GetCallerIdentity", Err: &smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}}, "AWS refused the credentials: they are wrong, expired or revoked"},
		{&awsiam.OpError{Op: "sts:GetCallerIdentity", Err: &smithy.GenericAPIError{Code: "ExpiredToken"}}, "AWS refused the credentials"},
		{errors.New("something else"), "check the AWS credentials and network"},
	} {
		if got := AWSCallerFix(tc.err, nil); !strings.Contains(got, tc.want) {
			t.Errorf("%v: fix %q, want %q", tc.err, got, tc.want)
		}
	}
	// Reading the identity is no step of setup's ten.
	se, ok := AsStepError(callerError(&awsiam.CredentialsError{Tried: []string{"environment"}}, nil))
	if !ok || se.Step != "" || !se.Permanent || strings.Contains(se.Error(), "step") {
		t.Errorf("callerError = %+v", se)
	}
}
