// Package kit is what every task of the terminal interface draws with,
// and what the commands print with: the styles and glyphs, the forms of a
// dialogue's decisions (Forms), the panels every screen shares (the error
// block, the export's live status, the logs arriving, the checklist), and
// the one renderer of each thing shown in more than one place — the
// doctor's report and repairs, the results of each task, and the
// transcript of a dialogue's events (Lines), which accessible mode and the
// non-interactive commands both print.
package kit
