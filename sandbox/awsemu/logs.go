package awsemu

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CloudWatch Logs limits the emulator enforces.
const (
	maxLogGroupName   = 512
	maxLogStreamName  = 512
	maxDescribeLimit  = 50
	maxEventsLimit    = 10000
	maxBatchEvents    = 10000
	maxBatchBytes     = 1048576
	eventOverhead     = 26 // bytes PutLogEvents counts per event besides the message
	maxEventBytes     = 256*1024 - eventOverhead
	maxBatchSpan      = 24 * time.Hour
	maxEventAge       = 14 * 24 * time.Hour
	maxEventFuture    = 2 * time.Hour
	maxLogGroupTags   = 50
	defaultGroupClass = "STANDARD"
)

var (
	logGroupNamePattern  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`) })
	logStreamNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[^:*]*$`) })
	kmsKeyARNPattern     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$`) })
	// retentionDays are the values PutRetentionPolicy accepts.
	retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

// logRegion holds one region's log groups; Logs is regional, unlike IAM.
type logRegion struct {
	groups map[string]*logGroup
}

type logGroup struct {
	name      string
	created   time.Time
	retention int // days; 0 means events never expire
	kmsKeyID  string
	class     string
	tags      map[string]string
	streams   map[string]*logStream
}

type logStream struct {
	name          string
	created       time.Time
	events        []logEvent // by timestamp; equal timestamps keep arrival order
	lastIngestion int64
	storedBytes   int64
	uploads       int // PutLogEvents calls, for the (now unchecked) sequence token
}

type logEvent struct {
	timestamp int64
	ingestion int64
	message   string
	id        uint64
}

func (g *logGroup) storedBytes() int64 {
	var n int64
	for _, st := range g.streams {
		n += st.storedBytes
	}
	return n
}

// logsOperations lists the CloudWatch Logs operations the emulator
// implements.
var logsOperations = map[string]jsonHandler{
	"CreateLogGroup":        (*Server).createLogGroup,
	"DeleteLogGroup":        (*Server).deleteLogGroup,
	"DescribeLogGroups":     (*Server).describeLogGroups,
	"PutRetentionPolicy":    (*Server).putRetentionPolicy,
	"DeleteRetentionPolicy": (*Server).deleteRetentionPolicy,
	"ListTagsLogGroup":      (*Server).listTagsLogGroup,
	"ListTagsForResource":   (*Server).listTagsForResource,
	"CreateLogStream":       (*Server).createLogStream,
	"DeleteLogStream":       (*Server).deleteLogStream,
	"DescribeLogStreams":    (*Server).describeLogStreams,
	"PutLogEvents":          (*Server).putLogEvents,
	"GetLogEvents":          (*Server).getLogEvents,
	"FilterLogEvents":       (*Server).filterLogEvents,
}

func (s *Server) regionLocked(region string) *logRegion {
	r := s.logs[region]
	if r == nil {
		r = &logRegion{groups: map[string]*logGroup{}}
		s.logs[region] = r
	}
	return r
}

func (s *Server) logGroupARN(region, name string) string {
	return "arn:aws:logs:" + region + ":" + s.accountID + ":log-group:" + name
}

// Parameter checks.

func checkLogGroupName(name *string) *apiError {
	if name == nil {
		return logsMissing("logGroupName")
	}
	if len(*name) < 1 || len(*name) > maxLogGroupName {
		return logsValidation("logGroupName", *name, fmt.Sprintf("Member must have length between 1 and %d", maxLogGroupName))
	}
	if !logGroupNamePattern().MatchString(*name) {
		return logsValidation("logGroupName", *name, `Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`)
	}
	return nil
}

func checkLogStreamName(name *string) *apiError {
	if name == nil {
		return logsMissing("logStreamName")
	}
	if len(*name) < 1 || len(*name) > maxLogStreamName {
		return logsValidation("logStreamName", *name, fmt.Sprintf("Member must have length between 1 and %d", maxLogStreamName))
	}
	if !logStreamNamePattern().MatchString(*name) {
		return logsValidation("logStreamName", *name, "Member must satisfy regular expression pattern: [^:*]*")
	}
	return nil
}

func checkLimit(limit *int, max int) (int, *apiError) {
	if limit == nil {
		return max, nil
	}
	if *limit < 1 {
		return 0, logsValidation("limit", strconv.Itoa(*limit), "Member must have value greater than or equal to 1")
	}
	if *limit > max {
		return 0, logsValidation("limit", strconv.Itoa(*limit), fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
	return *limit, nil
}

// inGroup runs f on the named log group of region, with the server
// locked; the name is checked first, as AWS does.
func (s *Server) inGroup(region string, name *string, f func(g *logGroup) (any, *apiError)) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, e := s.groupLocked(region, name)
	if e != nil {
		return nil, e
	}
	return f(g)
}

func (s *Server) groupLocked(region string, name *string) (*logGroup, *apiError) {
	if e := checkLogGroupName(name); e != nil {
		return nil, e
	}
	g := s.regionLocked(region).groups[*name]
	if g == nil {
		return nil, logGroupNotFound()
	}
	return g, nil
}

// groupByNameOrIdentifierLocked resolves the logGroupName or
// logGroupIdentifier (a name or an ARN, with or without ":*") of the read
// operations; exactly one must be given.
func (s *Server) groupByNameOrIdentifierLocked(region string, name, identifier *string) (*logGroup, *apiError) {
	switch {
	case name != nil && identifier != nil:
		return nil, logsInvalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case name != nil:
		return s.groupLocked(region, name)
	case identifier == nil:
		return nil, logsInvalidParameter("Either logGroupName or logGroupIdentifier must be specified.")
	}
	id := *identifier
	if rest, ok := strings.CutPrefix(id, "arn:"); ok {
		parts := strings.SplitN(rest, ":", 6) // partition:logs:region:account:log-group:NAME[:*]
		if len(parts) != 6 || parts[1] != "logs" || parts[4] != "log-group" {
			return nil, logsInvalidParameter("The log group identifier %s is neither a log group name nor a log group ARN.", id)
		}
		if parts[2] != region || parts[3] != s.accountID {
			return nil, logGroupNotFound()
		}
		id = strings.TrimSuffix(parts[5], ":*")
	}
	return s.groupLocked(region, &id)
}

func (s *Server) streamLocked(region string, groupName, streamName *string) (*logGroup, *logStream, *apiError) {
	g, e := s.groupLocked(region, groupName)
	if e != nil {
		return nil, nil, e
	}
	if e := checkLogStreamName(streamName); e != nil {
		return nil, nil, e
	}
	st := g.streams[*streamName]
	if st == nil {
		return nil, nil, logStreamNotFound()
	}
	return g, st, nil
}

// Pagination: Logs' nextToken is opaque; here it is the position of the
// next item in the answer's order.

func encodeToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o/" + strconv.Itoa(offset)))
}

func decodeToken(token *string) (int, *apiError) {
	if token == nil || *token == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(*token)
	if err == nil {
		if n, ok := strings.CutPrefix(string(raw), "o/"); ok {
			if off, err := strconv.Atoi(n); err == nil && off >= 0 {
				return off, nil
			}
		}
	}
	return 0, logsInvalidParameter("The specified nextToken is invalid.")
}

// pageAt returns up to limit items from offset and the token for the rest.
func pageAt[T any](items []T, offset, limit int) ([]T, *string) {
	if offset > len(items) {
		offset = len(items)
	}
	end := min(offset+limit, len(items))
	if end == len(items) {
		return items[offset:end], nil
	}
	t := encodeToken(end)
	return items[offset:end], &t
}

// Log groups.

func (s *Server) createLogGroup(c *jsonCall) (any, *apiError) {
	var in struct {
		LogGroupName  *string           `json:"logGroupName"`
		KmsKeyID      *string           `json:"kmsKeyId"`
		Tags          map[string]string `json:"tags"`
		LogGroupClass *string           `json:"logGroupClass"`
	}
	if e := c.decode(&in); e != nil {
		return nil, e
	}
	if e := checkLogGroupName(in.LogGroupName); e != nil {
		return nil, e
	}
	if strings.HasPrefix(strings.ToLower(*in.LogGroupName), "aws/") {
		return nil, logsInvalidParameter("Log groups starting with AWS/ are reserved for AWS.")
	}
	if in.KmsKeyID != nil && !kmsKeyARNPattern().MatchString(*in.KmsKeyID) {
		return nil, logsInvalidParameter("Specified KMS key ARN %s is not valid: a log group's kmsKeyId must be the key's ARN.", *in.KmsKeyID)
	}
	if e := checkLogTags(in.Tags); e != nil {
		return nil, e
	}
	class := defaultGroupClass
	if in.LogGroupClass != nil {
		class = *in.LogGroupClass
		if class != "STANDARD" && class != "INFREQUENT_ACCESS" && class != "DELIVERY" {
			return nil, logsValidation("logGroupClass", class, "Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	reg := s.regionLocked(c.region)
	if reg.groups[*in.LogGroupName] != nil {
		return nil, newError(http.StatusBadRequest, "ResourceAlreadyExistsException", "The specified log group already exists")
	}
	g := &logGroup{name: *in.LogGroupName, created: s.now(), class: class, tags: map[string]string{}, streams: map[string]*logStream{}}
	if in.KmsKeyID != nil {
		g.kmsKeyID = *in.KmsKeyID
	}
	for k, v := range in.Tags {
		g.tags[k] = v
	}
	reg.groups[g.name] = g
	return struct{}{}, nil
}

func checkLogTags(tags map[string]string) *apiError {
	if len(tags) > maxLogGroupTags {
		return logsValidation("tags", fmt.Sprintf("map of %d tags", len(tags)), fmt.Sprintf("Member must have length less than or equal to %d", maxLogGroupTags))
	}
	for k, v := range tags {
		if len(k) < 1 || len(k) > 128 {
			return logsValidation("tags", k, "Map keys must have length between 1 and 128")
		}
		if len(v) > 256 {
			return logsValidation("tags", v, "Map values must have length less than or equal to 256")
		}
	}
	return nil
}

func (s *Server) deleteLogGroup(c *jsonCall) (any, *apiError) {
	var in struct {
		LogGroupName *string `json:"logGroupName"`
	}
	if e := c.decode(&in); e != nil {
		return nil, e
	}
	return s.inGroup(c.region, in.LogGroupName, func(g *logGroup) (any, *apiError) {
		delete(s.regionLocked(c.region).groups, g.name)
		return struct{}{}, nil
	})
}

type jsonLogGroup struct {
	LogGroupName      string `json:"logGroupName"`
	CreationTime      int64  `json:"creationTime"`
	RetentionInDays   *int   `json:"retentionInDays,omitempty"`
	MetricFilterCount int    `json:"metricFilterCount"`
	Arn               string `json:"arn"`
	LogGroupArn       string `json:"logGroupArn"`
	StoredBytes       int64  `json:"storedBytes"`
	KmsKeyID          string `json:"kmsKeyId,omitempty"`
	LogGroupClass     string `json:"logGroupClass"`
}

func (s *Server) logGroupJSON(region string, g *logGroup) jsonLogGroup {
	arn := s.logGroupARN(region, g.name)
	out := jsonLogGroup{
		LogGroupName: g.name, CreationTime: epochMillis(g.created),
		Arn: arn + ":*", LogGroupArn: arn,
		StoredBytes: g.storedBytes(), KmsKeyID: g.kmsKeyID, LogGroupClass: g.class,
	}
	if g.retention > 0 {
		days := g.retention
		out.RetentionInDays = &days
	}
	return out
}

func (s *Server) describeLogGroups(c *jsonCall) (any, *apiError) {
	var in struct {
		LogGroupNamePrefix  *string `json:"logGroupNamePrefix"`
		LogGroupNamePattern *string `json:"logGroupNamePattern"`
		LogGroupClass       *string `json:"logGroupClass"`
		Limit               *int    `json:"limit"`
		NextToken           *string `json:"nextToken"`
	}
	if e := c.decode(&in); e != nil {
		return nil, e
	}
	if in.LogGroupNamePrefix != nil && in.LogGroupNamePattern != nil {
		return nil, logsInvalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	limit, e := checkLimit(in.Limit, maxDescribeLimit)
	if e != nil {
		return nil, e
	}
	offset, e := decodeToken(in.NextToken)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []*logGroup
	for _, g := range s.regionLocked(c.region).groups {
		switch {
		case in.LogGroupNamePrefix != nil && !strings.HasPrefix(g.name, *in.LogGroupNamePrefix):
		case in.LogGroupNamePattern != nil && !strings.Contains(strings.ToLower(g.name), strings.ToLower(*in.LogGroupNamePattern)):
		case in.LogGroupClass != nil && g.class != *in.LogGroupClass:
		default:
			matched = append(matched, g)
		}
	}
	sort.Slice(matched, func(i, j int) bool { return matched[i].name < matched[j].name })
	page, next := pageAt(matched, offset, limit)
	out := struct {
		LogGroups []jsonLogGroup `json:"logGroups"`
		NextToken *string        `json:"nextToken,omitempty"`
	}{LogGroups: []jsonLogGroup{}, NextToken: next}
	for _, g := range page {
		out.LogGroups = append(out.LogGroups, s.logGroupJSON(c.region, g))
	}
	return out, nil
}

func (s *Server) putRetentionPolicy(c *jsonCall) (any, *apiError) {
	var in struct {
		LogGroupName    *string `json:"logGroupName"`
		RetentionInDays *int    `json:"retentionInDays"`
	}
	if e := c.decode(&in); e != nil {
		return nil, e
	}
	if in.RetentionInDays == nil {
		return nil, logsMissing("retentionInDays")
	}
	if !slices.Contains(retentionDays, *in.RetentionInDays) {
		allowed := make([]string, len(retentionDays))
		for i, d := range retentionDays {
			allowed[i] = strconv.Itoa(d)
		}
		return nil, logsValidation("retentionInDays", strconv.Itoa(*in.RetentionInDays),
			"Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
	}
	return s.inGroup(c.region, in.LogGroupName, func(g *logGroup) (any, *apiError) {
		g.retention = *in.RetentionInDays
		return struct{}{}, nil
	})
}

func (s *Server) deleteRetentionPolicy(c *jsonCall) (any, *apiError) {
	var in struct {
		LogGroupName *string `json:"logGroupName"`
	}
	if e := c.decode(&in); e != nil {
		return nil, e
	}
	return s.inGroup(c.region, in.LogGroupName, func(g *logGroup) (any, *apiError) {
		g.retention = 0
		return struct{}{}, nil
	})
}

type jsonTags struct {
	Tags map[string]string `json:"tags"`
}

func (s *Server) listTagsLogGroup(c *jsonCall) (any, *apiError) {
	var in struct {
		LogGroupName *string `json:"logGroupName"`
	}
	if e := c.decode(&in); e != nil {
		return nil, e
	}
	return s.inGroup(c.region, in.LogGroupName, func(g *logGroup) (any, *apiError) {
		return jsonTags{Tags: copyTags(g.tags)}, nil
	})
}

func (s *Server) listTagsForResource(c *jsonCall) (any, *apiError) {
	var in struct {
		ResourceArn *string `json:"resourceArn"`
	}
	if e := c.decode(&in); e != nil {
		return nil, e
	}
	if in.ResourceArn == nil {
		return nil, logsMissing("resourceArn")
	}
	if !strings.HasPrefix(*in.ResourceArn, "arn:") {
		return nil, logsInvalidParameter("%s is not a valid ARN.", *in.ResourceArn)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, e := s.groupByNameOrIdentifierLocked(c.region, nil, in.ResourceArn)
	if e != nil {
		return nil, e
	}
	return jsonTags{Tags: copyTags(g.tags)}, nil
}

func copyTags(tags map[string]string) map[string]string {
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		out[k] = v
	}
	return out
}

// Log streams.

func (s *Server) createLogStream(c *jsonCall) (any, *apiError) {
	var in struct {
		LogGroupName  *string `json:"logGroupName"`
		LogStreamName *string `json:"logStreamName"`
	}
	if e := c.decode(&in); e != nil {
		return nil, e
	}
	if e := checkLogStreamName(in.LogStreamName); e != nil {
		return nil, e
	}
	return s.inGroup(c.region, in.LogGroupName, func(g *logGroup) (any, *apiError) {
		if g.streams[*in.LogStreamName] != nil {
			return nil, newError(http.StatusBadRequest, "ResourceAlreadyExistsException", "The specified log stream already exists")
		}
		g.streams[*in.LogStreamName] = &logStream{name: *in.LogStreamName, created: s.now()}
		return struct{}{}, nil
	})
}

func (s *Server) deleteLogStream(c *jsonCall) (any, *apiError) {
	var in struct {
		LogGroupName  *string `json:"logGroupName"`
		LogStreamName *string `json:"logStreamName"`
	}
	if e := c.decode(&in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, st, e := s.streamLocked(c.region, in.LogGroupName, in.LogStreamName)
	if e != nil {
		return nil, e
	}
	delete(g.streams, st.name)
	return struct{}{}, nil
}

type jsonLogStream struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp *int64 `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  *int64 `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   *int64 `json:"lastIngestionTime,omitempty"`
	UploadSequenceToken string `json:"uploadSequenceToken"`
	Arn                 string `json:"arn"`
	StoredBytes         int64  `json:"storedBytes"`
}

func (s *Server) logStreamJSON(region string, g *logGroup, st *logStream) jsonLogStream {
	out := jsonLogStream{
		LogStreamName:       st.name,
		CreationTime:        epochMillis(st.created),
		UploadSequenceToken: sequenceToken(st.uploads),
		Arn:                 s.logGroupARN(region, g.name) + ":log-stream:" + st.name,
		StoredBytes:         st.storedBytes,
	}
	if n := len(st.events); n > 0 {
		first, last, ingested := st.events[0].timestamp, st.events[n-1].timestamp, st.lastIngestion
		out.FirstEventTimestamp, out.LastEventTimestamp, out.LastIngestionTime = &first, &last, &ingested
	}
	return out
}

// sequenceToken is informational: AWS no longer requires sequence tokens and
// ignores the one a PutLogEvents call sends, so the emulator does too.
func sequenceToken(uploads int) string {
	return fmt.Sprintf("4963%052d", uploads+1)
}

func (s *Server) describeLogStreams(c *jsonCall) (any, *apiError) {
	var in struct {
		LogGroupName        *string `json:"logGroupName"`
		LogGroupIdentifier  *string `json:"logGroupIdentifier"`
		LogStreamNamePrefix *string `json:"logStreamNamePrefix"`
		OrderBy             *string `json:"orderBy"`
		Descending          bool    `json:"descending"`
		Limit               *int    `json:"limit"`
		NextToken           *string `json:"nextToken"`
	}
	if e := c.decode(&in); e != nil {
		return nil, e
	}
	orderBy := "LogStreamName"
	if in.OrderBy != nil {
		orderBy = *in.OrderBy
	}
	switch orderBy {
	case "LogStreamName":
	case "LastEventTime":
		if in.LogStreamNamePrefix != nil {
			return nil, logsInvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
		}
	default:
		return nil, logsValidation("orderBy", orderBy, "Member must satisfy enum value set: [LogStreamName, LastEventTime]")
	}
	limit, e := checkLimit(in.Limit, maxDescribeLimit)
	if e != nil {
		return nil, e
	}
	offset, e := decodeToken(in.NextToken)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, e := s.groupByNameOrIdentifierLocked(c.region, in.LogGroupName, in.LogGroupIdentifier)
	if e != nil {
		return nil, e
	}
	var streams []*logStream
	for _, st := range g.streams {
		if in.LogStreamNamePrefix == nil || strings.HasPrefix(st.name, *in.LogStreamNamePrefix) {
			streams = append(streams, st)
		}
	}
	sort.Slice(streams, func(i, j int) bool {
		a, b := streams[i], streams[j]
		if orderBy == "LastEventTime" && lastEventTime(a) != lastEventTime(b) {
			return lastEventTime(a) < lastEventTime(b)
		}
		return a.name < b.name
	})
	if in.Descending {
		slices.Reverse(streams)
	}
	page, next := pageAt(streams, offset, limit)
	out := struct {
		LogStreams []jsonLogStream `json:"logStreams"`
		NextToken  *string         `json:"nextToken,omitempty"`
	}{LogStreams: []jsonLogStream{}, NextToken: next}
	for _, st := range page {
		out.LogStreams = append(out.LogStreams, s.logStreamJSON(c.region, g, st))
	}
	return out, nil
}

// lastEventTime orders streams without events first, as they have none.
func lastEventTime(st *logStream) int64 {
	if len(st.events) == 0 {
		return -1
	}
	return st.events[len(st.events)-1].timestamp
}
