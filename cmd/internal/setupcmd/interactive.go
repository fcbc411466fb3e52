package setupcmd

import (
	"context"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/tui"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard"
)

// runWizard is `setup` on a terminal without --yes: the guided setup, with
// every flag given preselected.
func runWizard(ctx context.Context, o *Options) error {
	opts := wizard.Options{
		Start:         wizard.StartSetup,
		Input:         o.In,
		Apply:         steps.ApplyOptions{NoWait: o.NoWait},
		ResumeCommand: resumeBase(o),
	}
	return tui.Open(ctx, o.IO, &o.Conn, o.flags, opts, tui.Reports{
		Setup: func(res *steps.SetupResult) error { return report(o, res) },
	})
}

// resumeBase is `crdb-logexport setup` with the connection flags the user
// gave, to which the wizard adds the answers.
func resumeBase(o *Options) string {
	base := tui.ResumeBase("setup", o.flags)
	if o.NoWait {
		base += " --no-wait"
	}
	return base
}

// Report prints what a setup did, for people: the home menu's report of
// a setup run from it.
func Report(ios *cmdutil.IOStreams, res *steps.SetupResult) error {
	return report(&Options{IO: ios}, res)
}
