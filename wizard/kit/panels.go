package kit

import (
	"fmt"
	"strings"
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// StageText says what a dialogue is doing, the same way on a spinner and
// in a transcript.
func StageText(st steps.Stage, cluster, detail string) string {
	of := ""
	if cluster != "" {
		of = " of " + cluster
	}
	switch st {
	case steps.StageConnect:
		return "Connecting (read-only): the CockroachDB Cloud organization, the AWS identity this tool acts as, the clusters…"
	case steps.StageClusterExports:
		return "Reading each cluster's export status (read-only)…"
	case steps.StagePrepare:
		return "Reading the current state (read-only): the log group in every region, the role, the policy and the export…"
	case steps.StageApply:
		return "Applying the plan" + strings.Replace(of, " of ", " for ", 1) + "…"
	case steps.StageRollbackRead:
		return "Reading the journal: what this run created…"
	case steps.StageRollback:
		return "Rolling back what this run created…"
	case steps.StageStatusRead:
		return "Reading the log export" + of + " (read-only): its status, the cluster, the logs in CloudWatch…"
	case steps.StageStatusWatch:
		return "Following the log export" + of + " until its status is terminal (ENABLED, DISABLED or a failure); Ctrl-C stops."
	case steps.StageStatusFollow:
		return "Following the log export" + of + " live: each change shows as it happens, terminal statuses too; Ctrl-C stops."
	case steps.StageDiagnose:
		return "Checking the log export" + of + " (read-only): the export and its status, the role with its trust and permission policies, the log groups and their newest streams…"
	case steps.StageRediagnose:
		return "Checking again (read-only)…"
	case steps.StageRepair:
		return "Applying the repairs…"
	case steps.StageReenable:
		text := "Enabling the export again"
		if detail != "" {
			text += " (" + detail + ")"
		}
		return text + " and following it to a terminal status…"
	case steps.StageDisableRead:
		return "Reading the export and what this tool created for it (read-only)…"
	case steps.StageDisable:
		return "Disabling the log export" + of + "…"
	case steps.StageUpdateLoad:
		return "Reading the configuration in force, the cluster and the AWS identity (read-only)…"
	case steps.StageUpdatePlan:
		return "Checking the new configuration and what AWS needs for it (read-only)…"
	case steps.StageUpdateApply:
		return "Updating the log export" + of + "…"
	case steps.StageRolesLookup:
		return "Looking up the roles this policy is attached to (iam:ListEntitiesForPolicy)…"
	}
	return string(st) + "…"
}

// SpinnerLine is a spinner frame and what it waits for.
func SpinnerLine(spin, text string, w int) string {
	return Wrap(spin+" "+text, w)
}

// ErrorBlock shows a failure: the step, the cause and the fix (and how
// long the step ran, when took is known).
func ErrorBlock(err error, s *Styles, w int, took time.Duration) string {
	if err == nil {
		return ""
	}
	var b strings.Builder
	se, ok := steps.AsStepError(err)
	switch {
	case ok && se.Step != "":
		// "Step 7 (Grant the CloudWatch Logs actions)", or the title of a
		// step outside the documented ten (disable's).
		label := steps.StepLabel(se.Step)
		fmt.Fprintf(&b, "%s %s failed", s.Fail.Render(GlyphFailed), strings.ToUpper(label[:1])+label[1:])
		if took > 0 {
			b.WriteString(" after " + FormatDuration(took))
		}
		b.WriteString("\n" + s.Label.Render("Cause ") + se.Cause.Error())
	case ok:
		// A failure of no step (connecting, nothing to update): the cause.
		b.WriteString(s.Fail.Render(GlyphFailed) + " " + se.Cause.Error())
	default:
		b.WriteString(s.Fail.Render(GlyphFailed) + " " + err.Error())
	}
	if ok {
		if fix := fixText(se); fix != "" {
			b.WriteString("\n" + s.Label.Render("Fix   ") + fix)
		}
		if !se.Permanent {
			b.WriteString("\n" + s.Faint.Render("This looks temporary: trying again should get past it."))
		}
	}
	return Wrap(b.String(), w)
}

// ErrorText is a failure as one paragraph: what failed, and the fix.
func ErrorText(err error) string {
	if se, ok := steps.AsStepError(err); ok && fixText(se) != "" {
		return err.Error() + "\nFix: " + fixText(se)
	}
	return err.Error()
}

// fixText is a failure's fix without a "Fix:" of its own (a conflict's
// fix is the plan's "Fix: …" line), so the label is never said twice.
func fixText(se *steps.StepError) string {
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(se.Fix), "Fix:"))
}

// IsEnableFailure reports whether err stopped step 10: enabling.
func IsEnableFailure(err error) bool {
	se, ok := steps.AsStepError(err)
	return ok && se.Step == steps.StepEnable
}

// Propagation is a wait for IAM to propagate a new or changed role.
type Propagation struct {
	Until, Deadline time.Time
	Reason          string
}

