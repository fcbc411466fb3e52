package steps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// Saved plans, as `terraform plan -out` keeps them: `--dry-run --plan-file
// PATH` writes what a setup, update or disable would do — the input it was
// planned from, the live state it read (its prior state) and the changes —
// and `apply PATH` applies exactly that plan: it plans again from the same
// input and refuses, naming each difference, when the live state or the
// changes are no longer what the file says. The file holds no secret: no
// key, no credential (the external ID is not one, and the journal keeps it
// too).

// PlanFormat and PlanVersion identify a saved plan.
const (
	PlanFormat  = "crdb-logexport-plan"
	PlanVersion = 1
)

// Procedures a saved plan may hold.
const (
	ProcedureSetup   = "setup"
	ProcedureUpdate  = "update"
	ProcedureDisable = "disable"
)

// SavedPlan is the file.
type SavedPlan struct {
	Format      string    `json:"format"`
	Version     int       `json:"version"`
	Procedure   string    `json:"procedure"`
	CreatedAt   time.Time `json:"created_at"`
	ClusterID   string    `json:"cluster_id"`
	ClusterName string    `json:"cluster_name"`
	// Command is the command line that made the plan, without its
	// --dry-run and --plan-file: what plans again, or resumes an apply
	// that failed part way. No flag carries a secret.
	Command string `json:"command,omitempty"`
	// One of these is the input the plan was made from.
	Setup   *SetupInput   `json:"setup,omitempty"`
	Update  *UpdateInput  `json:"update,omitempty"`
	Disable *DisableInput `json:"disable,omitempty"`
	// Prior is the live state the plan was computed from, one entry per
	// thing read; Changes what applying it does.
	Prior   []PriorState `json:"prior"`
	Changes []Change     `json:"changes"`
	// Steps are the plan as people read it.
	Steps []PlannedStep `json:"steps"`
}

// PriorState is one thing the plan read, as it was: "absent", or its
// relevant fields in a canonical text, so that two reads of the same state
// compare equal.
type PriorState struct {
	Resource string `json:"resource"`
	State    string `json:"state"`
}

// Change is one thing applying the plan does.
type Change struct {
	Step     string `json:"step"`
	Resource string `json:"resource"`
	Action   Action `json:"action"`
	Before   string `json:"before,omitempty"`
	After    string `json:"after,omitempty"`
}

// ErrPlanDrift means the live state is no longer the one a saved plan was
// computed from.
var ErrPlanDrift = errors.New("the live state no longer matches the saved plan")

// DriftError names what differs between a saved plan and a fresh one.
type DriftError struct {
	Differences []string
}

func (e *DriftError) Error() string {
	return fmt.Sprintf("%v:\n  %s", ErrPlanDrift, strings.Join(e.Differences, "\n  "))
}

func (e *DriftError) Unwrap() error { return ErrPlanDrift }

// Saved describes a setup plan for a file. The external ID "auto" chose
// is written into the input, so the plan applied on another machine (with
// another journal) sends the same one.
func (p *SetupPlan) Saved(in SetupInput, now time.Time) *SavedPlan {
	in.FromScratch = false
	if p.PlanType != cloudapi.PlanStandard && (in.ExternalID == "" || in.ExternalID == ExternalIDAuto) {
		in.ExternalID = p.ExternalID
		if in.ExternalID == "" {
			in.ExternalID = ExternalIDNone
		}
	}
	sp := newSaved(ProcedureSetup, p.ClusterID, p.ClusterName, p.Steps, now)
	sp.Setup = &in
	sp.Prior = p.prior()
	// What the steps' summaries leave out is written whole: the documents
	// and the configuration to be sent, so that an input that would send
	// anything else is not the reviewed plan.
	sp.detail(StepTrust, p.Trust)
	sp.detail(StepPermissions, p.Permission)
	var before any
	if p.Current != nil {
		before = p.Current.Spec
	}
	sp.detailChange(StepEnable, before, p.Request)
	return sp
}

// detail writes doc as the After of step's change, when it has one.
func (sp *SavedPlan) detail(step string, doc *awsiam.PolicyDocument) {
	if doc != nil {
		sp.detailChange(step, nil, doc)
	}
}

