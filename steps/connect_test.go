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
	// Reading the identity is none of setup's ten steps (not step 5).
	se, ok := AsStepError(callerError(&awsiam.CredentialsError{Tried: []string{"environment"}}, nil))
	if !ok || se.Step != StepAWSIdentity || !se.Permanent || !strings.HasPrefix(se.Error(), "step “Identify the AWS account” failed: no AWS credentials found") {
		t.Errorf("callerError = %v", se)
	}
}
