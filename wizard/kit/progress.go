package kit

import (
	"time"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Progress is what a running apply — setup's or update's — has reported:
// the checklist, the live status, the IAM wait and the logs per region.
type Progress struct {
	Marks    Checklist
	LastDone string
	ErrTook  time.Duration
	Status   *cloudapi.StatusEvent
	EnableAt time.Time
	// Polls counts the polls of earlier watches, when the export was
	// enabled again; lastPolls is the current watch's count.
	Polls, lastPolls int
	Wait             *Propagation
	Streams          map[string]steps.RegionStreams
}

// Reset forgets what an earlier run reported.
func (p *Progress) Reset() { *p = Progress{Streams: map[string]steps.RegionStreams{}} }

// Record applies one event at now; it reports whether the event was a
// progress event.
func (p *Progress) Record(ev steps.Event, now time.Time) bool {
	if p.Streams == nil {
		p.Streams = map[string]steps.RegionStreams{}
	}
	switch ev := ev.(type) {
	case steps.StepStarted:
		if mk := p.Marks.At(ev.Step); mk != nil {
			mk.State = MarkRunning
		}
		if ev.Step == steps.StepEnable {
			p.EnableAt = now
		}
	case steps.StepDone:
		if mk := p.Marks.At(ev.Step); mk != nil {
			*mk = Mark{State: MarkDone, Took: ev.Took, Timed: true, Summary: ev.Summary}
		}
		p.LastDone = ev.Step
	case steps.StepFailed:
		if mk := p.Marks.At(ev.Step); mk != nil {
			*mk = Mark{State: MarkFailed, Took: ev.Took, Timed: true}
		}
		p.ErrTook = ev.Took
	case steps.StatusSeen:
		e := ev.Status
		if e.Polls < p.lastPolls {
			// A new watch after enabling again: keep counting.
			p.Polls += p.lastPolls
		}
		p.lastPolls = e.Polls
		p.Status = &e
		if p.Wait != nil && now.After(p.Wait.Until) {
			p.Wait = nil
		}
	case steps.Propagating:
		p.Wait = &Propagation{Until: now.Add(ev.Wait), Deadline: now.Add(ev.Remaining), Reason: ev.Reason}
	case steps.StreamsSeen:
		p.Streams[ev.Streams.Region] = ev.Streams
	default:
		return false
	}
	return true
}

// StatusView is the export's status while enabling, counted from the
// first POST across the re-enables of an IAM propagation wait; waiting
// says whether a propagation wait still counts down. Before the first poll
// it is the spinner line of sending, or nothing.
func (p *Progress) StatusView(s *Styles, spin, sending string, waiting bool, now time.Time, w int) string {
	if p.Status == nil {
		if mk := p.Marks.At(steps.StepEnable); mk != nil && mk.State == MarkRunning {
			return SpinnerLine(spin, sending, w)
		}
		return ""
	}
	elapsed := p.Status.Elapsed
	if !p.EnableAt.IsZero() {
		if mk := p.Marks.At(steps.StepEnable); mk.Timed {
			elapsed = mk.Took
		} else {
			elapsed = now.Sub(p.EnableAt)
		}
	}
	var wait *Propagation
	if waiting {
		wait = p.Wait
	}
	return ExportStatusView(*p.Status, elapsed, p.Polls+p.Status.Polls, wait, now, s, w)
}
