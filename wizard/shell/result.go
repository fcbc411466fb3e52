package shell

import "github.com/crdb-logexport/crdb-logexport/steps"

// Outcome is how a run of the interface ended.
type Outcome int

// Outcomes.
const (
	// Left: the person left the home menu, or there was nothing to do.
	Left Outcome = iota
	// Completed: the task ran to its end.
	Completed
	// Aborted: the person stopped (Ctrl-C, declined the plan, quit a
	// question); the exit status is 130.
	Aborted
	// Failed: the task stopped at a failure and the person quit; the
	// exit status is 1.
	Failed
)

func (o Outcome) String() string {
	switch o {
	case Completed:
		return "completed"
	case Aborted:
		return "aborted"
	case Failed:
		return "failed"
	}
	return "left"
}

// OutcomeOf is the outcome of a dialogue's ending.
func OutcomeOf(e steps.Ending) Outcome {
	switch e {
	case steps.Completed:
		return Completed
	case steps.Stopped:
		return Aborted
	case steps.Failed:
		return Failed
	}
	return Left
}

// Result is what the caller reports once the interface has ended.
type Result struct {
	Outcome Outcome
	// Err is the failure that ended the run (Failed), or the one on
	// screen when the person stopped.
	Err error
	// Changed reports whether anything may have been changed: applying
	// started.
	Changed bool
	// Resume is the command that resumes or repeats the task without
	// questions ("" when there is none).
	Resume string
	// Rerun: the task only reads (bar the doctor's repairs, which are
	// kept), so Resume runs it again rather than resuming it.
	Rerun bool

	// Task names the task the interface ended in (its title); "" for the
	// home menu. The fields below are what that task did.
	Task     string
	Setup    *steps.SetupResult
	Rollback *steps.RollbackResult
	Status   *steps.ClusterExport
	Doctor   *steps.DoctorReport
	Fixes    *steps.FixResult
	Update   *steps.UpdateResult
	Disable  *steps.DisableResult
}
