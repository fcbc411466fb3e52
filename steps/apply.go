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

// SetupOptions tune how far Apply goes.
type SetupOptions struct {
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
	Changed []string `json:"changed"`
	// Steps are the steps carried out, in the order they finished.
	Steps              []AppliedStep   `json:"steps"`
	PropagationRetries int             `json:"propagation_retries"`
	Streams            []RegionStreams `json:"streams,omitempty"`
	Plan               *SetupPlan      `json:"plan"`
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

// beginApply is how applying a plan starts: refused while it has a
// conflict; under the cluster's lock (a plan made by another run of this
// process, or before another run took the lock, is planned again); with
// the cluster's journal open.
func beginApply(ctx context.Context, env *Env, steps []PlannedStep, clusterID, clusterName string) (*Journal, error) {
	if c := conflicts(steps); len(c) > 0 {
		return nil, conflictError(c[0])
	}
	if waited, err := env.HoldCluster(ctx, clusterID); err != nil {
		return nil, err
	} else if waited {
		return nil, errReplan(clusterName)
	}
	return env.openJournal(clusterID, clusterName)
}

// ErrStalePlan means another run changed the cluster after the plan was
// made: applying it could undo that run's work.
var ErrStalePlan = errors.New("another run changed the cluster after this plan was made")

func errReplan(cluster string) error {
	return &StepError{Step: StepEnable, Cause: ErrStalePlan, Fix: "run the same command again: it plans from what is there now (" + cluster + ")", Permanent: false}
}

// ApplySetup performs the plan. It is idempotent: every step re-checks what
// exists, so running it again after an interruption resumes.
func ApplySetup(ctx context.Context, env *Env, plan *SetupPlan, opts SetupOptions, rep Reporter) (*SetupResult, error) {
	if rep == nil {
		rep = NopReporter{}
	}
	// The caller's plan is data it may show, save or compare again: the
	// run fills in what it learns (the ARNs AWS answered with) on its own
	// copy, which the result carries.
	applied := *plan
	p := &applied
	journal, err := beginApply(ctx, env, p.Steps, p.ClusterID, p.ClusterName)
	if err != nil {
		return nil, err
	}
	journal.beginRun()
	if err := journal.SetSettings(map[string]string{
		"log_group":     p.LogGroup,
		"role_arn":      p.RoleARN,
		"policy_arn":    p.PolicyARN,
		"external_id":   p.ExternalID,
		"regions":       strings.Join(p.Regions, ","),
		settingSetupRun: setupRunSetting(p),
	}); err != nil {
		return nil, err
	}
	res := &SetupResult{
		ClusterID: p.ClusterID, ClusterName: p.ClusterName,
		LogGroup: p.LogGroup, Regions: p.Regions,
		RoleARN: p.RoleARN, PolicyARN: p.PolicyARN,
		ExternalIDRequired: p.ExternalIDRequired, ExternalID: p.ExternalID,
		Created: []string{}, Changed: []string{}, Steps: []AppliedStep{},
		Plan: p, JournalPath: journal.Path(),
	}
	var resMu sync.Mutex
	created := func(s string) { resMu.Lock(); res.Created = append(res.Created, s); resMu.Unlock() }
	changed := func(s string) { resMu.Lock(); res.Changed = append(res.Changed, s); resMu.Unlock() }

	run := stepRunner{now: env.now, rep: rep,
		record: func(id, status, detail string) { _ = journal.MarkStep(id, status, detail) },
		action: func(id string) Action { return p.Step(id).Action },
		done:   &appliedSteps{steps: &res.Steps},
	}.run

	// Everything the plan creates is written down as intended, in one
	// write, before the first create: a run killed after AWS made a
	// resource but before it heard back leaves a trace the rerun adopts.
	if err := journal.IntendAll(p.intents()); err != nil {
		return res, err
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

// intents are the resources the plan creates.
func (p *SetupPlan) intents() []Resource {
	var out []Resource
	for _, region := range p.Regions {
		if !p.logGroups[region].Exists {
			out = append(out, Resource{Kind: KindLogGroup, ID: p.LogGroup, Region: region})
		}
	}
	if !p.roleInOwnAccount {
		return out
	}
	if !p.role.Exists && !p.BringOwnRole {
		out = append(out, Resource{Kind: KindRole, ID: p.RoleARN})
	}
	if !p.policy.Exists {
		out = append(out, Resource{Kind: KindPolicy, ID: p.PolicyARN})
	}
	if !p.attached {
		out = append(out, Resource{Kind: KindAttachment, ID: p.RoleName + "|" + p.PolicyARN})
	}
	return out
}

func ensureLogGroups(ctx context.Context, env *Env, p *SetupPlan, j *Journal, created, changed func(string)) (string, error) {
	var g errgroup.Group
	gctx := ctx
	var mu sync.Mutex
	var made []string
	for _, region := range p.Regions {
		st := p.logGroups[region]
		if st.Exists && !planItemChanges(p, StepLogGroup, region) {
			// Possibly made by an interrupted run that did not get to
			// record it.
			if err := finishLogGroup(ctx, env, j, p.ClusterID, p.LogGroup, region, st); err != nil {
				return "", err
			}
			continue
		}
		g.Go(func() error {
			if !st.Exists {
				if err := j.Intend(KindLogGroup, p.LogGroup, region); err != nil {
					return err
				}
			} else if p.retentionPending[region] && !p.retentionSet {
				// The retention an interrupted run did not get to set:
				// only on the group it made, not on one made again by
				// someone else since.
				if ours, err := ownedLogGroup(gctx, env, j, p.ClusterID, p.LogGroup, region); err != nil {
					return err
				} else if !ours {
					return j.Finish(KindLogGroup, p.LogGroup, region)
				}
			}
			ensure := awsiam.EnsureLogGroup
			if !st.Exists {
				ensure = awsiam.CreateLogGroup
			}
			r, err := ensure(gctx, env.AWS.LogsFor(region), p.LogGroup, int32(p.RetentionDays), awsiam.ClusterTags(p.ClusterID, p.ClusterName))
			arn := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, p.YourAccount, p.LogGroup)
			if r.Created {
				created(arn)
				mu.Lock()
				made = append(made, region)
				mu.Unlock()
			}
			if err != nil {
				if r.Created {
					// Recorded although setting its retention failed: the
					// group exists. The intent stays, so the rerun gives
					// it its retention (markRetentionPending).
					if err := j.RecordCreated(KindLogGroup, p.LogGroup, region); err != nil {
						return err
					}
				}
				return &StepError{Step: StepLogGroup, Cause: fmt.Errorf("log group %s in %s: %w", p.LogGroup, region, err), Fix: awsFix(err, "logs:CreateLogGroup and logs:PutRetentionPolicy"), Permanent: !awsiam.IsThrottling(err)}
			}
			if r.RetentionChanged && !r.Created {
				changed(arn + " retention")
			}
			if r.Created {
				// A kill before this write leaves the intent, which the
				// rerun adopts by the group's tags.
				return j.Complete(KindLogGroup, p.LogGroup, region, false)
			}
			return finishLogGroup(gctx, env, j, p.ClusterID, p.LogGroup, region, st)
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

// finishLogGroup closes the intent to create a log group that exists, and
// records it as made by the tool when an interrupted run set out to make
// it and its live tags say it is this cluster's (it may have been made by
// someone else since, under the same name).
func finishLogGroup(ctx context.Context, env *Env, j *Journal, clusterID, name, region string, st awsiam.LogGroupState) error {
	if !j.Intends(KindLogGroup, name, region) {
		return nil
	}
	if !st.Exists || st.ARN == "" {
		var err error
		if st, err = awsiam.InspectLogGroup(ctx, env.AWS.LogsFor(region), name); err != nil {
			return err
		}
	}
	if st.Exists {
		tags, err := awsiam.LogGroupTags(ctx, env.AWS.LogsFor(region), st.ARN)
		if err != nil {
			return err
		}
		if ownsLive(tags, clusterID, j, KindLogGroup, name, region, st.Created) {
			if _, err := j.Adopt(KindLogGroup, name, region); err != nil {
				return err
			}
		}
	}
	return j.Finish(KindLogGroup, name, region)
}

// ownedLogGroup reads a log group's live tags and says whether the tool
// made it for this cluster (false when it is gone).
func ownedLogGroup(ctx context.Context, env *Env, j *Journal, clusterID, name, region string) (bool, error) {
	logs := env.AWS.LogsFor(region)
	st, err := awsiam.InspectLogGroup(ctx, logs, name)
	if err != nil || !st.Exists {
		return false, err
	}
	tags, err := awsiam.LogGroupTags(ctx, logs, st.ARN)
	if err != nil {
		return false, err
	}
	return ownsLive(tags, clusterID, j, KindLogGroup, name, region, st.Created), nil
}

func planItemChanges(p *SetupPlan, step, item string) bool {
	s := p.Step(step)
	for _, it := range s.Items {
		if it.Name == item {
			return it.Action == Create || it.Action == WillChange
		}
	}
	return false
}

func ensureRole(ctx context.Context, env *Env, p *SetupPlan, j *Journal, created func(string)) (string, error) {
	if p.BringOwnRole {
		return "using your role " + p.RoleARN, nil
	}
	if p.role.Exists {
		if !p.roleOurs {
			return "using role " + p.role.ARN + " as it is (not made by this tool for this cluster)", nil
		}
		// A role this cluster's interrupted run made moments ago: IAM may
		// still be propagating it.
		if adopted, err := j.Adopt(KindRole, p.role.ARN, ""); err != nil {
			return "", err
		} else if adopted {
			if err := j.NoteRoleChanged(); err != nil {
				return "", err
			}
		}
		return "role " + p.role.ARN + " exists", j.Finish(KindRole, p.role.ARN, "")
	}
	if err := j.Intend(KindRole, p.RoleARN, ""); err != nil {
		return "", err
	}
	r, err := awsiam.EnsureRole(ctx, env.AWS.IAM, awsiam.RoleSpec{
		Name:        p.RoleName,
		Description: fmt.Sprintf("Lets CockroachDB Cloud cluster %s (%s) write its logs to CloudWatch", p.ClusterName, p.ClusterID),
		Trust:       p.Trust,
		Tags:        awsiam.ClusterTags(p.ClusterID, p.ClusterName),
		Absent:      true,
	})
	if err != nil {
		return "", &StepError{Step: StepRole, Cause: err, Fix: awsFix(err, "iam:CreateRole and iam:GetRole"), Permanent: !awsiam.IsThrottling(err)}
	}
	p.RoleARN = r.ARN
	if !r.Created {
		// It appeared since the plan looked. It is this run's to use only
		// if its tags say the tool made it for this cluster (an
		// interrupted run of this cluster did) and it lets the cluster in.
		st, err := awsiam.InspectRole(ctx, env.AWS.IAM, p.RoleName)
		if err != nil {
			return "", &StepError{Step: StepRole, Cause: err, Fix: awsFix(err, "iam:GetRole"), Permanent: !awsiam.IsThrottling(err)}
		}
		if !ownsLive(st.Tags, p.ClusterID, j, KindRole, st.ARN, "", st.CreateDate) {
			_ = j.Finish(KindRole, p.RoleARN, "")
			return "", &StepError{Step: StepRole, Cause: fmt.Errorf("role %s appeared after the plan was made and %s", st.ARN, notOursReason(st.Tags, p.ClusterID)), Fix: "run the same command again to plan with it as it is, or choose another --role-name", Permanent: true}
		}
		p.role, p.roleOurs = st, true
		p.trustChange = st.Trust == nil || !awsiam.Equivalent(st.Trust, p.Trust)
		if _, err := j.Adopt(KindRole, r.ARN, ""); err != nil {
			return "", err
		}
		if err := j.NoteRoleChanged(); err != nil {
			return "", err
		}
		return "role " + r.ARN + " exists", j.Finish(KindRole, r.ARN, "")
	}
	p.madeRole = true
	if err := j.Complete(KindRole, r.ARN, "", true); err != nil {
		return "", err
	}
	created(r.ARN)
	return "created " + r.ARN, nil
}

// ensureTrust writes the role's trust policy when the plan changes it:
// the bridge first when the export in force uses the role (the final
// policy follows once the new configuration is ENABLED), else the final
// one. The role's live tags are read again first: a role someone made
// again under the same name since the plan is not rewritten.
func ensureTrust(ctx context.Context, env *Env, p *SetupPlan, j *Journal, changed func(string)) (string, error) {
	if !p.trustChange {
		return p.Step(StepTrust).Summary, nil
	}
	if err := stillOurs(ctx, env, p, j); err != nil {
		return "", err
	}
	doc, note := p.Trust, ""
	if p.trustBridge != nil {
		doc, note = p.trustBridge, " (letting the configuration in force in too, until the new one is ENABLED)"
	}
	if err := awsiam.UpdateTrust(ctx, env.AWS.IAM, p.RoleName, doc); err != nil {
		return "", &StepError{Step: StepTrust, Cause: err, Fix: awsFix(err, "iam:UpdateAssumeRolePolicy"), Permanent: !awsiam.IsThrottling(err)}
	}
	if err := j.NoteRoleChanged(); err != nil {
		return "", err
	}
	changed(p.RoleARN + " trust policy")
	return "trust policy replaced: the cluster's account " + p.ClusterAccount + " may assume the role" + note, nil
}

// stillOurs reads the role again and refuses to change it unless its tags
// still say the tool made it for this cluster.
func stillOurs(ctx context.Context, env *Env, p *SetupPlan, j *Journal) error {
	if p.madeRole {
		return nil
	}
	st, err := awsiam.InspectRole(ctx, env.AWS.IAM, p.RoleName)
	if err != nil && !st.Exists {
		return &StepError{Step: StepTrust, Cause: err, Fix: awsFix(err, "iam:GetRole"), Permanent: !awsiam.IsThrottling(err)}
	}
	if !st.Exists || !ownsLive(st.Tags, p.ClusterID, j, KindRole, st.ARN, "", st.CreateDate) {
		why := "no longer exists"
		if st.Exists {
			why = notOursReason(st.Tags, p.ClusterID)
		}
		return &StepError{Step: StepTrust, Cause: fmt.Errorf("role %s changed since the plan was made: it %s; it was left as it is", p.RoleName, why), Fix: "run the same command again to plan from what is there now", Permanent: true}
	}
	return nil
}

func ensurePolicy(ctx context.Context, env *Env, p *SetupPlan, j *Journal, created, changed func(string)) (string, error) {
	if p.policy.Exists && !p.policyOurs {
		return "using policy " + p.PolicyARN + " as it is (not made by this tool for this cluster)", nil
	}
	if !p.policy.Exists {
		if err := j.Intend(KindPolicy, p.PolicyARN, ""); err != nil {
			return "", err
		}
	}
	doc, note := p.Permission, ""
	if p.permissionBridge != nil {
		doc, note = p.permissionBridge, " (granting the configuration in force too, until the new one is ENABLED)"
	}
	r, err := awsiam.EnsurePolicy(ctx, env.AWS.IAM, awsiam.PolicySpec{
		Account:     p.YourAccount,
		Name:        p.PolicyName,
		Description: "CloudWatch Logs access for CockroachDB Cloud log export (crdb-logexport)",
		Document:    doc,
		Tags:        awsiam.ClusterTags(p.ClusterID, p.ClusterName),
		Absent:      !p.policy.Exists,
		MayChange:   p.mayChangePolicy(j),
	})
	if err != nil {
		if !p.policy.Exists {
			_ = j.Finish(KindPolicy, p.PolicyARN, "")
		}
		return "", &StepError{Step: StepPermissions, Cause: err, Fix: awsFix(err, "iam:CreatePolicy and iam:CreatePolicyVersion"), Permanent: !awsiam.IsThrottling(err)}
	}
	p.PolicyARN = r.ARN
	if !r.Created {
		// Possibly made by this cluster's interrupted run, which did not
		// get to record it: its tags say it is this cluster's (checked by
		// the plan, or by MayChange when it appeared since).
		if _, err := j.Adopt(KindPolicy, r.ARN, ""); err != nil {
			return "", err
		}
	}
	if r.Created {
		p.madePolicy = true
		if err := j.Complete(KindPolicy, r.ARN, "", false); err != nil {
			return "", err
		}
	} else if err := j.Finish(KindPolicy, r.ARN, ""); err != nil {
		return "", err
	}
	switch {
	case r.Created:
		created(r.ARN)
		return "created " + r.ARN + note, nil
	case r.NewVersion != "":
		changed(r.ARN + " " + r.NewVersion)
		msg := fmt.Sprintf("%s: new default version %s%s", r.ARN, r.NewVersion, note)
		if r.PrunedVersion != "" {
			msg += " (deleted old version " + r.PrunedVersion + ")"
		}
		return msg, nil
	}
	return r.ARN + " already grants what is needed", nil
}

// mayChangePolicy is the last check before an existing policy gets a new
// version: its live tags must say the tool made it for this cluster.
func (p *SetupPlan) mayChangePolicy(j *Journal) func(awsiam.PolicyState) error {
	return func(st awsiam.PolicyState) error {
		if ownsLive(st.Tags, p.ClusterID, j, KindPolicy, st.ARN, "", st.Created) {
			return nil
		}
		return fmt.Errorf("policy %s %s, so this tool does not give it a new version; choose another --policy-name, or leave it out for this cluster's own policy", st.ARN, notOursReason(st.Tags, p.ClusterID))
	}
}

func attachPolicy(ctx context.Context, env *Env, p *SetupPlan, j *Journal, changed func(string)) (string, error) {
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
	if err := j.Complete(KindAttachment, key, "", false); err != nil {
		return "", err
	}
	changed(p.RoleARN + " attached " + p.PolicyARN)
	return "attached " + p.PolicyARN + " to " + p.RoleName, nil
}

// enable POSTs the configuration when needed, follows the status to a
// terminal one (re-enabling while IAM propagates a young role), then looks
// for log streams.
func enable(ctx context.Context, env *Env, p *SetupPlan, j *Journal, opts SetupOptions, rep Reporter, res *SetupResult, changed func(string)) (string, error) {
	// Without a POST the export stays as planning read it.
	var accepted cloudapi.LogExportInfo
	if p.Current != nil {
		accepted = *p.Current
	}
	post := func() (cloudapi.LogExportInfo, error) {
		return postConfig(ctx, env, p.ClusterID, p.Request, "check the message above; nothing was changed on the CockroachDB side")
	}
	bridged := p.trustBridge != nil || p.permissionBridge != nil
	fail := func(err error) (string, error) {
		if bridged {
			return "", bridgeKept(err)
		}
		return "", err
	}
	if p.enableNeeded {
		info, err := post()
		if err != nil {
			return fail(err)
		}
		accepted = info
		changed("log export configuration of " + p.ClusterName)
	}
	if opts.NoWait {
		res.Status, res.UserMessage = accepted.Status, accepted.UserMessage
		if bridged {
			return "configuration accepted; not waiting (--no-wait). The role's trust and the policy still allow the previous configuration too: run the same command again once the export is ENABLED to narrow them", nil
		}
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
		return fail(err)
	}
	if err := settled(final, why, p.ClusterName); err != nil {
		return fail(err)
	}
	if err := narrow(ctx, env, p, j, changed); err != nil {
		return "", err
	}

	streams, err := waitForStreams(ctx, env, p, opts.StreamTimeout, rep)
	res.Streams = streams
	if err != nil {
		return "", err
	}
	return enabledSummary(res.Streams, res.PropagationRetries, "the role", "", p.Regions), nil
}

// enabledSummary is step 10's outcome: ENABLED, after how many re-enables
// while IAM propagated what changed, and where logs arrive (in logGroup,
// when named) or have not appeared yet.
func enabledSummary(streams []RegionStreams, retries int, propagated, logGroup string, regions []string) string {
	var missing []string
	for _, s := range streams {
		if s.Streams == 0 {
			missing = append(missing, s.Region)
		}
	}
	msg := "ENABLED"
	if retries > 0 {
		msg += fmt.Sprintf(" after %d %s while IAM propagated %s", retries, plural(retries, "re-enable", "re-enables"), propagated)
	}
	in := ""
	if logGroup != "" {
		in = logGroup + " in "
	}
	if len(missing) > 0 {
		return msg + "; no log streams yet in " + in + strings.Join(missing, ", ") + " (logs are not back-filled; check again with `crdb-logexport status`)"
	}
	return msg + "; logs arriving in " + in + strings.Join(regions, ", ")
}

// narrow replaces the bridges with the final trust and permission policy
// once the new configuration is ENABLED: the configuration in force is
// the new one, and the grants go back to least privilege.
func narrow(ctx context.Context, env *Env, p *SetupPlan, j *Journal, changed func(string)) error {
	if p.trustBridge != nil {
		if err := stillOurs(ctx, env, p, j); err != nil {
			return err
		}
		if err := awsiam.UpdateTrust(ctx, env.AWS.IAM, p.RoleName, p.Trust); err != nil {
			return &StepError{Step: StepTrust, Cause: fmt.Errorf("the export is ENABLED, but narrowing the role's trust to the new configuration failed: %w", err), Fix: "run the same command again to finish; the trust still lets the previous configuration in", Permanent: !awsiam.IsThrottling(err)}
		}
		p.trustBridge = nil
		changed(p.RoleARN + " trust policy narrowed to the new configuration")
	}
	if p.permissionBridge != nil {
		r, err := awsiam.EnsurePolicy(ctx, env.AWS.IAM, awsiam.PolicySpec{
			Account: p.YourAccount, Name: p.PolicyName, Document: p.Permission,
			MayChange: p.mayChangePolicy(j),
		})
		if err != nil {
			return &StepError{Step: StepPermissions, Cause: fmt.Errorf("the export is ENABLED, but narrowing the permission policy to the new configuration failed: %w", err), Fix: "run the same command again to finish; the policy still grants the previous log groups too", Permanent: !awsiam.IsThrottling(err)}
		}
		p.permissionBridge = nil
		if r.NewVersion != "" {
			changed(r.ARN + " " + r.NewVersion + " (narrowed to the new configuration)")
		}
	}
	return nil
}

// bridgeKept says truthfully what a setup or update that did not reach
// ENABLED leaves: the bridges stay, so whatever configuration is in force
// keeps the grants it had.
func bridgeKept(err error) error {
	se, ok := AsStepError(err)
	if !ok {
		return err
	}
	out := *se
	out.Fix = strings.TrimSpace(se.Fix + "\nThe role's trust and the permission policy still allow the previous configuration as well as the new one (nothing was narrowed), so whichever is in force keeps its access; running the same command again finishes the change once the cause is fixed.")
	return &out
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
	case final.Unknown():
		return &StepError{Step: StepEnable, Cause: fmt.Errorf("the API reports the export as %s, a status this version of crdb-logexport does not know (%s); it stopped waiting instead of guessing what it means", final.Info.Status, orNone(final.Info.UserMessage)), Fix: "see what the CockroachDB Cloud Console says of the export, or follow it with `crdb-logexport status --cluster " + clusterName + " --watch`; a newer crdb-logexport may know the status", Permanent: true}
	case !final.Failed():
		return &StepError{Step: StepEnable, Cause: fmt.Errorf("export ended %s", final.Info.Status), Fix: "another change to the export happened meanwhile; check `crdb-logexport status --cluster " + clusterName + "`", Permanent: true}
	}
	return &StepError{Step: StepEnable, Cause: fmt.Errorf("log export is %s: %s", final.Info.Status, final.Info.UserMessage), Fix: why, Permanent: true}
}

// propagationRetry decides whether a failed enable may be IAM eventual
// consistency (PRODUCT.md §4): an assume-role symptom, a role the tool
// created or changed within the limit, and local checks that pass. Anything
// else stops at once with the finding.
func propagationRetry(ctx context.Context, env *Env, p *SetupPlan, j *Journal, final cloudapi.StatusEvent, failingFor, limit time.Duration, attempt int) (time.Duration, string, bool) {
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
func waitForStreams(ctx context.Context, env *Env, p *SetupPlan, timeout time.Duration, rep Reporter) ([]RegionStreams, error) {
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
