// Package cmdutil holds what every crdb-logexport command shares: the I/O
// streams and whether the program may prompt, the exit-code contract, and
// the flags common to all commands.
package cmdutil
