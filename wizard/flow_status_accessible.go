package wizard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// accessibleStatus is the status screen line by line: the export as
// sentences, each change of its status while it is not terminal, the
// export again once it is, and — when it failed or its logs do not
// arrive — the offer to run the doctor.
func accessibleStatus(a *accessible, ctx context.Context) (Result, error) {
	var st *steps.ClusterExport
	result := func(o Outcome, err error) Result {
		res := Result{Outcome: o, Task: statusTitle, Status: st, Err: err}
		if st != nil {
			res.Resume = "crdb-logexport status --cluster " + st.ClusterName + " --watch"
		}
		return res
	}
	a.taskOutcome = func(o Outcome) Result { return result(o, nil) }
	stopped := func(err error) (Result, error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return result(Aborted, nil), nil
		}
		a.say("Error: %s", errorText(err))
		return result(Failed, err), nil
	}
	if err := a.cluster.CheckCloudWatch(); err != nil {
		a.say("%s", notApplicable(a.cluster, err))
		return result(Failed, fmt.Errorf("%w: %v", steps.ErrNotApplicable, err)), nil
	}
	read := func() error {
		var err error
		st, err = steps.ExportStatus(ctx, a.env, a.cluster.ID, steps.StatusOptions{SkipLogs: a.env.AWS == nil})
		if err == nil {
			writeExportText(a.w, st, a.opts.now())
		}
		return err
	}
	a.say("Reading the log export of %s (read-only)…", a.cluster.Name)
	if err := read(); err != nil {
		return stopped(err)
	}
	if !st.Status.Terminal() {
		a.say("Following the status until it is terminal (ENABLED, DISABLED or a failure); Ctrl-C stops.")
		rep := &lineReporter{w: a.w, now: a.opts.now}
		wo := a.opts.Apply.Watch
		wo.Goal = cloudapi.GoalAnyTerminal
		if _, err := steps.WatchExport(ctx, a.env, a.cluster.ID, wo, rep.Status); err != nil {
			return stopped(err)
		}
		if err := read(); err != nil {
			return stopped(err)
		}
	}
	var quiet []string
	if st.Status == cloudapi.StatusEnabled {
		for _, l := range st.Logs {
			if !l.Arriving {
				quiet = append(quiet, l.Region)
			}
		}
	}
	if st.Status.Failed() || len(quiet) > 0 {
		title := "The export failed. Run the doctor's checks? They name the exact field that is wrong."
		if !st.Status.Failed() {
			title = fmt.Sprintf("No logs arriving in %s. Run the doctor's checks?", strings.Join(quiet, ", "))
		}
		choice, err := a.choose(title, huh.NewOption("Diagnose: run the doctor's checks on this cluster", choiceDoctor), huh.NewOption("Quit", choiceQuit))
		if err != nil {
			return stopped(err)
		}
		if choice == choiceDoctor {
			return accessibleDoctor(a, ctx)
		}
	}
	if st.Status.Failed() {
		return result(Failed, fmt.Errorf("log export of %s is %s: %s", st.ClusterName, st.Status, st.UserMessage)), nil
	}
	return result(Completed, nil), nil
}

// writeExportText writes one cluster's export as plain sentences.
func writeExportText(w io.Writer, st *steps.ClusterExport, now time.Time) {
	state := string(st.ClusterState)
	if st.OperationStatus != "" && st.OperationStatus != cloudapi.OperationUnspecified {
		state += " (" + string(st.OperationStatus) + ")"
	}
	fmt.Fprintf(w, "Cluster %s (%s), %s on %s, is %s.\n", st.ClusterName, st.ClusterID, st.Plan, st.CloudProvider, state)
	if !st.Configured {
		fmt.Fprintf(w, "Log export status: %s; it was never configured. To set it up: crdb-logexport setup --cluster %s\n", st.Status, st.ClusterName)
		return
	}
	fmt.Fprintf(w, "Log export status: %s.\n", st.Status)
	if st.UserMessage != "" {
		fmt.Fprintf(w, "Message: %s\n", st.UserMessage)
	}
	if s := st.Spec; s != nil {
		fmt.Fprintf(w, "Log group: %s. Role: %s.\n", s.LogName, s.AuthPrincipal)
		if s.AWSExternalID != "" {
			fmt.Fprintf(w, "External ID: %s.\n", s.AWSExternalID)
		}
		if s.Region != "" {
			fmt.Fprintf(w, "Every region's logs go to the log group in %s.\n", s.Region)
		} else {
			fmt.Fprintf(w, "Each region exports to its own log group: %s.\n", strings.Join(st.Regions, ", "))
		}
		redact := "off"
		if s.Redact != nil && *s.Redact {
			redact = "on"
		}
		omitted := "none"
		if len(s.OmittedChannels) > 0 {
			omitted = strings.Join(s.OmittedChannels, ", ")
		}
		fmt.Fprintf(w, "Redaction: %s. Omitted channels: %s.\n", redact, omitted)
		for _, g := range s.Groups {
			fmt.Fprintf(w, "Group: %s\n", steps.FormatGroup(g))
		}
	}
	if !st.CreatedAt.IsZero() {
		fmt.Fprintf(w, "Created %s, updated %s.\n", st.CreatedAt.UTC().Format(time.RFC3339), st.UpdatedAt.UTC().Format(time.RFC3339))
	}
	for _, l := range st.Logs {
		switch {
		case l.Error != "":
			fmt.Fprintf(w, "Logs in %s (%s): not readable: %s\n", l.Region, l.LogGroup, l.Error)
		case l.Streams == 0:
			fmt.Fprintf(w, "Logs in %s (%s): no log streams yet.\n", l.Region, l.LogGroup)
		case l.Arriving:
			fmt.Fprintf(w, "Logs arriving in %s (%s): %d streams, newest event %s ago.\n", l.Region, l.LogGroup, l.Streams, formatAge(now.Sub(l.Newest)))
		default:
			fmt.Fprintf(w, "Logs NOT arriving in %s (%s): %d streams, newest event %s ago, nothing in the last %s.\n", l.Region, l.LogGroup, l.Streams, formatAge(now.Sub(l.Newest)), steps.ArrivingWindow)
		}
	}
	if st.LogsNote != "" {
		fmt.Fprintf(w, "Logs: %s.\n", st.LogsNote)
	}
}
