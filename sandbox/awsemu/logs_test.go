package awsemu

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

func createGroup(t *testing.T, c *cloudwatchlogs.Client, name string) {
	t.Helper()
	_, err := c.CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name)})
	noErr(t, err)
}

func createStream(t *testing.T, c *cloudwatchlogs.Client, group, stream string) {
	t.Helper()
	_, err := c.CreateLogStream(ctx(t), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
	noErr(t, err)
}

func put(t *testing.T, c *cloudwatchlogs.Client, group, stream string, events ...types.InputLogEvent) *cloudwatchlogs.PutLogEventsOutput {
	t.Helper()
	out, err := c.PutLogEvents(ctx(t), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events})
	noErr(t, err)
	return out
}

func event(at time.Time, msg string) types.InputLogEvent {
	return types.InputLogEvent{Timestamp: aws.Int64(at.UnixMilli()), Message: aws.String(msg)}
}

func describeGroup(t *testing.T, c *cloudwatchlogs.Client, name string) *types.LogGroup {
	t.Helper()
	out, err := c.DescribeLogGroups(ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	noErr(t, err)
	for i := range out.LogGroups {
		if aws.ToString(out.LogGroups[i].LogGroupName) == name {
			return &out.LogGroups[i]
		}
	}
	return nil
}

func TestLogGroupLifecycle(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.logs("eu-west-1")
	key := "arn:aws:kms:eu-west-1:314159265358:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	_, err := c.CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{
		LogGroupName: aws.String("/crdb/prod"), KmsKeyId: aws.String(key), Tags: map[string]string{"created-by": "crdb-logexport"},
	})
	noErr(t, err)
	g := describeGroup(t, c, "/crdb/prod")
	if g == nil {
		t.Fatal("created group not described")
	}
	wantARN := "arn:aws:logs:eu-west-1:314159265358:log-group:/crdb/prod"
	if aws.ToString(g.Arn) != wantARN+":*" || aws.ToString(g.LogGroupArn) != wantARN {
		t.Errorf("arn = %s, logGroupArn = %s", aws.ToString(g.Arn), aws.ToString(g.LogGroupArn))
	}
	if aws.ToString(g.KmsKeyId) != key || aws.ToInt64(g.CreationTime) != testClock.UnixMilli() || g.RetentionInDays != nil {
		t.Errorf("group = kms %s created %d retention %v", aws.ToString(g.KmsKeyId), aws.ToInt64(g.CreationTime), g.RetentionInDays)
	}
	tags, err := c.ListTagsForResource(ctx(t), &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(wantARN)})
	noErr(t, err)
	if tags.Tags["created-by"] != "crdb-logexport" {
		t.Errorf("tags = %v", tags.Tags)
	}

	_, err = c.CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/crdb/prod")})
	wantErr[*types.ResourceAlreadyExistsException](t, err)
	wantStatus(t, err, 400)
	for _, bad := range []string{"has space", "colon:name", "star*", strings.Repeat("g", 513), ""} {
		_, err = c.CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(bad)})
		wantErr[*types.InvalidParameterException](t, err)
	}
	_, err = c.CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("kms"), KmsKeyId: aws.String("alias/mine")})
	wantErr[*types.InvalidParameterException](t, err)
	createGroup(t, c, strings.Repeat("g", 512))
	createGroup(t, c, "a.b-c_d/e#f")

	for _, days := range []int32{1, 7, 365, 3653} {
		_, err = c.PutRetentionPolicy(ctx(t), &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/crdb/prod"), RetentionInDays: aws.Int32(days)})
		noErr(t, err)
		if g := describeGroup(t, c, "/crdb/prod"); aws.ToInt32(g.RetentionInDays) != days {
			t.Errorf("retention = %d, want %d", aws.ToInt32(g.RetentionInDays), days)
		}
	}
	for _, days := range []int32{0, 2, 8, 366, 4000} {
		_, err = c.PutRetentionPolicy(ctx(t), &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/crdb/prod"), RetentionInDays: aws.Int32(days)})
		wantErr[*types.InvalidParameterException](t, err)
	}
	_, err = c.PutRetentionPolicy(ctx(t), &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("ghost"), RetentionInDays: aws.Int32(7)})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = c.DeleteRetentionPolicy(ctx(t), &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String("/crdb/prod")})
	noErr(t, err)
	if g := describeGroup(t, c, "/crdb/prod"); g.RetentionInDays != nil {
		t.Errorf("retention still %d after DeleteRetentionPolicy", aws.ToInt32(g.RetentionInDays))
	}

	_, err = c.DeleteLogGroup(ctx(t), &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/crdb/prod")})
	noErr(t, err)
	_, err = c.DeleteLogGroup(ctx(t), &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/crdb/prod")})
	e := wantErr[*types.ResourceNotFoundException](t, err)
	wantStatus(t, err, 400)
	if e.ErrorMessage() != "The specified log group does not exist." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
}

func TestLogGroupsArePerRegion(t *testing.T) {
	f := newFixture(t, Options{})
	east, west := f.logs("us-east-1"), f.logs("eu-west-1")
	createGroup(t, east, "/crdb/logs")
	if describeGroup(t, west, "/crdb/logs") != nil {
		t.Fatal("a group created in us-east-1 is visible in eu-west-1")
	}
	createGroup(t, west, "/crdb/logs") // no conflict across regions
	g := describeGroup(t, west, "/crdb/logs")
	if !strings.HasPrefix(aws.ToString(g.LogGroupArn), "arn:aws:logs:eu-west-1:") {
		t.Errorf("eu-west-1 group ARN = %s", aws.ToString(g.LogGroupArn))
	}
	_, err := east.DeleteLogGroup(ctx(t), &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/crdb/logs")})
	noErr(t, err)
	if describeGroup(t, west, "/crdb/logs") == nil {
		t.Error("deleting the us-east-1 group removed the eu-west-1 one")
	}
	st := f.srv.State()
	if len(st.LogGroups["eu-west-1"]) != 1 || len(st.LogGroups["us-east-1"]) != 0 {
		t.Errorf("state log groups = %+v", st.LogGroups)
	}
}

func TestDescribeLogGroupsPaginates(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.logs("us-east-1")
	var want []string
	for i := 7; i >= 1; i-- {
		name := fmt.Sprintf("/app/group-%d", i)
		createGroup(t, c, name)
		want = append(want, name)
	}
	createGroup(t, c, "/other/group")
	slices.Sort(want)
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/app/"), Limit: aws.Int32(3)})
	var got []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		noErr(t, err)
		pages++
		for _, g := range out.LogGroups {
			got = append(got, aws.ToString(g.LogGroupName))
		}
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Errorf("pages = %d, groups = %v, want 3 pages of %v", pages, got, want)
	}
	_, err := c.DescribeLogGroups(ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{Limit: aws.Int32(51)})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.DescribeLogGroups(ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{NextToken: aws.String("garbage!")})
	wantErr[*types.InvalidParameterException](t, err)
	out, err := c.DescribeLogGroups(ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("OTHER")})
	noErr(t, err)
	if len(out.LogGroups) != 1 || aws.ToString(out.LogGroups[0].LogGroupName) != "/other/group" {
		t.Errorf("pattern search = %+v", out.LogGroups)
	}
}

