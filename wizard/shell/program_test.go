package shell_test

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell/shelltest"
)

// tall is a task whose view is n numbered lines, whatever room it has.
type tall struct {
	shelltest.Stub
	n int
}

func (t tall) View(int, int) string {
	lines := make([]string, t.n)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d", i+1)
	}
	return strings.Join(lines, "\n")
}

func (t tall) Keys() []string { return []string{"ctrl+c quit"} }

func tallProgram(n, w, h int) *shell.Program {
	p := shelltest.Program("tall", false, func(*shell.Shell) shell.Task { return tall{Stub: shelltest.Stub{Name: "tall"}, n: n} })
	p.Init()
	p.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return p
}

// TestProgramScrollsAViewTallerThanTheTerminal: the frame is never taller
// than the terminal (no frame pushed into the scrollback); a task that
// does not fit shows its top, says what is below, and scrolls with
// pgdn/pgup; with a form on screen it shows its bottom, where the form is.
func TestProgramScrollsAViewTallerThanTheTerminal(t *testing.T) {
	p := tallProgram(60, 80, 20)
	screen := ansi.Strip(p.Render())
	shelltest.CheckFits(t, "tall", screen, 80, 20)
	if !strings.Contains(screen, "line 1\n") || !strings.Contains(screen, "more lines · pgdn to scroll") || !strings.Contains(screen, "ctrl+c quit") {
		t.Fatalf("the top, the note and the keys are not all shown:\n%s", screen)
	}
	for range 5 {
		p.Update(shelltest.KeyMsg("pgdown"))
	}
	screen = ansi.Strip(p.Render())
	shelltest.CheckFits(t, "tall at its end", screen, 80, 20)
	// At the end, nothing is said to be below ("100% — scroll for more").
	if !strings.Contains(screen, "line 60\n") || strings.Contains(screen, "line 1\n") || !strings.Contains(screen, "above · pgup to scroll") || strings.Contains(screen, "↓") {
		t.Fatalf("pgdn does not reach the bottom:\n%s", screen)
	}
	p.Update(shelltest.KeyMsg("pgup"))
	if screen = ansi.Strip(p.Render()); !strings.Contains(screen, "above · ↓") {
		t.Fatalf("pgup does not scroll back up:\n%s", screen)
	}

	// With a form, the bottom first.
	p = tallProgram(60, 80, 20)
	p.Shell().SetForm(huh.NewForm(huh.NewGroup(huh.NewConfirm().Title("Go?"))))
	if screen = ansi.Strip(p.Render()); !strings.Contains(screen, "line 60\n") {
		t.Fatalf("with a form on screen, the bottom is not shown:\n%s", screen)
	}

	// A view that fits is drawn as it is.
	p = tallProgram(5, 80, 20)
	if screen = ansi.Strip(p.Render()); strings.Contains(screen, "scroll") || !strings.Contains(screen, "line 5") {
		t.Fatalf("a view that fits changed:\n%s", screen)
	}
}

// TestProgramDrawsOnTheAlternateScreen: full-screen frames, so a frame
// taller than the screen cannot flood the scrollback.
func TestProgramDrawsOnTheAlternateScreen(t *testing.T) {
	if v := tallProgram(5, 80, 20).View(); !v.AltScreen {
		t.Fatal("the interface draws inline")
	}
}

// TestSummaryIsTheWholeLastScreenOnce: what the interface ended on is
// kept whole — every line, no scrolling, no keys — and only when there is
// something to keep.
func TestSummaryIsTheWholeLastScreenOnce(t *testing.T) {
	p := tallProgram(60, 80, 20)
	if p.Summary() != "" {
		t.Fatal("a summary before the end")
	}
	p.Update(shell.FinishMsg{Result: shell.Result{Outcome: shell.Completed}})
	sum := ansi.Strip(p.Summary())
	if !strings.HasPrefix(sum, "crdb-logexport · tall") || !strings.Contains(sum, "line 1\n") || !strings.HasSuffix(sum, "line 60") ||
		strings.Contains(sum, "scroll") || strings.Contains(sum, "ctrl+c") {
		t.Fatalf("summary:\n%s", sum)
	}
	for _, res := range []shell.Result{{Outcome: shell.Left}, {Outcome: shell.Aborted}} {
		p := tallProgram(5, 80, 20)
		p.Update(shell.FinishMsg{Result: res})
		if s := p.Summary(); s != "" {
			t.Errorf("%s: a summary when nothing changed:\n%s", res.Outcome, s)
		}
	}
	p = tallProgram(5, 80, 20)
	p.Update(shell.FinishMsg{Result: shell.Result{Outcome: shell.Aborted, Changed: true}})
	if p.Summary() == "" {
		t.Error("an interrupted apply keeps no summary")
	}
}

// TestHeaderKeepsNamesWhole: the identity line breaks between its parts,
// never inside the organization's name, and without non-breaking spaces.
func TestHeaderKeepsNamesWhole(t *testing.T) {
	for _, w := range []int{60, 80, 100} {
		p := tallProgram(3, w, 20)
		p.Badge = "demo · sandbox"
		p.Shell().Session.Conn = &steps.Connection{Org: cloudapi.Organization{Name: "Acme Robotics Worldwide"}, Caller: awsiam.Identity{Account: "314159265358", ARN: "arn:aws:iam::314159265358:user/sandbox-admin"}}
		screen := ansi.Strip(p.Render())
		if strings.ContainsRune(screen, '\u00a0') {
			t.Errorf("%d columns: non-breaking spaces:\n%q", w, screen)
		}
		for _, want := range []string{"Cloud organization Acme Robotics Worldwide", "[demo · sandbox]", "arn:aws:iam::314159265358:user/sandbox-admin"} {
			if !strings.Contains(screen, want) {
				t.Errorf("%d columns: %q is not whole on a line:\n%s", w, want, screen)
			}
		}
		shelltest.CheckFits(t, fmt.Sprint(w), screen, w, 20)
	}
}

// TestStopKeyPromisesResumeOnlyWhereARerunCan: the demo's sandbox ends
// with the program, so its footer does not promise that rerunning resumes.
func TestStopKeyPromisesResumeOnlyWhereARerunCan(t *testing.T) {
	sh := shell.New(t.Context(), false, nil)
	if !strings.Contains(sh.StopKey(), "rerunning resumes") {
		t.Errorf("stop key: %q", sh.StopKey())
	}
	sh.ResumeHint = "run `crdb-logexport demo` again to start over"
	if strings.Contains(sh.StopKey(), "resume") {
		t.Errorf("the demo's stop key promises a resume: %q", sh.StopKey())
	}
}
