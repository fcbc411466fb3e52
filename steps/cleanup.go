package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// Cleanup finds what to remove in the live world, not in a file: every
// resource the tool may have made for the cluster is looked up by name —
// names from the cluster's journal and the journals it archived (records
// and unfinished intents alike), the export's configuration, and this
// cluster's default names — and only those whose live tags say the tool
// made them for this cluster are removed. A journal that is missing,
// damaged or started afresh therefore loses nothing, and a resource made
// again by someone else under the same name is kept, and said so.

// cleanupCandidates are the names to look up, by kind.
type cleanupCandidates struct {
	roles     map[string]bool // role names
	policies  map[string]bool // policy ARNs
	logGroups map[string]bool // logGroupKey(name, region)
}

func newCandidates() *cleanupCandidates {
	return &cleanupCandidates{roles: map[string]bool{}, policies: map[string]bool{}, logGroups: map[string]bool{}}
}

func (c *cleanupCandidates) addRoleARN(arn, account string) {
	if a, err := awsiam.ParseARN(arn); err == nil && a.Kind == awsiam.KindRole && a.AccountID == account && (a.Path == "" || a.Path == "/") {
		c.roles[a.Name] = true
	}
}

func (c *cleanupCandidates) addPolicyARN(arn, account string) {
	if a, err := awsiam.ParseARN(arn); err == nil && a.Kind == awsiam.KindPolicy && a.AccountID == account {
		c.policies[arn] = true
	}
}

// addJournal takes every name a journal knows: records, intents and the
// configuration it last saw.
func (c *cleanupCandidates) addJournal(j *Journal, account string) {
	for _, list := range [][]Resource{j.Created, j.Intended} {
		for _, r := range list {
			switch r.Kind {
			case KindRole:
				c.addRoleARN(r.ID, account)
			case KindPolicy:
				c.addPolicyARN(r.ID, account)
			case KindLogGroup:
				c.logGroups[logGroupKey(r.ID, r.Region)] = true
			case KindAttachment:
				role, policy, _ := strings.Cut(r.ID, "|")
				c.roles[role] = true
				c.addPolicyARN(policy, account)
			}
		}
	}
	c.addRoleARN(j.Settings["role_arn"], account)
	c.addPolicyARN(j.Settings["policy_arn"], account)
	if lg := j.Settings["log_group"]; lg != "" {
		for _, region := range strings.Split(j.Settings["regions"], ",") {
			if region != "" {
				c.logGroups[logGroupKey(lg, region)] = true
			}
		}
	}
}

// archivedJournals reads the journals of the cluster moved aside by
// --from-scratch (or an Archive); damaged ones are skipped.
func (s JournalStore) archivedJournals(clusterID string) []*Journal {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil
	}
	var out []*Journal
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, clusterID+".") || !strings.HasSuffix(name, ".json") || name == clusterID+".json" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.Dir, name))
		if err != nil {
			continue
		}
		j, err := parseJournal(b, clusterID)
		if err != nil {
			continue
		}
		out = append(out, j)
	}
	return out
}

// readJournal opens the cluster's journal for reading only: a damaged one
// is reported (Env.Warn) and left where it is, and the answer is nil.
func (e *Env) readJournal(clusterID, clusterName string) *Journal {
	j, err := e.Journals.Open(clusterID, clusterName)
	if err != nil {
		if errors.Is(err, ErrDamagedJournal) {
			e.warn(err.Error() + "; carrying on without it (what this tool made is found by its tags)")
		}
		return nil
	}
	return j
}

