package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
)

// RollbackOptions choose what to remove.
type RollbackOptions struct {
	// RunID limits the rollback to one run's resources (the wizard's "roll
	// back" after a failure); "" means everything the tool ever created for
	// the cluster (`disable --cleanup`).
	RunID string
	// DeleteLogGroups also removes log groups the tool created. They hold
	// the exported logs, so this is never the default.
	DeleteLogGroups bool
}

// RollbackResult says what was removed and what was left, and why.
type RollbackResult struct {
	Removed []string `json:"removed"`
	Kept    []string `json:"kept"`
}

// Rollback removes resources the journal says this tool created — and
// nothing else — newest first: attachments, then policies, then roles, then
// (only when asked) log groups. Each removal is recorded at once, so an
// interrupted rollback can be rerun.
func Rollback(ctx context.Context, env *Env, clusterID string, opts RollbackOptions) (RollbackResult, error) {
	res := RollbackResult{Removed: []string{}, Kept: []string{}}
	j, err := env.Journals.Open(clusterID, "")
	if err != nil {
		return res, err
	}
	owned := j.CreatedIn(opts.RunID)
	var errs []error
	for _, kind := range []string{KindAttachment, KindPolicy, KindRole, KindLogGroup} {
		for _, r := range owned {
			if r.Kind != kind {
				continue
			}
			label, err := removeOne(ctx, env, j, r, opts)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("%s: %w", label, err))
				res.Kept = append(res.Kept, label+" (removal failed: "+err.Error()+")")
			case label == "":
			default:
				res.Removed = append(res.Removed, label)
			}
			if kind == KindLogGroup && !opts.DeleteLogGroups {
				res.Kept = append(res.Kept, fmt.Sprintf("log group %s in %s (it holds the exported logs; remove with --delete-log-group)", r.ID, r.Region))
			}
		}
	}
	return res, errors.Join(errs...)
}

// removeOne deletes one resource and forgets it; it returns "" for a
// resource it deliberately keeps.
func removeOne(ctx context.Context, env *Env, j *Journal, r Resource, opts RollbackOptions) (string, error) {
	switch r.Kind {
	case KindAttachment:
		role, policy, _ := strings.Cut(r.ID, "|")
		label := "attachment of " + policy + " to " + role
		if err := awsiam.DetachPolicy(ctx, env.AWS.IAM, role, policy); err != nil {
			return label, err
		}
		return label, j.Forget(r.Kind, r.ID, r.Region)
	case KindPolicy:
		label := "policy " + r.ID
		if err := awsiam.DeletePolicy(ctx, env.AWS.IAM, r.ID); err != nil {
			return label, err
		}
		return label, j.Forget(r.Kind, r.ID, r.Region)
	case KindRole:
		label := "role " + r.ID
		arn, err := awsiam.ParseARN(r.ID)
		if err != nil {
			return label, err
		}
		if err := awsiam.DeleteRole(ctx, env.AWS.IAM, arn.Name, ownedPolicies(j)); err != nil {
			return label, err
		}
		return label, j.Forget(r.Kind, r.ID, r.Region)
	case KindLogGroup:
		if !opts.DeleteLogGroups {
			return "", nil
		}
		label := "log group " + r.ID + " in " + r.Region
		if err := awsiam.DeleteLogGroup(ctx, env.AWS.LogsFor(r.Region), r.ID); err != nil {
			return label, err
		}
		return label, j.Forget(r.Kind, r.ID, r.Region)
	}
	return "", fmt.Errorf("unknown resource kind %q in the journal", r.Kind)
}

// ownedPolicies are the policy ARNs the tool attached, which deleting a
// role it created may detach.
func ownedPolicies(j *Journal) []string {
	var out []string
	for _, r := range j.CreatedIn("") {
		switch r.Kind {
		case KindPolicy:
			out = append(out, r.ID)
		case KindAttachment:
			_, policy, _ := strings.Cut(r.ID, "|")
			out = append(out, policy)
		}
	}
	return out
}
