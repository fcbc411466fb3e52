package wizard

import (
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/disable"
	"github.com/crdb-logexport/crdb-logexport/wizard/doctor"
	"github.com/crdb-logexport/crdb-logexport/wizard/menu"
	"github.com/crdb-logexport/crdb-logexport/wizard/setup"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
	"github.com/crdb-logexport/crdb-logexport/wizard/status"
	"github.com/crdb-logexport/crdb-logexport/wizard/update"
)

// entries are the home menu's: every task, then Quit.
var entries = []menu.Entry{
	{Task: shell.TaskSetup, Title: "Set up", Desc: "log export of a cluster to CloudWatch, step by step"},
	{Task: shell.TaskStatus, Title: "Check status", Desc: "a cluster's export, followed live"},
	{Task: shell.TaskDoctor, Title: "Diagnose", Desc: "find what is wrong with a cluster's export and fix it"},
	{Task: shell.TaskUpdate, Title: "Update", Desc: "change an export's log group, role, redaction, channels or groups"},
	{Task: shell.TaskDisable, Title: "Disable", Desc: "stop exporting, optionally removing what this tool created"},
	{Title: "Quit"},
}

// first is the task the interface opens on.
func (o *Options) first() string {
	switch o.Start {
	case StartSetup:
		return shell.TaskSetup
	case StartStatus:
		return shell.TaskStatus
	case StartDoctor:
		return shell.TaskDoctor
	case StartUpdate:
		return shell.TaskUpdate
	case StartDisable:
		return shell.TaskDisable
	}
	return shell.TaskMenu
}

// open makes the task named name on sh, configured from the options.
func (o *Options) open(sh *shell.Shell, name string, keepCluster bool) shell.Task {
	c := steps.ConnectTask{Build: o.Connect, AskKey: o.APIKeySource == "", ClusterRef: o.Input.Cluster, KeepCluster: keepCluster}
	switch name {
	case shell.TaskSetup:
		return setup.New(sh, setup.Config{Connect: c, Input: o.Input, Apply: o.Apply, StreamsEvery: o.streamsEvery(), ResumeBase: o.resumeFor(StartSetup, "crdb-logexport setup")})
	case shell.TaskStatus:
		return status.New(sh, status.Config{Connect: c, Watch: o.Apply.Watch, LogsEvery: o.streamsEvery()})
	case shell.TaskDoctor:
		return doctor.New(sh, doctor.Config{Connect: c, Options: o.Doctor, Fix: o.Fix})
	case shell.TaskUpdate:
		return update.New(sh, update.Config{
			Connect: c, In: o.Update, StreamsEvery: o.streamsEvery(), ResumeBase: o.resumeFor(StartUpdate, "crdb-logexport update"),
			Options: steps.UpdateOptions{NoWait: o.Apply.NoWait, PropagationLimit: o.Apply.PropagationLimit, StreamTimeout: o.Apply.StreamTimeout, Watch: o.Apply.Watch},
		})
	case shell.TaskDisable:
		return disable.New(sh, disable.Config{Connect: c, Preset: o.Disable, Options: steps.DisableOptions{Watch: o.Apply.Watch}, ResumeBase: o.resumeFor(StartDisable, "crdb-logexport disable")})
	}
	return menu.New(sh, entries)
}

// resumeFor is the start of the command that repeats a task: the
// command that opened the interface on it, or def.
func (o *Options) resumeFor(start Start, def string) string {
	if o.Start == start && o.ResumeCommand != "" {
		return o.ResumeCommand
	}
	return def
}
