package monitor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Finding is a doctor's finding as notifications carry it.
type Finding struct {
	Check    string         `json:"check"`
	Severity steps.Severity `json:"severity"`
	Summary  string         `json:"summary"`
	Fix      string         `json:"fix"`
}

// RegionLogs says whether logs arrive in one destination region.
type RegionLogs struct {
	Region   string    `json:"region"`
	Arriving bool      `json:"arriving"`
	Streams  int       `json:"streams"`
	Newest   time.Time `json:"newest_event,omitzero"`
	// NoLogGroup: the region's log group does not exist (or could not be
	// read).
	NoLogGroup bool `json:"no_log_group,omitempty"`
}

// Check is what one pass found about one cluster.
type Check struct {
	ClusterID   string          `json:"cluster_id"`
	ClusterName string          `json:"cluster_name"`
	Status      cloudapi.Status `json:"status,omitempty"`
	UserMessage string          `json:"user_message,omitempty"`
	// Health is the verdict; "" when the cluster could not be checked
	// (Error says why).
	Health Health `json:"health,omitempty"`
	// Skipped says why a cluster of the organization is not watched
	// (--all: no export configured, or not on AWS).
	Skipped string `json:"skipped,omitempty"`
	Error   string `json:"error,omitempty"`
	// Deep is set when the role, trust and policies were read in this
	// pass, not carried over from an earlier one.
	Deep    bool         `json:"deep,omitempty"`
	Regions []RegionLogs `json:"regions,omitempty"`
	// Findings are the error findings, then the warnings; Checks the IDs
	// of the errors.
	Findings []Finding `json:"findings,omitempty"`
	Checks   []string  `json:"checks,omitempty"`
	// Since is when the verdict last changed, as the state records it.
	Since time.Time `json:"since,omitzero"`
}

// Watched reports whether the check has a verdict on a watched export.
func (c Check) Watched() bool { return c.Health == Healthy || c.Health == Failing }

// checkWorkers bounds the clusters checked at once. The Cloud API's
// shared limiter sets the pace; this keeps its queue short and the AWS
// reads of a few clusters in flight while the next exports are read.
const checkWorkers = 16

// target is a cluster of the listing and whether it was named.
type target struct {
	cluster  cloudapi.Cluster
	explicit bool
}

