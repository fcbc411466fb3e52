package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// The fault matrix: every remote operation that setup, update and disable
// perform, crossed with four faults — throttling, a server error, a timeout
// and access denied. The operations are not listed here: a clean run of each
// command is recorded first and the matrix is computed from the calls the
// tool made, so a new operation is covered as soon as the tool makes it.
//
// What each fault should do (PRODUCT.md §3, §4, §7):
//   - throttling is transient everywhere: the AWS SDK and the Cloud client
//     retry it, and the run completes without the user doing anything;
//   - a server error is transient for AWS calls (the SDK retries 5xx) and
//     for Cloud reads; on a Cloud change (POST, DELETE) the outcome is
//     unknown, so the tool must not retry it blindly — it stops;
//   - access denied is permanent: the run stops naming the step, the
//     cause, the fix and the command that resumes;
//   - a timeout (the call never answers) ends the run at --timeout with
//     exit 124 and the command that resumes.
//
// Transient faults are injected a row at a time (one kind on every
// operation, one run); permanent ones a chain at a time (one operation, each
// permanent kind in turn, each run resuming the last). Every fault is
// checked to have reached the tool's own call. After every case the command
// completes (a transient fault: the same run; a permanent one: the printed
// resume command, once the fault is lifted), and what exists then is
// exactly what a clean run leaves: no resource twice, no extra policy
// version, the journal recording each resource once. Under -short only
// setup's chains run, with every row.

type faultKind string

const (
	faultThrottle faultKind = "throttling"
	faultServer   faultKind = "server-error"
	faultTimeout  faultKind = "timeout"
	faultDenied   faultKind = "access-denied"
)

var faultKinds = []faultKind{faultThrottle, faultServer, faultTimeout, faultDenied}

// Messages the injected Cloud faults carry, to find in the tool's report.
const (
	cloudDeniedMessage   = "service account lacks the Cluster Admin role (sandbox fault)"
	cloudInternalMessage = "internal error (sandbox fault)"
)

// serviceOf is "iam", "sts", "logs" or "cloud".
func serviceOf(op string) string {
	s, _, _ := strings.Cut(op, ":")
	return s
}

// isCloudChange reports whether a Cloud operation changes something (the
// OpenAPI operations that read are named Get… and List…).
func isCloudChange(op string) bool {
	_, name, _ := strings.Cut(op, ":")
	return serviceOf(op) == "cloud" && !strings.HasPrefix(name, "Get") && !strings.HasPrefix(name, "List")
}

// transient says whether the tool should get past the fault by itself.
func transient(op string, kind faultKind) bool {
	switch kind {
	case faultThrottle:
		return true
	case faultServer:
		return !isCloudChange(op)
	}
	return false
}

// faultFor renders a fault the way the service would answer. Transient
// faults happen a bounded number of times; permanent ones persist until
// the test lifts them (as a missing permission does until it is granted).
func faultFor(op string, kind faultKind) knobs.Fault {
	f := knobs.Fault{Op: op}
	svc := serviceOf(op)
	switch kind {
	case faultThrottle:
		f.Times = 2
		switch svc {
		case "cloud":
			// Each 429 holds every Cloud call back for at least a second
			// (Retry-After): once is enough to prove the retry.
			f.Status, f.Code, f.Message, f.Times = 429, "8", "rate limit exceeded", 1
		case "logs":
			f.Status, f.Code = 400, "ThrottlingException"
		default:
			f.Status, f.Code = 400, "Throttling"
		}
	case faultServer:
		f.Times = 2
		switch svc {
		case "cloud":
			f.Status, f.Code, f.Message = 500, "13", cloudInternalMessage
			if isCloudChange(op) {
				// Once: a tool that retried the change blindly would then
				// succeed, and the run would not stop as it must.
				f.Times = 1
			}
		case "logs":
			f.Status, f.Code = 500, "ServiceUnavailableException"
		default:
			f.Status, f.Code = 500, "ServiceFailure"
		}
	case faultDenied:
		f.Times = -1
		switch svc {
		case "cloud":
			f.Status, f.Code, f.Message = 403, "7", cloudDeniedMessage
		case "logs":
			f.Status, f.Code = 400, "AccessDeniedException"
		default:
			f.Status, f.Code = 403, "AccessDenied"
		}
	case faultTimeout:
		f.Times, f.Hang = -1, true
	}
	return f
}

