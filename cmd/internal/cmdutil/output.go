package cmdutil

import (
	"encoding/json"
	"io"

	"github.com/spf13/pflag"
)

// Output formats accepted by --output.
const (
	OutputText = "text"
	OutputJSON = "json"
)

// OutputFlag is the --output flag: text for people, json for scripts (one
// JSON document per command on stdout).
type OutputFlag struct{ value string }

// Register adds --output to fs.
func (o *OutputFlag) Register(fs *pflag.FlagSet) {
	o.value = OutputText
	fs.Var(o, "output", "result format: text or json")
}

func (o *OutputFlag) String() string { return o.value }
func (o *OutputFlag) Type() string   { return "text|json" }

// Set accepts only the known formats so a typo fails at parse time (exit 2).
func (o *OutputFlag) Set(v string) error {
	switch v {
	case OutputText, OutputJSON:
		o.value = v
		return nil
	}
	return &ExitError{Code: ExitUsage, Err: errBadOutput(v)}
}

// JSON reports whether scripts asked for JSON.
func (o *OutputFlag) JSON() bool { return o.value == OutputJSON }

type errBadOutput string

func (e errBadOutput) Error() string {
	return "--output must be text or json, not " + `"` + string(e) + `"`
}

// WriteJSON writes v as one indented JSON document.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
