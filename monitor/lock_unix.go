//go:build unix

package monitor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// lockPoll is how often a pass waiting for another's lock tries again.
const lockPoll = 100 * time.Millisecond

// Lock takes the store's lock, waiting while another pass (another
// process, or a long-running monitor's pass) holds it, until ctx ends.
// waiting, when set, is told once who holds it. The lock is an flock(2) on
// a file beside the state: the kernel drops it when its holder dies, so a
// killed monitor never leaves it stuck.
func (s Store) Lock(ctx context.Context, waiting func(holder string)) (unlock func(), err error) {
	if err := os.MkdirAll(s.Dir, stateDirectoryMode); err != nil {
		return nil, fmt.Errorf("creating the monitor's state directory: %w", err)
	}
	path := filepath.Join(s.Dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, stateFileMode)
	if err != nil {
		return nil, fmt.Errorf("opening the monitor's lock: %w", err)
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !told && waiting != nil {
			waiting(lockHolder(path))
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for another monitor's pass to finish (%s): %w", lockHolder(path), ctx.Err())
		case <-time.After(lockPoll):
		}
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// lockHolder names the process that holds the lock, as it wrote itself
// into the file.
func lockHolder(path string) string {
	b, err := os.ReadFile(path)
	if pid := strings.TrimSpace(string(b)); err == nil && pid != "" {
		return "process " + pid
	}
	return "another process"
}