func TestLogEventsRoundTrip(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.logs("us-east-1")
	createGroup(t, c, "/crdb/prod")
	createStream(t, c, "/crdb/prod", "a")
	createStream(t, c, "/crdb/prod", "b")
	_, err := c.CreateLogStream(ctx(t), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/crdb/prod"), LogStreamName: aws.String("a")})
	wantErr[*types.ResourceAlreadyExistsException](t, err)
	_, err = c.CreateLogStream(ctx(t), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("ghost"), LogStreamName: aws.String("a")})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = c.CreateLogStream(ctx(t), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/crdb/prod"), LogStreamName: aws.String("bad:name")})
	wantErr[*types.InvalidParameterException](t, err)

	t0 := testClock.Add(-time.Hour)
	out := put(t, c, "/crdb/prod", "a",
		event(t0, "node 1 started"), event(t0.Add(time.Second), "ERROR disk full"), event(t0.Add(2*time.Second), "WARN slow query"))
	if out.RejectedLogEventsInfo != nil || aws.ToString(out.NextSequenceToken) == "" {
		t.Errorf("PutLogEvents = rejected %+v token %q", out.RejectedLogEventsInfo, aws.ToString(out.NextSequenceToken))
	}
	put(t, c, "/crdb/prod", "b", event(t0.Add(1500*time.Millisecond), "ERROR replica lost"), event(t0.Add(3*time.Second), "ok"))

	got, err := c.GetLogEvents(ctx(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/crdb/prod"), LogStreamName: aws.String("a"), StartFromHead: aws.Bool(true)})
	noErr(t, err)
	var msgs []string
	for _, ev := range got.Events {
		msgs = append(msgs, aws.ToString(ev.Message))
		if aws.ToInt64(ev.IngestionTime) != testClock.UnixMilli() {
			t.Errorf("ingestionTime = %d", aws.ToInt64(ev.IngestionTime))
		}
	}
	if !slices.Equal(msgs, []string{"node 1 started", "ERROR disk full", "WARN slow query"}) {
		t.Errorf("GetLogEvents = %v", msgs)
	}

	filtered, err := c.FilterLogEvents(ctx(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/crdb/prod"), FilterPattern: aws.String("ERROR")})
	noErr(t, err)
	var hits []string
	for _, ev := range filtered.Events {
		hits = append(hits, aws.ToString(ev.LogStreamName)+":"+aws.ToString(ev.Message))
		if aws.ToString(ev.EventId) == "" {
			t.Error("event without eventId")
		}
	}
	if !slices.Equal(hits, []string{"a:ERROR disk full", "b:ERROR replica lost"}) {
		t.Errorf("FilterLogEvents ERROR = %v", hits)
	}
	if len(filtered.SearchedLogStreams) != 2 {
		t.Errorf("searchedLogStreams = %+v", filtered.SearchedLogStreams)
	}

	streams, err := c.DescribeLogStreams(ctx(t), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/crdb/prod")})
	noErr(t, err)
	if len(streams.LogStreams) != 2 {
		t.Fatalf("streams = %+v", streams.LogStreams)
	}
	a := streams.LogStreams[0]
	if aws.ToString(a.LogStreamName) != "a" ||
		aws.ToInt64(a.FirstEventTimestamp) != t0.UnixMilli() ||
		aws.ToInt64(a.LastEventTimestamp) != t0.Add(2*time.Second).UnixMilli() ||
		aws.ToInt64(a.LastIngestionTime) != testClock.UnixMilli() ||
		aws.ToInt64(a.StoredBytes) != int64(len("node 1 started")+len("ERROR disk full")+len("WARN slow query")) {
		t.Errorf("stream a = first %d last %d ingested %d bytes %d", aws.ToInt64(a.FirstEventTimestamp), aws.ToInt64(a.LastEventTimestamp), aws.ToInt64(a.LastIngestionTime), aws.ToInt64(a.StoredBytes))
	}
	if want := "arn:aws:logs:us-east-1:314159265358:log-group:/crdb/prod:log-stream:a"; aws.ToString(a.Arn) != want {
		t.Errorf("stream arn = %s", aws.ToString(a.Arn))
	}

	// Newest stream first: b's last event is later than a's.
	byTime, err := c.DescribeLogStreams(ctx(t), &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:314159265358:log-group:/crdb/prod:*"),
		OrderBy:            types.OrderByLastEventTime, Descending: aws.Bool(true),
	})
	noErr(t, err)
	if len(byTime.LogStreams) != 2 || aws.ToString(byTime.LogStreams[0].LogStreamName) != "b" {
		t.Errorf("LastEventTime descending = %+v", byTime.LogStreams)
	}
	_, err = c.DescribeLogStreams(ctx(t), &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName: aws.String("/crdb/prod"), OrderBy: types.OrderByLastEventTime, LogStreamNamePrefix: aws.String("a"),
	})
	wantErr[*types.InvalidParameterException](t, err)

	group := describeGroup(t, c, "/crdb/prod")
	if aws.ToInt64(group.StoredBytes) == 0 {
		t.Error("group storedBytes is 0 after events were stored")
	}
	_, err = c.DeleteLogStream(ctx(t), &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: aws.String("/crdb/prod"), LogStreamName: aws.String("b")})
	noErr(t, err)
	_, err = c.GetLogEvents(ctx(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/crdb/prod"), LogStreamName: aws.String("b")})
	wantErr[*types.ResourceNotFoundException](t, err)
}

func TestPutLogEventsRules(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.logs("us-east-1")
	createGroup(t, c, "g")
	createStream(t, c, "g", "s")

	_, err := c.PutLogEvents(ctx(t), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{event(testClock, "second"), event(testClock.Add(-time.Second), "first")}})
	e := wantErr[*types.InvalidParameterException](t, err)
	if !strings.Contains(e.ErrorMessage(), "chronological order") {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	_, err = c.PutLogEvents(ctx(t), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{event(testClock.Add(-25*time.Hour), "a"), event(testClock, "b")}})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.PutLogEvents(ctx(t), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("ghost"),
		LogEvents: []types.InputLogEvent{event(testClock, "x")}})
	wantErr[*types.ResourceNotFoundException](t, err)

	// Too old (15 days) and too new (3 hours ahead) events are rejected,
	// the rest stored.
	old := testClock.Add(-15 * 24 * time.Hour)
	out, err := c.PutLogEvents(ctx(t), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{event(old, "old"), event(old.Add(time.Hour), "older than 14 days too")}})
	noErr(t, err)
	if r := out.RejectedLogEventsInfo; r == nil || aws.ToInt32(r.TooOldLogEventEndIndex) != 2 || r.TooNewLogEventStartIndex != nil {
		t.Errorf("rejected = %+v, want tooOldLogEventEndIndex 2", r)
	}
	out, err = c.PutLogEvents(ctx(t), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{event(testClock, "now"), event(testClock.Add(3*time.Hour), "future")}})
	noErr(t, err)
	if r := out.RejectedLogEventsInfo; r == nil || r.TooNewLogEventStartIndex == nil || aws.ToInt32(r.TooNewLogEventStartIndex) != 1 || r.TooOldLogEventEndIndex != nil {
		t.Errorf("rejected = %+v, want tooNewLogEventStartIndex 1", r)
	}
	_, err = c.PutRetentionPolicy(ctx(t), &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("g"), RetentionInDays: aws.Int32(1)})
	noErr(t, err)
	out, err = c.PutLogEvents(ctx(t), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{event(testClock.Add(-25*time.Hour), "expired"), event(testClock.Add(-2*time.Hour), "kept")}})
	noErr(t, err)
	if r := out.RejectedLogEventsInfo; r == nil || aws.ToInt32(r.ExpiredLogEventEndIndex) != 1 {
		t.Errorf("rejected = %+v, want expiredLogEventEndIndex 1", r)
	}

	got, err := c.GetLogEvents(ctx(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)})
	noErr(t, err)
	var msgs []string
	for _, ev := range got.Events {
		msgs = append(msgs, aws.ToString(ev.Message))
	}
	if !slices.Equal(msgs, []string{"kept", "now"}) {
		t.Errorf("stored events = %v, want only the accepted ones, in time order", msgs)
	}
}

