package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// These tests run the built binary in a real terminal — a detached tmux
// session — type at it, and read the screen back: what no in-process test
// can see (the renderer, raw mode, key decoding, what stays on screen).

// sessions numbers the private tmux servers of this test process.
var sessions atomic.Int64

// tmuxSession is one detached session on a private tmux server.
type tmuxSession struct {
	t      *testing.T
	tmux   string
	socket string
}

func requireTmux(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is required for the end-to-end tests of the interactive interface under CI=true; install it (apt-get install tmux)")
		}
		t.Skip("tmux is not installed: skipping the end-to-end test of the interactive interface (install tmux to run it)")
	}
	return path
}

// startTmux runs `crdb-logexport args…` at w×h with env set, followed by
// a line with its exit status. The binary is this test binary under the
// name crdb-logexport (TestMain puts it on PATH).
func startTmux(t *testing.T, w, h int, env map[string]string, args ...string) *tmuxSession {
	t.Helper()
	tmuxPath := requireTmux(t)
	bin, err := exec.LookPath("crdb-logexport")
	if err != nil {
		t.Fatal(err)
	}
	s := &tmuxSession{t: t, tmux: tmuxPath, socket: fmt.Sprintf("crdb-logexport-test-%d-%d", os.Getpid(), sessions.Add(1))}
	var script strings.Builder
	script.WriteString("unset NO_COLOR AWS_PROFILE COCKROACH_API_KEY COCKROACH_SERVER ACCESSIBLE; ")
	for k, v := range env {
		fmt.Fprintf(&script, "export %s=%s; ", k, shellQuote(v))
	}
	fmt.Fprintf(&script, "%s", shellQuote(bin))
	for _, a := range args {
		script.WriteString(" " + shellQuote(a))
	}
	script.WriteString(`; echo "EXIT=$?"; sleep 60`)
	s.run("-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), script.String())
	t.Cleanup(func() { _ = exec.Command(s.tmux, "-L", s.socket, "kill-server").Run() })
	return s
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command(s.tmux, append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *tmuxSession) screen() string { return s.run("capture-pane", "-p", "-t", "main") }

func (s *tmuxSession) keys(keys ...string) {
	s.run(append([]string{"send-keys", "-t", "main"}, keys...)...)
}

// paste pastes text the way a terminal does (bracketed paste).
func (s *tmuxSession) paste(text string) {
	s.run("set-buffer", "-b", "clip", text)
	s.run("paste-buffer", "-p", "-b", "clip", "-t", "main")
}

// waitFor polls the screen until pattern matches, and returns it.
func (s *tmuxSession) waitFor(pattern string, limit time.Duration) string {
	s.t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(limit)
	var screen string
	for time.Now().Before(deadline) {
		screen = s.screen()
		if re.MatchString(screen) {
			return screen
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("screen never matched %q within %s:\n%s", pattern, limit, screen)
	return ""
}

// enterAt waits for a prompt, then presses enter.
func (s *tmuxSession) enterAt(pattern string) {
	s.t.Helper()
	s.waitFor(pattern, 20*time.Second)
	s.keys("Enter")
}

func shellQuote(v string) string { return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'" }

// TestTmuxDemoAcceptingEveryDefault is `make demo` with enter at each
// prompt: it must reach ENABLED and show logs arriving.
func TestTmuxDemoAcceptingEveryDefault(t *testing.T) {
	s := startTmux(t, 100, 30, map[string]string{"TERM": "xterm-256color"},
		"demo", "--enable-after", "400ms", "--iam-propagation", "1500ms", "--event-interval", "300ms")
	s.enterAt(`What would you like to do\?`)
	s.enterAt(`> prod-aws +ADVANCED`)
	s.enterAt(`(?m)^┃ > crdb-prod-aws`)
	s.enterAt(`(?m)^┃ ← 30 days →`)
	s.enterAt(`(?m)^┃ > Create the role and its permission policy`)
	s.enterAt(`(?m)^┃ > CockroachCloudLogExportRole`)
	s.enterAt(`(?m)^┃ > CockroachCloudLogExportPolicy`)
	s.enterAt(`(?m)^┃ > All regions`)
	s.enterAt(`(?m)^┃ > Generate one`)
	s.enterAt(`Apply this plan\?`)
	screen := s.waitFor(`Log export of prod-aws is ENABLED`, 40*time.Second)
	for _, want := range []string{"arn:aws:iam::314159265358:role/CockroachCloudLogExportRole", "Logs arriving in crdb-prod-aws"} {
		if !strings.Contains(screen, want) {
			t.Errorf("summary lacks %q:\n%s", want, screen)
		}
	}
	s.waitFor(`(?m)^\s+eu-west-1\s+✓ \d+ streams · newest event \d+s ago`, 20*time.Second)
	s.keys("q")
	screen = s.waitFor(`EXIT=\d+`, 20*time.Second)
	if !strings.Contains(screen, "EXIT=0") || !regexp.MustCompile(`(?m)^status\s+ENABLED`).MatchString(screen) {
		t.Fatalf("after exit:\n%s", screen)
	}
}

// tmuxSandbox starts the emulators in this process and returns the
// environment that points the binary at them, with a state directory and
// AWS configuration of its own.
func tmuxSandbox(t *testing.T, timings cloudemu.Timings) (*sandbox.Env, map[string]string) {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{Timings: &timings})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_ = sb.Close(ctx)
	})
	dir := t.TempDir()
	env := map[string]string{
		"HOME":                        dir,
		"XDG_STATE_HOME":              filepath.Join(dir, "state"),
		"AWS_CONFIG_FILE":             filepath.Join(dir, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "no-aws-credentials"),
	}
	for _, v := range sb.Vars() {
		env[v.Name] = v.Value
	}
	return sb, env
}

// TestTmuxPolicyARNWarning pastes a policy ARN where the role ARN belongs
// in `setup` against a sandbox, and expects the warning and the role it is
// attached to; Ctrl-C then stops with status 130 and nothing changed.
func TestTmuxPolicyARNWarning(t *testing.T) {
	requireTmux(t)
	sb, env := tmuxSandbox(t, cloudemu.Timings{EnableAfter: 300 * time.Millisecond, DisableAfter: cloudemu.DefaultTimings.DisableAfter, IAMPropagation: 0, EventInterval: cloudemu.DefaultTimings.EventInterval})
	ctx := context.Background()
	iamc := iam.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(sb.AWSURL), Credentials: credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, "")})
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + cloudemu.ProdAWSAccountID + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("TeamLogsRole"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	pol, err := iamc.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("TeamLogsPolicy"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iamc.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("TeamLogsRole"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}

	s := startTmux(t, 100, 30, env, "setup")
	s.enterAt(`> prod-aws +ADVANCED`)
	s.enterAt(`(?m)^┃ > crdb-prod-aws`)
	s.enterAt(`(?m)^┃ ← 30 days →`)
	s.waitFor(`(?m)^┃ > Create the role and its permission policy`, 20*time.Second)
	s.keys("Down")
	s.enterAt(`(?m)^┃ > I already have a role`)
	s.waitFor(`(?m)^┃ Role ARN`, 20*time.Second)
	s.paste(aws.ToString(pol.Policy.Arn))
	s.waitFor(`This is a policy ARN, not a role ARN`, 10*time.Second)
	s.keys("Enter")
	screen := s.waitFor(`Use arn:aws:iam::314159265358:role/TeamLogsRole`, 20*time.Second)
	if !strings.Contains(screen, "It is attached to 1 role") {
		t.Errorf("roles screen:\n%s", screen)
	}
	s.keys("C-c")
	screen = s.waitFor(`EXIT=\d+`, 20*time.Second)
	if !strings.Contains(screen, "EXIT=130") || !strings.Contains(screen, "Nothing was changed") {
		t.Fatalf("after Ctrl-C:\n%s", screen)
	}
}

// TestTmuxShrinkingViewLeavesNoStaleLines replaces a tall form with a
// one-line spinner in the inline view and checks nothing of the form is
// left on screen (charmbracelet/ultraviolet#155, why lipgloss is pinned).
func TestTmuxShrinkingViewLeavesNoStaleLines(t *testing.T) {
	s := startTmux(t, 100, 30, map[string]string{"TERM": "xterm-256color"}, "demo", "--latency", "700ms")
	s.enterAt(`What would you like to do\?`)
	s.enterAt(`> prod-aws +ADVANCED`)
	s.enterAt(`(?m)^┃ > crdb-prod-aws`)
	s.enterAt(`(?m)^┃ ← 30 days →`)
	s.enterAt(`(?m)^┃ > Create the role and its permission policy`)
	s.enterAt(`(?m)^┃ > CockroachCloudLogExportRole`)
	s.enterAt(`(?m)^┃ > CockroachCloudLogExportPolicy`)
	s.enterAt(`(?m)^┃ > All regions`)
	s.enterAt(`(?m)^┃ > Generate one`)
	screen := s.waitFor(`Reading the current state \(read-only\)`, 20*time.Second)
	for _, stale := range []string{"Generate one", "No external ID", "Use my own value", "External ID", "enter submit"} {
		if strings.Contains(screen, stale) {
			t.Errorf("stale line %q left after the form was replaced:\n%s", stale, screen)
		}
	}
	lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "ctrl+c quit") {
		t.Errorf("the last line on screen is not the view's last line (%q):\n%s", last, screen)
	}
	s.keys("C-c")
	s.waitFor(`EXIT=130`, 20*time.Second)
}

