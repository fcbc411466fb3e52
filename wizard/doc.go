// Package wizard is crdb-logexport's terminal user interface: the home menu
// and its tasks — the guided setup, the live status, the doctor, update and
// disable — built with Bubble Tea, Huh and Lip Gloss.
//
// It contains no business logic. It collects answers, hands them to the
// procedures of package steps (Prepare and Apply, ExportStatus and
// WatchExport, Diagnose and ApplyFixes, PlanUpdate and ApplyUpdate,
// PrepareDisable and ApplyDisable) inside tea.Cmds, and renders what they
// report: the ten documented steps as a checklist, plans and diffs before
// any change, progress, the live export status and the logs arriving.
// Update never performs I/O; every call to CockroachDB Cloud or AWS runs in
// a command that returns a typed message.
//
// Setup is the model's own sequence of phases; every other task is a flow
// (flow.go) that shares the connection, the cluster choice and the frame.
//
// Run draws the interface on a terminal; RunAccessible runs the same tasks
// line by line, without redraws, for screen readers and for terminals that
// cannot redraw.
package wizard
