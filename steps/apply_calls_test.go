package steps

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// TestFreshSetupCallsEachThingOnce counts the calls of a first setup with
// --no-wait: what planning found missing is created without being read
// again, a role and policy made together are attached without listing the
// role's policies, and the POST's answer is the status reported. Each
// dependent round trip costs a full network latency, so a repeated read is
// a slower setup (README, Performance).
func TestFreshSetupCallsEachThingOnce(t *testing.T) {
	// The emulator's own enable job (which reads the role through AWS) must
	// not start before the counts are taken.
	sb, err := sandbox.Start(sandbox.Options{Timings: &cloudemu.Timings{EnableAfter: time.Minute, DisableAfter: time.Second, IAMPropagation: time.Nanosecond, EventInterval: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	cloud, err := cloudapi.New(cloudapi.Options{BaseURL: sb.CloudURL, APIKey: sb.APIKey})
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{
		Cloud: cloud,
		AWS: awsiam.NewClients(aws.Config{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(sb.AWSURL),
			Credentials:  credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, ""),
		}),
		Journals: JournalStore{Dir: filepath.Join(t.TempDir(), "journals")},
	}
	ctx := context.Background()
	p, err := PrepareSetup(ctx, env, SetupInput{Cluster: cloudemu.ProdAWSClusterName, ExternalID: ExternalIDAuto})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ApplySetup(ctx, env, p, SetupOptions{NoWait: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != cloudapi.StatusEnabling || len(res.Created) != 5 {
		t.Fatalf("status %s, created %v; want ENABLING from the POST's answer and 3 log groups, role and policy", res.Status, res.Created)
	}
	awsOps, cloudOps := sb.AWS.Controls().Stats().ByOperation, sb.Cloud.Controls().Stats().ByOperation
	for op, want := range map[string]int{
		"sts:GetCallerIdentity":        1,
		"iam:GetRole":                  1,
		"iam:GetPolicy":                1,
		"logs:DescribeLogGroups":       3,
		"iam:CreateRole":               1,
		"iam:CreatePolicy":             1,
		"logs:CreateLogGroup":          3,
		"logs:PutRetentionPolicy":      3,
		"iam:ListAttachedRolePolicies": 0,
		"iam:AttachRolePolicy":         1,
		"cloud:GetLogExportInfo":       1,
		"cloud:EnableLogExport":        1,
		"cloud:GetOrganizationInfo":    1,
	} {
		got := awsOps[op] + cloudOps[op]
		if got != want {
			t.Errorf("%s called %d times, want %d", op, got, want)
		}
	}
}
