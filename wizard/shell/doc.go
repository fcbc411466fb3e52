// Package shell is what the interface's tasks run on, and how a task's
// dialogue (package steps) meets them.
//
// A Task (the home menu, setup, status, the doctor, update, disable) is a
// Bubble Tea model of its own on a narrow Shell: the context, the session
// it shares with the tasks before and after it, the size, the styles and
// forms, the form on screen, and intents — Finish, Open — that it sends
// instead of changing the program. Program hosts one task at a time,
// draws the frame around it and acts on those intents; replacing a task
// never waits for what it ran.
//
// Run is a task's dialogue as the interface follows it: Start runs it
// beside the interface (Dialogue), its events and decisions arrive as
// messages (EventMsg, AskMsg) handed to the task's Follow, and nothing
// ever blocks Update; End turns its end into the next intent. Connecting
// is the start every task shares (the API key, connecting, the cluster);
// Decide shows a decision as a form (DecideByKeys as keys of a live
// screen, DecideAsConfirm as a one-line yes-or-no); Streams and Roles are
// the parts two tasks share (the logs kept fresh under an outcome, the
// roles a policy ARN is attached to).
//
// Drive runs the same program without a screen, for accessible mode: it
// calls Update as Bubble Tea would, runs each form in Huh's accessible
// mode, and prints the dialogues' events with kit.Lines.
package shell
