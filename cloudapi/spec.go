package cloudapi

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The channel lists are facts about CockroachDB Cloud: the first set can be
// exported, the second is refused by the server. Both are kept in the order
// the documentation lists them.
var (
	exportableChannels = []string{
		"SESSIONS", "OPS", "HEALTH", "STORAGE", "SQL_SCHEMA", "USER_ADMIN",
		"PRIVILEGES", "SENSITIVE_ACCESS", "SQL_EXEC", "SQL_PERF", "CHANGEFEED",
	}
	rejectedChannels = []string{"DEV", "KV_DISTRIBUTION", "SQL_INTERNAL_PERF", "TELEMETRY"}
)

// ErrNoChannel is the API's rule that a group has a channel, in the words
// every check of it uses.
var ErrNoChannel = errors.New("at least one channel is required")

// CheckQueues is the API's rule that at most one group sets
// enable_sending_queue.
func CheckQueues(groups []LogExportGroup) error {
	var names []string
	for _, g := range groups {
		if g.EnableSendingQueue != nil && *g.EnableSendingQueue {
			names = append(names, g.LogName)
		}
	}
	if len(names) > 1 {
		return fmt.Errorf("groups %s set enable_sending_queue; at most one group may", strings.Join(names, ", "))
	}
	return nil
}

// validLogGroupName is CloudWatch's rule for log group names, 1 to 512 of
// A-Z a-z 0-9 . - _ / #; every log_name of a CloudWatch configuration is
// one. Written out rather than as a regexp: a {1,512} repetition compiled
// at init cost every start of the program milliseconds.
func validLogGroupName(name string) bool {
	if len(name) < 1 || len(name) > 512 {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_', c == '/', c == '#':
		default:
			return false
		}
	}
	return true
}

// reservedLogGroupPrefix begins the names CloudWatch keeps for AWS's own
// services: CreateLogGroup refuses them.
const reservedLogGroupPrefix = "aws/"

// checkLogGroupName says what is wrong with a log_name, or "".
func checkLogGroupName(name string) string {
	switch {
	case !validLogGroupName(name):
		return fmt.Sprintf("log_name %q is not a valid CloudWatch log group name (1 to 512 of A-Z a-z 0-9 . - _ / #)", name)
	case strings.HasPrefix(name, reservedLogGroupPrefix):
		return fmt.Sprintf("log_name %q starts with %q, which CloudWatch reserves for AWS services", name, reservedLogGroupPrefix)
	}
	return ""
}

// maxLogStreamName is CloudWatch's limit on a log stream name, in
// characters. CockroachDB Cloud names its streams
// {log_name}.{region}.cockroachdbcloud.{channel}.n{node} (Advanced) or
// without .n{node} (Standard), so a log_name leaves room for the rest.
const maxLogStreamName = 512

// streamNameForm is the stream name as messages show it.
const streamNameForm = "{log_name}.{region}.cockroachdbcloud.{channel}.n{node}"

// realisticNode is the node number a cluster's stream names are sized for:
// node IDs grow past the node count as nodes are replaced, so three digits
// (or more for a larger cluster).
const realisticNode = 999

// logNameRoom is the longest log_name whose stream names fit CloudWatch's
// limit, given the stream's region, channel and node (0: no node suffix).
func logNameRoom(region, channel string, node int) int {
	suffix := len("."+region+".cockroachdbcloud.") + len(channel)
	if node > 0 {
		suffix += len(".n") + len(strconv.Itoa(node))
	}
	return maxLogStreamName - suffix
}

// anyClusterRoom is the most any cluster leaves a log_name: the shortest
// region code AWS's form allows (aa-b-1), the shortest channel (OPS), no
// node suffix (Standard).
const anyClusterRoom = maxLogStreamName - len(".aa-b-1.cockroachdbcloud.OPS")

// CheckLogName checks a log_name (a --log-group or a group's name) before
// the cluster is known: CloudWatch's log group rule, and that the log
// streams of some cluster can fit CloudWatch's limit. Validate checks the
// room the cluster's own regions and channels leave.
func CheckLogName(name string) error {
	if msg := checkLogGroupName(name); msg != "" {
		return errors.New(msg)
	}
	if len(name) > anyClusterRoom {
		return fmt.Errorf("log_name %q is %d characters: CockroachDB Cloud writes to log streams named %s and CloudWatch allows %d characters in a stream name, so no cluster can use a log_name longer than %d characters", name, len(name), streamNameForm, maxLogStreamName, anyClusterRoom)
	}
	return nil
}