// matrixCommand is one command under test, run after pre (when set).
type matrixCommand struct {
	name string
	pre  []string
	args []string
}

var setupProd = []string{"setup", "--cluster", "prod-aws", "--yes"}

var matrixCommands = []matrixCommand{
	{name: "setup", args: setupProd},
	{name: "update", pre: setupProd, args: []string{"update", "--cluster", "prod-aws", "--log-group", "crdb-prod-v2", "--yes"}},
	{name: "disable", pre: setupProd, args: []string{"disable", "--cluster", "prod-aws", "--yes", "--cleanup"}},
}

// baseline is what a clean run of a command does and leaves.
type baseline struct {
	ops []string
	// reached is how long after the start the run first called each
	// operation.
	reached     map[string]time.Duration
	fingerprint string
	steps       map[string]string
}

func recordBaseline(t *testing.T, c matrixCommand) baseline {
	s := newScenario(t, cloudemu.DefaultAPIKey)
	if c.pre != nil {
		s.mustRun(c.pre...)
	}
	mark := s.calls.mark()
	start := time.Now()
	s.mustRun(c.args...)
	calls := s.calls.since(mark)
	b := baseline{ops: opsOf(calls), reached: map[string]time.Duration{}}
	for _, call := range calls {
		if _, seen := b.reached[call.Op]; !seen {
			b.reached[call.Op] = call.At.Sub(start)
		}
	}
	s.checkOpNames(b.ops)
	for _, op := range b.ops {
		if strings.Contains(op, "unknown") {
			t.Fatalf("%s made a call the test cannot name: %s", c.name, op)
		}
	}
	b.fingerprint = s.fingerprint(cloudemu.ProdAWSClusterID)
	b.steps = s.journalSteps(cloudemu.ProdAWSClusterID)
	s.checkJournal(cloudemu.ProdAWSClusterID, b.steps)
	return b
}

// faultCase is either a row — one transient fault on every operation at
// once, all of which the same run must absorb — or a chain: one operation
// given each of its permanent faults in turn. Every run of a chain stops and
// reports; the next starts from the resume command it printed (so the
// permanent faults after the first also hit a resumed run); once the last
// fault is lifted, the resume command completes.
type faultCase struct {
	cmd  matrixCommand
	base baseline
	// kind and row: a transient row.
	kind faultKind
	row  []knobs.Fault
	// op and chain: a permanent chain.
	op    string
	chain []faultKind
}

func (c faultCase) name() string {
	if c.row != nil {
		return fmt.Sprintf("%s/%s/every-operation", c.cmd.name, c.kind)
	}
	return fmt.Sprintf("%s/%s/%s", c.cmd.name, c.op, kindList(c.chain))
}

func kindList(kinds []faultKind) string {
	var names []string
	for _, k := range kinds {
		names = append(names, string(k))
	}
	return strings.Join(names, "+")
}

// chainOrder puts the timeout first: its --timeout budget comes from how
// long a clean run takes to reach the call, which holds for a fresh run.
var chainOrder = []faultKind{faultTimeout, faultDenied, faultServer, faultThrottle}

// matrixCases computes the rows and chains of one command from the
// operations its clean run performed.
func matrixCases(cmd matrixCommand, base baseline) []faultCase {
	var cases []faultCase
	for _, kind := range faultKinds {
		var row []knobs.Fault
		for _, op := range base.ops {
			if transient(op, kind) {
				row = append(row, faultFor(op, kind))
			}
		}
		if row != nil {
			cases = append(cases, faultCase{cmd: cmd, base: base, kind: kind, row: row})
		}
	}
	for _, op := range base.ops {
		var chain []faultKind
		for _, kind := range chainOrder {
			if !transient(op, kind) {
				chain = append(chain, kind)
			}
		}
		if chain != nil {
			cases = append(cases, faultCase{cmd: cmd, base: base, op: op, chain: chain})
		}
	}
	return cases
}

