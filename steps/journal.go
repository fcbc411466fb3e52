package steps

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Resource kinds recorded in the journal.
const (
	KindLogGroup   = "log-group"
	KindRole       = "role"
	KindPolicy     = "policy"
	KindAttachment = "attachment"
)

// Resource is something a run of this tool created (or changed), so that a
// rollback or `disable --cleanup` can undo exactly that and nothing else.
type Resource struct {
	Kind string `json:"kind"`
	// ID is the ARN for roles and policies, the log group name for log
	// groups, and "roleName|policyARN" for attachments.
	ID        string    `json:"id"`
	Region    string    `json:"region,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	RunID     string    `json:"run_id"`
}

// StepRecord is the last known outcome of one step.
type StepRecord struct {
	Status    string    `json:"status"` // done, failed, skipped
	Detail    string    `json:"detail,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Journal is the on-disk record for one cluster. It never holds secrets:
// no API key, no AWS credentials. (The external ID is kept: it is not a
// secret, and a resumed run must send the same one.)
type Journal struct {
	Version     int                   `json:"version"`
	ClusterID   string                `json:"cluster_id"`
	ClusterName string                `json:"cluster_name,omitempty"`
	RunID       string                `json:"run_id"`
	StartedAt   time.Time             `json:"started_at"`
	UpdatedAt   time.Time             `json:"updated_at"`
	Settings    map[string]string     `json:"settings,omitempty"`
	Steps       map[string]StepRecord `json:"steps,omitempty"`
	Created     []Resource            `json:"created,omitempty"`
	// Intended lists resources a run set out to create and has not
	// finished: the intent is saved before the create call, so a run killed
	// after AWS made the resource but before it heard back leaves a trace,
	// and the next run, finding the resource, adopts it (Adopt) instead of
	// mistaking it for someone else's — and completes it.
	Intended []Resource `json:"intended,omitempty"`
	// RoleChangedAt is when the tool last created the role or changed its
	// trust: until IAM has propagated that, an assume-role failure may heal.
	RoleChangedAt time.Time `json:"role_changed_at,omitzero"`

	path string
	now  func() time.Time
	// mu serialises changes: setup creates log groups, the role and the
	// policy concurrently and records each as soon as it exists.
	mu sync.Mutex
	// What this process changed since it last saved, so that Save merges
	// it into the file as it is on disk instead of overwriting what another
	// process recorded meanwhile: settings set or deleted, steps marked (or
	// all reset by a new run), records and intents added or removed.
	dirtySettings map[string]bool
	dirtySteps    map[string]bool
	stepsReset    bool
	recorded      map[string]bool
	forgotten     map[string]bool
	intended      map[string]bool
	finished      map[string]bool
}

func resourceID(kind, id, region string) string { return kind + "|" + id + "|" + region }

// JournalStore locates journals: $XDG_STATE_HOME/crdb-logexport, falling
// back to ~/.local/state/crdb-logexport.
type JournalStore struct {
	Dir string
	Now func() time.Time
}

// DefaultJournalStore returns the store under the user's state directory.
func DefaultJournalStore(getenv func(string) string) (JournalStore, error) {
	base := getenv("XDG_STATE_HOME")
	if base == "" {
		home := getenv("HOME")
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return JournalStore{}, fmt.Errorf("cannot find a state directory: set XDG_STATE_HOME or HOME")
			}
			home = h
		}
		base = filepath.Join(home, ".local", "state")
	}
	return JournalStore{Dir: filepath.Join(base, "crdb-logexport"), Now: time.Now}, nil
}

// safeID: 1 to 128 of A-Z a-z 0-9 . _ -, so a cluster id can name a file.
// Written out: a {1,128} regexp compiled at init slowed every start.
func safeID(id string) bool {
	if len(id) < 1 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// Path is the journal file of a cluster.
func (s JournalStore) Path(clusterID string) (string, error) {
	if !safeID(clusterID) {
		return "", fmt.Errorf("cluster id %q cannot name a journal file", clusterID)
	}
	return filepath.Join(s.Dir, clusterID+".json"), nil
}

func (s JournalStore) clock() func() time.Time {
	if s.Now != nil {
		return s.Now
	}
	return time.Now
}

// Open loads the cluster's journal, or returns a fresh one (not yet written)
// when there is none.
func (s JournalStore) Open(clusterID, clusterName string) (*Journal, error) {
	path, err := s.Path(clusterID)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t := now().UTC()
		return &Journal{
			Version: 1, ClusterID: clusterID, ClusterName: clusterName,
			RunID: newRunID(t), StartedAt: t, UpdatedAt: t,
			Settings: map[string]string{}, Steps: map[string]StepRecord{},
			path: path, now: now,
		}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading journal %s: %w", path, err)
	}
	j, err := decodeJournal(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s (%v)", ErrDamagedJournal, path, err)
	}
	if j.ClusterID != clusterID {
		return nil, fmt.Errorf("journal %s belongs to cluster %s, not %s", path, j.ClusterID, clusterID)
	}
	if clusterName != "" {
		j.ClusterName = clusterName
	}
	j.path, j.now = path, now
	return j, nil
}