// checkStreamRoom says whether the streams CockroachDB Cloud would write
// for a log_name and the channels routed to it fit CloudWatch's limit on
// cluster c, for its longest region name, the longest of those channels and
// a realistic node number; "" when they do (or when no channel goes there).
func checkStreamRoom(c Cluster, field, name string, channels []string) string {
	region := ""
	nodes := 0
	for _, r := range c.Regions {
		if len(r.Name) > len(region) {
			region = r.Name
		}
		nodes += r.NodeCount
	}
	channel := ""
	for _, ch := range channels {
		if len(ch) > len(channel) && slices.Contains(exportableChannels, ch) {
			channel = ch
		}
	}
	if region == "" || channel == "" {
		return ""
	}
	node, nodeText := max(realisticNode, nodes), ""
	if c.Plan == PlanStandard {
		node = 0
	} else {
		nodeText = fmt.Sprintf(" and node numbers up to n%d", node)
	}
	room := logNameRoom(region, channel, node)
	if len(name) <= room {
		return ""
	}
	return fmt.Sprintf("%s %q is %d characters, too long for its log streams: CloudWatch allows %d characters in a stream name, CockroachDB Cloud names them %s, and with region %s, channel %s%s the longest %s allowed on cluster %s is %d characters",
		field, name, len(name), maxLogStreamName, streamNameForm, region, channel, nodeText, field, c.Name, room)
}

// routedToLogName lists the exportable channels that go to the
// configuration's log_name: those neither omitted nor in a group.
func (r EnableLogExportRequest) routedToLogName() []string {
	var out []string
	for _, ch := range exportableChannels {
		if slices.Contains(r.OmittedChannels, ch) || slices.ContainsFunc(r.Groups, func(g LogExportGroup) bool { return slices.Contains(g.Channels, ch) }) {
			continue
		}
		out = append(out, ch)
	}
	return out
}

// ExportableChannels lists the log channels CockroachDB Cloud can export.
// The slice is the caller's to keep.
func ExportableChannels() []string { return slices.Clone(exportableChannels) }

// RejectedChannels lists channels that exist in CockroachDB but that the
// Cloud API refuses in a log export configuration.
func RejectedChannels() []string { return slices.Clone(rejectedChannels) }

// ChannelError names a channel that cannot be used in a log export
// configuration.
type ChannelError struct {
	Channel string
	// Rejected is true for a real CockroachDB channel that the Cloud API
	// refuses to export, false for a name that is not a channel at all.
	Rejected bool
}

func (e *ChannelError) Error() string {
	valid := "exportable channels: " + strings.Join(exportableChannels, ", ")
	if e.Rejected {
		return fmt.Sprintf("log channel %q cannot be exported: CockroachDB Cloud refuses %s; %s",
			e.Channel, strings.Join(rejectedChannels, ", "), valid)
	}
	upper := strings.ToUpper(strings.TrimSpace(e.Channel))
	if upper != e.Channel && (slices.Contains(exportableChannels, upper) || slices.Contains(rejectedChannels, upper)) {
		return fmt.Sprintf("unknown log channel %q (channel names are upper case: %q); %s", e.Channel, upper, valid)
	}
	return fmt.Sprintf("unknown log channel %q; %s", e.Channel, valid)
}

// NormalizeChannels writes channel names as the API does, in upper case
// and without surrounding space (a user's sql_schema is SQL_SCHEMA); empty
// entries are dropped. A nil list stays nil.
func NormalizeChannels(channels []string) []string {
	if channels == nil {
		return nil
	}
	out := make([]string, 0, len(channels))
	for _, ch := range channels {
		if ch = strings.ToUpper(strings.TrimSpace(ch)); ch != "" {
			out = append(out, ch)
		}
	}
	return out
}

// ValidateChannels checks that every channel can be exported and returns a
// *ChannelError for the first one that cannot. Names are case-sensitive, as
// the API's are; the error points out a lower-case spelling of a real one.
func ValidateChannels(channels []string) error {
	for _, ch := range channels {
		if slices.Contains(exportableChannels, ch) {
			continue
		}
		return &ChannelError{Channel: ch, Rejected: slices.Contains(rejectedChannels, ch)}
	}
	return nil
}

// CheckCloudWatch explains why the cluster cannot export to CloudWatch, or
// returns nil when it can (an AWS cluster on the Standard or Advanced plan).
func (c Cluster) CheckCloudWatch() error {
	switch c.Ineligible() {
	case "":
		return nil
	case "on " + string(c.CloudProvider):
		return fmt.Errorf("cluster %s runs on %s: CloudWatch log export applies only to clusters on AWS", c.Name, c.CloudProvider)
	case "Basic plan":
		return fmt.Errorf("cluster %s is on the Basic plan, which does not support log export; Standard and Advanced clusters do", c.Name)
	}
	return fmt.Errorf("cluster %s has plan %q: CloudWatch log export is supported on the Standard and Advanced plans", c.Name, c.Plan)
}

