package kit

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Lines prints a dialogue's events as plain lines: the one transcript
// renderer of accessible mode and of the non-interactive commands. Its
// Event method is a steps.Listener, safe to call from several goroutines.
type Lines struct {
	// W gets the transcript: what happens, as it happens.
	W io.Writer
	// Results gets what a task found or did — reports, the export, the
	// outcome — as the text a command prints on standard output; nil
	// leaves them to the caller (which prints JSON, say).
	Results io.Writer
	// Words names outcomes in words instead of glyphs a screen reader
	// would spell out.
	Words bool
	// Live: the transcript is all a person sees (accessible mode): every
	// read of the export, the failures as they happen, what was connected
	// to. A command reports its failure once, at the end.
	Live bool
	// Plans shows plans before they are applied (not with --output json,
	// unless it is a dry run).
	Plans bool
	// FixHint names what makes a fixable finding's change.
	FixHint string
	// Now is the clock for ages (time.Now when nil).
	Now func() time.Time

	mu         sync.Mutex
	lastStatus string
	// held holds, by step number, the lines of setup's steps that finished
	// before a step numbered lower: the transcript lists them 1 to 10, as
	// the plan does, though steps 1, 5 and 7 run at once (nil outside an
	// apply). next is the number to print next.
	held []string
	next int
}

// Width is where plain-text prose wraps: the transcript fits 80 columns.
const Width = 78

// RowWidth is where plain-text rows wrap on a terminal: what is kept
// whole to copy — evidence, ARNs, JSON — the rows of results and the
// transcript. It is wider than Width, so that an ARN never breaks, and no
// wider than the interface.
const RowWidth = 100

// Columns is where plain text written to w wraps: on a terminal, RowWidth
// or the terminal's width when that is narrower, so that the terminal
// never cuts a line mid-word; 0 (no wrapping) elsewhere — a file or a
// pipe keeps each row on one line, for grep and scripts. A writer can say
// its width itself (a Columns method).
func Columns(w io.Writer) int {
	if cw, ok := w.(*colorprofile.Writer); ok {
		w = cw.Forward
	}
	switch w := w.(type) {
	case interface{ Columns() int }:
		return w.Columns()
	case interface{ Fd() uintptr }:
		if !term.IsTerminal(w.Fd()) {
			return 0
		}
		if cols, _, err := term.GetSize(w.Fd()); err == nil && cols >= 40 {
			return min(cols, RowWidth)
		}
		return RowWidth
	}
	return 0
}

func (l *Lines) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// say prints a line of the transcript, wrapped within Columns: a line
// that does not fit goes on under its own indent and two more.
func (l *Lines) say(format string, args ...any) {
	var b strings.Builder
	cols := Columns(l.W)
	for _, line := range strings.Split(fmt.Sprintf(format, args...), "\n") {
		if cols <= 0 || ansi.StringWidth(line) <= cols {
			b.WriteString(line + "\n")
			continue
		}
		body := strings.TrimLeft(line, " ")
		indent := strings.Repeat(" ", len(line)-len(body))
		for i, part := range WrapLines(body, cols-len(indent)-2) {
			if i > 0 {
				part = "  " + part
			}
			b.WriteString(indent + part + "\n")
		}
	}
	_, _ = io.WriteString(l.W, b.String())
}

// text prints what write renders (a plan) through say, so that on a
// terminal its long lines wrap at spaces instead of being cut by the
// terminal mid-word.
func (l *Lines) text(write func(io.Writer)) {
	var b strings.Builder
	write(&b)
	l.say("%s", strings.TrimSuffix(b.String(), "\n"))
}

func (l *Lines) result(write func(io.Writer)) {
	if l.Results != nil {
		write(l.Results)
	}
}

// flush prints the steps held back, in their order: up to the first not
// done yet, or all of them (and stops holding).
func (l *Lines) flush(all bool) {
	for ; l.next < len(l.held); l.next++ {
		switch {
		case l.held[l.next] != "":
			l.say("%s", l.held[l.next])
		case !all:
			return
		}
	}
	l.held = nil
}

// mark is the start of an outcome's line: a glyph, or its word.
func (l *Lines) mark(ok bool) string {
	switch {
	case l.Words && ok:
		return "Done:"
	case l.Words:
		return "Failed:"
	case ok:
		return GlyphDone
	}
	return GlyphFailed
}

