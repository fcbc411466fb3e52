package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// scrollback is everything the terminal holds: the scrollback and the
// screen.
func (s *tmuxSession) scrollback() string {
	return s.run("capture-pane", "-p", "-S", "-", "-t", "main")
}

// answerDefaults presses enter at each of setup's questions for prod-aws,
// from the log group to the external ID.
func (s *tmuxSession) answerDefaults() {
	s.t.Helper()
	for _, prompt := range []string{"> crdb-prod-aws", "← 30 days →", "> Create the role and its permission policy", "> CockroachCloudLogExportRole", "> CockroachCloudLogExportPolicy", "> All regions", "> Generate one"} {
		s.enterAt(`(?m)^┃ ` + regexp.QuoteMeta(prompt))
	}
}

// TestTmuxDemoLeavesOneSummaryInScrollback: `make demo` at 100x30 with
// enter at each prompt draws on the alternate screen, so its frames do not
// pile up in the scrollback; what it ended on is printed once on exit,
// whole, down to its last next-step line.
func TestTmuxDemoLeavesOneSummaryInScrollback(t *testing.T) {
	s := startTmux(t, 100, 30, map[string]string{"TERM": "xterm-256color"},
		"demo", "--enable-after", "400ms", "--iam-propagation", "1500ms", "--event-interval", "300ms")
	s.enterAt(`What would you like to do\?`)
	s.enterAt(`> prod-aws +ADVANCED`)
	s.answerDefaults()
	screen := s.waitFor(`Apply this plan\?`, 20*time.Second)
	if strings.Contains(screen, "rerunning resumes") {
		t.Errorf("the demo promises a resume its sandbox cannot give:\n%s", screen)
	}
	s.keys("Enter")
	s.waitFor(`(?s)Log export of prod-aws is ENABLED.*\s+eu-west-1\s+✓ \d+ streams · newest event \d+s ago`, 40*time.Second)
	s.keys("q")
	s.waitFor(`EXIT=\d+`, 20*time.Second)
	all := s.scrollback()
	if n := strings.Count(all, "crdb-logexport · set up log export"); n != 1 {
		t.Errorf("%d copies of the frame in the scrollback, want the one summary:\n%s", n, all)
	}
	for _, want := range []string{"✓ Log export of prod-aws is ENABLED", "crdb-logexport disable --cluster prod-aws", "EXIT=0"} {
		if strings.Count(all, want) != 1 {
			t.Errorf("the scrollback has %q %d times, want once:\n%s", want, strings.Count(all, want), all)
		}
	}
	if !regexp.MustCompile(`(?m)^status\s+ENABLED`).MatchString(all) {
		t.Errorf("the result rows are missing:\n%s", all)
	}
	// Rows of results wrap within 100 columns at a space, not where the
	// terminal would cut them.
	if regexp.MustCompile(`(?m)arn:aws:ia$`).MatchString(all) {
		t.Errorf("a row cut inside an ARN:\n%s", all)
	}
}

// TestTmuxSixtyColumns runs `setup` at 60x24 with enter at each prompt:
// the cluster table keeps every row on one line, with its export status, the summary keeps its
// headline in view with the ARNs beside their labels, every frame fits
// the screen, and a `status --watch` afterwards draws its header once.
func TestTmuxSixtyColumns(t *testing.T) {
	requireTmux(t)
	_, env := tmuxSandbox(t, cloudemu.Timings{EnableAfter: 300 * time.Millisecond, DisableAfter: cloudemu.DefaultTimings.DisableAfter, IAMPropagation: 0, EventInterval: 300 * time.Millisecond})
	env["TERM"] = "xterm-256color"
	s := startTmux(t, 60, 24, env, "setup")
	screen := s.waitFor(`(?m)^┃ > prod-aws`, 20*time.Second)
	if !regexp.MustCompile(`(?m)^┃ > prod-aws\s+us-east-1 \+2\s+not configured\s*$`).MatchString(screen) || strings.Contains(screen, "eu-\n") {
		t.Errorf("the cluster table does not fit 60 columns row by row:\n%s", screen)
	}
	s.keys("Enter")
	s.answerDefaults()
	screen = s.waitFor(`Apply this plan\?`, 20*time.Second)
	if !strings.Contains(screen, "[Steps] Trust policy Permission policy") {
		t.Errorf("the plan's tabs are split:\n%s", screen)
	}
	s.keys("Enter")
	screen = s.waitFor(`(?s)Log export of prod-aws is ENABLED.*\s+eu-west-1\s+✓ \d+ streams`, 40*time.Second)
	for _, want := range []string{
		"✓ Log export of prod-aws is ENABLED",
		"1 role ARN     arn:aws:iam::314159265358:role/\n               CockroachCloudLogExportRole-prod-aws\n",
		"enter or q exit",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("the summary at 60 columns lacks %q:\n%s", want, screen)
		}
	}
	if lines := strings.Split(strings.TrimRight(screen, "\n"), "\n"); len(lines) > 24 {
		t.Errorf("%d lines on a 24-line screen", len(lines))
	}
	s.keys("q")
	s.waitFor(`EXIT=0`, 20*time.Second)
	all := s.scrollback()
	if n := strings.Count(all, "crdb-logexport · set up log export"); n != 1 {
		t.Errorf("%d copies of the frame in the scrollback, want the one summary:\n%s", n, all)
	}
	if !strings.Contains(all, "crdb-logexport disable --cluster prod-aws") {
		t.Errorf("the summary lost its last line:\n%s", all)
	}
	// The results on standard output wrap at the terminal's width, under
	// their label, not where the terminal would cut them.
	if !strings.Contains(all, "\nrole ARN     arn:aws:iam::314159265358:role/\n             CockroachCloudLogExportRole-prod-aws\n") {
		t.Errorf("the result rows are not wrapped to 60 columns:\n%s", all)
	}

	// The watch's frames replace each other: one header, every run.
	for i := range 4 {
		w := startTmux(t, 60, 24, env, "status", "--watch", "--cluster", "prod-aws")
		screen := w.waitFor(`(?m)^\s+eu-west-1\s+✓ \d+ streams`, 30*time.Second)
		if n := strings.Count(screen, "crdb-logexport · "); n != 1 {
			t.Errorf("run %d: the header %d times:\n%s", i+1, n, screen)
		}
		if strings.Contains(screen, "nothing has been changed") || strings.ContainsRune(screen, '\u00a0') {
			t.Errorf("run %d: a read-only screen speaks of changes, or holds non-breaking spaces:\n%s", i+1, screen)
		}
		w.keys("C-c")
		w.waitFor(`EXIT=\d+`, 20*time.Second)
	}
}
