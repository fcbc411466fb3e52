package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// gnuTime reports a process's peak resident set size (-v).
const gnuTime = "/usr/bin/time"

// memoryTarget is issue 7's target for row 6.
const memoryTarget = 40 << 20

// demoPrompts are the screens of `demo` at which enter accepts the
// default, in order, as cmd/crdb-logexport/tmux_test.go walks them: the
// path `make demo` promises ends in ENABLED with logs arriving.
var demoPrompts = []string{
	`What would you like to do\?`,
	`> prod-aws +ADVANCED`,
	`(?m)^┃ > crdb-prod-aws`,
	`(?m)^┃ ← 30 days →`,
	`(?m)^┃ > Create the role and its permission policy`,
	`(?m)^┃ > CockroachCloudLogExportRole`,
	`(?m)^┃ > CockroachCloudLogExportPolicy`,
	`(?m)^┃ > All regions`,
	`(?m)^┃ > Generate one`,
	`Apply this plan\?`,
}

// The demo's end: ENABLED, then logs arriving in its last region.
const (
	demoEnabled  = `Log export of prod-aws is ENABLED`
	demoArriving = `(?m)^\s+eu-west-1\s+✓ \d+ streams`
)

type memoryDetails struct {
	MaxRSSKiB  int    `json:"max_rss_kib"`
	Elapsed    string `json:"elapsed"`
	ExitStatus int    `json:"exit_status"`
	Command    string `json:"command"`
}

func benchMemory(ctx context.Context, cfg *config) []Row {
	const id, name = "6", "peak RSS of a full demo setup"
	d, err := demoRSS(ctx, cfg)
	if err != nil {
		return []Row{failedRow(id, name, err)}
	}
	row := Row{
		ID: id, Benchmark: name, Target: "< 40 MiB", Details: d,
		Method: "`/usr/bin/time -v crdb-logexport demo` in a 100×30 tmux session, enter at every prompt until ENABLED and logs arriving in every region, then q; Maximum resident set size",
	}
	row.measured(float64(d.MaxRSSKiB)*1024, memoryTarget, unitBytes)
	row.Met = row.Measured < memoryTarget
	row.Note = fmt.Sprintf("the demo runs both emulators in the same process, so this includes them; demo took %s", d.Elapsed)
	return []Row{row}
}

func demoRSS(ctx context.Context, cfg *config) (memoryDetails, error) {
	if _, err := os.Stat(gnuTime); err != nil {
		return memoryDetails{}, errors.New("GNU time is not installed at /usr/bin/time: apt-get install time")
	}
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		return memoryDetails{}, errors.New("tmux is not installed: apt-get install tmux")
	}
	home, cleanup, err := tempHome()
	if err != nil {
		return memoryDetails{}, err
	}
	defer cleanup()
	report := filepath.Join(home, "time.txt")
	s := &tmuxSession{tmux: tmux, socket: fmt.Sprintf("crdb-logexport-bench-%d", os.Getpid()), env: unsetEnv(baseEnv(home), "NO_COLOR")}
	script := fmt.Sprintf("export TERM=xterm-256color; %s -v -o %s %s demo; echo EXIT=$?; sleep 60", shellQuote(gnuTime), shellQuote(report), shellQuote(cfg.bin))
	if _, err := s.run(ctx, "-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", "100", "-y", "30", script); err != nil {
		return memoryDetails{}, err
	}
	defer s.kill()
	for _, p := range demoPrompts {
		if err := s.waitFor(ctx, p, 30*time.Second); err != nil {
			return memoryDetails{}, err
		}
		if _, err := s.run(ctx, "send-keys", "-t", "main", "Enter"); err != nil {
			return memoryDetails{}, err
		}
	}
	for _, p := range []string{demoEnabled, demoArriving} {
		if err := s.waitFor(ctx, p, 90*time.Second); err != nil {
			return memoryDetails{}, err
		}
	}
	if _, err := s.run(ctx, "send-keys", "-t", "main", "q"); err != nil {
		return memoryDetails{}, err
	}
	if err := s.waitFor(ctx, `EXIT=\d+`, 30*time.Second); err != nil {
		return memoryDetails{}, err
	}
	b, err := os.ReadFile(report)
	if err != nil {
		return memoryDetails{}, fmt.Errorf("reading GNU time's report: %w", err)
	}
	d, err := parseGNUTime(string(b))
	if err != nil {
		return d, err
	}
	if d.ExitStatus != 0 {
		return d, fmt.Errorf("demo exited with status %d", d.ExitStatus)
	}
	d.Command = "crdb-logexport demo"
	return d, nil
}

var (
	maxRSSLine  = regexp.MustCompile(`(?m)^\s*Maximum resident set size \(kbytes\): (\d+)`)
	elapsedLine = regexp.MustCompile(`(?m)^\s*Elapsed \(wall clock\) time \([^)]*\): (\S+)`)
	exitLine    = regexp.MustCompile(`(?m)^\s*Exit status: (\d+)`)
)

// parseGNUTime reads the figures of a `time -v` report.
func parseGNUTime(report string) (memoryDetails, error) {
	var d memoryDetails
	m := maxRSSLine.FindStringSubmatch(report)
	if m == nil {
		return d, fmt.Errorf("no \"Maximum resident set size\" in GNU time's report:\n%s", report)
	}
	d.MaxRSSKiB, _ = strconv.Atoi(m[1])
	if m := elapsedLine.FindStringSubmatch(report); m != nil {
		d.Elapsed = m[1]
	}
	if m := exitLine.FindStringSubmatch(report); m != nil {
		d.ExitStatus, _ = strconv.Atoi(m[1])
	}
	return d, nil
}

// tmuxSession is a detached session on a private tmux server.
type tmuxSession struct {
	tmux, socket string
	env          []string
}

func (s *tmuxSession) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, s.tmux, append([]string{"-L", s.socket}, args...)...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("tmux %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// waitFor polls the screen until pattern matches.
func (s *tmuxSession) waitFor(ctx context.Context, pattern string, limit time.Duration) error {
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(limit)
	var screen string
	for time.Now().Before(deadline) {
		out, err := s.run(ctx, "capture-pane", "-p", "-t", "main")
		if err != nil {
			return err
		}
		if screen = out; re.MatchString(screen) {
			return nil
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return fmt.Errorf("the demo never showed %q within %s; the screen:\n%s", pattern, limit, screen)
}

func (s *tmuxSession) kill() {
	_ = exec.Command(s.tmux, "-L", s.socket, "kill-server").Run()
}

func shellQuote(v string) string { return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'" }