// detailChange writes before and after, as canonical JSON, into step's
// change, when the plan has one (a step that is already as it should be
// sends nothing).
func (sp *SavedPlan) detailChange(step string, before, after any) {
	for i := range sp.Changes {
		c := &sp.Changes[i]
		if c.Step != step || c.Action == Conflict {
			continue
		}
		if before != nil {
			c.Before = canonicalJSON(before)
		}
		if after != nil {
			c.After = canonicalJSON(after)
		}
	}
}

func canonicalJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

// Saved describes an update plan for a file.
func (p *UpdatePlan) Saved(in UpdateInput, now time.Time) *SavedPlan {
	sp := newSaved(ProcedureUpdate, p.ClusterID, p.ClusterName, p.Steps, now)
	sp.Update = &in
	sp.Prior = p.priorState
	sp.detail(StepPermissions, p.Permission)
	sp.detailChange(StepEnable, p.Current.Spec, p.Desired)
	return sp
}

// Saved describes a disable plan for a file.
func (p *DisablePlan) Saved(in DisableInput, now time.Time) *SavedPlan {
	steps := []PlannedStep{{ID: StepDisable, Title: namedTitles[StepDisable], Action: WillChange, Summary: strings.Join(p.Stops, "; ")}}
	if p.AlreadyDisabled {
		steps[0].Action, steps[0].Summary = ExistsOK, "already disabled"
	}
	if p.Cleanup {
		s := PlannedStep{ID: StepCleanup, Title: namedTitles[StepCleanup], Action: ExistsOK, Summary: "nothing to remove"}
		for _, it := range p.Items {
			a := ExistsOK
			if it.Remove {
				a, s.Action, s.Summary = WillChange, WillChange, "remove what this tool made for the cluster"
			}
			s.Items = append(s.Items, PlanItem{Name: it.Label(), Action: a, Note: it.Reason})
		}
		steps = append(steps, s)
	}
	sp := newSaved(ProcedureDisable, p.ClusterID, p.ClusterName, steps, now)
	sp.Disable = &in
	sp.Prior = p.priorState
	return sp
}

func newSaved(proc, clusterID, clusterName string, steps []PlannedStep, now time.Time) *SavedPlan {
	return &SavedPlan{
		Format: PlanFormat, Version: PlanVersion, Procedure: proc, CreatedAt: now.UTC(),
		ClusterID: clusterID, ClusterName: clusterName,
		Changes: changesOf(steps), Steps: steps,
	}
}

// changesOf lists what the steps create or change, item by item where a
// step acts per item; a conflict is listed too (it stops the apply).
func changesOf(steps []PlannedStep) []Change {
	out := []Change{}
	for _, s := range steps {
		if len(s.Items) > 0 {
			for _, it := range s.Items {
				if it.Action == Create || it.Action == WillChange || it.Action == Conflict {
					out = append(out, Change{Step: s.ID, Resource: it.Name, Action: it.Action, After: it.Note})
				}
			}
			continue
		}
		if s.Action != Create && s.Action != WillChange && s.Action != Conflict {
			continue
		}
		c := Change{Step: s.ID, Resource: s.Summary, Action: s.Action}
		for _, d := range s.Details {
			if v, ok := strings.CutPrefix(d, "current:\n"); ok {
				c.Before = v
			}
			if v, ok := strings.CutPrefix(d, "new:\n"); ok {
				c.After = v
			}
		}
		out = append(out, c)
	}
	return out
}

// plainCommand reports whether command is what a dry run writes: the
// procedure's command line, with flags and values that are plain words or
// single-quoted — nothing a shell would run besides crdb-logexport, since
// it is printed for people to run.
func plainCommand(command, procedure string) bool {
	if command == "" {
		return true
	}
	rest, ok := strings.CutPrefix(command, "crdb-logexport "+procedure)
	if !ok || rest != "" && rest[0] != ' ' {
		return false
	}
	quoted := false
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '\\' && i+1 < len(rest) && rest[i+1] == '\'':
			i++ // the '\'' of ShellQuote
		case c == ' ', shellSafe(rune(c)):
		default:
			return false
		}
	}
	return !quoted
}

