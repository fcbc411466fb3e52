// Package shelltest drives the interface's program in tests: a sandbox to
// run it against, a harness that calls Update the way Bubble Tea does and
// presses keys, accessible runs on a scripted input, and golden screens.
package shelltest

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
)

// Account is the sandbox's AWS account: the caller's ("yours").
const Account = "314159265358"

// Build builds the clients against a sandbox; key replaces the API key
// when given.
type Build = func(ctx context.Context, key string) (*steps.Env, error)

// Sandbox starts the emulators with short timings and returns a Build
// making real clients against them, with a journal store in a temporary
// directory.
func Sandbox(t *testing.T, timings cloudemu.Timings) (*sandbox.Env, Build, steps.JournalStore) {
	t.Helper()
	if timings.EnableAfter == 0 {
		timings.EnableAfter = 150 * time.Millisecond
	}
	if timings.IAMPropagation == 0 {
		timings.IAMPropagation = time.Nanosecond
	}
	if timings.EventInterval == 0 {
		timings.EventInterval = 150 * time.Millisecond
	}
	timings.DisableAfter = 150 * time.Millisecond
	sb, err := sandbox.Start(sandbox.Options{Timings: &timings})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Shutdown waits 5 s for connections a client opened but never
		// used; the test is over, so do not wait for them.
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_ = sb.Close(ctx)
	})
	store := steps.JournalStore{Dir: t.TempDir(), Now: time.Now}
	build := func(_ context.Context, key string) (*steps.Env, error) {
		apiKey := sb.APIKey
		if key != "" {
			apiKey = key
		}
		cloud, err := cloudapi.New(cloudapi.Options{BaseURL: sb.CloudURL, APIKey: apiKey})
		if err != nil {
			return nil, err
		}
		awsc := awsiam.NewClients(aws.Config{
			Region:       sb.Region,
			BaseEndpoint: aws.String(sb.AWSURL),
			Credentials:  credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, ""),
		})
		return &steps.Env{Cloud: cloud, AWS: awsc, Journals: store, Sleep: QuickSleep}, nil
	}
	return sb, build, store
}

// QuickSleep waits a twentieth of what the engine asks for (its IAM
// propagation back-off and stream polling), so flows stay fast.
func QuickSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d / 20)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Watch polls the status every 50 ms.
var Watch = cloudapi.WatchOptions{Schedule: func(time.Duration) time.Duration { return 50 * time.Millisecond }}

// The names setup gives each seeded cluster's role and policy by default.
var (
	ProdRole      = steps.DefaultRoleNameFor(cloudemu.ProdAWSClusterName, cloudemu.ProdAWSClusterID)
	ProdPolicy    = steps.DefaultPolicyNameFor(cloudemu.ProdAWSClusterName, cloudemu.ProdAWSClusterID)
	StagingRole   = steps.DefaultRoleNameFor(cloudemu.StagingAWSClusterName, cloudemu.StagingAWSClusterID)
	StagingPolicy = steps.DefaultPolicyNameFor(cloudemu.StagingAWSClusterName, cloudemu.StagingAWSClusterID)
)

// FastApply and FastFix shorten the engine's waits.
var (
	FastApply = steps.SetupOptions{PropagationLimit: 20 * time.Second, StreamTimeout: 10 * time.Second, Watch: Watch}
	FastFix   = steps.FixOptions{Watch: Watch, PropagationLimit: 5 * time.Second}
)

// Harness drives a program the way Bubble Tea does, without a terminal:
// it calls Update with each message on the test's goroutine and runs the
// commands Update returns on others, feeding their messages back.
type Harness struct {
	T    *testing.T
	P    *shell.Program
	w, h int
	msgs chan tea.Msg
	ctx  context.Context
	quit bool
	mu   sync.Mutex
}

// New starts p at w×h.
func New(t *testing.T, p *shell.Program, w, h int) *Harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	hs := &Harness{T: t, P: p, w: w, h: h, msgs: make(chan tea.Msg, 4096), ctx: ctx}
	t.Cleanup(func() {
		p.Stop(10 * time.Second)
		cancel()
	})
	hs.exec(p.Init())
	hs.Send(tea.WindowSizeMsg{Width: w, Height: h})
	return hs
}

func (hs *Harness) exec(cmd tea.Cmd) { shell.Exec(cmd, hs.deliver) }

// deliver answers the runtime's own requests (window size) and queues the
// rest for Update.
func (hs *Harness) deliver(msg tea.Msg) {
	switch shell.Runtime(msg) {
	case "size":
		// Answered when processed, with the size the terminal has then.
		msg = sizeRequest{}
	case "screen":
		// Colours and the clipboard need no answer; a cursor that does
		// not blink keeps screens comparable.
		return
	}
	if _, ok := msg.(tea.QuitMsg); ok {
		hs.mu.Lock()
		hs.quit = true
		hs.mu.Unlock()
		return
	}
	select {
	case hs.msgs <- msg:
	case <-hs.ctx.Done():
	}
}