// check lists the organization's clusters, picks the watched ones and
// checks them concurrently. It fails only when nothing can be checked: the
// listing or the AWS identity failed.
func (m *Monitor) check(ctx context.Context, deep bool) ([]Check, error) {
	env := m.cfg.Env
	all, err := env.Cloud.ListClusters(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the organization's clusters: %w", err)
	}
	targets, out := m.targets(all)
	live := map[string]bool{}
	for _, t := range targets {
		live[t.cluster.ID] = true
	}
	m.cache.keep(live)
	if len(targets) == 0 {
		return out, nil
	}
	caller, err := awsiam.CallerIdentity(ctx, env.AWS.STS)
	if err != nil {
		return nil, fmt.Errorf("identifying the AWS caller (%s): %w", steps.AWSCallerFix(err, env.AWS), err)
	}
	checks := make([]Check, len(targets))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(checkWorkers)
	for i, t := range targets {
		g.Go(func() error {
			checks[i] = m.checkOne(gctx, t, caller, deep)
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return append(checks, out...), nil
}

// targets resolves the clusters to watch: every cluster with --all, or
// those named. A name that matches no cluster (or several) is a check that
// failed, reported as such every pass.
func (m *Monitor) targets(all []cloudapi.Cluster) ([]target, []Check) {
	var targets []target
	var out []Check
	if m.cfg.All {
		for _, c := range all {
			targets = append(targets, target{cluster: c})
		}
		return targets, out
	}
	seen := map[string]bool{}
	for _, ref := range m.cfg.Clusters {
		c, err := cloudapi.MatchCluster(all, ref)
		if err != nil {
			out = append(out, Check{ClusterName: ref, Error: err.Error()})
			continue
		}
		if !seen[c.ID] {
			seen[c.ID] = true
			targets = append(targets, target{cluster: c, explicit: true})
		}
	}
	return targets, out
}

// checkOne reads one cluster's export and runs the doctor's checks on it:
// all of them on a deep pass, or again on the last diagnosis's facts with
// the status and streams read afresh — falling back to all of them when
// those facts no longer describe the export or the verdict moved.
func (m *Monitor) checkOne(ctx context.Context, t target, caller awsiam.Identity, deep bool) Check {
	c := Check{ClusterID: t.cluster.ID, ClusterName: t.cluster.Name}
	if err := t.cluster.CheckCloudWatch(); err != nil {
		if t.explicit {
			c.Error = fmt.Sprintf("CloudWatch log export does not apply: %v", err)
		} else {
			c.Health, c.Skipped = NotExported, err.Error()
		}
		return c
	}
	info, err := m.cfg.Env.Cloud.LogExport(ctx, t.cluster.ID)
	if err != nil {
		c.Error = "reading the export: " + err.Error()
		return c
	}
	c.Status, c.UserMessage = info.Status, info.UserMessage
	if !exporting(info) && !t.explicit {
		c.Health, c.Skipped = NotExported, "no log export"
		if info.Configured {
			c.Skipped = "log export " + string(info.Status)
		}
		return c
	}
	var report *steps.DoctorReport
	if !deep {
		prev, prevChecks := m.cache.get(t.cluster.ID)
		r, ok, err := steps.RecheckExport(ctx, m.cfg.Env, prev, t.cluster, info)
		if err != nil {
			c.Error = err.Error()
			return c
		}
		if ok && slices.Equal(errorChecks(r), prevChecks) {
			report = r
		}
	}
	if report == nil {
		r, err := steps.DiagnoseExport(ctx, m.cfg.Env, t.cluster, info, caller, m.cfg.Doctor)
		if err != nil {
			c.Error = diagnosisError(err)
			return c
		}
		report, c.Deep = r, true
	}
	if !m.cfg.Once && report.Facts != nil {
		m.cache.put(t.cluster.ID, report)
	}
	fillVerdict(&c, report, t.explicit)
	return c
}

// exporting reports whether a cluster has an export to watch: configured,
// and neither disabled nor being disabled.
func exporting(info cloudapi.LogExportInfo) bool {
	return info.Configured && info.Status != cloudapi.StatusDisabled && info.Status != cloudapi.StatusDisabling
}

func diagnosisError(err error) string {
	if se, ok := steps.AsStepError(err); ok {
		msg := se.Cause.Error()
		if se.Fix != "" {
			msg += " (" + se.Fix + ")"
		}
		return msg
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out: " + err.Error()
	}
	return err.Error()
}

// fillVerdict turns a doctor's report into a verdict: failing when any
// finding is an error; not checked when none is but an AWS read failed. A
// cluster named on the command line whose export is not running is
// failing too: its export-status finding (the doctor's info) counts as an
// error, since the logs it was named for do not flow.
func fillVerdict(c *Check, r *steps.DoctorReport, explicit bool) {
	c.Status = r.Status
	if r.Facts != nil {
		c.UserMessage = r.Facts.Export.UserMessage
		c.Regions = regionsOf(r.Facts)
	}
	var errs, warnings []Finding
	for _, f := range r.Findings {
		sev := f.Severity
		if explicit && f.Check == steps.CheckExportStatus && r.Facts != nil && !exporting(r.Facts.Export) {
			sev = steps.SeverityError
		}
		fd := Finding{Check: f.Check, Severity: sev, Summary: f.Summary, Fix: f.Fix}
		switch sev {
		case steps.SeverityError:
			errs = append(errs, fd)
			c.Checks = append(c.Checks, f.Check)
		case steps.SeverityWarning:
			warnings = append(warnings, fd)
		}
	}
	c.Findings = append(errs, warnings...)
	var unread error
	if r.Facts != nil {
		unread = r.Facts.ReadError()
	}
	switch {
	case len(errs) > 0:
		c.Health = Failing
	case unread != nil:
		// No error found, but a read failed (access denied, a server
		// error, a timeout): the checks it feeds said nothing, and a
		// silence is no verdict. Not checked, never healthy.
		c.Health, c.Error = "", "could not be checked: "+unread.Error()
	default:
		c.Health = Healthy
	}
}

// regionsOf summarises, per destination region, what the diagnosis saw of
// the log groups and their newest streams.
func regionsOf(f *steps.DoctorFacts) []RegionLogs {
	if !exporting(f.Export) {
		return nil
	}
	var out []RegionLogs
	for _, region := range f.Cluster.ExportRegions(f.Export.Spec) {
		rl := RegionLogs{Region: region}
		groups := 0
		for _, lg := range f.LogGroups {
			if lg.Region != region {
				continue
			}
			if lg.Err != nil || !lg.State.Exists {
				rl.NoLogGroup = true
				continue
			}
			groups++
			rl.Streams += len(lg.Streams)
			for _, s := range lg.Streams {
				for _, t := range []time.Time{s.LastEventTime, s.LastIngestionTime} {
					if t.After(rl.Newest) {
						rl.Newest = t
					}
				}
			}
		}
		rl.Arriving = groups > 0 && !rl.Newest.IsZero() && f.Now.Sub(rl.Newest) <= f.ArrivalWindow
		out = append(out, rl)
	}
	return out
}

func errorChecks(r *steps.DoctorReport) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Severity == steps.SeverityError {
			out = append(out, f.Check)
		}
	}
	return out
}

// factsCache keeps the facts and error checks of each cluster's last
// diagnosis, for the rechecks between deep passes of a long-running
// monitor. A --once run keeps nothing.
type factsCache struct {
	mu     sync.Mutex
	facts  map[string]*steps.DoctorFacts
	checks map[string][]string
}

func newFactsCache() *factsCache {
	return &factsCache{facts: map[string]*steps.DoctorFacts{}, checks: map[string][]string{}}
}

func (fc *factsCache) put(id string, r *steps.DoctorReport) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.facts[id] = r.Facts
	fc.checks[id] = errorChecks(r)
}

func (fc *factsCache) get(id string) (*steps.DoctorFacts, []string) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return fc.facts[id], fc.checks[id]
}

// keep drops every cluster but those in ids (a cluster deleted, or no
// longer exporting, frees its facts).
func (fc *factsCache) keep(ids map[string]bool) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	for id := range fc.facts {
		if !ids[id] {
			delete(fc.facts, id)
			delete(fc.checks, id)
		}
	}
}
