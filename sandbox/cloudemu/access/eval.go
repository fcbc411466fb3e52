package access

import (
	"regexp"
	"strings"
	"sync"
)

// Decision is the outcome of evaluating policies for one request.
type Decision int

const (
	// ImplicitDeny: no statement allows the request.
	ImplicitDeny Decision = iota
	// Allow: some statement allows it and none denies it.
	Allow
	// ExplicitDeny: a matching Deny statement; it wins over any Allow.
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	default:
		return "ImplicitDeny"
	}
}

// Caller identifies who makes a request, for resource-based policies such as
// a role's trust policy.
type Caller struct {
	// ARN is the caller's IAM ARN, e.g. arn:aws:iam::123456789012:role/x.
	ARN string
	// Account is the caller's 12-digit account ID.
	Account string
}

// Request is one action on one resource.
type Request struct {
	// Caller is nil when evaluating identity-based policies (the policies of
	// the principal making the call, which carry no Principal element) and
	// set when evaluating a resource-based policy, whose statements apply
	// only to the principals they name.
	Caller   *Caller
	Action   string
	Resource string
	// Context holds condition keys (case-insensitive), e.g. "sts:ExternalId".
	// A key absent from the map is absent from the request.
	Context map[string]string
}

// Evaluate combines policies the way IAM combines the statements of one
// policy type: an explicit Deny anywhere wins, otherwise any Allow allows.
func Evaluate(req Request, policies ...*Policy) Decision {
	allowed := false
	for _, p := range policies {
		if p == nil {
			continue
		}
		for i := range p.Statements {
			st := &p.Statements[i]
			if !st.applies(req) {
				continue
			}
			if st.Effect == "Deny" {
				return ExplicitDeny
			}
			allowed = true
		}
	}
	if allowed {
		return Allow
	}
	return ImplicitDeny
}

func (st *Statement) applies(req Request) bool {
	if !st.matchesPrincipal(req.Caller) {
		return false
	}
	if st.Action != nil && !anyMatch(st.Action, req.Action, matchAction) {
		return false
	}
	if st.NotAction != nil && anyMatch(st.NotAction, req.Action, matchAction) {
		return false
	}
	// A statement without Resource/NotResource is how trust policies are
	// written: the resource is the role that carries the policy.
	if st.Resource != nil && !anyMatch(st.Resource, req.Resource, MatchResource) {
		return false
	}
	if st.NotResource != nil && anyMatch(st.NotResource, req.Resource, MatchResource) {
		return false
	}
	for _, c := range st.Conditions {
		if !c.satisfied(req.Context) {
			return false
		}
	}
	return true
}

func (st *Statement) matchesPrincipal(c *Caller) bool {
	if c == nil {
		// Identity-based policies name no principal; a statement that does
		// belongs to a resource policy and says nothing about the caller's
		// own permissions.
		return st.Principal == nil && st.NotPrincipal == nil
	}
	switch {
	case st.Principal != nil:
		return st.Principal.matches(c)
	case st.NotPrincipal != nil:
		return !st.NotPrincipal.matches(c)
	default:
		return false
	}
}

var accountID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d{12}$`) })

func (p *Principals) matches(c *Caller) bool {
	if p.Any {
		return true
	}
	for _, v := range p.ByType["AWS"] {
		switch {
		case accountID().MatchString(v):
			if v == c.Account {
				return true
			}
		case v == "arn:aws:iam::"+c.Account+":root":
			return true
		case v == c.ARN:
			return true
		}
	}
	return false
}

func anyMatch(patterns []string, value string, match func(pattern, value string) bool) bool {
	for _, p := range patterns {
		if match(p, value) {
			return true
		}
	}
	return false
}

// matchAction compares "service:Action" names case-insensitively, with
// wildcards.
func matchAction(pattern, action string) bool {
	return Glob(strings.ToLower(pattern), strings.ToLower(action))
}

// MatchResource matches an ARN pattern against an ARN the way IAM does: the
// partition, service, region and account segments one by one, and the
// resource part (everything after the fifth colon, colons included) as a
// whole. "*" alone matches every resource.
func MatchResource(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	pp := strings.SplitN(pattern, ":", 6)
	vp := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(vp) != 6 {
		return Glob(pattern, arn)
	}
	for i := range pp {
		if !Glob(pp[i], vp[i]) {
			return false
		}
	}
	return true
}

// Glob reports whether s matches pattern, where * matches any run of
// characters (including none) and ? exactly one.
func Glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// satisfied evaluates one condition. Values of one key are ORed; the caller
// ANDs conditions. Operators this evaluator does not know are not satisfied.
func (c Condition) satisfied(ctx map[string]string) bool {
	op := c.Operator
	ifExists := strings.HasSuffix(op, "IfExists")
	op = strings.TrimSuffix(op, "IfExists")
	val, present := lookup(ctx, c.Key)

	var eq func(pattern, v string) bool
	negated := false
	switch op {
	case "StringEquals":
		eq = func(p, v string) bool { return p == v }
	case "StringNotEquals":
		eq, negated = func(p, v string) bool { return p == v }, true
	case "StringEqualsIgnoreCase":
		eq = strings.EqualFold
	case "StringNotEqualsIgnoreCase":
		eq, negated = strings.EqualFold, true
	case "StringLike":
		eq = Glob
	case "StringNotLike":
		eq, negated = Glob, true
	default:
		return false
	}
	if !present {
		// IAM: a missing key fails a positive operator and satisfies a
		// negated one; IfExists makes a missing key satisfy either.
		return ifExists || negated
	}
	matched := false
	for _, want := range c.Values {
		if eq(want, val) {
			matched = true
			break
		}
	}
	return matched != negated
}

func lookup(ctx map[string]string, key string) (string, bool) {
	if v, ok := ctx[key]; ok {
		return v, true
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}