// planCleanup fills the plan's items: what cleanup removes and what it
// keeps, and why.
func planCleanup(ctx context.Context, env *Env, p *DisablePlan, cluster cloudapi.Cluster, in DisableInput) error {
	caller, err := awsiam.CallerIdentity(ctx, env.AWS.STS)
	if err != nil {
		return &StepError{Step: StepCleanup, Cause: err, Fix: awsFix(err, "sts:GetCallerIdentity"), Permanent: !awsiam.IsThrottling(err)}
	}
	account := caller.Account
	cands := newCandidates()
	j := env.readJournal(cluster.ID, cluster.Name)
	if j != nil {
		cands.addJournal(j, account)
	}
	for _, old := range env.Journals.archivedJournals(cluster.ID) {
		cands.addJournal(old, account)
	}
	cands.roles[DefaultRoleNameFor(cluster.Name, cluster.ID)] = true
	cands.addPolicyARN(awsiam.PolicyARN(account, DefaultPolicyNameFor(cluster.Name, cluster.ID), ""), account)
	for _, region := range cluster.RegionNames() {
		cands.logGroups[logGroupKey(DefaultLogGroup(cluster.Name), region)] = true
	}
	if p.Spec != nil {
		cands.addRoleARN(p.Spec.AuthPrincipal, account)
		for _, g := range p.Spec.LogGroups() {
			for _, region := range cluster.ExportRegions(*p.Spec) {
				cands.logGroups[logGroupKey(g, region)] = true
			}
		}
	}

	// What other clusters' live exports use stays.
	otherRoles, otherGroups, err := usedByOtherExports(ctx, env, cluster.ID)
	if err != nil {
		return err
	}

	// Roles, and the policies attached to them.
	removedRoles := map[string]bool{}
	for _, name := range sortedKeys(cands.roles) {
		st, err := awsiam.InspectRole(ctx, env.AWS.IAM, name)
		if err != nil && !st.Exists {
			return &StepError{Step: StepCleanup, Cause: err, Fix: awsFix(err, "iam:GetRole"), Permanent: !awsiam.IsThrottling(err)}
		}
		p.priorState = append(p.priorState, PriorState{Resource: "role " + name, State: roleState(st)})
		if !st.Exists {
			continue
		}
		if !ownsLive(st.Tags, cluster.ID, j, KindRole, st.ARN, "", st.CreateDate) {
			p.keep(KindRole, st.ARN, "", notOursReason(st.Tags, cluster.ID))
			continue
		}
		if other := otherRoles[st.ARN]; other != "" {
			p.keep(KindRole, st.ARN, "", "the export of cluster "+other+" uses it")
			continue
		}
		attached, err := awsiam.AttachedPolicyARNs(ctx, env.AWS.IAM, name)
		if err != nil {
			return &StepError{Step: StepCleanup, Cause: err, Fix: awsFix(err, "iam:ListAttachedRolePolicies"), Permanent: !awsiam.IsThrottling(err)}
		}
		var foreign []string
		for _, arn := range attached {
			pst, err := awsiam.InspectPolicy(ctx, env.AWS.IAM, arn)
			if err != nil && !pst.Exists {
				return &StepError{Step: StepCleanup, Cause: err, Fix: awsFix(err, "iam:GetPolicy"), Permanent: !awsiam.IsThrottling(err)}
			}
			if ownsLive(pst.Tags, cluster.ID, j, KindPolicy, arn, "", pst.Created) {
				cands.policies[arn] = true
				p.Items = append(p.Items, CleanupItem{Kind: KindAttachment, ID: name + "|" + arn, Remove: true})
			} else {
				foreign = append(foreign, arn)
			}
		}
		if len(foreign) > 0 {
			p.keep(KindRole, st.ARN, "", "it also has "+strings.Join(foreign, ", ")+" attached, which this tool did not make; detach them first if the role should go")
			continue
		}
		removedRoles[name] = true
		p.Items = append(p.Items, CleanupItem{Kind: KindRole, ID: st.ARN, Remove: true})
	}

	// Policies: removed once no role that stays has them attached.
	for _, arn := range sortedKeys(cands.policies) {
		st, err := awsiam.InspectPolicy(ctx, env.AWS.IAM, arn)
		if err != nil && !st.Exists {
			return &StepError{Step: StepCleanup, Cause: err, Fix: awsFix(err, "iam:GetPolicy"), Permanent: !awsiam.IsThrottling(err)}
		}
		p.priorState = append(p.priorState, PriorState{Resource: "policy " + arn, State: policyState(st)})
		if !st.Exists {
			continue
		}
		if !ownsLive(st.Tags, cluster.ID, j, KindPolicy, arn, "", st.Created) {
			p.keep(KindPolicy, arn, "", notOursReason(st.Tags, cluster.ID))
			continue
		}
		roles, err := awsiam.RolesForPolicy(ctx, env.AWS.IAM, arn)
		if err != nil {
			return &StepError{Step: StepCleanup, Cause: err, Fix: awsFix(err, "iam:ListEntitiesForPolicy"), Permanent: !awsiam.IsThrottling(err)}
		}
		keepFor := ""
		var detach []string
		for _, r := range roles {
			a, _ := awsiam.ParseARN(r)
			switch {
			case removedRoles[a.Name]:
			case otherRoles[r] != "":
				keepFor = "it is attached to " + r + ", which the export of cluster " + otherRoles[r] + " uses"
			default:
				detach = append(detach, a.Name)
			}
		}
		if keepFor != "" {
			p.keep(KindPolicy, arn, "", keepFor)
			continue
		}
		for _, role := range detach {
			p.Items = append(p.Items, CleanupItem{Kind: KindAttachment, ID: role + "|" + arn, Remove: true})
		}
		p.Items = append(p.Items, CleanupItem{Kind: KindPolicy, ID: arn, Remove: true})
	}

	// Log groups: removed with --delete-log-group, or when they hold no
	// logs at all; kept while another cluster's export writes to them.
	for _, key := range sortedKeys(cands.logGroups) {
		name, region := splitLogGroupKey(key)
		logs := env.AWS.LogsFor(region)
		st, err := awsiam.InspectLogGroup(ctx, logs, name)
		if err != nil {
			return &StepError{Step: StepCleanup, Cause: err, Fix: awsFix(err, "logs:DescribeLogGroups"), Permanent: !awsiam.IsThrottling(err)}
		}
		if !st.Exists {
			p.priorState = append(p.priorState, PriorState{Resource: "log group " + name + " in " + region, State: "absent"})
			continue
		}
		tags, err := awsiam.LogGroupTags(ctx, logs, st.ARN)
		if err != nil {
			return &StepError{Step: StepCleanup, Cause: err, Fix: awsFix(err, "logs:ListTagsForResource"), Permanent: !awsiam.IsThrottling(err)}
		}
		p.priorState = append(p.priorState, PriorState{Resource: "log group " + name + " in " + region, State: logGroupState(st) + "; tags " + tagText(tags)})
		switch {
		case !ownsLive(tags, cluster.ID, j, KindLogGroup, name, region, st.Created):
			p.keep(KindLogGroup, name, region, notOursReason(tags, cluster.ID))
		case otherGroups[key] != "":
			p.keep(KindLogGroup, name, region, "the export of cluster "+otherGroups[key]+" writes to it")
		default:
			// Whether it holds logs decides the confirmation even when
			// they are to be deleted: an empty group loses nothing.
			streams, err := awsiam.RecentStreams(ctx, logs, name, "", 1)
			if err != nil {
				return &StepError{Step: StepCleanup, Cause: err, Fix: awsFix(err, "logs:DescribeLogStreams"), Permanent: !awsiam.IsThrottling(err)}
			}
			switch {
			case len(streams) == 0:
				p.Items = append(p.Items, CleanupItem{Kind: KindLogGroup, ID: name, Region: region, Remove: true, Reason: "it holds no logs", Empty: true})
			case in.DeleteLogGroups:
				p.Items = append(p.Items, CleanupItem{Kind: KindLogGroup, ID: name, Region: region, Remove: true})
			default:
				p.keep(KindLogGroup, name, region, "it holds the exported logs; remove it with --delete-log-group")
			}
		}
	}
	sortCleanup(p.Items)
	return nil
}

