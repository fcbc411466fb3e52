package wizard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
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
)

// testSandbox starts the emulators with short timings and returns a
// Connect function building real clients against them, with a journal
// store in a temporary directory.
func testSandbox(t *testing.T, timings cloudemu.Timings) (*sandbox.Env, func(context.Context, string) (*steps.Env, error), steps.JournalStore) {
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
	connect := func(_ context.Context, key string) (*steps.Env, error) {
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
		return &steps.Env{Cloud: cloud, AWS: awsc, Journals: store, Sleep: quickSleep}, nil
	}
	return sb, connect, store
}

// quickSleep waits a twentieth of what the engine asks for (its IAM
// propagation back-off and stream polling), so flows stay fast.
func quickSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d / 20)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fastApply polls the status every 50 ms.
var fastApply = steps.ApplyOptions{
	PropagationLimit: 20 * time.Second,
	StreamTimeout:    10 * time.Second,
	Watch:            cloudapi.WatchOptions{Schedule: func(time.Duration) time.Duration { return 50 * time.Millisecond }},
}

// harness drives the model the way Bubble Tea does, without a terminal:
// it calls Update with each message on the test's goroutine and runs the
// commands Update returns on others, feeding their messages back.
type harness struct {
	t      *testing.T
	m      *Model
	w, h   int
	msgs   chan tea.Msg
	ctx    context.Context
	cancel context.CancelFunc
	quit   bool
	mu     sync.Mutex
}

func newHarness(t *testing.T, opts Options, w, h int) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	hs := &harness{t: t, w: w, h: h, msgs: make(chan tea.Msg, 4096), ctx: ctx, cancel: cancel}
	hs.m = New(ctx, opts)
	t.Cleanup(func() {
		hs.m.stop(10 * time.Second)
		cancel()
	})
	hs.exec(hs.m.Init())
	hs.update(tea.WindowSizeMsg{Width: w, Height: h})
	return hs
}

var cmdType = reflect.TypeOf(tea.Cmd(nil))

func (hs *harness) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() { hs.deliver(cmd()) }()
}

