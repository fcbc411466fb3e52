// Package steps holds the procedures crdb-logexport performs — setup,
// update, disable and doctor — as idempotent steps: each detects the current
// state with read-only calls, plans a change (create, exists-ok,
// exists-will-change, conflict), applies it, and verifies it.
//
// It also holds each task's dialogue, once (task_*.go): RunConnect,
// RunSetup, RunStatus, RunDoctor, RunUpdate and RunDisable decide what is
// read, what is asked, and what follows every answer and every failure —
// retry, roll back, change the answers, diagnose, re-enable after a repair,
// set it up instead. Their caller supplies the decisions through a Prompter
// (dialogue.go) and hears everything through one stream of Events
// (events.go): the terminal interface, accessible mode and the
// non-interactive commands only answer and draw. Connect (connect.go) is the
// one discovery every task starts from, with one set of fixes.
//
// Progress and every resource a run creates are recorded in a journal per
// cluster, so an interrupted run resumes and a rollback or cleanup touches
// only what the tool created.
package steps
