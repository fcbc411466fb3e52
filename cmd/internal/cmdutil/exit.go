package cmdutil

import (
	"context"
	"errors"
	"fmt"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// Exit codes are part of the command-line contract (README "Exit codes").
const (
	ExitOK       = 0
	ExitFailure  = 1
	ExitUsage    = 2
	ExitFindings = 3
	ExitTimeout  = 124
	ExitAborted  = 130
)

// ExitError carries the exit code a failure should end the program with.
// Err is shown to the user; a nil Err exits silently (the command already
// said everything).
type ExitError struct {
	Code int
	Err  error
	// changes marks --detailed-exitcode's "the plan has changes" (see
	// IsChanges), which shares status 2 with usage errors.
	changes bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// UsageError reports bad or missing flags: exit status 2.
func UsageError(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// Silent ends the program with code after the command has reported the
// outcome itself.
func Silent(code int) error { return &ExitError{Code: code} }

// ExitCode maps an error returned by a command to the process exit status.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if errors.Is(err, context.Canceled) {
		return ExitAborted
	}
	if RunTimedOut(err) {
		return ExitTimeout
	}
	return ExitFailure
}

// RunTimedOut reports whether the run's own deadline (--timeout) ended it.
// A single call that went unanswered past --request-timeout also carries
// a deadline in its error, but it is a failure that names the call.
func RunTimedOut(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) && !awsiam.IsTimeout(err) && !cloudapi.IsAttemptTimeout(err)
}
