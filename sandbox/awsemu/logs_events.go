package awsemu

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

type jsonInputEvent struct {
	Timestamp *int64  `json:"timestamp"`
	Message   *string `json:"message"`
}

type jsonRejected struct {
	TooNewLogEventStartIndex *int `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int `json:"tooOldLogEventEndIndex,omitempty"`
	ExpiredLogEventEndIndex  *int `json:"expiredLogEventEndIndex,omitempty"`
}

// putLogEvents stores a batch. As in AWS, a batch must be in chronological
// order and span at most 24 hours; events older than 14 days or than the
// group's retention, or more than 2 hours in the future, are not stored and
// are reported in rejectedLogEventsInfo (the "end" indexes are exclusive,
// the "start" index inclusive).
func (s *Server) putLogEvents(c *jsonCall) (any, *apiError) {
	var in struct {
		LogGroupName  *string          `json:"logGroupName"`
		LogStreamName *string          `json:"logStreamName"`
		LogEvents     []jsonInputEvent `json:"logEvents"`
	}
	if e := c.decode(&in); e != nil {
		return nil, e
	}
	if len(in.LogEvents) == 0 {
		return nil, logsValidation("logEvents", "[]", "Member must have length greater than or equal to 1")
	}
	if len(in.LogEvents) > maxBatchEvents {
		return nil, logsValidation("logEvents", fmt.Sprintf("list of %d events", len(in.LogEvents)), fmt.Sprintf("Member must have length less than or equal to %d", maxBatchEvents))
	}
	size := 0
	for i, ev := range in.LogEvents {
		member := fmt.Sprintf("logEvents.%d.member", i+1)
		if ev.Timestamp == nil {
			return nil, logsMissing(member + ".timestamp")
		}
		if ev.Message == nil {
			return nil, logsMissing(member + ".message")
		}
		if len(*ev.Message) < 1 {
			return nil, logsValidation(member+".message", "", "Member must have length greater than or equal to 1")
		}
		if len(*ev.Message) > maxEventBytes {
			return nil, logsInvalidParameter("Log event too large: %d bytes exceeds limit of %d", len(*ev.Message)+eventOverhead, maxEventBytes+eventOverhead)
		}
		if i > 0 && *ev.Timestamp < *in.LogEvents[i-1].Timestamp {
			return nil, logsInvalidParameter("Log events in a single PutLogEvents request must be in chronological order.")
		}
		size += len(*ev.Message) + eventOverhead
	}
	if size > maxBatchBytes {
		return nil, logsInvalidParameter("Upload too large: %d bytes exceeds limit of %d", size, maxBatchBytes)
	}
	first, last := *in.LogEvents[0].Timestamp, *in.LogEvents[len(in.LogEvents)-1].Timestamp
	if last-first > maxBatchSpan.Milliseconds() {
		return nil, logsInvalidParameter("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	g, st, e := s.streamLocked(c.region, in.LogGroupName, in.LogStreamName)
	if e != nil {
		return nil, e
	}
	now := s.now()
	nowMs := epochMillis(now)
	tooOldBefore := epochMillis(now.Add(-maxEventAge))
	expiredBefore := int64(-1 << 63)
	if g.retention > 0 {
		expiredBefore = epochMillis(now.Add(-time.Duration(g.retention) * 24 * time.Hour))
	}
	tooNewAfter := epochMillis(now.Add(maxEventFuture))

	// The batch is in order, so rejected events form a prefix (too old or
	// expired) and a suffix (too new).
	leading := func(before int64) int {
		n := 0
		for n < len(in.LogEvents) && *in.LogEvents[n].Timestamp < before {
			n++
		}
		return n
	}
	var rejected jsonRejected
	tooOld, expired := leading(tooOldBefore), leading(expiredBefore)
	if tooOld > 0 {
		rejected.TooOldLogEventEndIndex = &tooOld
	}
	if expired > 0 {
		rejected.ExpiredLogEventEndIndex = &expired
	}
	start, end := max(tooOld, expired), len(in.LogEvents)
	for end > start && *in.LogEvents[end-1].Timestamp > tooNewAfter {
		end--
	}
	if end < len(in.LogEvents) {
		rejected.TooNewLogEventStartIndex = &end
	}
	anyRejected := start > 0 || end < len(in.LogEvents)

	accepted := in.LogEvents[start:end]
	appendInOrder := len(st.events) == 0 || len(accepted) == 0 || *accepted[0].Timestamp >= st.events[len(st.events)-1].timestamp
	for _, ev := range accepted {
		s.eventSeq++
		st.events = append(st.events, logEvent{timestamp: *ev.Timestamp, ingestion: nowMs, message: *ev.Message, id: s.eventSeq})
		st.storedBytes += int64(len(*ev.Message))
	}
	if !appendInOrder {
		sort.SliceStable(st.events, func(i, j int) bool { return st.events[i].timestamp < st.events[j].timestamp })
	}
	if len(accepted) > 0 {
		st.lastIngestion = nowMs
	}
	st.uploads++
	out := struct {
		NextSequenceToken     string        `json:"nextSequenceToken"`
		RejectedLogEventsInfo *jsonRejected `json:"rejectedLogEventsInfo,omitempty"`
	}{NextSequenceToken: sequenceToken(st.uploads)}
	if anyRejected {
		out.RejectedLogEventsInfo = &rejected
	}
	return out, nil
}

type jsonOutputEvent struct {
	LogStreamName string `json:"logStreamName,omitempty"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId,omitempty"`
}

