package steps

import (
	"context"
	"errors"
	"fmt"
)

// RollbackOptions choose what to remove.
type RollbackOptions struct {
	// RunID limits the rollback to one run's resources (the wizard's "roll
	// back" after a failure); "" means everything the journal records for
	// the cluster.
	RunID string
	// DeleteLogGroups also removes log groups the tool created that hold
	// logs. They hold the exported logs, so this is never the default; a
	// group that holds none is removed either way.
	DeleteLogGroups bool
}

// RollbackResult says what was removed and what was left, and why.
type RollbackResult struct {
	Removed []string `json:"removed"`
	Kept    []string `json:"kept"`
}

// Rollback removes what the journal says a run of this tool created — and
// whose live tags still say so — newest first: attachments, then policies,
// then roles, then log groups (with logs only when asked). Each removal is
// recorded at once, so an interrupted rollback can be rerun.
func Rollback(ctx context.Context, env *Env, clusterID string, opts RollbackOptions) (RollbackResult, error) {
	res := RollbackResult{Removed: []string{}, Kept: []string{}}
	if waited, err := env.HoldCluster(ctx, clusterID); err != nil {
		return res, err
	} else if waited {
		return res, errReplan(clusterID)
	}
	j, err := env.openJournal(clusterID, "")
	if err != nil {
		return res, err
	}
	owned := j.CreatedIn(opts.RunID)
	var errs []error
	for _, kind := range cleanupOrder {
		for _, r := range owned {
			if r.Kind != kind {
				continue
			}
			label, kept, err := removeOne(ctx, env, j, clusterID, r, opts)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("%s: %w", label, err))
				res.Kept = append(res.Kept, label+" (removal failed: "+err.Error()+")")
			case kept != "":
				res.Kept = append(res.Kept, label+" ("+kept+")")
			default:
				res.Removed = append(res.Removed, label)
			}
		}
	}
	return res, errors.Join(errs...)
}
