package wizard

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// disableOverview is what the confirmation says, in words both front ends
// use: what stops, what cleanup removes, and what it leaves.
type disableOverview struct {
	head      string
	message   string
	stops     []string
	removes   []string
	logGroups []string
	kept      []string
	untouched []string
}

// overviewOf reads a plan prepared with every cleanup option on.
func overviewOf(p *steps.DisablePlan) disableOverview {
	o := disableOverview{message: p.UserMessage}
	for _, st := range p.Stops {
		if p.Spec != nil && p.Spec.AuthPrincipal != "" {
			// The account is in the header: the role's name says which.
			st = strings.ReplaceAll(st, p.Spec.AuthPrincipal, arnName(p.Spec.AuthPrincipal))
		}
		o.stops = append(o.stops, st)
	}
	switch {
	case !p.Configured:
		o.head = "Log export of " + p.ClusterName + " is not configured: there is nothing to stop."
	case p.AlreadyDisabled:
		o.head = "Log export of " + p.ClusterName + " is already disabled: there is nothing to stop."
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
			o.kept = append(o.kept, it.Label()+": "+it.Reason)
		case it.Kind == steps.KindAttachment:
			role, policy, _ := strings.Cut(it.ID, "|")
			if !deleted[policy] {
				o.removes = append(o.removes, "detach policy "+arnName(policy)+" from role "+arnName(role))
			}
		case it.Kind == steps.KindPolicy:
			o.removes = append(o.removes, "policy "+arnName(it.ID)+" (detached, deleted with its versions)")
		case it.Kind == steps.KindRole:
			o.removes = append(o.removes, "role "+arnName(it.ID))
		case it.Kind == steps.KindLogGroup:
			if _, ok := groupRegions[it.ID]; !ok {
				groupNames = append(groupNames, it.ID)
			}
			groupRegions[it.ID] = append(groupRegions[it.ID], it.Region)
		default:
			o.removes = append(o.removes, it.Label())
		}
	}
	for _, name := range groupNames {
		o.logGroups = append(o.logGroups, name+" in "+strings.Join(groupRegions[name], ", "))
	}
	for _, u := range p.Untouched {
		o.untouched = append(o.untouched, u+": this tool did not create it")
	}
	return o
}

// arnName is the name an ARN ends with, or the value itself.
func arnName(s string) string {
	if a, err := awsiam.ParseARN(s); err == nil && a.Name != "" {
		return a.Name
	}
	return s
}

func (f *disableFlow) body(m *Model, w, h int) string {
	switch f.stage {
	case disLoading:
		return m.spinnerLine("Reading the export and what this tool created for it (read-only)…", w)
	case disLoadFailed:
		return m.errorBlock(f.err, w) + "\n\n" + m.formView()
	case disConfirm:
		out := f.overviewView(m, w, false) + "\n\n" + m.formView()
		if lipgloss.Height(out) > h {
			out = f.overviewView(m, w, true) + "\n\n" + m.formView()
		}
		return out
	case disConfirmLogGroups:
		return f.logGroupsWarning(m, w) + "\n\n" + m.formView()
	}
	return f.progressBody(m, w, h)
}

// overviewView is the confirmation's account of what disabling does;
// compact drops the blank lines and the status message for short screens.
func (f *disableFlow) overviewView(m *Model, w int, compact bool) string {
	s := m.styles
	o := overviewOf(f.overview)
	var blocks []string
	head := o.head
	if head == "" {
		head = s.Section.Render("Log export of "+f.overview.ClusterName) + s.Faint.Render(" · status ") + statusText(s, f.overview.Status)
	} else {
		head = s.Section.Render(head)
	}
	if o.message != "" && !compact {
		head += "\n" + s.Label.Render("user_message ") + o.message
	}
	blocks = append(blocks, ansi.Wrap(head, w, ""))
	if len(o.stops) > 0 {
		lines := []string{s.Section.Render("Disabling stops")}
		for _, st := range o.stops {
			lines = append(lines, hanging("  • ", st, w, s.Text)...)
		}
		blocks = append(blocks, strings.Join(lines, "\n"))
	}
	var clean []string
	if len(o.removes)+len(o.logGroups) > 0 {
		clean = append(clean, s.Section.Render("Cleanup")+s.Faint.Render(" removes only what this tool made for this cluster (its tags say so):"))
	} else {
		clean = append(clean, ansi.Wrap(s.Section.Render("Cleanup")+s.Faint.Render(" has nothing to remove: nothing in AWS carries this tool's tags for this cluster."), w, ""))
	}
	for _, r := range o.removes {
		clean = append(clean, hanging("  − ", r, w, s.Text)...)
	}
	for _, g := range o.logGroups {
		clean = append(clean, hanging("  − ", "log group "+g+", with the last choice only: it holds the exported logs", w, s.Text)...)
	}
	for _, k := range o.kept {
		clean = append(clean, hanging("  = ", "keeps "+k, w, s.Faint)...)
	}
	for _, u := range o.untouched {
		clean = append(clean, hanging("  = ", "never touches "+u, w, s.Faint)...)
	}
	blocks = append(blocks, strings.Join(clean, "\n"))
	sep := "\n\n"
	if compact {
		sep = "\n"
	}
	return strings.Join(blocks, sep)
}

