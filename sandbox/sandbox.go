package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
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
	// Timings nil means cloudemu.DefaultTimings; given, each field is
	// taken as it is (zero is no delay).
	Timings       *cloudemu.Timings
	ExtraClusters int
	APIKey        string
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

// Validate checks every option Start would refuse, binding nothing.
func (o Options) Validate() error {
	if _, err := loopbackAddr(o.CloudAddr, "--cloud-addr"); err != nil {
		return err
	}
	if _, err := loopbackAddr(o.HooksAddr, "--hooks-addr"); err != nil {
		return err
	}
	if o.AWSEndpoint == "" {
		if _, err := loopbackAddr(o.AWSAddr, "--aws-addr"); err != nil {
			return err
		}
	} else if !strings.HasPrefix(o.AWSEndpoint, "http://") && !strings.HasPrefix(o.AWSEndpoint, "https://") {
		return fmt.Errorf("--aws-endpoint must be an http:// or https:// URL, got %q", o.AWSEndpoint)
	}
	if o.Timings != nil {
		return o.Timings.Validate()
	}
	return nil
}

// Start listens on loopback and serves both emulators until Close. Options
// are validated before anything is bound, so a bad one leaves no port taken
// ListenError is an address the sandbox could not listen on, named by the
// flag that gave it.
type ListenError struct {
	Flag, Addr string
	Err        error
}

func (e *ListenError) Error() string { return e.Flag + ": " + e.Err.Error() }
func (e *ListenError) Unwrap() error { return e.Err }

// and is reported as itself, not as a clash on another address.
func Start(opts Options) (*Env, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	env := &Env{
		APIKey:          firstNonEmpty(opts.APIKey, cloudemu.DefaultAPIKey),
		AccessKeyID:     firstNonEmpty(opts.AWSAccessKeyID, AccessKeyID),
		SecretAccessKey: firstNonEmpty(opts.AWSSecret, SecretAccessKey),
		Region:          firstNonEmpty(opts.Region, DefaultRegion),
	}
	cloudAddr, _ := loopbackAddr(opts.CloudAddr, "--cloud-addr")
	awsAddr := ""
	if opts.AWSEndpoint == "" {
		awsAddr, _ = loopbackAddr(opts.AWSAddr, "--aws-addr")
	} else {
		env.AWSURL = strings.TrimRight(opts.AWSEndpoint, "/")
	}

	var awsLn net.Listener
	if awsAddr != "" {
		ln, err := net.Listen("tcp", awsAddr)
		if err != nil {
			return nil, &ListenError{Flag: "--aws-addr", Addr: awsAddr, Err: err}
		}
		awsLn = ln
		env.AWS = awsemu.New(awsemu.Options{LogsQuotas: opts.LogsQuotas})
		env.AWS.Controls().SetLatency(opts.Latency)
		env.AWSURL = "http://" + ln.Addr().String()
	}
	closeAWS := func() {
		if awsLn != nil {
			awsLn.Close()
		}
	}
	cloudLn, err := net.Listen("tcp", cloudAddr)
	if err != nil {
		closeAWS()
		return nil, &ListenError{Flag: "--cloud-addr", Addr: cloudAddr, Err: err}
	}
	hooksAddr, _ := loopbackAddr(opts.HooksAddr, "--hooks-addr")
	hooksLn, err := net.Listen("tcp", hooksAddr)
	if err != nil {
		closeAWS()
		cloudLn.Close()
		return nil, &ListenError{Flag: "--hooks-addr", Addr: hooksAddr, Err: err}
	}
	env.HooksURL = "http://" + hooksLn.Addr().String()
	env.Hooks = hookemu.New(hookemu.Options{})
	env.Hooks.Controls().SetLatency(opts.Latency)
	env.CloudURL = "http://" + cloudLn.Addr().String()
	env.Cloud, err = cloudemu.New(cloudemu.Options{
		APIKey: env.APIKey,
		AWS: cloudemu.AWSTarget{
			Endpoint:        env.AWSURL,
			AccessKeyID:     env.AccessKeyID,
			SecretAccessKey: env.SecretAccessKey,
		},
		Timings:       opts.Timings,
		ExtraClusters: opts.ExtraClusters,
	})
	if err != nil {
		cloudLn.Close()
		closeAWS()
		return nil, err
	}
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

// loopbackAddr refuses anything but a loopback address (the sandbox has a
// well-known API key and accepts any AWS credentials) and returns the
// address to listen on; "" picks a free port on 127.0.0.1.
func loopbackAddr(addr, flag string) (string, error) {
	if addr == "" {
		return "127.0.0.1:0", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if _, perr := strconv.ParseUint(port, 10, 16); err != nil || perr != nil {
		return "", fmt.Errorf("%s %q: want host:port with a port number, e.g. 127.0.0.1:0 (0 picks a free port)", flag, addr)
	}
	if host == "" {
		return "127.0.0.1" + addr, nil
	}
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return "", fmt.Errorf("%s %q: the sandbox only listens on loopback (127.0.0.1, ::1 or localhost)", flag, addr)
		}
	}
	return addr, nil
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