// decodeJournal parses a journal file.
func decodeJournal(b []byte) (*Journal, error) {
	var j Journal
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, err
	}
	if j.Settings == nil {
		j.Settings = map[string]string{}
	}
	if j.Steps == nil {
		j.Steps = map[string]StepRecord{}
	}
	return &j, nil
}

// ErrDamagedJournal marks a journal file that cannot be read as one.
var ErrDamagedJournal = errors.New("the journal is damaged")

// openJournal opens the cluster's journal for a run that changes things.
// A damaged journal does not stop it: the file is moved aside (kept, for
// whoever wants to look) and a new one started, and Env.Warn says so.
// Nothing is lost that matters: what the tool made carries its tags.
func (e *Env) openJournal(clusterID, clusterName string) (*Journal, error) {
	j, err := e.Journals.Open(clusterID, clusterName)
	if !errors.Is(err, ErrDamagedJournal) {
		return j, err
	}
	path, _ := e.Journals.Path(clusterID)
	aside := strings.TrimSuffix(path, ".json") + ".damaged-" + e.Journals.clock()().UTC().Format("20060102T150405Z") + ".json"
	if rerr := os.Rename(path, aside); rerr != nil {
		return nil, fmt.Errorf("%w; moving it aside failed: %v", err, rerr)
	}
	e.warn(fmt.Sprintf("%v; it was moved to %s and a new journal started (what this tool created is found by its tags)", err, aside))
	return e.Journals.Open(clusterID, clusterName)
}

func newRunID(t time.Time) string { return t.Format("20060102T150405.000Z") }

// Exists reports whether the journal has been written before.
func (j *Journal) Exists() bool {
	_, err := os.Stat(j.path)
	return err == nil
}

// Path is where the journal lives.
func (j *Journal) Path() string { return j.path }

// Save writes the journal atomically (temporary file, fsync, rename) with
// mode 0600, so a kill at any moment leaves either the old or the new
// version, never a torn file.
func (j *Journal) Save() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.saveLocked()
}

func (j *Journal) saveLocked() error {
	if err := os.MkdirAll(filepath.Dir(j.path), 0o700); err != nil {
		return fmt.Errorf("creating journal directory: %w", err)
	}
	unlockFile, err := lockFile(j.path + ".lock")
	if err != nil {
		return fmt.Errorf("writing journal: %w", err)
	}
	defer unlockFile()
	if err := j.mergeDiskLocked(); err != nil {
		return err
	}
	j.UpdatedAt = j.now().UTC()
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(j.path, append(b, '\n'), ".journal-*"); err != nil {
		return fmt.Errorf("writing journal: %w", err)
	}
	// Everything this process changed is on disk now: later saves take
	// the file as the truth for it, so what another process removes
	// afterwards stays removed.
	j.dirtySettings, j.dirtySteps, j.stepsReset = nil, nil, false
	j.recorded, j.forgotten, j.intended, j.finished = nil, nil, nil, nil
	return nil
}

// mergeDiskLocked folds what another process recorded since this one read
// or last saved the journal into this one: the file is the truth, plus
// what this process changed since (records and intents added or removed,
// settings and steps set). A file that cannot be read or parsed is left to
// be replaced; one of another cluster is an error.
func (j *Journal) mergeDiskLocked() error {
	b, err := os.ReadFile(j.path)
	if err != nil {
		return nil
	}
	var disk Journal
	if json.Unmarshal(b, &disk) != nil {
		return nil
	}
	if disk.ClusterID != j.ClusterID {
		return fmt.Errorf("journal %s belongs to cluster %s, not %s", j.path, disk.ClusterID, j.ClusterID)
	}
	j.Created = mergeResources(disk.Created, j.Created, j.recorded, j.forgotten)
	j.Intended = mergeResources(disk.Intended, j.Intended, j.intended, j.finished)
	settings := disk.Settings
	if settings == nil {
		settings = map[string]string{}
	}
	for k := range j.dirtySettings {
		if v, ok := j.Settings[k]; ok {
			settings[k] = v
		} else {
			delete(settings, k)
		}
	}
	j.Settings = settings
	if !j.stepsReset && disk.RunID == j.RunID {
		steps := disk.Steps
		if steps == nil {
			steps = map[string]StepRecord{}
		}
		for k := range j.dirtySteps {
			steps[k] = j.Steps[k]
		}
		j.Steps = steps
	}
	if disk.RoleChangedAt.After(j.RoleChangedAt) {
		j.RoleChangedAt = disk.RoleChangedAt
	}
	if j.ClusterName == "" {
		j.ClusterName = disk.ClusterName
	}
	return nil
}

