package monitor

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// box is one sandbox (Cloud, AWS and the webhook receiver) with the clients
// a monitor uses, and a state directory of its own.
type box struct {
	t     *testing.T
	ctx   context.Context
	sb    *sandbox.Env
	env   *steps.Env
	iam   *iam.Client
	store Store
	slack *Destination
	hook  *Destination
}

// newBox starts a sandbox whose enabled exports write their first events
// at once and then stay quiet: what a test breaks stays broken until the
// test repairs it.
func newBox(t *testing.T) *box {
	t.Helper()
	t.Parallel()
	sb, err := sandbox.Start(sandbox.Options{Timings: &cloudemu.Timings{
		EnableAfter:    100 * time.Millisecond,
		DisableAfter:   100 * time.Millisecond,
		IAMPropagation: time.Nanosecond,
		EventInterval:  time.Hour,
	}})
	if err != nil {
		t.Fatal(err)
	}
	transport := &http.Transport{}
	t.Cleanup(func() {
		transport.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = sb.Close(ctx)
	})
	cloud, err := cloudapi.New(cloudapi.Options{BaseURL: sb.CloudURL, APIKey: sb.APIKey,
		HTTPClient: &http.Client{Transport: transport, Timeout: 30 * time.Second},
		Retry:      cloudapi.RetryPolicy{BaseDelay: 10 * time.Millisecond, LockPoll: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(sb.AWSURL),
		Credentials:  credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, ""),
		HTTPClient:   &http.Client{Transport: transport},
	}
	awsiam.NewPacer().Install(&cfg)
	dir := t.TempDir()
	env := &steps.Env{Cloud: cloud, AWS: awsiam.NewClients(cfg), Journals: steps.JournalStore{Dir: dir}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	b := &box{t: t, ctx: ctx, sb: sb, env: env, iam: iam.NewFromConfig(cfg), store: NewStore(dir)}
	b.slack = b.destination(KindSlack, sb.HooksURL+sandbox.SlackWebhookPath)
	b.hook = b.destination(KindWebhook, sb.HooksURL+sandbox.GenericWebhookPath)
	return b
}

func (b *box) destination(kind, url string) *Destination {
	b.t.Helper()
	d, err := NewDestination(kind, url)
	if err != nil {
		b.t.Fatal(err)
	}
	return d
}

// setup enables the export of a cluster, as `setup --yes` does.
func (b *box) setup(cluster string) {
	b.t.Helper()
	plan, err := steps.PrepareSetup(b.ctx, b.env, steps.SetupInput{Cluster: cluster, ExternalID: steps.ExternalIDAuto})
	if err != nil {
		b.t.Fatalf("setup %s: %v", cluster, err)
	}
	res, err := steps.ApplySetup(b.ctx, b.env, plan, steps.SetupOptions{
		Watch:         cloudapi.WatchOptions{Schedule: func(time.Duration) time.Duration { return 20 * time.Millisecond }},
		StreamTimeout: 5 * time.Second,
	}, nil)
	if err != nil || res.Status != cloudapi.StatusEnabled {
		b.t.Fatalf("setup %s: %v (%+v)", cluster, err, res)
	}
}

// config is a monitor of the named clusters notifying both receivers,
// with the sender's waits shortened.
func (b *box) config(clusters ...string) Config {
	return Config{
		Env: b.env, Store: b.store, Clusters: clusters, Once: true,
		Destinations: []*Destination{b.slack, b.hook},
		Sender:       NewSender(SendPolicy{BaseDelay: 10 * time.Millisecond, SlackPerSecond: 1000}, "test"),
	}
}

func (b *box) monitor(cfg Config) *Monitor {
	b.t.Helper()
	m, err := New(cfg)
	if err != nil {
		b.t.Fatal(err)
	}
	return m
}

func (b *box) pass(m *Monitor) *PassResult {
	b.t.Helper()
	res := m.Pass(b.ctx)
	if res.Err != nil {
		b.t.Fatalf("pass %d failed: %v", res.Number, res.Err)
	}
	return res
}

// accepted lists the notifications the receiver accepted, per kind, with
// their bodies decoded.
func (b *box) accepted(kind string) []map[string]any {
	b.t.Helper()
	var out []map[string]any
	for _, r := range b.sb.Hooks.Requests() {
		if r.Kind != kind || !r.Accepted {
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal(r.Body, &doc); err != nil {
			b.t.Fatalf("an accepted %s body is not JSON: %s", kind, r.Body)
		}
		out = append(out, doc)
	}
	return out
}

// events lists the webhook documents' events, in arrival order.
func (b *box) events() []string {
	var out []string
	for _, d := range b.accepted(KindWebhook) {
		ev, _ := d["event"].(string)
		if d["update"] == true {
			ev += "(update)"
		}
		out = append(out, ev)
	}
	return out
}

func (b *box) deleteRole(name string) {
	b.t.Helper()
	ctx := b.ctx
	attached, err := b.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	if err != nil {
		b.t.Fatal(err)
	}
	for _, p := range attached.AttachedPolicies {
		if _, err := b.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: p.PolicyArn}); err != nil {
			b.t.Fatal(err)
		}
	}
	if _, err := b.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}); err != nil {
		b.t.Fatal(err)
	}
}

func (b *box) detachPolicies(role string) {
	b.t.Helper()
	attached, err := b.iam.ListAttachedRolePolicies(b.ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		b.t.Fatal(err)
	}
	for _, p := range attached.AttachedPolicies {
		if _, err := b.iam.DetachRolePolicy(b.ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(role), PolicyArn: p.PolicyArn}); err != nil {
			b.t.Fatal(err)
		}
	}
}

// check returns the pass's check of a cluster by name.
func check(t *testing.T, res *PassResult, name string) Check {
	t.Helper()
	for _, c := range res.Checks {
		if c.ClusterName == name {
			return c
		}
	}
	t.Fatalf("pass %d has no check of %s: %+v", res.Number, name, res.Checks)
	return Check{}
}

func eventNames(evs []Event) string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Event)
	}
	return strings.Join(out, " ")
}
