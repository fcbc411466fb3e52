package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// FixReporter hears about repairs as they happen. Methods may be called
// from several goroutines at once.
type FixReporter interface {
	FixDone(fix Fix, outcome string)
	FixFailed(fix Fix, err error)
	// Status is each change the status watcher saw while enabling.
	Status(ev cloudapi.StatusEvent)
	// PropagationWait announces a wait for IAM to propagate a role the
	// repairs created or changed, before enabling again.
	PropagationWait(wait, remaining time.Duration, reason string)
}

// FixOptions tune ApplyFixes and Reenable.
type FixOptions struct {
	// Watch is passed to the status watcher (tests shorten its schedule).
	Watch cloudapi.WatchOptions
	// PropagationLimit bounds re-enabling while IAM propagates a role that
	// was just created or changed (default 2 min, PRODUCT.md §4).
	PropagationLimit time.Duration
}

// FixResult says what the repairs did.
type FixResult struct {
	Applied []string `json:"applied"`
	// Status and UserMessage are the export's status after a POST (an
	// update-export fix or a re-enable); empty when none was sent.
	Status             cloudapi.Status `json:"status,omitempty"`
	UserMessage        string          `json:"user_message,omitempty"`
	PropagationRetries int             `json:"propagation_retries"`
}

type nopFixReporter struct{}

func (nopFixReporter) FixDone(Fix, string)                                  {}
func (nopFixReporter) FixFailed(Fix, error)                                 {}
func (nopFixReporter) Status(cloudapi.StatusEvent)                          {}
func (nopFixReporter) PropagationWait(time.Duration, time.Duration, string) {}

