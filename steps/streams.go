package steps

import (
	"context"
	"sync"
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
)

// StreamPrefix is how the names of an export's log streams in one region
// begin: {log_name}.{region}.cockroachdbcloud. (then the channel, and
// .n{node} on Advanced clusters; PRODUCT.md §3).
func StreamPrefix(logGroup, region string) string {
	return logGroup + "." + region + ".cockroachdbcloud."
}

// streamListLimit bounds one look at a region's streams; an Advanced
// cluster writes one stream per channel and node.
const streamListLimit = 1000

// ReadStreams looks once at the export's streams in one region's log
// group: how many there are and the newest ingestion or event time. Setup's
// wait for logs, status and the wizard's live view all read them this way.
func ReadStreams(ctx context.Context, env *Env, region, logGroup string) (RegionStreams, error) {
	rs := RegionStreams{Region: region, LogGroup: logGroup}
	streams, err := awsiam.RecentStreams(ctx, env.AWS.LogsFor(region), logGroup, StreamPrefix(logGroup, region), streamListLimit)
	if err != nil {
		return rs, err
	}
	rs.Streams = len(streams)
	for _, s := range streams {
		for _, t := range []time.Time{s.LastIngestionTime, s.LastEventTime} {
			if t.After(rs.Newest) {
				rs.Newest = t
			}
		}
	}
	return rs, nil
}

// ReadAllStreams looks at the export's streams in logGroup in every region
// at once; a region that cannot be read says why in its Error.
func ReadAllStreams(ctx context.Context, env *Env, logGroup string, regions []string) []RegionStreams {
	out := make([]RegionStreams, len(regions))
	var wg sync.WaitGroup
	for i, region := range regions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs, err := ReadStreams(ctx, env, region, logGroup)
			if err != nil {
				rs.Error = err.Error()
			}
			out[i] = rs
		}()
	}
	wg.Wait()
	return out
}
