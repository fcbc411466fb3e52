// Package wizard is crdb-logexport's terminal user interface: the home menu
// and the guided setup, built with Bubble Tea, Huh and Lip Gloss.
//
// It contains no business logic. It collects answers, hands them to
// steps.Prepare, steps.Apply and steps.Rollback inside tea.Cmds, and renders
// what those procedures report: the ten documented steps as a checklist, the
// plan before any change, progress, the live export status and the logs
// arriving. Update never performs I/O; every call to CockroachDB Cloud or
// AWS runs in a command that returns a typed message.
//
// Run draws the interface on a terminal; RunAccessible asks the same
// questions line by line, without redraws, for screen readers and for
// terminals that cannot redraw.
package wizard
