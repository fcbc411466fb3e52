package steps

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
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
}

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

var safeID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// Path is the journal file of a cluster.
func (s JournalStore) Path(clusterID string) (string, error) {
	if !safeID.MatchString(clusterID) {
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
	var j Journal
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("journal %s is damaged (%v); move it aside to start over", path, err)
	}
	if j.ClusterID != clusterID {
		return nil, fmt.Errorf("journal %s belongs to cluster %s, not %s", path, j.ClusterID, clusterID)
	}
	if j.Settings == nil {
		j.Settings = map[string]string{}
	}
	if j.Steps == nil {
		j.Steps = map[string]StepRecord{}
	}
	if clusterName != "" {
		j.ClusterName = clusterName
	}
	j.path, j.now = path, now
	return &j, nil
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
	j.UpdatedAt = j.now().UTC()
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(j.path, append(b, '\n'), ".journal-*"); err != nil {
		return fmt.Errorf("writing journal: %w", err)
	}
	return nil
}

// MarkStep records a step's outcome and saves.
func (j *Journal) MarkStep(step, status, detail string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.Steps[step] = StepRecord{Status: status, Detail: detail, UpdatedAt: j.now().UTC()}
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
	j.Created = append(j.Created, Resource{Kind: kind, ID: id, Region: region, CreatedAt: j.now().UTC(), RunID: j.RunID})
	return j.saveLocked()
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
	j.Intended = append(j.Intended, Resource{Kind: kind, ID: id, Region: region, CreatedAt: j.now().UTC(), RunID: j.RunID})
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
	j.Created = append(j.Created, Resource{Kind: kind, ID: id, Region: region, CreatedAt: j.now().UTC(), RunID: j.RunID})
	return true, j.saveLocked()
}

// Finish drops the intent to create a resource that is now complete.
func (j *Journal) Finish(kind, id, region string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.intendsLocked(kind, id, region) {
		return nil
	}
	kept := j.Intended[:0]
	for _, r := range j.Intended {
		if !(r.Kind == kind && r.ID == id && r.Region == region) {
			kept = append(kept, r)
		}
	}
	j.Intended = kept
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

// UsedElsewhere maps role and policy ARNs recorded by other clusters'
// journals to those clusters' names: replacing such a role's trust or such
// a policy's document would break the other cluster's export.
func (s JournalStore) UsedElsewhere(clusterID string) (map[string]string, error) {
	used := map[string]string{}
	err := s.eachOther(clusterID, func(label string, j *Journal) { j.markUses(used, label) })
	return used, err
}

// markUses maps the role and policy ARNs the journal's configuration uses
// to label.
func (j *Journal) markUses(used map[string]string, label string) {
	for _, k := range []string{"role_arn", "policy_arn"} {
		if v := j.Settings[k]; v != "" {
			used[v] = label
		}
	}
}

// eachOther calls visit with the journal of every cluster but clusterID
// (archived journals and unreadable ones are skipped) and the name it
// names its cluster by.
func (s JournalStore) eachOther(clusterID string, visit func(label string, j *Journal)) error {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || id == clusterID || strings.Contains(id, ".") || !safeID.MatchString(id) {
			continue
		}
		j, err := s.Open(id, "")
		if err != nil {
			continue
		}
		visit(firstNonEmpty(j.ClusterName, j.ClusterID), j)
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
}
