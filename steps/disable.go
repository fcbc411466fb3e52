package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// Steps of `disable`, after the ten of setup.
const (
	StepDisable = "disable"
	StepCleanup = "cleanup"
)

// namedTitles name the steps outside the ten documented ones: disable's,
// and learning whose AWS credentials the tool acts with.
var namedTitles = map[string]string{
	StepDisable:     "Disable log export and wait",
	StepCleanup:     "Remove the AWS resources this tool created",
	StepAWSIdentity: "Identify the AWS account",
}

// StepAWSIdentity is learning whose AWS credentials the tool acts with
// (STS GetCallerIdentity): every procedure starts there, and it is none of
// the ten steps (it is not step 5's role).
const StepAWSIdentity = "aws-identity"

// StepLabel names a step of any procedure for messages: "step 7 (Grant the
// CloudWatch Logs actions)" for the ten documented steps, the title alone
// for disable's.
func StepLabel(id string) string {
	if n := StepNumber(id); n > 0 {
		return fmt.Sprintf("step %d (%s)", n, StepTitle(id))
	}
	if t, ok := namedTitles[id]; ok {
		return "step “" + t + "”"
	}
	return "step " + id
}

// DisableInput is what the user asked for.
type DisableInput struct {
	Cluster string `json:"cluster,omitempty"`
	// Cleanup removes, once the export is disabled, the AWS resources
	// whose tags say this tool made them for the cluster.
	Cleanup bool `json:"cleanup,omitempty"`
	// DeleteLogGroups also removes log groups the tool created. They hold
	// the exported logs: callers must have confirmed it separately.
	DeleteLogGroups bool `json:"delete_log_groups,omitempty"`
}

// CleanupItem is one resource cleanup would act on.
type CleanupItem struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Region string `json:"region,omitempty"`
	// Remove is false for resources that are kept; Reason says why.
	Remove bool   `json:"remove"`
	Reason string `json:"reason,omitempty"`
	// Empty marks a log group that holds no logs: cleanup removes it
	// without --delete-log-group, as nothing is lost with it.
	Empty bool `json:"empty,omitempty"`
}

// Label names the resource for people.
func (c CleanupItem) Label() string {
	switch c.Kind {
	case KindAttachment:
		role, policy, _ := strings.Cut(c.ID, "|")
		return "attachment of " + policy + " to " + role
	case KindLogGroup:
		return "log group " + c.ID + " in " + c.Region
	}
	return c.Kind + " " + c.ID
}

// DisablePlan is what disabling will stop and, with cleanup, remove.
type DisablePlan struct {
	ClusterID   string          `json:"cluster_id"`
	ClusterName string          `json:"cluster_name"`
	Status      cloudapi.Status `json:"status"`
	UserMessage string          `json:"user_message,omitempty"`
	Configured  bool            `json:"configured"`
	// AlreadyDisabled: nothing to DELETE (cleanup may still have work).
	AlreadyDisabled bool                    `json:"already_disabled"`
	Spec            *cloudapi.LogExportSpec `json:"spec,omitempty"`
	// Stops lists, for people, what disabling ends.
	Stops   []string      `json:"stops"`
	Cleanup bool          `json:"cleanup"`
	Items   []CleanupItem `json:"items"`
	// Untouched lists resources in the configuration that this tool did
	// not create; cleanup never touches them.
	Untouched       []string `json:"untouched"`
	DeleteLogGroups bool     `json:"delete_log_groups"`
	JournalPath     string   `json:"journal"`
	// priorState is what the plan read (see SavedPlan).
	priorState []PriorState
}

// RemovesLogGroups reports whether the plan deletes a log group that
// holds logs: the one change that needs a second confirmation.
func (p *DisablePlan) RemovesLogGroups() bool {
	for _, it := range p.Items {
		if it.Kind == KindLogGroup && it.Remove && !it.Empty {
			return true
		}
	}
	return false
}