// Event prints one event.
func (l *Lines) Event(e steps.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e.(type) {
	case steps.StepDone, steps.StepStarted:
	default:
		// Anything else said while steps are held comes after them.
		l.flush(true)
	}
	switch e := e.(type) {
	case steps.StepDone:
		line := fmt.Sprintf("%s %s — %s (%s)", l.mark(true), steps.StepLabel(e.Step), e.Summary, FormatDuration(e.Took))
		if n := steps.StepNumber(e.Step); l.held != nil && n > 0 {
			l.held[n] = line
			l.flush(false)
			return
		}
		l.say("%s", line)
	case steps.StepFailed:
		l.say("%s %s (%s)", l.mark(false), steps.StepLabel(e.Step), FormatDuration(e.Took))
	case steps.StatusSeen:
		line := StatusLine(e.Status)
		if line == l.lastStatus {
			return
		}
		l.lastStatus = line
		if e.Status.Err != nil {
			l.say("   %s", line)
			return
		}
		l.say("   status %s after %s, %d %s", line, e.Status.Elapsed.Round(100*time.Millisecond), e.Status.Polls, Plural(e.Status.Polls, "poll", "polls"))
	case steps.Propagating:
		l.say("   waiting %s for IAM to propagate the role, then enabling again (gives up in %s): %s", FormatAge(e.Wait), FormatAge(e.Remaining), e.Reason)
	case steps.StreamsSeen:
		rs := e.Streams
		switch {
		case rs.Streams == 0:
			l.say("   %s: no log streams yet in %s", rs.Region, rs.LogGroup)
		case rs.Newest.IsZero():
			l.say("   %s: %d log streams in %s", rs.Region, rs.Streams, rs.LogGroup)
		default:
			l.say("   %s: %d log streams in %s, newest event %s ago", rs.Region, rs.Streams, rs.LogGroup, FormatAge(l.now().Sub(rs.Newest)))
		}
	case steps.ResourceRemoved:
		l.say("   removed %s", e.Label)
	case steps.ResourceKept:
		l.say("   kept %s (%s)", e.Label, e.Reason)
	case steps.FixApplied:
		l.say("%s %s", l.mark(true), e.Outcome)
	case steps.FixFailed:
		l.say("%s %s: %v", l.mark(false), e.Fix.Summary, e.Err)
	case steps.Working:
		if e.Stage == steps.StageApply {
			l.held, l.next = make([]string, len(steps.StepTitles)+1), 1
		}
		if e.Stage != steps.StageApply && e.Stage != steps.StageUpdateApply && e.Stage != steps.StageDisable || l.Live {
			l.say("%s", StageText(e.Stage, e.Cluster, e.Detail))
		}
	case steps.Failure:
		if l.Live {
			l.say("Error: %s", ErrorText(e.Err))
		}
	case steps.Connected:
		if l.Live {
			l.say("Acting in AWS account %s as %s. CockroachDB Cloud organization: %s.", e.Conn.Caller.Account, e.Conn.Caller.ARN, e.Conn.Org.Name)
		}
	case steps.ClusterChosen:
		if l.Live {
			c := e.Cluster
			if e.ForSetup {
				l.say("Cluster %s (%s), %s on %s, regions %s; its AWS account %s will assume your role.", c.Name, c.ID, c.Plan, c.CloudProvider, strings.Join(c.RegionNames(), ", "), c.ExportAccountID())
			} else {
				l.say("Cluster %s (%s), %s on %s.", c.Name, c.ID, c.Plan, c.CloudProvider)
			}
		}
	case steps.NotApplicable:
		l.say("%s", WrapProse(NotApplicable(e.Cluster, e.Err), Width))
	case steps.SetupPlanned:
		if l.Plans {
			l.text(e.Plan.WriteText)
			l.say("")
			l.say("Trust policy of the role:\n%s", e.Plan.Trust.JSON())
			if e.Plan.Permission != nil {
				l.say("Permission policy:\n%s", e.Plan.Permission.JSON())
			}
			if c := e.Plan.Conflicts(); len(c) > 0 {
				l.say("The plan has %d %s; applying it would stop at %s.", len(c), Plural(len(c), "conflict", "conflicts"), steps.StepLabel(c[0].ID))
			} else if !e.Plan.Changes() {
				l.say("Nothing to change: everything is in place.")
			}
		}
	case steps.SetupApplied:
		l.result(func(w io.Writer) { WriteSetupResult(w, e.Result, l.now()) })
		if l.Live {
			n := e.Result.ClusterName
			l.say("Next: crdb-logexport status --cluster %s; crdb-logexport doctor --cluster %s; crdb-logexport disable --cluster %s", n, n, n)
		}
	case steps.RollbackPreviewed:
		l.rollbackPreview(e)
	case steps.RolledBack:
		for _, x := range e.Result.Removed {
			l.say("Removed %s", x)
		}
		for _, x := range e.Result.Kept {
			l.say("Kept %s", x)
		}
		if e.Err != nil {
			l.say("Rollback error: %v", e.Err)
		}
	case steps.ExportRead:
		if e.Final || l.Live {
			l.result(func(w io.Writer) { WriteExport(w, e.Export, l.now()) })
		}
	case steps.Diagnosed:
		l.result(func(w io.Writer) {
			switch e.After {
			case steps.StageRepair:
				fmt.Fprintln(w, "\nAfter the repairs:")
			case steps.StageReenable:
				fmt.Fprintln(w, "\nAfter enabling again:")
			}
			WriteDoctorReport(w, e.Report, l.FixHint)
		})
	case steps.FixesPlanned:
		l.fixPlan(e.Plan)
	case steps.FixesDone:
		done := 0
		if e.Result != nil {
			done = len(e.Result.Applied)
		}
		l.say("Applied %d of %d %s.", done, e.Planned, Plural(e.Planned, "repair", "repairs"))
		if e.Err != nil {
			l.say("Some repairs failed: %s", ErrorText(e.Err))
		}
	case steps.Reenabled:
		switch {
		case e.Err != nil:
			l.say("Enabling again failed: %s", ErrorText(e.Err))
		case e.Result != nil && e.Result.Status != "":
			l.say("The export is %s.", e.Result.Status)
		}
	case steps.ReenableSkipped:
		l.say("%s", Sentence(e.Reason))
	case steps.Declined:
		l.say("Nothing was changed.")
	case steps.DisableOverview:
		l.disableOverview(e.Plan)
	case steps.DisablePlanned:
		l.text(e.Plan.WriteText)
		l.say("")
	case steps.DisableApplied:
		l.result(func(w io.Writer) { WriteDisableResult(w, e.Result) })
	case steps.UpdatePlanned:
		if l.Plans {
			l.updatePlan(e.Plan, e.OldPolicy)
		}
	case steps.UpdateApplied:
		l.result(func(w io.Writer) { WriteUpdateResult(w, e.Result, l.now()) })
	}
}

