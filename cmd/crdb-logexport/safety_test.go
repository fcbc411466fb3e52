package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/sandbox/awsemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Safe to share: each case of the issue "ownership on the resources, one
// run per cluster, make-before-break, no key in the clear" as the built
// binary meets it against the sandbox.

// withHome is the same sandbox seen from another machine: another HOME
// and state directory, so no journal and no lock is shared.
func (s *scenario) withHome(home string) *scenario {
	c := *s
	c.home = home
	return &c
}

// awsClients are SDK clients on the emulator, for acting as "someone
// else" in the account.
func (s *scenario) awsClients(region string) (*iam.Client, *cloudwatchlogs.Client) {
	cfg := aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(s.toolAWS.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(s.sb.AccessKeyID, s.sb.SecretAccessKey, ""),
	}
	return iam.NewFromConfig(cfg), cloudwatchlogs.NewFromConfig(cfg)
}

func prodRole() string {
	return steps.DefaultRoleNameFor(cloudemu.ProdAWSClusterName, cloudemu.ProdAWSClusterID)
}
func prodPolicy() string {
	return steps.DefaultPolicyNameFor(cloudemu.ProdAWSClusterName, cloudemu.ProdAWSClusterID)
}

// roleTrust returns the external IDs a role's live trust requires of the
// cluster's account ("" in the list: one statement requires none).
func (s *scenario) roleTrust(name string) []string {
	s.t.Helper()
	for _, r := range s.aws.State().Roles {
		if r.Name != name {
			continue
		}
		doc, err := awsiam.ParsePolicy(string(r.Trust))
		if err != nil {
			s.t.Fatalf("trust of %s: %v", name, err)
		}
		res := awsiam.EvaluateTrust(doc, cloudemu.ProdAWSAccountID, "")
		if res.Allowed {
			return []string{""}
		}
		return res.ExternalIDs
	}
	return nil
}

// Two `setup --yes` of one cluster at once: the second waits for the
// first (one lock per cluster), then finds everything in place; the export
// ends ENABLED with the external ID the role trusts, one role, one policy
// with one version, and a journal that records all of it once — several
// trials, as a race would.
func TestParallelSetupsOfOneCluster(t *testing.T) {
	t.Parallel()
	for trial := range 3 {
		t.Run(fmt.Sprint("trial-", trial), func(t *testing.T) {
			s := newScenario(t, cloudemu.DefaultAPIKey)
			var runs []*process
			for range 2 {
				runs = append(runs, s.start("", "setup", "--cluster", "prod-aws", "--yes"))
			}
			waited := 0
			for _, p := range runs {
				r := p.wait(t)
				if r.code != 0 || !strings.Contains(r.stderr, "ENABLED") {
					t.Fatalf("%s", r)
				}
				if strings.Contains(r.stderr, "waiting for it to finish") {
					waited++
				}
			}
			if waited == 0 {
				t.Error("neither run waited for the other's lock")
			}
			e := s.export(cloudemu.ProdAWSClusterID)
			if e.Status != "ENABLED" {
				t.Fatalf("export is %s", e.Status)
			}
			if ids := s.roleTrust(prodRole()); len(ids) != 1 || ids[0] != e.Spec.AWSExternalID || e.Spec.AWSExternalID == "" {
				t.Fatalf("the role trusts external IDs %v; the export sends %q", ids, e.Spec.AWSExternalID)
			}
			st := s.aws.State()
			if len(st.Roles) != 1 || len(st.Policies) != 1 || len(st.Policies[0].Versions) != 1 {
				t.Fatalf("roles %d, policies %d:\n%s", len(st.Roles), len(st.Policies), s.fingerprint(cloudemu.ProdAWSClusterID))
			}
			s.checkJournal(cloudemu.ProdAWSClusterID, nil)

			// and cleanup finds everything the two runs made
			s.mustRun("disable", "--cluster", "prod-aws", "--yes", "--cleanup")
			if st := s.aws.State(); len(st.Roles) != 0 || len(st.Policies) != 0 {
				t.Fatalf("cleanup left %d roles and %d policies", len(st.Roles), len(st.Policies))
			}
		})
	}
}

