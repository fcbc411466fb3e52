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
// A plan is data (planfile.go): its input, the prior state it read and its
// changes can be saved with --dry-run --plan-file and applied later only
// while a fresh plan from the same input is the same; applying never
// changes the plan it is given, and one step runner (runner.go) carries
// out the steps of setup, update and disable, listing them in the result.
//
// What the tool owns is written on the resources: tags name the tool and
// the cluster (ownership.go), and cleanup and every "this is mine, I may
// change it" decision read them live (cleanup.go). One run per cluster
// changes anything at a time (lock.go). Progress and intents are recorded
// in a journal per cluster, merged on save, so an interrupted run resumes;
// the journal can be lost or damaged without anything being forgotten.
package steps
