// Package wizard is crdb-logexport's terminal user interface: the home
// menu and its tasks — the guided setup, the live status, the doctor,
// update and disable — built with Bubble Tea, Huh and Lip Gloss.
//
// It contains no business logic. Each task's dialogue — what it asks,
// what follows a failure, what it offers next — is written once in
// package steps (RunSetup, RunStatus, RunDoctor, RunUpdate, RunDisable,
// after RunConnect), which the commands run too. The interface only
// answers the dialogue's decisions and draws its events:
//
//   - shell is the narrow frame every task runs on (context, session,
//     size, styles, the form on screen, the intents to finish or to open
//     another task), the program that hosts one task at a time, the
//     bridge that runs a dialogue beside Update without ever blocking it,
//     and the accessible driver;
//   - kit is what the tasks share: styles, forms, panels, the checklist,
//     the doctor's report, results, and the transcript (Lines);
//   - menu, setup, status, doctor, update and disable are the tasks, each
//     with its model, view and messages.
//
// This package only puts them together: Options say where the interface
// opens and how the tasks connect; Run draws it on a terminal, and
// RunAccessible drives the same tasks line by line, without redraws, for
// screen readers and for terminals that cannot redraw — the same forms in
// Huh's accessible mode, and the events printed by the transcript the
// commands print.
package wizard
