// Package cloudapi is crdb-logexport's client for the CockroachDB Cloud API:
// the organization, clusters and the log export endpoints
// (/api/v1/clusters/{id}/logexport), written for this tool instead of
// depending on the Cloud Go SDK.
//
// What it takes care of so callers cannot get it wrong:
//
//   - Errors. Every non-2xx answer is one type, *APIError, carrying the
//     server's message and gRPC code, with IsNotFound, IsRateLimited,
//     IsLocked, IsUnauthenticated and IsPermissionDenied to classify it.
//     Bodies that are not the API's JSON (a proxy's HTML page) still give a
//     readable message. The API key never appears in an error.
//   - Rate limiting. A Limiter shared by all goroutines (and by clients
//     using the same key) spaces requests so bulk work runs at the full 10
//     requests per second without ever exceeding the server's bucket; see
//     Limiter for why.
//   - Retries. Reads are retried on rate limiting, 5xx and network errors,
//     honouring Retry-After; changes only when the server refused them
//     unapplied (rate limit, or the cluster locked by a running job, in
//     which case the change waits for the cluster to be CREATED again).
//     Validation errors, 401 and 403 are never retried. See RetryPolicy.
//   - Pagination. Clusters iterates over every cluster across pages and
//     ListClusters collects them; FindCluster resolves an ID or a name.
//   - "Never configured". LogExport reports a cluster without any log
//     export configuration as Status DISABLED with Configured false, not as
//     an error.
//   - Waiting. Watch polls the export status (fast at first, then gently)
//     and reports every change until the status a Goal waits for, or a
//     failure whose user_message says why.
//   - Debugging. Options.Debug traces every exchange with the key redacted.
//
// Helpers capture the API's rules for log export: which AWS account a
// cluster exports from (Cluster.ExportAccountID), which regions receive
// logs (Cluster.ExportRegions), which channels are exportable
// (ValidateChannels), what a request must satisfy
// (EnableLogExportRequest.Validate), and whether two configurations are
// the same (SpecsEqual), since every POST replaces the whole configuration.
package cloudapi
