package steps

import (
	"errors"
	"fmt"
)

// StepError is how a procedure fails: which step, what went wrong, and what
// to do about it. The command line adds the command that resumes.
type StepError struct {
	// Step is the step that failed; "" when the failure belongs to no
	// step (connecting, or nothing to do): the message is then the cause.
	Step  string
	Cause error
	Fix   string
	// Permanent is false when retrying the same command may succeed
	// without changing anything (throttling, a transient outage).
	Permanent bool
	// Usage is true when the input cannot work for this cluster (a flag
	// value only the cluster can judge): the command line exits 2, and
	// there is nothing to resume.
	Usage bool
}

func (e *StepError) Error() string {
	if e.Step == "" {
		return e.Cause.Error()
	}
	return fmt.Sprintf("%s failed: %v", StepLabel(e.Step), e.Cause)
}

func (e *StepError) Unwrap() error { return e.Cause }

// AsStepError finds the StepError in err's chain.
func AsStepError(err error) (*StepError, bool) {
	var se *StepError
	ok := errors.As(err, &se)
	return se, ok
}

// ErrNotApplicable means CloudWatch export does not apply to the cluster
// (Basic plan, or not on AWS); the message explains why.
var ErrNotApplicable = errors.New("log export to CloudWatch does not apply to this cluster")
