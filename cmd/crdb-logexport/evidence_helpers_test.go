package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/awsemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// The fault matrix, kill-and-resume and secret-safety suites run the built
// binary (this test binary under the name crdb-logexport, put on PATH by
// TestMain) against a sandbox of their own. Unlike the scripts' sandbox, the
// AWS emulator is reached through two doors: the tool's, which records every
// call the tool makes (so faults can be proven to have reached the tool and
// a process can be killed at an exact call), and the Cloud emulator's own,
// which is not observed (its reads of the role while enabling are not the
// tool's operations).

// scenario is one sandbox, one HOME and one state directory.
type scenario struct {
	t       testing.TB
	aws     *awsemu.Server
	sb      *sandbox.Env
	toolAWS *httptest.Server
	calls   *callLog
	home    string
	apiKey  string
	// omitKey leaves COCKROACH_API_KEY out of the tool's environment (the
	// key then comes from --api-key-file).
	omitKey bool
	// extraEnv is added to the tool's environment.
	extraEnv []string
}

// evidenceTimings keep runs short: enabling takes 300 ms, IAM propagates at
// once, and an enabled export writes its first events and then stays quiet
// (an hour between ticks), so the Cloud emulator makes no AWS calls of its
// own while a later command runs — faults injected for the tool reach the
// tool.
var evidenceTimings = cloudemu.Timings{
	EnableAfter:    300 * time.Millisecond,
	DisableAfter:   300 * time.Millisecond,
	IAMPropagation: time.Nanosecond,
	EventInterval:  time.Hour,
}

// probeHeader marks the test's own calls to the Cloud API, which the call
// log leaves out.
const probeHeader = "X-Evidence-Probe"

func newScenario(t testing.TB, apiKey string) *scenario {
	t.Helper()
	return newScenarioWith(t, apiKey, evidenceTimings)
}

// newScenarioWith is newScenario with other emulator timings.
func newScenarioWith(t testing.TB, apiKey string, timings cloudemu.Timings) *scenario {
	t.Helper()
	s := &scenario{t: t, calls: &callLog{}, home: t.TempDir(), apiKey: apiKey}
	s.aws = awsemu.New(awsemu.Options{})
	raw := httptest.NewServer(s.aws)
	s.toolAWS = httptest.NewServer(s.calls.wrap(s.aws, awsOp))
	// Cleanups run last-in first-out: the sandbox stops before the AWS
	// doors close under it.
	t.Cleanup(func() {
		s.toolAWS.CloseClientConnections()
		s.toolAWS.Close()
		raw.CloseClientConnections()
		raw.Close()
	})
	sb, err := sandbox.Start(sandbox.Options{
		AWSEndpoint:    raw.URL,
		AWSAccessKeyID: sandbox.AccessKeyID,
		AWSSecret:      sandbox.SecretAccessKey,
		Timings:        &timings,
		APIKey:         apiKey,
		WrapCloud:      func(h http.Handler) http.Handler { return s.calls.wrap(h, cloudOp) },
	})
	if err != nil {
		t.Fatal(err)
	}
	s.sb = sb
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sb.Close(ctx)
	})
	return s
}

func (s *scenario) stateDir() string { return filepath.Join(s.home, "state", "crdb-logexport") }

// environ is the whole environment of the tool: nothing is inherited but
// PATH and TMPDIR, so no AWS profile or key of the machine running the
// tests can leak in.
func (s *scenario) environ() []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"TMPDIR=" + os.TempDir(),
		"HOME=" + s.home,
		"XDG_STATE_HOME=" + filepath.Join(s.home, "state"),
		"NO_COLOR=1",
		"AWS_CONFIG_FILE=" + filepath.Join(s.home, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(s.home, "no-aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"COCKROACH_SERVER=" + s.sb.CloudURL,
		"AWS_ENDPOINT_URL=" + s.toolAWS.URL,
		"AWS_ACCESS_KEY_ID=" + s.sb.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + s.sb.SecretAccessKey,
		"AWS_REGION=" + s.sb.Region,
	}
	if !s.omitKey {
		env = append(env, "COCKROACH_API_KEY="+s.apiKey)
	}
	return append(env, s.extraEnv...)
}

// toolPath is the binary TestMain put on PATH.
func toolPath(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("crdb-logexport")
	if err != nil {
		t.Fatalf("crdb-logexport is not on PATH (TestMain sets it up): %v", err)
	}
	return p
}

