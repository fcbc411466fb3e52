package steps

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// ArrivingWindow is how recent a stream's last ingestion must be for logs
// to count as arriving. A running export writes every few seconds; an
// export that stopped delivering falls outside the window within minutes.
const ArrivingWindow = 15 * time.Minute

// ClusterExport is one cluster's log export as `status` reports it: the
// configuration and its status from the Cloud API, the cluster's own state,
// and whether logs are reaching CloudWatch in each destination region.
type ClusterExport struct {
	ClusterID       string                   `json:"cluster_id"`
	ClusterName     string                   `json:"cluster_name"`
	Plan            cloudapi.Plan            `json:"plan"`
	CloudProvider   cloudapi.CloudProvider   `json:"cloud_provider"`
	ClusterState    cloudapi.ClusterState    `json:"cluster_state"`
	OperationStatus cloudapi.OperationStatus `json:"operation_status,omitempty"`
	Status          cloudapi.Status          `json:"status"`
	// UserMessage is the server's explanation; always shown with a failure.
	UserMessage string `json:"user_message"`
	// Configured is false when the cluster never had log export
	// configured (Status is then DISABLED and Spec nil).
	Configured bool                    `json:"configured"`
	Spec       *cloudapi.LogExportSpec `json:"spec"`
	CreatedAt  time.Time               `json:"created_at,omitzero"`
	UpdatedAt  time.Time               `json:"updated_at,omitzero"`
	// Regions are the regions logs are delivered to under Spec.
	Regions []string `json:"destination_regions"`
	// Logs has one entry per destination region and log group.
	Logs []RegionLogs `json:"logs"`
	// LogsNote says why Logs is empty or incomplete, when it is.
	LogsNote string `json:"logs_note,omitempty"`
}

// RegionLogs is what one region's log group holds of this export.
type RegionLogs struct {
	Region   string `json:"region"`
	LogGroup string `json:"log_group"`
	// Streams counts the export's streams in the group
	// ({group}.{region}.cockroachdbcloud.*).
	Streams int `json:"streams"`
	// Newest is the latest ingestion (or event) time of any of them.
	Newest time.Time `json:"newest_event,omitzero"`
	// Arriving: some stream received events within ArrivingWindow.
	Arriving bool   `json:"arriving"`
	Error    string `json:"error,omitempty"`
}

// StatusOptions tune ExportStatus.
type StatusOptions struct {
	// SkipLogs leaves out the CloudWatch check (no AWS calls at all).
	SkipLogs bool
}

// ExportStatus reads one cluster's log export status, its cluster's state
// and, unless told not to, whether logs are arriving in every destination
// region. The CloudWatch check never fails the call: when AWS cannot be
// asked (no credentials, the log groups live in another account), LogsNote
// says why.
func ExportStatus(ctx context.Context, env *Env, clusterRef string, opts StatusOptions) (*ClusterExport, error) {
	cluster, err := FindCluster(ctx, env, clusterRef)
	if err != nil {
		return nil, err
	}
	info, err := env.Cloud.LogExport(ctx, cluster.ID)
	if err != nil {
		return nil, ExportReadError(err)
	}
	out := newClusterExport(cluster, info)
	if !opts.SkipLogs {
		out.Logs, out.LogsNote = checkLogs(ctx, env, info, out.Regions)
	}
	return out, nil
}

func newClusterExport(cluster cloudapi.Cluster, info cloudapi.LogExportInfo) *ClusterExport {
	out := &ClusterExport{
		ClusterID: cluster.ID, ClusterName: cluster.Name,
		Plan: cluster.Plan, CloudProvider: cluster.CloudProvider,
		ClusterState: cluster.State, OperationStatus: cluster.OperationStatus,
		Status: info.Status, UserMessage: info.UserMessage,
		Configured: info.Configured,
		CreatedAt:  info.CreatedAt, UpdatedAt: info.UpdatedAt,
		Regions: []string{}, Logs: []RegionLogs{},
	}
	if info.Configured {
		spec := info.Spec
		out.Spec = &spec
		out.Regions = cluster.ExportRegions(spec)
	}
	return out
}

