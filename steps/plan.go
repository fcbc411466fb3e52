package steps

import (
	"fmt"
	"io"
	"strings"
)

// Action says what applying a step will do.
type Action string

// The actions a plan shows for each step.
const (
	Create     Action = "create"
	ExistsOK   Action = "exists-ok"
	WillChange Action = "exists-will-change"
	Conflict   Action = "conflict"
	Info       Action = "info"
)

// Step identifiers, in the order of the documented procedure (PRODUCT.md §2).
const (
	StepLogGroup       = "log-group"
	StepOrganization   = "organization"
	StepCluster        = "cluster"
	StepClusterAccount = "cluster-account"
	StepRole           = "role"
	StepPolicy         = "policy"
	StepPermissions    = "permissions"
	StepTrust          = "trust"
	StepRoleARN        = "role-arn"
	StepEnable         = "enable"
)

// StepTitles are the ten documented steps, as a user who read the docs
// knows them.
var StepTitles = []struct{ ID, Title string }{
	{StepLogGroup, "Create the CloudWatch log group"},
	{StepOrganization, "Identify the organization"},
	{StepCluster, "Identify the cluster"},
	{StepClusterAccount, "Read the cluster's AWS account ID"},
	{StepRole, "Create the cross-account IAM role"},
	{StepPolicy, "Create and attach the permission policy"},
	{StepPermissions, "Grant the CloudWatch Logs actions"},
	{StepTrust, "Trust the cluster's account"},
	{StepRoleARN, "Use the role ARN"},
	{StepEnable, "Enable log export and wait"},
}

// StepNumber is the 1-based position of a step in the documented procedure.
func StepNumber(id string) int {
	for i, s := range StepTitles {
		if s.ID == id {
			return i + 1
		}
	}
	return 0
}

// StepTitle is the documented name of a step.
func StepTitle(id string) string {
	if n := StepNumber(id); n > 0 {
		return StepTitles[n-1].Title
	}
	return id
}

// PlannedStep is what applying one step will do, decided from read-only calls.
type PlannedStep struct {
	ID     string `json:"id"`
	Number int    `json:"number"`
	Title  string `json:"title"`
	Action Action `json:"action"`
	// Summary is one line; Details add what a reviewer needs (the region
	// list, the difference, the reason for a conflict).
	Summary string   `json:"summary"`
	Details []string `json:"details,omitempty"`
	// Items break a step down where it acts per region.
	Items []PlanItem `json:"items,omitempty"`
}

// PlanItem is one part of a step, such as the log group in one region.
type PlanItem struct {
	Name   string `json:"name"`
	Action Action `json:"action"`
	Note   string `json:"note,omitempty"`
}

// Changes reports whether any step will create or change something.
func (p *SetupPlan) Changes() bool {
	for _, s := range p.Steps {
		if s.Action == Create || s.Action == WillChange {
			return true
		}
	}
	return false
}

// Conflicts lists the steps that cannot proceed.
func (p *SetupPlan) Conflicts() []PlannedStep { return conflicts(p.Steps) }

// Step returns the planned step with the given id, or nil.
func (p *SetupPlan) Step(id string) *PlannedStep { return stepByID(p.Steps, id) }

// conflicts lists the steps of a plan (setup's or update's) that cannot
// proceed.
func conflicts(steps []PlannedStep) []PlannedStep {
	var out []PlannedStep
	for _, s := range steps {
		if s.Action == Conflict {
			out = append(out, s)
		}
	}
	return out
}

// conflictError is how applying a plan with a conflict stops: the step, the
// conflict, and its fix — the step's "Fix:" line when it has one, with the
// other details (the evidence) before it.
func conflictError(s PlannedStep) error {
	var fix, rest []string
	for _, d := range s.Details {
		if f, ok := strings.CutPrefix(d, "Fix: "); ok {
			fix = append(fix, f)
		} else {
			rest = append(rest, d)
		}
	}
	text := strings.Join(s.Details, "\n")
	if len(fix) > 0 {
		text = strings.Join(fix, "\n")
		if len(rest) > 0 {
			text += "\n" + strings.Join(rest, "\n")
		}
	}
	return &StepError{Step: s.ID, Cause: fmt.Errorf("%w: %s", ErrConflict, s.Summary), Fix: text, Permanent: true}
}

// stepByID returns the planned step with the given id, or nil.
func stepByID(steps []PlannedStep, id string) *PlannedStep {
	for i := range steps {
		if steps[i].ID == id {
			return &steps[i]
		}
	}
	return nil
}

var actionMark = map[Action]string{
	Create:     "+ create",
	ExistsOK:   "= ok",
	WillChange: "~ change",
	Conflict:   "! conflict",
	Info:       "  info",
}

// WriteText renders the plan for people (dry runs, the non-interactive
// path); it fits 80 columns except for long values, which are never cut.
func (p *SetupPlan) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Plan for cluster %s (%s, %s %s) — acting in AWS account %s as %s\n\n",
		p.ClusterName, p.ClusterID, p.PlanType, p.Cloud, p.YourAccount, p.CallerARN)
	writeSteps(w, p.Steps)
}
