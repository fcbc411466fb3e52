package wizard

import (
	"strings"
	"testing"

	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell/shelltest"
)

func TestUpdateAndDisableFromTheMenuWithoutAnExport(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	hs := start(t, options(build), 100, 30)

	choose(hs, shell.TaskUpdate, "stag")
	q := pending(hs, steps.ChoiceUpdateLoadFailed)
	if s := hs.Screen(); !strings.Contains(s, "not configured") || !q.Has(steps.OptSetUp) || !q.Has(steps.OptMenu) || !q.Has(steps.OptOtherCluster) {
		t.Fatalf("no export: %v\n%s", q.Options, s)
	}
	hs.Key("down")
	hs.Key("enter") // back to the menu

	choose(hs, shell.TaskDisable, "stag")
	pending(hs, steps.ChoiceDisableWhat)
	if s := hs.Screen(); !strings.Contains(s, "Log export of staging-aws is not configured: there is nothing to stop.") || !strings.Contains(s, "Nothing to do.") {
		t.Fatalf("disable without an export:\n%s", s)
	}
	hs.Key("down")
	hs.Key("enter") // quit
	if res := hs.End(); res.Outcome != Left || res.Changed || res.Task != "disable log export" {
		t.Fatalf("result %+v", res)
	}
}
