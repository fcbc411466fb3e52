package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// ApplyOptions tune how far Apply goes.
type ApplyOptions struct {
	// NoWait returns once the POST is accepted.
	NoWait bool
	// PropagationLimit bounds the re-enabling while IAM propagates a new or
	// changed role (default 2 min, PRODUCT.md §4).
	PropagationLimit time.Duration
	// StreamTimeout bounds the wait for log streams after ENABLED
	// (default 2 min); logs are not back-filled, so streams appear as
	// nodes write.
	StreamTimeout time.Duration
	// Watch is passed to the status watcher (tests shorten its schedule).
	Watch cloudapi.WatchOptions
}

// SetupResult is what setup did, for the summary and `--output json`.
type SetupResult struct {
	ClusterID          string          `json:"cluster_id"`
	ClusterName        string          `json:"cluster_name"`
	Status             cloudapi.Status `json:"status"`
	UserMessage        string          `json:"user_message"`
	LogGroup           string          `json:"log_group"`
	Regions            []string        `json:"regions"`
	RoleARN            string          `json:"role_arn"`
	PolicyARN          string          `json:"policy_arn,omitempty"`
	ExternalIDRequired bool            `json:"external_id_required"`
	ExternalID         string          `json:"external_id,omitempty"`
	// Created lists the ARNs of what this run created (log groups, role,
	// policy); a rerun that changed nothing reports none.
	Created []string `json:"created"`
	// Changed lists what this run changed in place (trust, policy version,
	// attachment, the export configuration).
	Changed            []string        `json:"changed"`
	PropagationRetries int             `json:"propagation_retries"`
	Streams            []RegionStreams `json:"streams,omitempty"`
	Plan               *Plan           `json:"plan"`
	JournalPath        string          `json:"journal"`
}

// RegionStreams is what arrived in one region's log group.
type RegionStreams struct {
	Region   string    `json:"region"`
	LogGroup string    `json:"log_group"`
	Streams  int       `json:"streams"`
	Newest   time.Time `json:"newest_event,omitzero"`
	Error    string    `json:"error,omitempty"`
}

// ErrConflict means the plan has a conflict that must be fixed first.
var ErrConflict = errors.New("the plan has a conflict")