// WriteText renders the plan for people.
func (p *DisablePlan) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Disable log export of cluster %s (%s) — status %s\n", p.ClusterName, p.ClusterID, p.Status)
	if p.UserMessage != "" {
		fmt.Fprintf(w, "  message: %s\n", p.UserMessage)
	}
	if p.AlreadyDisabled {
		fmt.Fprintln(w, "  The export is already disabled: there is nothing to stop.")
	}
	for _, s := range p.Stops {
		fmt.Fprintf(w, "  stops: %s\n", s)
	}
	if !p.Cleanup {
		return
	}
	fmt.Fprintln(w, "\nCleanup (only what this tool created, according to "+p.JournalPath+"):")
	if len(p.Items) == 0 {
		fmt.Fprintln(w, "  nothing: the journal records no resource this tool created for the cluster")
	}
	for _, it := range p.Items {
		if it.Remove {
			fmt.Fprintf(w, "  - delete %s\n", it.Label())
		} else {
			fmt.Fprintf(w, "  = keep   %s (%s)\n", it.Label(), it.Reason)
		}
	}
	for _, u := range p.Untouched {
		fmt.Fprintf(w, "  = keep   %s (not created by this tool)\n", u)
	}
}

// PrepareDisable reads the export and, for cleanup, the live AWS side,
// and says what disabling will stop and cleanup remove (see planCleanup).
// It changes nothing. Without cleanup it needs no AWS call and no journal.
func PrepareDisable(ctx context.Context, env *Env, in DisableInput) (*DisablePlan, error) {
	if in.Cleanup && env.AWS == nil {
		return nil, errors.New("cleanup reads AWS: no AWS clients were given")
	}
	cluster, err := FindCluster(ctx, env, in.Cluster)
	if err != nil {
		return nil, err
	}
	if _, err := env.HoldCluster(ctx, cluster.ID); err != nil {
		return nil, err
	}
	info, err := env.Cloud.LogExport(ctx, cluster.ID)
	if err != nil {
		return nil, &StepError{Step: StepDisable, Cause: err, Fix: cloudAuthFix(err), Permanent: !transientCloud(err)}
	}
	p := &DisablePlan{
		ClusterID: cluster.ID, ClusterName: cluster.Name,
		Status: info.Status, UserMessage: info.UserMessage, Configured: info.Configured,
		AlreadyDisabled: info.Status == cloudapi.StatusDisabled,
		Stops:           []string{}, Items: []CleanupItem{}, Untouched: []string{},
		Cleanup: in.Cleanup, DeleteLogGroups: in.DeleteLogGroups,
	}
	if info.Configured {
		spec := info.Spec
		p.Spec = &spec
	}
	p.priorState = []PriorState{{Resource: "export of " + cluster.Name, State: exportState(&info)}}
	if !p.AlreadyDisabled && p.Spec != nil {
		regions := cluster.ExportRegions(*p.Spec)
		for _, g := range p.Spec.LogGroups() {
			p.Stops = append(p.Stops, fmt.Sprintf("delivery of the cluster's logs to log group %s in %s", g, strings.Join(regions, ", ")))
		}
		p.Stops = append(p.Stops, "CockroachDB Cloud's use of the role "+p.Spec.AuthPrincipal)
	}
	if path, err := env.Journals.Path(cluster.ID); err == nil {
		p.JournalPath = path
	}
	if !in.Cleanup {
		return p, nil
	}
	if err := planCleanup(ctx, env, p, cluster, in); err != nil {
		return nil, err
	}
	p.Items = dedupeCleanup(p.Items)
	if p.Spec != nil && p.Spec.AuthPrincipal != "" && !slices.ContainsFunc(p.Items, func(it CleanupItem) bool { return it.Kind == KindRole && it.ID == p.Spec.AuthPrincipal }) {
		p.Untouched = append(p.Untouched, "role "+p.Spec.AuthPrincipal)
	}
	return p, nil
}

// cleanupOrder undoes dependencies first: a policy can only be deleted once
// detached, a role once its policies are.
var cleanupOrder = []string{KindAttachment, KindPolicy, KindRole, KindLogGroup}

func logGroupKey(name, region string) string { return "log-group|" + name + "|" + region }

// DisableOptions tune ApplyDisable.
type DisableOptions struct {
	Watch cloudapi.WatchOptions
	// StaleLimit is how long a status other than DISABLING may still be
	// read after the DELETE was accepted before the wait gives up
	// (default 1 min): the API may briefly answer with the old status.
	StaleLimit time.Duration
}