type sizeRequest struct{}

// Send hands msg to Update and runs what it returns.
func (hs *Harness) Send(msg tea.Msg) {
	if _, ok := msg.(sizeRequest); ok {
		msg = tea.WindowSizeMsg{Width: hs.w, Height: hs.h}
	}
	m, cmd := hs.P.Update(msg)
	hs.P = m.(*shell.Program)
	hs.exec(cmd)
}

// Key presses one key: "enter", "ctrl+c", "up", or a single character.
func (hs *Harness) Key(k string) { hs.Send(KeyMsg(k)) }

// KeyMsg is the key press k.
func KeyMsg(k string) tea.KeyPressMsg {
	special := map[string]rune{
		"enter": tea.KeyEnter, "up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"tab": tea.KeyTab, "backspace": tea.KeyBackspace, "esc": tea.KeyEscape, "space": tea.KeySpace,
		"pgdown": tea.KeyPgDown, "pgup": tea.KeyPgUp,
	}
	if r, ok := special[k]; ok {
		return tea.KeyPressMsg{Code: r}
	}
	if k == "shift+tab" {
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	}
	if rest, ok := strings.CutPrefix(k, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: rune(rest[0]), Mod: tea.ModCtrl}
	}
	r, _ := utf8.DecodeRuneInString(k)
	return tea.KeyPressMsg{Code: r, Text: k}
}

// TypeText types s one key at a time.
func (hs *Harness) TypeText(s string) {
	for _, r := range s {
		hs.Key(string(r))
	}
}

// Clear empties the focused text input.
func (hs *Harness) Clear(n int) {
	for range n {
		hs.Key("backspace")
	}
}

// Quitted reports whether the program asked to quit.
func (hs *Harness) Quitted() bool {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return hs.quit
}

// Until processes messages until cond holds, failing with the screen when
// it does not within limit.
func (hs *Harness) Until(what string, limit time.Duration, cond func() bool) {
	hs.T.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for !cond() {
		select {
		case msg := <-hs.msgs:
			hs.Send(msg)
		case <-deadline.C:
			hs.T.Fatalf("waiting for %s: not within %s; screen:\n%s", what, limit, hs.Screen())
		}
	}
}

// Enter presses enter and waits until it took effect: another form, field
// or decision, or the end.
func (hs *Harness) Enter() {
	hs.T.Helper()
	sh := hs.P.Shell()
	form, pending, task := sh.Form(), sh.Pending(), hs.P.Task()
	var field any
	if form != nil {
		field = form.GetFocusedField()
	}
	hs.Key("enter")
	hs.Until("enter to take effect", 15*time.Second, func() bool {
		sh := hs.P.Shell()
		if hs.P.Ended() || sh.Form() != form || hs.P.Task() != task || !reflect.DeepEqual(sh.Pending(), pending) {
			return true
		}
		return sh.Form() != nil && any(sh.Form().GetFocusedField()) != field
	})
}

// End waits for the program to end and returns how it ended.
func (hs *Harness) End() shell.Result {
	hs.T.Helper()
	hs.Until("the end", 15*time.Second, hs.P.Ended)
	return hs.P.Result()
}

// Screen is the view as plain text.
func (hs *Harness) Screen() string { return ansi.Strip(hs.P.Render()) }

// Resize is the terminal changing size.
func (hs *Harness) Resize(w, h int) {
	hs.w, hs.h = w, h
	hs.Send(tea.WindowSizeMsg{Width: w, Height: h})
}

// whitespace goes when text is compared across wrapping.
var whitespace = regexp.MustCompile(`\s+`)

// Squeeze drops every space and line break, so that text a screen wraps
// can be found whole.
func Squeeze(s string) string { return whitespace.ReplaceAllString(s, "") }

// Has reports whether the screen shows text, wrapping aside.
func (hs *Harness) Has(text string) bool {
	return strings.Contains(Squeeze(hs.Screen()), Squeeze(text))
}

// Rendered is the view through a colour profile, as a terminal with that
// profile would receive it.
func Rendered(content string, p colorprofile.Profile) string {
	var b bytes.Buffer
	w := &colorprofile.Writer{Forward: &b, Profile: p}
	_, _ = w.WriteString(content)
	return b.String()
}