func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	bases := make([]baseline, len(matrixCommands))
	indexes := make([]int, len(matrixCommands))
	for i := range indexes {
		indexes[i] = i
	}
	boundedParallel(t, len(matrixCommands), indexes, func(i int) string { return "baseline/" + matrixCommands[i].name },
		func(t *testing.T, i int) { bases[i] = recordBaseline(t, matrixCommands[i]) })
	if t.Failed() {
		return
	}

	var cases []faultCase
	cells, transients := 0, 0
	for i, cmd := range matrixCommands {
		t.Logf("%s: %d operations: %s", cmd.name, len(bases[i].ops), strings.Join(bases[i].ops, " "))
		for _, c := range matrixCases(cmd, bases[i]) {
			if testing.Short() && c.row == nil && cmd.name != "setup" {
				continue
			}
			cases = append(cases, c)
			cells += len(c.row) + len(c.chain)
			transients += len(c.row)
		}
	}
	t.Logf("fault matrix: %d cells — %d transient, absorbed row by row; %d permanent, chained per operation — in %d cases",
		cells, transients, cells-transients, len(cases))

	boundedParallel(t, 16, cases, faultCase.name, func(t *testing.T, c faultCase) {
		if c.row != nil {
			runRow(t, c)
			return
		}
		runChain(t, c)
	})
}

// runRow injects a transient fault on every operation and expects the run
// to complete by itself.
func runRow(t *testing.T, c faultCase) {
	s := newScenario(t, cloudemu.DefaultAPIKey)
	if c.cmd.pre != nil {
		s.mustRun(c.cmd.pre...)
	}
	mark := s.calls.mark()
	for _, f := range c.row {
		s.controls(f.Op).InjectFault(f)
	}
	r := s.run(c.cmd.args...)
	checkFaultsReachedTool(t, c.row, s.calls.since(mark))
	if r.code != 0 {
		t.Fatalf("a transient fault stopped the run:\n%s", r)
	}
	checkEndState(t, s, c, r)
}

// timeoutBudgets are the --timeout values tried for a hanging call: three
// times as long as a clean run took to reach the call, and a second, ample
// one for a machine slower than it was then. A budget that runs out before
// the call is reached proves nothing, so the case is tried again; it is not
// a timed assertion.
func timeoutBudgets(reached time.Duration) []time.Duration {
	return []time.Duration{max(2*time.Second, 3*reached+time.Second), 30 * time.Second}
}

func runChain(t *testing.T, c faultCase) {
	budgets := timeoutBudgets(c.base.reached[c.op])
	for i, budget := range budgets {
		if attemptChain(t, c, c.chain, budget, i == len(budgets)-1) {
			return
		}
		t.Logf("the hanging call was not reached within --timeout %s; trying again with more time", budget)
	}
}

// attemptChain runs the faults of a chain in a fresh sandbox. It returns
// false, without failing, when the first run's timeout budget ran out
// before the hanging call was reached and last is false. A resumed run may
// rightly not need the operation again (a wait that already ended, a check
// of a configuration left unchanged): it then completes, and the remaining
// faults start over from a fresh sandbox.
func attemptChain(t *testing.T, c faultCase, kinds []faultKind, budget time.Duration, last bool) bool {
	s := newScenario(t, cloudemu.DefaultAPIKey)
	if c.cmd.pre != nil {
		s.mustRun(c.cmd.pre...)
	}
	args := slices.Clone(c.cmd.args)
	var first result
	for i, kind := range kinds {
		f := faultFor(c.op, kind)
		mark := s.calls.mark()
		s.controls(f.Op).InjectFault(f)
		runArgs := args
		if kind == faultTimeout {
			runArgs = append(slices.Clone(args), "--timeout", budget.String())
		}
		r := s.run(runArgs...)
		calls := s.calls.since(mark)
		s.clearFaults()
		if i == 0 {
			first = r
			if kind == faultTimeout && !last && !hung(calls, c.op) {
				return false
			}
		} else if r.code == 0 && !slices.ContainsFunc(calls, func(call call) bool { return call.Op == c.op }) {
			t.Logf("the run resuming after %s did not need %s again and completed; %s starts over", kinds[i-1], c.op, kindList(kinds[i:]))
			checkEndState(t, s, c, first)
			return attemptChain(t, c, kinds[i:], budget, true)
		}
		checkFaultsReachedTool(t, []knobs.Fault{f}, calls)
		args = checkPermanentReport(t, c.cmd, kind, f, r)
	}
	r := s.run(args...)
	if r.code != 0 {
		t.Fatalf("the resume command did not complete after the faults were lifted:\n%s\nfirst run:\n%s", r, first)
	}
	checkEndState(t, s, c, first)
	return true
}

