// Package tfexport turns a cluster's live log export into Terraform: the
// CloudWatch log group in every destination region, the IAM role with its
// trust policy, its permission policies and their attachments, and the
// cockroach_log_export_config, each with an import block when it exists.
//
// It works in two stages. Read gathers the live state with read-only calls
// (the export spec from the CockroachDB Cloud API, the role auth_principal
// names, the log groups) into a Live value. Build turns a Live into a
// Config: Terraform blocks as data, nothing written yet, so tests can look
// at what was decided. A Config renders to the native syntax with
// HashiCorp's hclwrite (formatted as `terraform fmt` leaves it) or to
// Terraform's JSON syntax; both carry the same blocks and values.
//
// What the output must hold to import cleanly comes from the providers'
// documentation: each resource type's import ID (log group: its name; role:
// its name; policy: its ARN; role policy attachment: role-name/policy-arn;
// inline role policy: role-name:policy-name; cockroach_log_export_config:
// the cluster ID), and every argument whose live value differs from the
// provider's default, so that `terraform plan` after the imports proposes
// no change.
package tfexport
