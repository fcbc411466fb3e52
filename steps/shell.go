package steps

import "strings"

// ShellQuote quotes s for a POSIX shell when it needs it. The commands
// this tool prints for people to run — resume commands, fixes — quote
// their values with it, so a value pastes back unchanged.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !shellSafe(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellSafe: r means nothing to a POSIX shell, so a value made of such
// characters needs no quotes.
func shellSafe(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./:@%+=,", r)
}
