package monitor

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Notification events, the "event" of a generic webhook's document.
const (
	NotifyFailing   = "failing"
	NotifyRecovered = "recovered"
	NotifyReport    = "report"
	NotifyOK        = "ok"
)

// ClusterDoc is the generic webhook's document for an event about one
// cluster: failing (Update set when the export was already reported
// failing and a finding is new or the status changed), recovered, or ok.
type ClusterDoc struct {
	ID          string          `json:"id"`
	Event       string          `json:"event"`
	ClusterID   string          `json:"cluster_id"`
	ClusterName string          `json:"cluster_name"`
	Status      cloudapi.Status `json:"status"`
	UserMessage string          `json:"user_message"`
	Findings    []Finding       `json:"findings"`
	Time        time.Time       `json:"time"`
	Update      bool            `json:"update,omitempty"`
	NewChecks   []string        `json:"new_checks,omitempty"`
	Regions     []RegionLogs    `json:"regions,omitempty"`
	// Repair is the command that diagnoses and repairs the export.
	Repair string `json:"repair,omitempty"`
}

// ReportDoc is the generic webhook's daily report of the fleet.
type ReportDoc struct {
	ID       string          `json:"id"`
	Event    string          `json:"event"`
	Time     time.Time       `json:"time"`
	Summary  ReportSummary   `json:"summary"`
	Clusters []ReportCluster `json:"clusters"`
}

// ReportSummary counts the watched exports.
type ReportSummary struct {
	Watched   int `json:"watched"`
	Healthy   int `json:"healthy"`
	Failing   int `json:"failing"`
	Unchecked int `json:"unchecked"`
}

// ReportCluster is one watched export in the daily report.
type ReportCluster struct {
	ClusterID   string          `json:"cluster_id"`
	ClusterName string          `json:"cluster_name"`
	Health      Health          `json:"health,omitempty"`
	Status      cloudapi.Status `json:"status,omitempty"`
	UserMessage string          `json:"user_message,omitempty"`
	Since       time.Time       `json:"since,omitzero"`
	Findings    []Finding       `json:"findings"`
	Error       string          `json:"error,omitempty"`
}

// note is a notification about to be queued: its event, the cluster checks
// it is about, and what changed.
type note struct {
	event     string
	update    bool
	newChecks []string
	checks    []Check
	report    []ReportCluster
}

// render writes a notification's body for a destination kind.
func render(kind, id string, at time.Time, n note) (string, error) {
	var v any
	if kind == KindSlack {
		v = slackMessage(id, at, n)
	} else {
		v = webhookDoc(id, at, n)
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func webhookDoc(id string, at time.Time, n note) any {
	if n.event == NotifyReport {
		doc := ReportDoc{ID: id, Event: NotifyReport, Time: at.UTC(), Clusters: n.report}
		doc.Summary = summarize(n.report)
		return doc
	}
	c := n.checks[0]
	doc := ClusterDoc{ID: id, Event: n.event, ClusterID: c.ClusterID, ClusterName: c.ClusterName,
		Status: c.Status, UserMessage: c.UserMessage, Findings: c.Findings, Time: at.UTC(),
		Update: n.update, NewChecks: n.newChecks, Regions: c.Regions}
	if doc.Findings == nil {
		doc.Findings = []Finding{}
	}
	if n.event == NotifyFailing {
		doc.Repair = repairCommand(c.ClusterName)
	}
	return doc
}

func summarize(rc []ReportCluster) ReportSummary {
	s := ReportSummary{Watched: len(rc)}
	for _, c := range rc {
		switch {
		case c.Error != "":
			s.Unchecked++
		case c.Health == Healthy:
			s.Healthy++
		case c.Health == Failing:
			s.Failing++
		}
	}
	return s
}

func repairCommand(clusterName string) string {
	return "crdb-logexport doctor --cluster " + steps.ShellQuote(clusterName) + " --fix"
}

// Slack's Block Kit: the message's blocks, and a text that notifications
// and clients without blocks show.
type slackMsg struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Block Kit's limits (header text, section text, blocks per message),
// kept with room to spare.
const (
	slackHeaderMax  = 150
	slackSectionMax = 3000
	slackMaxBlocks  = 50
	slackFindings   = 10
	slackListed     = 40
)

func mrkdwn(s string) slackText { return slackText{Type: "mrkdwn", Text: clip(s, slackSectionMax)} }

func header(s string) slackBlock {
	return slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: clip(s, slackHeaderMax)}}
}

func section(s string) slackBlock { t := mrkdwn(s); return slackBlock{Type: "section", Text: &t} }

func contextBlock(s string) slackBlock {
	return slackBlock{Type: "context", Elements: []slackText{mrkdwn(s)}}
}

// esc escapes the three characters Slack's mrkdwn gives meaning to.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func clip(s string, limit int) string {
	if r := []rune(s); len(r) > limit {
		return string(r[:limit-1]) + "…"
	}
	return s
}