// mergeResources is the file's list, less what this process removed since
// its last save, plus what it added since (from mine).
func mergeResources(disk, mine []Resource, added, removed map[string]bool) []Resource {
	have := map[string]bool{}
	var out []Resource
	for _, r := range disk {
		k := resourceID(r.Kind, r.ID, r.Region)
		if removed[k] || have[k] {
			continue
		}
		have[k] = true
		out = append(out, r)
	}
	for _, r := range mine {
		k := resourceID(r.Kind, r.ID, r.Region)
		if !added[k] || removed[k] || have[k] {
			continue
		}
		have[k] = true
		out = append(out, r)
	}
	return out
}

// SetSetting records one setting of the configuration in force ("" deletes
// it) and saves.
func (j *Journal) SetSettings(kv map[string]string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.Settings == nil {
		j.Settings = map[string]string{}
	}
	if j.dirtySettings == nil {
		j.dirtySettings = map[string]bool{}
	}
	for k, v := range kv {
		j.dirtySettings[k] = true
		if v == "" {
			delete(j.Settings, k)
			continue
		}
		j.Settings[k] = v
	}
	return j.saveLocked()
}

// Setting reads one setting.
func (j *Journal) Setting(k string) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.Settings[k]
}

// MarkStep records a step's outcome and saves.
func (j *Journal) MarkStep(step, status, detail string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.Steps[step] = StepRecord{Status: status, Detail: detail, UpdatedAt: j.now().UTC()}
	if j.dirtySteps == nil {
		j.dirtySteps = map[string]bool{}
	}
	j.dirtySteps[step] = true
	return j.saveLocked()
}

// RecordCreated notes a resource this run created and saves at once, before
// anything else happens, so a kill right after creation cannot lose it.
func (j *Journal) RecordCreated(kind, id, region string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.ownsLocked(kind, id, region) {
		return nil
	}
	j.recordLocked(kind, id, region)
	return j.saveLocked()
}

// noteAdded marks a record or intent as added since the last save (and no
// longer removed).
func (j *Journal) noteAdded(added *map[string]bool, removed map[string]bool, kind, id, region string) {
	k := resourceID(kind, id, region)
	delete(removed, k)
	if *added == nil {
		*added = map[string]bool{}
	}
	(*added)[k] = true
}

// noteRemoved marks a record or intent as removed since the last save.
func (j *Journal) noteRemoved(removed *map[string]bool, added map[string]bool, kind, id, region string) {
	k := resourceID(kind, id, region)
	delete(added, k)
	if *removed == nil {
		*removed = map[string]bool{}
	}
	(*removed)[k] = true
}

// Intend saves, before a create call, the resource the call will make. The
// intent stays until Finish: a run killed between the call taking effect
// and RecordCreated, or stopped before the resource was complete (a log
// group without its retention), leaves it behind for the next run.
func (j *Journal) Intend(kind, id, region string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.intendsLocked(kind, id, region) {
		return nil
	}
	j.noteAdded(&j.intended, j.finished, kind, id, region)
	j.Intended = append(j.Intended, Resource{Kind: kind, ID: id, Region: region, CreatedAt: j.now().UTC(), RunID: j.RunID})
	return j.saveLocked()
}

// IntendAll saves, in one write, the intents of everything a run is about
// to create (see Intend).
func (j *Journal) IntendAll(rs []Resource) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	added := false
	for _, r := range rs {
		if j.intendsLocked(r.Kind, r.ID, r.Region) {
			continue
		}
		j.noteAdded(&j.intended, j.finished, r.Kind, r.ID, r.Region)
		j.Intended = append(j.Intended, Resource{Kind: r.Kind, ID: r.ID, Region: r.Region, CreatedAt: j.now().UTC(), RunID: j.RunID})
		added = true
	}
	if !added {
		return nil
	}
	return j.saveLocked()
}

