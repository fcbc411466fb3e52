package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// The long-running monitor on a terminal, at 80×24: the fleet screen lists
// the watched clusters (the failing one first, selected, with its finding
// and fix below), enter opens the doctor on the selected cluster, leaving
// the doctor brings the screen back, and q quits with exit status 0 and the
// last pass summarised.
func TestTmuxMonitorFleetScreen(t *testing.T) {
	requireTmux(t)
	_, env := tmuxSandbox(t, cloudemu.Timings{EnableAfter: 200 * time.Millisecond, IAMPropagation: time.Nanosecond, EventInterval: time.Hour})
	setup := exec.Command(toolPath(t), "setup", "--cluster", "staging-aws", "--yes")
	for k, v := range env {
		setup.Env = append(setup.Env, k+"="+v)
	}
	if out, err := setup.CombinedOutput(); err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	env["TERM"] = "xterm-256color"
	s := startTmux(t, 80, 24, env, "monitor", "--cluster", "staging-aws", "--cluster", "prod-aws", "--interval", "1h")

	screen := s.waitFor(`pass #1 \(every check\)`, 30*time.Second)
	for _, want := range []string{
		`(?m)^crdb-logexport monitor · staging-aws, prod-aws`,
		`1 healthy · 1 failing · next in `,
		`(?m)^  CLUSTER +STATUS +LOGS +CHANGED +FINDING`,
		`(?m)^▸ prod-aws +✗ DISABLED +— +just now +export-status: log ex\S*…$`,
		`(?m)^  staging-aws +✓ ENABLED +1/1 ✓ +just now *$`,
		`(?m)^── prod-aws ` + cloudemu.ProdAWSClusterID,
		`(?m)^✗ export-status — log export was never configured for this cluster`,
		`(?m)^  Fix: crdb-logexport setup --cluster prod-aws`,
		`(?m)^↑/↓ select · enter doctor · r check now · q quit`,
	} {
		if !regexp.MustCompile(want).MatchString(screen) {
			t.Errorf("the fleet screen lacks %s:\n%s", want, screen)
		}
	}
	checkWidth(t, screen, 80)

	s.keys("Down")
	s.waitFor(`(?m)^── staging-aws `+cloudemu.StagingAWSClusterID, 10*time.Second)
	s.waitFor(`(?m)^logs: us-east-2 ✓ \d+ streams`, 10*time.Second)
	s.keys("Enter")
	s.waitFor(`Diagnosis of staging-aws · ✓ ENABLED · ✓ no errors · 15 ok`, 30*time.Second)
	s.waitFor(`(?m)^┃ > Run the checks again`, 10*time.Second)
	s.keys("Down", "Enter")
	// Back on the fleet screen, which checks again at once.
	s.waitFor(`pass #2 `, 30*time.Second)
	s.keys("q")
	screen = s.waitFor(`EXIT=\d+`, 20*time.Second)
	if !strings.Contains(screen, "EXIT=0") || !regexp.MustCompile(`pass +#2 \(status and logs\): 2 watched, 1 healthy, 1 failing \(prod-aws\)`).MatchString(strings.ReplaceAll(screen, "\n", " ")) {
		t.Fatalf("after q:\n%s", screen)
	}
}

func checkWidth(t *testing.T, screen string, w int) {
	t.Helper()
	for i, l := range strings.Split(screen, "\n") {
		if n := len([]rune(l)); n > w {
			t.Errorf("line %d is %d columns wide on a %d-column terminal: %q", i+1, n, w, l)
		}
	}
}
