package awsemu

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// awsCLIs finds the aws command-line tools to try: whatever "aws" is on the
// PATH and Debian's packaged CLI if it is a different program.
func awsCLIs(t *testing.T) []string {
	var found []string
	if p, err := exec.LookPath("aws"); err == nil {
		found = append(found, p)
	}
	const debian = "/usr/bin/aws"
	if _, err := os.Stat(debian); err == nil && (len(found) == 0 || !sameFile(found[0], debian)) {
		found = append(found, debian)
	}
	if len(found) == 0 {
		t.Skip("aws CLI not installed (no `aws` on PATH, no /usr/bin/aws): install awscli to run this test")
	}
	return found
}

func sameFile(a, b string) bool {
	ra, errA := filepath.EvalSymlinks(a)
	rb, errB := filepath.EvalSymlinks(b)
	return errA == nil && errB == nil && ra == rb
}

func TestAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the aws CLI several times; skipped in -short mode")
	}
	for _, cli := range awsCLIs(t) {
		t.Run(cli, func(t *testing.T) {
			f := newFixture(t, Options{})
			home := t.TempDir()
			run := func(args ...string) map[string]any {
				t.Helper()
				c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				cmd := exec.CommandContext(c, cli, append([]string{"--endpoint-url", f.http.URL, "--output", "json"}, args...)...)
				// A clean environment: static keys, no profile, no pager,
				// nothing read from the real home directory.
				cmd.Env = []string{
					"PATH=" + os.Getenv("PATH"),
					"HOME=" + home,
					"AWS_ACCESS_KEY_ID=AKIASANDBOXTEST00001",
					"AWS_SECRET_ACCESS_KEY=sandbox-secret",
					"AWS_DEFAULT_REGION=eu-west-2",
					"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
					"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
					"AWS_EC2_METADATA_DISABLED=true",
					"AWS_PAGER=",
				}
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("%s %v: %v\n%s", cli, args, err, stderr.String())
				}
				var out map[string]any
				if len(bytes.TrimSpace(stdout.Bytes())) == 0 {
					return out // commands with no result print nothing
				}
				if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
					t.Fatalf("%s %v printed non-JSON: %v\n%s", cli, args, err, stdout.String())
				}
				return out
			}

			id := run("sts", "get-caller-identity")
			if id["Account"] != DefaultAccountID {
				t.Errorf("get-caller-identity = %v", id)
			}

			created := run("iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", trustDoc)
			role, _ := created["Role"].(map[string]any)
			if role["RoleName"] != "cli-role" || role["Arn"] != "arn:aws:iam::"+DefaultAccountID+":role/cli-role" {
				t.Errorf("create-role = %v", created)
			}
			if st := f.srv.State(); len(st.Roles) != 1 || string(st.Roles[0].Trust) != trustDoc {
				t.Errorf("the role the CLI created is not stored as sent: %+v", st.Roles)
			}

			run("logs", "create-log-group", "--log-group-name", "/cli/group")
			groups := run("logs", "describe-log-groups")
			list, _ := groups["logGroups"].([]any)
			if len(list) != 1 {
				t.Fatalf("describe-log-groups = %v", groups)
			}
			g, _ := list[0].(map[string]any)
			arn := "arn:aws:logs:eu-west-2:" + DefaultAccountID + ":log-group:/cli/group"
			if g["logGroupName"] != "/cli/group" || g["arn"] != arn+":*" {
				t.Errorf("log group = %v", g)
			}
			// Older CLIs' service models predate logGroupArn and drop it.
			if v, ok := g["logGroupArn"]; ok && v != arn {
				t.Errorf("logGroupArn = %v", v)
			}
		})
	}
}
