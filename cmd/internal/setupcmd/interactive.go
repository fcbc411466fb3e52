package setupcmd

import (
	"context"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/tui"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// runWizard is `setup` on a terminal without --yes: the guided setup, with
// every flag given preselected.
func runWizard(ctx context.Context, o *Options) error {
	opts := wizard.Options{
		Start:         wizard.StartSetup,
		Input:         o.In,
		Apply:         steps.SetupOptions{NoWait: o.NoWait},
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

// report prints what a setup that ran in the interface did.
func report(o *Options, res *steps.SetupResult) error {
	if o.Out.JSON() {
		return cmdutil.WriteJSON(o.IO.Out, res)
	}
	kit.WriteSetupResult(o.IO.Out, res, time.Now())
	return nil
}
