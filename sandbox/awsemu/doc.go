// Package awsemu is the sandbox's AWS emulator: one http.Handler that answers
// IAM and STS in the AWS query protocol and CloudWatch Logs in AWS JSON 1.1,
// closely enough that aws-sdk-go-v2 and the aws CLI, pointed at it with an
// endpoint override, behave as they do against AWS — including typed errors,
// URL-encoded policy documents and per-region log groups.
//
// It is written independently of the project's AWS code (it imports only the
// shared sandbox/knobs controls), so a misunderstanding of AWS in one cannot
// hide in the other. Signatures are not verified: the SigV4 Authorization
// header is read only for its credential scope (region and service).
package awsemu
