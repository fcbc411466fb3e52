package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// LockHolder describes the run holding a cluster's lock, as it wrote
// itself into the lock file: enough for a person to find it.
type LockHolder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Host    string    `json:"host,omitempty"`
	Since   time.Time `json:"since"`
}

func (h LockHolder) String() string {
	if h.PID == 0 {
		return "another crdb-logexport run"
	}
	s := fmt.Sprintf("process %d", h.PID)
	if h.Command != "" {
		s += " (" + h.Command + ")"
	}
	if !h.Since.IsZero() {
		s += ", since " + h.Since.Local().Format("15:04:05")
	}
	return s
}

// ErrLocked means another run is changing the cluster and this one was
// told not to wait.
var ErrLocked = errors.New("another crdb-logexport run is changing this cluster")

// LockedError names the run that holds the lock.
type LockedError struct {
	ClusterID string
	Holder    LockHolder
	Path      string
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another crdb-logexport run is changing cluster %s: %s holds its lock (%s); wait for it to finish, or run without --no-input and --no-wait to wait for it", e.ClusterID, e.Holder, e.Path)
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// LockPolicy says what a run does when another one holds a cluster's lock.
type LockPolicy struct {
	// NoWait fails at once with a *LockedError instead of waiting
	// (--no-input, --no-wait).
	NoWait bool
	// OnWait is told, once, that the run is waiting and for whom.
	OnWait func(h LockHolder)
	// Poll is how often a waiting run tries again (default 250 ms).
	Poll time.Duration
}

// clusterLocks are the cluster locks this process holds, by lock file: a
// run takes each cluster's lock once, when it first plans a change, and
// keeps it until it ends (Release), so a plan and its apply see no other
// run of this machine in between. They are the process's, not an Env's:
// the interface may build a new Env (a new key) for the same run, and must
// not wait for itself.
type clusterLocks struct {
	mu   sync.Mutex
	held map[string]*heldLock
}

var processLocks clusterLocks

type heldLock struct {
	f    *os.File
	path string
}

// LockPath is the lock file of a cluster, beside its journal.
func (s JournalStore) LockPath(clusterID string) (string, error) {
	path, err := s.Path(clusterID)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(path, ".json") + ".lock", nil
}

// HoldCluster takes the cluster's lock for this Env, waiting for another
// run that holds it (or not, per Env.Lock), and keeps it until Release.
// Taking it again is free. It reports whether it had to wait: what was
// read before then may have been changed by the other run. The lock is the
// kernel's (flock): a run that dies, however, lets go of it. A dry run
// (Env.DryRun) changes nothing and takes no lock.
func (e *Env) HoldCluster(ctx context.Context, clusterID string) (waited bool, err error) {
	if e.DryRun {
		return false, nil
	}
	processLocks.mu.Lock()
	defer processLocks.mu.Unlock()
	path, err := e.Journals.LockPath(clusterID)
	if err != nil {
		return false, err
	}
	if processLocks.held[path] != nil {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, fmt.Errorf("creating the state directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return false, fmt.Errorf("opening the lock %s: %w", path, err)
	}
	poll := e.Lock.Poll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return waited, fmt.Errorf("locking %s: %w", path, err)
		}
		if ok {
			break
		}
		holder := readHolder(path)
		if e.Lock.NoWait {
			f.Close()
			return false, &LockedError{ClusterID: clusterID, Holder: holder, Path: path}
		}
		if !waited && e.Lock.OnWait != nil {
			e.Lock.OnWait(holder)
		}
		waited = true
		if err := e.sleep(ctx, poll); err != nil {
			f.Close()
			return waited, err
		}
	}
	host, _ := os.Hostname()
	me := LockHolder{PID: os.Getpid(), Command: commandLine(), Host: host, Since: e.now().UTC()}
	if b, err := json.Marshal(me); err == nil {
		_ = f.Truncate(0)
		_, _ = f.WriteAt(append(b, '\n'), 0)
	}
	if processLocks.held == nil {
		processLocks.held = map[string]*heldLock{}
	}
	processLocks.held[path] = &heldLock{f: f, path: path}
	return waited, nil
}

// Holds reports whether this process holds the cluster's lock.
func (e *Env) Holds(clusterID string) bool {
	path, err := e.Journals.LockPath(clusterID)
	if err != nil {
		return false
	}
	processLocks.mu.Lock()
	defer processLocks.mu.Unlock()
	return processLocks.held[path] != nil
}

// Release lets go of the cluster's lock (of every cluster's of this
// Env's state directory when id is ""). The lock file stays: removing it
// could let two runs lock two different files.
func (e *Env) Release(clusterID string) {
	want := ""
	if clusterID != "" {
		var err error
		if want, err = e.Journals.LockPath(clusterID); err != nil {
			return
		}
	}
	processLocks.mu.Lock()
	defer processLocks.mu.Unlock()
	for id, h := range processLocks.held {
		if want != "" && id != want || want == "" && filepath.Dir(id) != e.Journals.Dir {
			continue
		}
		_ = h.f.Truncate(0)
		_ = unlock(h.f)
		_ = h.f.Close()
		delete(processLocks.held, id)
	}
}

func readHolder(path string) LockHolder {
	var h LockHolder
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &h)
	}
	return h
}

// commandLine is this process's command as a person would recognise it,
// without values that may be secrets (there are none in argv by design,
// but only flag names and the first argument are kept all the same).
func commandLine() string {
	if len(os.Args) == 0 {
		return ""
	}
	parts := []string{filepath.Base(os.Args[0])}
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-") {
			name, _, _ := strings.Cut(a, "=")
			parts = append(parts, name)
			continue
		}
		if len(parts) == 1 {
			parts = append(parts, a)
		}
	}
	return strings.Join(parts, " ")
}