// CheckPlanPath judges where a plan is to be written, before anything is
// read: a path in a directory that exists, not a directory itself.
func CheckPlanPath(path string) error {
	if path == "-" {
		return errors.New("a saved plan is written to a file, not to standard output (--output json prints the plan)")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory: name a file in it", path)
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("the directory %s does not exist: create it first", dir)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// WritePlanFile writes a saved plan, mode 0600, atomically.
func WritePlanFile(path string, sp *SavedPlan) error {
	b, err := json.MarshalIndent(sp, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(path, append(b, '\n'), ".plan-*"); err != nil {
		return fmt.Errorf("writing the plan to %s: %w", path, err)
	}
	return nil
}

// MaxPlanFileSize bounds what ReadPlanFile reads: a plan is a few
// kilobytes; anything near this is not one.
const MaxPlanFileSize = 1 << 20

// decodeStrict decodes JSON this tool wrote and may find edited: a field
// it does not know, or anything after the document, is refused.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more follows the JSON document")
	}
	return nil
}

// ReadPlanFile reads and checks a saved plan: a regular file (a FIFO or a
// device would block or never end), at most MaxPlanFileSize, with no field
// this version does not know (the file is the whole input: a misspelt
// field must not be dropped silently).
func ReadPlanFile(path string) (*SavedPlan, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading the plan: %w", err)
	}
	switch {
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file: a saved plan is one", path)
	case fi.Size() > MaxPlanFileSize:
		return nil, fmt.Errorf("%s is %d bytes: a saved plan is a few kilobytes, at most %d", path, fi.Size(), MaxPlanFileSize)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the plan: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxPlanFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the plan: %w", err)
	}
	if len(b) > MaxPlanFileSize {
		return nil, fmt.Errorf("%s is over %d bytes: a saved plan is a few kilobytes", path, MaxPlanFileSize)
	}
	var sp SavedPlan
	if err := decodeStrict(b, &sp); err != nil {
		return nil, fmt.Errorf("%s is not a saved plan: %v", path, err)
	}
	if !plainCommand(sp.Command, sp.Procedure) {
		return nil, fmt.Errorf("%s is not a saved plan: its command is not a crdb-logexport %s command line", path, sp.Procedure)
	}
	switch {
	case sp.Format != PlanFormat:
		return nil, fmt.Errorf("%s is not a saved plan of crdb-logexport (format %q)", path, sp.Format)
	case sp.Version != PlanVersion:
		return nil, fmt.Errorf("%s is a plan of format version %d; this crdb-logexport reads version %d: make the plan again", path, sp.Version, PlanVersion)
	}
	switch {
	case sp.Procedure == ProcedureSetup && sp.Setup != nil,
		sp.Procedure == ProcedureUpdate && sp.Update != nil,
		sp.Procedure == ProcedureDisable && sp.Disable != nil:
	default:
		return nil, fmt.Errorf("%s holds no %q input: make the plan again", path, sp.Procedure)
	}
	return &sp, nil
}

// checkSaved compares a fresh plan with the saved one the task applies
// (*saved, not nil); a drift ends the task as failed, with nothing changed.
func checkSaved(saved **SavedPlan, fresh *SavedPlan, stage Stage, l Listener, end *End) bool {
	sp := *saved
	// Only the first plan is the file's: a retry resumes from the journal,
	// and what this apply made is no longer the state the file was
	// planned against.
	*saved = nil
	if err := sp.Compare(fresh); err != nil {
		l.emit(Failure{Stage: stage, Err: err})
		end.Ending, end.Err = Failed, err
		return false
	}
	return true
}

// exportGone is the drift of a saved update whose export is now gone.
func (sp *SavedPlan) exportGone(now string) *DriftError {
	was := "configured"
	for _, p := range sp.Prior {
		if p.Resource == "export of "+sp.ClusterName {
			was = strings.Join(strings.Fields(p.State), " ")
		}
	}
	return &DriftError{Differences: []string{fmt.Sprintf("export of %s: was %s; now %s", sp.ClusterName, was, now)}}
}

