package steps

import (
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// Event is something a dialogue did or saw: the one stream a caller hears
// it through, whatever procedure runs underneath.
type Event interface{ event() }

// Listener hears a dialogue's events. The procedures report from several
// goroutines at once: a Listener must be safe for that.
type Listener func(Event)

func (l Listener) emit(e Event) {
	if l != nil {
		l(e)
	}
}

// Stage is a part of a dialogue that takes a while: what a Working event
// announces and a Failure names.
type Stage string

// Stages.
const (
	StageConnect     Stage = "connect"
	StagePrepare     Stage = "prepare"
	StageApply       Stage = "apply"
	StageRollback    Stage = "rollback"
	StageStatusRead  Stage = "status-read"
	StageStatusWatch Stage = "status-watch"
	// StageStatusFollow follows the status past terminal statuses.
	StageStatusFollow Stage = "status-follow"
	StageDiagnose     Stage = "diagnose"
	StageRediagnose   Stage = "rediagnose"
	StageRepair       Stage = "repair"
	StageReenable     Stage = "reenable"
	StageDisableRead  Stage = "disable-read"
	StageDisable      Stage = "disable"
	StageUpdateLoad   Stage = "update-load"
	StageUpdatePlan   Stage = "update-plan"
	StageUpdateApply  Stage = "update-apply"
	StageRolesLookup  Stage = "roles-lookup"
	StageRollbackRead Stage = "rollback-read"
	// StageClusterExports reads each cluster's export status for the
	// choice of a cluster.
	StageClusterExports Stage = "cluster-exports"
)

// The progress of a procedure, as its reporters hear it.
type (
	StepStarted struct{ Step string }
	StepDone    struct {
		Step    string
		Action  Action
		Summary string
		Took    time.Duration
	}
	StepFailed struct {
		Step string
		Err  error
		Took time.Duration
	}
	// StatusSeen is a change the status watcher saw.
	StatusSeen struct{ Status cloudapi.StatusEvent }
	// Propagating is a wait for IAM to propagate a role before enabling
	// again.
	Propagating struct {
		Wait, Remaining time.Duration
		Reason          string
	}
	StreamsSeen     struct{ Streams RegionStreams }
	ResourceRemoved struct{ Label string }
	ResourceKept    struct{ Label, Reason string }
	FixApplied      struct {
		Fix     Fix
		Outcome string
	}
	FixFailed struct {
		Fix Fix
		Err error
	}
)

// What a dialogue does and finds.
type (
	// Working: the dialogue started something that takes a while.
	Working struct {
		Stage   Stage
		Cluster string
		// Detail says why, where the stage has a reason (re-enabling).
		Detail string
	}
	// Failure is a failure the person should see: the step, the cause and
	// the fix (a StepError), and what follows is a decision.
	Failure struct {
		Stage Stage
		Err   error
	}
	// Connected: the clients are built and Conn is what they see.
	Connected struct {
		Conn *Connection
		Env  *Env
	}
	NotApplicable struct {
		Cluster cloudapi.Cluster
		Err     error
	}
	SetupPlanned struct{ Plan *SetupPlan }
	// SetupResuming: an unfinished setup is resumed with its answers.
	SetupResuming     struct{ Input SetupInput }
	SetupApplied      struct{ Result *SetupResult }
	RollbackPreviewed struct {
		RunID     string
		Resources []Resource
	}
	RolledBack struct {
		Result RollbackResult
		Err    error
	}
	// ExportRead is a cluster's export as read; Final when nothing follows
	// it (the status is terminal, or nobody follows it).
	ExportRead struct {
		Export *ClusterExport
		Final  bool
	}
	// Diagnosed is a doctor's report; After is what it follows: "" for the
	// first, StageRepair or StageReenable for the checks run again.
	Diagnosed struct {
		Report *DoctorReport
		After  Stage
	}
	FixesPlanned struct{ Plan *FixPlan }
	// FixesDone follows ApplyFixes: how many of the planned repairs were
	// made, and how it failed.
	FixesDone struct {
		Result  *FixResult
		Planned int
		Err     error
	}
	Reenabled struct {
		Result *FixResult
		Err    error
	}
	// ReenableSkipped says why the export is not enabled again.
	ReenableSkipped struct{ Reason string }
	// Declined: the person said no to a change; nothing was changed.
	Declined        struct{ Stage Stage }
	DisableOverview struct{ Plan *DisablePlan }
	DisablePlanned  struct{ Plan *DisablePlan }
	DisableApplied  struct{ Result *DisableResult }
	UpdateLoaded    struct{ Target *UpdateTarget }
	UpdatePlanned   struct {
		Plan      *UpdatePlan
		OldPolicy *awsiam.PolicyDocument
	}
	UpdateApplied struct{ Result *UpdateResult }
)

func (StepStarted) event()       {}
func (StepDone) event()          {}
func (StepFailed) event()        {}
func (StatusSeen) event()        {}
func (Propagating) event()       {}
func (StreamsSeen) event()       {}
func (ResourceRemoved) event()   {}
func (ResourceKept) event()      {}
func (FixApplied) event()        {}
func (FixFailed) event()         {}
func (Working) event()           {}
func (Failure) event()           {}
func (Connected) event()         {}
func (NotApplicable) event()     {}
func (SetupPlanned) event()      {}
func (SetupResuming) event()     {}
func (SetupApplied) event()      {}
func (RollbackPreviewed) event() {}
func (RolledBack) event()        {}
func (ExportRead) event()        {}
func (Diagnosed) event()         {}
func (FixesPlanned) event()      {}
func (FixesDone) event()         {}
func (Reenabled) event()         {}
func (ReenableSkipped) event()   {}
func (Declined) event()          {}
func (DisableOverview) event()   {}
func (DisablePlanned) event()    {}
func (DisableApplied) event()    {}
func (UpdateLoaded) event()      {}
func (UpdatePlanned) event()     {}
func (UpdateApplied) event()     {}

// reporter turns what the procedures report into a Listener's events: it
// is their Reporter, ResourceReporter and FixReporter at once.
type reporter struct{ l Listener }

// Reporter returns the procedures' reporter that hands each report to l as
// an event.
func (l Listener) Reporter() interface {
	Reporter
	ResourceReporter
	FixReporter
} {
	return reporter{l}
}

func (r reporter) StepStarted(id string) { r.l.emit(StepStarted{id}) }

func (r reporter) StepDone(id string, a Action, summary string, took time.Duration) {
	r.l.emit(StepDone{id, a, summary, took})
}

func (r reporter) StepFailed(id string, err error, took time.Duration) {
	r.l.emit(StepFailed{id, err, took})
}

func (r reporter) Status(ev cloudapi.StatusEvent) { r.l.emit(StatusSeen{ev}) }

func (r reporter) PropagationWait(wait, remaining time.Duration, reason string) {
	r.l.emit(Propagating{wait, remaining, reason})
}

func (r reporter) Streams(rs RegionStreams) { r.l.emit(StreamsSeen{rs}) }

func (r reporter) ResourceRemoved(label string) { r.l.emit(ResourceRemoved{label}) }

func (r reporter) ResourceKept(label, reason string) { r.l.emit(ResourceKept{label, reason}) }

func (r reporter) FixDone(x Fix, outcome string) { r.l.emit(FixApplied{x, outcome}) }

func (r reporter) FixFailed(x Fix, err error) { r.l.emit(FixFailed{x, err}) }
