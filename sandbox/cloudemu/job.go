package cloudemu

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// startJobLocked replaces rec's job with fn, run in the background until it
// returns or is cancelled (by the next job, Reset or Close). s.mu is held.
func (s *Server) startJobLocked(rec *exportRecord, fn func(ctx context.Context)) {
	if rec.cancel != nil {
		rec.cancel()
		rec.cancel = nil
	}
	if s.closed {
		return
	}
	run := s.run
	ctx, cancel := context.WithCancel(run.ctx)
	rec.cancel = cancel
	run.wg.Add(1)
	go func() {
		defer run.wg.Done()
		defer cancel()
		fn(ctx)
	}()
}

// settle records a job's outcome and, with c set, ends the cluster lock.
// It reports false when the job was superseded meanwhile: a cancelled job
// never writes, and the check is made under the same lock the canceller holds.
func (s *Server) settle(ctx context.Context, rec *exportRecord, c *cluster, status, msg string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ctx.Err() != nil {
		return false
	}
	now := time.Now().UTC()
	rec.status = status
	rec.userMessage = msg
	rec.updatedAt = now
	if c != nil {
		c.State = StateCreated
		c.OperationStatus = OperationNone
		c.UpdatedAt = now
	}
	return true
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// runEnable is the enable job: wait, decide, then either fail or create what
// is missing, write the first events, report ENABLED and keep writing (and
// re-checking access) until cancelled or access is lost.
func (s *Server) runEnable(ctx context.Context, rec *exportRecord, c *cluster, t target) {
	if !sleepCtx(ctx, s.Timings().EnableAfter) {
		return
	}
	v := s.decideWithRetry(ctx, t)
	if ctx.Err() != nil {
		return
	}
	if v.status != "" {
		s.settle(ctx, rec, c, v.status, v.message)
		return
	}
	if t.spec.Type != ExportAWSCloudWatch {
		// Other clouds' sinks are not emulated: the export is accepted and
		// reported enabled, with nothing written anywhere.
		s.settle(ctx, rec, c, StatusEnabled, "")
		return
	}
	d := newDelivery(s.aws, t)
	d.createGroups(ctx, v.create)
	d.write(ctx, true)
	if !s.settle(ctx, rec, c, StatusEnabled, "") {
		return
	}
	for {
		if !sleepCtx(ctx, s.Timings().EventInterval) {
			return
		}
		v := s.decide(ctx, t)
		if ctx.Err() != nil {
			return
		}
		if v.transient != nil {
			continue
		}
		if v.status != "" {
			// Access lost after the export was running: the cluster can no
			// longer use its credentials to deliver.
			s.settle(ctx, rec, nil, StatusCredentialsError, v.message)
			return
		}
		d.createGroups(ctx, v.create)
		d.write(ctx, false)
	}
}

// runDisable is the disable job. Writing already stopped when the DELETE
// cancelled the enable job.
func (s *Server) runDisable(ctx context.Context, rec *exportRecord, c *cluster) {
	if !sleepCtx(ctx, s.Timings().DisableAfter) {
		return
	}
	s.settle(ctx, rec, c, StatusDisabled, "")
}

// stream is one CloudWatch log stream the cluster writes to.
type stream struct {
	group   string
	name    string
	channel string
	source  string // the region of the node producing the logs
	node    int    // 0 for Standard clusters, whose streams are per region
	level   string
	redact  bool
}

// streamsIn lists the streams written in a destination region:
// {log}.{region}.cockroachdbcloud.{channel}.n{node} per node for Advanced
// clusters, without the node suffix for Standard ones. Channels in a group
// go to the group's log; the others, less omitted_channels, to log_name.
func (t target) streamsIn(dest string) []stream {
	type route struct {
		group, level string
		redact       bool
	}
	defaultRedact := t.spec.Redact != nil && *t.spec.Redact
	routes := map[string]route{}
	for _, g := range t.spec.Groups {
		redact := defaultRedact
		if g.Redact != nil {
			redact = *g.Redact
		}
		for _, ch := range g.Channels {
			routes[ch] = route{group: g.LogName, level: g.MinLevel, redact: redact}
		}
	}
	var out []stream
	for _, r := range t.regions {
		if t.destinationOf(r.Name) != dest {
			continue
		}
		nodes := []int{0}
		if t.plan != PlanStandard {
			nodes = nodes[:0]
			for n := 1; n <= r.NodeCount; n++ {
				nodes = append(nodes, n)
			}
		}
		for _, ch := range exportableChannels {
			rt, grouped := routes[ch]
			if !grouped {
				if contains(t.spec.OmittedChannels, ch) {
					continue
				}
				rt = route{group: t.spec.LogName, redact: defaultRedact}
			}
			for _, n := range nodes {
				name := fmt.Sprintf("%s.%s.cockroachdbcloud.%s", rt.group, r.Name, ch)
				if n > 0 {
					name += fmt.Sprintf(".n%d", n)
				}
				out = append(out, stream{group: rt.group, name: name, channel: ch, source: r.Name, node: n, level: rt.level, redact: rt.redact})
			}
		}
	}
	return out
}

func (a *awsClients) logGroupExists(ctx context.Context, region, name string) (bool, error) {
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(a.logs, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, inRegion(region))
		if err != nil {
			return false, err
		}
		for _, g := range page.LogGroups {
			if aws.ToString(g.LogGroupName) == name {
				return true, nil
			}
		}
	}
	return false, nil
}

