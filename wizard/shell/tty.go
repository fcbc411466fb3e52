package shell

import (
	"errors"
	"io"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// interruptible returns what the accessible prompts read from. When in is
// the terminal, that is a second, non-blocking descriptor of it (its own
// open of /dev/tty, so the shell's descriptor keeps its mode), whose read
// cut ends at once as the end of the input: a prompt waiting for a line
// cannot otherwise be stopped, and would keep reading the terminal after
// Ctrl-C — swallowing the next line typed, and the terminal's answers to
// queries. Anything else is read as it is, and cut reports false.
func interruptible(in io.Reader) (r io.Reader, cut func() bool, release func()) {
	none := func() bool { return false }
	f, ok := in.(*os.File)
	if !ok {
		return in, none, func() {}
	}
	if _, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err != nil {
		return in, none, func() {}
	}
	fd, err := unix.Open("/dev/tty", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return in, none, func() {}
	}
	t := &ttyReader{tty: os.NewFile(uintptr(fd), "/dev/tty"), fd: f.Fd()}
	return t, t.cut, func() { _ = t.tty.Close() }
}

// ttyReader reads the terminal through its own descriptor; Fd is the
// original one, for the masked prompt, which reads it directly.
type ttyReader struct {
	tty *os.File
	fd  uintptr
	was atomic.Bool
}

func (t *ttyReader) Read(p []byte) (int, error) {
	n, err := t.tty.Read(p)
	if err != nil && (t.was.Load() || errors.Is(err, os.ErrDeadlineExceeded)) {
		return n, io.EOF
	}
	return n, err
}

func (t *ttyReader) Fd() uintptr { return t.fd }

func (t *ttyReader) cut() bool {
	t.was.Store(true)
	return t.tty.SetReadDeadline(time.Now()) == nil
}
