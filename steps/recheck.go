package steps

import (
	"context"
	"slices"
	"sync"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// doctorStreamLimit is how many of a log group's export streams the
// doctor looks at, newest first.
const doctorStreamLimit = 50

// doctorStreams reads the newest export streams of one log group, as the
// logs-arriving check weighs them.
func doctorStreams(ctx context.Context, logs awsiam.LogsAPI, group string) ([]awsiam.StreamInfo, error) {
	return awsiam.RecentStreams(ctx, logs, group, group+".", doctorStreamLimit)
}

// DiagnoseExport runs every check of the doctor on a cluster whose export
// the caller has already read, as AWS identity caller: a program checking
// many clusters lists them once and reads each export once, instead of
// letting Diagnose look each cluster up again. It changes nothing.
func DiagnoseExport(ctx context.Context, env *Env, cluster cloudapi.Cluster, info cloudapi.LogExportInfo, caller awsiam.Identity, opts DoctorOptions) (*DoctorReport, error) {
	f, err := gatherExportFacts(ctx, env, cluster, info, caller, opts)
	if err != nil {
		return nil, err
	}
	return RunChecks(f), nil
}

// RecheckExport runs the doctor's checks again on the facts of an earlier
// diagnosis, with what changes from one minute to the next read afresh: the
// export's status and message (info, read by the caller) and the newest
// streams of each log group. The role, its policies and the log groups'
// settings are taken as they were, so a recheck costs one CloudWatch read
// per log group and none of IAM.
//
// It reports false, with no report, when the earlier facts cannot stand for
// the present: the configuration, the cluster's regions or its account
// changed, the export became active or inactive, or a log group has gone
// or (missing before) appeared. The caller then runs DiagnoseExport.
func RecheckExport(ctx context.Context, env *Env, prev *DoctorFacts, cluster cloudapi.Cluster, info cloudapi.LogExportInfo) (*DoctorReport, bool, error) {
	if prev == nil || !sameSubject(prev, cluster, info) {
		return nil, false, nil
	}
	f := *prev
	f.Cluster, f.Export, f.Now = cluster, info, env.now()
	f.LogGroups = slices.Clone(prev.LogGroups)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		changed bool
	)
	for i := range f.LogGroups {
		lg := &f.LogGroups[i]
		logs := env.AWS.LogsFor(lg.Region)
		wg.Go(func() {
			var moved bool
			if lg.Err != nil || !lg.State.Exists {
				// Missing (or unreadable) before: is it there now?
				st, err := awsiam.InspectLogGroup(ctx, logs, lg.Name)
				moved = err == nil && st.Exists
			} else {
				lg.Streams, lg.StreamsErr = doctorStreams(ctx, logs, lg.Name)
				moved = awsiam.IsNotFound(lg.StreamsErr)
			}
			if moved {
				mu.Lock()
				changed = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	if changed {
		return nil, false, nil
	}
	return RunChecks(&f), true, nil
}

// sameSubject reports whether earlier facts describe the same export as
// the cluster and export read now, apart from its status.
func sameSubject(prev *DoctorFacts, cluster cloudapi.Cluster, info cloudapi.LogExportInfo) bool {
	was, is := prev.Export, info
	return prev.Cluster.ID == cluster.ID &&
		was.Configured == is.Configured &&
		doctorActive(was) == doctorActive(is) &&
		cloudapi.SpecsEqual(was.Spec, is.Spec) &&
		prev.Cluster.ExportAccountID() == cluster.ExportAccountID() &&
		slices.Equal(prev.Cluster.ExportRegions(was.Spec), cluster.ExportRegions(is.Spec))
}
