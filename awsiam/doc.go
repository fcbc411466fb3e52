// Package awsiam is crdb-logexport's AWS side: the IAM, STS and CloudWatch
// Logs knowledge that log export needs, with no user interface.
//
// It has three layers:
//
//   - Policy documents: PolicyDocument reads every form IAM accepts (string
//     or array, a lone Statement object, URL-encoded text as GetRole returns
//     it) and writes one canonical JSON form; Equivalent compares meaning,
//     not spelling. TrustPolicy and PermissionPolicy build the two documents
//     log export needs, least privilege.
//   - ARNs: ParseARN and Classify tell a role ARN from the policy, user,
//     instance-profile and session ARNs people paste by mistake, and
//     CheckRoleARN says what to use instead.
//   - Operations: idempotent Inspect*/Ensure* calls for log groups, roles and
//     managed policies, the reads the doctor and export terraform need
//     (RolePolicies, RolesForPolicy, RecentStreams, LogGroupTags) and the
//     deletes rollback needs. They
//     depend on the small IAMAPI, STSAPI and LogsAPI interfaces, which the
//     SDK clients satisfy. Existing resources are verified, never silently
//     changed: EnsureRole reports a different trust policy instead of
//     replacing it. Everything created is tagged managed-by=crdb-logexport.
//
// Errors from AWS are wrapped in *OpError, naming the operation and the
// resource; IsNotFound, IsAccessDenied, IsThrottling and IsAlreadyExists
// look through the wrapping at the AWS error code.
package awsiam