func TestGetLogEventsTokens(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.logs("us-east-1")
	createGroup(t, c, "g")
	createStream(t, c, "g", "s")
	var events []types.InputLogEvent
	for i := range 7 {
		events = append(events, event(testClock.Add(time.Duration(i)*time.Second), fmt.Sprintf("e%d", i)))
	}
	put(t, c, "g", "s", events...)

	read := func(in *cloudwatchlogs.GetLogEventsInput) (*cloudwatchlogs.GetLogEventsOutput, []string) {
		in.LogGroupName, in.LogStreamName, in.Limit = aws.String("g"), aws.String("s"), aws.Int32(3)
		out, err := c.GetLogEvents(ctx(t), in)
		noErr(t, err)
		var msgs []string
		for _, ev := range out.Events {
			msgs = append(msgs, aws.ToString(ev.Message))
		}
		return out, msgs
	}
	// Without startFromHead the newest events come back.
	out, msgs := read(&cloudwatchlogs.GetLogEventsInput{})
	if !slices.Equal(msgs, []string{"e4", "e5", "e6"}) {
		t.Errorf("tail = %v", msgs)
	}
	_, msgs = read(&cloudwatchlogs.GetLogEventsInput{NextToken: out.NextBackwardToken})
	if !slices.Equal(msgs, []string{"e1", "e2", "e3"}) {
		t.Errorf("backward page = %v", msgs)
	}
	// Forward from the head until the token repeats.
	var all []string
	token := (*string)(nil)
	for range 10 {
		out, msgs := read(&cloudwatchlogs.GetLogEventsInput{StartFromHead: aws.Bool(true), NextToken: token})
		all = append(all, msgs...)
		if token != nil && aws.ToString(out.NextForwardToken) == aws.ToString(token) {
			break
		}
		token = out.NextForwardToken
	}
	if !slices.Equal(all, []string{"e0", "e1", "e2", "e3", "e4", "e5", "e6"}) {
		t.Errorf("forward pages = %v", all)
	}
	_, msgs = read(&cloudwatchlogs.GetLogEventsInput{StartFromHead: aws.Bool(true), StartTime: aws.Int64(testClock.Add(2 * time.Second).UnixMilli()), EndTime: aws.Int64(testClock.Add(4 * time.Second).UnixMilli())})
	if !slices.Equal(msgs, []string{"e2", "e3"}) {
		t.Errorf("time window [2s, 4s) = %v", msgs)
	}
	_, err := c.GetLogEvents(ctx(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), NextToken: aws.String("x/1")})
	wantErr[*types.InvalidParameterException](t, err)
}

