package wizard

import (
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/menu"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell/shelltest"
)

// TestGoldenMenu is the home menu.
func TestGoldenMenu(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	hs := start(t, options(build), shelltest.GoldenW, shelltest.GoldenH)
	atTask(hs, menu.Title)
	shelltest.Golden(t, "menu", hs.P.Render())
}

// TestMenuQuitLeaves: its last entry leaves, having done nothing.
func TestMenuQuitLeaves(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	hs := start(t, options(build), 80, 24)
	atTask(hs, menu.Title)
	hs.Key("G")
	hs.Key("enter")
	if res := hs.End(); res.Outcome != shell.Left || res.Changed || res.Task != "" {
		t.Fatalf("result %+v", res)
	}
}

// TestBackToTheMenuNeverWaits: leaving a status that is still followed
// for the menu does not wait for the watch to stop — no Update blocks.
func TestBackToTheMenuNeverWaits(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{EnableAfter: time.Minute})
	shelltest.Enabling(t, build, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName, ExternalID: steps.ExternalIDAuto})
	hs := start(t, options(build), 80, 24)
	choose(hs, shell.TaskStatus, "stag")
	hs.Until("the status followed", 15*time.Second, func() bool { return hs.Has("following live while the status changes") })
	began := time.Now()
	hs.Key("esc")
	atTask(hs, menu.Title)
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("back to the menu took %s", took)
	}
}

// TestKeysQuitWhereNothingIsTyped: q leaves the home menu (not Set up),
// ? shows every key, and q answers the doctor's "What now?" with Quit.
func TestKeysQuitWhereNothingIsTyped(t *testing.T) {
	_, build, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	hs := start(t, options(build), 80, 24)
	atTask(hs, menu.Title)
	if !hs.Has("q quit · ? help") {
		t.Fatalf("the menu's keys:\n%s", hs.Screen())
	}
	hs.Key("?")
	if !hs.Has("Keys") || !hs.Has("? fewer keys") {
		t.Fatalf("? shows no keys:\n%s", hs.Screen())
	}
	hs.Key("q")
	if res := hs.End(); res.Outcome != shell.Left || res.Task != "" {
		t.Fatalf("q on the menu: %+v", res)
	}

	shelltest.ExportWithWrongTrust(t, build)
	hs = start(t, options(build), 80, 24)
	choose(hs, shell.TaskDoctor, "stag")
	pending(hs, steps.ChoiceDoctorNext)
	hs.Key("q")
	if res := hs.End(); res.Outcome != shell.Failed || res.Doctor == nil || res.Doctor.OK {
		t.Fatalf("q on the doctor's report: %+v", res)
	}
}
