package cloudemu

import (
	"encoding/json"
	"fmt"
	"time"
)

// channelMessages are typical lines of each channel, with the sensitive
// parts between redaction markers ‹…› as CockroachDB writes them.
var channelMessages = map[string][]string{
	"SESSIONS":         {"client connection established from ‹10.0.12.7:51234›", "client session authenticated as user ‹app_rw›"},
	"OPS":              {"node is live; store s1 has ‹1 842› ranges", "cluster setting ‹sql.stats.automatic_collection.enabled› unchanged"},
	"HEALTH":           {"runtime stats: 1.3 GiB RSS, 412 goroutines, 0.18 CGO/sec", "disk stall check passed for store ‹/mnt/data1›"},
	"STORAGE":          {"compaction finished: L4 -> L5, 12 MiB in 180ms", "flushed memtable of 64 MiB to ‹000918.sst›"},
	"SQL_SCHEMA":       {"event: create_table ‹defaultdb.public.orders›", "event: alter_table ‹defaultdb.public.orders› add column ‹status›"},
	"USER_ADMIN":       {"event: create_role ‹reporting›", "event: alter_role ‹app_rw› set password"},
	"PRIVILEGES":       {"event: change_table_privilege on ‹orders› granted SELECT to ‹reporting›"},
	"SENSITIVE_ACCESS": {"event: sensitive_table_access on ‹customers› by ‹auditor›"},
	"SQL_EXEC":         {"event: query_execute ‹SELECT * FROM orders WHERE id = $1›"},
	"SQL_PERF":         {"event: slow_query 1.8s ‹SELECT count(*) FROM events›"},
	"CHANGEFEED":       {"changefeed 1029384756 emitted 4.1 MiB to ‹kafka://broker:9092›"},
}

// logLine renders one event in CockroachDB's JSON log format, honouring the
// stream's minimum level and redaction.
func logLine(clusterID string, st stream, counter int, now time.Time) string {
	msgs := channelMessages[st.channel]
	msg := msgs[counter%len(msgs)]
	if st.redact {
		msg = redactMarkers(msg)
	}
	severity := "INFO"
	if st.level != "" && st.level != "UNSPECIFIED" {
		severity = st.level
	}
	node := st.node
	if node == 0 {
		node = 1
	}
	b, _ := json.Marshal(map[string]any{
		"channel":       st.channel,
		"timestamp":     fmt.Sprintf("%d.%09d", now.Unix(), now.Nanosecond()),
		"cluster_id":    clusterID,
		"node_id":       node,
		"severity":      severity,
		"goroutine":     100 + counter%900,
		"file":          "util/log/event_log.go",
		"line":          87,
		"entry_counter": counter,
		"redactable":    1,
		"tags":          map[string]string{"n": fmt.Sprint(node), "region": st.source},
		"message":       msg,
	})
	return string(b)
}

// redactMarkers replaces every ‹…› span with ‹×›, as redacted export does.
func redactMarkers(s string) string {
	out := []rune{}
	in := false
	for _, r := range s {
		switch {
		case r == '‹':
			in = true
			out = append(out, '‹', '×')
		case r == '›':
			in = false
			out = append(out, '›')
		case !in:
			out = append(out, r)
		}
	}
	return string(out)
}
