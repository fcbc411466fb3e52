package main

import (
	"net"
	"net/http"
	"net/http/httptest"

	"github.com/rogpeppe/go-internal/testscript"
)

// closedport VAR: set VAR to a loopback address where nothing listens (a
// port the system handed out and that was closed again), for a refused
// connection without depending on a fixed port.
func cmdClosedPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: closedport VAR")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ts.Fatalf("closedport: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		ts.Fatalf("closedport: %v", err)
	}
	ts.Setenv(args[0], addr)
}

// imds VAR: serve an EC2 instance metadata endpoint that refuses every
// request with 403, as one off EC2 behind a proxy does (the SDK then warns
// that it falls back to IMDSv1 and finds no role), and set VAR to its URL.
func cmdIMDS(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: imds VAR")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "Forbidden", http.StatusForbidden)
	}))
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL)
}