// Apply performs the plan. It is idempotent: every step re-checks what
// exists, so running it again after an interruption resumes.
func Apply(ctx context.Context, env *Env, p *Plan, opts ApplyOptions, rep Reporter) (*SetupResult, error) {
	if rep == nil {
		rep = NopReporter{}
	}
	if c := p.Conflicts(); len(c) > 0 {
		return nil, &StepError{Step: c[0].ID, Cause: fmt.Errorf("%w: %s", ErrConflict, c[0].Summary), Fix: strings.Join(c[0].Details, "\n"), Permanent: true}
	}
	journal, err := env.Journals.Open(p.ClusterID, p.ClusterName)
	if err != nil {
		return nil, err
	}
	journal.beginRun()
	journal.Settings["log_group"] = p.LogGroup
	journal.Settings["role_arn"] = p.RoleARN
	journal.Settings["policy_arn"] = p.PolicyARN
	journal.Settings["external_id"] = p.ExternalID
	journal.Settings["regions"] = strings.Join(p.Regions, ",")
	if err := journal.Save(); err != nil {
		return nil, err
	}
	res := &SetupResult{
		ClusterID: p.ClusterID, ClusterName: p.ClusterName,
		LogGroup: p.LogGroup, Regions: p.Regions,
		RoleARN: p.RoleARN, PolicyARN: p.PolicyARN,
		ExternalIDRequired: p.ExternalIDRequired, ExternalID: p.ExternalID,
		Created: []string{}, Changed: []string{},
		Plan: p, JournalPath: journal.Path(),
	}
	var resMu sync.Mutex
	created := func(s string) { resMu.Lock(); res.Created = append(res.Created, s); resMu.Unlock() }
	changed := func(s string) { resMu.Lock(); res.Changed = append(res.Changed, s); resMu.Unlock() }

	run := func(id string, f func() (string, error)) error {
		rep.StepStarted(id)
		start := env.now()
		summary, err := f()
		took := env.now().Sub(start)
		if err != nil {
			_ = journal.MarkStep(id, "failed", err.Error())
			rep.StepFailed(id, err, took)
			return err
		}
		_ = journal.MarkStep(id, "done", summary)
		rep.StepDone(id, p.Step(id).Action, summary, took)
		return nil
	}

	// Steps 2–4 were done while planning; report them so a checklist ticks.
	for _, id := range []string{StepOrganization, StepCluster, StepClusterAccount} {
		if err := run(id, func() (string, error) { return p.Step(id).Summary, nil }); err != nil {
			return res, err
		}
	}

	// Phase A, concurrently: log groups in every region, the role (with its
	// trust) and the policy. Attaching needs both role and policy. A failure
	// does not cancel the other branches: what they finish is recorded, so
	// the rerun has less to do and nothing is left half-made.
	// Attaching follows role and policy in their own branch, without
	// waiting for the log groups' retention.
	var g errgroup.Group
	gctx := ctx
	g.Go(func() error {
		return run(StepLogGroup, func() (string, error) { return ensureLogGroups(gctx, env, p, journal, created, changed) })
	})
	if p.roleInOwnAccount {
		g.Go(func() error {
			var iamg errgroup.Group
			iamg.Go(func() error {
				if err := run(StepRole, func() (string, error) { return ensureRole(gctx, env, p, journal, created) }); err != nil {
					return err
				}
				return run(StepTrust, func() (string, error) { return ensureTrust(gctx, env, p, journal, changed) })
			})
			iamg.Go(func() error {
				return run(StepPermissions, func() (string, error) { return ensurePolicy(gctx, env, p, journal, created, changed) })
			})
			if err := iamg.Wait(); err != nil {
				return err
			}
			return run(StepPolicy, func() (string, error) { return attachPolicy(gctx, env, p, journal, changed) })
		})
	}
	if err := g.Wait(); err != nil {
		return res, err
	}
	if !p.roleInOwnAccount {
		for _, id := range []string{StepRole, StepTrust, StepPermissions, StepPolicy} {
			_ = run(id, func() (string, error) { return p.Step(id).Summary, nil })
		}
	}
	if err := run(StepRoleARN, func() (string, error) { return "auth_principal = " + p.RoleARN, nil }); err != nil {
		return res, err
	}

	// Step 10: enable, wait, check streams.
	err = run(StepEnable, func() (string, error) {
		return enable(ctx, env, p, journal, opts, rep, res, changed)
	})
	return res, err
}

func ensureLogGroups(ctx context.Context, env *Env, p *Plan, j *Journal, created, changed func(string)) (string, error) {
	var g errgroup.Group
	gctx := ctx
	var mu sync.Mutex
	var made []string
	for _, region := range p.Regions {
		st := p.logGroups[region]
		if st.Exists && !planItemChanges(p, StepLogGroup, region) {
			// Possibly made by an interrupted run that did not get to
			// record it.
			if err := finishLogGroup(j, p.LogGroup, region); err != nil {
				return "", err
			}
			continue
		}
		g.Go(func() error {
			if !st.Exists {
				if err := j.Intend(KindLogGroup, p.LogGroup, region); err != nil {
					return err
				}
			}
			ensure := awsiam.EnsureLogGroup
			if !st.Exists {
				ensure = awsiam.CreateLogGroup
			}
			r, err := ensure(gctx, env.AWS.LogsFor(region), p.LogGroup, int32(p.RetentionDays))
			arn := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, p.YourAccount, p.LogGroup)
			if r.Created {
				// Recorded even when setting its retention failed: the
				// group exists. The intent stays, so the rerun gives it
				// its retention (markRetentionPending).
				if err := j.RecordCreated(KindLogGroup, p.LogGroup, region); err != nil {
					return err
				}
				created(arn)
				mu.Lock()
				made = append(made, region)
				mu.Unlock()
			}
			if err != nil {
				return &StepError{Step: StepLogGroup, Cause: fmt.Errorf("log group %s in %s: %w", p.LogGroup, region, err), Fix: awsFix(err, "logs:CreateLogGroup and logs:PutRetentionPolicy"), Permanent: !awsiam.IsThrottling(err)}
			}
			if r.RetentionChanged && !r.Created {
				changed(arn + " retention")
			}
			return finishLogGroup(j, p.LogGroup, region)
		})
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	if len(made) == 0 {
		return fmt.Sprintf("%s exists in %s", p.LogGroup, strings.Join(p.Regions, ", ")), nil
	}
	return fmt.Sprintf("%s created in %s", p.LogGroup, strings.Join(made, ", ")), nil
}

