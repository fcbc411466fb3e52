package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// A task's dialogue — what it reads, what it asks, what follows each
// answer and each failure — is written once, in the Run* functions of this
// package (task_*.go). Whoever runs one supplies the answers through a
// Prompter and hears everything it does through a Listener: the terminal
// interface shows a form for each decision and draws the events,
// accessible mode asks line by line and prints them, and the
// non-interactive commands answer from their flags and print them.

// Prompter answers the decisions a dialogue needs from a person. A method
// returns ctx's error when the run is interrupted, ErrBack when the person
// goes back, and ErrQuit when they leave the question without an answer.
type Prompter interface {
	// Confirm asks a yes-or-no question.
	Confirm(ctx context.Context, q Confirm) (bool, error)
	// Choose asks for one of the options offered and returns its ID.
	Choose(ctx context.Context, q Choice) (string, error)
	// Answer asks for what is typed or edited rather than chosen: the API
	// key, the cluster, setup's answers, an update's configuration. The
	// answer is written into q.
	Answer(ctx context.Context, q Question) error
}

// ErrBack is a person going back from a decision (Esc): the dialogue
// returns to what came before it.
var ErrBack = errors.New("went back")

// ErrQuit is a person leaving a question without answering it ("Quit
// without changing anything").
var ErrQuit = errors.New("left without an answer")

// Confirm is a yes-or-no decision.
type Confirm struct {
	// ID names the decision for drivers and tests (ConfirmApplyPlan, …).
	ID      string
	Title   string
	Yes, No string
	Default bool
	// Flag is what says yes without a person (--yes).
	Flag string
}

// Choice is a decision among options.
type Choice struct {
	ID      string
	Title   string
	Options []Option
	// Default is the option selected first ("" for the first one).
	Default string
	// Unattended is the option taken when nobody is there to choose; ""
	// means the choice needs a person.
	Unattended string
	// Confirms marks a choice that also confirms a change: without a
	// person, Unattended is taken only when Flag (--yes) was given.
	Confirms bool
	Flag     string
}

// Option is one answer a Choice offers.
type Option struct {
	ID    string
	Label string
}

// Has reports whether c offers the option id.
func (c Choice) Has(id string) bool {
	return slices.ContainsFunc(c.Options, func(o Option) bool { return o.ID == id })
}

// Label is the label of option id, or "".
func (c Choice) Label(id string) string {
	for _, o := range c.Options {
		if o.ID == id {
			return o.Label
		}
	}
	return ""
}

// Question is what Answer asks for; its fields hold the answer.
type Question interface{ question() }

// APIKeyQuestion asks for the CockroachDB Cloud API key (masked).
type APIKeyQuestion struct{ Key string }

// ClusterQuestion asks which of Clusters to work on; Chosen is the ID
// selected first and, once answered, the one chosen.
type ClusterQuestion struct {
	Clusters []cloudapi.Cluster
	Chosen   string
	// Exports is each cluster's export status, by cluster ID, as far as
	// it was read in ExportGlanceWait; a cluster missing was not read.
	Exports map[string]ClusterSummary
	// ForSetup: a cluster CloudWatch export does not apply to (not on AWS,
	// or the Basic plan) cannot be chosen; it is shown with the reason.
	ForSetup bool
}

// ExportText is cl's export as the choice shows it: the API's status,
// "not configured", why CloudWatch export does not apply (always, for
// setup), "status not read" when reading it failed, and "" when it was not
// read in time; a cluster not in the CREATED state adds its state.
func (q *ClusterQuestion) ExportText(cl cloudapi.Cluster) string {
	sum, read := q.Exports[cl.ID]
	if (!read || q.ForSetup) && cl.CheckCloudWatch() != nil {
		sum, read = summaryOf(cl), true
	}
	text := ""
	switch {
	case !read:
	case sum.Error != "":
		text = "status not read"
	default:
		text = sum.StatusText()
	}
	if cl.State != "" && cl.State != cloudapi.StateCreated {
		text = strings.TrimPrefix(text+" · cluster "+string(cl.State), " · ")
	}
	return text
}

// Refused says why cl cannot be chosen: for setup, a cluster CloudWatch
// export does not apply to. Nil when it can be.
func (q *ClusterQuestion) Refused(cl cloudapi.Cluster) error {
	if !q.ForSetup {
		return nil
	}
	return cl.CheckCloudWatch()
}

// SetupQuestions asks setup's questions for Cluster, starting from Input
// (the flags, or the last answers), which holds the answers afterwards.
type SetupQuestions struct {
	Cluster cloudapi.Cluster
	Input   SetupInput
}

