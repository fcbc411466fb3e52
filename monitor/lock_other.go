//go:build !unix

package monitor

import (
	"context"
	"fmt"
	"os"
)

// Lock only creates the state directory where flock(2) does not exist:
// passes of separate processes are not kept apart there.
func (s Store) Lock(ctx context.Context, waiting func(holder string)) (unlock func(), err error) {
	if err := os.MkdirAll(s.Dir, stateDirectoryMode); err != nil {
		return nil, fmt.Errorf("creating the monitor's state directory: %w", err)
	}
	return func() {}, ctx.Err()
}
