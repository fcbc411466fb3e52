package shell

import (
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/steps"
)

// pending is a decision of a dialogue waiting for the person: the form it
// is shown as and the value the form sets, or the keys that answer it.
type pending struct {
	ask    AskMsg
	form   *huh.Form
	choice string
	yes    bool
	keys   map[string]string
	// yesNo, for a Choice shown as a yes-or-no, are the options yes and
	// no take.
	yesNo *[2]string
}

// Decide shows a dialogue's Choice or Confirm as a form — the same form in
// the interface and, line by line, in accessible mode, which says note
// first. A Question is the task's own to ask.
func (s *Shell) Decide(a AskMsg, note ...string) tea.Cmd {
	p := &pending{ask: a}
	switch q := a.Decision.(type) {
	case steps.Choice:
		p.form = s.Forms.Choice(q, &p.choice)
	case steps.Confirm:
		p.form = s.Forms.Confirm(q, &p.yes)
	default:
		return nil
	}
	s.pending = p
	return s.SetForm(p.form, note...)
}

// DecideByKeys offers a Choice as keys of a live screen — keys maps a key
// to the option it takes — leaving the screen to keep drawing. Accessible
// mode has no keys: there it is a form like any other.
func (s *Shell) DecideByKeys(a AskMsg, keys map[string]string) tea.Cmd {
	if s.Accessible {
		return s.Decide(a)
	}
	s.pending = &pending{ask: a, keys: keys}
	return nil
}

// DecideAsConfirm shows a Choice as a yes-or-no on one line, where a
// screen has room for no more: c says how (its title and buttons), yes
// and no are the options the buttons take, and keys maps a key to each
// other option. Accessible mode has no keys: there every option is
// offered in a form like any other.
func (s *Shell) DecideAsConfirm(a AskMsg, c steps.Confirm, yes, no string, keys map[string]string) tea.Cmd {
	if s.Accessible {
		return s.Decide(a)
	}
	p := &pending{ask: a, keys: keys, yesNo: &[2]string{yes, no}}
	p.form = s.Forms.Confirm(c, &p.yes)
	s.pending = p
	return s.SetForm(p.form)
}

// Pending is the decision waiting for the person (a steps.Confirm or
// steps.Choice), or nil.
func (s *Shell) Pending() any {
	if s.pending == nil {
		return nil
	}
	return s.pending.ask.Decision
}

// Offers reports whether the pending decision is a Choice offering id.
func (s *Shell) Offers(id string) bool {
	if s.pending == nil {
		return false
	}
	q, ok := s.pending.ask.Decision.(steps.Choice)
	return ok && q.Has(id)
}

// Answered replies to the pending decision with its form's value when msg
// completes that form; it reports whether it did.
func (s *Shell) Answered(msg FormDoneMsg) bool {
	_, ok := s.Answer(msg)
	return ok
}

// Answer is Answered with the answer given: the option's ID, or the bool.
func (s *Shell) Answer(msg FormDoneMsg) (any, bool) {
	p := s.pending
	if p == nil || p.form == nil || msg.Form != p.form {
		return nil, false
	}
	s.pending, s.form = nil, nil
	var v any
	switch p.ask.Decision.(type) {
	case steps.Choice:
		v = p.choice
		if p.yesNo != nil {
			v = p.yesNo[1]
			if p.yes {
				v = p.yesNo[0]
			}
		}
	case steps.Confirm:
		v = p.yes
	}
	p.ask.Reply(v)
	return v, true
}

// Key takes the option a key stands for in the pending decision offered
// by keys; it reports whether key was one of them.
func (s *Shell) Key(key string) bool {
	p := s.pending
	if p == nil || p.keys == nil {
		return false
	}
	id, ok := p.keys[key]
	if !ok || !s.Offers(id) {
		return false
	}
	s.pending = nil
	if p.form != nil && s.form == p.form {
		s.form = nil
	}
	p.ask.Reply(id)
	return true
}

// Reply answers the pending decision with v (an option ID, a bool, or an
// error such as steps.ErrBack); it reports whether one was pending.
func (s *Shell) Reply(v any) bool {
	p := s.pending
	if p == nil {
		return false
	}
	s.pending = nil
	if p.form != nil && s.form == p.form {
		s.form = nil
	}
	p.ask.Reply(v)
	return true
}
