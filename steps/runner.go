package steps

import (
	"slices"
	"sync"
	"time"
)

// AppliedStep is one step a run carried out, as the result lists it: its
// ID, the action the plan gave it, what it did, and how long it took.
type AppliedStep struct {
	Step    string        `json:"step"`
	Action  Action        `json:"action"`
	Summary string        `json:"summary"`
	Took    time.Duration `json:"took_ns"`
}

// appliedSteps collects the steps done, from concurrent branches, in the
// documented order (steps outside the ten in the order they finished).
type appliedSteps struct {
	mu    sync.Mutex
	steps *[]AppliedStep
}

func (a *appliedSteps) add(s AppliedStep) {
	a.mu.Lock()
	defer a.mu.Unlock()
	list := *a.steps
	i := len(list)
	if n := StepNumber(s.Step); n > 0 {
		for i > 0 && StepNumber(list[i-1].Step) > n {
			i--
		}
	}
	*a.steps = slices.Insert(list, i, s)
}

// stepRunner runs the steps of setup, update and disable alike: it
// reports each start, times it, writes the outcome down (record: the
// journal, under the procedure's key) and reports it done — with the
// action the plan gave the step — or failed.
type stepRunner struct {
	now    func() time.Time
	rep    Reporter
	record func(id, status, detail string)
	action func(id string) Action
	// done collects the steps carried out, for the result.
	done *appliedSteps
}

func (r stepRunner) run(id string, f func() (string, error)) error {
	r.rep.StepStarted(id)
	start := r.now()
	summary, err := f()
	took := r.now().Sub(start)
	if err != nil {
		r.record(id, "failed", err.Error())
		r.rep.StepFailed(id, err, took)
		return err
	}
	r.record(id, "done", summary)
	r.done.add(AppliedStep{Step: id, Action: r.action(id), Summary: summary, Took: took})
	r.rep.StepDone(id, r.action(id), summary, took)
	return nil
}
