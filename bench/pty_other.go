//go:build !linux

package main

import (
	"errors"
	"os"
	"os/exec"
	"time"
)

// startOnPTY needs Linux's /dev/ptmx; elsewhere the first-frame timing is
// reported as not measured.
func startOnPTY(*exec.Cmd, uint16, uint16) (*os.File, time.Time, error) {
	return nil, time.Time{}, errors.New("the first-frame timing opens a Linux pseudo-terminal; run it on Linux")
}
