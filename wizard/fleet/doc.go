// Package fleet is the live screen of `crdb-logexport monitor` on a
// terminal: one row per watched cluster — export status, logs arriving per
// region, when the verdict last changed, the first finding — refreshed
// after every pass, with the selected cluster's findings and fixes below.
// Enter asks for the doctor on the selected cluster, r for a pass now, q
// quits.
//
// It only draws: the monitor runs elsewhere and hands it snapshots, and
// choosing a cluster ends the screen with that choice, so the caller opens
// the doctor and brings the screen back. It depends on package monitor for
// what a pass found and on the Charm libraries, nothing else of the
// interface.
package fleet