// inRange applies startTime (inclusive) and endTime (exclusive).
func inRange(ts int64, start, end *int64) bool {
	return (start == nil || ts >= *start) && (end == nil || ts < *end)
}

// getLogEvents pages through one stream. Its tokens are "f/N" (the next
// page forward starts at event N) and "b/N" (the page backward ends before
// event N); at either end the token handed out is the one that was passed
// in, which is how callers know to stop.
func (s *Server) getLogEvents(c *jsonCall) (any, *apiError) {
	var in struct {
		LogGroupName       *string `json:"logGroupName"`
		LogGroupIdentifier *string `json:"logGroupIdentifier"`
		LogStreamName      *string `json:"logStreamName"`
		StartTime          *int64  `json:"startTime"`
		EndTime            *int64  `json:"endTime"`
		NextToken          *string `json:"nextToken"`
		Limit              *int    `json:"limit"`
		StartFromHead      bool    `json:"startFromHead"`
	}
	if e := c.decode(&in); e != nil {
		return nil, e
	}
	limit, e := checkLimit(in.Limit, maxEventsLimit)
	if e != nil {
		return nil, e
	}
	if e := checkLogStreamName(in.LogStreamName); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, e := s.groupByNameOrIdentifierLocked(c.region, in.LogGroupName, in.LogGroupIdentifier)
	if e != nil {
		return nil, e
	}
	st := g.streams[*in.LogStreamName]
	if st == nil {
		return nil, logStreamNotFound()
	}
	var events []logEvent
	for _, ev := range st.events {
		if inRange(ev.timestamp, in.StartTime, in.EndTime) {
			events = append(events, ev)
		}
	}
	n := len(events)
	forward, pos := in.StartFromHead, n
	if forward {
		pos = 0
	}
	if in.NextToken != nil && *in.NextToken != "" {
		dir, num, ok := strings.Cut(*in.NextToken, "/")
		p, err := strconv.Atoi(num)
		if !ok || err != nil || p < 0 || (dir != "f" && dir != "b") {
			return nil, logsInvalidParameter("The specified nextToken is invalid.")
		}
		forward, pos = dir == "f", min(p, n)
	}
	var lo, hi int
	if forward {
		lo, hi = pos, min(pos+limit, n)
	} else {
		lo, hi = max(pos-limit, 0), pos
	}
	out := struct {
		Events            []jsonOutputEvent `json:"events"`
		NextForwardToken  string            `json:"nextForwardToken"`
		NextBackwardToken string            `json:"nextBackwardToken"`
	}{Events: []jsonOutputEvent{}, NextForwardToken: "f/" + strconv.Itoa(hi), NextBackwardToken: "b/" + strconv.Itoa(lo)}
	for _, ev := range events[lo:hi] {
		out.Events = append(out.Events, jsonOutputEvent{Timestamp: ev.timestamp, Message: ev.message, IngestionTime: ev.ingestion})
	}
	return out, nil
}

type jsonSearchedStream struct {
	LogStreamName      string `json:"logStreamName"`
	SearchedCompletely bool   `json:"searchedCompletely"`
}

