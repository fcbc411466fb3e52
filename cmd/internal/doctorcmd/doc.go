// Package doctorcmd implements `crdb-logexport doctor`: the checks of
// PRODUCT.md §5 for one cluster's CloudWatch log export, printed grouped by
// severity with their evidence and fix, and with --fix the repairs, each
// shown as a diff and applied only after confirmation.
package doctorcmd