func slackMessage(id string, at time.Time, n note) slackMsg {
	footer := contextBlock(fmt.Sprintf("crdb-logexport monitor · %s · event %s", at.UTC().Format(time.RFC3339), id))
	switch n.event {
	case NotifyReport:
		return slackReport(n.report, footer)
	case NotifyOK:
		return slackOK(n.checks, footer)
	}
	c := n.checks[0]
	var title, icon string
	switch {
	case n.event == NotifyRecovered:
		title, icon = "Log export recovered: "+c.ClusterName, ":large_green_circle:"
	case n.update:
		title, icon = "Log export still failing: "+c.ClusterName, ":red_circle:"
	default:
		title, icon = "Log export failing: "+c.ClusterName, ":red_circle:"
	}
	m := slackMsg{Blocks: []slackBlock{header(title)}}
	fields := []slackText{
		mrkdwn(fmt.Sprintf("*Cluster*\n%s (`%s`)", esc(c.ClusterName), c.ClusterID)),
		mrkdwn("*Status*\n" + string(c.Status)),
	}
	if len(c.Regions) > 0 {
		fields = append(fields, mrkdwn("*Logs arriving*\n"+esc(regionsLine(c.Regions))))
	}
	m.Blocks = append(m.Blocks, slackBlock{Type: "section", Fields: fields})
	if c.UserMessage != "" {
		m.Blocks = append(m.Blocks, section("*user_message*\n> "+esc(c.UserMessage)))
	}
	text := fmt.Sprintf("%s %s (%s): %s", icon, title, c.ClusterID, c.Status)
	if n.event == NotifyFailing {
		if len(n.newChecks) > 0 && n.update {
			m.Blocks = append(m.Blocks, section("*New:* "+esc(strings.Join(n.newChecks, ", "))))
		}
		for i, f := range c.Findings {
			if i == slackFindings {
				m.Blocks = append(m.Blocks, section(fmt.Sprintf("…and %d more: `crdb-logexport doctor --cluster %s` lists them all.", len(c.Findings)-i, esc(c.ClusterName))))
				break
			}
			mark := ":x:"
			if f.Severity == steps.SeverityWarning {
				mark = ":warning:"
			}
			body := fmt.Sprintf("%s *%s* — %s", mark, f.Check, esc(f.Summary))
			if f.Fix != "" {
				body += "\n_Fix:_ " + esc(f.Fix)
			}
			m.Blocks = append(m.Blocks, section(body))
		}
		m.Blocks = append(m.Blocks, section("*Repair:* `"+esc(repairCommand(c.ClusterName))+"`"))
		if len(c.Checks) > 0 {
			text += " — " + strings.Join(c.Checks, ", ")
		}
		if c.UserMessage != "" {
			text += ": " + c.UserMessage
		}
	}
	m.Text = clip(text, slackSectionMax)
	m.Blocks = append(m.Blocks, footer)
	return m
}

func regionsLine(rs []RegionLogs) string {
	var parts []string
	for _, r := range rs {
		mark := "✓"
		if !r.Arriving {
			mark = "✗"
		}
		parts = append(parts, r.Region+" "+mark)
	}
	return strings.Join(parts, "  ")
}

func slackOK(checks []Check, footer slackBlock) slackMsg {
	names := make([]string, 0, len(checks))
	for _, c := range checks {
		names = append(names, c.ClusterName)
	}
	title := fmt.Sprintf("Log export healthy: %d cluster(s)", len(checks))
	return slackMsg{
		Text:   ":large_green_circle: " + title + ": " + clip(strings.Join(names, ", "), 1000),
		Blocks: []slackBlock{header(title), section(esc(listNames(names))), footer},
	}
}

func slackReport(rc []ReportCluster, footer slackBlock) slackMsg {
	s := summarize(rc)
	title := fmt.Sprintf("Daily log export report: %d watched, %d failing", s.Watched, s.Failing)
	m := slackMsg{Blocks: []slackBlock{header(title)}}
	var healthy, unchecked []string
	for _, c := range rc {
		switch {
		case c.Error != "":
			unchecked = append(unchecked, c.ClusterName)
		case c.Health == Healthy:
			healthy = append(healthy, c.ClusterName)
		case c.Health == Failing && len(m.Blocks) < slackMaxBlocks-4:
			line := fmt.Sprintf(":red_circle: *%s* — %s", esc(c.ClusterName), c.Status)
			if !c.Since.IsZero() {
				line += " since " + c.Since.UTC().Format("2006-01-02 15:04 MST")
			}
			for _, f := range c.Findings {
				if f.Severity == steps.SeverityError {
					line += fmt.Sprintf("\n• %s — %s", f.Check, esc(f.Summary))
				}
			}
			m.Blocks = append(m.Blocks, section(line))
		}
	}
	if len(healthy) > 0 {
		m.Blocks = append(m.Blocks, section(":large_green_circle: *Healthy:* "+esc(listNames(healthy))))
	}
	if len(unchecked) > 0 {
		m.Blocks = append(m.Blocks, section(":grey_question: *Could not be checked:* "+esc(listNames(unchecked))))
	}
	m.Text = fmt.Sprintf("%s (%d healthy, %d could not be checked)", title, s.Healthy, s.Unchecked)
	m.Blocks = append(m.Blocks, footer)
	return m
}

// listNames joins names, eliding beyond slackListed of them.
func listNames(names []string) string {
	if len(names) > slackListed {
		return strings.Join(names[:slackListed], ", ") + fmt.Sprintf(" and %d more", len(names)-slackListed)
	}
	return strings.Join(names, ", ")
}