// finishLogGroup records a complete log group an interrupted run set out
// to create (log groups carry no tags this tool can read back, so the intent
// alone marks it) and closes the intent.
func finishLogGroup(j *Journal, name, region string) error {
	if _, err := j.Adopt(KindLogGroup, name, region); err != nil {
		return err
	}
	return j.Finish(KindLogGroup, name, region)
}

func planItemChanges(p *Plan, step, item string) bool {
	s := p.Step(step)
	for _, it := range s.Items {
		if it.Name == item {
			return it.Action == Create || it.Action == WillChange
		}
	}
	return false
}

func ensureRole(ctx context.Context, env *Env, p *Plan, j *Journal, created func(string)) (string, error) {
	if p.BringOwnRole {
		return "using your role " + p.RoleARN, nil
	}
	if !p.role.Exists {
		if err := j.Intend(KindRole, p.RoleARN, ""); err != nil {
			return "", err
		}
	}
	r, err := awsiam.EnsureRole(ctx, env.AWS.IAM, awsiam.RoleSpec{
		Name:        p.RoleName,
		Description: fmt.Sprintf("Lets CockroachDB Cloud cluster %s (%s) write its logs to CloudWatch", p.ClusterName, p.ClusterID),
		Trust:       p.Trust,
		Absent:      !p.role.Exists,
	})
	if err != nil {
		return "", &StepError{Step: StepRole, Cause: err, Fix: awsFix(err, "iam:CreateRole and iam:GetRole"), Permanent: !awsiam.IsThrottling(err)}
	}
	p.RoleARN = r.ARN
	if !r.Created {
		adopted := false
		if awsiam.ManagedByTool(p.role.Tags) {
			if adopted, err = j.Adopt(KindRole, r.ARN, ""); err != nil {
				return "", err
			}
		}
		if adopted {
			// The interrupted run made it moments ago: IAM may still be
			// propagating it.
			if err := j.NoteRoleChanged(); err != nil {
				return "", err
			}
		}
		return "role " + r.ARN + " exists", j.Finish(KindRole, r.ARN, "")
	}
	p.madeRole = true
	if err := j.RecordCreated(KindRole, r.ARN, ""); err != nil {
		return "", err
	}
	if err := j.NoteRoleChanged(); err != nil {
		return "", err
	}
	if err := j.Finish(KindRole, r.ARN, ""); err != nil {
		return "", err
	}
	created(r.ARN)
	return "created " + r.ARN, nil
}

func ensureTrust(ctx context.Context, env *Env, p *Plan, j *Journal, changed func(string)) (string, error) {
	if !p.trustChange {
		return p.Step(StepTrust).Summary, nil
	}
	if err := awsiam.UpdateTrust(ctx, env.AWS.IAM, p.RoleName, p.Trust); err != nil {
		return "", &StepError{Step: StepTrust, Cause: err, Fix: awsFix(err, "iam:UpdateAssumeRolePolicy"), Permanent: !awsiam.IsThrottling(err)}
	}
	if err := j.NoteRoleChanged(); err != nil {
		return "", err
	}
	changed(p.RoleARN + " trust policy")
	return "trust policy replaced: the cluster's account " + p.ClusterAccount + " may assume the role", nil
}