// A second run told not to wait (--no-input) fails at once, naming the run
// that holds the cluster, and changes nothing.
func TestSecondRunWithoutWaitingNamesTheHolder(t *testing.T) {
	t.Parallel()
	s := newScenario(t, cloudemu.DefaultAPIKey)
	// Hold the first run in its enable, so it keeps the lock.
	s.sb.Cloud.Controls().InjectFault(knobs.Fault{Op: "cloud:EnableLogExport", Delay: knobs.Duration(3 * time.Second)})
	first := s.start("", "setup", "--cluster", "prod-aws", "--yes")
	deadline := time.Now().Add(30 * time.Second)
	for !slices.ContainsFunc(s.calls.snapshot(), func(c call) bool { return c.Op == "cloud:EnableLogExport" }) {
		if time.Now().After(deadline) {
			first.kill()
			t.Fatalf("the first run never reached the POST:\n%s", first.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	second := s.run("setup", "--cluster", "prod-aws", "--yes", "--no-input")
	if second.code != 1 || !strings.Contains(second.stderr, "another crdb-logexport run is changing cluster") || !strings.Contains(second.stderr, "process ") {
		t.Fatalf("%s", second)
	}
	if r := first.wait(t); r.code != 0 {
		t.Fatalf("%s", r)
	}
}

// setup racing `disable --cleanup`: whichever takes the lock first goes
// first; the end is always consistent — never a CREDENTIALS_ERROR, never
// a role deleted under an enabled export, never a role left behind by a
// cleanup that ran last.
func TestSetupRacingCleanup(t *testing.T) {
	t.Parallel()
	for trial := range 3 {
		t.Run(fmt.Sprint("trial-", trial), func(t *testing.T) {
			s := newScenario(t, cloudemu.DefaultAPIKey)
			s.mustRun("setup", "--cluster", "prod-aws", "--yes")
			setupArgs := []string{"setup", "--cluster", "prod-aws", "--yes", "--log-group", "crdb-prod-v2"}
			cleanupArgs := []string{"disable", "--cluster", "prod-aws", "--yes", "--cleanup"}
			var a, b *process
			if trial%2 == 0 {
				a = s.start("", setupArgs...)
				b = s.start("", cleanupArgs...)
			} else {
				b = s.start("", cleanupArgs...)
				a = s.start("", setupArgs...)
			}
			ra, rb := a.wait(t), b.wait(t)
			if ra.code != 0 || rb.code != 0 {
				t.Fatalf("%s\n%s", ra, rb)
			}
			e := s.export(cloudemu.ProdAWSClusterID)
			st := s.aws.State()
			switch e.Status {
			case "ENABLED":
				// cleanup ran first: setup made everything again
				if len(st.Roles) != 1 || e.Spec.AuthPrincipal != st.Roles[0].ARN {
					t.Fatalf("enabled with %s, roles %+v", e.Spec.AuthPrincipal, st.Roles)
				}
				if ids := s.roleTrust(st.Roles[0].Name); len(ids) != 1 || ids[0] != e.Spec.AWSExternalID {
					t.Fatalf("the role trusts %v; the export sends %q", ids, e.Spec.AWSExternalID)
				}
			case "DISABLED":
				// setup ran first: cleanup removed the role and policy
				if len(st.Roles) != 0 || len(st.Policies) != 0 {
					t.Fatalf("disabled, but %d roles and %d policies are left", len(st.Roles), len(st.Policies))
				}
			default:
				t.Fatalf("export ended %s\n%s\n%s", e.Status, ra, rb)
			}
			s.checkJournal(cloudemu.ProdAWSClusterID, nil)
		})
	}
}

// Another machine (another state directory) sets up another cluster with
// the default answers: it gets its own role and policy, and the first
// cluster's role, trust and policy are untouched.
func TestSecondClusterFromAnotherMachineTouchesNothingOfTheFirst(t *testing.T) {
	t.Parallel()
	s := newScenario(t, cloudemu.DefaultAPIKey)
	s.mustRun("setup", "--cluster", "prod-aws", "--yes")
	before := s.aws.State()
	other := s.withHome(t.TempDir())
	r := other.mustRun("setup", "--cluster", "staging-aws", "--yes")
	if strings.Contains(r.stderr, prodRole()) {
		t.Errorf("the staging setup mentions prod's role:\n%s", r.stderr)
	}
	after := s.aws.State()
	if len(after.Roles) != 2 || len(after.Policies) != 2 {
		t.Fatalf("want two roles and two policies:\n%+v", after)
	}
	for i, role := range before.Roles {
		got := after.Roles[slices.IndexFunc(after.Roles, func(x awsemu.RoleState) bool { return x.Name == role.Name })]
		if !bytes.Equal(got.Trust, before.Roles[i].Trust) || !slices.Equal(got.AttachedPolicies, role.AttachedPolicies) {
			t.Errorf("prod's role %s changed:\n%s\n%s", role.Name, before.Roles[i].Trust, got.Trust)
		}
	}
	for _, p := range before.Policies {
		got := after.Policies[slices.IndexFunc(after.Policies, func(x awsemu.PolicyState) bool { return x.Name == p.Name })]
		if len(got.Versions) != len(p.Versions) {
			t.Errorf("prod's policy %s has %d versions now", p.Name, len(got.Versions))
		}
	}
	for _, id := range []string{cloudemu.ProdAWSClusterID, cloudemu.StagingAWSClusterID} {
		if e := s.export(id); e.Status != "ENABLED" {
			t.Errorf("export of %s is %s", id, e.Status)
		}
	}
	// Setting up staging with prod's role by name is a conflict: that
	// role is prod's (its tags say so), whatever staging's machine knows.
	r = other.run("setup", "--cluster", "staging-aws", "--yes", "--role-name", prodRole(), "--policy-name", "StagingOwn")
	if r.code != 1 || !strings.Contains(r.stderr, "made by crdb-logexport for cluster prod-aws") {
		t.Fatalf("%s", r)
	}
	if e := s.export(cloudemu.ProdAWSClusterID); e.Status != "ENABLED" {
		t.Fatalf("prod's export is %s", e.Status)
	}
}

// The tool's role and log group were deleted and made again by another
// team, under the same names, with their own tags and events. Cleanup with
// --delete-log-group keeps both, and says why.
func TestCleanupKeepsWhatSomeoneElseMadeAgain(t *testing.T) {
	t.Parallel()
	s := newScenario(t, cloudemu.DefaultAPIKey)
	s.mustRun("setup", "--cluster", "staging-aws", "--yes")
	ctx := context.Background()
	role := steps.DefaultRoleNameFor(cloudemu.StagingAWSClusterName, cloudemu.StagingAWSClusterID)
	policy := awsiam.PolicyARN(awsemu.DefaultAccountID, steps.DefaultPolicyNameFor(cloudemu.StagingAWSClusterName, cloudemu.StagingAWSClusterID), "")
	iamc, logs := s.awsClients("us-east-2")
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Another team takes the names over.
	must(iamc.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: &role, PolicyArn: &policy}))
	must(iamc.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: &role}))
	must(iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: &role, AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("payments")}}}))
	must(logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("crdb-staging-aws")}))
	must(logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("crdb-staging-aws"), Tags: map[string]string{"team": "payments"}}))

	r := s.mustRun("disable", "--cluster", "staging-aws", "--yes", "--cleanup", "--delete-log-group")
	for _, want := range []string{"kept role arn:aws:iam::" + awsemu.DefaultAccountID + ":role/" + role, "kept log group crdb-staging-aws in us-east-2", "someone else made it"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the output does not say %q:\n%s", want, r.stderr)
		}
	}
	st := s.aws.State()
	if len(st.Roles) != 1 || st.Roles[0].Tags["team"] != "payments" {
		t.Fatalf("the other team's role is gone: %+v", st.Roles)
	}
	if gs := st.LogGroups["us-east-2"]; len(gs) != 1 || gs[0].Tags["team"] != "payments" {
		t.Fatalf("the other team's log group is gone: %+v", gs)
	}
	if len(st.Policies) != 0 {
		t.Fatalf("the tool's own policy was kept: %+v", st.Policies)
	}
}

