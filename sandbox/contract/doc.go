// Package contract is test support: it checks HTTP exchanges against the
// official CockroachDB Cloud OpenAPI specification. Wrap a handler (the Cloud
// API emulator, or any fake) and every request and response that passes
// through is validated with kin-openapi; a violation fails the test with the
// method, the path and the validation error.
//
// The specification is read from $CRDB_LOGEXPORT_OPENAPI, or found by walking
// up from the working directory to a directory holding
// shared/reference/openapi.json (the repository's ../shared). Without it the
// test is skipped, except under CI=true where that is a failure.
package contract
