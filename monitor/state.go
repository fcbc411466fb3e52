package monitor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Health is a watched export's verdict.
type Health string

// Verdicts. An export that is not watched (no export configured, with
// --all) has NotExported; "" means the monitor has never seen it.
const (
	Healthy     Health = "healthy"
	Failing     Health = "failing"
	NotExported Health = "not-exported"
)

// stateVersion is the layout of state.json.
const stateVersion = 1

// Bounds that keep the state file, and a long-running monitor's memory,
// from growing without end.
const (
	historyPerCluster  = 100
	outboxPerDest      = 1000
	findingsInHistory  = 10
	stateFileName      = "state.json"
	lockFileName       = "lock"
	monitorSubdir      = "monitor"
	stateFileMode      = 0o600
	stateDirectoryMode = 0o700
)

// State is everything the monitor remembers between passes and between
// processes: the last verdict of each cluster with its transitions, what
// each destination was last told, and the notifications not yet
// delivered. It holds no secret: destinations are known by a hash.
type State struct {
	Version int `json:"version"`
	// Passes counts the passes of every monitor sharing this state.
	Passes       int                          `json:"passes"`
	LastPass     time.Time                    `json:"last_pass,omitzero"`
	Clusters     map[string]*ClusterState     `json:"clusters"`
	Destinations map[string]*DestinationState `json:"destinations"`
	// Outbox holds the notifications not yet delivered, oldest first.
	Outbox []Pending `json:"outbox"`
}

// ClusterState is the last verdict on one cluster and how it got there.
type ClusterState struct {
	Name        string          `json:"name"`
	Health      Health          `json:"health"`
	Status      cloudapi.Status `json:"status"`
	UserMessage string          `json:"user_message,omitempty"`
	// Checks are the IDs of the error findings of the last verdict.
	Checks []string `json:"checks,omitempty"`
	// Findings are its error and warning findings.
	Findings []Finding `json:"findings,omitempty"`
	// Since is when Health last changed; CheckedAt the last check.
	Since     time.Time `json:"since,omitzero"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
	// History lists the transitions recorded, oldest first (at most
	// historyPerCluster).
	History []Transition `json:"history,omitempty"`
}

// Transition is one change the monitor recorded: the first verdict on a
// cluster, healthy ↔ failing, a new finding while failing, or the export
// going away or coming back.
type Transition struct {
	Time time.Time `json:"time"`
	// Event is the Event name: watching, failing, recovered, update,
	// not-exported.
	Event       string          `json:"event"`
	From        Health          `json:"from,omitempty"`
	To          Health          `json:"to"`
	Status      cloudapi.Status `json:"status"`
	UserMessage string          `json:"user_message,omitempty"`
	Findings    []Finding       `json:"findings,omitempty"`
}

// DestinationState is what one destination has been told.
type DestinationState struct {
	Kind string `json:"kind"`
	// Notified is the verdict each cluster's last notification carried.
	Notified map[string]Notified `json:"notified"`
	// LastReport is the local date (2006-01-02) of the last daily report.
	LastReport string `json:"last_report,omitempty"`
}

// Notified is the verdict a destination was last told about a cluster.
type Notified struct {
	Health Health          `json:"health"`
	Status cloudapi.Status `json:"status,omitempty"`
	Checks []string        `json:"checks,omitempty"`
}

// Pending is a notification not yet delivered. Body is exactly what is
// sent, every time: its event id never changes.
type Pending struct {
	ID          string    `json:"id"`
	Destination string    `json:"destination"`
	Event       string    `json:"event"`
	ClusterID   string    `json:"cluster_id,omitempty"`
	ClusterName string    `json:"cluster_name,omitempty"`
	Created     time.Time `json:"created"`
	Attempts    int       `json:"attempts,omitempty"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Body        string    `json:"body"`
}

func newState() *State {
	return &State{Version: stateVersion, Clusters: map[string]*ClusterState{}, Destinations: map[string]*DestinationState{}, Outbox: []Pending{}}
}

// Store is where the state lives: a directory of its own under the state
// directory, beside the journals.
type Store struct {
	Dir string
}

// NewStore returns the store under a journal directory
// ($XDG_STATE_HOME/crdb-logexport): its monitor/ subdirectory.
func NewStore(journalDir string) Store {
	return Store{Dir: filepath.Join(journalDir, monitorSubdir)}
}

// Path is the state file.
func (s Store) Path() string { return filepath.Join(s.Dir, stateFileName) }

// Load reads the state; a store that was never written gives an empty
// state.
func (s Store) Load() (*State, error) {
	b, err := os.ReadFile(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return newState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the monitor's state: %w", err)
	}
	st := newState()
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("the monitor's state %s is damaged (%v); move it aside to start afresh (its history and undelivered notifications go with it)", s.Path(), err)
	}
	if st.Version > stateVersion {
		return nil, fmt.Errorf("the monitor's state %s was written by a newer crdb-logexport (layout %d); use that version", s.Path(), st.Version)
	}
	if st.Clusters == nil {
		st.Clusters = map[string]*ClusterState{}
	}
	if st.Destinations == nil {
		st.Destinations = map[string]*DestinationState{}
	}
	if st.Outbox == nil {
		st.Outbox = []Pending{}
	}
	return st, nil
}

// Save writes the state atomically and durably (steps.WriteFileAtomic):
// a kill or a crash at any moment leaves the old state or the new, never a
// torn file, and a save that returned survives a power cut.
func (s Store) Save(st *State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := steps.WriteFileAtomic(s.Path(), append(b, '\n'), ".state-*"); err != nil {
		return fmt.Errorf("writing the monitor's state: %w", err)
	}
	return nil
}

// History returns the transitions recorded for a cluster given by ID or
// name, and its name; ok is false when the monitor has recorded nothing
// for it.
func (st *State) History(ref string) (id, name string, history []Transition, ok bool) {
	if cs, found := st.Clusters[ref]; found {
		return ref, cs.Name, cs.History, true
	}
	for cid, cs := range st.Clusters {
		if cs.Name == ref {
			return cid, cs.Name, cs.History, true
		}
	}
	return "", "", nil, false
}