// After `setup --from-scratch`, and even with no journal at all, cleanup
// finds the tool's resources by their tags.
func TestCleanupWithoutTheJournalFindsByTags(t *testing.T) {
	t.Parallel()
	s := newScenario(t, cloudemu.DefaultAPIKey)
	s.mustRun("setup", "--cluster", "prod-aws", "--yes")
	s.mustRun("setup", "--cluster", "prod-aws", "--yes", "--from-scratch")
	if err := os.RemoveAll(s.stateDir()); err != nil {
		t.Fatal(err)
	}
	s.mustRun("disable", "--cluster", "prod-aws", "--yes", "--cleanup")
	st := s.aws.State()
	if len(st.Roles) != 0 || len(st.Policies) != 0 {
		t.Fatalf("cleanup without a journal left %d roles and %d policies", len(st.Roles), len(st.Policies))
	}
	for region, gs := range st.LogGroups {
		if len(gs) != 1 {
			t.Errorf("log groups in %s: %+v (they hold logs and stay)", region, gs)
		}
	}
}

// A damaged journal stops neither the doctor nor disable; cleanup still
// finds everything by tags, and says the journal was damaged.
func TestDamagedJournalBlocksNothing(t *testing.T) {
	t.Parallel()
	s := newScenario(t, cloudemu.DefaultAPIKey)
	s.mustRun("setup", "--cluster", "prod-aws", "--yes")
	path := filepath.Join(s.stateDir(), cloudemu.ProdAWSClusterID+".json")
	if err := os.WriteFile(path, []byte(`{"version": 1, "cluster_id": `), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := s.run("doctor", "--cluster", "prod-aws"); r.code != 0 {
		t.Fatalf("%s", r)
	}
	r := s.mustRun("disable", "--cluster", "prod-aws", "--yes", "--cleanup")
	if !strings.Contains(r.stderr, "damaged") {
		t.Errorf("the damaged journal was not reported:\n%s", r.stderr)
	}
	if st := s.aws.State(); len(st.Roles) != 0 || len(st.Policies) != 0 {
		t.Fatalf("cleanup left %d roles and %d policies", len(st.Roles), len(st.Policies))
	}
	if e := s.export(cloudemu.ProdAWSClusterID); e.Status != "DISABLED" {
		t.Fatalf("export is %s", e.Status)
	}
}

// A setup killed right after AWS made a log group, before it was given its
// retention, then `disable --cleanup`: the half-made groups hold no logs
// and are removed; nothing of the tool is left.
func TestKilledCreateThenCleanup(t *testing.T) {
	t.Parallel()
	s := newScenario(t, cloudemu.DefaultAPIKey)
	var once sync.Once
	// The hook runs on the emulator's goroutines, which may call it before
	// start returns: the process is handed over through a channel.
	started := make(chan *process, 1)
	s.calls.hooks(nil, func(op string) bool {
		if op != "logs:CreateLogGroup" {
			return false
		}
		once.Do(func() {
			p := <-started
			started <- p
			p.kill()
		})
		return true
	})
	p := s.start("", "setup", "--cluster", "prod-aws", "--yes")
	started <- p
	if r := p.wait(t); !r.killed {
		t.Fatalf("the run was not killed at CreateLogGroup: %s", r)
	}
	s.calls.hooks(nil, nil)
	groups := 0
	for _, gs := range s.aws.State().LogGroups {
		groups += len(gs)
	}
	if groups == 0 {
		t.Fatal("the kill left no log group to clean up")
	}
	r := s.mustRun("disable", "--cluster", "prod-aws", "--yes", "--cleanup")
	st := s.aws.State()
	left := 0
	for _, gs := range st.LogGroups {
		left += len(gs)
	}
	if left != 0 || len(st.Roles) != 0 || len(st.Policies) != 0 {
		t.Fatalf("cleanup left %d log groups, %d roles, %d policies:\n%s", left, len(st.Roles), len(st.Policies), r.stderr)
	}
}

// `update --log-group NEW` whose POST fails: the export in force keeps
// working — the policy was only widened — while the emulator keeps checking
// its access every few hundred milliseconds; the message says what changed.
func TestFailedUpdatePostKeepsTheExportWorking(t *testing.T) {
	t.Parallel()
	timings := evidenceTimings
	timings.EventInterval = 200 * time.Millisecond
	s := newScenarioWith(t, cloudemu.DefaultAPIKey, timings)
	s.mustRun("setup", "--cluster", "prod-aws", "--yes")
	s.sb.Cloud.Controls().InjectFault(knobs.Fault{Op: "cloud:EnableLogExport", Status: 500, Code: "13", Message: "internal error"})
	r := s.run("update", "--cluster", "prod-aws", "--log-group", "crdb-prod-v2", "--yes")
	if r.code != 1 {
		t.Fatalf("%s", r)
	}
	for _, want := range []string{"the configuration in force was not changed", "only add to what it had"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the message does not say %q:\n%s", want, r.stderr)
		}
	}
	// Several access checks later, the export in force still works.
	time.Sleep(time.Second)
	e := s.export(cloudemu.ProdAWSClusterID)
	if e.Status != "ENABLED" || e.Spec.LogName != "crdb-prod-aws" {
		t.Fatalf("export is %s with log_name %s after a failed update", e.Status, e.Spec.LogName)
	}
	doc := s.policyDocument(prodPolicy())
	for _, g := range []string{"crdb-prod-aws", "crdb-prod-v2"} {
		if !strings.Contains(doc, "log-group:"+g+":*") {
			t.Errorf("the policy does not grant %s:\n%s", g, doc)
		}
	}
	// Once the POST goes through, the policy is narrowed to the new group.
	s.mustRun("update", "--cluster", "prod-aws", "--log-group", "crdb-prod-v2", "--yes")
	doc = s.policyDocument(prodPolicy())
	if strings.Contains(doc, "log-group:crdb-prod-aws:*") || !strings.Contains(doc, "log-group:crdb-prod-v2:*") {
		t.Fatalf("the policy was not narrowed after ENABLED:\n%s", doc)
	}
	time.Sleep(500 * time.Millisecond)
	if e := s.export(cloudemu.ProdAWSClusterID); e.Status != "ENABLED" || e.Spec.LogName != "crdb-prod-v2" {
		t.Fatalf("export is %s with log_name %s after the update", e.Status, e.Spec.LogName)
	}
}

