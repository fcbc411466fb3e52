package tfexport

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// readError runs Read and requires an *Error whose message and fix say
// what is wanted.
func readError(t *testing.T, env *steps.Env, cluster, inMessage, inFix string) *Error {
	t.Helper()
	_, err := Read(testCtx(t), env, cluster)
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("Read(%s) = %v, want a *tfexport.Error", cluster, err)
	}
	if !strings.Contains(te.Error(), inMessage) || !strings.Contains(te.Fix, inFix) {
		t.Errorf("Read(%s): %q, fix %q; want %q and a fix with %q", cluster, te.Error(), te.Fix, inMessage, inFix)
	}
	return te
}

// TestReadRefusesWhatItCannotDescribe: every case with nothing to export,
// or an export whose role cannot be read, is an error that names the fix.
func TestReadRefusesWhatItCannotDescribe(t *testing.T) {
	env, sb := testEnv(t)

	readError(t, env, cloudemu.StagingAWSClusterName, "has no log export to describe", "crdb-logexport setup --cluster staging-aws")
	te := readError(t, env, cloudemu.AnalyticsGCPClusterName, "does not apply", "Advanced and Standard clusters on AWS")
	if !errors.Is(te, steps.ErrNotApplicable) {
		t.Errorf("GCP: %v is not ErrNotApplicable", te)
	}
	readError(t, env, "no-such-cluster", "no-such-cluster", "--cluster")

	// auth_principal naming a role in another account, and a role that
	// does not exist: each export is POSTed by hand and fails.
	for _, tc := range []struct {
		principal, inMessage, inFix string
	}{
		{"arn:aws:iam::123456789012:role/Elsewhere", "is in account 123456789012", "credentials for account 123456789012"},
		{"arn:aws:iam::" + sandboxAccount + ":role/Gone", "does not exist in account " + sandboxAccount, "doctor --cluster staging-aws --fix"},
	} {
		cloudPost(t, sb, "/api/v1/clusters/"+cloudemu.StagingAWSClusterID+"/logexport", map[string]any{
			"type": "AWS_CLOUDWATCH", "log_name": "staging-logs", "auth_principal": tc.principal,
		})
		waitTerminal(t, env, cloudemu.StagingAWSClusterID)
		readError(t, env, cloudemu.StagingAWSClusterName, tc.inMessage, tc.inFix)
	}
}

// TestCheckPrincipal: the API refuses a policy ARN as auth_principal, but
// the tool's other readers meet them in the wild (PRODUCT.md §2 step 9), so
// the export refuses one too, naming the fix.
func TestCheckPrincipal(t *testing.T) {
	live := edgeLive()
	live.Export.Spec.AuthPrincipal = "arn:aws:iam::" + sandboxAccount + ":policy/SomePolicy"
	_, err := live.check()
	var te *Error
	if !errors.As(err, &te) || !strings.Contains(te.Error(), "is a policy ARN, not a role ARN") || !strings.Contains(te.Fix, "doctor --cluster edge --fix") {
		t.Errorf("policy ARN: %v", err)
	}
	live.Export.Spec.AuthPrincipal = "not-an-arn"
	if _, err := live.check(); !errors.As(err, &te) || !strings.Contains(te.Error(), "is not an ARN") {
		t.Errorf("not an ARN: %v", err)
	}
	live.Export.Spec.AuthPrincipal = "arn:aws:iam::" + sandboxAccount + ":role/path/edge-role"
	if name, err := live.check(); err != nil || name != "edge-role" {
		t.Errorf("role ARN with a path: %q, %v", name, err)
	}
	live.Export.Spec.Type = cloudapi.TypeGCPCloudLogging
	if _, err := live.check(); !errors.As(err, &te) || !strings.Contains(te.Error(), "GCP_CLOUD_LOGGING") {
		t.Errorf("GCP type: %v", err)
	}
}

// TestReadAWSFailureNamesTheFix: a denied read says which permissions the
// export needs.
func TestReadAWSFailureNamesTheFix(t *testing.T) {
	env, sb := testEnv(t)
	setUp(t, env, steps.SetupInput{Cluster: cloudemu.StandardAWSClusterName})
	req, err := http.NewRequest(http.MethodPost, sb.AWSURL+"/_sandbox/faults",
		strings.NewReader(`{"op":"logs:ListTagsForResource","status":400,"code":"AccessDeniedException","times":-1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	readError(t, env, cloudemu.StandardAWSClusterName, "logs:ListTagsForResource", "logs:ListTagsForResource")
}

// A policy document export cannot read is named, and its fix is about the
// document, not the credentials (running again could never succeed).
func TestUnreadableDocumentFix(t *testing.T) {
	err := fmt.Errorf("reading: %w", &awsiam.DocumentError{Where: "role StagingExporter inline policy dup", Err: errors.New(`Statement: element "Resource" appears twice`)})
	fix := awsReadFix(err)
	if !strings.Contains(fix, "role StagingExporter inline policy dup") || strings.Contains(fix, "credentials") {
		t.Errorf("fix %q", fix)
	}
}
