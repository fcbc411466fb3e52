package statuscmd

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/monitor"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// historyDoc is `status --history --output json`.
type historyDoc struct {
	ClusterID   string               `json:"cluster_id"`
	ClusterName string               `json:"cluster_name"`
	Transitions []monitor.Transition `json:"transitions"`
}

// runHistory prints what the monitor recorded for one cluster, from its
// state file: no key, no network.
func runHistory(o *Options) error {
	journals, err := steps.DefaultJournalStore(o.IO.Env)
	if err != nil {
		return err
	}
	store := monitor.NewStore(journals.Dir)
	st, err := store.Load()
	if err != nil {
		return err
	}
	id, name, hist, ok := st.History(o.Cluster)
	if !ok {
		if o.Out.JSON() {
			_ = cmdutil.WriteJSON(o.IO.Out, historyDoc{ClusterName: o.Cluster, Transitions: []monitor.Transition{}})
		}
		fmt.Fprintf(o.IO.ErrOut, "The monitor has recorded nothing for %s on this machine (%s). Run `crdb-logexport monitor --cluster %s --once` to start.\n",
			o.Cluster, store.Path(), steps.ShellQuote(o.Cluster))
		return cmdutil.Silent(cmdutil.ExitFailure)
	}
	if o.Out.JSON() {
		if hist == nil {
			hist = []monitor.Transition{}
		}
		return cmdutil.WriteJSON(o.IO.Out, historyDoc{ClusterID: id, ClusterName: name, Transitions: hist})
	}
	fmt.Fprintf(o.IO.Out, "Transitions of %s (%s) recorded by the monitor, oldest first:\n", name, id)
	tw := tabwriter.NewWriter(o.IO.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEVENT\tSTATUS\tFINDINGS")
	for _, t := range hist {
		var checks []string
		for _, f := range t.Findings {
			if f.Severity == steps.SeverityError {
				checks = append(checks, f.Check)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Time.UTC().Format(time.RFC3339), t.Event, t.Status, strings.Join(checks, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, t := range hist[max(0, len(hist)-1):] {
		if t.To == monitor.Failing {
			fmt.Fprintf(o.IO.Out, "\nLast: %s since %s.", t.Status, t.Time.UTC().Format(time.RFC3339))
			if t.UserMessage != "" {
				fmt.Fprintf(o.IO.Out, " %s", t.UserMessage)
			}
			fmt.Fprintf(o.IO.Out, "\n`crdb-logexport doctor --cluster %s` names the fault as it is now.\n", steps.ShellQuote(name))
		}
	}
	return nil
}
