package wizard

import (
	"strings"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

func TestUpdateAndDisableFromTheMenuWithoutAnExport(t *testing.T) {
	_, connect, _ := testSandbox(t, cloudemu.Timings{})
	hs := newHarness(t, flowOptions(connect), 100, 30)
	chooseFromMenu := func(entry string) {
		t.Helper()
		hs.atPhase(phaseMenu)
		hs.key("g")
		for i, e := range menuEntries() {
			if e.id == entry {
				for range i {
					hs.key("down")
				}
			}
		}
		hs.enter()
		hs.until("the cluster list", 15*time.Second, func() bool { return hs.m.prog != nil && hs.m.prog.Shell().Form() != nil })
		hs.key("/")
		hs.typeText("stag")
		hs.key("enter")
	}
	pending := func(id string) steps.Choice {
		t.Helper()
		var q steps.Choice
		hs.until(id, 15*time.Second, func() bool {
			var ok bool
			q, ok = hs.m.prog.Shell().Pending().(steps.Choice)
			return ok && q.ID == id
		})
		return q
	}

	chooseFromMenu("update")
	q := pending(steps.ChoiceUpdateLoadFailed)
	if s := hs.screen(); !strings.Contains(s, "not configured") || !q.Has(steps.OptSetUp) || !q.Has(steps.OptMenu) || !q.Has(steps.OptOtherCluster) {
		t.Fatalf("no export: %v\n%s", q.Options, s)
	}
	hs.key("down")
	hs.key("enter") // back to the menu

	chooseFromMenu("disable")
	pending(steps.ChoiceDisableWhat)
	if s := hs.screen(); !strings.Contains(s, "Log export of staging-aws is not configured: there is nothing to stop.") || !strings.Contains(s, "Nothing to do.") {
		t.Fatalf("disable without an export:\n%s", s)
	}
	hs.key("down")
	hs.key("enter") // quit
	hs.until("the end", 15*time.Second, func() bool { return hs.m.final != nil })
	if res := hs.m.Result(); res.Outcome != Left || res.Changed || res.Task != "disable log export" {
		t.Fatalf("result %+v", res)
	}
}
