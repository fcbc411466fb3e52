// Package access is the Cloud API emulator's own IAM policy evaluator. The
// emulator uses it to decide, the way AWS would, whether a cluster's account
// may assume a customer's role (trust policy, external ID) and whether that
// role may write to a CloudWatch log group (identity policies, permissions
// boundary).
//
// It is deliberately independent of the project's doctor evaluator in
// awsiam/: the sandbox checks the tool, so the two must not share a bug.
//
// Supported: string-or-array forms of every field, a single statement object
// or an array of them, Action/NotAction, Resource/NotResource (with the ARN
// matched segment by segment, the resource part as a whole), Principal and
// NotPrincipal ("*", {"AWS": ...} with account IDs, root ARNs or exact ARNs),
// wildcards * and ?, explicit Deny over Allow, and the String* condition
// operators (with the IfExists suffix). Any other condition operator is
// treated as not satisfied: the evaluator never guesses.
package access