// ExportStatusView is an export's status as a watch last saw it: the
// status, the time elapsed, the cluster's state and the polls, then a
// failed poll, the user_message and an IAM propagation wait's countdown.
func ExportStatusView(ev cloudapi.StatusEvent, elapsed time.Duration, polls int, wait *Propagation, now time.Time, s *Styles, w int) string {
	status := string(ev.Info.Status)
	switch {
	case ev.Info.Status == cloudapi.StatusEnabled:
		status = s.OK.Render(GlyphDone + " " + status)
	case ev.Info.Status.Failed():
		status = s.Fail.Render(GlyphFailed + " " + status)
	default:
		status = s.Current.Render(status)
	}
	line := s.Section.Render("Export status") + " " + status + s.Faint.Render(" · "+FormatAge(elapsed)+" elapsed")
	if ev.ClusterState != "" {
		state := "cluster " + string(ev.ClusterState)
		if ev.OperationStatus != "" && ev.OperationStatus != cloudapi.OperationUnspecified {
			state += " (" + string(ev.OperationStatus) + ")"
		}
		line += s.Faint.Render(" · " + state)
	}
	line += s.Faint.Render(fmt.Sprintf(" · %d %s", polls, Plural(polls, "poll", "polls")))
	out := []string{line}
	if ev.Err != nil && !ev.Done {
		out = append(out, s.Warn.Render("last poll failed, retrying: ")+ev.Err.Error())
	}
	if ev.Info.UserMessage != "" {
		out = append(out, s.Label.Render("user_message ")+ev.Info.UserMessage)
	}
	if wait != nil {
		left := wait.Until.Sub(now)
		when := "in " + FormatAge(left)
		if left <= 0 {
			when = "now"
		}
		out = append(out, s.Countdown.Render("⏳ IAM propagation: enabling again "+when)+
			s.Faint.Render(fmt.Sprintf(" (gives up in %s)", FormatAge(wait.Deadline.Sub(now))))+"\n"+wait.Reason)
	}
	return Wrap(strings.Join(out, "\n"), w)
}

// StreamsView is the logs arriving in logGroup in each region; live marks
// a view that keeps refreshing.
func StreamsView(logGroup string, regions []string, streams map[string]steps.RegionStreams, live bool, now time.Time, s *Styles, w int) string {
	lines := []string{s.Section.Render("Logs arriving") + s.Faint.Render(" in "+logGroup)}
	if live {
		lines[0] += s.Faint.Render(" (live)")
	}
	for _, region := range regions {
		rs, ok := streams[region]
		var text string
		switch {
		case !ok:
			text = s.Faint.Render("waiting for the first stream…")
		case rs.Streams == 0 && rs.Error != "":
			text = s.Warn.Render("cannot list streams: ") + rs.Error
		case rs.Streams == 0:
			text = s.Faint.Render("no streams yet (logs are not back-filled)")
		default:
			text = s.OK.Render(GlyphDone) + fmt.Sprintf(" %d %s", rs.Streams, Plural(rs.Streams, "stream", "streams"))
			if !rs.Newest.IsZero() {
				text += s.Faint.Render(" · newest event " + FormatAge(now.Sub(rs.Newest)) + " ago")
			}
		}
		lines = append(lines, fmt.Sprintf("  %-15s %s", region, text))
	}
	return Wrap(strings.Join(lines, "\n"), w)
}

// ResumeLine is a failure screen's line with the command that resumes, or
// the hint that replaces it; "" when there is neither.
func ResumeLine(s *Styles, advice string, w int) string {
	if advice == "" {
		return ""
	}
	return "\n" + Wrap(s.Label.Render("Resume ")+s.Command.Render(advice), w)
}

// NotApplicable explains why CloudWatch export does not apply to c.
func NotApplicable(c cloudapi.Cluster, err error) string {
	return fmt.Sprintf("%v.\nLog export to Amazon CloudWatch is for Advanced and Standard clusters on AWS (this one is %s on %s). Basic clusters cannot export logs; clusters on GCP or Azure export to Cloud Logging or Log Analytics, which this tool does not set up.", err, c.Plan, c.CloudProvider)
}

// RoleARNWarning is the boxed warning for what was typed as a role ARN
// ("" when it is one, or not an ARN yet); next says what enter does with a
// policy ARN.
func RoleARNWarning(typed, next string, s *Styles, w int) string {
	arn := strings.TrimSpace(typed)
	reason := ARNWarning(arn)
	if reason == "" {
		return ""
	}
	text := s.Warn.Render(GlyphWarn+" Not a role ARN") + "\n" + reason
	if awsiam.Classify(arn) == awsiam.KindPolicy {
		text = s.Warn.Render(GlyphWarn+" This is a policy ARN, not a role ARN") + "\n" + reason
		if next != "" {
			text += "\n" + next
		}
	}
	return s.WarnBox.Render(Wrap(text, w-4))
}

// RolesFound says what the lookup of a policy's roles found.
func RolesFound(roles []string, err error) string {
	switch {
	case err != nil:
		return "The roles it is attached to could not be listed: " + err.Error()
	case len(roles) == 0:
		return "It is attached to no role."
	}
	return fmt.Sprintf("It is attached to %d %s:", len(roles), Plural(len(roles), "role", "roles"))
}

// StatusWord is an export status with its glyph and colour.
func StatusWord(s *Styles, st cloudapi.Status) string {
	switch {
	case st == cloudapi.StatusEnabled:
		return s.OK.Render(GlyphDone + " " + string(st))
	case st.Failed():
		return s.Fail.Render(GlyphFailed + " " + string(st))
	case st == "":
		return s.Faint.Render("unknown")
	}
	return s.Current.Render(string(st))
}

// PolicyDiff shows two policy documents line by line: the lines both
// share faint, removed and added ones marked.
func PolicyDiff(s *Styles, old, new *awsiam.PolicyDocument, w int, fit bool) string {
	var a []string
	if old != nil {
		a = strings.Split(old.JSON(), "\n")
	}
	var out []string
	for _, l := range steps.LineDiff(a, strings.Split(new.JSON(), "\n")) {
		out = append(out, DiffLines(l, "   ", s, w, fit)...)
	}
	return strings.Join(out, "\n")
}

// ARNName is the name an ARN ends with, or the value itself.
func ARNName(s string) string {
	if a, err := awsiam.ParseARN(s); err == nil && a.Name != "" {
		return a.Name
	}
	return s
}
