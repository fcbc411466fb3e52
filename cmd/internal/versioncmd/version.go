// Package versioncmd implements `crdb-logexport version`.
package versioncmd

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
)

// Set at build time by the Makefile (-ldflags -X); `go install` builds fall
// back to the module version recorded in the binary.
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info describes the build.
type Info struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Date     string `json:"date,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// Current returns the build information of this binary.
func Current() Info {
	v := Version
	if v == "" {
		v = "dev"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	return Info{Version: v, Commit: Commit, Date: Date, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
}

// String is the one-line form used by --version too.
func (i Info) String() string {
	s := i.Version
	if i.Commit != "" {
		s += " (" + i.Commit
		if i.Date != "" {
			s += ", " + i.Date
		}
		s += ")"
	}
	return s
}

// NewCmd returns the version command.
func NewCmd(ios *cmdutil.IOStreams) *cobra.Command {
	var out cmdutil.OutputFlag
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version and build information",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := Current()
			if out.JSON() {
				return cmdutil.WriteJSON(ios.Out, info)
			}
			_, err := fmt.Fprintf(ios.Out, "crdb-logexport %s\n%s %s\n", info, info.Go, info.Platform)
			return err
		},
	}
	out.Register(cmd.Flags())
	return cmd
}
