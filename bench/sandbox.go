package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// sandboxLatency is the round-trip time rows 1, 3 and 4 give every API call.
const sandboxLatency = 100 * time.Millisecond

// sandboxProc is a `crdb-logexport sandbox serve` process.
type sandboxProc struct {
	cmd    *exec.Cmd
	vars   map[string]string // the exported variables, by name
	stderr *lockedBuffer
	done   chan struct{}
}

// envVars are the variables `sandbox serve` prints that point the tool at
// the emulators, in its order; webhookVars follow them, the webhook
// receiver's URLs, which a run gets only when it asks for them.
var (
	envVars     = []string{"COCKROACH_SERVER", "COCKROACH_API_KEY", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"}
	webhookVars = []string{"CRDB_LOGEXPORT_SLACK_WEBHOOK_URL", "CRDB_LOGEXPORT_WEBHOOK_URL"}
)

// startSandbox runs `sandbox serve` on free loopback ports with extra
// flags, and returns once it has printed its variables.
func startSandbox(ctx context.Context, bin string, flags ...string) (*sandboxProc, error) {
	args := append([]string{"sandbox", "serve", "--cloud-addr", "127.0.0.1:0", "--aws-addr", "127.0.0.1:0", "--hooks-addr", "127.0.0.1:0"}, flags...)
	cmd := exec.Command(bin, args...)
	cmd.Env = baseEnv(os.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &sandboxProc{cmd: cmd, vars: map[string]string{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the sandbox: %w", err)
	}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	timeout := time.NewTimer(20 * time.Second)
	defer timeout.Stop()
	for len(s.vars) < len(envVars)+len(webhookVars) {
		select {
		case line, ok := <-lines:
			if !ok {
				s.stop()
				return nil, fmt.Errorf("`%s` ended before printing its variables:\n%s", strings.Join(args, " "), s.stderr.String())
			}
			if name, value, ok := parseExport(line); ok {
				s.vars[name] = value
			}
		case <-timeout.C:
			s.stop()
			return nil, fmt.Errorf("`%s` printed no variables within 20 s:\n%s", strings.Join(args, " "), s.stderr.String())
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		}
	}
	// Keep draining stdout so the sandbox never blocks on a full pipe.
	go func() {
		for range lines {
		}
	}()
	return s, nil
}

// sharedSandbox is the plain sandbox with 100 ms latency (the seeded
// organization), started the first time a row needs it.
func (cfg *config) sharedSandbox(ctx context.Context) (*sandboxProc, error) {
	if cfg.shared != nil {
		return cfg.shared, nil
	}
	s, err := startSandbox(ctx, cfg.bin, "--latency", sandboxLatency.String())
	if err != nil {
		return nil, err
	}
	cfg.shared = s
	return s, nil
}

// parseExport reads one `export NAME=value` line, value possibly in single
// quotes as sandbox.shellQuote writes it.
func parseExport(line string) (string, string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "export ")
	if !ok {
		return "", "", false
	}
	name, value, ok := strings.Cut(rest, "=")
	if !ok || name == "" {
		return "", "", false
	}
	if len(value) >= 2 && value[0] == '\'' && value[len(value)-1] == '\'' {
		value = strings.ReplaceAll(value[1:len(value)-1], `'\''`, "'")
	}
	return name, value, true
}

// stop interrupts the sandbox (it exits 0 on SIGINT) and waits for it,
// killing it if it does not stop.
func (s *sandboxProc) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *sandboxProc) cloudURL() string { return s.vars["COCKROACH_SERVER"] }
func (s *sandboxProc) awsURL() string   { return s.vars["AWS_ENDPOINT_URL"] }

// reset restores both emulators' seeded state and sets the latency again
// (a reset clears it).
func (s *sandboxProc) reset(latency time.Duration) error {
	for _, base := range []string{s.cloudURL(), s.awsURL()} {
		if err := adminCall(http.MethodPost, base+"/_sandbox/reset", nil, nil); err != nil {
			return err
		}
		body := map[string]string{"latency": latency.String()}
		if err := adminCall(http.MethodPut, base+"/_sandbox/latency", body, nil); err != nil {
			return err
		}
	}
	return nil
}

// cloudStats reads the Cloud emulator's request counters.
func (s *sandboxProc) cloudStats() (knobs.Stats, error) {
	var st knobs.Stats
	err := adminCall(http.MethodGet, s.cloudURL()+"/_sandbox/stats", nil, &st)
	return st, err
}

func adminCall(method, url string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// baseEnv is a clean environment for the tool: nothing of the user's AWS
// configuration, credentials or state, no colour, no terminal queries.
func baseEnv(home string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_STATE_HOME=" + filepath.Join(home, "state"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"AWS_CONFIG_FILE=" + filepath.Join(home, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "no-aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"NO_COLOR=1",
		"TERM=dumb",
	}
}

// toolEnv is baseEnv pointed at a sandbox; overrides replace variables by
// name (e.g. a tracing proxy's URL).
func toolEnv(home string, vars map[string]string, overrides map[string]string) []string {
	env := baseEnv(home)
	for _, name := range envVars {
		v := vars[name]
		if o, ok := overrides[name]; ok {
			v = o
		}
		env = append(env, name+"="+v)
	}
	return env
}

// toolRun is one finished run of the binary.
type toolRun struct {
	Start          time.Time     // just before exec
	Took           time.Duration // from Start to exit
	Stdout, Stderr []byte
}

// runTool runs the binary to completion.
func runTool(ctx context.Context, bin string, env []string, args ...string) (toolRun, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	run := toolRun{Start: time.Now()}
	err := cmd.Run()
	run.Took = time.Since(run.Start)
	run.Stdout, run.Stderr = stdout.Bytes(), stderr.Bytes()
	if err != nil {
		err = fmt.Errorf("crdb-logexport %s: %w\n%s", strings.Join(args, " "), err, tail(stderr.String(), 20))
	}
	return run, err
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// lockedBuffer collects a subprocess's stderr while others read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tempHome makes a fresh home directory for one run of the tool.
func tempHome() (string, func(), error) {
	dir, err := os.MkdirTemp("", "crdb-logexport-bench-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}
