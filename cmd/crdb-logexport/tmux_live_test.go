package main

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/sandbox/awsemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// These tests hold issue 13's live screens, accessible mode and keys in a
// real terminal: a status that keeps following, Ctrl-C in accessible
// mode, and the keys that quit and go back.

// runAside runs the binary without a terminal, as another shell would.
func runAside(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	cmd := exec.Command("crdb-logexport", args...)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "PATH="+os.Getenv("PATH"), "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("crdb-logexport %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

var pollsRE = regexp.MustCompile(`(\d+) polls?`)

// polls reads the poll counter off the status screen.
func polls(t *testing.T, screen string) int {
	t.Helper()
	m := pollsRE.FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no poll counter on the screen:\n%s", screen)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestTmuxStatusWatchFollowsPastTerminal is `status --watch` on an
// ENABLED export: a detached policy turns it to CREDENTIALS_ERROR, a
// disable from another shell to DISABLED, and the screen follows both,
// counting its polls as they happen and saying since when the status
// stands. A watch started on a cluster without export sees it enabled.
func TestTmuxStatusWatchFollowsPastTerminal(t *testing.T) {
	requireTmux(t)
	sb, env := tmuxSandbox(t, cloudemu.Timings{EnableAfter: 300 * time.Millisecond, DisableAfter: 500 * time.Millisecond, IAMPropagation: 0, EventInterval: 300 * time.Millisecond})
	setupStaging(t, env)

	s := startTmux(t, 100, 32, env, "status", "--cluster", "staging-aws", "--watch")
	screen := s.waitFor(`(?m)^\s+us-east-2\s+✓ \d+ streams`, 30*time.Second)
	s.waitFor(`following live: a change made anywhere shows here · unchanged since the watch began`, 10*time.Second)
	first := polls(t, screen)
	time.Sleep(4500 * time.Millisecond)
	if later := polls(t, s.screen()); later < first+2 {
		t.Fatalf("the poll counter went from %d to %d in 4.5 s of polls every 2 s", first, later)
	}

	// The policy detached: CREDENTIALS_ERROR, shown with the doctor's key.
	iamc := iam.NewFromConfig(sandboxAWS(sb, "us-east-1"))
	if _, err := iamc.DetachRolePolicy(context.Background(), &iam.DetachRolePolicyInput{
		RoleName:  aws.String("CockroachCloudLogExportRole-staging-aws"),
		PolicyArn: aws.String("arn:aws:iam::" + awsemu.DefaultAccountID + ":policy/CockroachCloudLogExportPolicy-staging-aws"),
	}); err != nil {
		t.Fatal(err)
	}
	screen = s.waitFor(`✗ CREDENTIALS_ERROR`, 20*time.Second)
	s.waitFor(`CREDENTIALS_ERROR since \d\d:\d\d:\d\d UTC`, 10*time.Second)
	s.waitFor(`1 change seen`, 5*time.Second)
	s.waitFor(`d diagnose`, 5*time.Second)

	// Disabled from another shell: DISABLED, and the logs' rows go.
	runAside(t, env, "disable", "--cluster", "staging-aws", "--yes")
	screen = s.waitFor(`Export status DISABLED`, 20*time.Second)
	screen = s.waitFor(`Logs log export is disabled`, 10*time.Second)
	if regexp.MustCompile(`✓ \d+ streams`).MatchString(screen) {
		t.Fatalf("the logs of the enabled export are still shown:\n%s", screen)
	}
	s.keys("q")
	screen = s.waitFor(`EXIT=\d+`, 10*time.Second)
	if !strings.Contains(screen, "EXIT=0") {
		t.Fatalf("after q:\n%s", screen)
	}

	// A watch started on DISABLED sees the export enabled.
	s = startTmux(t, 100, 32, env, "status", "--cluster", "prod-aws", "--watch")
	s.waitFor(`Log export was never configured`, 20*time.Second)
	runAside(t, env, "setup", "--cluster", "prod-aws", "--yes")
	s.waitFor(`✓ ENABLED`, 20*time.Second)
	s.waitFor(`(?m)^\s+eu-west-1\s+✓ \d+ streams`, 20*time.Second)
	s.keys("q")
	s.waitFor(`EXIT=0`, 10*time.Second)
}

// TestTmuxAccessibleCtrlC: in `setup --accessible`, Ctrl-C at the first
// prompt exits at once (no Enter needed, nothing left reading the
// terminal), and typed answers appear right after their prompt.
func TestTmuxAccessibleCtrlC(t *testing.T) {
	requireTmux(t)
	_, env := tmuxSandbox(t, cloudemu.Timings{EnableAfter: 300 * time.Millisecond, DisableAfter: 300 * time.Millisecond, IAMPropagation: 0, EventInterval: 300 * time.Millisecond})

	s := startTmux(t, 100, 30, env, "setup", "--accessible")
	s.waitFor(`Enter a number between 1 and 5:`, 20*time.Second)
	s.keys("C-c")
	start := time.Now()
	screen := s.waitFor(`EXIT=\d+`, 5*time.Second)
	if !strings.Contains(screen, "Stopped. Nothing was changed.") || !strings.Contains(screen, "EXIT=130") {
		t.Fatalf("after Ctrl-C:\n%s", screen)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("exiting took %s after Ctrl-C", took)
	}

	s = startTmux(t, 100, 30, env, "setup", "--accessible")
	s.waitFor(`Enter a number between 1 and 5:`, 20*time.Second)
	s.keys("4", "Enter")
	s.waitFor(`\(enter keeps crdb-staging-aws\)`, 20*time.Second)
	s.keys("abc")
	s.waitFor(`(?m)^\(enter keeps crdb-staging-aws\) abc$`, 5*time.Second)
	s.keys("C-c")
	screen = s.waitFor(`EXIT=\d+`, 5*time.Second)
	if !strings.Contains(screen, "EXIT=130") {
		t.Fatalf("after Ctrl-C:\n%s", screen)
	}

	// The status followed live in accessible mode: Ctrl-C ends it too.
	setupStaging(t, env)
	s = startTmux(t, 100, 30, env, "status", "--cluster", "staging-aws", "--watch", "--accessible")
	s.waitFor(`1\. Keep following`, 20*time.Second)
	s.keys("1", "Enter")
	time.Sleep(time.Second)
	s.keys("C-c")
	screen = s.waitFor(`EXIT=\d+`, 5*time.Second)
	if !strings.Contains(screen, "EXIT=130") {
		t.Fatalf("after Ctrl-C:\n%s", screen)
	}
}

// TestTmuxKeys: q quits the home menu and the doctor's "What now?"
// instead of falling through to Set up; ? shows every key; in setup, Esc
// and shift+tab go back one question, and Tab cycles the plan's panes.
func TestTmuxKeys(t *testing.T) {
	requireTmux(t)
	_, env := tmuxSandbox(t, cloudemu.Timings{EnableAfter: 300 * time.Millisecond, DisableAfter: 300 * time.Millisecond, IAMPropagation: 0, EventInterval: 300 * time.Millisecond})

	s := startTmux(t, 100, 32, env)
	s.waitFor(`What would you like to do\?`, 20*time.Second)
	s.waitFor(`q quit · \? help`, 5*time.Second)
	s.keys("?")
	s.waitFor(`(?m)^Keys$`, 5*time.Second)
	s.keys("q")
	screen := s.waitFor(`EXIT=\d+`, 10*time.Second)
	if !strings.Contains(screen, "EXIT=0") || strings.Contains(screen, "Connecting") {
		t.Fatalf("q on the menu:\n%s", screen)
	}

	s = startTmux(t, 100, 32, env, "setup", "--cluster", "staging-aws")
	s.waitFor(`(?m)^┃ > crdb-staging-aws`, 20*time.Second)
	s.keys("Enter")
	s.enterAt(`(?m)^┃ ← 30 days →`)
	s.waitFor(`(?m)^┃ > Create the role and its permission policy`, 10*time.Second)
	s.keys("Escape")
	s.waitFor(`(?m)^┃ > crdb-staging-aws`, 5*time.Second)
	s.keys("Enter")
	s.enterAt(`(?m)^┃ ← 30 days →`)
	s.waitFor(`(?m)^┃ > Create the role and its permission policy`, 10*time.Second)
	s.keys("BTab")
	s.waitFor(`(?m)^┃ > crdb-staging-aws`, 5*time.Second)
	// Forward again, to the plan.
	s.keys("Enter")
	s.enterAt(`(?m)^┃ ← 30 days →`)
	s.enterAt(`(?m)^┃ > Create the role and its permission policy`)
	s.enterAt(`(?m)^┃ > CockroachCloudLogExportRole`)
	s.enterAt(`(?m)^┃ > CockroachCloudLogExportPolicy`)
	s.enterAt(`(?m)^┃ > All regions`)
	s.enterAt(`(?m)^┃ > Generate one`)
	s.waitFor(`Apply this plan\?`, 20*time.Second)
	s.waitFor(`\[Steps\]`, 5*time.Second)
	for _, pane := range []string{`\[Trust policy\]`, `\[Permission policy\]`, `\[Steps\]`, `\[Trust policy\]`} {
		s.keys("Tab")
		s.waitFor(pane, 5*time.Second)
	}
	s.keys("q")
	screen = s.waitFor(`EXIT=\d+`, 10*time.Second)
	if !strings.Contains(screen, "Nothing was changed") && !strings.Contains(screen, "nothing was changed") {
		t.Fatalf("q on the plan:\n%s", screen)
	}

	// Diagnose's "What now?": q quits.
	setupStaging(t, env)
	s = startTmux(t, 100, 32, env)
	s.waitFor(`What would you like to do\?`, 20*time.Second)
	s.keys("Down", "Down")
	s.enterAt(`(?m)^┃ > Diagnose`)
	s.waitFor(`(?m)^┃ > prod-aws`, 20*time.Second)
	s.keys("Down")
	s.enterAt(`(?m)^┃ > staging-aws`)
	s.waitFor(`What now\?`, 30*time.Second)
	s.keys("q")
	screen = s.waitFor(`EXIT=\d+`, 10*time.Second)
	if !strings.Contains(screen, "EXIT=0") {
		t.Fatalf("q on the doctor's report:\n%s", screen)
	}
}
