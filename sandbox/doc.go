// Package sandbox runs the two emulators that stand in for CockroachDB Cloud
// and AWS: the Cloud API emulator (cloudemu) and the AWS emulator (awsemu),
// on loopback listeners, wired so that enabling log export in the Cloud
// emulator does its real work through the AWS endpoint. `sandbox serve`,
// `demo` and end-to-end tests use it.
//
// The sandbox imports none of the tool's own packages: it is an independent
// implementation of both APIs, which is what makes it a useful test of them.
package sandbox
