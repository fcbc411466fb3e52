package monitor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Config says what to watch, how, and whom to tell.
type Config struct {
	Env   *steps.Env
	Store Store
	// Clusters are the IDs or names to watch; All watches every cluster of
	// the organization that exports logs.
	Clusters []string
	All      bool
	// Once: every pass runs every check, and nothing is kept in memory for
	// the next (a --once process has no next).
	Once bool
	// DeepEvery runs the IAM checks every Nth pass of this process (1 or
	// less: every pass); the passes between recheck the status and logs.
	DeepEvery int
	// NotifySuccess also sends "ok" for every healthy export after each
	// pass.
	NotifySuccess bool
	// DailyReport is the local time ("15:04") after which a fleet report
	// goes out once a day; "" for none.
	DailyReport  string
	Destinations []*Destination
	Sender       *Sender
	Doctor       steps.DoctorOptions
	// OnLockWait is told once when a pass waits for another's lock.
	OnLockWait func(holder string)
	// Now is the clock (time.Now when nil); NewID names notifications
	// (random UUIDs when nil).
	Now   func() time.Time
	NewID func() string
}

// Monitor runs passes. A long-running monitor keeps one; each --once
// process makes one for its single pass.
type Monitor struct {
	cfg          Config
	reportH      int
	reportM      int
	passes       int
	cache        *factsCache
	destinations map[string]*Destination
}

// New checks the configuration.
func New(cfg Config) (*Monitor, error) {
	if cfg.Env == nil || cfg.Env.Cloud == nil || cfg.Env.AWS == nil {
		return nil, errors.New("monitor: no CockroachDB Cloud or AWS clients")
	}
	if !cfg.All && len(cfg.Clusters) == 0 {
		return nil, errors.New("monitor: no cluster to watch")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = func() string { return uuid.NewString() }
	}
	if cfg.Sender == nil {
		cfg.Sender = NewSender(SendPolicy{}, "crdb-logexport")
	}
	m := &Monitor{cfg: cfg, cache: newFactsCache(), destinations: map[string]*Destination{}, reportH: -1}
	if cfg.DailyReport != "" {
		h, mi, err := ParseClock(cfg.DailyReport)
		if err != nil {
			return nil, err
		}
		m.reportH, m.reportM = h, mi
	}
	for _, d := range cfg.Destinations {
		m.destinations[d.Key()] = d
	}
	return m, nil
}

// ParseClock reads a time of day written HH:MM (24-hour).
func ParseClock(s string) (hour, minute int, err error) {
	h, mi, ok := strings.Cut(strings.TrimSpace(s), ":")
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(mi)
	if !ok || err1 != nil || err2 != nil || len(mi) != 2 || hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return 0, 0, fmt.Errorf("%q is not a time of day like 09:00 (24-hour HH:MM, local time)", s)
	}
	return hour, minute, nil
}

// Pass checks every watched export once, records what changed, queues the
// notifications each destination has not had, and delivers the queue.
// Passes of every process sharing the store take turns.
func (m *Monitor) Pass(ctx context.Context) *PassResult {
	start := m.cfg.Now()
	res := &PassResult{Started: start}
	defer func() { res.Took = m.cfg.Now().Sub(start) }()
	unlock, err := m.cfg.Store.Lock(ctx, m.cfg.OnLockWait)
	if err != nil {
		res.Err = err
		return res
	}
	defer unlock()
	st, err := m.cfg.Store.Load()
	if err != nil {
		res.Err = err
		return res
	}
	m.passes++
	st.Passes++
	res.Number = st.Passes
	res.Deep = m.cfg.Once || m.cfg.DeepEvery <= 1 || (m.passes-1)%m.cfg.DeepEvery == 0
	checks, err := m.check(ctx, res.Deep)
	now := m.cfg.Now()
	if err != nil {
		res.Err = err
	} else {
		st.LastPass = now
		res.Checks = checks
		res.Events = m.record(st, checks, now)
		res.Events = append(res.Events, m.queue(st, checks, now)...)
	}
	if err := m.cfg.Store.Save(st); err != nil {
		res.Err = errors.Join(res.Err, err)
		return res
	}
	m.deliver(ctx, st, res)
	return res
}

