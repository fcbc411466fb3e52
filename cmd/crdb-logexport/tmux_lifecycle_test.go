package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// These tests drive the lifecycle screens — update's diff, disable's
// confirmation, the live status — in a real terminal, on an export that a
// non-interactive setup made first.

// setupStaging runs `setup --cluster staging-aws --yes` without a terminal
// against the sandbox, so the interactive tests start from an enabled
// export.
func setupStaging(t *testing.T, env map[string]string) {
	t.Helper()
	if out := runAside(t, env, "setup", "--cluster", "staging-aws", "--yes"); !strings.Contains(out, "ENABLED") {
		t.Fatalf("setup of staging-aws did not reach ENABLED:\n%s", out)
	}
}

func sandboxAWS(sb *sandbox.Env, region string) aws.Config {
	return aws.Config{Region: region, BaseEndpoint: aws.String(sb.AWSURL), Credentials: credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, "")}
}

// TestTmuxUpdateDiffScreen is `update --cluster staging-aws --log-group
// crdb-staging-v2` on a terminal: the flag is already applied on the edit
// screen, the review shows the old and new log_name and the log group to
// create, and applying reaches ENABLED with the new group in AWS.
func TestTmuxUpdateDiffScreen(t *testing.T) {
	requireTmux(t)
	sb, env := tmuxSandbox(t, cloudemu.Timings{EnableAfter: 300 * time.Millisecond, DisableAfter: 300 * time.Millisecond, IAMPropagation: 0, EventInterval: 200 * time.Millisecond})
	setupStaging(t, env)

	s := startTmux(t, 100, 32, env, "update", "--cluster", "staging-aws", "--log-group", "crdb-staging-v2")
	screen := s.waitFor(`(?m)^┃ > Review the changes`, 20*time.Second)
	if !regexp.MustCompile(`Log group\s+crdb-staging-v2`).MatchString(screen) {
		t.Errorf("the edit screen does not show the flag's log group:\n%s", screen)
	}
	s.keys("Enter")
	screen = s.waitFor(`Apply these changes\?`, 20*time.Second)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^\s+log_name\s*$`),
		regexp.MustCompile(`(?m)^\s+- crdb-staging-aws\s*$`),
		regexp.MustCompile(`(?m)^\s+\+ crdb-staging-v2\s*$`),
		regexp.MustCompile(`Create the CloudWatch log group`),
	} {
		if !want.MatchString(screen) {
			t.Errorf("the diff screen lacks %s:\n%s", want, screen)
		}
	}
	if !strings.Contains(screen, "not applied yet") {
		t.Errorf("the diff screen does not say nothing changes until it is applied:\n%s", screen)
	}
	s.keys("Enter")
	// The summary stays until the user leaves it.
	s.waitFor(`enter or q exit`, 40*time.Second)
	s.keys("q")
	screen = s.waitFor(`EXIT=\d+`, 20*time.Second)
	if !strings.Contains(screen, "EXIT=0") || !regexp.MustCompile(`(?m)^log group\s+crdb-staging-v2`).MatchString(screen) {
		t.Fatalf("after the update:\n%s", screen)
	}
	logs := cloudwatchlogs.NewFromConfig(sandboxAWS(sb, "us-east-2"))
	out, err := logs.DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("crdb-staging-v2")})
	if err != nil || len(out.LogGroups) != 1 {
		t.Fatalf("log group crdb-staging-v2 in us-east-2: %v, %d found", err, len(out.LogGroups))
	}
}

// TestTmuxDisableConfirmation is `disable --cluster staging-aws` on a
// terminal: the confirmation names what stops and what cleanup removes;
// choosing cleanup while keeping the log groups ends DISABLED with the
// role gone and the log group kept.
func TestTmuxDisableConfirmation(t *testing.T) {
	requireTmux(t)
	sb, env := tmuxSandbox(t, cloudemu.Timings{EnableAfter: 300 * time.Millisecond, DisableAfter: 300 * time.Millisecond, IAMPropagation: 0, EventInterval: cloudemu.DefaultTimings.EventInterval})
	setupStaging(t, env)

	s := startTmux(t, 100, 32, env, "disable", "--cluster", "staging-aws")
	screen := s.waitFor(`Disable log export of staging-aws\?`, 20*time.Second)
	for _, want := range []string{
		"Disabling stops",
		"log group crdb-staging-aws in us-east-2",
		"Cleanup removes only what this tool made for this cluster",
		"role CockroachCloudLogExportRole-staging-aws",
		"> Disable export",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("the confirmation lacks %q:\n%s", want, screen)
		}
	}
	s.keys("Down")
	s.enterAt(`(?m)^┃ > Disable export and remove what this tool created \(keep the log groups\)`)
	// The summary stays until the user leaves it.
	s.waitFor(`enter or q exit`, 40*time.Second)
	s.keys("q")
	screen = s.waitFor(`EXIT=\d+`, 20*time.Second)
	if !strings.Contains(screen, "EXIT=0") || !regexp.MustCompile(`(?m)^status\s+DISABLED`).MatchString(screen) {
		t.Fatalf("after disabling:\n%s", screen)
	}
	ctx := context.Background()
	if _, err := iam.NewFromConfig(sandboxAWS(sb, "us-east-1")).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("CockroachCloudLogExportRole-staging-aws")}); err == nil {
		t.Error("the role this tool created is still there after cleanup")
	}
	out, err := cloudwatchlogs.NewFromConfig(sandboxAWS(sb, "us-east-2")).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("crdb-staging-aws")})
	if err != nil || len(out.LogGroups) != 1 {
		t.Fatalf("the log group must be kept: %v, %d found", err, len(out.LogGroups))
	}
}

// TestTmuxMenuStatus opens Check status from the home menu: the live
// status of the chosen cluster with its logs arriving, and q leaves.
func TestTmuxMenuStatus(t *testing.T) {
	requireTmux(t)
	_, env := tmuxSandbox(t, cloudemu.Timings{EnableAfter: 300 * time.Millisecond, DisableAfter: 300 * time.Millisecond, IAMPropagation: 0, EventInterval: 200 * time.Millisecond})
	setupStaging(t, env)

	s := startTmux(t, 100, 32, env)
	s.waitFor(`What would you like to do\?`, 20*time.Second)
	s.keys("Down")
	s.enterAt(`(?m)^┃ > Check status`)
	s.waitFor(`(?m)^┃ > prod-aws`, 20*time.Second)
	s.keys("Down")
	s.enterAt(`(?m)^┃ > staging-aws`)
	screen := s.waitFor(`(?m)^\s+us-east-2\s+✓ \d+ streams`, 30*time.Second)
	if !strings.Contains(screen, "ENABLED") || !strings.Contains(screen, "crdb-staging-aws") {
		t.Fatalf("status screen:\n%s", screen)
	}
	s.keys("q")
	screen = s.waitFor(`EXIT=\d+`, 20*time.Second)
	if !strings.Contains(screen, "EXIT=0") || !regexp.MustCompile(`(?m)^status\s+ENABLED`).MatchString(screen) {
		t.Fatalf("after leaving:\n%s", screen)
	}
}
