package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// Secret safety: every command runs with a sentinel API key and --debug,
// the key given each of the three ways the tool accepts it (COCKROACH_API_KEY,
// --api-key-file PATH, --api-key-file - on standard input). The key — or
// any common encoding of it — must appear nowhere the tool writes: standard
// output, standard error (which carries the --debug trace), any file under
// HOME (the journal included), or the process's argv while it runs. One run
// meets a server that echoes the key back in an error message.

// sentinelKey is a fresh key with characters that change under base64 and
// URL encoding, so each encoding is a distinct string to look for.
func sentinelKey(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "CRDBSENTINEL-" + hex.EncodeToString(b) + "+/=k"
}

// leakForms are the key and the encodings a careless trace or error would
// show it in; the random core alone catches a partly cut key.
func leakForms(key string) []string {
	b := []byte(key)
	core := strings.TrimSuffix(strings.TrimPrefix(key, "CRDBSENTINEL-"), "+/=k")
	return []string{
		key, core,
		base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
		url.QueryEscape(key), url.PathEscape(key), hex.EncodeToString(b),
	}
}

func leaked(text string, forms []string) (string, bool) {
	for _, f := range forms {
		if strings.Contains(text, f) {
			return f, true
		}
	}
	return "", false
}

// secretRun is one command of the tour and the exit status it must end with.
type secretRun struct {
	args []string
	code int
	// cloud: the command talks to the Cloud API, so its --debug trace must
	// show (redacted) Authorization headers.
	cloud bool
	// echo makes the Cloud API answer the next call to this operation with
	// an error whose message contains the key.
	echo string
}

var secretTour = []secretRun{
	{args: []string{"version"}},
	{args: []string{"version", "--output", "json"}},
	{args: []string{"setup", "--cluster", "prod-aws", "--dry-run"}, cloud: true},
	{args: []string{"setup", "--cluster", "prod-aws", "--yes"}, cloud: true},
	{args: []string{"setup", "--cluster", "prod-aws", "--yes", "--output", "json"}, cloud: true},
	{args: []string{"policy", "--cluster", "prod-aws"}, cloud: true},
	{args: []string{"status", "--cluster", "prod-aws"}, cloud: true},
	{args: []string{"status", "--cluster", "prod-aws", "--output", "json"}, cloud: true},
	{args: []string{"status", "--all"}, cloud: true},
	{args: []string{"status", "--cluster", "prod-aws", "--watch", "--until-terminal"}, cloud: true},
	{args: []string{"doctor", "--cluster", "prod-aws"}, cloud: true},
	{args: []string{"doctor", "--cluster", "prod-aws", "--output", "json"}, cloud: true},
	{args: []string{"doctor", "--cluster", "prod-aws", "--fix", "--yes"}, cloud: true},
	{args: []string{"update", "--cluster", "prod-aws", "--redact", "--yes"}, cloud: true},
	{args: []string{"export", "terraform", "--cluster", "prod-aws"}, cloud: true},
	{args: []string{"export", "terraform", "--cluster", "prod-aws", "--dir", "terraform", "--format", "json", "--output", "json"}, cloud: true},
	{args: []string{"monitor", "--all", "--once"}, cloud: true},
	{args: []string{"monitor", "--cluster", "prod-aws", "--once", "--output", "json"}, cloud: true},
	{args: []string{"status", "--cluster", "prod-aws", "--history"}},
	{args: []string{"setup", "--cluster", "staging-aws", "--yes"}, code: 1, cloud: true, echo: "cloud:GetOrganizationInfo"},
	{args: []string{"disable", "--cluster", "prod-aws", "--yes", "--cleanup"}, cloud: true},
}

func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	modes := []string{"env", "file", "stdin"}
	boundedParallel(t, len(modes), modes, func(m string) string { return "key-from-" + m }, func(t *testing.T, mode string) {
		key := sentinelKey(t)
		forms := leakForms(key)
		s := newScenario(t, key)
		var keyArgs []string
		stdin := ""
		switch mode {
		case "file":
			s.omitKey = true
			path := filepath.Join(t.TempDir(), "cockroach-api-key")
			if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			keyArgs = []string{"--api-key-file", path}
		case "stdin":
			s.omitKey = true
			keyArgs = []string{"--api-key-file", "-"}
			stdin = key + "\n"
		}
		for _, step := range secretTour {
			args := slices.Clone(step.args)
			if args[0] != "version" {
				args = append(args, "--debug")
				args = append(args, keyArgs...)
			}
			if step.echo != "" {
				s.sb.Cloud.Controls().InjectFault(knobs.Fault{Op: step.echo, Status: 403, Code: "7", Message: "token " + key + " lacks the organization admin role"})
			}
			r, argv := runSampled(t, s, stdin, args)
			if r.code != step.code {
				t.Fatalf("want exit %d:\n%s", step.code, r)
			}
			if step.cloud && !strings.Contains(r.stderr, "Authorization: Bearer [REDACTED]") {
				t.Errorf("--debug showed no (redacted) Authorization header, so the trace was not checked:\n%s", r)
			}
			if f, ok := leaked(r.stdout, forms); ok {
				t.Errorf("the key (as %q) is in standard output:\n%s", f, r)
			}
			if f, ok := leaked(r.stderr, forms); ok {
				t.Errorf("the key (as %q) is in standard error:\n%s", f, r)
			}
			if len(argv) == 0 {
				t.Errorf("crdb-logexport %s: argv was never sampled", strings.Join(args, " "))
			}
			for _, a := range argv {
				if f, ok := leaked(a, forms); ok {
					t.Errorf("the key (as %q) is in the process's argv: %q", f, a)
				}
			}
		}
		if s.readJournal(cloudemu.ProdAWSClusterID) == nil {
			t.Fatal("the tour left no journal, so the journal was not checked")
		}
		err := filepath.WalkDir(s.home, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if f, ok := leaked(string(b), forms); ok {
				t.Errorf("the key (as %q) is in %s", f, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// runSampled runs the tool and reads its argv from /proc while it runs.
func runSampled(t *testing.T, s *scenario, stdin string, args []string) (result, []string) {
	t.Helper()
	p := s.start(stdin, args...)
	var (
		mu      sync.Mutex
		samples []string
	)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		proc := "/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/cmdline"
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			if b, err := os.ReadFile(proc); err == nil && len(b) > 0 {
				mu.Lock()
				samples = append(samples, string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	r := p.wait(t)
	close(stop)
	<-sampled
	mu.Lock()
	defer mu.Unlock()
	return r, samples
}