func ensurePolicy(ctx context.Context, env *Env, p *Plan, j *Journal, created, changed func(string)) (string, error) {
	if !p.policy.Exists {
		if err := j.Intend(KindPolicy, p.PolicyARN, ""); err != nil {
			return "", err
		}
	}
	r, err := awsiam.EnsurePolicy(ctx, env.AWS.IAM, awsiam.PolicySpec{
		Account:     p.YourAccount,
		Name:        p.PolicyName,
		Description: "CloudWatch Logs access for CockroachDB Cloud log export (crdb-logexport)",
		Document:    p.Permission,
		Absent:      !p.policy.Exists,
	})
	if err != nil {
		return "", &StepError{Step: StepPermissions, Cause: err, Fix: awsFix(err, "iam:CreatePolicy and iam:CreatePolicyVersion"), Permanent: !awsiam.IsThrottling(err)}
	}
	p.PolicyARN = r.ARN
	if !r.Created && awsiam.ManagedByTool(p.policy.Tags) {
		if _, err := j.Adopt(KindPolicy, r.ARN, ""); err != nil {
			return "", err
		}
	}
	if r.Created {
		p.madePolicy = true
		if err := j.RecordCreated(KindPolicy, r.ARN, ""); err != nil {
			return "", err
		}
	}
	if err := j.Finish(KindPolicy, r.ARN, ""); err != nil {
		return "", err
	}
	switch {
	case r.Created:
		created(r.ARN)
		return "created " + r.ARN, nil
	case r.NewVersion != "":
		changed(r.ARN + " " + r.NewVersion)
		msg := fmt.Sprintf("%s: new default version %s", r.ARN, r.NewVersion)
		if r.PrunedVersion != "" {
			msg += " (deleted old version " + r.PrunedVersion + ")"
		}
		return msg, nil
	}
	return r.ARN + " already grants what is needed", nil
}

func attachPolicy(ctx context.Context, env *Env, p *Plan, j *Journal, changed func(string)) (string, error) {
	key := p.RoleName + "|" + p.PolicyARN
	if !p.attached {
		if err := j.Intend(KindAttachment, key, ""); err != nil {
			return "", err
		}
	}
	var attached bool
	var err error
	if p.madeRole || p.madePolicy {
		// Made by this run: the one cannot be attached to the other yet.
		attached, err = true, awsiam.AttachNew(ctx, env.AWS.IAM, p.RoleName, p.PolicyARN)
	} else {
		attached, err = awsiam.AttachPolicy(ctx, env.AWS.IAM, p.RoleName, p.PolicyARN)
	}
	if err != nil {
		return "", &StepError{Step: StepPolicy, Cause: err, Fix: awsFix(err, "iam:AttachRolePolicy"), Permanent: !awsiam.IsThrottling(err)}
	}
	if !attached {
		if _, err := j.Adopt(KindAttachment, key, ""); err != nil {
			return "", err
		}
		return p.PolicyARN + " is attached to " + p.RoleName, j.Finish(KindAttachment, key, "")
	}
	if err := j.RecordCreated(KindAttachment, key, ""); err != nil {
		return "", err
	}
	if err := j.Finish(KindAttachment, key, ""); err != nil {
		return "", err
	}
	changed(p.RoleARN + " attached " + p.PolicyARN)
	return "attached " + p.PolicyARN + " to " + p.RoleName, nil
}

// enable POSTs the configuration when needed, follows the status to a
// terminal one (re-enabling while IAM propagates a young role), then looks
// for log streams.
func enable(ctx context.Context, env *Env, p *Plan, j *Journal, opts ApplyOptions, rep Reporter, res *SetupResult, changed func(string)) (string, error) {
	// Without a POST the export stays as planning read it.
	var accepted cloudapi.LogExportInfo
	if p.Current != nil {
		accepted = *p.Current
	}
	post := func() (cloudapi.LogExportInfo, error) {
		return postConfig(ctx, env, p.ClusterID, p.Request, "check the message above; nothing was changed on the CockroachDB side")
	}
	if p.enableNeeded {
		info, err := post()
		if err != nil {
			return "", err
		}
		accepted = info
		changed("log export configuration of " + p.ClusterName)
	}
	if opts.NoWait {
		res.Status, res.UserMessage = accepted.Status, accepted.UserMessage
		return "configuration accepted; not waiting (--no-wait)", nil
	}

	rule := func(final cloudapi.StatusEvent, failingFor, limit time.Duration, attempt int) (time.Duration, string, bool) {
		return propagationRetry(ctx, env, p, j, final, failingFor, limit, attempt)
	}
	final, retries, why, err := settle(ctx, env, p.ClusterID, p.ClusterName, opts.Watch, opts.PropagationLimit, rep, rule, func() error {
		_, err := post()
		return err
	})
	res.PropagationRetries = retries
	if final.Polls > 0 {
		res.Status, res.UserMessage = final.Info.Status, final.Info.UserMessage
	}
	if err != nil {
		return "", err
	}
	if err := settled(final, why, p.ClusterName); err != nil {
		return "", err
	}

	streams, err := waitForStreams(ctx, env, p, opts.StreamTimeout, rep)
	res.Streams = streams
	if err != nil {
		return "", err
	}
	missing := []string{}
	for _, s := range res.Streams {
		if s.Streams == 0 {
			missing = append(missing, s.Region)
		}
	}
	msg := "ENABLED"
	if res.PropagationRetries > 0 {
		msg += fmt.Sprintf(" after %d re-enable(s) while IAM propagated the role", res.PropagationRetries)
	}
	if len(missing) > 0 {
		return msg + "; no log streams yet in " + strings.Join(missing, ", ") + " (logs are not back-filled; check again with `crdb-logexport status`)", nil
	}
	return msg + "; logs arriving in " + strings.Join(p.Regions, ", "), nil
}

