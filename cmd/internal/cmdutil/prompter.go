package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Prompter answers a dialogue's decisions for a command: from its flags
// (--yes confirms; a choice takes the answer its flags give), and, where
// the flags do not answer and a person is at the terminal, with a yes-or-no
// question on the UI stream. Without a terminal, a decision that needs a
// person stops the command with a usage error naming the flag.
type Prompter struct {
	IO  *IOStreams
	Yes bool
	// CanAsk: a person may be asked (a terminal, and no --no-input).
	CanAsk bool
}

// Confirm says yes with --yes, or asks.
func (p Prompter) Confirm(ctx context.Context, q steps.Confirm) (bool, error) {
	if p.Yes || !p.CanAsk {
		return steps.Unattended{Yes: p.Yes}.Confirm(ctx, q)
	}
	return Confirm(p.IO, q.Title)
}

// Choose takes the flags' answer; when that answer confirms a change
// without --yes, it asks first.
func (p Prompter) Choose(ctx context.Context, q steps.Choice) (string, error) {
	c, err := steps.Unattended{Yes: p.Yes}.Choose(ctx, q)
	var ne *steps.NeedsPersonError
	if err == nil || !errors.As(err, &ne) || !p.CanAsk || q.Unattended == "" {
		return c, err
	}
	ok, err := Confirm(p.IO, fmt.Sprintf("%s (%s)", q.Title, q.Label(q.Unattended)))
	switch {
	case err != nil:
		return "", err
	case ok:
		return q.Unattended, nil
	case q.Has(steps.OptQuit):
		return steps.OptQuit, nil
	}
	return "", steps.ErrQuit
}

// Answer keeps the flags' answers.
func (p Prompter) Answer(ctx context.Context, q steps.Question) error {
	return steps.Unattended{Yes: p.Yes}.Answer(ctx, q)
}

// Ended turns how a dialogue ended into the command's exit: nothing for
// an end reached, the failure report (step, cause, fix, resume; result in
// JSON too) for a failure, a usage error for a decision nobody could make,
// the interruption or timeout, or 130 for a change the person declined.
func Ended(ctx context.Context, ios *IOStreams, jsonOut bool, end steps.End, resume string, timeout time.Duration, result any) error {
	var ne *steps.NeedsPersonError
	switch {
	case errors.As(end.Err, &ne):
		return UsageError("%s", ne.Error())
	case ctx.Err() != nil:
		err := end.Err
		if err == nil {
			err = ctx.Err()
		}
		return Failure(ios, jsonOut, err, resume, timeout, result)
	case end.Ending == steps.Failed:
		return Failure(ios, jsonOut, end.Err, resume, timeout, result)
	case end.Ending == steps.Stopped:
		return Aborted(ios)
	}
	return nil
}
