package awsiam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Decision is the outcome of evaluating one request against a role's
// policies.
type Decision int

// Decisions. The zero value is ImplicitDeny, IAM's default.
const (
	// ImplicitDeny: nothing allows the request (or the boundary does not).
	ImplicitDeny Decision = iota
	// Allowed: an identity policy allows it, the boundary (if any) allows
	// it, and nothing denies it.
	Allowed
	// ExplicitDeny: a Deny statement applies; nothing can override it.
	ExplicitDeny
	// Undecided: the outcome depends on a statement whose Condition (or
	// policy variable) cannot be decided before the request is made.
	Undecided
)

// String returns the stable name used in doctor output.
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case ImplicitDeny:
		return "implicit-deny"
	case ExplicitDeny:
		return "explicit-deny"
	case Undecided:
		return "undecided"
	}
	return fmt.Sprintf("decision(%d)", int(d))
}

// MarshalText writes the String form, so JSON output carries names rather
// than numbers that would change meaning if the constants were reordered.
func (d Decision) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Policy source kinds.
const (
	SourceManaged  = "managed"
	SourceInline   = "inline"
	SourceBoundary = "boundary"
	// SourceTrust labels the statements EvaluateTrust reports.
	SourceTrust = "trust"
)

// PolicySource is one policy that shapes what a role may do.
type PolicySource struct {
	Kind     string // SourceManaged, SourceInline or SourceBoundary
	Name     string
	ARN      string // managed policies and boundaries
	Document *PolicyDocument
}

// String names the policy as a person would look for it in the console:
// "managed policy CockroachCloudLogExportPolicy".
func (s PolicySource) String() string {
	name := s.Name
	if name == "" {
		name = s.ARN
	}
	if name == "" {
		name = "(unnamed)"
	}
	switch s.Kind {
	case SourceManaged:
		return "managed policy " + name
	case SourceInline:
		return "inline policy " + name
	case SourceBoundary:
		return "permissions boundary " + name
	case SourceTrust:
		return "the trust policy"
	}
	return "policy " + name
}

// StatementRef identifies the statement that decided an evaluation, with its
// text for quoting as evidence.
type StatementRef struct {
	// Source is the policy, without its Document.
	Source PolicySource
	// Index is the statement's position in the document's Statement list,
	// from 0; -1 stands for a whole policy whose document is not available.
	Index int
	Sid   string
	// JSON is the statement alone, in canonical compact JSON.
	JSON string
}

// String reads "Statement[2] (Sid "DenyLogs") of inline policy Guardrails".
func (r StatementRef) String() string {
	if r.Index < 0 {
		return r.Source.String()
	}
	s := fmt.Sprintf("Statement[%d]", r.Index)
	if r.Sid != "" {
		s += fmt.Sprintf(" (Sid %q)", r.Sid)
	}
	return s + " of " + r.Source.String()
}

// Request is one action on one resource. Context holds the condition keys
// whose values are known (aws:RequestedRegion, …); a key not in it is
// treated as unknown, not as absent, so conditions on it are undecided.
type Request struct {
	Action   string
	Resource string
	Context  map[string]string
}

// Evaluation is the decision for one request and the evidence for it.
type Evaluation struct {
	Request  Request
	Decision Decision
	// DecidedBy: the Deny statements that apply (ExplicitDeny); the Allow
	// statements that allow, identity and boundary (Allowed); the statements
	// that could not be decided (Undecided); empty for ImplicitDeny.
	DecidedBy []StatementRef
	// Reason is one sentence for a person.
	Reason string
}

// evHit is a statement that applies, or might.
type evHit struct {
	ref StatementRef
	why string // for undecided statements
}

type evTally struct {
	denies, maybeDenies []evHit
	allows, maybeAllows []evHit
	boundaryAllows      []evHit
	boundaryMaybeAllows []evHit
	boundaryPresent     bool
	boundary            PolicySource
	requestDescribed    string
}

// Evaluate decides one request the way IAM does within a single account: an
// explicit Deny in any identity policy or in the permissions boundary wins;
// otherwise an Allow in an identity policy (managed or inline) is needed,
// and, when there is a boundary, an Allow in the boundary too (a boundary
// limits, it never grants). Resource-based policies, SCPs and session
// policies are not visible from the role and are not considered.
//
// Statements whose outcome cannot be known (a condition on aws:SourceIp, a
// key missing from req.Context, an operator not decided here) make the
// decision Undecided only when the outcome depends on them: an undecidable
// Deny matters only if the request would otherwise be allowed, an
// undecidable Allow only if nothing else allows it.
func Evaluate(identity []PolicySource, boundary *PolicySource, req Request) Evaluation {
	ctx := newEvContext(req.Context)
	t := evTally{requestDescribed: req.Action + " on " + req.Resource}
	for _, src := range identity {
		t.add(src, false, req, ctx)
	}
	if boundary != nil {
		t.boundaryPresent = true
		t.boundary = evWithoutDocument(*boundary)
		t.add(*boundary, true, req, ctx)
	}
	ev := t.decide()
	ev.Request = req
	return ev
}

// EvaluateAll evaluates each request in order.
func EvaluateAll(identity []PolicySource, boundary *PolicySource, reqs []Request) []Evaluation {
	out := make([]Evaluation, len(reqs))
	for i, r := range reqs {
		out[i] = Evaluate(identity, boundary, r)
	}
	return out
}