// Compare names every difference between a saved plan and the one made
// again from its input: its prior state and its changes must be the same
// for the saved plan to be applied. It returns nil when they are.
func (sp *SavedPlan) Compare(fresh *SavedPlan) error {
	var diffs []string
	if sp.Procedure != fresh.Procedure || sp.ClusterID != fresh.ClusterID {
		diffs = append(diffs, fmt.Sprintf("the plan is a %s of cluster %s, not a %s of %s", sp.Procedure, sp.ClusterID, fresh.Procedure, fresh.ClusterID))
	}
	was := map[string]string{}
	for _, p := range sp.Prior {
		was[p.Resource] = p.State
	}
	now := map[string]string{}
	for _, p := range fresh.Prior {
		now[p.Resource] = p.State
	}
	keys := map[string]bool{}
	for k := range was {
		keys[k] = true
	}
	for k := range now {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		a, inWas := was[k]
		b, inNow := now[k]
		// Documents in a state are indented JSON: one line each here.
		a, b = strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " ")
		switch {
		case !inWas:
			diffs = append(diffs, k+": not read when the plan was made; now "+b)
		case !inNow:
			diffs = append(diffs, k+": read when the plan was made ("+a+"), not needed now")
		case a != b:
			diffs = append(diffs, k+": was "+a+"; now "+b)
		}
	}
	switch {
	case slices.Equal(sp.Changes, fresh.Changes):
	case len(sp.Changes) == len(fresh.Changes) && sameChangeHeads(sp.Changes, fresh.Changes):
		// The same steps would act on the same resources, but write or
		// send something else: the input no longer gives the reviewed
		// change.
		for i, c := range sp.Changes {
			f := fresh.Changes[i]
			if c.Before != f.Before {
				diffs = append(diffs, fmt.Sprintf("step %s (%s) was planned from %s; it is now %s", c.Step, c.Resource, c.Before, f.Before))
			}
			if c.After != f.After {
				diffs = append(diffs, fmt.Sprintf("step %s (%s) was planned to write %s; its input now gives %s", c.Step, c.Resource, c.After, f.After))
			}
		}
	default:
		diffs = append(diffs, "the changes differ: "+describeChanges(sp.Changes)+" planned; now "+describeChanges(fresh.Changes))
	}
	if len(diffs) == 0 {
		return nil
	}
	return &DriftError{Differences: diffs}
}

// sameChangeHeads reports whether two change lists act with the same
// actions on the same resources, whatever they write.
func sameChangeHeads(a, b []Change) bool {
	for i := range a {
		if a[i].Step != b[i].Step || a[i].Resource != b[i].Resource || a[i].Action != b[i].Action {
			return false
		}
	}
	return true
}

func describeChanges(cs []Change) string {
	if len(cs) == 0 {
		return "none"
	}
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", c.Action, c.Resource, c.Step))
	}
	return strings.Join(parts, ", ")
}

// prior is what a setup plan read.
func (p *SetupPlan) prior() []PriorState {
	var out []PriorState
	out = append(out, PriorState{Resource: "export of " + p.ClusterName, State: exportState(p.Current)})
	for _, region := range p.Regions {
		out = append(out, PriorState{Resource: "log group " + p.LogGroup + " in " + region, State: logGroupState(p.logGroups[region])})
	}
	if p.roleInOwnAccount {
		out = append(out, PriorState{Resource: "role " + p.RoleName, State: roleState(p.role)})
		pol := policyState(p.policy)
		if p.policy.Exists {
			pol += fmt.Sprintf("; attached to %s: %t", p.RoleName, p.attached)
		}
		out = append(out, PriorState{Resource: "policy " + p.PolicyARN, State: pol})
	}
	return out
}

func exportState(info *cloudapi.LogExportInfo) string {
	if info == nil || !info.Configured {
		return "not configured"
	}
	spec, _ := json.Marshal(info.Spec)
	return fmt.Sprintf("%s; %s", info.Status, spec)
}

func logGroupState(st awsiam.LogGroupState) string {
	if !st.Exists {
		return "absent"
	}
	s := "retention " + retentionText(st.RetentionDays)
	if st.KMSKeyID != "" {
		s += "; KMS key " + st.KMSKeyID
	}
	return s
}

func roleState(st awsiam.RoleState) string {
	if !st.Exists {
		return "absent"
	}
	trust := st.TrustRaw
	if st.Trust != nil {
		trust = st.Trust.JSON()
	}
	s := "trust " + trust + "; tags " + tagText(st.Tags)
	if st.BoundaryARN != "" {
		s += "; boundary " + st.BoundaryARN
	}
	return s
}

func policyState(st awsiam.PolicyState) string {
	if !st.Exists {
		return "absent"
	}
	doc := "(unreadable)"
	if st.Document != nil {
		doc = st.Document.JSON()
	}
	return fmt.Sprintf("default %s %s; tags %s", st.DefaultVersion, doc, tagText(st.Tags))
}

func tagText(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+tags[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