// policyDocument is the default version of a policy, as JSON.
func (s *scenario) policyDocument(name string) string {
	s.t.Helper()
	for _, p := range s.aws.State().Policies {
		if p.Name != name {
			continue
		}
		for _, v := range p.Versions {
			if v.IsDefault {
				return string(v.Document)
			}
		}
	}
	s.t.Fatalf("no policy %s", name)
	return ""
}

// A status the tool does not know (one the API might add) ends the wait at
// once with a message naming it; the same configuration is not sent again.
func TestUnknownStatusEndsTheWait(t *testing.T) {
	t.Parallel()
	s := newScenario(t, cloudemu.DefaultAPIKey)
	s.mustRun("setup", "--cluster", "prod-aws", "--yes")
	s.calls.rewriteAnswers(func(op string, body []byte) []byte {
		if op != "cloud:GetLogExportInfo" {
			return body
		}
		return bytes.Replace(body, []byte(`"status":"ENABLED"`), []byte(`"status":"PAUSED"`), 1)
	})
	mark := s.calls.mark()
	start := time.Now()
	r := s.run("setup", "--cluster", "prod-aws", "--yes")
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("setup took %s", took)
	}
	if r.code != 1 || !strings.Contains(r.stderr, "PAUSED") || !strings.Contains(r.stderr, "does not know") {
		t.Fatalf("%s", r)
	}
	for _, c := range s.calls.since(mark) {
		if c.Op == "cloud:EnableLogExport" {
			t.Fatal("the configuration was sent again because of a status the tool does not know")
		}
	}
}

