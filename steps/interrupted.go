package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// settingSetupRun is the journal setting that keeps the answers of the
// setup being applied (SetupInput as JSON: names, retention, channels —
// no secret), so that when it does not finish, the next setup in the
// interface can offer to resume it instead of asking everything again.
const settingSetupRun = "setup_input"

// The decision of an unfinished setup, and its options.
const (
	ChoiceSetupResume = "setup.resume"
	OptResume         = "resume"
	OptAfresh         = "afresh"
)

func setupRunSetting(p *SetupPlan) string {
	in := p.input
	in.Cluster = p.ClusterID
	in.FromScratch = false
	b, err := json.Marshal(in)
	if err != nil {
		return ""
	}
	return string(b)
}

// unfinished is a setup of the cluster that this machine began applying
// and that did not finish: its answers, and where it stopped.
type unfinished struct {
	Input     SetupInput
	StartedAt time.Time
	// Step is the step that failed, or the last one done ("" when none
	// was); Failed says which.
	Step   string
	Failed bool
}

// Where says where the setup stopped, for people.
func (u unfinished) Where() string {
	switch {
	case u.Step == "":
		return "it stopped before its first step finished"
	case u.Failed:
		return fmt.Sprintf("step %d (%s) failed", StepNumber(u.Step), StepTitle(u.Step))
	}
	return fmt.Sprintf("it stopped after step %d (%s)", StepNumber(u.Step), StepTitle(u.Step))
}

// findUnfinished looks for an unfinished setup of cluster in the journal:
// one whose answers were kept, whose step 10 is not done, and that the
// export in force does not show to have been finished some other way
// (ENABLED with the same log group and role). A journal that cannot be
// read, or answers that are no longer valid, find none: the questions are
// asked as usual.
func findUnfinished(ctx context.Context, env *Env, cluster cloudapi.Cluster) (unfinished, bool) {
	j, err := env.Journals.Open(cluster.ID, cluster.Name)
	if err != nil || !j.Exists() {
		return unfinished{}, false
	}
	raw := j.Setting(settingSetupRun)
	if raw == "" || j.Steps[StepEnable].Status == "done" {
		return unfinished{}, false
	}
	var in SetupInput
	if err := decodeStrict([]byte(raw), &in); err != nil || in.Cluster != cluster.ID || CheckSetupInput(&in) != nil {
		return unfinished{}, false
	}
	if info, err := env.Cloud.LogExport(ctx, cluster.ID); err == nil && info.Configured && info.Status == cloudapi.StatusEnabled &&
		info.Spec.LogName == j.Setting("log_group") && info.Spec.AuthPrincipal == j.Setting("role_arn") {
		return unfinished{}, false
	}
	u := unfinished{Input: in, StartedAt: j.StartedAt}
	for _, st := range StepTitles {
		switch j.Steps[st.ID].Status {
		case "failed":
			if !u.Failed {
				u.Step, u.Failed = st.ID, true
			}
		case "done":
			if !u.Failed {
				u.Step = st.ID
			}
		}
	}
	return u, true
}

// flagsGiven: the person gave setup's answers as flags, so an unfinished
// setup is not offered in their place.
func flagsGiven(in SetupInput) bool {
	return in.LogGroup != "" || in.RetentionDays != 0 || in.RetentionSet || in.RoleName != "" || in.PolicyName != "" || in.RoleARN != "" ||
		in.RestrictRegions || in.ExternalID != "" && in.ExternalID != ExternalIDAuto || len(in.Channels) > 0 || len(in.OmitChannels) > 0 ||
		in.Redact != nil || in.ExportRegion != "" || in.FromScratch
}

// offerUnfinished asks whether to resume an unfinished setup of the
// cluster. It returns the input to go on with, whether to ask the
// questions (starting from it), and how the dialogue ends when it does
// (Completed: it goes on).
func offerUnfinished(ctx context.Context, env *Env, t SetupTask, p Prompter, l Listener) (in SetupInput, ask bool, end End) {
	in, ask = t.Input, true
	if flagsGiven(t.Input) {
		return in, ask, End{}
	}
	u, found := findUnfinished(ctx, env, t.Cluster)
	if !found {
		return in, ask, End{}
	}
	name := firstNonEmpty(t.Cluster.Name, t.Cluster.ID)
	c, err := p.Choose(ctx, Choice{
		ID:    ChoiceSetupResume,
		Title: fmt.Sprintf("A setup of %s begun %s did not finish: %s. Resume it?", name, u.StartedAt.UTC().Format("2006-01-02 15:04 UTC"), u.Where()),
		Options: []Option{
			{OptResume, "Resume it with its answers (the plan is shown before any change)"},
			{OptEdit, "Change its answers first"},
			{OptAfresh, "Answer every question afresh"},
			{OptQuit, "Quit"},
		},
		Default: OptResume,
	})
	switch {
	case err != nil:
		return in, ask, stopped(End{}, err)
	case c == OptResume:
		l.emit(SetupResuming{Input: u.Input})
		return u.Input, false, End{}
	case c == OptEdit:
		return u.Input, true, End{}
	case c == OptAfresh:
		return in, true, End{}
	}
	return in, ask, End{Ending: Stopped}
}
