package awsiam

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// evFamily is how an operator compares a request value with policy values.
type evFamily int8

const (
	evString evFamily = iota
	evStringFold
	evStringLike
	evARN
	evBool
	evNull
	evNumEq
	evNumLT
	evNumLE
	evNumGT
	evNumGE
	evIP
	// evUnsupported: a real operator (Date…, Binary…) this evaluator does not
	// decide; statements using it are reported as undecided.
	evUnsupported
)

type evOperatorKind struct {
	family evFamily
	// negated operators (StringNotEquals, NotIpAddress, …) hold when the
	// request value matches none of the policy values, and when the key is
	// absent.
	negated bool
}

// evOperators maps lower-cased base operator names (without ForAnyValue:,
// ForAllValues: and IfExists) to how they compare.
var evOperators = map[string]evOperatorKind{
	"stringequals":              {evString, false},
	"stringnotequals":           {evString, true},
	"stringequalsignorecase":    {evStringFold, false},
	"stringnotequalsignorecase": {evStringFold, true},
	"stringlike":                {evStringLike, false},
	"stringnotlike":             {evStringLike, true},
	"arnequals":                 {evARN, false},
	"arnlike":                   {evARN, false},
	"arnnotequals":              {evARN, true},
	"arnnotlike":                {evARN, true},
	"bool":                      {evBool, false},
	"null":                      {evNull, false},
	"numericequals":             {evNumEq, false},
	"numericnotequals":          {evNumEq, true},
	"numericlessthan":           {evNumLT, false},
	"numericlessthanequals":     {evNumLE, false},
	"numericgreaterthan":        {evNumGT, false},
	"numericgreaterthanequals":  {evNumGE, false},
	"ipaddress":                 {evIP, false},
	"notipaddress":              {evIP, true},
	"dateequals":                {evUnsupported, false},
	"datenotequals":             {evUnsupported, true},
	"datelessthan":              {evUnsupported, false},
	"datelessthanequals":        {evUnsupported, false},
	"dategreaterthan":           {evUnsupported, false},
	"dategreaterthanequals":     {evUnsupported, false},
	"binaryequals":              {evUnsupported, false},
}

// evOperator is a parsed condition operator such as
// "ForAnyValue:StringLikeIfExists".
type evOperator struct {
	name     string // as written, for messages
	set      string // "", "foranyvalue" or "forallvalues"
	ifExists bool
	kind     evOperatorKind
	known    bool
}

func evParseOperator(name string) evOperator {
	op := evOperator{name: name}
	base := strings.ToLower(name)
	for _, set := range []string{"foranyvalue:", "forallvalues:"} {
		if rest, ok := strings.CutPrefix(base, set); ok {
			op.set, base = strings.TrimSuffix(set, ":"), rest
			break
		}
	}
	// "Null" has no IfExists form: the suffix would contradict it.
	if rest, ok := strings.CutSuffix(base, "ifexists"); ok && rest != "null" {
		op.ifExists, base = true, rest
	}
	op.kind, op.known = evOperators[base]
	return op
}

// evCondition decides a Condition element: every operator and every key must
// hold (AND); within a key, any one value may match (OR), or, for negated
// operators, none may. Operators and keys are visited in sorted order so the
// reported reason is the same every time.
func evCondition(cond Condition, vars bool, ctx *evContext) evOutcome {
	ops := make([]string, 0, len(cond))
	for op := range cond {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var parts []evOutcome
	for _, name := range ops {
		op := evParseOperator(name)
		keys := make([]string, 0, len(cond[name]))
		for k := range cond[name] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			r := evConditionKey(op, k, cond[name][k], vars, ctx)
			if r.v == evNo {
				return evNoOutcome
			}
			parts = append(parts, r)
		}
	}
	return evAnd(parts...)
}

func evConditionKey(op evOperator, key string, values StringList, vars bool, ctx *evContext) evOutcome {
	if !op.known {
		return evUnknownf("its condition operator %s is not one IAM defines", op.name)
	}
	if op.kind.family == evUnsupported {
		return evUnknownf("its %s condition on %s is not one this tool decides", op.name, key)
	}
	val, st := ctx.lookup(key)
	if st == evKeyUnknown {
		return evUnknownf("its %s condition needs %s, which is not known before the request is made", op.name, key)
	}
	if op.kind.family == evNull {
		// Null's value says whether the key must be absent ("true") or
		// present ("false").
		want := "false"
		if st == evKeyAbsent {
			want = "true"
		}
		for _, v := range values {
			if strings.EqualFold(v, want) {
				return evYesOutcome
			}
		}
		return evNoOutcome
	}
	if st == evKeyAbsent {
		switch {
		case op.ifExists, op.set == "forallvalues", op.kind.negated && op.set == "":
			// IAM: …IfExists holds when the key is missing; ForAllValues
			// holds vacuously over an empty set; a plain negated operator
			// holds because nothing matches.
			return evYesOutcome
		}
		return evNoOutcome
	}
	// The request context here is single-valued, so the set operators
	// reduce to the plain comparison of that one value.
	matched := evAny(len(values), func(i int) evOutcome {
		return evCompare(op.kind.family, values[i], val, vars, ctx)
	})
	if op.kind.negated {
		return evNot(matched)
	}
	return matched
}

// evCompare reports whether the request value val matches one policy value.
func evCompare(f evFamily, policy, val string, vars bool, ctx *evContext) evOutcome {
	switch f {
	case evString:
		return evMatchPattern(policy, val, evPatternOpts{vars: vars}, false, ctx)
	case evStringFold:
		return evMatchPattern(policy, val, evPatternOpts{vars: vars, fold: true}, false, ctx)
	case evStringLike:
		return evMatchPattern(policy, val, evPatternOpts{wild: true, vars: vars}, false, ctx)
	case evARN:
		return evARNMatch(policy, val, vars, ctx)
	case evBool:
		if strings.EqualFold(policy, val) {
			return evYesOutcome
		}
		return evNoOutcome
	case evIP:
		return evIPMatch(policy, val)
	default:
		return evNumericMatch(f, policy, val)
	}
}

func evNumericMatch(f evFamily, policy, val string) evOutcome {
	p, err1 := strconv.ParseFloat(strings.TrimSpace(policy), 64)
	v, err2 := strconv.ParseFloat(strings.TrimSpace(val), 64)
	if err1 != nil || err2 != nil {
		return evUnknownf("its numeric condition compares %q with %q, which are not both numbers", val, policy)
	}
	var ok bool
	switch f {
	case evNumEq:
		ok = v == p
	case evNumLT:
		ok = v < p
	case evNumLE:
		ok = v <= p
	case evNumGT:
		ok = v > p
	case evNumGE:
		ok = v >= p
	}
	if ok {
		return evYesOutcome
	}
	return evNoOutcome
}

func evIPMatch(policy, val string) evOutcome {
	addr, err := netip.ParseAddr(strings.TrimSpace(val))
	if err != nil {
		return evUnknownf("its IP address condition is given %q, which is not an IP address", val)
	}
	policy = strings.TrimSpace(policy)
	prefix, err := netip.ParsePrefix(policy)
	if err != nil {
		a, aerr := netip.ParseAddr(policy)
		if aerr != nil {
			return evUnknownf("its IP address condition lists %q, which is not an address or CIDR range", policy)
		}
		prefix = netip.PrefixFrom(a, a.BitLen())
	}
	if prefix.Contains(addr.Unmap()) || prefix.Contains(addr) {
		return evYesOutcome
	}
	return evNoOutcome
}
