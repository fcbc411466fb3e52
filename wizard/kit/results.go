package kit

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// The results of tasks as plain text rows: what the commands print on
// standard output, and what the interface prints there once it ends.

func row(w io.Writer, k, v string) { rowAt(w, 12, k, v) }

// rowAt is a row: the label in n columns, then the value, its next lines
// under it, within Columns.
func rowAt(w io.Writer, n int, k, v string) {
	pad := strings.Repeat(" ", n+1)
	cols := Columns(w)
	if cols <= 0 {
		fmt.Fprintf(w, "%-*s %s\n", n, k, v)
		return
	}
	for i, line := range WrapLines(v, cols-n-1) {
		if i == 0 {
			fmt.Fprintf(w, "%-*s %s\n", n, k, line)
		} else {
			fmt.Fprintln(w, pad+line)
		}
	}
}

// WriteExport is one cluster's export, one value a row.
func WriteExport(w io.Writer, st *steps.ClusterExport, now time.Time) {
	row := func(k, v string) { rowAt(w, 14, k, v) }
	row("cluster", fmt.Sprintf("%s (%s), %s on %s", st.ClusterName, st.ClusterID, st.Plan, st.CloudProvider))
	state := string(st.ClusterState)
	if st.OperationStatus != "" && st.OperationStatus != cloudapi.OperationUnspecified {
		state += ", " + string(st.OperationStatus)
	}
	row("cluster state", state)
	status := string(st.Status)
	if !st.Configured {
		status += " (log export was never configured)"
	}
	row("status", status)
	if st.UserMessage != "" {
		row("message", st.UserMessage)
	}
	if s := st.Spec; s != nil {
		row("type", string(s.Type))
		row("log group", s.LogName)
		row("role", s.AuthPrincipal)
		if s.AWSExternalID != "" {
			row("external ID", s.AWSExternalID)
		}
		if s.Region != "" {
			row("region", s.Region+" (every region's logs go to this region's log group)")
		} else {
			row("region", "each region exports to its own log group")
		}
		row("redact", fmt.Sprint(s.Redact != nil && *s.Redact))
		omitted := "(none)"
		if len(s.OmittedChannels) > 0 {
			omitted = strings.Join(s.OmittedChannels, ", ")
		}
		row("omitted", omitted)
		for _, g := range s.Groups {
			row("group", steps.FormatGroup(g))
		}
		row("destinations", strings.Join(st.Regions, ", "))
	}
	if !st.CreatedAt.IsZero() {
		row("created", st.CreatedAt.UTC().Format(time.RFC3339))
	}
	if !st.UpdatedAt.IsZero() {
		row("updated", st.UpdatedAt.UTC().Format(time.RFC3339))
	}
	for _, l := range st.Logs {
		var v string
		switch {
		case l.Error != "":
			v = "not readable: " + l.Error
		case l.Streams == 0:
			v = "no log streams"
		default:
			v = fmt.Sprintf("%d streams, newest event %s ago", l.Streams, FormatAge(now.Sub(l.Newest)))
			if l.Arriving {
				v += " — arriving"
			} else {
				v += " — NOT arriving (nothing in the last " + steps.ArrivingWindow.String() + ")"
			}
		}
		row("logs", fmt.Sprintf("%s %s: %s", l.Region, l.LogGroup, v))
	}
	if st.LogsNote != "" {
		row("logs", st.LogsNote)
	}
	if !st.Configured {
		// Setup would refuse a cluster CloudWatch export does not apply to.
		cl := cloudapi.Cluster{Name: st.ClusterName, Plan: st.Plan, CloudProvider: st.CloudProvider}
		if err := cl.CheckCloudWatch(); err != nil {
			fmt.Fprintf(w, "\nCloudWatch export does not apply: %v.\n", err)
		} else {
			fmt.Fprintf(w, "\nTo set it up: crdb-logexport setup --cluster %s\n", st.ClusterName)
		}
	}
	if st.Status.Failed() {
		fmt.Fprintf(w, "\nThe export failed. `crdb-logexport doctor --cluster %s` names the exact fault.\n", st.ClusterName)
	}
}

// WriteSetupResult is what a setup did.
func WriteSetupResult(w io.Writer, res *steps.SetupResult, now time.Time) {
	row(w, "cluster", fmt.Sprintf("%s (%s)", res.ClusterName, res.ClusterID))
	row(w, "status", string(res.Status))
	if res.UserMessage != "" {
		row(w, "message", res.UserMessage)
	}
	row(w, "log group", res.LogGroup)
	row(w, "regions", strings.Join(res.Regions, ", "))
	row(w, "role ARN", res.RoleARN)
	if res.PolicyARN != "" {
		row(w, "policy ARN", res.PolicyARN)
	}
	if res.ExternalIDRequired {
		row(w, "external ID", res.ExternalID)
	}
	if len(res.Created) == 0 && len(res.Changed) == 0 {
		row(w, "changes", "none: everything was already in place")
	}
	for _, c := range res.Created {
		row(w, "created", c)
	}
	for _, c := range res.Changed {
		row(w, "changed", c)
	}
	writeStreams(w, res.Streams, now)
}