// ApplyFixes makes the plan's changes: the role first when it is missing,
// then the trust policy, the permission policy and the log groups
// concurrently, then a corrected configuration (POST, and a wait for a
// terminal status). Everything it creates is recorded in the cluster's
// journal, so `disable --cleanup` can remove it. A failed change does not
// stop the independent ones; the error names each failure.
func ApplyFixes(ctx context.Context, env *Env, plan *FixPlan, opts FixOptions, rep FixReporter) (*FixResult, error) {
	if rep == nil {
		rep = nopFixReporter{}
	}
	res := &FixResult{Applied: []string{}}
	if len(plan.Fixes) == 0 {
		return res, nil
	}
	if waited, err := env.HoldCluster(ctx, plan.ClusterID); err != nil {
		return res, err
	} else if waited {
		return res, errRediagnose(plan.ClusterName)
	}
	j, err := env.openJournal(plan.ClusterID, plan.ClusterName)
	if err != nil {
		return res, err
	}
	var mu sync.Mutex
	done := func(x Fix, msg string) {
		mu.Lock()
		res.Applied = append(res.Applied, msg)
		mu.Unlock()
		rep.FixDone(x, msg)
	}
	failed := func(x Fix, step, action string, err error) error {
		se := &StepError{Step: step, Cause: err, Fix: awsFix(err, action), Permanent: !awsiam.IsThrottling(err)}
		rep.FixFailed(x, se)
		return se
	}
	of := func(k FixKind) []Fix {
		var out []Fix
		for _, x := range plan.Fixes {
			if x.Kind == k {
				out = append(out, x)
			}
		}
		return out
	}

	for _, x := range of(FixCreateRole) {
		msg, err := applyRoleFix(ctx, env, j, plan, x)
		if err != nil {
			return res, failed(x, StepRole, "iam:CreateRole", err)
		}
		done(x, msg)
	}

	var (
		wg     sync.WaitGroup
		errsMu sync.Mutex
		errs   []error
		policy string
		addErr = func(err error) {
			errsMu.Lock()
			errs = append(errs, err)
			errsMu.Unlock()
		}
	)
	run := func(x Fix, step, action string, f func() (string, error)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg, err := f()
			if err != nil {
				addErr(failed(x, step, action, err))
				return
			}
			done(x, msg)
		}()
	}
	for _, x := range of(FixTrust) {
		run(x, StepTrust, "iam:UpdateAssumeRolePolicy", func() (string, error) {
			if err := awsiam.UpdateTrust(ctx, env.AWS.IAM, x.roleName, x.trust); err != nil {
				return "", err
			}
			if err := j.NoteRoleChanged(); err != nil {
				return "", err
			}
			return "updated the trust policy of " + x.roleName, nil
		})
	}
	for _, x := range of(FixPolicy) {
		run(x, StepPermissions, "iam:CreatePolicy, iam:CreatePolicyVersion and iam:AttachRolePolicy", func() (string, error) {
			msg, arn, err := applyPolicyFix(ctx, env, j, plan, x)
			policy = arn
			return msg, err
		})
	}
	for _, x := range of(FixLogGroup) {
		run(x, StepLogGroup, "logs:CreateLogGroup and logs:PutRetentionPolicy", func() (string, error) {
			r, err := awsiam.EnsureLogGroup(ctx, env.AWS.LogsFor(x.region), x.logGroup, x.retention, awsiam.ClusterTags(plan.ClusterID, plan.ClusterName))
			if err != nil {
				return "", err
			}
			if !r.Created {
				return fmt.Sprintf("log group %s already exists in %s", x.logGroup, x.region), nil
			}
			if err := j.RecordCreated(KindLogGroup, x.logGroup, x.region); err != nil {
				return "", err
			}
			return fmt.Sprintf("created log group %s in %s (retention %d days)", x.logGroup, x.region, x.retention), nil
		})
	}
	wg.Wait()
	if policy != "" && j.Setting("policy_arn") == "" {
		if err := j.SetSettings(map[string]string{"policy_arn": policy}); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return res, errors.Join(errs...)
	}

	for _, x := range of(FixExport) {
		req := *x.request
		if err := req.Validate(plan.report.Facts.Cluster); err != nil {
			se := &StepError{Step: StepEnable, Cause: err, Fix: "the configuration cannot be sent again as it is; correct it with `crdb-logexport update`", Permanent: true}
			rep.FixFailed(x, se)
			return res, se
		}
		ev, retries, err := doctorEnable(ctx, env, plan.report.Facts, req, opts, rep, j)
		res.PropagationRetries += retries
		if err != nil {
			rep.FixFailed(x, err)
			return res, err
		}
		res.Status, res.UserMessage = ev.Info.Status, ev.Info.UserMessage
		if err := j.SetSettings(map[string]string{"role_arn": req.AuthPrincipal, "external_id": req.AWSExternalID}); err != nil {
			return res, err
		}
		done(x, fmt.Sprintf("configuration POSTed again with auth_principal %s: %s", req.AuthPrincipal, ev.Info.Status))
	}
	return res, nil
}

func applyRoleFix(ctx context.Context, env *Env, j *Journal, plan *FixPlan, x Fix) (string, error) {
	r, err := awsiam.EnsureRole(ctx, env.AWS.IAM, awsiam.RoleSpec{
		Name: x.roleName, Path: x.rolePath, Trust: x.trust,
		Description: "Lets CockroachDB Cloud write its logs to CloudWatch (recreated by crdb-logexport doctor)",
		Tags:        awsiam.ClusterTags(plan.ClusterID, plan.ClusterName),
	})
	if err != nil {
		return "", err
	}
	if !r.Created {
		// Someone made it since the diagnosis: its trust is rewritten only
		// if its tags say the tool made it for this cluster.
		st, err := awsiam.InspectRole(ctx, env.AWS.IAM, x.roleName)
		if err != nil && !st.Exists {
			return "", err
		}
		if !ownsLive(st.Tags, plan.ClusterID, j, KindRole, st.ARN, "", st.CreateDate) {
			return "", fmt.Errorf("role %s appeared since the diagnosis and %s; it was left as it is: run the doctor again", st.ARN, notOursReason(st.Tags, plan.ClusterID))
		}
		if r.TrustDiffers {
			if err := awsiam.UpdateTrust(ctx, env.AWS.IAM, x.roleName, x.trust); err != nil {
				return "", err
			}
		}
		return "role " + r.ARN + " exists; its trust policy is the one planned", j.NoteRoleChanged()
	}
	if err := j.RecordCreated(KindRole, r.ARN, ""); err != nil {
		return "", err
	}
	return "created role " + r.ARN, j.NoteRoleChanged()
}

