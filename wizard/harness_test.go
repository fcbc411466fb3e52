package wizard

import (
	"context"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/menu"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell/shelltest"
)

// options open the home menu on a sandbox, with the API key in the
// environment and short waits.
func options(build shelltest.Build) Options {
	return Options{
		Start:        StartMenu,
		Input:        steps.SetupInput{ExternalID: steps.ExternalIDAuto},
		APIKeySource: "COCKROACH_API_KEY",
		Connect:      build,
		Apply:        shelltest.FastApply,
		Fix:          shelltest.FastFix,
		StreamsEvery: 100 * time.Millisecond,
	}
}

// start opens the interface at w×h, as Run would.
func start(t *testing.T, opts Options, w, h int) *shelltest.Harness {
	t.Helper()
	return shelltest.New(t, program(context.Background(), opts, false), w, h)
}

// pending waits for the decision id and returns it.
func pending(hs *shelltest.Harness, id string) steps.Choice {
	hs.T.Helper()
	var q steps.Choice
	hs.Until(id, 30*time.Second, func() bool {
		var ok bool
		q, ok = hs.P.Shell().Pending().(steps.Choice)
		return ok && q.ID == id && !hs.P.Ended()
	})
	return q
}

// atTask waits for the task titled title to have a form on screen.
func atTask(hs *shelltest.Harness, title string) {
	hs.T.Helper()
	hs.Until(title, 15*time.Second, func() bool {
		return !hs.P.Ended() && hs.P.Task().Title() == title && hs.P.Shell().Form() != nil
	})
}

// choose opens the menu's entry for task, and the cluster filtered by
// filter.
func choose(hs *shelltest.Harness, task, filter string) {
	hs.T.Helper()
	atTask(hs, menu.Title)
	hs.Key("g")
	for i, e := range entries {
		if e.Task == task {
			for range i {
				hs.Key("down")
			}
		}
	}
	hs.Enter()
	hs.Until("the cluster list", 15*time.Second, func() bool { return hs.P.Task().Title() != menu.Title && hs.P.Shell().Form() != nil })
	if filter != "" {
		hs.Key("/")
		hs.TypeText(filter)
	}
	hs.Enter()
}

// setUpWithDefaults goes from the menu to setup's plan accepting every
// default, and applies it.
func setUpWithDefaults(hs *shelltest.Harness) {
	hs.T.Helper()
	choose(hs, "setup", "")
	for range 7 {
		hs.Until("a question", 15*time.Second, func() bool { return hs.P.Shell().Form() != nil })
		hs.Enter()
	}
	pending(hs, steps.ChoiceSetupPlan)
	hs.Enter()
}