// checkEndState compares what the runs left with what a clean run leaves.
func checkEndState(t *testing.T, s *scenario, c faultCase, first result) {
	t.Helper()
	if got := s.fingerprint(cloudemu.ProdAWSClusterID); got != c.base.fingerprint {
		t.Errorf("after the faults and the rerun, the state differs from a clean run's\n--- got\n%s--- want\n%s\nfirst run:\n%s", got, c.base.fingerprint, first)
	}
	s.checkJournal(cloudemu.ProdAWSClusterID, c.base.steps)
}

var stepLabel = regexp.MustCompile(`step (\d+ \(|“)`)

// hung reports whether a call to op arrived and was never answered.
func hung(calls []call, op string) bool {
	return slices.ContainsFunc(calls, func(c call) bool { return c.Op == op && c.Status == 0 })
}

// checkFaultsReachedTool proves each fault was answered to the tool, not
// to the Cloud emulator's own AWS calls and not left unused: a fault that
// never reached the tool proves nothing.
func checkFaultsReachedTool(t *testing.T, faults []knobs.Fault, calls []call) {
	t.Helper()
	for _, f := range faults {
		if f.Hang {
			if !hung(calls, f.Op) {
				t.Errorf("%s: the tool's call never hung (the fault did not reach it)", f.Op)
			}
			continue
		}
		got := 0
		for _, c := range calls {
			if c.Op == f.Op && c.Status == f.Status && strings.Contains(c.Body, faultMarker(f)) {
				got++
			}
		}
		switch {
		case f.Times < 0 && got == 0:
			t.Errorf("%s: the tool never received the injected %d %s", f.Op, f.Status, f.Code)
		case f.Times > 0 && got != f.Times:
			t.Errorf("%s: the tool received the injected %d %s %d times, want %d (the rest went elsewhere)", f.Op, f.Status, f.Code, got, f.Times)
		}
	}
}

// faultMarker is text the answer to a fault carries.
func faultMarker(f knobs.Fault) string {
	if f.Message != "" {
		return f.Message
	}
	return f.Code
}

// checkPermanentReport checks how a run stopped by a permanent fault
// reports it, and returns the arguments of the printed resume command.
func checkPermanentReport(t *testing.T, cmd matrixCommand, kind faultKind, f knobs.Fault, r result) []string {
	t.Helper()
	wantCode := 1
	if kind == faultTimeout {
		wantCode = 124
	}
	if r.code != wantCode {
		t.Fatalf("want exit %d for %s on %s, got:\n%s", wantCode, kind, f.Op, r)
	}
	switch kind {
	case faultTimeout:
		if !strings.Contains(r.stderr, "Timed out after") {
			t.Errorf("a timeout is not reported as one:\n%s", r)
		}
	default:
		if !stepLabel.MatchString(r.stderr) {
			t.Errorf("the report does not name the step:\n%s", r)
		}
		if !strings.Contains(r.stderr, faultMarker(f)) {
			t.Errorf("the report does not give the cause (%q):\n%s", faultMarker(f), r)
		}
		if !regexp.MustCompile(`(?m)^Fix: \S`).MatchString(r.stderr) {
			t.Errorf("the report has no Fix line:\n%s", r)
		}
	}
	args, ok := resumeCommand(r.stderr)
	if !ok {
		t.Fatalf("the report has no resume command:\n%s", r)
	}
	if args[0] != cmd.args[0] || !slices.Contains(args, "--yes") || !containsSeq(args, "--cluster", "prod-aws") {
		t.Fatalf("the resume command %q is not the %s that failed:\n%s", args, cmd.name, r)
	}
	// The --timeout given to provoke the timeout is the test's, not the
	// user's: the rerun gets the default.
	if i := slices.Index(args, "--timeout"); i >= 0 && i+1 < len(args) {
		args = slices.Delete(args, i, i+2)
	}
	return args
}

// containsSeq reports whether a holds x immediately followed by y.
func containsSeq(a []string, x, y string) bool {
	for i := 0; i+1 < len(a); i++ {
		if a[i] == x && a[i+1] == y {
			return true
		}
	}
	return false
}
