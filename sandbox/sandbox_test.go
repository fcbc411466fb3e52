package sandbox

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// TestStartChecksEverythingBeforeBinding: a bad option is reported as itself
// even when the other address names a port another sandbox holds (binding
// first would report that clash instead).
func TestStartChecksEverythingBeforeBinding(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"cloud address not loopback", Options{CloudAddr: "0.0.0.0:0", AWSAddr: busy.Addr().String()}, "--cloud-addr \"0.0.0.0:0\": the sandbox only listens on loopback"},
		{"aws address not loopback", Options{CloudAddr: busy.Addr().String(), AWSAddr: "192.0.2.1:0"}, "--aws-addr \"192.0.2.1:0\": the sandbox only listens on loopback"},
		{"port not a number", Options{CloudAddr: "127.0.0.1:cloud", AWSAddr: busy.Addr().String()}, "--cloud-addr \"127.0.0.1:cloud\": want host:port"},
		{"event interval zero", Options{CloudAddr: busy.Addr().String(), AWSAddr: busy.Addr().String(), Timings: &cloudemu.Timings{}}, "event_interval"},
		{"aws endpoint not a URL", Options{CloudAddr: busy.Addr().String(), AWSEndpoint: "localhost:4566"}, "--aws-endpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.opts.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v, want it to contain %q", err, tc.want)
			}
			env, err := Start(tc.opts)
			if err == nil {
				_ = env.Close(context.Background())
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Start = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestStartTakesTimingsAsGiven: zero timings reach the Cloud emulator as
// zero; no timings at all give the defaults.
func TestStartTakesTimingsAsGiven(t *testing.T) {
	zero := cloudemu.Timings{EventInterval: time.Hour}
	for _, tc := range []struct {
		given *cloudemu.Timings
		want  cloudemu.Timings
	}{{nil, cloudemu.DefaultTimings}, {&zero, zero}} {
		env, err := Start(Options{Timings: tc.given})
		if err != nil {
			t.Fatal(err)
		}
		got := env.Cloud.Timings()
		_ = env.Close(context.Background())
		if got != tc.want {
			t.Errorf("Start(Timings %v) runs with %+v, want %+v", tc.given, got, tc.want)
		}
	}
}