func inRegion(region string) func(*cloudwatchlogs.Options) {
	return func(o *cloudwatchlogs.Options) { o.Region = region }
}

// eventsPerTick bounds how many streams of a region get new events on each
// EventInterval: enough to show logs arriving everywhere over a few ticks
// without flooding the AWS endpoint.
const eventsPerTick = 3

// delivery writes the cluster's log events. It is used by one job
// goroutine; the per-region writes it starts share its state under mu.
type delivery struct {
	aws     *awsClients
	t       target
	regions []string
	streams map[string][]stream

	mu      sync.Mutex
	created map[string]bool // region + "\x00" + stream name
	cursor  map[string]int
	counter int
}

func newDelivery(a *awsClients, t target) *delivery {
	d := &delivery{aws: a, t: t, regions: t.destinationRegions(), streams: map[string][]stream{}, created: map[string]bool{}, cursor: map[string]int{}}
	for _, r := range d.regions {
		d.streams[r] = t.streamsIn(r)
	}
	return d
}

func (d *delivery) createGroups(ctx context.Context, groups []groupAt) {
	for _, g := range groups {
		// A failure (other than a concurrent creation) is retried on the
		// next tick, when decide finds the group still missing; until then
		// the group's streams fail to be created and are retried too.
		_, _ = d.aws.logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g.name)}, inRegion(g.region))
	}
}

// write sends events to every stream (first) or to the next few streams of
// each region (afterwards), regions in parallel. Failures are left for the
// next tick, as a log shipper retries; a stream that disappeared is
// recreated.
func (d *delivery) write(ctx context.Context, first bool) {
	var wg sync.WaitGroup
	for _, region := range d.regions {
		all := d.streams[region]
		if len(all) == 0 {
			continue
		}
		batch := all
		if !first {
			d.mu.Lock()
			start := d.cursor[region]
			d.cursor[region] = (start + eventsPerTick) % len(all)
			d.mu.Unlock()
			batch = nil
			for i := 0; i < eventsPerTick && i < len(all); i++ {
				batch = append(batch, all[(start+i)%len(all)])
			}
		}
		wg.Add(1)
		go func(region string, batch []stream) {
			defer wg.Done()
			for _, st := range batch {
				if ctx.Err() != nil {
					return
				}
				d.writeStream(ctx, region, st)
			}
		}(region, batch)
	}
	wg.Wait()
}

func (d *delivery) writeStream(ctx context.Context, region string, st stream) {
	key := region + "\x00" + st.name
	d.mu.Lock()
	made := d.created[key]
	d.mu.Unlock()
	if !made {
		_, err := d.aws.logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(st.group), LogStreamName: aws.String(st.name)}, inRegion(region))
		var exists *logstypes.ResourceAlreadyExistsException
		if err != nil && !errors.As(err, &exists) {
			return
		}
		d.mu.Lock()
		d.created[key] = true
		d.mu.Unlock()
	}
	d.mu.Lock()
	d.counter++
	n := d.counter
	d.mu.Unlock()
	now := time.Now()
	_, err := d.aws.logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName:  aws.String(st.group),
		LogStreamName: aws.String(st.name),
		LogEvents: []logstypes.InputLogEvent{{
			Message:   aws.String(logLine(d.t.clusterID, st, n, now)),
			Timestamp: aws.Int64(now.UnixMilli()),
		}},
	}, inRegion(region))
	var gone *logstypes.ResourceNotFoundException
	if errors.As(err, &gone) {
		d.mu.Lock()
		delete(d.created, key)
		d.mu.Unlock()
	}
}
