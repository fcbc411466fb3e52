package wizard

import (
	"testing"

	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
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
