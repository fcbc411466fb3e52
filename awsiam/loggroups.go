package awsiam

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// ManagedByTagKey and ManagedByTagValue mark every resource this tool
// creates, so cleanup and reviewers can tell them from hand-made ones;
// ClusterTagKey names the cluster (by id) the resource was made for, and
// ClusterNameTagKey its name, for people reading the tags.
const (
	ManagedByTagKey   = "managed-by"
	ManagedByTagValue = "crdb-logexport"
	ClusterTagKey     = "crdb-logexport:cluster-id"
	ClusterNameTagKey = "crdb-logexport:cluster-name"
)

// LogGroupState is what one region's CloudWatch Logs says about a log group.
type LogGroupState struct {
	Exists bool
	// RetentionDays is nil when events never expire.
	RetentionDays *int32
	// KMSKeyID is the ARN of the KMS key encrypting the group, if any. Such
	// a key's policy must let logs.REGION.amazonaws.com use it.
	KMSKeyID string
	// ARN is the group's ARN without the ":*" suffix.
	ARN string
	// Created is when the group was made: a group deleted and made again
	// by someone else is a new group.
	Created time.Time
	// Class is the log group class (STANDARD, INFREQUENT_ACCESS, …) as
	// DescribeLogGroups reports it; "" when it does not say.
	Class string
}

// InspectLogGroup reads a log group without changing anything.
func InspectLogGroup(ctx context.Context, c LogsAPI, name string) (LogGroupState, error) {
	g, err := findLogGroup(ctx, c, name)
	if err != nil || g == nil {
		return LogGroupState{}, err
	}
	st := LogGroupState{
		Exists:        true,
		RetentionDays: g.RetentionInDays,
		KMSKeyID:      aws.ToString(g.KmsKeyId),
		ARN:           aws.ToString(g.LogGroupArn),
		Created:       millis(g.CreationTime),
		Class:         string(g.LogGroupClass),
	}
	if st.ARN == "" {
		st.ARN = strings.TrimSuffix(aws.ToString(g.Arn), ":*")
	}
	return st, nil
}

// findLogGroup looks the group up by exact name. DescribeLogGroups filters
// by prefix only, so other groups sharing the prefix are paged past.
func findLogGroup(ctx context.Context, c LogsAPI, name string) (*logstypes.LogGroup, error) {
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, opErr("logs:DescribeLogGroups", "log group "+name, err)
		}
		for i := range page.LogGroups {
			if aws.ToString(page.LogGroups[i].LogGroupName) == name {
				return &page.LogGroups[i], nil
			}
		}
	}
	return nil, nil
}

// LogGroupTags reads a log group's tags (logs:ListTagsForResource). arn is
// the group's ARN, with or without the ":*" suffix DescribeLogGroups adds.
// A group without tags gives an empty map.
func LogGroupTags(ctx context.Context, c LogsAPI, arn string) (map[string]string, error) {
	arn = strings.TrimSuffix(arn, ":*")
	out, err := c.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return nil, opErr("logs:ListTagsForResource", arn, err)
	}
	tags := make(map[string]string, len(out.Tags))
	for k, v := range out.Tags {
		tags[k] = v
	}
	return tags, nil
}

// LogGroupResult says what EnsureLogGroup did.
type LogGroupResult struct {
	Created bool
	// RetentionChanged is set when retention was written: always for a
	// group created with a retention, and for an existing group whose
	// retention differed.
	RetentionChanged bool
	// KMSKeyID is the key encrypting an existing group, if any.
	KMSKeyID string
}

// EnsureLogGroup makes sure the log group exists in the client's region and,
// when retentionDays is not 0, that it keeps events for that many days.
// Pass 0 to leave an existing group's retention alone: shortening retention
// deletes older events, so callers should only change it when the user chose
// to. Calling it again changes nothing.
func EnsureLogGroup(ctx context.Context, c LogsAPI, name string, retentionDays int32, tags map[string]string) (LogGroupResult, error) {
	if err := ValidateLogGroupName(name); err != nil {
		return LogGroupResult{}, err
	}
	if retentionDays != 0 {
		if err := ValidateRetentionDays(retentionDays); err != nil {
			return LogGroupResult{}, err
		}
	}
	return ensureLogGroup(ctx, c, name, retentionDays, tags, false)
}

