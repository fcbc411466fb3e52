// Package cloudemu is an in-process emulator of the CockroachDB Cloud API
// endpoints crdb-logexport uses: the organization, the cluster list and
// cluster details, and log export (GET, POST and DELETE
// /api/v1/clusters/{id}/logexport). It follows the official OpenAPI
// specification field for field and adds what the real service sends beyond
// it (a Standard cluster's keychain_config).
//
// Enabling log export is real work, as in CockroachDB Cloud: after a delay
// the emulator reads the customer's role, trust policy and permission
// policies through the AWS API of the endpoint it is pointed at (normally
// the sibling awsemu server), decides with its own policy evaluator (package
// access) whether the cluster's account could assume the role and write to
// the log groups in every destination region, and then either writes log
// events into CloudWatch streams named the way CockroachDB Cloud names them
// and keeps writing while enabled, or fails with a user_message worded the
// way AWS words the refusal.
//
// Injected latency and faults, counters, reset and timing controls come from
// package knobs and are served under /_sandbox/.
package cloudemu