// postConfig sends a configuration and returns the export as the answer
// to the POST describes it (ENABLING, normally). A refused POST gets fix,
// which says what stays as it was; a refused key gets the key's fix.
func postConfig(ctx context.Context, env *Env, clusterID string, req cloudapi.EnableLogExportRequest, fix string) (cloudapi.LogExportInfo, error) {
	info, err := env.Cloud.EnableLogExport(ctx, clusterID, req)
	if err != nil {
		if cloudapi.IsUnauthenticated(err) || cloudapi.IsPermissionDenied(err) {
			fix = "the API key needs the Cluster Admin role on this cluster"
		}
		return info, &StepError{Step: StepEnable, Cause: err, Fix: fix, Permanent: !transientCloud(err)}
	}
	return info, nil
}

// settleReporter hears what settle sees: Reporter and FixReporter both do.
type settleReporter interface {
	Status(ev cloudapi.StatusEvent)
	PropagationWait(wait, remaining time.Duration, reason string)
}

// retryRule decides, for an enable that ended in a failure status, whether
// the failure may be IAM still propagating a role or policy change: how
// long to wait before sending the configuration again, or why not.
type retryRule func(final cloudapi.StatusEvent, failingFor, limit time.Duration, attempt int) (wait time.Duration, why string, retry bool)

// settle follows the export after a POST until its status is terminal.
// While a failure may be IAM propagation (rule), it waits and sends the
// configuration again (repost), for at most limit (2 min when 0) from the
// first failure (PRODUCT.md §4). It returns the last status read, the
// number of re-sends and, for a failure rule would not retry, rule's
// reason. A failure status is not an error; failing to follow the status
// is.
func settle(ctx context.Context, env *Env, clusterID, clusterName string, wo cloudapi.WatchOptions, limit time.Duration, rep settleReporter, rule retryRule, repost func() error) (cloudapi.StatusEvent, int, string, error) {
	if limit <= 0 {
		limit = 2 * time.Minute
	}
	wo.Goal = cloudapi.GoalEnabled
	var (
		last         cloudapi.StatusEvent
		firstFailure time.Time
	)
	for attempt := 0; ; attempt++ {
		final, err := WatchExport(ctx, env, clusterID, wo, rep.Status)
		if err != nil {
			return last, attempt, "", &StepError{Step: StepEnable, Cause: err, Fix: "run `crdb-logexport status --cluster " + clusterName + " --watch` to follow it"}
		}
		last = final
		if !final.Failed() {
			return final, attempt, "", nil
		}
		if firstFailure.IsZero() {
			firstFailure = env.now()
		}
		failingFor := env.now().Sub(firstFailure)
		wait, why, retry := rule(final, failingFor, limit, attempt)
		if !retry {
			return final, attempt, why, nil
		}
		rep.PropagationWait(wait, limit-failingFor, why)
		if err := env.sleep(ctx, wait); err != nil {
			return final, attempt, "", err
		}
		if err := repost(); err != nil {
			return final, attempt + 1, "", err
		}
	}
}

// settled turns how settle ended into setup's and update's verdict: nil
// when ENABLED, else the failure with its fix.
func settled(final cloudapi.StatusEvent, why, clusterName string) error {
	switch {
	case final.Reached:
		return nil
	case !final.Failed():
		return &StepError{Step: StepEnable, Cause: fmt.Errorf("export ended %s", final.Info.Status), Fix: "another change to the export happened meanwhile; check `crdb-logexport status --cluster " + clusterName + "`", Permanent: true}
	}
	return &StepError{Step: StepEnable, Cause: fmt.Errorf("log export is %s: %s", final.Info.Status, final.Info.UserMessage), Fix: why, Permanent: true}
}