// UpdateQuestions asks what to change in Target's configuration: Desired
// (the flags applied, or the last edit) and RetentionDays for log groups
// the update creates hold the answer afterwards. FlagsErr says why the
// flags' changes could not be applied; Problems, what was wrong with the
// last configuration sent for review.
type UpdateQuestions struct {
	Target        *UpdateTarget
	Desired       cloudapi.LogExportSpec
	RetentionDays int
	FlagsErr      error
	Problems      error
	// Changed: the edit so far changes the configuration (the interface
	// starts on "review" then).
	Changed bool
}

func (*APIKeyQuestion) question()  {}
func (*ClusterQuestion) question() {}
func (*SetupQuestions) question()  {}
func (*UpdateQuestions) question() {}

// NeedsPersonError is a decision met without anybody to make it: the
// command line names the flag that makes it (exit status 2).
type NeedsPersonError struct {
	Decision string
	Title    string
	Flag     string
}

func (e *NeedsPersonError) Error() string {
	if e.Flag == "" {
		return fmt.Sprintf("%s: no terminal to answer on", e.Title)
	}
	return fmt.Sprintf("%s: pass %s (no terminal to answer on)", e.Title, e.Flag)
}

// Unattended answers for nobody, from flags: a confirmation is yes with
// Yes (--yes); a choice takes its Unattended option; setup's and update's
// questions keep the answers the flags gave. Anything else needs a person.
type Unattended struct{ Yes bool }

// Confirm says yes with --yes, or stops.
func (u Unattended) Confirm(_ context.Context, q Confirm) (bool, error) {
	if u.Yes {
		return true, nil
	}
	return false, &NeedsPersonError{Decision: q.ID, Title: q.Title, Flag: q.Flag}
}

// Choose takes the choice's Unattended option.
func (u Unattended) Choose(_ context.Context, q Choice) (string, error) {
	if q.Unattended == "" || q.Confirms && !u.Yes {
		return "", &NeedsPersonError{Decision: q.ID, Title: q.Title, Flag: q.Flag}
	}
	return q.Unattended, nil
}

// Answer keeps the flags' answers; a key or a cluster needs a person.
func (u Unattended) Answer(_ context.Context, q Question) error {
	switch q := q.(type) {
	case *APIKeyQuestion:
		return &NeedsPersonError{Decision: "api-key", Title: "no CockroachDB Cloud API key", Flag: "COCKROACH_API_KEY or --api-key-file"}
	case *ClusterQuestion:
		return &NeedsPersonError{Decision: "cluster", Title: "no cluster chosen", Flag: "--cluster"}
	case *UpdateQuestions:
		if q.FlagsErr != nil {
			return &StepError{Step: StepEnable, Cause: q.FlagsErr, Fix: "fix the flags; `crdb-logexport update --help` shows their syntax", Permanent: true}
		}
	}
	return nil
}

// Navigation a dialogue may offer beside its own options: the interface
// opened from the home menu can go back to it, and one that asked for the
// cluster can ask again.
type Nav struct {
	Menu         bool
	OtherCluster bool
}

// Options every dialogue may offer, and the tasks an ending may lead to.
const (
	OptQuit         = "quit"
	OptRetry        = "retry"
	OptMenu         = "menu"
	OptOtherCluster = "other-cluster"
	OptDiagnose     = "diagnose"
	OptSetUp        = "set-up"
	OptEdit         = "edit"
	OptApply        = "apply"
)

// nav adds the navigation n allows before the last option (Quit).
func (n Nav) add(opts []Option) []Option {
	var extra []Option
	if n.Menu {
		extra = append(extra, Option{OptMenu, "Back to the menu"})
	}
	if n.OtherCluster {
		extra = append(extra, Option{OptOtherCluster, "Choose another cluster"})
	}
	if len(opts) > 0 && opts[len(opts)-1].ID == OptQuit {
		return append(append(opts[:len(opts)-1:len(opts)-1], extra...), opts[len(opts)-1])
	}
	return append(opts, extra...)
}

// Ending is how a dialogue ended.
type Ending int

// Endings.
const (
	// Completed: the task ran to its end.
	Completed Ending = iota
	// Left: there was nothing to do, or nothing changed and the person
	// left (a report read, a plan looked at).
	Left
	// Stopped: the person declined or quit before the end, or the run was
	// interrupted.
	Stopped
	// Failed: the task ended on a failure (Err).
	Failed
)

// End is how a dialogue ended and what follows it.
type End struct {
	Ending Ending
	// Err is the failure that ended it, or the one on screen when the
	// person stopped.
	Err error
	// Changed: something may have been changed (applying started).
	Changed bool
	// Next is the task or place the person chose to go to: OptDiagnose,
	// OptSetUp, OptMenu, OptOtherCluster, or "".
	Next string
}

// stopped ends a dialogue whose decision returned err: an interruption or
// a person leaving is Stopped; anything else (a NeedsPersonError) fails.
func stopped(end End, err error) End {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrQuit) || errors.Is(err, ErrBack) {
		end.Ending = Stopped
		return end
	}
	end.Ending, end.Err = Failed, err
	return end
}
