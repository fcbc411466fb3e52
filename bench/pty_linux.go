//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
	"unsafe"
)

// startOnPTY starts cmd with a new pseudo-terminal of rows×cols as its
// controlling terminal and standard streams, and returns the terminal's
// master side — what cmd writes is read from it, what is written to it is
// typed at cmd — with the time just before exec.
func startOnPTY(cmd *exec.Cmd, rows, cols uint16) (*os.File, time.Time, error) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("opening a pseudo-terminal: %w", err)
	}
	fail := func(what string, err error) (*os.File, time.Time, error) {
		master.Close()
		return nil, time.Time{}, fmt.Errorf("%s: %w", what, err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		return fail("unlocking the pseudo-terminal", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		return fail("naming the pseudo-terminal", e)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return fail("opening the terminal side", err)
	}
	defer slave.Close()
	size := struct{ rows, cols, x, y uint16 }{rows, cols, 0, 0}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, slave.Fd(), syscall.TIOCSWINSZ, uintptr(unsafe.Pointer(&size))); e != 0 {
		return fail("sizing the terminal", e)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fail("starting "+cmd.Path, err)
	}
	return master, start, nil
}