func applyPolicyFix(ctx context.Context, env *Env, j *Journal, plan *FixPlan, x Fix) (msg, arn string, err error) {
	spec := x.policy
	spec.Tags = awsiam.ClusterTags(plan.ClusterID, plan.ClusterName)
	spec.MayChange = func(st awsiam.PolicyState) error {
		if ownsLive(st.Tags, plan.ClusterID, j, KindPolicy, st.ARN, "", st.Created) {
			return nil
		}
		return fmt.Errorf("policy %s %s, so the doctor does not give it a new version", st.ARN, notOursReason(st.Tags, plan.ClusterID))
	}
	r, err := awsiam.EnsurePolicy(ctx, env.AWS.IAM, spec)
	if err != nil {
		return "", "", err
	}
	var parts []string
	switch {
	case r.Created:
		if err := j.RecordCreated(KindPolicy, r.ARN, ""); err != nil {
			return "", r.ARN, err
		}
		parts = append(parts, "created "+r.ARN)
	case r.NewVersion != "":
		parts = append(parts, fmt.Sprintf("%s: new default version %s", r.ARN, r.NewVersion))
	default:
		parts = append(parts, r.ARN+" already held the right document")
	}
	if x.attach {
		attached, err := awsiam.AttachPolicy(ctx, env.AWS.IAM, x.roleName, r.ARN)
		if err != nil {
			return "", r.ARN, err
		}
		if attached {
			if err := j.RecordCreated(KindAttachment, x.roleName+"|"+r.ARN, ""); err != nil {
				return "", r.ARN, err
			}
			parts = append(parts, "attached it to "+x.roleName)
		}
	}
	return strings.Join(parts, "; "), r.ARN, nil
}

// Reenable POSTs the export's current configuration again and waits for a
// terminal status: a failed export does not retry by itself. While IAM may
// still be propagating a role this tool just created or changed, and the
// local trust check passes, it enables again with backoff (PRODUCT.md §4).
func Reenable(ctx context.Context, env *Env, r *DoctorReport, opts FixOptions, rep FixReporter) (*FixResult, error) {
	if rep == nil {
		rep = nopFixReporter{}
	}
	f := r.Facts
	req := f.Export.Spec.Request()
	if err := req.Validate(f.Cluster); err != nil {
		return nil, &StepError{Step: StepEnable, Cause: err, Fix: "the configuration cannot be sent again as it is; correct it with `crdb-logexport update`", Permanent: true}
	}
	if waited, err := env.HoldCluster(ctx, f.Cluster.ID); err != nil {
		return nil, err
	} else if waited {
		return nil, errRediagnose(f.Cluster.Name)
	}
	j, err := env.openJournal(f.Cluster.ID, f.Cluster.Name)
	if err != nil {
		return nil, err
	}
	ev, retries, err := doctorEnable(ctx, env, f, req, opts, rep, j)
	res := &FixResult{Applied: []string{}, PropagationRetries: retries}
	if err != nil {
		return res, err
	}
	res.Status, res.UserMessage = ev.Info.Status, ev.Info.UserMessage
	res.Applied = append(res.Applied, "enabled the export again: "+string(ev.Info.Status))
	return res, nil
}

// errRediagnose: another run changed the cluster while the doctor's
// findings were on screen; repairs made from them could undo its work.
func errRediagnose(cluster string) error {
	return &StepError{Step: StepEnable, Cause: ErrStalePlan, Fix: "run the doctor again (`crdb-logexport doctor --cluster " + cluster + "`): its findings are from before the other run", Permanent: true}
}