// record updates each cluster's verdict and history, and returns the
// verdict changes as events.
func (m *Monitor) record(st *State, checks []Check, now time.Time) []Event {
	var events []Event
	for i := range checks {
		c := checks[i]
		if c.Error != "" {
			events = append(events, Event{Time: now, Event: EventCheckFailed, ClusterID: c.ClusterID, ClusterName: c.ClusterName, Error: c.Error})
			continue
		}
		cs := st.Clusters[c.ClusterID]
		if cs == nil {
			if !c.Watched() {
				// Never watched and not exporting: nothing to remember.
				continue
			}
			cs = &ClusterState{}
			st.Clusters[c.ClusterID] = cs
		}
		ev := transition(cs, c)
		cs.Name, cs.Status, cs.UserMessage, cs.CheckedAt = c.ClusterName, c.Status, c.UserMessage, now
		if cs.Health != c.Health {
			cs.Since = now
		}
		checks[i].Since = cs.Since
		previous := cs.Checks
		cs.Health, cs.Checks, cs.Findings = c.Health, c.Checks, c.Findings
		if ev == "" {
			continue
		}
		t := Transition{Time: now, Event: ev, To: c.Health, Status: c.Status, UserMessage: c.UserMessage, Findings: c.Findings}
		if n := len(cs.History); n > 0 {
			t.From = cs.History[n-1].To
		}
		if len(t.Findings) > findingsInHistory {
			t.Findings = t.Findings[:findingsInHistory]
		}
		cs.History = append(cs.History, t)
		if over := len(cs.History) - historyPerCluster; over > 0 {
			cs.History = slices.Delete(cs.History, 0, over)
		}
		e := Event{Time: now, Event: ev, ClusterID: c.ClusterID, ClusterName: c.ClusterName, Status: c.Status, UserMessage: c.UserMessage, Findings: c.Findings}
		if ev == EventUpdate {
			e.NewChecks = newChecks(previous, c.Checks)
		}
		events = append(events, e)
	}
	return events
}

// transition names the change from a cluster's last verdict to the check,
// "" when there is none worth recording.
func transition(cs *ClusterState, c Check) string {
	switch was, is := cs.Health, c.Health; {
	case was == is && is == Failing && (len(newChecks(cs.Checks, c.Checks)) > 0 || cs.Status != c.Status):
		return EventUpdate
	case was == is:
		return ""
	case is == Failing:
		return EventFailing
	case is == NotExported:
		return EventNotExported
	case was == Failing:
		return EventRecovered
	default:
		return EventWatching
	}
}

// queue compares each verdict with what each destination was last told,
// and puts the notifications it has not had in the outbox: they are saved
// before anything is sent.
func (m *Monitor) queue(st *State, checks []Check, now time.Time) []Event {
	var events []Event
	for _, d := range m.cfg.Destinations {
		ds := st.Destinations[d.Key()]
		if ds == nil {
			ds = &DestinationState{Kind: d.Kind(), Notified: map[string]Notified{}}
			st.Destinations[d.Key()] = ds
		}
		var notes []note
		var healthy []Check
		for _, c := range checks {
			if c.Error != "" {
				continue
			}
			told, known := ds.Notified[c.ClusterID]
			switch {
			case c.Health == NotExported:
				// Disabled on purpose, as a rule: the destination is not
				// told, and hears "failing" again if it comes back broken.
				delete(ds.Notified, c.ClusterID)
				continue
			case c.Health == Failing && told.Health != Failing:
				notes = append(notes, note{event: NotifyFailing, checks: []Check{c}})
			case c.Health == Failing && (len(newChecks(told.Checks, c.Checks)) > 0 || told.Status != c.Status):
				notes = append(notes, note{event: NotifyFailing, update: true, newChecks: newChecks(told.Checks, c.Checks), checks: []Check{c}})
			case c.Health == Healthy && known && told.Health == Failing:
				notes = append(notes, note{event: NotifyRecovered, checks: []Check{c}})
			case c.Health == Healthy:
				healthy = append(healthy, c)
			}
			ds.Notified[c.ClusterID] = Notified{Health: c.Health, Status: c.Status, Checks: c.Checks}
		}
		if m.cfg.NotifySuccess && len(healthy) > 0 {
			if d.Kind() == KindSlack {
				// One message for the fleet: Slack takes about one a second.
				notes = append(notes, note{event: NotifyOK, checks: healthy})
			} else {
				for _, c := range healthy {
					notes = append(notes, note{event: NotifyOK, checks: []Check{c}})
				}
			}
		}
		if day, due := m.reportDue(ds, now); due {
			notes = append(notes, note{event: NotifyReport, report: reportOf(st, checks)})
			ds.LastReport = day
		}
		for _, n := range notes {
			p, err := m.pending(d, n, now)
			if err != nil {
				events = append(events, Event{Time: now, Event: EventUndelivered, Destination: d.String(), Notification: n.event, Error: err.Error()})
				continue
			}
			if dropped, ok := enqueue(st, p); ok {
				events = append(events, Event{Time: now, Event: EventDropped, Destination: d.String(), Notification: dropped.Event, EventID: dropped.ID, ClusterName: dropped.ClusterName,
					Error: fmt.Sprintf("more than %d notifications were waiting for %s; the oldest was dropped", outboxPerDest, d)})
			}
		}
	}
	return events
}

// reportDue says whether a destination's daily report is due: it is past
// the report time today (local time) and today's has not gone out.
func (m *Monitor) reportDue(ds *DestinationState, now time.Time) (string, bool) {
	if m.reportH < 0 {
		return "", false
	}
	local := now.Local()
	day := local.Format(time.DateOnly)
	at := time.Date(local.Year(), local.Month(), local.Day(), m.reportH, m.reportM, 0, 0, time.Local)
	return day, !local.Before(at) && ds.LastReport != day
}