func TestFilterLogEvents(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.logs("us-east-1")
	createGroup(t, c, "g")
	for _, s := range []string{"crdb.n1", "crdb.n2", "other"} {
		createStream(t, c, "g", s)
	}
	put(t, c, "g", "crdb.n1", event(testClock, "ERROR one"), event(testClock.Add(2*time.Second), "WARN two"), event(testClock.Add(4*time.Second), "INFO three"))
	put(t, c, "g", "crdb.n2", event(testClock.Add(time.Second), "ERROR \"quoted\" four"), event(testClock.Add(3*time.Second), "INFO five"))
	put(t, c, "g", "other", event(testClock.Add(5*time.Second), "ERROR six"))

	filter := func(in *cloudwatchlogs.FilterLogEventsInput) []string {
		t.Helper()
		in.LogGroupName = aws.String("g")
		p := cloudwatchlogs.NewFilterLogEventsPaginator(c, in)
		var got []string
		for p.HasMorePages() {
			out, err := p.NextPage(ctx(t))
			noErr(t, err)
			for _, ev := range out.Events {
				got = append(got, aws.ToString(ev.Message))
			}
		}
		return got
	}
	cases := []struct {
		name string
		in   cloudwatchlogs.FilterLogEventsInput
		want []string
	}{
		{"all, interleaved by time, paged", cloudwatchlogs.FilterLogEventsInput{Limit: aws.Int32(2)},
			[]string{"ERROR one", "ERROR \"quoted\" four", "WARN two", "INFO five", "INFO three", "ERROR six"}},
		{"prefix", cloudwatchlogs.FilterLogEventsInput{LogStreamNamePrefix: aws.String("crdb.")},
			[]string{"ERROR one", "ERROR \"quoted\" four", "WARN two", "INFO five", "INFO three"}},
		{"names", cloudwatchlogs.FilterLogEventsInput{LogStreamNames: []string{"crdb.n2", "other"}},
			[]string{"ERROR \"quoted\" four", "INFO five", "ERROR six"}},
		{"term", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("ERROR")},
			[]string{"ERROR one", "ERROR \"quoted\" four", "ERROR six"}},
		{"two terms", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("ERROR six")}, []string{"ERROR six"}},
		{"any of", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("?WARN ?five")}, []string{"WARN two", "INFO five"}},
		{"exclusion", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("ERROR -six")},
			[]string{"ERROR one", "ERROR \"quoted\" four"}},
		{"quoted phrase", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String(`"INFO three"`)}, []string{"INFO three"}},
		{"case-sensitive", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("error")}, nil},
		{"time window", cloudwatchlogs.FilterLogEventsInput{StartTime: aws.Int64(testClock.Add(time.Second).UnixMilli()), EndTime: aws.Int64(testClock.Add(3 * time.Second).UnixMilli())},
			[]string{"ERROR \"quoted\" four", "WARN two"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := filter(&tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	_, err := c.FilterLogEvents(ctx(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), FilterPattern: aws.String(`{ $.level = "ERROR" }`)})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.FilterLogEvents(ctx(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), LogStreamNames: []string{"a"}, LogStreamNamePrefix: aws.String("b")})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.FilterLogEvents(ctx(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("ghost")})
	wantErr[*types.ResourceNotFoundException](t, err)
}