// ShouldReenable decides, from the plan and the report of the checks run
// again after the repairs, whether to enable the export again now: it is
// wanted (the plan asked, or the export is failed) and nothing but the
// export's own status and its missing logs is still an error — otherwise
// CockroachDB Cloud would fail the same way. The reason says which.
func ShouldReenable(plan *FixPlan, after *DoctorReport) (bool, string) {
	want, why := false, ""
	if plan != nil && plan.Reenable {
		want, why = true, plan.ReenableReason
	}
	if after.Status.Failed() {
		want, why = true, "the export is "+string(after.Status)
	}
	if !want {
		return false, ""
	}
	var blocking []string
	for _, fd := range after.Findings {
		if fd.Severity == SeverityError && fd.Check != CheckExportStatus && fd.Check != CheckLogsArriving {
			blocking = append(blocking, fd.Check)
		}
	}
	if len(blocking) > 0 {
		return false, "not enabling again: " + strings.Join(blocking, ", ") + " still report errors, and CockroachDB Cloud would fail the same way"
	}
	return true, why
}

// doctorEnable POSTs req, follows the status to a terminal one, and
// enables again while the failure can be IAM propagation. A failure status
// is not an error: the event says it.
func doctorEnable(ctx context.Context, env *Env, f *DoctorFacts, req cloudapi.EnableLogExportRequest, opts FixOptions, rep FixReporter, j *Journal) (cloudapi.StatusEvent, int, error) {
	post := func() error {
		_, err := postConfig(ctx, env, f.Cluster.ID, req, "check the message above; the configuration was not changed")
		return err
	}
	if err := post(); err != nil {
		return cloudapi.StatusEvent{}, 0, err
	}
	rule := func(final cloudapi.StatusEvent, failingFor, limit time.Duration, attempt int) (time.Duration, string, bool) {
		return doctorPropagation(ctx, env, f, req, j, final, failingFor, limit, attempt)
	}
	final, retries, _, err := settle(ctx, env, f.Cluster.ID, f.Cluster.Name, opts.Watch, opts.PropagationLimit, rep, rule, post)
	return final, retries, err
}

// doctorPropagation decides whether a failed enable may be IAM eventual
// consistency: an assume-role symptom, a role in this account created or
// changed within the limit, and a trust policy that allows the cluster
// locally. Anything else is reported as it is.
func doctorPropagation(ctx context.Context, env *Env, f *DoctorFacts, req cloudapi.EnableLogExportRequest, j *Journal, final cloudapi.StatusEvent, failingFor, limit time.Duration, attempt int) (time.Duration, string, bool) {
	msg := strings.ToLower(final.Info.UserMessage)
	if !strings.Contains(msg, "assumerole") && !strings.Contains(msg, "assume role") && !strings.Contains(msg, "assume the role") {
		return 0, "", false
	}
	role, err := awsiam.ParseARN(req.AuthPrincipal)
	if err != nil || role.Kind != awsiam.KindRole || role.AccountID != f.Caller.Account || failingFor >= limit {
		return 0, "", false
	}
	st, err := awsiam.InspectRole(ctx, env.AWS.IAM, role.Name)
	if err != nil || !st.Exists || st.Trust == nil {
		return 0, "", false
	}
	changedAt := j.RoleChangedAt
	if st.CreateDate.After(changedAt) {
		changedAt = st.CreateDate
	}
	if env.now().Sub(changedAt) > limit {
		return 0, "", false
	}
	extID := req.AWSExternalID
	if f.Cluster.Plan == cloudapi.PlanStandard {
		extID = f.Cluster.ID
	}
	if !awsiam.EvaluateTrust(st.Trust, f.Cluster.ExportAccountID(), extID).Allowed {
		return 0, "", false
	}
	wait := time.Duration(attempt+1) * 5 * time.Second
	if left := limit - failingFor; wait > left {
		wait = left
	}
	return wait, "the role was created or changed moments ago and IAM has not propagated it yet; its trust checks out locally", true
}
