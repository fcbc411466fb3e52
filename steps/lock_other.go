//go:build !unix

package steps

import "os"

// Without flock the lock is advisory only within this process: the tool is
// built and tested on Unix.
func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) error { return nil }

func lockFile(string) (func(), error) { return func() {}, nil }