// StatusLine is one observation of the status watcher: the status, the
// cluster's state and operation, and the user message.
func StatusLine(ev cloudapi.StatusEvent) string {
	if ev.Err != nil {
		return "status check failed (will retry): " + ev.Err.Error()
	}
	line := string(ev.Info.Status)
	if ev.ClusterState != "" {
		line += " (cluster " + string(ev.ClusterState)
		if ev.OperationStatus != "" && ev.OperationStatus != cloudapi.OperationUnspecified {
			line += ", " + string(ev.OperationStatus)
		}
		line += ")"
	}
	if ev.Info.UserMessage != "" {
		line += ": " + ev.Info.UserMessage
	}
	return line
}

func (l *Lines) rollbackPreview(e steps.RollbackPreviewed) {
	if len(e.Resources) == 0 {
		l.say("This run created nothing that can be removed.")
		return
	}
	l.say("Rollback removes only what this setup run created:")
	for _, r := range e.Resources {
		switch r.Kind {
		case steps.KindLogGroup:
			l.say("  keeps   log group %s in %s (it holds the exported logs)", r.ID, r.Region)
		case steps.KindAttachment:
			role, policy, _ := strings.Cut(r.ID, "|")
			l.say("  removes the attachment of policy %s to role %s", ARNName(policy), role)
		default:
			l.say("  removes %s %s", r.Kind, r.ID)
		}
	}
}

func (l *Lines) fixPlan(p *steps.FixPlan) {
	if p.Empty() {
		if len(p.Manual) == 0 {
			l.say("Nothing for --fix to change.")
		} else {
			l.say("Nothing --fix can change: the findings above need a person (see their Fix).")
		}
		return
	}
	if len(p.Fixes) > 0 {
		l.say("\n%d %s to %s:", len(p.Fixes), Plural(len(p.Fixes), "change", "changes"), p.ClusterName)
	}
	l.say("%s\n", FixPlan(p, Plain(), Layout{}))
}

func (l *Lines) disableOverview(p *steps.DisablePlan) {
	o := DisableOverview(p)
	if o.Head != "" {
		l.say("%s", o.Head)
	} else {
		l.say("Log export of %s, status %s.", p.ClusterName, p.Status)
	}
	if o.Message != "" {
		l.say("Message: %s", o.Message)
	}
	for _, s := range o.Stops {
		l.say("Disabling stops %s.", s)
	}
	if len(o.Removes)+len(o.LogGroups) == 0 {
		l.say("Cleanup has nothing to remove: nothing in AWS carries this tool's tags for this cluster.")
	} else {
		l.say("Cleanup removes only what this tool made for this cluster (its tags say so):")
	}
	for _, r := range o.Removes {
		l.say("  %s", r)
	}
	for _, g := range o.LogGroups {
		l.say("  log group %s, only if you also choose to delete the log groups (they hold the exported logs)", g)
	}
	for _, k := range o.Kept {
		l.say("  keeps %s", k)
	}
	for _, u := range o.Untouched {
		l.say("  never touches %s", u)
	}
}

func (l *Lines) updatePlan(p *steps.UpdatePlan, old *awsiam.PolicyDocument) {
	l.text(p.WriteText)
	if p.Permission != nil {
		l.say("")
		l.say("Permission policy %s, its new default version (lines starting with - go, with + come):", p.PolicyARN)
		l.say("%s", PolicyDiff(Plain(), old, p.Permission, 0, false))
	}
	if c := p.Conflicts(); len(c) > 0 {
		l.say("The plan has %d %s; applying it would stop at %s.", len(c), Plural(len(c), "conflict", "conflicts"), steps.StepLabel(c[0].ID))
	} else if !p.Changes() {
		l.say("Nothing to change.")
	}
}
