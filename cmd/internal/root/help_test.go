package root

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
)

// TestFlagHelpSurvivesTitleCase: the help renderer (fang) title-cases the
// first word of every flag's description, which turned "AWS" into "Aws"
// and "CloudWatch" into "Cloudwatch" (issue 13). A description starts with
// a plain word, which title-casing leaves as it is or only capitalises.
func TestFlagHelpSurvivesTitleCase(t *testing.T) {
	plain := regexp.MustCompile(`^[A-Za-z][a-z]*[,:;]?$`)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		check := func(f *pflag.Flag) {
			first, _, _ := strings.Cut(strings.TrimSpace(f.Usage), " ")
			if !plain.MatchString(first) {
				t.Errorf("%s --%s: %q starts with %q, which the help would write as something else", c.CommandPath(), f.Name, f.Usage, first)
			}
		}
		c.LocalFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewCmd(cmdutil.Test(strings.NewReader(""), &strings.Builder{}, &strings.Builder{}, nil)))
}