// checkLogs looks for the export's streams in every destination region
// and log group, concurrently.
func checkLogs(ctx context.Context, env *Env, info cloudapi.LogExportInfo, regions []string) ([]RegionLogs, string) {
	switch {
	case !info.Configured:
		return []RegionLogs{}, "log export was never configured for this cluster"
	case info.Status == cloudapi.StatusDisabled:
		return []RegionLogs{}, "log export is disabled"
	case info.Spec.Type != cloudapi.TypeAWSCloudWatch:
		return []RegionLogs{}, fmt.Sprintf("the export goes to %s, not CloudWatch", info.Spec.Type)
	case env.AWS == nil:
		return []RegionLogs{}, "not checked: no AWS configuration"
	}
	role, err := awsiam.ParseARN(info.Spec.AuthPrincipal)
	if err != nil {
		return []RegionLogs{}, "not checked: auth_principal is not an ARN"
	}
	caller, err := awsiam.CallerIdentity(ctx, env.AWS.STS)
	if err != nil {
		return []RegionLogs{}, "not checked: AWS did not say whose credentials these are (" + err.Error() + ")"
	}
	if role.AccountID != caller.Account {
		return []RegionLogs{}, fmt.Sprintf("not checked: the log groups are in the role's account %s, and this tool acts in %s", role.AccountID, caller.Account)
	}
	groups := info.Spec.LogGroups()
	out := make([]RegionLogs, 0, len(regions)*len(groups))
	for _, region := range regions {
		for _, g := range groups {
			out = append(out, RegionLogs{Region: region, LogGroup: g})
		}
	}
	return ReadLogs(ctx, env, out, time.Now()), ""
}

// ReadLogs reads again, concurrently, the export's streams in each region
// and log group of logs, as at now (what arriving means).
func ReadLogs(ctx context.Context, env *Env, logs []RegionLogs, now time.Time) []RegionLogs {
	out := make([]RegionLogs, len(logs))
	var wg sync.WaitGroup
	for i := range logs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = regionLogs(ctx, env, logs[i].Region, logs[i].LogGroup, now)
		}()
	}
	wg.Wait()
	return out
}

func regionLogs(ctx context.Context, env *Env, region, group string, now time.Time) RegionLogs {
	rl := RegionLogs{Region: region, LogGroup: group}
	rs, err := ReadStreams(ctx, env, region, group)
	if err != nil {
		if awsiam.IsNotFound(err) {
			rl.Error = "log group " + group + " does not exist in " + region
		} else {
			rl.Error = err.Error()
		}
		return rl
	}
	rl.Streams, rl.Newest = rs.Streams, rs.Newest
	rl.Arriving = !rl.Newest.IsZero() && now.Sub(rl.Newest) <= ArrivingWindow
	return rl
}

// WatchExport follows a cluster's export status (with its cluster's state)
// and hands every change to onEvent until the watch's goal is reached (any
// terminal status unless wo.Goal says otherwise) or ctx ends. It returns the
// last event; an error means the watch itself failed or was interrupted,
// not that the export did.
func WatchExport(ctx context.Context, env *Env, clusterID string, wo cloudapi.WatchOptions, onEvent func(cloudapi.StatusEvent)) (cloudapi.StatusEvent, error) {
	wo.WithCluster = true
	var last cloudapi.StatusEvent
	for ev := range cloudapi.Watch(ctx, env.Cloud, clusterID, wo) {
		if onEvent != nil {
			onEvent(ev)
		}
		last = ev
	}
	if err := ctx.Err(); err != nil {
		return last, err
	}
	if last.Err != nil && !last.Reached && !last.Failed() {
		return last, last.Err
	}
	return last, nil
}

// ClusterSummary is one row of `status --all`.
type ClusterSummary struct {
	ClusterID     string                 `json:"cluster_id"`
	ClusterName   string                 `json:"cluster_name"`
	Plan          cloudapi.Plan          `json:"plan"`
	CloudProvider cloudapi.CloudProvider `json:"cloud_provider"`
	Regions       []string               `json:"regions"`
	ClusterState  cloudapi.ClusterState  `json:"cluster_state"`
	// Status is DISABLED for clusters without any log export.
	Status      cloudapi.Status `json:"status"`
	UserMessage string          `json:"user_message,omitempty"`
	Configured  bool            `json:"configured"`
	LogName     string          `json:"log_name,omitempty"`
	// Error is set when this cluster's export status could not be read;
	// Status is then empty.
	Error string `json:"error,omitempty"`
	// NotEligible says why CloudWatch export does not apply to the
	// cluster (not on AWS, or the Basic plan); "" when it does.
	NotEligible string `json:"not_eligible,omitempty"`
}