// Ineligible says in a few words why CloudWatch export does not apply to
// the cluster ("on GCP", "Basic plan", `plan "X"`), "" when it does;
// CheckCloudWatch says it whole.
func (c Cluster) Ineligible() string {
	switch {
	case c.CloudProvider != ProviderAWS:
		return "on " + string(c.CloudProvider)
	case c.Plan == PlanBasic:
		return "Basic plan"
	case c.Plan != PlanStandard && c.Plan != PlanAdvanced:
		return fmt.Sprintf("plan %q", c.Plan)
	}
	return ""
}

// Validate checks a CloudWatch request for cluster c before it is sent, with
// the rules the API enforces (so the user sees the problem before anything
// changes): required fields, channel names, group settings, and no
// aws_external_id on Standard clusters.
func (r EnableLogExportRequest) Validate(c Cluster) error {
	if err := c.CheckCloudWatch(); err != nil {
		return err
	}
	var errs []error
	if r.Type != TypeAWSCloudWatch {
		errs = append(errs, fmt.Errorf("type must be %s, got %q", TypeAWSCloudWatch, r.Type))
	}
	if r.LogName == "" {
		errs = append(errs, errors.New("log_name (the log group name) is required"))
	} else if msg := checkLogGroupName(r.LogName); msg != "" {
		errs = append(errs, errors.New(msg))
	} else if msg := checkStreamRoom(c, "log_name", r.LogName, r.routedToLogName()); msg != "" {
		errs = append(errs, errors.New(msg))
	}
	if r.AuthPrincipal == "" {
		errs = append(errs, errors.New("auth_principal (the IAM role ARN) is required"))
	}
	if c.Plan == PlanStandard && r.AWSExternalID != "" {
		errs = append(errs, errors.New("aws_external_id must not be set for a Standard cluster: the API rejects it; the role's trust policy must require the cluster ID as external ID instead"))
	}
	if err := ValidateChannels(r.OmittedChannels); err != nil {
		errs = append(errs, fmt.Errorf("omitted_channels: %w", err))
	}
	for i, g := range r.Groups {
		if g.LogName == "" {
			errs = append(errs, fmt.Errorf("groups[%d]: log_name is required", i))
		} else if msg := checkLogGroupName(g.LogName); msg != "" {
			errs = append(errs, fmt.Errorf("groups[%d]: %s", i, msg))
		} else if msg := checkStreamRoom(c, "log_name", g.LogName, g.Channels); msg != "" {
			errs = append(errs, fmt.Errorf("groups[%d]: %s", i, msg))
		}
		if len(g.Channels) == 0 {
			errs = append(errs, fmt.Errorf("groups[%d] (%s): %w", i, g.LogName, ErrNoChannel))
		}
		if err := ValidateChannels(g.Channels); err != nil {
			errs = append(errs, fmt.Errorf("groups[%d] (%s): %w", i, g.LogName, err))
		}
		switch g.MinLevel {
		case "", LevelUnspecified, LevelWarning, LevelError, LevelFatal:
		default:
			errs = append(errs, fmt.Errorf("groups[%d] (%s): min_level %q must be one of UNSPECIFIED, WARNING, ERROR, FATAL", i, g.LogName, g.MinLevel))
		}
	}
	if err := CheckQueues(r.Groups); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// SpecsEqual reports whether two configurations would behave the same.
// Absent, null and "" fields are alike (as are an absent redact and false,
// and min_level "" and UNSPECIFIED); channel lists are sets (order, case
// and repeats do not matter); a group's unset redact takes the
// configuration's; groups compare as a set.
func SpecsEqual(a, b LogExportSpec) bool {
	if a.Type != b.Type || a.LogName != b.LogName || a.AuthPrincipal != b.AuthPrincipal ||
		a.AWSExternalID != b.AWSExternalID || a.Region != b.Region ||
		boolValue(a.Redact) != boolValue(b.Redact) {
		return false
	}
	if !slices.Equal(channelSet(a.OmittedChannels), channelSet(b.OmittedChannels)) {
		return false
	}
	return slices.Equal(groupKeys(a), groupKeys(b))
}

func boolValue(b *bool) bool { return b != nil && *b }

// channelSet returns the sorted, de-duplicated, upper-cased channels.
func channelSet(chs []string) []string {
	out := make([]string, 0, len(chs))
	for _, c := range chs {
		out = append(out, strings.ToUpper(strings.TrimSpace(c)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// groupKeys renders each group's effective settings as a comparable string
// and sorts them, so groups compare as a multiset.
func groupKeys(s LogExportSpec) []string {
	keys := make([]string, 0, len(s.Groups))
	for _, g := range s.Groups {
		level := g.MinLevel
		if level == "" {
			level = LevelUnspecified
		}
		redact := boolValue(s.Redact)
		if g.Redact != nil {
			redact = *g.Redact
		}
		keys = append(keys, fmt.Sprintf("%q|%s|%s|%t|%t",
			g.LogName, strings.Join(channelSet(g.Channels), ","), level, redact, boolValue(g.EnableSendingQueue)))
	}
	slices.Sort(keys)
	return keys
}