func writeStreams(w io.Writer, streams []steps.RegionStreams, now time.Time) {
	for _, s := range streams {
		v := fmt.Sprintf("%s %s: %d", s.Region, s.LogGroup, s.Streams)
		if !s.Newest.IsZero() {
			v += fmt.Sprintf(", newest event %s ago", FormatAge(now.Sub(s.Newest)))
		}
		row(w, "streams", v)
	}
}

// WriteUpdateResult is what an update did.
func WriteUpdateResult(w io.Writer, res *steps.UpdateResult, now time.Time) {
	row(w, "cluster", fmt.Sprintf("%s (%s)", res.ClusterName, res.ClusterID))
	row(w, "status", string(res.Status))
	if res.UserMessage != "" {
		row(w, "message", res.UserMessage)
	}
	row(w, "log group", res.Spec.LogName)
	row(w, "role ARN", res.Spec.AuthPrincipal)
	if len(res.Diff) == 0 {
		row(w, "changes", "none to the configuration")
	}
	for _, d := range res.Diff {
		row(w, "changed", d.String())
	}
	for _, c := range res.Created {
		row(w, "created", c)
	}
	for _, c := range res.Changed {
		if !strings.HasPrefix(c, "log export configuration") {
			row(w, "changed", c)
		}
	}
	writeStreams(w, res.Streams, now)
}

// WriteDisableResult is what disabling did.
func WriteDisableResult(w io.Writer, res *steps.DisableResult) {
	row(w, "cluster", fmt.Sprintf("%s (%s)", res.ClusterName, res.ClusterID))
	row(w, "status", string(res.Status))
	for _, r := range res.Removed {
		row(w, "removed", r)
	}
	for _, k := range res.Kept {
		row(w, "kept", k)
	}
}

// Overview is what disabling would stop and what cleanup could remove,
// read from a plan prepared with every cleanup option on.
type Overview struct {
	Head      string
	Message   string
	Stops     []string
	Removes   []string
	LogGroups []string
	Kept      []string
	Untouched []string
}

// DisableOverview reads a plan prepared with every cleanup option on.
func DisableOverview(p *steps.DisablePlan) Overview {
	o := Overview{Message: p.UserMessage}
	for _, st := range p.Stops {
		if p.Spec != nil && p.Spec.AuthPrincipal != "" {
			// The account is in the header: the role's name says which.
			st = strings.ReplaceAll(st, p.Spec.AuthPrincipal, ARNName(p.Spec.AuthPrincipal))
		}
		o.Stops = append(o.Stops, st)
	}
	switch {
	case !p.Configured:
		o.Head = "Log export of " + p.ClusterName + " is not configured: there is nothing to stop."
	case p.AlreadyDisabled:
		o.Head = "Log export of " + p.ClusterName + " is already disabled: there is nothing to stop."
	}
	deleted := map[string]bool{}
	for _, it := range p.Items {
		if it.Kind == steps.KindPolicy && it.Remove {
			deleted[it.ID] = true
		}
	}
	var groupNames []string
	groupRegions := map[string][]string{}
	for _, it := range p.Items {
		switch {
		case !it.Remove:
			o.Kept = append(o.Kept, it.Label()+": "+it.Reason)
		case it.Kind == steps.KindAttachment:
			role, policy, _ := strings.Cut(it.ID, "|")
			if !deleted[policy] {
				o.Removes = append(o.Removes, "detach policy "+ARNName(policy)+" from role "+ARNName(role))
			}
		case it.Kind == steps.KindPolicy:
			o.Removes = append(o.Removes, "policy "+ARNName(it.ID)+" (detached, deleted with its versions)")
		case it.Kind == steps.KindRole:
			o.Removes = append(o.Removes, "role "+ARNName(it.ID))
		case it.Kind == steps.KindLogGroup && it.Empty:
			o.Removes = append(o.Removes, it.Label()+" (it holds no logs)")
		case it.Kind == steps.KindLogGroup:
			if _, ok := groupRegions[it.ID]; !ok {
				groupNames = append(groupNames, it.ID)
			}
			groupRegions[it.ID] = append(groupRegions[it.ID], it.Region)
		default:
			o.Removes = append(o.Removes, it.Label())
		}
	}
	for _, name := range groupNames {
		o.LogGroups = append(o.LogGroups, name+" in "+strings.Join(groupRegions[name], ", "))
	}
	for _, u := range p.Untouched {
		o.Untouched = append(o.Untouched, u+": this tool did not create it")
	}
	return o
}