// deliver unpacks batches and sequences, answers the runtime's own
// requests (window size), and queues the rest for Update.
func (hs *harness) deliver(msg tea.Msg) {
	if msg == nil {
		return
	}
	if batch, ok := msg.(tea.BatchMsg); ok {
		for _, c := range batch {
			hs.exec(c)
		}
		return
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == cmdType {
		for i := 0; i < v.Len(); i++ {
			if c := v.Index(i).Interface().(tea.Cmd); c != nil {
				hs.deliver(c())
			}
		}
		return
	}
	switch fmt.Sprintf("%T", msg) {
	case "tea.windowSizeMsg":
		// Answered when processed, with the size the terminal has then.
		msg = sizeRequest{}
	case "tea.backgroundColorMsg", "tea.setClipboardMsg":
		return
	case "cursor.BlinkMsg", "cursor.initialBlinkMsg":
		// A cursor that does not blink keeps screens comparable.
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

// sizeRequest is the model asking for the terminal's size.
type sizeRequest struct{}

func (hs *harness) update(msg tea.Msg) {
	if _, ok := msg.(sizeRequest); ok {
		msg = tea.WindowSizeMsg{Width: hs.w, Height: hs.h}
	}
	m, cmd := hs.m.Update(msg)
	hs.m = m.(*Model)
	hs.exec(cmd)
}

// key presses one key: "enter", "ctrl+c", "up", or a single character.
func (hs *harness) key(k string) {
	hs.update(keyMsg(k))
}

func keyMsg(k string) tea.KeyPressMsg {
	special := map[string]rune{
		"enter": tea.KeyEnter, "up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"tab": tea.KeyTab, "backspace": tea.KeyBackspace, "esc": tea.KeyEscape, "space": tea.KeySpace,
		"pgdown": tea.KeyPgDown, "pgup": tea.KeyPgUp,
	}
	if r, ok := special[k]; ok {
		return tea.KeyPressMsg{Code: r}
	}
	if rest, ok := strings.CutPrefix(k, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: rune(rest[0]), Mod: tea.ModCtrl}
	}
	r, _ := utf8.DecodeRuneInString(k)
	return tea.KeyPressMsg{Code: r, Text: k}
}

// typeText types s one key at a time.
func (hs *harness) typeText(s string) {
	for _, r := range s {
		hs.key(string(r))
	}
}

// clear empties the focused text input.
func (hs *harness) clear(n int) {
	for range n {
		hs.key("backspace")
	}
}

func (hs *harness) quitted() bool {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return hs.quit
}

// until processes messages until cond holds, failing with the screen
// when it does not within limit.
func (hs *harness) until(what string, limit time.Duration, cond func() bool) {
	hs.t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for !cond() {
		select {
		case msg := <-hs.msgs:
			hs.update(msg)
		case <-deadline.C:
			hs.t.Fatalf("waiting for %s: not within %s; phase %d, screen:\n%s", what, limit, hs.m.phase, hs.screen())
		}
	}
}

// atPhase waits for a phase (and, for questions, a question).
func (hs *harness) atPhase(p phase) {
	hs.t.Helper()
	hs.until(fmt.Sprintf("phase %d", p), 15*time.Second, func() bool { return hs.m.phase == p && hs.m.final == nil })
}

func (hs *harness) atQuestion(id string) {
	hs.t.Helper()
	hs.until("question "+id, 15*time.Second, func() bool {
		return hs.m.phase == phaseQuestion && questions[hs.m.qi].id == id && hs.m.form != nil
	})
}

// screen is the view as plain text.
func (hs *harness) screen() string {
	return ansi.Strip(hs.m.View().Content)
}

// rendered is the view through a colour profile, as a terminal with that
// profile would receive it.
func rendered(content string, p colorprofile.Profile) string {
	var b bytes.Buffer
	w := &colorprofile.Writer{Forward: &b, Profile: p}
	_, _ = w.WriteString(content)
	return b.String()
}

// checkFits fails when a screen is wider or taller than the terminal.
func checkFits(t *testing.T, name, screen string, w, h int) {
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

// enter presses enter and waits until it took effect: another field,
// form or phase.
func (hs *harness) enter() {
	hs.t.Helper()
	form, phase, qi := hs.m.form, hs.m.phase, hs.m.qi
	var field any
	if form != nil {
		field = form.GetFocusedField()
	}
	hs.key("enter")
	hs.until("enter to take effect", 15*time.Second, func() bool {
		if hs.m.final != nil || hs.m.phase != phase || hs.m.qi != qi || hs.m.form != form {
			return true
		}
		return hs.m.form != nil && any(hs.m.form.GetFocusedField()) != field
	})
}

// resize is the terminal changing size.
func (hs *harness) resize(w, h int) {
	hs.w, hs.h = w, h
	hs.update(tea.WindowSizeMsg{Width: w, Height: h})
}

// interruptedJournal reads the cluster's journal after an interruption: it
// must be there and be whole JSON (each save replaces the file at once).
func interruptedJournal(t *testing.T, store steps.JournalStore, clusterID string) *steps.Journal {
	t.Helper()
	path, err := store.Path(clusterID)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j := new(steps.Journal)
	if err := json.Unmarshal(raw, j); err != nil {
		t.Fatalf("journal is not valid JSON after the interruption: %v", err)
	}
	return j
}

// The names setup gives each seeded cluster's role and policy.
var (
	prodRole    = steps.DefaultRoleNameFor(cloudemu.ProdAWSClusterName, cloudemu.ProdAWSClusterID)
	prodPolicy  = steps.DefaultPolicyNameFor(cloudemu.ProdAWSClusterName, cloudemu.ProdAWSClusterID)
	stagingRole = steps.DefaultRoleNameFor(cloudemu.StagingAWSClusterName, cloudemu.StagingAWSClusterID)
)
