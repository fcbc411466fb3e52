package main

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// Kill and resume: `setup --cluster prod-aws --yes` is killed with SIGKILL —
// no handler runs, nothing is flushed — at every step boundary and in the
// middle of every remote call, then run again. The rerun must complete and
// leave exactly what an uninterrupted run leaves (one role, one policy with
// one version, one log group per region, the export ENABLED), with a journal
// that records every resource the tool made, once.
//
// Three kinds of kill point, all computed from an uninterrupted run:
//   - a step boundary: right after the k-th step reported its outcome;
//   - a call in flight: when the call reaches the emulator, before it takes
//     effect;
//   - a call carried out but unanswered: the emulator made the change, and
//     the tool dies before hearing so — the window between a resource
//     coming into existence and the journal recording it.

type killPoint struct {
	// boundary: kill once this many step outcomes were printed (0: at the
	// first line of output, before any step).
	boundary int
	// op: kill at this call; applied: after the emulator carried it out.
	op      string
	applied bool
}

func (k killPoint) name() string {
	switch {
	case k.op == "":
		return fmt.Sprintf("after-%d-steps", k.boundary)
	case k.applied:
		return "applied-unanswered/" + k.op
	}
	return "in-flight/" + k.op
}

// changes reports whether an operation changes something (reads are
// named Get…, List… and Describe…).
func changes(op string) bool {
	_, name, _ := strings.Cut(op, ":")
	for _, read := range []string{"Get", "List", "Describe"} {
		if strings.HasPrefix(name, read) {
			return false
		}
	}
	return true
}

func TestKillAndResume(t *testing.T) {
	t.Parallel()
	ref := newScenario(t, cloudemu.DefaultAPIKey)
	clean := ref.mustRun(setupProd...)
	ops := opsOf(ref.calls.snapshot())
	ref.checkOpNames(ops)
	want := ref.fingerprint(cloudemu.ProdAWSClusterID)
	wantSteps := ref.journalSteps(cloudemu.ProdAWSClusterID)
	ref.checkJournal(cloudemu.ProdAWSClusterID, wantSteps)
	boundaries := strings.Count(clean.stderr, "\n✓ ")
	if boundaries < 10 {
		t.Fatalf("an uninterrupted setup reported %d steps, want the ten:\n%s", boundaries, clean)
	}

	var points []killPoint
	for k := 0; k < boundaries; k++ {
		points = append(points, killPoint{boundary: k})
	}
	for _, op := range ops {
		points = append(points, killPoint{op: op})
		if changes(op) {
			points = append(points, killPoint{op: op, applied: true})
		}
	}
	t.Logf("%d kill points: %d step boundaries, %d calls in flight, %d changes carried out but unanswered",
		len(points), boundaries, len(ops), len(points)-boundaries-len(ops))

	boundedParallel(t, 12, points, killPoint.name, func(t *testing.T, k killPoint) {
		s := newScenario(t, cloudemu.DefaultAPIKey)
		var p *process
		ready := make(chan struct{})
		var fired atomic.Bool
		atCall := func(op string) bool {
			<-ready
			if op != k.op || !fired.CompareAndSwap(false, true) {
				return false
			}
			p.kill()
			return true
		}
		switch {
		case k.op != "" && k.applied:
			s.calls.hooks(nil, atCall)
		case k.op != "":
			s.calls.hooks(atCall, nil)
		}
		p = s.start("", setupProd...)
		close(ready)
		if k.op == "" {
			seen := 0
			for line := range p.lines {
				if strings.HasPrefix(line, "✓ ") {
					seen++
				}
				if seen >= k.boundary {
					p.kill()
					break
				}
			}
		}
		killed := p.wait(t)
		s.calls.hooks(nil, nil)
		if !killed.killed || killed.code != -1 {
			t.Fatalf("the run was not killed at %s (it ended by itself):\n%s", k.name(), killed)
		}
		// Whatever the moment, the journal on disk is whole (it is replaced
		// atomically), so the rerun can read it.
		s.readJournal(cloudemu.ProdAWSClusterID)

		again := s.run(setupProd...)
		if again.code != 0 {
			t.Fatalf("the rerun after a kill at %s did not complete:\n%s\nkilled run:\n%s", k.name(), again, killed)
		}
		if got := s.fingerprint(cloudemu.ProdAWSClusterID); got != want {
			t.Errorf("after a kill at %s and a rerun, the state differs from an uninterrupted run's\n--- got\n%s--- want\n%s\nkilled run:\n%s\nrerun:\n%s", k.name(), got, want, killed, again)
		}
		s.checkJournal(cloudemu.ProdAWSClusterID, wantSteps)
	})
}