// ResourceReporter is implemented by Reporters that want to hear about
// each resource cleanup removes or keeps.
type ResourceReporter interface {
	ResourceRemoved(label string)
	ResourceKept(label, reason string)
}

// DisableResult is what disabling did.
type DisableResult struct {
	ClusterID   string          `json:"cluster_id"`
	ClusterName string          `json:"cluster_name"`
	Status      cloudapi.Status `json:"status"`
	UserMessage string          `json:"user_message"`
	// AlreadyDisabled: no DELETE was sent.
	AlreadyDisabled bool     `json:"already_disabled"`
	Removed         []string `json:"removed"`
	Kept            []string `json:"kept"`
	// Steps are the steps carried out, in the order they finished.
	Steps       []AppliedStep `json:"steps"`
	JournalPath string        `json:"journal"`
}

// ApplyDisable sends the DELETE (unless the export is already disabled or
// disabling), waits until the status is DISABLED (a 404 counts) or
// DISABLE_FAILED, and then, when the plan says so, removes the resources
// the journal records as created by this tool, each forgotten by the
// journal as soon as it is gone. Rerunning it after an interruption picks
// up where it stopped.
func ApplyDisable(ctx context.Context, env *Env, p *DisablePlan, opts DisableOptions, rep Reporter) (*DisableResult, error) {
	if rep == nil {
		rep = NopReporter{}
	}
	if waited, err := env.HoldCluster(ctx, p.ClusterID); err != nil {
		return nil, err
	} else if waited {
		return nil, errReplan(p.ClusterName)
	}
	// A damaged journal does not stop a disable: it is reported and left
	// as it is (cleanup finds what the tool made by its tags).
	j := env.readJournal(p.ClusterID, p.ClusterName)
	res := &DisableResult{
		ClusterID: p.ClusterID, ClusterName: p.ClusterName,
		Status: p.Status, UserMessage: p.UserMessage, AlreadyDisabled: p.AlreadyDisabled,
		Removed: []string{}, Kept: []string{}, Steps: []AppliedStep{}, JournalPath: p.JournalPath,
	}
	// Steps are recorded only in a journal that exists: a cluster this
	// tool never set up gets no journal just for being disabled (the API
	// itself tells a rerun where the disable stands).
	run := stepRunner{now: env.now, rep: rep,
		record: func(id, status, detail string) {
			if j != nil && j.Exists() {
				_ = j.MarkStep(id, status, detail)
			}
		},
		action: func(string) Action { return Info },
		done:   &appliedSteps{steps: &res.Steps},
	}.run
	if err := run(StepDisable, func() (string, error) { return disable(ctx, env, p, j, opts, rep, res) }); err != nil {
		return res, err
	}
	if !p.Cleanup {
		return res, nil
	}
	err := run(StepCleanup, func() (string, error) { return cleanup(ctx, env, p, j, rep, res) })
	return res, err
}

func disable(ctx context.Context, env *Env, p *DisablePlan, j *Journal, opts DisableOptions, rep Reporter, res *DisableResult) (string, error) {
	if p.AlreadyDisabled {
		return forgetExport(j, "already disabled")
	}
	if p.Status != cloudapi.StatusDisabling {
		info, err := env.Cloud.DeleteLogExport(ctx, p.ClusterID)
		if err != nil {
			fix := "check the message; the export is still as it was"
			if cloudapi.IsUnauthenticated(err) || cloudapi.IsPermissionDenied(err) {
				fix = "the API key needs the Cluster Admin role on this cluster"
			}
			return "", &StepError{Step: StepDisable, Cause: err, Fix: fix, Permanent: !transientCloud(err)}
		}
		res.Status, res.UserMessage = info.Status, info.UserMessage
	}
	final, err := waitDisabled(ctx, env, p.ClusterID, opts, rep)
	if err != nil {
		return "", &StepError{Step: StepDisable, Cause: err, Fix: "follow it with `crdb-logexport status --cluster " + p.ClusterName + " --watch`; running the same disable again resumes the wait"}
	}
	res.Status, res.UserMessage = final.Status, final.UserMessage
	if final.Status == cloudapi.StatusDisableFailed {
		return "", &StepError{Step: StepDisable, Cause: fmt.Errorf("log export is DISABLE_FAILED: %s", orNone(final.UserMessage)), Fix: "run the same command again to retry the DELETE; if it keeps failing, contact CockroachDB support with the message above", Permanent: true}
	}
	return forgetExport(j, "DISABLED")
}

