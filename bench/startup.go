package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// Start-up targets (issues 7 and 14).
const (
	versionTarget = 10 * time.Millisecond
	frameTarget   = 100 * time.Millisecond
)

// menuQuestion is on the home menu's first frame.
const menuQuestion = "What would you like to do?"

// The terminal the first frame is drawn on.
const frameRows, frameCols = 30, 100

type startupDetails struct {
	Runs      spread `json:"seconds"`
	FirstByte spread `json:"first_byte_seconds,omitempty"`
	Command   string `json:"command"`
}

func benchStartup(ctx context.Context, cfg *config) []Row {
	return []Row{benchVersion(ctx, cfg), benchFirstFrame(ctx, cfg), benchInit(ctx, cfg)}
}

func benchVersion(ctx context.Context, cfg *config) Row {
	id, name := "4a", fmt.Sprintf("crdb-logexport version (median of %d)", cfg.versionRuns)
	home, cleanup, err := tempHome()
	if err != nil {
		return failedRow(id, name, err)
	}
	defer cleanup()
	env := baseEnv(home)
	const warmUp = 3
	var runs []time.Duration
	for i := range warmUp + cfg.versionRuns {
		run, err := runTool(ctx, cfg.bin, env, "version")
		if err != nil {
			return failedRow(id, name, err)
		}
		if i >= warmUp {
			runs = append(runs, run.Took)
		}
	}
	s := summarize(seconds(runs))
	row := Row{
		ID: id, Benchmark: name, Target: "< 10 ms",
		Method:  fmt.Sprintf("wall time from exec to exit of `crdb-logexport version`, output to a pipe, %d runs after %d warm-up runs; median", cfg.versionRuns, warmUp),
		Details: startupDetails{Runs: s, Command: "crdb-logexport version"},
	}
	row.measured(s.Median, versionTarget.Seconds(), unitSeconds)
	row.Met = s.Median < versionTarget.Seconds()
	row.Note = fmt.Sprintf("p95 %s, min %s, max %s", formatSeconds(s.P95), formatSeconds(s.Min), formatSeconds(s.Max))
	return row
}

func benchFirstFrame(ctx context.Context, cfg *config) Row {
	id, name := "4b", fmt.Sprintf("first frame of the home menu (median of %d)", cfg.frameRuns)
	sb, err := cfg.sharedSandbox(ctx)
	if err != nil {
		return failedRow(id, name, err)
	}
	home, cleanup, err := tempHome()
	if err != nil {
		return failedRow(id, name, err)
	}
	defer cleanup()
	env := setEnv(toolEnv(home, sb.vars, nil), "TERM", "xterm-256color")
	env = unsetEnv(env, "NO_COLOR")
	var frames, firsts []time.Duration
	for range cfg.frameRuns {
		first, frame, err := firstFrame(ctx, cfg.bin, env)
		if err != nil {
			return failedRow(id, name, err)
		}
		frames, firsts = append(frames, frame), append(firsts, first)
	}
	s := summarize(seconds(frames))
	row := Row{
		ID: id, Benchmark: name, Target: "< 100 ms",
		Method:  fmt.Sprintf("`crdb-logexport` (home menu) on a %d×%d pseudo-terminal with TERM=xterm-256color and the sandbox's environment: time from exec until the output read from the terminal contains %q; Ctrl-C then ends it; median of %d", frameCols, frameRows, menuQuestion, cfg.frameRuns),
		Details: startupDetails{Runs: s, FirstByte: summarize(seconds(firsts)), Command: "crdb-logexport"},
	}
	row.measured(s.Median, frameTarget.Seconds(), unitSeconds)
	row.Met = s.Median < frameTarget.Seconds()
	row.Note = fmt.Sprintf("p95 %s, max %s; first byte on the terminal after %s (median)", formatSeconds(s.P95), formatSeconds(s.Max), formatSeconds(median(seconds(firsts))))
	return row
}

// firstFrame runs the home menu on a pseudo-terminal and returns when its
// first byte and its first frame arrived, counted from exec.
func firstFrame(ctx context.Context, bin string, env []string) (time.Duration, time.Duration, error) {
	cmd := exec.Command(bin)
	cmd.Env = env
	master, start, err := startOnPTY(cmd, frameRows, frameCols)
	if err != nil {
		return 0, 0, err
	}
	defer master.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	type chunk struct {
		at time.Time
		b  []byte
	}
	chunks := make(chan chunk, 16)
	go func() {
		defer close(chunks)
		var term terminalReplies
		buf := make([]byte, 32<<10)
		for {
			n, err := master.Read(buf)
			if n > 0 {
				at := time.Now()
				if reply := term.answer(buf[:n]); len(reply) > 0 {
					_, _ = master.Write(reply)
				}
				chunks <- chunk{at, bytes.Clone(buf[:n])}
			}
			if err != nil {
				// EIO once the program has exited and the terminal closed.
				return
			}
		}
	}()
	// Keep reading whatever comes after the frame, so the program never
	// blocks on a full terminal.
	defer func() {
		go func() {
			for range chunks {
			}
		}()
	}()

	var raw bytes.Buffer
	var first, frame time.Duration
	limit := time.NewTimer(10 * time.Second)
	defer limit.Stop()
	for frame == 0 {
		select {
		case c, ok := <-chunks:
			if !ok {
				return 0, 0, fmt.Errorf("the home menu ended before drawing %q:\n%s", menuQuestion, ansi.Strip(raw.String()))
			}
			if first == 0 {
				first = c.at.Sub(start)
			}
			raw.Write(c.b)
			if strings.Contains(ansi.Strip(raw.String()), menuQuestion) {
				frame = c.at.Sub(start)
			}
		case <-limit.C:
			_ = cmd.Process.Kill()
			<-exited
			return 0, 0, fmt.Errorf("no home menu within 10 s; the terminal showed:\n%s", ansi.Strip(raw.String()))
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			<-exited
			return 0, 0, ctx.Err()
		}
	}
	if _, err := master.Write([]byte{0x03}); err != nil {
		_ = cmd.Process.Kill()
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
	return first, frame, nil
}

// terminalReplies answers the two queries the program sends its terminal
// — the background colour (OSC 11) and the device attributes (DA1), which
// every terminal answers and which is how a program learns that the colour
// query will not be answered — as a dark xterm would. Without answers the
// program waits out a timeout on its way out, which is not what a person
// at a terminal sees.
type terminalReplies struct {
	seen              []byte
	colours, devAttrs int
}

var (
	queryBackground = []byte("\x1b]11;?")
	queryDevice     = []byte("\x1b[c")
)

func (t *terminalReplies) answer(out []byte) []byte {
	t.seen = append(t.seen, out...)
	var reply []byte
	for n := bytes.Count(t.seen, queryBackground); t.colours < n; t.colours++ {
		reply = append(reply, "\x1b]11;rgb:1e1e/1e1e/1e1e\x1b\\"...)
	}
	for n := bytes.Count(t.seen, queryDevice); t.devAttrs < n; t.devAttrs++ {
		reply = append(reply, "\x1b[?62;22c"...)
	}
	return reply
}

// setEnv replaces or adds one variable.
func setEnv(env []string, name, value string) []string {
	out := unsetEnv(env, name)
	return append(out, name+"="+value)
}

func unsetEnv(env []string, name string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}
