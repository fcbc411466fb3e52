package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/crdb-logexport/crdb-logexport/sandbox/awsemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/hookemu"
)

// Credentials the built-in AWS emulator hands out. They are not secrets:
// the emulator accepts any SigV4 credentials and only runs on loopback.
const (
	AccessKeyID     = "AKIASANDBOXEXAMPLE01"
	SecretAccessKey = "sandbox/secret/EXAMPLEKEY0000000000000"
	DefaultRegion   = "us-east-1"
)

// Paths of the webhook receiver that the printed notification variables
// point at. The receiver accepts any path under its Slack and webhook
// prefixes; these look like the real ones.
const (
	SlackWebhookPath   = hookemu.SlackPrefix + "TSANDBOX0/BSANDBOX0/sandboxSlackWebhookToken0"
	GenericWebhookPath = hookemu.WebhookPrefix + "crdb-logexport"
)

// Options configure a running sandbox. Zero values give a working default.
type Options struct {
	// CloudAddr, AWSAddr and HooksAddr are loopback listen addresses; ""
	// picks a free port on 127.0.0.1.
	CloudAddr, AWSAddr, HooksAddr string
	// AWSEndpoint, when set, points the Cloud emulator at an external
	// AWS-compatible endpoint instead of starting the built-in one; the
	// credentials then come from AccessKeyID/SecretAccessKey below.
	AWSEndpoint               string
	AWSAccessKeyID, AWSSecret string
	Region                    string
	Latency                   time.Duration
	Timings                   cloudemu.Timings
	ExtraClusters             int
	APIKey                    string
	// WrapCloud, when set, wraps the Cloud emulator's handler (tests use it
	// to validate every exchange against the OpenAPI contract).
	WrapCloud func(http.Handler) http.Handler
	// WrapHooks, when set, wraps the webhook receiver's handler (tests use
	// it to act at a delivery).
	WrapHooks func(http.Handler) http.Handler
	// LogsQuotas replace CloudWatch Logs' published request quotas in the
	// built-in AWS emulator (awsemu.Options.LogsQuotas); an empty map lifts
	// them.
	LogsQuotas map[string]float64
}

// Env is a running sandbox.
type Env struct {
	Cloud *cloudemu.Server
	// AWS is nil when the sandbox uses an external AWS endpoint.
	AWS *awsemu.Server
	// Hooks receives the monitor's notifications.
	Hooks *hookemu.Server

	CloudURL, AWSURL, HooksURL string
	APIKey                     string
	AccessKeyID                string
	SecretAccessKey            string
	Region                     string

	servers []*http.Server
}