// forgetExport records that the cluster exports no more: the journal's
// settings stop naming the role, policy and log group as in use, so
// another cluster's setup or cleanup may use or remove them. What the
// tool created stays recorded for cleanup.
func forgetExport(j *Journal, status string) (string, error) {
	if j != nil && j.Exists() {
		if err := j.SetSettings(map[string]string{"log_group": "", "role_arn": "", "policy_arn": "", "regions": "", settingSetupRun: ""}); err != nil {
			return "", err
		}
	}
	return "log export " + status, nil
}

// waitDisabled follows the status until DISABLED (a configuration that is
// gone counts) or DISABLE_FAILED. Other statuses are taken for stale reads
// for a while, then for another change having re-enabled the export.
func waitDisabled(ctx context.Context, env *Env, clusterID string, opts DisableOptions, rep Reporter) (cloudapi.LogExportInfo, error) {
	stale := opts.StaleLimit
	if stale <= 0 {
		stale = time.Minute
	}
	wo := opts.Watch
	wo.Goal = cloudapi.GoalFollow
	wo.WithCluster = true
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var last cloudapi.StatusEvent
	for ev := range cloudapi.Watch(ctx, env.Cloud, clusterID, wo) {
		rep.Status(ev)
		last = ev
		if ev.Err != nil {
			if ev.Done {
				return ev.Info, ev.Err
			}
			continue
		}
		switch s := ev.Info.Status; {
		case s == cloudapi.StatusDisabled || s == cloudapi.StatusDisableFailed:
			return ev.Info, nil
		case s != cloudapi.StatusDisabling && ev.Elapsed > stale:
			return ev.Info, fmt.Errorf("the export is %s, not disabling, %s after the DELETE was accepted: another change may have re-enabled it", s, ev.Elapsed.Round(time.Second))
		}
	}
	if err := ctx.Err(); err != nil {
		return last.Info, err
	}
	return last.Info, errors.New("status watch ended before the export was disabled")
}

// cleanup removes the planned resources in dependency order, rereading the
// journal so a resumed run only does what is left.
func cleanup(ctx context.Context, env *Env, p *DisablePlan, j *Journal, rep Reporter, res *DisableResult) (string, error) {
	rr, _ := rep.(ResourceReporter)
	var errs []error
	for _, it := range p.Items {
		label := it.Label()
		if !it.Remove {
			res.Kept = append(res.Kept, label+" ("+it.Reason+")")
			if rr != nil {
				rr.ResourceKept(label, it.Reason)
			}
			continue
		}
		r := Resource{Kind: it.Kind, ID: it.ID, Region: it.Region}
		_, kept, err := removeOne(ctx, env, j, p.ClusterID, r, RollbackOptions{DeleteLogGroups: p.DeleteLogGroups})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", label, err))
			res.Kept = append(res.Kept, label+" (removal failed: "+err.Error()+")")
			if rr != nil {
				rr.ResourceKept(label, "removal failed: "+err.Error())
			}
			continue
		}
		if kept != "" {
			res.Kept = append(res.Kept, label+" ("+kept+")")
			if rr != nil {
				rr.ResourceKept(label, kept)
			}
			continue
		}
		res.Removed = append(res.Removed, label)
		if rr != nil {
			rr.ResourceRemoved(label)
		}
	}
	for _, u := range p.Untouched {
		res.Kept = append(res.Kept, u+" (not created by this tool)")
	}
	if err := errors.Join(errs...); err != nil {
		return "", &StepError{Step: StepCleanup, Cause: err, Fix: "fix the cause above and run the same command again: what was removed is recorded and will not be touched again", Permanent: true}
	}
	if len(res.Removed) == 0 {
		return "nothing to remove", nil
	}
	return fmt.Sprintf("removed %d %s", len(res.Removed), plural(len(res.Removed), "resource", "resources")), nil
}