// StatusText is the row's status for people: the API's status of a
// configured export, "not configured" for a cluster whose export never
// was, and why not for a cluster CloudWatch export does not apply to.
func (c ClusterSummary) StatusText() string {
	switch {
	case c.Error != "":
		return "ERROR: " + c.Error
	case c.Configured:
		return string(c.Status)
	case c.NotEligible != "":
		return "not eligible: " + cloudapi.Cluster{Plan: c.Plan, CloudProvider: c.CloudProvider}.Ineligible()
	}
	return "not configured"
}

// summaryOf is a cluster's row before its export is read.
func summaryOf(cl cloudapi.Cluster) ClusterSummary {
	sum := ClusterSummary{
		ClusterID: cl.ID, ClusterName: cl.Name, Plan: cl.Plan, CloudProvider: cl.CloudProvider,
		Regions: cl.RegionNames(), ClusterState: cl.State,
	}
	if err := cl.CheckCloudWatch(); err != nil {
		sum.NotEligible = err.Error()
	}
	return sum
}

// read fills the row with the export as read (or why it could not be).
func (c *ClusterSummary) read(info cloudapi.LogExportInfo, err error) {
	if err != nil {
		c.Error = err.Error()
		return
	}
	c.Status, c.UserMessage, c.Configured = info.Status, info.UserMessage, info.Configured
	c.LogName = info.Spec.LogName
}

// ExportGlanceWait is how long choosing a cluster waits for the clusters'
// export statuses: one not read by then is shown without one, so a large
// organization never holds the choice up.
const ExportGlanceWait = 3 * time.Second

// ClusterExports reads the export of each of clusters keep accepts (nil:
// all), concurrently through the client's shared limiter, for at most
// within: the rows of the clusters read by then (one that could not be
// read carries Error), by cluster ID.
func ClusterExports(ctx context.Context, env *Env, clusters []cloudapi.Cluster, keep func(cloudapi.Cluster) bool, within time.Duration) map[string]ClusterSummary {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	out := make(map[string]ClusterSummary, len(clusters))
	var mu sync.Mutex
	listed := func(context.Context) iter.Seq2[cloudapi.Cluster, error] {
		return func(yield func(cloudapi.Cluster, error) bool) {
			for _, cl := range clusters {
				if !yield(cl, nil) {
					return
				}
			}
		}
	}
	_ = eachExport(ctx, env, listed, keep, func(cl cloudapi.Cluster, info cloudapi.LogExportInfo, err error) error {
		sum := summaryOf(cl)
		sum.read(info, err)
		mu.Lock()
		out[cl.ID] = sum
		mu.Unlock()
		return nil
	})
	return out
}

// OrgStatus is the answer of AllStatuses.
type OrgStatus struct {
	Clusters []ClusterSummary `json:"clusters"`
	// Failed counts the clusters whose status could not be read.
	Failed int `json:"failed"`
}

// allStatusWorkers bounds the export reads in flight. Every read waits for
// the client's shared rate limiter, so this does not set the pace; it keeps
// the limiter's queue short, so the next page of the cluster list is not
// queued behind hundreds of reads, while covering the round-trip time of
// the 10 requests a second the limiter lets through.
const allStatusWorkers = 16

// AllStatuses lists every cluster of the organization (all pages) with its
// export status. Export reads start while later pages are still being
// listed and run concurrently, through the client's shared limiter, so the
// whole listing runs at the API's 10 requests per second without tripping
// it. A cluster whose status cannot be read is reported with Error rather
// than failing the listing; progress, when set, hears how many are done of
// how many are known so far. The order is the API's.
func AllStatuses(ctx context.Context, env *Env, progress func(done, known int)) (*OrgStatus, error) {
	res := &OrgStatus{Clusters: []ClusterSummary{}}
	var mu sync.Mutex
	done := 0
	row := map[string]int{}
	err := eachExport(ctx, env, env.Cloud.Clusters, func(cl cloudapi.Cluster) bool {
		mu.Lock()
		defer mu.Unlock()
		row[cl.ID] = len(res.Clusters)
		res.Clusters = append(res.Clusters, summaryOf(cl))
		return true
	}, func(cl cloudapi.Cluster, info cloudapi.LogExportInfo, err error) error {
		mu.Lock()
		defer mu.Unlock()
		r := &res.Clusters[row[cl.ID]]
		r.read(info, err)
		if err != nil {
			res.Failed++
		}
		done++
		if progress != nil {
			progress(done, len(res.Clusters))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
