package doctorcmd

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// TestDoctorFixAsksFirst runs the command on a terminal: the repairs are
// shown and applied only when the answer is yes.
func TestDoctorFixAsksFirst(t *testing.T) {
	sb, err := sandbox.Start(sandbox.Options{Timings: &cloudemu.Timings{
		EnableAfter: 100 * time.Millisecond, DisableAfter: 100 * time.Millisecond, IAMPropagation: time.Nanosecond, EventInterval: time.Hour,
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The Cloud client shares http.DefaultTransport: dropping its idle
		// connections lets the sandbox shut down without waiting for them.
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sb.Close(ctx)
	})
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": sb.AWSURL, "AWS_ACCESS_KEY_ID": sb.AccessKeyID, "AWS_SECRET_ACCESS_KEY": sb.SecretAccessKey,
		"AWS_REGION": sb.Region, "AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	vars := map[string]string{"COCKROACH_SERVER": sb.CloudURL, "COCKROACH_API_KEY": sb.APIKey, "XDG_STATE_HOME": dir, "NO_COLOR": "1"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	conn := cmdutil.Connection{IO: cmdutil.Test(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, vars)}
	env, err := conn.Env(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := steps.PrepareSetup(ctx, env, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName, ExternalID: steps.ExternalIDNone})
	if err != nil {
		t.Fatal(err)
	}
	fast := cloudapi.WatchOptions{Schedule: func(time.Duration) time.Duration { return 20 * time.Millisecond }}
	if _, err := steps.ApplySetup(ctx, env, plan, steps.SetupOptions{Watch: fast, StreamTimeout: 5 * time.Second}, nil); err != nil {
		t.Fatal(err)
	}
	own := awsiam.TrustPolicy("314159265358", "")
	if err := awsiam.UpdateTrust(ctx, env.AWS.IAM, steps.DefaultRoleNameFor(cloudemu.StagingAWSClusterName, cloudemu.StagingAWSClusterID), own); err != nil {
		t.Fatal(err)
	}

	run := func(answer string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		ios := cmdutil.Test(strings.NewReader(answer), &out, &errOut, vars)
		ios.SetTerminal(true, true)
		cmd := NewCmd(ios)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		cmd.SetArgs(append([]string{"--cluster", cloudemu.StagingAWSClusterName}, args...))
		return cmdutil.ExitCode(cmd.ExecuteContext(ctx)), out.String(), errOut.String()
	}
	trust := func() string {
		st, err := awsiam.InspectRole(ctx, env.AWS.IAM, steps.DefaultRoleNameFor(cloudemu.StagingAWSClusterName, cloudemu.StagingAWSClusterID))
		if err != nil {
			t.Fatal(err)
		}
		return st.Trust.JSON()
	}

	code, out, errOut := run("n\n", "--fix")
	if code != cmdutil.ExitFindings || !strings.Contains(errOut, "Apply this change? [y/N]") || !strings.Contains(errOut, "Nothing was changed.") {
		t.Fatalf("declined: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "✗ error    trust-principal") || !strings.Contains(errOut, "[update-trust] replace the trust policy") {
		t.Fatalf("report or plan missing:\n%s\n%s", out, errOut)
	}
	if trust() != own.JSON() {
		t.Fatal("the trust changed although the answer was no")
	}

	code, out, errOut = run("y\n", "--fix")
	if code != cmdutil.ExitOK || !strings.Contains(out, "After the repairs:") || !strings.Contains(out, "no errors · 15 ok") {
		t.Fatalf("accepted: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(trust(), "577215664901:root") {
		t.Fatalf("trust not repaired:\n%s", trust())
	}

	// without --fix nothing is asked and the exit status is the verdict
	if code, _, errOut := run("", "--output", "json"); code != cmdutil.ExitOK || strings.Contains(errOut, "[y/N]") {
		t.Fatalf("plain run: exit %d\n%s", code, errOut)
	}
}