// reportOf is the fleet as the daily report shows it: every watched export
// with its verdict.
func reportOf(st *State, checks []Check) []ReportCluster {
	out := []ReportCluster{}
	for _, c := range checks {
		if c.Error == "" && !c.Watched() {
			continue
		}
		rc := ReportCluster{ClusterID: c.ClusterID, ClusterName: c.ClusterName, Health: c.Health, Status: c.Status,
			UserMessage: c.UserMessage, Findings: c.Findings, Error: c.Error}
		if rc.Findings == nil {
			rc.Findings = []Finding{}
		}
		if cs := st.Clusters[c.ClusterID]; cs != nil {
			rc.Since = cs.Since
		}
		out = append(out, rc)
	}
	return out
}

// pending renders a notification for a destination, with a new event id.
func (m *Monitor) pending(d *Destination, n note, now time.Time) (Pending, error) {
	id := m.cfg.NewID()
	body, err := render(d.Kind(), id, now, n)
	if err != nil {
		return Pending{}, err
	}
	p := Pending{ID: id, Destination: d.Key(), Event: n.event, Created: now.UTC(), Body: body}
	if n.event == NotifyFailing && n.update {
		p.Event = "failing (update)"
	}
	if len(n.checks) == 1 {
		p.ClusterID, p.ClusterName = n.checks[0].ClusterID, n.checks[0].ClusterName
	}
	return p, nil
}

// enqueue adds p to the outbox; when its destination already has
// outboxPerDest waiting (a webhook that has refused everything for a long
// while), the oldest is dropped and returned.
func enqueue(st *State, p Pending) (Pending, bool) {
	var dropped Pending
	var did bool
	if count(st.Outbox, p.Destination) >= outboxPerDest {
		for i, q := range st.Outbox {
			if q.Destination == p.Destination {
				dropped, did = q, true
				st.Outbox = slices.Delete(st.Outbox, i, i+1)
				break
			}
		}
	}
	st.Outbox = append(st.Outbox, p)
	return dropped, did
}

func count(outbox []Pending, dest string) int {
	n := 0
	for _, p := range outbox {
		if p.Destination == dest {
			n++
		}
	}
	return n
}

// deliver sends the outbox, oldest first, destination by destination. A
// delivery is marked — the state saved — the moment the receiver accepts
// it; the first failure stops that destination's queue until the next
// pass, so notifications arrive in order.
func (m *Monitor) deliver(ctx context.Context, st *State, res *PassResult) {
	defer func() { res.Pending = len(st.Outbox) }()
	failed := map[string]bool{}
	for i := 0; i < len(st.Outbox) && ctx.Err() == nil; {
		p := &st.Outbox[i]
		d := m.destinations[p.Destination]
		if d == nil || failed[p.Destination] {
			// Queued for a destination this run was not given (another
			// monitor's), or one that just failed: kept.
			i++
			continue
		}
		err := m.cfg.Sender.Send(ctx, d, p.ID, []byte(p.Body))
		now := m.cfg.Now()
		ev := Event{Time: now, Destination: d.String(), Notification: p.Event, EventID: p.ID, ClusterID: p.ClusterID, ClusterName: p.ClusterName}
		if err != nil {
			p.Attempts++
			p.LastAttempt, p.LastError = now.UTC(), err.Error()
			failed[p.Destination] = true
			res.Undelivered++
			ev.Event, ev.Error = EventUndelivered, err.Error()
			res.Events = append(res.Events, ev)
			if serr := m.cfg.Store.Save(st); serr != nil {
				res.Err = errors.Join(res.Err, serr)
				return
			}
			i++
			continue
		}
		st.Outbox = slices.Delete(st.Outbox, i, i+1)
		if serr := m.cfg.Store.Save(st); serr != nil {
			// Not marked: sending more now could only repeat it.
			res.Err = errors.Join(res.Err, fmt.Errorf("a notification was delivered but could not be marked so (it may be sent again): %w", serr))
			return
		}
		res.Delivered++
		ev.Event = EventNotified
		res.Events = append(res.Events, ev)
	}
}

// Hooks hear of a long-running monitor's passes.
type Hooks struct {
	// Start is called as a pass begins, Done with its result.
	Start func()
	Done  func(*PassResult)
}

// Run passes until ctx ends: one at once, then one every interval from
// the start of the last (at once if a pass took longer). now, when it
// receives, asks for a pass before the interval is up.
func (m *Monitor) Run(ctx context.Context, interval time.Duration, now <-chan struct{}, hooks Hooks) {
	for {
		start := time.Now()
		if hooks.Start != nil {
			hooks.Start()
		}
		res := m.Pass(ctx)
		if ctx.Err() != nil {
			return
		}
		if hooks.Done != nil {
			hooks.Done(res)
		}
		wait := time.NewTimer(max(0, interval-time.Since(start)))
		select {
		case <-ctx.Done():
			wait.Stop()
			return
		case <-now:
			wait.Stop()
		case <-wait.C:
		}
	}
}