// CheckFits fails when a screen is wider or taller than the terminal.
func CheckFits(t *testing.T, name, screen string, w, h int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) > h {
		t.Errorf("%s: %d lines on a %d-line terminal:\n%s", name, len(lines), h, screen)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			t.Errorf("%s: line %d is %d columns on a %d-column terminal: %q", name, i+1, ansi.StringWidth(l), w, l)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// GoldenW and GoldenH are the size golden screens are drawn at: the
// narrowest the interface supports.
const GoldenW, GoldenH = 80, 24

// externalIDs are generated per run; goldens show a fixed stand-in of the
// same length, so wrapping is unchanged.
var externalIDs = regexp.MustCompile(`crdb-[0-9a-f]{32}`)

// Golden compares a screen, drawn through a forced 16-colour profile, with
// testdata/NAME.golden (go test -update rewrites it).
func Golden(t *testing.T, name, content string) {
	t.Helper()
	goldenAt(t, name, content, GoldenW, GoldenH)
}

// sizes are the terminals golden screens are drawn at besides
// GoldenW×GoldenH: a narrow one, where labels, ARNs and tables must wrap
// well, and a roomy one.
var sizes = [][2]int{{60, 24}, {100, 30}}

// GoldenSizes draws a screen at each of sizes — resize changes the
// terminal, render draws — as NAME-60.golden and NAME-100.golden, then
// sets the terminal back to GoldenW×GoldenH.
func GoldenSizes(t *testing.T, name string, resize func(w, h int), render func() string) {
	t.Helper()
	for _, s := range sizes {
		resize(s[0], s[1])
		goldenAt(t, fmt.Sprintf("%s-%d", name, s[0]), render(), s[0], s[1])
	}
	resize(GoldenW, GoldenH)
}

// goldenAt is Golden for a screen drawn at w×h.
func goldenAt(t *testing.T, name, content string, w, h int) {
	t.Helper()
	CheckFits(t, name, ansi.Strip(content), w, h)
	got := externalIDs.ReplaceAllString(Rendered(content, colorprofile.ANSI), "crdb-"+strings.Repeat("x", 32)) + "\n"
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("screen %s differs from %s (go test -update rewrites it)\n--- got:\n%s\n--- want:\n%s", name, path, ansi.Strip(got), ansi.Strip(string(want)))
	}
}

// Accessible runs p line by line on lines of input — fed one byte per
// read, as a terminal does (huh's accessible mode reads each prompt with a
// scanner of its own) — and returns how it ended and what it printed.
func Accessible(t *testing.T, p *shell.Program, lines ...string) (shell.Result, string) {
	t.Helper()
	var out SyncBuffer
	in := iotest.OneByteReader(strings.NewReader(strings.Join(lines, "\n") + "\n"))
	if len(lines) == 0 {
		in = iotest.OneByteReader(strings.NewReader(""))
	}
	// Huh's accessible mode writes colour to any writer: what a terminal
	// without colour gets is what the profile leaves.
	w := colorprofile.NewWriter(&out, []string{"TERM=xterm-256color"})
	res := shell.Drive(context.Background(), p, in, w, &kit.Lines{W: w, Results: w, Words: true, Live: true, Plans: true, FixHint: "Fix it"})
	p.Stop(10 * time.Second)
	return res, out.String()
}

// SyncBuffer is a bytes.Buffer safe to read while another goroutine
// writes.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Inject hands p's task what its dialogue would send — events, and
// decisions (a steps.Choice or steps.Confirm) — and any other message as
// it is; what they ask for next is not run. Screens are drawn from fixed
// events this way.
func Inject(p *shell.Program, msgs ...any) {
	var d *shell.Dialogue
	if r, ok := p.Task().(interface{ Dialogue() *shell.Dialogue }); ok {
		d = r.Dialogue()
	}
	for _, msg := range msgs {
		switch msg := msg.(type) {
		case steps.Event:
			p.Update(shell.EventMsg{D: d, Event: msg})
		case steps.Choice, steps.Confirm:
			p.Update(shell.AskMsg{D: d, Decision: msg})
		default:
			p.Update(msg)
		}
	}
}

// Program opens the task name, made by open, on a shell of its own
// (accessible, or not); the tasks it leads to are stubs.
func Program(name string, accessible bool, open func(sh *shell.Shell) shell.Task) *shell.Program {
	return ProgramOn(shell.New(context.Background(), accessible, nil), name, open)
}

// ProgramOn is Program on sh.
func ProgramOn(sh *shell.Shell, name string, open func(sh *shell.Shell) shell.Task) *shell.Program {
	return shell.NewProgram(sh, func(sh *shell.Shell, n string, _ bool) shell.Task {
		if n != name {
			return Stub{Name: n}
		}
		return open(sh)
	}, name)
}

// Stub is a task that only says which one it is: what a task's own tests
// open in place of the tasks it leads to.
type Stub struct{ Name string }

func (s Stub) Init() tea.Cmd          { return nil }
func (s Stub) Update(tea.Msg) tea.Cmd { return nil }
func (s Stub) View(int, int) string   { return "[" + s.Name + "]" }
func (s Stub) Title() string          { return s.Name }
func (s Stub) Keys() []string         { return nil }
func (s Stub) Busy() bool             { return false }
func (s Stub) Stop(time.Duration)     {}
func (s Stub) Result(o shell.Outcome) shell.Result {
	return shell.Result{Outcome: o, Task: s.Name}
}