// TestTmuxNoColor: with NO_COLOR the interface keeps its text and
// attributes but sends no colour; without it, it does.
func TestTmuxNoColor(t *testing.T) {
	colour := regexp.MustCompile(`\x1b\[[0-9;]*(3[0-8]|9[0-7])[;m]`)
	for _, noColor := range []bool{false, true} {
		env := map[string]string{"TERM": "xterm-256color"}
		if noColor {
			env["NO_COLOR"] = "1"
		}
		s := startTmux(t, 100, 30, env, "demo")
		s.waitFor(`What would you like to do\?`, 20*time.Second)
		screen := s.run("capture-pane", "-p", "-e", "-t", "main")
		if got := colour.MatchString(screen); got == noColor {
			t.Errorf("NO_COLOR=%v: colour sequences present = %v:\n%q", noColor, got, screen)
		}
		s.keys("C-c")
		s.waitFor(`EXIT=130`, 20*time.Second)
	}
}

// TestTmuxCtrlCDuringApplyPrintsTheResumeCommand stops `setup` while the
// export is enabling: exit status 130 and the command that resumes, which
// then completes the setup without questions.
func TestTmuxCtrlCDuringApplyPrintsTheResumeCommand(t *testing.T) {
	requireTmux(t)
	_, env := tmuxSandbox(t, cloudemu.Timings{EnableAfter: 2 * time.Second, DisableAfter: cloudemu.DefaultTimings.DisableAfter, IAMPropagation: 0, EventInterval: 300 * time.Millisecond})
	s := startTmux(t, 100, 30, env, "setup", "--cluster", "staging-aws")
	s.enterAt(`(?m)^┃ > crdb-staging-aws`)
	s.enterAt(`(?m)^┃ ← 30 days →`)
	s.enterAt(`(?m)^┃ > Create the role and its permission policy`)
	s.enterAt(`(?m)^┃ > CockroachCloudLogExportRole`)
	s.enterAt(`(?m)^┃ > CockroachCloudLogExportPolicy`)
	s.enterAt(`(?m)^┃ > All regions`)
	s.waitFor(`(?m)^┃ > Generate one`, 20*time.Second)
	s.keys("Down")
	s.enterAt(`(?m)^┃ > No external ID`)
	s.enterAt(`Apply this plan\?`)
	s.waitFor(`Export status ENABLING`, 20*time.Second)
	s.keys("C-c")
	screen := s.waitFor(`EXIT=\d+`, 30*time.Second)
	m := regexp.MustCompile(`(?m)^Resume \(nothing is duplicated; the journal keeps what was done\):\n  (crdb-logexport setup .*)$`).FindStringSubmatch(screen)
	if !strings.Contains(screen, "EXIT=130") || m == nil {
		t.Fatalf("after Ctrl-C:\n%s", screen)
	}
	if want := "crdb-logexport setup --cluster staging-aws --external-id none --yes"; m[1] != want {
		t.Fatalf("resume command %q, want %q", m[1], want)
	}
	out := runAside(t, env, strings.Fields(m[1])[1:]...)
	if !strings.Contains(out, "ENABLED") || strings.Contains(out, "created      arn:aws:iam::314159265358:role/") {
		t.Errorf("the resumed setup did not finish, or made the role again:\n%s", out)
	}
}