// filterLogEvents searches a group's streams, oldest event first across
// streams (ties by stream name, then arrival).
func (s *Server) filterLogEvents(c *jsonCall) (any, *apiError) {
	var in struct {
		LogGroupName        *string  `json:"logGroupName"`
		LogGroupIdentifier  *string  `json:"logGroupIdentifier"`
		LogStreamNames      []string `json:"logStreamNames"`
		LogStreamNamePrefix *string  `json:"logStreamNamePrefix"`
		StartTime           *int64   `json:"startTime"`
		EndTime             *int64   `json:"endTime"`
		FilterPattern       *string  `json:"filterPattern"`
		NextToken           *string  `json:"nextToken"`
		Limit               *int     `json:"limit"`
	}
	if e := c.decode(&in); e != nil {
		return nil, e
	}
	if in.LogStreamNames != nil && in.LogStreamNamePrefix != nil {
		return nil, logsInvalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
	}
	if in.LogStreamNames != nil && (len(in.LogStreamNames) < 1 || len(in.LogStreamNames) > 100) {
		return nil, logsValidation("logStreamNames", fmt.Sprintf("list of %d names", len(in.LogStreamNames)), "Member must have length between 1 and 100")
	}
	limit, e := checkLimit(in.Limit, maxEventsLimit)
	if e != nil {
		return nil, e
	}
	offset, e := decodeToken(in.NextToken)
	if e != nil {
		return nil, e
	}
	var filter termFilter
	if in.FilterPattern != nil {
		if filter, e = parseFilterPattern(*in.FilterPattern); e != nil {
			return nil, e
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, e := s.groupByNameOrIdentifierLocked(c.region, in.LogGroupName, in.LogGroupIdentifier)
	if e != nil {
		return nil, e
	}
	var streams []*logStream
	if in.LogStreamNames != nil {
		for _, name := range in.LogStreamNames {
			if st := g.streams[name]; st != nil {
				streams = append(streams, st)
			}
		}
	} else {
		for _, st := range g.streams {
			if in.LogStreamNamePrefix == nil || strings.HasPrefix(st.name, *in.LogStreamNamePrefix) {
				streams = append(streams, st)
			}
		}
	}
	sort.Slice(streams, func(i, j int) bool { return streams[i].name < streams[j].name })
	type hit struct {
		stream string
		ev     logEvent
	}
	var hits []hit
	searched := make([]jsonSearchedStream, 0, len(streams))
	for _, st := range streams {
		searched = append(searched, jsonSearchedStream{LogStreamName: st.name, SearchedCompletely: true})
		for _, ev := range st.events {
			if inRange(ev.timestamp, in.StartTime, in.EndTime) && filter.matches(ev.message) {
				hits = append(hits, hit{st.name, ev})
			}
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].ev.timestamp < hits[j].ev.timestamp })
	page, next := pageAt(hits, offset, limit)
	out := struct {
		Events             []jsonOutputEvent    `json:"events"`
		SearchedLogStreams []jsonSearchedStream `json:"searchedLogStreams"`
		NextToken          *string              `json:"nextToken,omitempty"`
	}{Events: []jsonOutputEvent{}, SearchedLogStreams: searched, NextToken: next}
	for _, h := range page {
		out.Events = append(out.Events, jsonOutputEvent{
			LogStreamName: h.stream, Timestamp: h.ev.timestamp, Message: h.ev.message,
			IngestionTime: h.ev.ingestion, EventID: fmt.Sprintf("%056d", h.ev.id),
		})
	}
	return out, nil
}

// termFilter is the term form of CloudWatch Logs filter patterns: every
// plain term must occur, at least one ?term must occur (when there are
// any), and no -term may occur. "Quoted phrases" are single terms. Matching
// is case-sensitive, as in CloudWatch Logs.
type termFilter struct {
	all, anyOf, none []string
}

func parseFilterPattern(p string) (termFilter, *apiError) {
	var f termFilter
	p = strings.TrimSpace(p)
	if strings.HasPrefix(p, "{") || strings.HasPrefix(p, "[") || strings.HasPrefix(p, "%") {
		return f, logsInvalidParameter("Invalid filter pattern %q: the sandbox AWS emulator supports term patterns only (words, \"quoted phrases\", ?any-of, -excluded).", p)
	}
	for p != "" {
		kind := byte(0)
		if p[0] == '?' || p[0] == '-' {
			kind, p = p[0], p[1:]
		}
		var term string
		if strings.HasPrefix(p, `"`) {
			closing := strings.Index(p[1:], `"`)
			if closing < 0 {
				return f, logsInvalidParameter("Invalid filter pattern: unterminated quoted term.")
			}
			term, p = p[1:1+closing], p[2+closing:]
		} else {
			end := strings.IndexAny(p, " \t")
			if end < 0 {
				end = len(p)
			}
			term, p = p[:end], p[end:]
		}
		p = strings.TrimLeft(p, " \t")
		if term == "" {
			continue
		}
		switch kind {
		case '?':
			f.anyOf = append(f.anyOf, term)
		case '-':
			f.none = append(f.none, term)
		default:
			f.all = append(f.all, term)
		}
	}
	return f, nil
}

func (f termFilter) matches(msg string) bool {
	for _, t := range f.all {
		if !strings.Contains(msg, t) {
			return false
		}
	}
	for _, t := range f.none {
		if strings.Contains(msg, t) {
			return false
		}
	}
	if len(f.anyOf) == 0 {
		return true
	}
	for _, t := range f.anyOf {
		if strings.Contains(msg, t) {
			return true
		}
	}
	return false
}