// One hung AWS call fails the run after --request-timeout, naming the call
// and the step, instead of holding it until --timeout.
func TestHungAWSCallFailsNamingIt(t *testing.T) {
	t.Parallel()
	s := newScenario(t, cloudemu.DefaultAPIKey)
	s.aws.Controls().InjectFault(knobs.Fault{Op: "iam:GetRole", Hang: true, Times: -1})
	start := time.Now()
	r := s.run("setup", "--cluster", "prod-aws", "--yes", "--request-timeout", "1s")
	took := time.Since(start)
	if r.code != 1 || took > 20*time.Second {
		t.Fatalf("after %s: %s", took, r)
	}
	for _, want := range []string{"iam:GetRole", "no answer from", "step 5"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the error does not say %q:\n%s", want, r.stderr)
		}
	}
}

// An https endpoint that redirects to plain http on the same host: the
// tool does not follow, names the Location, and the plain endpoint never
// receives a request (so never the key).
func TestRedirectToHTTPNeverSendsTheKey(t *testing.T) {
	t.Parallel()
	var plainHits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainHits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", plain.URL+r.URL.Path)
		w.WriteHeader(http.StatusTemporaryRedirect)
	}))
	defer secure.Close()
	home := t.TempDir()
	certFile := filepath.Join(home, "ca.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: secure.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	const key = "CCDB1_redirectSentinelKey0123456789abcdef"
	s := &scenario{t: t, home: home, apiKey: key}
	p := s.startEnv([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, "state"), "NO_COLOR=1",
		"SSL_CERT_FILE=" + certFile,
		"COCKROACH_SERVER=" + secure.URL, "COCKROACH_API_KEY=" + key,
	}, "status", "--cluster", "prod-aws", "--no-logs")
	r := p.wait(t)
	if r.code != 1 || !strings.Contains(r.stderr, "307") || !strings.Contains(r.stderr, plain.URL) || !strings.Contains(r.stderr, "never follows redirects") {
		t.Fatalf("%s", r)
	}
	if strings.Contains(r.stderr+r.stdout, key) {
		t.Fatal("the key was printed")
	}
	if n := plainHits.Load(); n != 0 {
		t.Fatalf("the plain-http endpoint received %d requests", n)
	}
}

// An API key file anyone may read gets a warning, as ssh gives for a
// private key; the key itself is never shown.
func TestOpenKeyFileIsWarnedAbout(t *testing.T) {
	t.Parallel()
	s := newScenario(t, cloudemu.DefaultAPIKey)
	s.omitKey = true
	keyFile := filepath.Join(s.home, "key")
	if err := os.WriteFile(keyFile, []byte(cloudemu.DefaultAPIKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := s.mustRun("status", "--cluster", "prod-aws", "--no-logs", "--api-key-file", keyFile)
	if !strings.Contains(r.stderr, "Warning: "+keyFile+" is readable or writable by others") || !strings.Contains(r.stderr, "chmod 600") {
		t.Fatalf("no warning:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, cloudemu.DefaultAPIKey) {
		t.Fatal("the warning shows the key")
	}
	if err := os.Chmod(keyFile, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := s.mustRun("status", "--cluster", "prod-aws", "--no-logs", "--api-key-file", keyFile); strings.Contains(r.stderr, "Warning") {
		t.Fatalf("a private key file was warned about:\n%s", r.stderr)
	}
}