// CreateLogGroup is EnsureLogGroup for a group the caller found missing
// moments ago: it is created at once, and read only if AWS answers that it
// exists after all — one round trip fewer on the usual path.
func CreateLogGroup(ctx context.Context, c LogsAPI, name string, retentionDays int32, tags map[string]string) (LogGroupResult, error) {
	if err := ValidateLogGroupName(name); err != nil {
		return LogGroupResult{}, err
	}
	if retentionDays != 0 {
		if err := ValidateRetentionDays(retentionDays); err != nil {
			return LogGroupResult{}, err
		}
	}
	return ensureLogGroup(ctx, c, name, retentionDays, tags, true)
}

func ensureLogGroup(ctx context.Context, c LogsAPI, name string, retentionDays int32, extra map[string]string, absent bool) (LogGroupResult, error) {
	var st LogGroupState
	if !absent {
		var err error
		if st, err = InspectLogGroup(ctx, c, name); err != nil {
			return LogGroupResult{}, err
		}
	}
	var res LogGroupResult
	if !st.Exists {
		_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{
			LogGroupName: aws.String(name),
			Tags:         ToolTags(extra),
		})
		switch {
		case err == nil:
			res.Created = true
		case IsAlreadyExists(err):
			// Created concurrently since we looked; adopt it as found.
			if st, err = InspectLogGroup(ctx, c, name); err != nil {
				return LogGroupResult{}, err
			}
		default:
			return LogGroupResult{}, opErr("logs:CreateLogGroup", "log group "+name, err)
		}
	}
	res.KMSKeyID = st.KMSKeyID
	if retentionDays != 0 && (st.RetentionDays == nil || *st.RetentionDays != retentionDays) {
		_, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
			LogGroupName:    aws.String(name),
			RetentionInDays: aws.Int32(retentionDays),
		})
		if err != nil {
			return res, opErr("logs:PutRetentionPolicy", "log group "+name, err)
		}
		res.RetentionChanged = true
	}
	return res, nil
}

// DeleteLogGroup deletes a log group and all its events. A group that is
// already gone is not an error, so cleanup can be rerun.
func DeleteLogGroup(ctx context.Context, c LogsAPI, name string) error {
	_, err := c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(name)})
	if err != nil && !IsNotFound(err) {
		return opErr("logs:DeleteLogGroup", "log group "+name, err)
	}
	return nil
}

// StreamInfo describes one log stream.
type StreamInfo struct {
	Name string
	// FirstEventTime and LastEventTime are zero when the stream has no
	// events. CloudWatch updates LastEventTime lazily (usually within an
	// hour), so LastIngestionTime is the better sign of fresh data.
	FirstEventTime    time.Time
	LastEventTime     time.Time
	LastIngestionTime time.Time
}

// maxPrefixPages bounds the scan RecentStreams does when filtering by
// prefix: 20 pages of 50 streams is far more than one export creates per
// region, and keeps a huge shared group from turning a check into a crawl.
const maxPrefixPages = 20

// RecentStreams returns up to limit streams of a log group, most recent
// event first. CloudWatch cannot order by event time and filter by name
// prefix in one call, so with a prefix the matching streams are listed by
// name and sorted here.
func RecentStreams(ctx context.Context, c LogsAPI, logGroup, prefix string, limit int) ([]StreamInfo, error) {
	if limit <= 0 {
		return nil, nil
	}
	in := &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(logGroup)}
	maxPages := maxPrefixPages
	if prefix == "" {
		in.OrderBy = logstypes.OrderByLastEventTime
		in.Descending = aws.Bool(true)
		in.Limit = aws.Int32(int32(min(limit, 50)))
		maxPages = (limit + 49) / 50
	} else {
		in.LogStreamNamePrefix = aws.String(prefix)
	}
	var out []StreamInfo
	p := cloudwatchlogs.NewDescribeLogStreamsPaginator(c, in)
	for pages := 0; p.HasMorePages() && pages < maxPages; pages++ {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, opErr("logs:DescribeLogStreams", "log group "+logGroup, err)
		}
		for _, s := range page.LogStreams {
			out = append(out, StreamInfo{
				Name:              aws.ToString(s.LogStreamName),
				FirstEventTime:    millis(s.FirstEventTimestamp),
				LastEventTime:     millis(s.LastEventTimestamp),
				LastIngestionTime: millis(s.LastIngestionTime),
			})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LastEventTime.After(out[j].LastEventTime) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func millis(ms *int64) time.Time {
	if ms == nil || *ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(*ms).UTC()
}
