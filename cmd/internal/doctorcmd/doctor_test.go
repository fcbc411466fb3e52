package doctorcmd

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

func TestWriteReport(t *testing.T) {
	long := strings.Repeat("a fairly long explanation that must wrap ", 6)
	r := &steps.DoctorReport{ClusterID: "c-1", ClusterName: "prod-aws", Status: cloudapi.StatusEnabled, Findings: []steps.Finding{
		{Check: steps.CheckExportStatus, Severity: steps.SeverityOK, Summary: "log export is ENABLED"},
		{Check: steps.CheckTrustPrincipal, Severity: steps.SeverityError, Summary: "the trust policy does not let the cluster's account 271828182845 assume the role",
			Detail: long, Evidence: `Statement[0] of the trust policy: {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::314159265358:root"},"Action":"sts:AssumeRole"}`,
			Fix: "--fix replaces the trust policy", Fixable: true},
		{Check: steps.CheckLogGroupKMS, Severity: steps.SeverityWarning, Summary: "1 log group(s) are encrypted", Evidence: `kmsKeyId "arn:aws:kms:us-east-1:1:key/k"`, Fix: "check the key policy"},
		{Check: steps.CheckRoleAccount, Severity: steps.SeverityInfo, Summary: "not checked: something"},
	}}
	var b bytes.Buffer
	WriteReport(&b, r)
	out := b.String()
	// grouped by severity, worst first
	order := []string{"✗ error    trust-principal", "! warning  log-group-kms", "· info     role-account", "✓ ok       export-status"}
	last := -1
	for _, s := range order {
		i := strings.Index(out, s)
		if i < 0 || i < last {
			t.Fatalf("%q missing or out of order:\n%s", s, out)
		}
		last = i
	}
	// prose fits 80 columns; evidence is printed whole, never cut
	for _, line := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(line) > 80 && !strings.HasPrefix(line, "      ") && !strings.HasPrefix(line, "Log export of") {
			t.Errorf("line wider than 80 columns: %q", line)
		}
	}
	for _, want := range []string{
		`      Statement[0] of the trust policy: {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::314159265358:root"},"Action":"sts:AssumeRole"}`,
		"    Fix: --fix replaces the trust policy (doctor --fix can do this)",
		"    Fix: check the key policy\n",
		"status ENABLED — 1 error(s), 1 warning(s), 1 info, 1 ok",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestWriteReportCausesFirst: a finding that follows from another comes
// after its cause, whatever the check order; a consequence takes one line
// that names its cause.
func TestWriteReportCausesFirst(t *testing.T) {
	r := &steps.DoctorReport{ClusterID: "c-1", ClusterName: "staging-aws", Status: cloudapi.StatusEnableFailed, Findings: []steps.Finding{
		{Check: steps.CheckExportStatus, Severity: steps.SeverityError, Summary: "log export is ENABLE_FAILED", CausedBy: []string{steps.CheckPermissionsAccount},
			Detail: "The finding permissions-resource-account explains it.", Fix: "--fix enables the export again", Fixable: true},
		{Check: steps.CheckPermissionsAccount, Severity: steps.SeverityError, Summary: "the resource ARNs name the cluster's account", Fix: "--fix writes the policy", Fixable: true},
		{Check: steps.CheckPermissionsLogGroup, Severity: steps.SeverityInfo, CausedBy: []string{steps.CheckPermissionsAccount},
			Summary: "follows from permissions-resource-account: logs:DescribeLogGroups refused in us-east-2 for that reason"},
	}}
	var b bytes.Buffer
	WriteReport(&b, r)
	out := b.String()
	cause := strings.Index(out, "✗ error    permissions-resource-account")
	status := strings.Index(out, "✗ error    export-status")
	if cause < 0 || status < cause {
		t.Fatalf("the cause does not come before the status that follows from it:\n%s", out)
	}
	if !strings.Contains(out, "\n· info     permissions-log-group         follows from permissions-resource-account: logs:DescribeLogGroups refused in us-east-2 for that reason\n") {
		t.Fatalf("the consequence is not one line naming its cause:\n%s", out)
	}
}

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
	plan, err := steps.Prepare(ctx, env, steps.SetupInput{Cluster: cloudemu.StagingAWSClusterName, ExternalID: steps.ExternalIDNone})
	if err != nil {
		t.Fatal(err)
	}
	fast := cloudapi.WatchOptions{Schedule: func(time.Duration) time.Duration { return 20 * time.Millisecond }}
	if _, err := steps.Apply(ctx, env, plan, steps.ApplyOptions{Watch: fast, StreamTimeout: 5 * time.Second}, nil); err != nil {
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
	if code != cmdutil.ExitOK || !strings.Contains(out, "After the repairs:") || !strings.Contains(out, "0 error(s), 0 warning(s), 0 info, 15 ok") {
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