// runLimit bounds one run of the tool, so a hang fails the test instead of
// stalling it.
const runLimit = 2 * time.Minute

// result is one finished run.
type result struct {
	args           []string
	code           int
	stdout, stderr string
	// killed is set when the test killed the process.
	killed bool
}

func (r result) String() string {
	return fmt.Sprintf("crdb-logexport %s: exit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// process is a started run of the tool.
type process struct {
	cmd    *exec.Cmd
	args   []string
	stdout bytes.Buffer
	stderr lockedBuffer
	// lines receives each stderr line as it is written; closed at EOF.
	lines  chan string
	done   chan struct{}
	res    result
	mu     sync.Mutex
	killed bool
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) write(s string) {
	l.mu.Lock()
	l.b.WriteString(s)
	l.mu.Unlock()
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs the tool with stdin as its standard input.
func (s *scenario) start(stdin string, args ...string) *process {
	s.t.Helper()
	return s.startWith(s.environ(), stdin, args...)
}

// startEnv runs the tool with exactly env as its environment.
func (s *scenario) startEnv(env []string, args ...string) *process {
	s.t.Helper()
	return s.startWith(env, "", args...)
}

func (s *scenario) startWith(env []string, stdin string, args ...string) *process {
	s.t.Helper()
	p := &process{args: args, lines: make(chan string, 256), done: make(chan struct{})}
	p.cmd = exec.Command(toolPath(s.t), args...)
	p.cmd.Env = env
	p.cmd.Dir = s.home
	p.cmd.Stdin = strings.NewReader(stdin)
	p.cmd.Stdout = &p.stdout
	errPipe, err := p.cmd.StderrPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		defer close(p.lines)
		sc := bufio.NewScanner(errPipe)
		sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
		for sc.Scan() {
			line := sc.Text()
			p.stderr.write(line + "\n")
			select {
			case p.lines <- line:
			default:
			}
		}
		_, _ = io.Copy(io.Discard, errPipe)
	}()
	go func() {
		<-scanned
		// The exit status is all that matters; a process killed by a
		// signal has status -1.
		_ = p.cmd.Wait()
		p.res = result{args: args, stdout: p.stdout.String(), stderr: p.stderr.String(), code: p.cmd.ProcessState.ExitCode()}
		p.mu.Lock()
		p.res.killed = p.killed
		p.mu.Unlock()
		close(p.done)
	}()
	return p
}

// kill sends SIGKILL: no handler runs, nothing is flushed.
func (p *process) kill() {
	p.mu.Lock()
	p.killed = true
	p.mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
}

// wait returns the run's result, killing the process after runLimit.
func (p *process) wait(t testing.TB) result {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(runLimit):
		p.kill()
		<-p.done
		t.Fatalf("crdb-logexport %s did not finish within %s\n--- stderr\n%s", strings.Join(p.args, " "), runLimit, p.stderr.String())
	}
	return p.res
}

// run runs the tool to completion.
func (s *scenario) run(args ...string) result {
	s.t.Helper()
	return s.start("", args...).wait(s.t)
}

// mustRun runs the tool and fails the test unless it exits 0.
func (s *scenario) mustRun(args ...string) result {
	s.t.Helper()
	r := s.run(args...)
	if r.code != 0 {
		s.t.Fatalf("%s", r)
	}
	return r
}

// call is one request the tool made, as the emulator answered it.
type call struct {
	Op     string
	Status int // 0: never answered
	Body   string
	At     time.Time
}

// callLog records the tool's calls to both emulators and lets a test act
// at a chosen call: when it arrives, or once the emulator has carried it
// out but before the tool hears back.
type callLog struct {
	mu    sync.Mutex
	calls []call
	// arrive and applied, when set, are called with each call's operation;
	// returning true drops the call (arrive: before the emulator sees it;
	// applied: after it took effect) and holds it until the client is gone.
	arrive, applied func(op string) bool
	// rewrite, when set, may change the body of an answer before the tool
	// sees it (a status the tool does not know, say).
	rewrite func(op string, body []byte) []byte
}

func (l *callLog) rewriteAnswers(f func(op string, body []byte) []byte) {
	l.mu.Lock()
	l.rewrite = f
	l.mu.Unlock()
}

func (l *callLog) hooks(arrive, applied func(op string) bool) {
	l.mu.Lock()
	l.arrive, l.applied = arrive, applied
	l.mu.Unlock()
}

func (l *callLog) snapshot() []call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// mark returns a position in the log; since lists the calls after it.
func (l *callLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

func (l *callLog) since(mark int) []call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls[mark:])
}