// keep lists a resource cleanup leaves, with the reason.
func (p *DisablePlan) keep(kind, id, region, reason string) {
	p.Items = append(p.Items, CleanupItem{Kind: kind, ID: id, Region: region, Reason: reason})
}

// sortCleanup puts the items in the order they can be undone in — a
// policy is deleted once detached, a role once its policies are — and
// each kind by name; an item listed twice is kept once.
func sortCleanup(items []CleanupItem) {
	rank := map[string]int{}
	for i, k := range cleanupOrder {
		rank[k] = i
	}
	sort.SliceStable(items, func(a, b int) bool {
		if rank[items[a].Kind] != rank[items[b].Kind] {
			return rank[items[a].Kind] < rank[items[b].Kind]
		}
		return items[a].ID+items[a].Region < items[b].ID+items[b].Region
	})
}

func dedupeCleanup(items []CleanupItem) []CleanupItem {
	seen := map[string]bool{}
	out := items[:0]
	for _, it := range items {
		k := resourceID(it.Kind, it.ID, it.Region)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, it)
	}
	return out
}

func splitLogGroupKey(key string) (name, region string) {
	rest := strings.TrimPrefix(key, "log-group|")
	i := strings.LastIndex(rest, "|")
	return rest[:i], rest[i+1:]
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// usedByOtherExports reads every other AWS cluster's live export: the
// roles they use and the log groups (per region) they write to.
func usedByOtherExports(ctx context.Context, env *Env, clusterID string) (roles, groups map[string]string, err error) {
	roles, groups = map[string]string{}, map[string]string{}
	var mu sync.Mutex
	err = eachExport(ctx, env, env.Cloud.Clusters, func(cl cloudapi.Cluster) bool {
		return cl.ID != clusterID && cl.CloudProvider == cloudapi.ProviderAWS
	}, func(cl cloudapi.Cluster, info cloudapi.LogExportInfo, err error) error {
		if err != nil {
			return &StepError{Step: StepCleanup, Cause: fmt.Errorf("reading the export of cluster %s, to keep what it uses: %w", cl.Name, err), Fix: cloudAuthFix(err), Permanent: !transientCloud(err)}
		}
		if !info.Configured || info.Status == cloudapi.StatusDisabled {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		roles[info.Spec.AuthPrincipal] = cl.Name
		for _, g := range info.Spec.LogGroups() {
			for _, region := range cl.ExportRegions(info.Spec) {
				groups[logGroupKey(g, region)] = cl.Name
			}
		}
		return nil
	})
	return roles, groups, err
}

// removeOne deletes one resource — after reading its live tags once more:
// a resource someone made again under the same name since the plan is not
// the tool's to delete — and forgets it in the journal (when there is
// one). It returns the label and, for a resource it keeps, why.
func removeOne(ctx context.Context, env *Env, j *Journal, clusterID string, r Resource, opts RollbackOptions) (label, kept string, err error) {
	forget := func() error {
		if j == nil {
			return nil
		}
		if err := j.Forget(r.Kind, r.ID, r.Region); err != nil {
			return err
		}
		return j.Finish(r.Kind, r.ID, r.Region)
	}
	switch r.Kind {
	case KindAttachment:
		role, policy, _ := strings.Cut(r.ID, "|")
		label = "attachment of " + policy + " to " + role
		st, err := awsiam.InspectPolicy(ctx, env.AWS.IAM, policy)
		if err != nil && !st.Exists {
			return label, "", err
		}
		if st.Exists && !ownsLive(st.Tags, clusterID, j, KindPolicy, policy, "", st.Created) {
			return label, "the policy " + notOursReason(st.Tags, clusterID), nil
		}
		if err := awsiam.DetachPolicy(ctx, env.AWS.IAM, role, policy); err != nil {
			return label, "", err
		}
		return label, "", forget()
	case KindPolicy:
		label = "policy " + r.ID
		st, err := awsiam.InspectPolicy(ctx, env.AWS.IAM, r.ID)
		if err != nil && !st.Exists {
			return label, "", err
		}
		if !st.Exists {
			return label, "", forget()
		}
		if !ownsLive(st.Tags, clusterID, j, KindPolicy, r.ID, "", st.Created) {
			return label, notOursReason(st.Tags, clusterID), nil
		}
		if err := awsiam.DeletePolicy(ctx, env.AWS.IAM, r.ID); err != nil {
			return label, "", err
		}
		return label, "", forget()
	case KindRole:
		label = "role " + r.ID
		arn, err := awsiam.ParseARN(r.ID)
		if err != nil {
			return label, "", err
		}
		st, err := awsiam.InspectRole(ctx, env.AWS.IAM, arn.Name)
		if err != nil && !st.Exists {
			return label, "", err
		}
		if !st.Exists {
			return label, "", forget()
		}
		if !ownsLive(st.Tags, clusterID, j, KindRole, st.ARN, "", st.CreateDate) {
			return label, notOursReason(st.Tags, clusterID), nil
		}
		attached, err := awsiam.AttachedPolicyARNs(ctx, env.AWS.IAM, arn.Name)
		if err != nil {
			return label, "", err
		}
		var detach []string
		for _, a := range attached {
			pst, err := awsiam.InspectPolicy(ctx, env.AWS.IAM, a)
			if err == nil && pst.Exists && ownsLive(pst.Tags, clusterID, j, KindPolicy, a, "", pst.Created) {
				detach = append(detach, a)
			}
		}
		if err := awsiam.DeleteRole(ctx, env.AWS.IAM, arn.Name, detach); err != nil {
			return label, "", err
		}
		return label, "", forget()
	case KindLogGroup:
		label = "log group " + r.ID + " in " + r.Region
		logs := env.AWS.LogsFor(r.Region)
		st, err := awsiam.InspectLogGroup(ctx, logs, r.ID)
		if err != nil {
			return label, "", err
		}
		if !st.Exists {
			return label, "", forget()
		}
		tags, err := awsiam.LogGroupTags(ctx, logs, st.ARN)
		if err != nil {
			return label, "", err
		}
		if !ownsLive(tags, clusterID, j, KindLogGroup, r.ID, r.Region, st.Created) {
			return label, notOursReason(tags, clusterID), nil
		}
		if !opts.DeleteLogGroups {
			streams, err := awsiam.RecentStreams(ctx, logs, r.ID, "", 1)
			if err != nil {
				return label, "", err
			}
			if len(streams) > 0 {
				return label, "it holds the exported logs; remove it with --delete-log-group", nil
			}
		}
		if err := awsiam.DeleteLogGroup(ctx, logs, r.ID); err != nil {
			return label, "", err
		}
		return label, "", forget()
	}
	return "", "", fmt.Errorf("unknown resource kind %q", r.Kind)
}

// parseJournal decodes a journal file of the cluster.
func parseJournal(b []byte, clusterID string) (*Journal, error) {
	j, err := decodeJournal(b)
	if err != nil {
		return nil, err
	}
	if j.ClusterID != clusterID {
		return nil, fmt.Errorf("journal of cluster %s, not %s", j.ClusterID, clusterID)
	}
	return j, nil
}
