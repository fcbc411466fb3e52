// Package steps holds the procedures crdb-logexport performs — setup,
// update, disable and doctor — as idempotent steps: each detects the current
// state with read-only calls, plans a change (create, exists-ok,
// exists-will-change, conflict), applies it, and verifies it. Both the
// terminal UI and the non-interactive commands drive these procedures; there
// is no second implementation.
//
// Progress and every resource a run creates are recorded in a journal per
// cluster, so an interrupted run resumes and a rollback or cleanup touches
// only what the tool created.
package steps