// wrap observes the calls h answers; opOf names a request's operation the
// way the emulators' fault controls do ("" for requests not to record).
func (l *callLog) wrap(h http.Handler, opOf func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := opOf(r)
		if op == "" {
			h.ServeHTTP(w, r)
			return
		}
		l.mu.Lock()
		i := len(l.calls)
		l.calls = append(l.calls, call{Op: op, At: time.Now()})
		arrive, applied := l.arrive, l.applied
		l.mu.Unlock()
		if arrive != nil && arrive(op) {
			awaitGone(r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if r.Context().Err() != nil {
			return // a hanging fault: the client gave up, nothing was answered
		}
		if applied != nil && applied(op) {
			awaitGone(r)
			return
		}
		body := rec.Body.Bytes()
		l.mu.Lock()
		if l.rewrite != nil {
			body = l.rewrite(op, body)
		}
		l.calls[i].Status = rec.Code
		l.calls[i].Body = string(body)
		l.mu.Unlock()
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// awaitGone holds a dropped call until its client is gone. The server only
// notices a closed connection once the request body has been read, so the
// body is drained first.
func awaitGone(r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(runLimit):
	}
}

// awsOp names an AWS call as the AWS emulator does: "logs:Action" for the
// JSON protocol, "service:Action" (service from the SigV4 scope) for the
// query protocol. It reads and restores the body.
func awsOp(r *http.Request) string {
	if knobs.IsAdminPath(r.URL.Path) {
		return ""
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		_, action, _ := strings.Cut(target, ".")
		return "logs:" + action
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	service := "iam"
	if m := scopeService.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		service = m[1]
	}
	return service + ":" + form.Get("Action")
}

var scopeService = regexp.MustCompile(`Credential=[^/]+/[^/]+/[^/]+/([a-z0-9-]+)/aws4_request`)

// cloudOp names a Cloud API call by its OpenAPI operation, as the Cloud
// emulator's fault controls do. The test's own probes are not recorded.
// Names are checked against the emulator's counters (checkCloudOpNames), so
// a drift in the emulator's naming fails loudly.
func cloudOp(r *http.Request) string {
	if knobs.IsAdminPath(r.URL.Path) || r.Header.Get(probeHeader) != "" {
		return ""
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 3 || parts[0] != "api" || parts[1] != "v1" {
		return "cloud:unknown " + r.Method + " " + r.URL.Path
	}
	switch {
	case len(parts) == 3 && parts[2] == "organization" && r.Method == http.MethodGet:
		return "cloud:GetOrganizationInfo"
	case len(parts) == 3 && parts[2] == "clusters" && r.Method == http.MethodGet:
		return "cloud:ListClusters"
	case len(parts) == 4 && parts[2] == "clusters" && r.Method == http.MethodGet:
		return "cloud:GetCluster"
	case len(parts) == 5 && parts[2] == "clusters" && parts[4] == "logexport":
		switch r.Method {
		case http.MethodGet:
			return "cloud:GetLogExportInfo"
		case http.MethodPost:
			return "cloud:EnableLogExport"
		case http.MethodDelete:
			return "cloud:DeleteLogExport"
		}
	}
	return "cloud:unknown " + r.Method + " " + r.URL.Path
}

// opsOf lists the distinct operations of calls, sorted.
func opsOf(calls []call) []string {
	seen := map[string]bool{}
	for _, c := range calls {
		seen[c.Op] = true
	}
	ops := make([]string, 0, len(seen))
	for op := range seen {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

// checkOpNames fails when an operation the log recorded is not one the
// emulators counted under that name: faults for it would never fire.
func (s *scenario) checkOpNames(ops []string) {
	s.t.Helper()
	counted := map[string]bool{}
	for op := range s.aws.Controls().Stats().ByOperation {
		counted[op] = true
	}
	for op := range s.sb.Cloud.Controls().Stats().ByOperation {
		counted[op] = true
	}
	for _, op := range ops {
		if !counted[op] {
			s.t.Fatalf("the call log names an operation %q the emulators did not count; emulators counted %v", op, sortedKeys(counted))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// controls returns the fault controls of the emulator serving op.
func (s *scenario) controls(op string) *knobs.Controls {
	if strings.HasPrefix(op, "cloud:") {
		return s.sb.Cloud.Controls()
	}
	return s.aws.Controls()
}

func (s *scenario) clearFaults() {
	s.aws.Controls().ClearFaults()
	s.sb.Cloud.Controls().ClearFaults()
}

// export is the Cloud side of the fingerprint, read through the API.
type export struct {
	Status string `json:"status"`
	Spec   struct {
		LogName       string `json:"log_name"`
		AuthPrincipal string `json:"auth_principal"`
		AWSExternalID string `json:"aws_external_id"`
		Redact        *bool  `json:"redact"`
	} `json:"spec"`
}

func (s *scenario) export(clusterID string) export {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.sb.CloudURL+"/api/v1/clusters/"+clusterID+"/logexport", nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.apiKey)
	req.Header.Set("Cc-Version", "2024-09-16")
	req.Header.Set(probeHeader, "1")
	for attempt := 0; ; attempt++ {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			s.t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusNotFound:
			return export{Status: "NOT_CONFIGURED"}
		case resp.StatusCode == http.StatusTooManyRequests && attempt < 5:
			time.Sleep(time.Second)
			continue
		case resp.StatusCode != http.StatusOK:
			s.t.Fatalf("reading the export of %s: %d %s", clusterID, resp.StatusCode, body)
		}
		var e export
		if err := json.Unmarshal(body, &e); err != nil {
			s.t.Fatalf("export of %s: %v: %s", clusterID, err, body)
		}
		return e
	}
}

// fingerprint describes everything a run leaves behind that a rerun must
// not duplicate or lose: roles and what is attached to them, policies and
// their versions, log groups per region with their retention, and the
// export's status and configuration. Two runs that end alike have equal
// fingerprints; generated values (the external ID) are reduced to whether
// they are set.
func (s *scenario) fingerprint(clusterID string) string {
	s.t.Helper()
	st := s.aws.State()
	var b strings.Builder
	for _, r := range st.Roles {
		fmt.Fprintf(&b, "role %s attached=[%s] managed-by=%s\n", r.Name, strings.Join(r.AttachedPolicies, ","), r.Tags["managed-by"])
	}
	for _, p := range st.Policies {
		// The default version's document, not the number of versions: a
		// change made before break writes a bridging version first, so
		// runs that end alike may have passed through different ones.
		fmt.Fprintf(&b, "policy %s grants=%s attached-to=[%s]\n", p.Name, defaultDocument(p), strings.Join(p.AttachedTo, ","))
	}
	for _, region := range sortedKeys(st.LogGroups) {
		for _, g := range st.LogGroups[region] {
			fmt.Fprintf(&b, "log-group %s %s retention=%d managed-by=%s\n", region, g.Name, g.RetentionInDays, g.Tags["managed-by"])
		}
	}
	e := s.export(clusterID)
	redact := "unset"
	if e.Spec.Redact != nil {
		redact = fmt.Sprint(*e.Spec.Redact)
	}
	fmt.Fprintf(&b, "export status=%s log_name=%s auth_principal=%s external_id_set=%t redact=%s\n",
		e.Status, e.Spec.LogName, e.Spec.AuthPrincipal, e.Spec.AWSExternalID != "", redact)
	return b.String()
}

// defaultDocument is a policy's default version in canonical form.
func defaultDocument(p awsemu.PolicyState) string {
	for _, v := range p.Versions {
		if !v.IsDefault {
			continue
		}
		doc, err := awsiam.ParsePolicy(string(v.Document))
		if err != nil {
			return "unparsable"
		}
		return doc.JSON()
	}
	return "none"
}

// readJournal loads the cluster's journal, checking that it is private.
// It returns nil when there is none.
func (s *scenario) readJournal(clusterID string) *steps.Journal {
	s.t.Helper()
	path := filepath.Join(s.stateDir(), clusterID+".json")
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		s.t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		s.t.Errorf("journal %s has mode %o, want 600", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatal(err)
	}
	var j steps.Journal
	if err := json.Unmarshal(b, &j); err != nil {
		s.t.Fatalf("journal %s does not parse: %v\n%s", path, err, b)
	}
	if j.ClusterID != clusterID {
		s.t.Errorf("journal %s is for cluster %q", path, j.ClusterID)
	}
	return &j
}

// resourceKey names a resource the way the journal records it.
func resourceKey(kind, id, region string) string { return kind + " " + id + " " + region }

// awsResources lists everything in the AWS emulator, keyed like journal
// records. In these sandboxes only the tool creates resources, so each is
// one the tool made.
func (s *scenario) awsResources() map[string]bool {
	st := s.aws.State()
	out := map[string]bool{}
	for _, r := range st.Roles {
		out[resourceKey(steps.KindRole, r.ARN, "")] = true
		for _, p := range r.AttachedPolicies {
			out[resourceKey(steps.KindAttachment, r.Name+"|"+p, "")] = true
		}
	}
	for _, p := range st.Policies {
		out[resourceKey(steps.KindPolicy, p.ARN, "")] = true
	}
	for region, groups := range st.LogGroups {
		for _, g := range groups {
			out[resourceKey(steps.KindLogGroup, g.Name, region)] = true
		}
	}
	return out
}

// checkJournal checks the journal against what exists: every resource it
// records exists, none is recorded twice, and every resource the tool made
// is recorded (so `disable --cleanup` can find it). wantSteps, when not nil,
// are the step outcomes a clean run leaves; the run is then complete, and
// no creation may be left unfinished.
func (s *scenario) checkJournal(clusterID string, wantSteps map[string]string) {
	s.t.Helper()
	j := s.readJournal(clusterID)
	var problems []string
	exists := s.awsResources()
	recorded := map[string]bool{}
	if j != nil {
		for _, r := range j.Created {
			k := resourceKey(r.Kind, r.ID, r.Region)
			if recorded[k] {
				problems = append(problems, "the journal records "+k+" twice")
			}
			recorded[k] = true
			if !exists[k] {
				problems = append(problems, "the journal records "+k+", which does not exist")
			}
		}
		if wantSteps != nil {
			for _, r := range j.Intended {
				problems = append(problems, "after a complete run the journal still lists an unfinished creation: "+resourceKey(r.Kind, r.ID, r.Region))
			}
		}
	}
	for _, k := range sortedKeys(exists) {
		if !recorded[k] {
			problems = append(problems, k+" exists but the journal does not record it: cleanup would never remove it")
		}
	}
	if wantSteps != nil {
		got := map[string]string{}
		if j != nil {
			for id, st := range j.Steps {
				got[id] = st.Status
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(wantSteps) {
			problems = append(problems, fmt.Sprintf("journal steps = %v, want %v (as a clean run leaves them)", got, wantSteps))
		}
	}
	if len(problems) > 0 {
		b, _ := os.ReadFile(filepath.Join(s.stateDir(), clusterID+".json"))
		s.t.Errorf("journal problems:\n  %s\njournal:\n%s", strings.Join(problems, "\n  "), b)
	}
	entries, err := os.ReadDir(s.stateDir())
	if err != nil && !os.IsNotExist(err) {
		s.t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".journal-") {
			s.t.Logf("note: a half-written journal %s was left in %s", e.Name(), s.stateDir())
		}
	}
}

// journalSteps is the step outcomes recorded in the journal (nil without
// a journal).
func (s *scenario) journalSteps(clusterID string) map[string]string {
	s.t.Helper()
	j := s.readJournal(clusterID)
	if j == nil {
		return nil
	}
	out := map[string]string{}
	for id, st := range j.Steps {
		out[id] = st.Status
	}
	return out
}

// resumeCommand finds the command a failed run printed to resume with and
// splits it into arguments (after the program name).
func resumeCommand(stderr string) ([]string, bool) {
	lines := strings.Split(stderr, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "Resume") || i+1 >= len(lines) {
			continue
		}
		cmd := strings.TrimSpace(lines[i+1])
		words, ok := shellWords(cmd)
		if !ok || len(words) < 2 || words[0] != "crdb-logexport" {
			return nil, false
		}
		return words[1:], true
	}
	return nil, false
}

// shellWords splits a POSIX shell command line of plain words and
// single-quoted strings (what steps.ShellQuote produces).
func shellWords(s string) ([]string, bool) {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range s {
		switch {
		case quoted && r == '\'':
			quoted = false
		case quoted:
			cur.WriteRune(r)
		case r == '\'':
			quoted, inWord = true, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.ContainsRune("\"\\$`;&|<>()*?", r):
			return nil, false
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		return nil, false
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, true
}

// boundedParallel runs each case as a subtest, at most limit at a time.
// The runs are mostly waiting on the emulators, so more of them than
// there are CPUs keeps the suite short without starving anything.
func boundedParallel[C any](t *testing.T, limit int, cases []C, name func(C) string, f func(*testing.T, C)) {
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			t.Run(name(c), func(t *testing.T) { f(t, c) })
		}()
	}
	wg.Wait()
}
