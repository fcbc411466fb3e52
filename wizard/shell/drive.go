package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// Driven is a program the accessible driver runs: the interface's own
// model, with the shell whose form is on screen, and what it did so far.
type Driven interface {
	tea.Model
	Shell() *Shell
	Result() Result
}

// Drive runs m without a screen, for screen readers and terminals that
// cannot redraw: Update on this goroutine as Bubble Tea would call it,
// commands on others, each form m shows run line by line (Huh's
// accessible mode) on in and out, and every event of the dialogues
// printed by lines. It returns once m quits. When ctx ends while a form
// waits for its answer — a read nothing can interrupt — Drive leaves it and
// returns what m had done before it.
func Drive(ctx context.Context, m Driven, in io.Reader, out io.Writer, lines *kit.Lines) Result {
	in, cut, release := interruptible(in)
	defer release()
	d := &driver{m: m, in: watchEOF(in), out: out, lines: lines, msgs: make(chan tea.Msg, 4096)}
	done := make(chan Result, 1)
	go func() { done <- d.run(ctx) }()
	select {
	case res := <-done:
		return res
	case <-ctx.Done():
	}
	d.mu.Lock()
	prompting, snapshot := d.prompting, d.snapshot
	d.mu.Unlock()
	if !prompting {
		return <-done
	}
	// A terminal's read is cut short: the form ends as at the end of the
	// input, the program as on an interrupt, and nothing is left reading
	// the terminal to swallow the shell's next line.
	if cut() {
		select {
		case res := <-done:
			return res
		case <-time.After(cutWait):
		}
	}
	return snapshot
}

// cutWait is how long an interrupted form may take to end once its read
// is cut short.
const cutWait = 2 * time.Second

type driver struct {
	m     Driven
	in    input
	out   io.Writer
	lines *kit.Lines
	msgs  chan tea.Msg
	ran   *huh.Form

	mu        sync.Mutex
	quit      bool
	prompting bool
	snapshot  Result
}

func (d *driver) run(ctx context.Context) Result {
	d.exec(d.m.Init())
	for {
		if d.quitted() {
			return d.m.Result()
		}
		sh := d.m.Shell()
		if f := sh.Form(); f != nil && f != d.ran {
			d.ran = f
			if note := sh.Note(); note != "" {
				fmt.Fprintln(d.out, note)
			}
			if err := d.ask(f); err != nil {
				d.update(InterruptMsg{})
				continue
			}
			d.update(FormDoneMsg{Form: f})
			continue
		}
		select {
		case msg := <-d.msgs:
			if msg == nil {
				continue
			}
			if ev, ok := msg.(EventMsg); ok && d.lines != nil {
				d.lines.Event(ev.Event)
			}
			d.update(msg)
		case <-ctx.Done():
			d.update(InterruptMsg{})
			// What runs stops with the context; its last messages still
			// come, and the interrupt ends the program.
			ctx = context.Background()
		}
	}
}

func (d *driver) update(msg tea.Msg) {
	m, cmd := d.m.Update(msg)
	d.m = m.(Driven)
	d.exec(cmd)
}

func (d *driver) quitted() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.quit
}

func (d *driver) exec(cmd tea.Cmd) { Exec(cmd, d.deliver) }

// deliver queues a message for Update, dropping what only a screen needs
// (sizes, colours, the cursor's blink, the clipboard).
func (d *driver) deliver(msg tea.Msg) {
	if Runtime(msg) != "" {
		return
	}
	if _, ok := msg.(tea.QuitMsg); ok {
		d.mu.Lock()
		d.quit = true
		d.mu.Unlock()
		// Wake the loop.
		d.msgs <- nil
		return
	}
	d.msgs <- msg
}

// ask runs one form line by line. The end of the input stops the run: an
// empty answer there would otherwise keep the default, which must not
// become a confirmation nobody gave.
func (d *driver) ask(f *huh.Form) error {
	d.mu.Lock()
	d.prompting, d.snapshot = true, d.m.Result()
	d.mu.Unlock()
	err := d.runForm(f)
	d.mu.Lock()
	d.prompting = false
	d.mu.Unlock()
	if err == nil && d.in.ended() {
		err = io.EOF
	}
	return err
}

// runForm runs f on the input. When the input ends right after an answer
// that is out of range, huh's accessible select (v2.0.3) indexes its
// options with that answer and panics; an ended input stops the run
// everywhere else, so it does here too.
func (d *driver) runForm(f *huh.Form) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if !d.in.ended() {
				panic(p)
			}
			err = huh.ErrUserAborted
		}
	}()
	return f.WithAccessible(true).WithInput(d.in).WithOutput(unpadded{d.out}).Run()
}

// unpadded drops the spaces Huh pads a prompt's lines with to the width of
// its widest: before a line's end they are invisible, and after the last
// line — where the answer is typed — they pushed the typing a screen's
// width to the right. The one space that separates a prompt from its
// answer stays.
type unpadded struct{ w io.Writer }

func (u unpadded) Write(p []byte) (int, error) {
	var b bytes.Buffer
	for line := range bytes.Lines(p) {
		body, eol := line, []byte(nil)
		if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
			body, eol = line[:i], line[i:]
		}
		trimmed := bytes.TrimRight(body, " ")
		b.Write(trimmed)
		if eol == nil && len(trimmed) < len(body) {
			b.WriteByte(' ')
		}
		b.Write(eol)
	}
	if _, err := u.w.Write(b.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// eofReader notes the end of the input.
type eofReader struct {
	r   io.Reader
	mu  sync.Mutex
	eof bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if errors.Is(err, io.EOF) {
		e.mu.Lock()
		e.eof = true
		e.mu.Unlock()
	}
	return n, err
}

func (e *eofReader) ended() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.eof
}

// input is what the prompts read from.
type input interface {
	io.Reader
	ended() bool
}

// eofTerminal keeps the terminal's descriptor visible, which the masked
// API key prompt needs.
type eofTerminal struct {
	*eofReader
	fd uintptr
}

func (e eofTerminal) Fd() uintptr { return e.fd }

func watchEOF(r io.Reader) input {
	if f, ok := r.(interface{ Fd() uintptr }); ok {
		return eofTerminal{eofReader: &eofReader{r: r}, fd: f.Fd()}
	}
	return &eofReader{r: r}
}
