package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/root"
)

// The command lines in deploy/ are parsed by the real command tree: a
// renamed or misspelt flag there fails here, not in someone's cron.
func TestDeployFilesUseRealFlags(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile("../../deploy/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var lines []struct{ file, line string }
	add := func(file, line string) { lines = append(lines, struct{ file, line string }{file, line}) }

	for _, l := range strings.Split(read("crontab"), "\n") {
		if strings.HasPrefix(l, "*/") {
			cmd, _, _ := strings.Cut(l, ">>")
			add("crontab", cmd[strings.Index(cmd, "crdb-logexport"):])
		}
	}
	service := strings.ReplaceAll(read("systemd/crdb-logexport-monitor.service"), "\\\n", " ")
	if m := regexp.MustCompile(`(?m)^ExecStart=\S*(crdb-logexport .*)$`).FindStringSubmatch(service); m != nil {
		add("systemd service", m[1])
	}
	yaml := read("kubernetes/cronjob.yaml")
	if _, after, ok := strings.Cut(yaml, "args:\n"); ok {
		args := []string{"crdb-logexport"}
		for _, l := range strings.Split(after, "\n") {
			item, ok := strings.CutPrefix(strings.TrimSpace(l), "- ")
			if !ok {
				break
			}
			args = append(args, item)
		}
		add("kubernetes", strings.Join(args, " "))
	}
	if len(lines) != 3 {
		t.Fatalf("found %d command lines in deploy/, want the crontab's, the service's and the CronJob's: %v", len(lines), lines)
	}
	for _, l := range lines {
		words := strings.Fields(strings.ReplaceAll(l.line, `"`, ""))[1:]
		cmd, rest, err := root.NewCmd(cmdutil.Test(nil, nil, nil, nil)).Find(words)
		if err != nil || cmd.Name() != "monitor" {
			t.Errorf("%s: %q is not a monitor command line (%v)", l.file, l.line, err)
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("%s: %q: %v", l.file, l.line, err)
			continue
		}
		if once, _ := cmd.Flags().GetBool("once"); !once {
			t.Errorf("%s: a scheduled run needs --once: %q", l.file, l.line)
		}
		for _, f := range []string{"api-key-file", "slack-webhook-url-file"} {
			if v, _ := cmd.Flags().GetString(f); v == "" {
				t.Errorf("%s: no --%s: %q", l.file, f, l.line)
			}
		}
	}
}