// hanging wraps text after prefix, its next lines indented as far.
func hanging(prefix, text string, w int, style lipgloss.Style) []string {
	pad := strings.Repeat(" ", ansi.StringWidth(prefix))
	lines := strings.Split(ansi.Wrap(text, max(w-len(pad), 20), ""), "\n")
	for i, l := range lines {
		p := pad
		if i == 0 {
			p = prefix
		}
		lines[i] = p + style.Render(l)
	}
	return lines
}

func statusText(s *Styles, st cloudapi.Status) string {
	switch {
	case st == cloudapi.StatusEnabled:
		return s.OK.Render(string(st))
	case st.Failed():
		return s.Fail.Render(string(st))
	}
	return s.Current.Render(orUnknown(string(st)))
}

// logGroupsWarning is the second confirmation's warning: each log group by
// name, and what deleting it loses.
func (f *disableFlow) logGroupsWarning(m *Model, w int) string {
	s := m.styles
	o := overviewOf(f.overview)
	lines := []string{
		s.Warn.Render(glyphWarn + " Deleting a log group deletes every log event in it, for good"),
		"These log groups hold the exported logs of " + f.clusterName + ":",
	}
	for _, g := range o.logGroups {
		lines = append(lines, "  "+s.Value.Render(g))
	}
	lines = append(lines, s.Faint.Render("Either way, the export is disabled and what else this tool created is removed. esc goes back."))
	return s.WarnBox.Render(ansi.Wrap(strings.Join(lines, "\n"), w-4, ""))
}

// progressBody is the disable as it runs: its steps with what cleanup
// removed and kept, the export's status, then the failure and its choices
// or the outcome.
func (f *disableFlow) progressBody(m *Model, w, h int) string {
	s := m.styles
	if f.stage == disDone {
		return f.outcomeView(m, w)
	}
	title := s.Section.Render("Disabling the log export of " + f.clusterName)
	if f.stage == disFailed {
		title = s.Fail.Render("Disabling the log export of " + f.clusterName + " stopped")
	}
	list := []string{title, taskStepLine(s, f.marks[0], m.spin.View(), "Disable the export and wait until it is DISABLED", w)}
	if f.in.Cleanup {
		list = append(list, taskStepLine(s, f.marks[1], m.spin.View(), "Remove what this tool created", w))
		list = append(list, f.resourceLines(m, w)...)
	}
	var status string
	if f.status != nil {
		status = m.exportStatusView(*f.status, f.status.Elapsed, f.status.Polls, nil, w)
	}
	var end string
	if f.stage == disFailed {
		end = f.failurePanel(m, w)
	}
	layouts := [][]string{
		{strings.Join(list, "\n"), status, end},
		{title, status, end},
		{title, end},
	}
	var out string
	for _, parts := range layouts {
		out = strings.Join(slices.DeleteFunc(parts, func(p string) bool { return p == "" }), "\n\n")
		if lipgloss.Height(out) <= h {
			break
		}
	}
	return out
}

func (f *disableFlow) resourceLines(m *Model, w int) []string {
	s := m.styles
	var out []string
	for _, r := range f.resources {
		if r.removed {
			out = append(out, hanging("    "+s.OK.Render(glyphDone)+" ", "removed "+r.label, w, s.Text)...)
			continue
		}
		out = append(out, hanging("    · ", "kept "+r.label+" ("+r.reason+")", w, s.Faint)...)
	}
	return out
}

func (f *disableFlow) failurePanel(m *Model, w int) string {
	var b strings.Builder
	b.WriteString(m.errorBlock(f.err, w))
	b.WriteString(m.resumeLine(f.resume(), w))
	if form := m.formView(); form != "" {
		b.WriteString("\n\n" + form)
	}
	return b.String()
}

// outcomeView is what disabling did: the status reached, what cleanup
// removed and what it kept (and why), and how to set it up again.
func (f *disableFlow) outcomeView(m *Model, w int) string {
	s := m.styles
	r := f.res
	var lines []string
	switch {
	case r.AlreadyDisabled:
		lines = append(lines, s.OK.Render(glyphDone+" Log export of "+r.ClusterName+" was already disabled"))
	case r.Status == cloudapi.StatusDisabled:
		lines = append(lines, s.OK.Render(glyphDone+" Log export of "+r.ClusterName+" is DISABLED"))
	default:
		lines = append(lines, s.Warn.Render(fmt.Sprintf("Log export of %s is %s", r.ClusterName, orUnknown(string(r.Status)))))
	}
	if len(r.Removed) > 0 {
		lines = append(lines, s.Section.Render("Removed")+s.Faint.Render(" (this tool created them)"))
		for _, x := range r.Removed {
			lines = append(lines, hanging("  "+s.OK.Render(glyphDone)+" ", x, w, s.Text)...)
		}
	}
	if len(r.Kept) > 0 {
		lines = append(lines, s.Section.Render("Kept"))
		for _, x := range r.Kept {
			lines = append(lines, hanging("  · ", x, w, s.Faint)...)
		}
	}
	if !f.in.Cleanup {
		lines = append(lines, s.Faint.Render("The role, the policy and the log group are left as they are."))
	}
	lines = append(lines, s.Section.Render("Set up again ")+s.Command.Render("crdb-logexport setup --cluster "+r.ClusterName))
	return ansi.Wrap(strings.Join(lines, "\n"), w, "")
}
