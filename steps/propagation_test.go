package steps

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
)

// propagationEnv starts a sandbox and returns an Env using it.
func propagationEnv(t *testing.T) *Env {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	cloud, err := cloudapi.New(cloudapi.Options{BaseURL: sb.CloudURL, APIKey: sb.APIKey})
	if err != nil {
		t.Fatal(err)
	}
	clients := awsiam.NewClients(aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(sb.AWSURL),
		Credentials:  credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, ""),
	})
	return &Env{Cloud: cloud, AWS: clients, Journals: JournalStore{Dir: filepath.Join(t.TempDir(), "journals")}}
}

func TestPropagationRetryDecision(t *testing.T) {
	ctx := context.Background()
	env := propagationEnv(t)
	const clusterAccount = "271828182845"
	good := awsiam.TrustPolicy(clusterAccount, "ext-1")
	wrong := awsiam.TrustPolicy("314159265358", "ext-1") // the caller's own account: the classic mistake

	if _, err := awsiam.EnsureRole(ctx, env.AWS.IAM, awsiam.RoleSpec{Name: "Young", Trust: good}); err != nil {
		t.Fatal(err)
	}
	if _, err := awsiam.EnsureRole(ctx, env.AWS.IAM, awsiam.RoleSpec{Name: "WrongTrust", Trust: wrong}); err != nil {
		t.Fatal(err)
	}
	assumeFailed := cloudapi.StatusEvent{Done: true, Info: cloudapi.LogExportInfo{
		Status:      cloudapi.StatusCredentialsError,
		UserMessage: "AccessDenied: User: arn:aws:sts::271828182845:assumed-role/x/y is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::314159265358:role/Young",
	}}
	plan := func(role string) *SetupPlan {
		return &SetupPlan{ClusterName: "prod-aws", ClusterAccount: clusterAccount, ExternalID: "ext-1", RoleName: role, roleInOwnAccount: true}
	}
	journal := func() *Journal {
		j, err := env.Journals.Open("c1", "prod-aws")
		if err != nil {
			t.Fatal(err)
		}
		return j
	}

	// a young role whose trust and attachments check out: wait and retry
	j := journal()
	if err := j.NoteRoleChanged(); err != nil {
		t.Fatal(err)
	}
	wait, why, retry := propagationRetry(ctx, env, plan("Young"), j, assumeFailed, 0, 2*time.Minute, 0)
	if !retry || wait != 5*time.Second || !strings.Contains(why, "propagated") {
		t.Fatalf("young role: retry=%v wait=%v why=%q", retry, wait, why)
	}
	// the wait grows, and never beyond what is left of the limit
	if wait, _, _ := propagationRetry(ctx, env, plan("Young"), j, assumeFailed, 110*time.Second, 2*time.Minute, 3); wait != 10*time.Second {
		t.Fatalf("wait near the limit = %v, want the 10s left", wait)
	}

	// a young role whose trust names the wrong account: stop at once
	if _, why, retry := propagationRetry(ctx, env, plan("WrongTrust"), j, assumeFailed, 0, 2*time.Minute, 0); retry || !strings.Contains(why, "trust policy does not let") {
		t.Fatalf("wrong trust: retry=%v why=%q", retry, why)
	}

	// the limit is spent: stop
	if _, _, retry := propagationRetry(ctx, env, plan("Young"), j, assumeFailed, 2*time.Minute, 2*time.Minute, 5); retry {
		t.Fatal("retried past the limit")
	}

	// a failure that is not about assuming the role: stop, pointing at doctor
	logsDenied := assumeFailed
	logsDenied.Info.UserMessage = "not authorized to perform: logs:CreateLogStream on resource: arn:aws:logs:eu-west-1:314159265358:log-group:x:log-stream:y"
	if _, why, retry := propagationRetry(ctx, env, plan("Young"), j, logsDenied, 0, 2*time.Minute, 0); retry || !strings.Contains(why, "doctor") {
		t.Fatalf("logs denial: retry=%v why=%q", retry, why)
	}

	// an old role (changed long ago, per the clock) is not propagating
	old := &Env{Cloud: env.Cloud, AWS: env.AWS, Journals: env.Journals, Now: func() time.Time { return time.Now().Add(time.Hour) }}
	if _, why, retry := propagationRetry(ctx, old, plan("Young"), j, assumeFailed, 0, 2*time.Minute, 0); retry || !strings.Contains(why, "not new") {
		t.Fatalf("old role: retry=%v why=%q", retry, why)
	}
}
