// Package shell is what the interface's tasks run on, and how a task's
// dialogue (package steps) meets them.
//
// A Task (the home menu, setup, status, the doctor, update, disable) is a
// Bubble Tea model of its own on a narrow Shell: the context, the session
// it shares with the tasks before and after it, the size, the styles and
// forms, the form on screen, and intents — Finish, Open — that it sends
// instead of changing the program. Start runs a task's dialogue beside the
// interface: its decisions and events arrive as messages (AskMsg, EventMsg)
// and nothing ever blocks Update; Decide shows a decision as a form, and
// Connecting is the start every task shares (the API key, connecting, the
// cluster).
//
// Drive runs the same program without a screen, for accessible mode: it
// calls Update as Bubble Tea would, runs each form in Huh's accessible
// mode, and prints the dialogues' events with kit.Lines.
package shell