// Start listens on loopback and serves both emulators until Close.
func Start(opts Options) (*Env, error) {
	env := &Env{
		APIKey:          firstNonEmpty(opts.APIKey, cloudemu.DefaultAPIKey),
		AccessKeyID:     firstNonEmpty(opts.AWSAccessKeyID, AccessKeyID),
		SecretAccessKey: firstNonEmpty(opts.AWSSecret, SecretAccessKey),
		Region:          firstNonEmpty(opts.Region, DefaultRegion),
	}
	var awsLn net.Listener
	if opts.AWSEndpoint == "" {
		ln, err := listenLoopback(opts.AWSAddr, "--aws-addr")
		if err != nil {
			return nil, err
		}
		awsLn = ln
		env.AWS = awsemu.New(awsemu.Options{LogsQuotas: opts.LogsQuotas})
		env.AWS.Controls().SetLatency(opts.Latency)
		env.AWSURL = "http://" + ln.Addr().String()
	} else {
		if !strings.HasPrefix(opts.AWSEndpoint, "http://") && !strings.HasPrefix(opts.AWSEndpoint, "https://") {
			return nil, fmt.Errorf("--aws-endpoint must be an http:// or https:// URL, got %q", opts.AWSEndpoint)
		}
		env.AWSURL = strings.TrimRight(opts.AWSEndpoint, "/")
	}
	cloudLn, err := listenLoopback(opts.CloudAddr, "--cloud-addr")
	if err != nil {
		if awsLn != nil {
			awsLn.Close()
		}
		return nil, err
	}
	hooksLn, err := listenLoopback(opts.HooksAddr, "--hooks-addr")
	if err != nil {
		if awsLn != nil {
			awsLn.Close()
		}
		cloudLn.Close()
		return nil, err
	}
	env.HooksURL = "http://" + hooksLn.Addr().String()
	env.Hooks = hookemu.New(hookemu.Options{})
	env.Hooks.Controls().SetLatency(opts.Latency)
	env.CloudURL = "http://" + cloudLn.Addr().String()
	env.Cloud = cloudemu.New(cloudemu.Options{
		APIKey: env.APIKey,
		AWS: cloudemu.AWSTarget{
			Endpoint:        env.AWSURL,
			AccessKeyID:     env.AccessKeyID,
			SecretAccessKey: env.SecretAccessKey,
		},
		Timings:       opts.Timings,
		ExtraClusters: opts.ExtraClusters,
	})
	env.Cloud.Controls().SetLatency(opts.Latency)

	if awsLn != nil {
		env.serve(awsLn, env.AWS)
	}
	var cloud http.Handler = env.Cloud
	if opts.WrapCloud != nil {
		cloud = opts.WrapCloud(cloud)
	}
	env.serve(cloudLn, cloud)
	var hooks http.Handler = env.Hooks
	if opts.WrapHooks != nil {
		hooks = opts.WrapHooks(hooks)
	}
	env.serve(hooksLn, hooks)
	return env, nil
}

func (e *Env) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	e.servers = append(e.servers, srv)
	go func() { _ = srv.Serve(ln) }()
}

// Close stops the listeners and the Cloud emulator's background jobs. It
// lets calls in flight finish for a moment, then closes what is left:
// net/http's Shutdown would otherwise wait five seconds on connections a
// client opened but never used.
func (e *Env) Close(ctx context.Context) error {
	grace, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	var errs []error
	for _, s := range e.servers {
		if err := s.Shutdown(grace); err != nil {
			if cerr := s.Close(); cerr != nil {
				errs = append(errs, cerr)
			}
		}
	}
	e.Cloud.Close()
	return errors.Join(errs...)
}

// Var is one environment variable that points the tool at the sandbox.
type Var struct{ Name, Value string }

// Vars lists the variables in the order `sandbox serve` prints them: the
// services' endpoints and credentials, then the webhook URLs the monitor
// notifies, at the sandbox's receiver.
func (e *Env) Vars() []Var {
	return []Var{
		{"COCKROACH_SERVER", e.CloudURL},
		{"COCKROACH_API_KEY", e.APIKey},
		{"AWS_ENDPOINT_URL", e.AWSURL},
		{"AWS_ACCESS_KEY_ID", e.AccessKeyID},
		{"AWS_SECRET_ACCESS_KEY", e.SecretAccessKey},
		{"AWS_REGION", e.Region},
		{"CRDB_LOGEXPORT_SLACK_WEBHOOK_URL", e.HooksURL + SlackWebhookPath},
		{"CRDB_LOGEXPORT_WEBHOOK_URL", e.HooksURL + GenericWebhookPath},
	}
}

// ExportLines renders Vars as shell `export NAME=value` lines.
func (e *Env) ExportLines() string {
	var b strings.Builder
	for _, v := range e.Vars() {
		fmt.Fprintf(&b, "export %s=%s\n", v.Name, shellQuote(v.Value))
	}
	return b.String()
}

// listenLoopback refuses anything but a loopback address: the sandbox has a
// well-known API key and accepts any AWS credentials.
func listenLoopback(addr, flag string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%s %q: want host:port, e.g. 127.0.0.1:26280", flag, addr)
	}
	if host == "" {
		addr = "127.0.0.1" + addr
	} else if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("%s %q: the sandbox only listens on loopback (127.0.0.1, ::1 or localhost)", flag, addr)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return ln, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// shellQuote quotes a value for POSIX shells when it needs it.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./:@%+=,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