// Complete records, in one write, that the run created a resource and
// finished it (its intent closes); roleChanged also notes that IAM may
// still be propagating it (NoteRoleChanged).
func (j *Journal) Complete(kind, id, region string, roleChanged bool) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.ownsLocked(kind, id, region) {
		j.recordLocked(kind, id, region)
	}
	j.finishLocked(kind, id, region)
	if roleChanged {
		j.RoleChangedAt = j.now().UTC()
	}
	return j.saveLocked()
}

// Intends reports whether a run set out to create the resource and did not
// finish it.
func (j *Journal) Intends(kind, id, region string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.intendsLocked(kind, id, region)
}

// Adopt records as created a resource that exists and that an interrupted
// run set out to create, and reports whether it was such a resource.
// Callers check, where AWS keeps tags, that it carries the tool's
// managed-by tag.
func (j *Journal) Adopt(kind, id, region string) (bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.intendsLocked(kind, id, region) {
		return false, nil
	}
	if j.ownsLocked(kind, id, region) {
		return true, nil
	}
	j.recordLocked(kind, id, region)
	return true, j.saveLocked()
}

// recordLocked adds a record of a resource this run made.
func (j *Journal) recordLocked(kind, id, region string) {
	j.noteAdded(&j.recorded, j.forgotten, kind, id, region)
	j.Created = append(j.Created, Resource{Kind: kind, ID: id, Region: region, CreatedAt: j.now().UTC(), RunID: j.RunID})
}

// finishLocked drops the intent to make a resource, if there is one.
func (j *Journal) finishLocked(kind, id, region string) bool {
	if !j.intendsLocked(kind, id, region) {
		return false
	}
	kept := j.Intended[:0]
	for _, r := range j.Intended {
		if !(r.Kind == kind && r.ID == id && r.Region == region) {
			kept = append(kept, r)
		}
	}
	j.Intended = kept
	j.noteRemoved(&j.finished, j.intended, kind, id, region)
	return true
}

// Finish drops the intent to create a resource that is now complete.
func (j *Journal) Finish(kind, id, region string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.finishLocked(kind, id, region) {
		return nil
	}
	return j.saveLocked()
}

func (j *Journal) intendsLocked(kind, id, region string) bool {
	for _, r := range j.Intended {
		if r.Kind == kind && r.ID == id && r.Region == region {
			return true
		}
	}
	return false
}

// Owns reports whether the tool created the resource (in any run).
func (j *Journal) Owns(kind, id, region string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.ownsLocked(kind, id, region)
}

func (j *Journal) ownsLocked(kind, id, region string) bool {
	for _, r := range j.Created {
		if r.Kind == kind && r.ID == id && r.Region == region {
			return true
		}
	}
	return false
}

// CreatedIn lists the resources created by one run (all runs when runID is
// ""), newest first: the order to undo them in.
func (j *Journal) CreatedIn(runID string) []Resource {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Resource
	for _, r := range j.Created {
		if runID == "" || r.RunID == runID {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].CreatedAt.After(out[b].CreatedAt) })
	return out
}

// Forget drops a resource after it was removed, and saves.
func (j *Journal) Forget(kind, id, region string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	kept := j.Created[:0]
	for _, r := range j.Created {
		if !(r.Kind == kind && r.ID == id && r.Region == region) {
			kept = append(kept, r)
		}
	}
	j.Created = kept
	j.noteRemoved(&j.forgotten, j.recorded, kind, id, region)
	return j.saveLocked()
}

// NoteRoleChanged records that the tool just created the role or changed its
// trust: IAM may take a while to let the cluster assume it.
func (j *Journal) NoteRoleChanged() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.RoleChangedAt = j.now().UTC()
	return j.saveLocked()
}

// Archive moves a cluster's journal aside (kept, renamed with a timestamp)
// so the next run starts afresh. It deletes nothing.
func (s JournalStore) Archive(clusterID string) error {
	path, err := s.Path(clusterID)
	if err != nil {
		return err
	}
	aside := strings.TrimSuffix(path, ".json") + "." + s.clock()().UTC().Format("20060102T150405Z") + ".json"
	if err := os.Rename(path, aside); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("moving the old journal aside: %w", err)
	}
	return nil
}

// beginRun starts a new run when the previous one finished (step 10 done),
// so "roll back what this run created" never reaches resources of an
// earlier, completed setup. An unfinished run is resumed as it is.
func (j *Journal) beginRun() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.Steps[StepEnable].Status != "done" {
		return
	}
	j.RunID = newRunID(j.now().UTC())
	j.StartedAt = j.now().UTC()
	j.Steps = map[string]StepRecord{}
	j.stepsReset = true
}
