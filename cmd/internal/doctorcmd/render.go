package doctorcmd

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// width is where prose wraps: reports fit 80 columns. Evidence (JSON,
// ARNs) is never cut or broken, so it can be copied as it is.
const width = 78

var marks = map[steps.Severity]string{
	steps.SeverityError:   "✗ error",
	steps.SeverityWarning: "! warning",
	steps.SeverityInfo:    "· info",
	steps.SeverityOK:      "✓ ok",
}

// WriteReport prints a report for people: a headline, then the findings
// grouped by severity, worst first, and within errors and warnings the
// causes before what follows from them (steps.DoctorReport.Problems).
// Errors and warnings carry their detail, evidence and fix; info and ok
// findings, consequences of another finding among them, take one line each.
func WriteReport(w io.Writer, r *steps.DoctorReport) {
	counts := r.Counts()
	name := r.ClusterName
	if name == "" {
		name = r.ClusterID
	}
	fmt.Fprintf(w, "Log export of %s (%s): status %s — %d error(s), %d warning(s), %d info, %d ok\n",
		name, r.ClusterID, r.Status, counts[steps.SeverityError], counts[steps.SeverityWarning], counts[steps.SeverityInfo], counts[steps.SeverityOK])
	// Errors and warnings in full, causes before what follows from them.
	problems := r.Problems()
	for i, fd := range problems {
		if i == 0 || problems[i-1].Severity != fd.Severity {
			fmt.Fprintln(w)
		}
		writeFinding(w, fd, true)
	}
	for _, sev := range []steps.Severity{steps.SeverityInfo, steps.SeverityOK} {
		first := true
		for _, fd := range r.Findings {
			if fd.Severity != sev {
				continue
			}
			if first {
				fmt.Fprintln(w)
				first = false
			}
			writeFinding(w, fd, false)
		}
	}
}

// writeFinding prints one finding: its head line, and in full its detail,
// evidence and fix.
func writeFinding(w io.Writer, fd steps.Finding, full bool) {
	head := fmt.Sprintf("%-10s %-29s %s", marks[fd.Severity], fd.Check, fd.Summary)
	if full && len([]rune(head)) > width {
		// The summary goes below, wrapped, instead of running on.
		fmt.Fprintf(w, "%-10s %s\n", marks[fd.Severity], fd.Check)
		writeWrapped(w, "    ", fd.Summary)
	} else {
		fmt.Fprintln(w, head)
	}
	if !full {
		return
	}
	writeWrapped(w, "    ", fd.Detail)
	if fd.Evidence != "" {
		fmt.Fprintln(w, "    Evidence:")
		for _, line := range strings.Split(fd.Evidence, "\n") {
			fmt.Fprintf(w, "      %s\n", line)
		}
	}
	if fd.Fix != "" {
		fix := "Fix: " + fd.Fix
		if fd.Fixable {
			fix += " (doctor --fix can do this)"
		}
		writeWrapped(w, "    ", fix)
	}
}

func writeWrapped(w io.Writer, indent, text string) {
	if text == "" {
		return
	}
	for _, line := range wrap(text, width-len(indent)) {
		fmt.Fprintf(w, "%s%s\n", indent, line)
	}
}

// wrap breaks text into lines of at most n characters at spaces; a word
// longer than n (an ARN) gets a line of its own, whole.
func wrap(text string, n int) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			switch {
			case line == "":
				line = word
			case len(line)+1+len(word) <= n:
				line += " " + word
			default:
				lines = append(lines, line)
				line = word
			}
		}
		lines = append(lines, line)
	}
	return lines
}

// WritePlan prints what --fix will do, each change with its diff, and what
// it leaves to the user.
func WritePlan(w io.Writer, p *steps.FixPlan) {
	fmt.Fprintln(w)
	if p.Empty() {
		if len(p.Manual) == 0 {
			fmt.Fprintln(w, "Nothing for --fix to change.")
		} else {
			fmt.Fprintln(w, "Nothing --fix can change: the findings above need a person (see their Fix).")
		}
		return
	}
	if len(p.Fixes) > 0 {
		fmt.Fprintf(w, "Repairs --fix will make (%d):\n", len(p.Fixes))
	}
	for i, x := range p.Fixes {
		fmt.Fprintf(w, "\n%2d. [%s] %s\n", i+1, x.Kind, x.Summary)
		fmt.Fprintf(w, "    repairs: %s\n", strings.Join(x.Checks, ", "))
		for _, line := range strings.Split(x.Diff, "\n") {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
	if p.Reenable {
		fmt.Fprintf(w, "\nThen the export is enabled again (%s), once the checks pass.\n", p.ReenableReason)
	}
	if len(p.Manual) > 0 {
		fmt.Fprintln(w, "\nLeft to you (not changed by --fix):")
		for _, fd := range p.Manual {
			fmt.Fprintf(w, "  %s: %s\n", fd.Check, fd.Summary)
		}
	}
	fmt.Fprintln(w)
}

// fixReporter prints progress of the repairs to the UI stream.
type fixReporter struct {
	mu         sync.Mutex
	w          io.Writer
	lastStatus string
}

func newFixReporter(w io.Writer) *fixReporter { return &fixReporter{w: w} }

func (r *fixReporter) printf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, format, args...)
}

func (r *fixReporter) FixDone(_ steps.Fix, outcome string) { r.printf("✓ %s\n", outcome) }

func (r *fixReporter) FixFailed(x steps.Fix, err error) { r.printf("✗ %s: %v\n", x.Summary, err) }

func (r *fixReporter) Status(ev cloudapi.StatusEvent) {
	line := string(ev.Info.Status)
	if ev.Info.UserMessage != "" {
		line += ": " + ev.Info.UserMessage
	}
	if ev.Err != nil {
		line = "status check failed (will retry): " + ev.Err.Error()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if line == r.lastStatus {
		return
	}
	r.lastStatus = line
	fmt.Fprintf(r.w, "   status %s after %s\n", line, ev.Elapsed.Round(100*time.Millisecond))
}

func (r *fixReporter) PropagationWait(wait, remaining time.Duration, reason string) {
	r.printf("   waiting %s, then enabling again (%s left): %s\n", wait.Round(time.Second), remaining.Round(time.Second), reason)
}
