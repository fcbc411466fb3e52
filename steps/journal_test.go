package steps

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func testStore(t *testing.T) JournalStore {
	t.Helper()
	clock := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	return JournalStore{Dir: filepath.Join(t.TempDir(), "state", "crdb-logexport"), Now: func() time.Time {
		clock = clock.Add(time.Second)
		return clock
	}}
}

func TestJournalRoundTripAndMode(t *testing.T) {
	s := testStore(t)
	j, err := s.Open("6f2e1c1a-0000-4000-8000-000000000001", "prod-aws")
	if err != nil {
		t.Fatal(err)
	}
	if j.Exists() {
		t.Fatal("fresh journal claims to exist")
	}
	j.Settings["log_group"] = "crdb-logs"
	if err := j.RecordCreated(KindRole, "arn:aws:iam::314159265358:role/R", ""); err != nil {
		t.Fatal(err)
	}
	if err := j.RecordCreated(KindLogGroup, "crdb-logs", "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	// recording the same resource twice keeps one entry
	if err := j.RecordCreated(KindRole, "arn:aws:iam::314159265358:role/R", ""); err != nil {
		t.Fatal(err)
	}
	if err := j.MarkStep("role", "done", "created"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("journal mode = %v, want 0600", fi.Mode().Perm())
	}
	if di, _ := os.Stat(filepath.Dir(j.Path())); di.Mode().Perm() != 0o700 {
		t.Fatalf("journal dir mode = %v, want 0700", di.Mode().Perm())
	}

	again, err := s.Open("6f2e1c1a-0000-4000-8000-000000000001", "")
	if err != nil {
		t.Fatal(err)
	}
	if again.RunID != j.RunID || again.ClusterName != "prod-aws" || again.Settings["log_group"] != "crdb-logs" {
		t.Fatalf("reloaded journal differs: %+v", again)
	}
	if len(again.Created) != 2 || !again.Owns(KindLogGroup, "crdb-logs", "eu-west-1") || again.Owns(KindLogGroup, "crdb-logs", "us-east-1") {
		t.Fatalf("created resources wrong: %+v", again.Created)
	}
	got := again.CreatedIn(j.RunID)
	if len(got) != 2 || got[0].Kind != KindLogGroup {
		t.Fatalf("CreatedIn should list newest first: %+v", got)
	}
	if err := again.Forget(KindRole, "arn:aws:iam::314159265358:role/R", ""); err != nil {
		t.Fatal(err)
	}
	third, _ := s.Open("6f2e1c1a-0000-4000-8000-000000000001", "")
	if len(third.Created) != 1 {
		t.Fatalf("Forget did not persist: %+v", third.Created)
	}
	// no temporary files left behind: the journal and the lock that
	// guards its saves
	entries, _ := os.ReadDir(filepath.Dir(j.Path()))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(entries) != 2 || !slices.Contains(names, filepath.Base(j.Path())+".lock") {
		t.Fatalf("journal directory has %v, want the journal and its lock", names)
	}
}

func TestJournalRejectsBadInput(t *testing.T) {
	s := testStore(t)
	if _, err := s.Open("../../etc/passwd", ""); err == nil {
		t.Fatal("path traversal accepted as a cluster id")
	}
	path, _ := s.Path("abc")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open("abc", ""); !errors.Is(err, ErrDamagedJournal) || !strings.Contains(err.Error(), path) {
		t.Fatalf("damaged journal: err = %v", err)
	}
}

func TestDefaultJournalStore(t *testing.T) {
	env := map[string]string{"XDG_STATE_HOME": "/x/state", "HOME": "/home/u"}
	s, err := DefaultJournalStore(func(k string) string { return env[k] })
	if err != nil || s.Dir != "/x/state/crdb-logexport" {
		t.Fatalf("XDG: %q %v", s.Dir, err)
	}
	delete(env, "XDG_STATE_HOME")
	s, _ = DefaultJournalStore(func(k string) string { return env[k] })
	if s.Dir != "/home/u/.local/state/crdb-logexport" {
		t.Fatalf("HOME fallback: %q", s.Dir)
	}
}

func TestJournalBeginRunOnlyAfterACompletedRun(t *testing.T) {
	s := testStore(t)
	j, _ := s.Open("c1", "prod-aws")
	first := j.RunID
	_ = j.RecordCreated(KindRole, "arn:aws:iam::314159265358:role/R", "")
	_ = j.MarkStep(StepRole, "done", "")
	j.beginRun()
	if j.RunID != first {
		t.Fatal("an unfinished run was replaced instead of resumed")
	}
	_ = j.MarkStep(StepEnable, "done", "ENABLED")
	j.beginRun()
	if j.RunID == first || len(j.Steps) != 0 {
		t.Fatalf("a completed run was not closed: run %s steps %v", j.RunID, j.Steps)
	}
	if len(j.CreatedIn(j.RunID)) != 0 || len(j.CreatedIn(first)) != 1 {
		t.Fatal("resources of the earlier run leaked into the new run")
	}
}

// Two processes with the same cluster's journal open each record what they
// did; neither save overwrites the other's records, and a record one of
// them removed stays removed.
func TestJournalSavesMergeWhatAnotherProcessRecorded(t *testing.T) {
	s := testStore(t)
	const id = "6f2e1c1a-0000-4000-8000-000000000002"
	a, err := s.Open(id, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Save(); err != nil {
		t.Fatal(err)
	}
	b, err := s.Open(id, "prod")
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.RecordCreated(KindRole, "arn:aws:iam::1:role/A", ""))
	must(b.RecordCreated(KindLogGroup, "crdb-prod", "us-east-1"))
	must(b.Intend(KindPolicy, "arn:aws:iam::1:policy/P", ""))
	must(a.SetSettings(map[string]string{"role_arn": "arn:aws:iam::1:role/A"}))
	must(b.SetSettings(map[string]string{"log_group": "crdb-prod"}))
	must(a.MarkStep(StepRole, "done", "role"))
	must(b.MarkStep(StepLogGroup, "done", "groups"))

	got, err := s.Open(id, "")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Owns(KindRole, "arn:aws:iam::1:role/A", "") || !got.Owns(KindLogGroup, "crdb-prod", "us-east-1") {
		t.Fatalf("a save lost the other's record: %+v", got.Created)
	}
	if !got.Intends(KindPolicy, "arn:aws:iam::1:policy/P", "") {
		t.Fatalf("a save lost the other's intent: %+v", got.Intended)
	}
	if got.Settings["role_arn"] == "" || got.Settings["log_group"] == "" {
		t.Fatalf("a save lost the other's settings: %v", got.Settings)
	}
	if got.Steps[StepRole].Status != "done" || got.Steps[StepLogGroup].Status != "done" {
		t.Fatalf("a save lost the other's steps: %v", got.Steps)
	}

	// a removes what b recorded; b's next save must not bring it back.
	must(a.Forget(KindLogGroup, "crdb-prod", "us-east-1"))
	must(a.Finish(KindPolicy, "arn:aws:iam::1:policy/P", ""))
	must(b.MarkStep(StepPolicy, "done", "policy"))
	got, _ = s.Open(id, "")
	if got.Owns(KindLogGroup, "crdb-prod", "us-east-1") {
		t.Fatalf("a forgotten record came back: %+v", got.Created)
	}
	if !got.Owns(KindRole, "arn:aws:iam::1:role/A", "") {
		t.Fatalf("a record was lost: %+v", got.Created)
	}
	if got.Intends(KindPolicy, "arn:aws:iam::1:policy/P", "") {
		t.Fatalf("a finished intent came back: %+v", got.Intended)
	}
}