// SourcesFrom converts what RolePolicies returns into the arguments of
// Evaluate.
func SourcesFrom(set RolePolicySet) ([]PolicySource, *PolicySource) {
	var identity []PolicySource
	for _, mp := range set.Attached {
		identity = append(identity, PolicySource{Kind: SourceManaged, Name: mp.Name, ARN: mp.ARN, Document: mp.Document})
	}
	for _, ip := range set.Inline {
		identity = append(identity, PolicySource{Kind: SourceInline, Name: ip.Name, Document: ip.Document})
	}
	var boundary *PolicySource
	if b := set.Boundary; b != nil {
		boundary = &PolicySource{Kind: SourceBoundary, Name: b.Name, ARN: b.ARN, Document: b.Document}
	}
	return identity, boundary
}

func evWithoutDocument(s PolicySource) PolicySource {
	s.Document = nil
	return s
}

func (t *evTally) add(src PolicySource, isBoundary bool, req Request, ctx *evContext) {
	if src.Document == nil {
		// A policy that could not be read might allow or deny anything.
		h := evHit{ref: StatementRef{Source: evWithoutDocument(src), Index: -1}, why: "its document is not available"}
		t.maybeDenies = append(t.maybeDenies, h)
		if isBoundary {
			t.boundaryMaybeAllows = append(t.boundaryMaybeAllows, h)
		} else {
			t.maybeAllows = append(t.maybeAllows, h)
		}
		return
	}
	vars := src.Document.Version == PolicyVersion
	for i := range src.Document.Statement {
		st := &src.Document.Statement[i]
		out := evIdentityStatement(st, req, vars, ctx)
		if out.v == evNo {
			continue
		}
		h := evHit{ref: evRef(src, i, st), why: out.why}
		sure := out.v == evYes
		switch {
		case st.Effect == EffectDeny && sure:
			t.denies = append(t.denies, h)
		case st.Effect == EffectDeny:
			t.maybeDenies = append(t.maybeDenies, h)
		case isBoundary && sure:
			t.boundaryAllows = append(t.boundaryAllows, h)
		case isBoundary:
			t.boundaryMaybeAllows = append(t.boundaryMaybeAllows, h)
		case sure:
			t.allows = append(t.allows, h)
		default:
			t.maybeAllows = append(t.maybeAllows, h)
		}
	}
}

// evIdentityStatement decides whether one statement of an identity policy or
// boundary applies to the request.
func evIdentityStatement(st *Statement, req Request, vars bool, ctx *evContext) evOutcome {
	if !evStatementAction(st, req.Action) {
		return evNoOutcome
	}
	if st.Principal != nil || st.NotPrincipal != nil {
		return evUnknownf("it names a Principal, which IAM does not accept in an identity policy")
	}
	if st.Resource == nil && st.NotResource == nil {
		return evUnknownf("it has neither Resource nor NotResource, which IAM does not accept in an identity policy")
	}
	res := evStatementResource(st, req.Resource, vars, ctx)
	if res.v == evNo {
		return evNoOutcome
	}
	return evAnd(res, evCondition(st.Condition, vars, ctx))
}

func (t *evTally) decide() Evaluation {
	if len(t.denies) > 0 {
		return Evaluation{
			Decision:  ExplicitDeny,
			DecidedBy: evRefs(t.denies),
			Reason:    "explicitly denied by " + t.denies[0].ref.String(),
		}
	}
	if len(t.allows) == 0 && len(t.maybeAllows) == 0 {
		return Evaluation{Decision: ImplicitDeny, Reason: "no statement allows " + t.requestDescribed}
	}
	if t.boundaryPresent && len(t.boundaryAllows) == 0 && len(t.boundaryMaybeAllows) == 0 {
		return Evaluation{Decision: ImplicitDeny, Reason: t.boundary.String() + " does not allow " + t.requestDescribed}
	}
	boundaryOK := !t.boundaryPresent || len(t.boundaryAllows) > 0
	if len(t.allows) > 0 && boundaryOK && len(t.maybeDenies) == 0 {
		reason := "allowed by " + t.allows[0].ref.String()
		if t.boundaryPresent {
			reason += ", within " + t.boundary.String()
		}
		return Evaluation{Decision: Allowed, DecidedBy: evRefs(append(append([]evHit(nil), t.allows...), t.boundaryAllows...)), Reason: reason}
	}
	var pending []evHit
	if len(t.allows) == 0 {
		pending = append(pending, t.maybeAllows...)
	}
	if !boundaryOK {
		pending = append(pending, t.boundaryMaybeAllows...)
	}
	// A possible Deny is listed last: it matters only once an Allow is
	// possible, which is what the Allow entries establish.
	pending = append(pending, t.maybeDenies...)
	first := pending[0]
	verb := "might allow"
	if len(pending) == len(t.maybeDenies) {
		verb = "might deny"
	}
	return Evaluation{
		Decision:  Undecided,
		DecidedBy: evRefs(pending),
		Reason:    fmt.Sprintf("cannot decide %s: %s %s it, but %s", t.requestDescribed, first.ref, verb, first.why),
	}
}

func evRefs(hits []evHit) []StatementRef {
	out := make([]StatementRef, len(hits))
	for i, h := range hits {
		out[i] = h.ref
	}
	return out
}

func evRef(src PolicySource, i int, st *Statement) StatementRef {
	return StatementRef{Source: evWithoutDocument(src), Index: i, Sid: st.Sid, JSON: evStatementJSON(st)}
}

// evStatementJSON renders one statement in the canonical form PolicyDocument
// uses (sorted lists, a single value as a string), without HTML escaping so
// ARNs and condition values read as written.
func evStatementJSON(st *Statement) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// Strings, slices and maps of strings cannot fail to encode.
	_ = enc.Encode(st)
	return strings.TrimRight(buf.String(), "\n")
}