// propagationRetry decides whether a failed enable may be IAM eventual
// consistency (PRODUCT.md §4): an assume-role symptom, a role the tool
// created or changed within the limit, and local checks that pass. Anything
// else stops at once with the finding.
func propagationRetry(ctx context.Context, env *Env, p *Plan, j *Journal, final cloudapi.StatusEvent, failingFor, limit time.Duration, attempt int) (time.Duration, string, bool) {
	doctor := "run `crdb-logexport doctor --cluster " + p.ClusterName + "` for the exact fault"
	msg := strings.ToLower(final.Info.UserMessage)
	if !strings.Contains(msg, "assumerole") && !strings.Contains(msg, "assume role") && !strings.Contains(msg, "assume the role") {
		return 0, doctor, false
	}
	if !p.roleInOwnAccount {
		return 0, "the role is in another account; check its trust policy there (" + doctor + ")", false
	}
	changedAt := j.RoleChangedAt
	st, err := awsiam.InspectRole(ctx, env.AWS.IAM, p.RoleName)
	if err != nil || !st.Exists {
		return 0, "the role " + p.RoleName + " cannot be read back: " + doctor, false
	}
	if st.CreateDate.After(changedAt) {
		changedAt = st.CreateDate
	}
	if env.now().Sub(changedAt) > limit || failingFor >= limit {
		return 0, "the role is not new, so this is not IAM propagation: " + doctor, false
	}
	if st.Trust == nil || !awsiam.EvaluateTrust(st.Trust, p.ClusterAccount, p.ExternalID).Allowed {
		return 0, "the role's trust policy does not let the cluster's account " + p.ClusterAccount + " assume it: " + doctor, false
	}
	if p.PolicyARN != "" {
		attached, err := awsiam.IsPolicyAttached(ctx, env.AWS.IAM, p.RoleName, p.PolicyARN)
		if err != nil || !attached {
			return 0, "the permission policy is not attached to the role: " + doctor, false
		}
	}
	wait := time.Duration(attempt+1) * 5 * time.Second
	if left := limit - failingFor; wait > left {
		wait = left
	}
	return wait, "the role was created or changed moments ago and IAM has not propagated it yet; the trust and policy check out locally", true
}

// waitForStreams looks for streams of this export in every region until
// each has one, or the timeout passes. Regions are checked concurrently.
// Reading a region's streams is retried, except when AWS refuses it (access
// denied): that ends the wait with an error naming the missing permission.
// When ctx itself ends (--timeout, an interrupt), so does the wait, with
// ctx's error: the check did not happen, which is not "no streams yet".
func waitForStreams(ctx context.Context, env *Env, p *Plan, timeout time.Duration, rep Reporter) ([]RegionStreams, error) {
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out := make([]RegionStreams, len(p.Regions))
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		refusal   error
		refusedIn string
	)
	for i, region := range p.Regions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = RegionStreams{Region: region, LogGroup: p.LogGroup}
			for {
				rs, err := ReadStreams(ctx, env, region, p.LogGroup)
				if err == nil {
					out[i] = rs
					if rs.Streams > 0 {
						rep.Streams(rs)
						return
					}
				} else if ctx.Err() == nil {
					out[i].Error = err.Error()
					if awsiam.IsAccessDenied(err) {
						mu.Lock()
						if refusal == nil {
							refusal, refusedIn = err, region
						}
						mu.Unlock()
						rep.Streams(out[i])
						return
					}
				}
				if env.sleep(ctx, time.Second) != nil {
					rep.Streams(out[i])
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := parent.Err(); err != nil {
		return out, &StepError{Step: StepEnable, Cause: fmt.Errorf("waiting for log streams: %w", err), Fix: "the export's status is not affected; see whether logs arrive with `crdb-logexport status`"}
	}
	if refusal != nil {
		return out, &StepError{Step: StepEnable, Cause: fmt.Errorf("checking that logs arrive in %s: %w", refusedIn, refusal), Fix: awsFix(refusal, "logs:DescribeLogStreams") + " (the export itself is enabled)", Permanent: true}
	}
	return out, nil
}
