package steps

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// Ownership is what a live resource's tags say about who made it. The tool
// changes, rolls back or deletes a resource only when its tags say it made
// it for this cluster: a resource of the same name without them is someone
// else's, whatever a journal remembers.
type Ownership int

// Ownerships.
const (
	// NotOurs: no tags of this tool. Someone else made it (or this tool
	// made it and someone deleted and made it again).
	NotOurs Ownership = iota
	// OursForThisCluster: tagged by this tool with this cluster's id.
	OursForThisCluster
	// OursForAnotherCluster: tagged by this tool for another cluster.
	OursForAnotherCluster
	// OursUntagged: tagged by an earlier version of this tool, which did
	// not name the cluster; it counts as this cluster's only when this
	// cluster's journal recorded making it at the time AWS says it was made.
	OursUntagged
)

// OwnershipOf reads the tags of a resource for a cluster; for a resource
// of another cluster it also returns that cluster (name, or id).
func OwnershipOf(tags map[string]string, clusterID string) (Ownership, string) {
	if !awsiam.ManagedByTool(tags) {
		return NotOurs, ""
	}
	switch id := tags[awsiam.ClusterTagKey]; {
	case id == "":
		return OursUntagged, ""
	case id == clusterID:
		return OursForThisCluster, ""
	default:
		return OursForAnotherCluster, firstNonEmpty(tags[awsiam.ClusterNameTagKey], id)
	}
}

// recordedSlack is how far apart the journal's time for making a resource
// and AWS's creation time may be for an untagged resource to count as the
// one the journal recorded (clocks differ; the journal writes just after
// the create, or, for an intent, just before).
const recordedSlack = 15 * time.Minute

// recordedAt reports whether the journal recorded making (or setting out
// to make) the resource at about the time AWS says it was made. A zero
// creation time (not known) never matches.
func recordedAt(j *Journal, kind, id, region string, created time.Time) bool {
	if j == nil || created.IsZero() {
		return false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, list := range [][]Resource{j.Created, j.Intended} {
		for _, r := range list {
			if r.Kind == kind && r.ID == id && r.Region == region {
				if d := r.CreatedAt.Sub(created); d > -recordedSlack && d < recordedSlack {
					return true
				}
			}
		}
	}
	return false
}

// ownsLive decides whether the tool may change or delete a live resource
// for the cluster: its tags say so, or an earlier version's tag and the
// journal's record agree.
func ownsLive(tags map[string]string, clusterID string, j *Journal, kind, id, region string, created time.Time) bool {
	switch o, _ := OwnershipOf(tags, clusterID); o {
	case OursForThisCluster:
		return true
	case OursUntagged:
		return recordedAt(j, kind, id, region, created)
	}
	return false
}

// notOursReason says, for people, why a resource is not the tool's to
// change for the cluster.
func notOursReason(tags map[string]string, clusterID string) string {
	switch o, other := OwnershipOf(tags, clusterID); o {
	case OursForAnotherCluster:
		return "crdb-logexport made it for cluster " + other + " (tag " + awsiam.ClusterTagKey + ")"
	case OursUntagged:
		return "an earlier crdb-logexport made it, and this cluster's journal does not record making it then"
	}
	return "it does not carry crdb-logexport's tags: someone else made it"
}

// Default names are per cluster, so that setting up a second cluster with
// the default answers never touches the first one's role or policy.
// AWS allows 64 characters in a role name and 128 in a policy name; a name
// that would be longer ends in part of the cluster id instead.
func DefaultRoleNameFor(clusterName, clusterID string) string {
	return perClusterName(DefaultRoleName, clusterName, clusterID, 64)
}

// DefaultPolicyNameFor is the default permission policy of a cluster.
func DefaultPolicyNameFor(clusterName, clusterID string) string {
	return perClusterName(DefaultPolicyName, clusterName, clusterID, 128)
}

func perClusterName(base, clusterName, clusterID string, limit int) string {
	name := base + "-" + clusterName
	if len(name) <= limit && clusterName != "" {
		return name
	}
	id := strings.ReplaceAll(clusterID, "-", "")
	if len(id) > 8 {
		id = id[:8]
	}
	keep := limit - len(base) - len(id) - 2
	short := clusterName
	if len(short) > keep {
		short = strings.TrimRight(short[:keep], "-")
	}
	if short == "" {
		return base + "-" + id
	}
	return base + "-" + short + "-" + id
}

// exportsUsing finds, among the exports of every other AWS cluster of the
// organization, those whose auth_principal is one of roleARNs: changing
// such a role's trust or the policy that gives it its permissions would
// break them. It reads the live exports (at the API's rate), not any local
// record, and answers role ARN → cluster name.
func exportsUsing(ctx context.Context, env *Env, clusterID string, roleARNs []string) (map[string]string, error) {
	want := map[string]bool{}
	for _, a := range roleARNs {
		if a != "" {
			want[a] = true
		}
	}
	used := map[string]string{}
	if len(want) == 0 {
		return used, nil
	}
	var mu sync.Mutex
	err := eachExport(ctx, env, env.Cloud.Clusters, func(cl cloudapi.Cluster) bool {
		return cl.ID != clusterID && cl.CloudProvider == cloudapi.ProviderAWS
	}, func(cl cloudapi.Cluster, info cloudapi.LogExportInfo, err error) error {
		if err != nil {
			return &StepError{Step: StepRole, Cause: fmt.Errorf("reading the export of cluster %s, to make sure no other export uses the role: %w", cl.Name, err), Fix: cloudAuthFix(err), Permanent: !transientCloud(err)}
		}
		if info.Configured && info.Status != cloudapi.StatusDisabled && want[info.Spec.AuthPrincipal] {
			mu.Lock()
			used[info.Spec.AuthPrincipal] = cl.Name
			mu.Unlock()
		}
		return nil
	})
	return used, err
}

// eachExport lists clusters (env.Cloud.Clusters: every cluster of the
// organization, all pages) and reads the export of those keep accepts,
// concurrently through the client's shared rate limiter, calling visit
// with each (or with the error reading it). Reads start while later pages
// are still being listed. visit may be called from several goroutines; an
// error it returns stops the walk.
func eachExport(ctx context.Context, env *Env, list func(context.Context) iter.Seq2[cloudapi.Cluster, error], keep func(cloudapi.Cluster) bool, visit func(cloudapi.Cluster, cloudapi.LogExportInfo, error) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(allStatusWorkers)
	for cl, err := range list(gctx) {
		if err != nil {
			_ = g.Wait()
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return &StepError{Step: StepCluster, Cause: err, Fix: cloudAuthFix(err), Permanent: !transientCloud(err)}
		}
		if keep != nil && !keep(cl) {
			continue
		}
		g.Go(func() error {
			info, err := env.Cloud.LogExport(gctx, cl.ID)
			if err != nil && gctx.Err() != nil {
				return gctx.Err()
			}
			return visit(cl, info, err)
		})
	}
	if err := g.Wait(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return err
	}
	return ctx.Err()
}
