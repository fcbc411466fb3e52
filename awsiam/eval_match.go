package awsiam

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// evTri is a three-valued truth. Whether a statement applies to a request is
// sometimes unknowable before the request is made (a condition on the
// caller's IP address, a policy variable naming a tag), and the evaluator
// must say so rather than pick an answer.
type evTri int8

const (
	evNo evTri = iota
	evYes
	evUnknown
)

// evOutcome is an evTri with the reason it is unknown.
type evOutcome struct {
	v   evTri
	why string
}

var (
	evYesOutcome = evOutcome{v: evYes}
	evNoOutcome  = evOutcome{v: evNo}
)

func evUnknownf(format string, args ...any) evOutcome {
	return evOutcome{v: evUnknown, why: fmt.Sprintf(format, args...)}
}

// evAnd is three-valued conjunction: one definite "no" settles it, otherwise
// the first unknown (with its reason) wins over "yes".
func evAnd(parts ...evOutcome) evOutcome {
	out := evYesOutcome
	for _, p := range parts {
		switch p.v {
		case evNo:
			return evNoOutcome
		case evUnknown:
			if out.v == evYes {
				out = p
			}
		}
	}
	return out
}

// evAny is three-valued disjunction over a list: one definite "yes" settles
// it, otherwise the first unknown wins over "no".
func evAny(n int, item func(i int) evOutcome) evOutcome {
	out := evNoOutcome
	for i := 0; i < n; i++ {
		r := item(i)
		switch r.v {
		case evYes:
			return evYesOutcome
		case evUnknown:
			if out.v == evNo {
				out = r
			}
		}
	}
	return out
}

func evNot(o evOutcome) evOutcome {
	switch o.v {
	case evYes:
		return evNoOutcome
	case evNo:
		return evYesOutcome
	}
	return o
}

// evKeyState says what is known about a condition key in a request.
type evKeyState int8

const (
	// evKeyUnknown: the key may or may not be in the real request; its value
	// is not known here (aws:SourceIp, tags, …).
	evKeyUnknown evKeyState = iota
	evKeyPresent
	// evKeyAbsent: the key is known not to be in the request (no external
	// ID is sent).
	evKeyAbsent
)

// evContext is what is known about a request. Condition keys are
// case-insensitive in IAM, so keys are stored lower-cased.
type evContext struct {
	values map[string]string
	absent map[string]bool
}

func newEvContext(values map[string]string, absent ...string) *evContext {
	c := &evContext{values: make(map[string]string, len(values)), absent: map[string]bool{}}
	for k, v := range values {
		c.values[strings.ToLower(k)] = v
	}
	for _, k := range absent {
		c.absent[strings.ToLower(k)] = true
	}
	return c
}

func (c *evContext) lookup(key string) (string, evKeyState) {
	k := strings.ToLower(key)
	if v, ok := c.values[k]; ok {
		return v, evKeyPresent
	}
	if c.absent[k] {
		return "", evKeyAbsent
	}
	return "", evKeyUnknown
}

// Pattern tokens: a literal rune, "*" (any run of characters) or "?" (one
// character).
const (
	evTokLit uint8 = iota
	evTokStar
	evTokOne
)

type evTok struct {
	kind uint8
	r    rune
}

// evPatternOpts says how a policy string is read.
type evPatternOpts struct {
	// wild: "*" and "?" are wildcards (Action, Resource, StringLike, ArnLike),
	// not literal characters (StringEquals).
	wild bool
	// vars: ${…} policy variables are substituted. IAM only does this in
	// documents with Version 2012-10-17; in older ones "${x}" is literal text.
	vars bool
	// fold: compare case-insensitively (actions, StringEqualsIgnoreCase).
	fold bool
}

// evCompile turns a policy string into tokens, substituting policy variables
// from ctx. It returns evNo when a variable is known to be absent and has no
// default (the pattern can match nothing), and evUnknown when a variable's
// value is not known here.
func evCompile(p string, o evPatternOpts, ctx *evContext) ([]evTok, evOutcome) {
	toks := make([]evTok, 0, len(p))
	lit := func(s string) {
		for _, r := range s {
			if o.fold {
				r = unicode.ToLower(r)
			}
			toks = append(toks, evTok{kind: evTokLit, r: r})
		}
	}
	for i := 0; i < len(p); {
		if o.vars && strings.HasPrefix(p[i:], "${") {
			if end := strings.IndexByte(p[i+2:], '}'); end >= 0 {
				inner := p[i+2 : i+2+end]
				val, out, ok := evResolveVariable(inner, ctx)
				if ok {
					if out.v != evYes {
						return nil, out
					}
					lit(val)
					i += end + 3
					continue
				}
			}
		}
		r, size := utf8.DecodeRuneInString(p[i:])
		i += size
		switch {
		case o.wild && r == '*':
			toks = append(toks, evTok{kind: evTokStar})
		case o.wild && r == '?':
			toks = append(toks, evTok{kind: evTokOne})
		default:
			lit(string(r))
		}
	}
	return toks, evYesOutcome
}

// evResolveVariable reads the inside of ${…}: the escapes ${*}, ${?} and
// ${$}, or a key with an optional default (${aws:username, 'nobody'}). ok is
// false for text that is not a variable, which is then kept literally.
func evResolveVariable(inner string, ctx *evContext) (string, evOutcome, bool) {
	switch inner {
	case "*", "?", "$":
		return inner, evYesOutcome, true
	}
	key, def, hasDef := inner, "", false
	if k, d, ok := strings.Cut(inner, ","); ok {
		d = strings.TrimSpace(d)
		if len(d) < 2 || d[0] != '\'' || d[len(d)-1] != '\'' {
			return "", evOutcome{}, false
		}
		key, def, hasDef = k, d[1:len(d)-1], true
	}
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, " \t${}") {
		return "", evOutcome{}, false
	}
	val, st := ctx.lookup(key)
	switch st {
	case evKeyPresent:
		return val, evYesOutcome, true
	case evKeyAbsent:
		if hasDef {
			return def, evYesOutcome, true
		}
		return "", evNoOutcome, true
	}
	return "", evUnknownf("it uses the policy variable ${%s}, whose value is not known before the request is made", key), true
}

// evMatch reports whether s matches the tokens. With segmented (Resource
// elements) IAM's ARN rule applies: a "*" that is the last character of a
// colon-separated segment may run across colons, any other "*" and every "?"
// stay inside their segment. Tokens must already be folded when fold is set.
func evMatch(toks []evTok, s string, segmented, fold bool) bool {
	n := len(toks)
	crosses := make([]bool, n)
	if segmented {
		next := true // the end of the pattern ends a segment
		for i := n - 1; i >= 0; i-- {
			switch toks[i].kind {
			case evTokStar:
				crosses[i] = next
			case evTokLit:
				next = toks[i].r == ':'
			default:
				next = false
			}
		}
	}
	cur := make([]bool, n+1)
	nxt := make([]bool, n+1)
	closure := func(st []bool) {
		for i := 0; i < n; i++ {
			if st[i] && toks[i].kind == evTokStar {
				st[i+1] = true
			}
		}
	}
	cur[0] = true
	closure(cur)
	for _, c := range s {
		if fold {
			c = unicode.ToLower(c)
		}
		alive := false
		for i := range nxt {
			nxt[i] = false
		}
		for i := 0; i < n; i++ {
			if !cur[i] {
				continue
			}
			t := toks[i]
			switch t.kind {
			case evTokStar:
				if !segmented || c != ':' || crosses[i] {
					nxt[i], alive = true, true
				}
			case evTokOne:
				if !segmented || c != ':' {
					nxt[i+1], alive = true, true
				}
			default:
				if t.r == c {
					nxt[i+1], alive = true, true
				}
			}
		}
		if !alive {
			return false
		}
		closure(nxt)
		cur, nxt = nxt, cur
	}
	return cur[n]
}

// evMatchPattern compiles and matches in one step.
func evMatchPattern(pattern, s string, o evPatternOpts, segmented bool, ctx *evContext) evOutcome {
	toks, out := evCompile(pattern, o, ctx)
	if out.v != evYes {
		return out
	}
	if evMatch(toks, s, segmented, o.fold) {
		return evYesOutcome
	}
	return evNoOutcome
}

// evActionMatches: IAM action names compare case-insensitively, with "*"
// and "?" wildcards and no policy variables.
func evActionMatches(pattern, action string) bool {
	toks, _ := evCompile(pattern, evPatternOpts{wild: true, fold: true}, nil)
	return evMatch(toks, action, false, true)
}

// evStatementAction reports whether the statement's Action (or NotAction)
// covers action.
func evStatementAction(st *Statement, action string) bool {
	if st.NotAction != nil {
		for _, p := range st.NotAction {
			if evActionMatches(p, action) {
				return false
			}
		}
		return true
	}
	for _, p := range st.Action {
		if evActionMatches(p, action) {
			return true
		}
	}
	return false
}

// evStatementResource reports whether the statement's Resource (or
// NotResource) covers resource. Resource matching is case-sensitive.
func evStatementResource(st *Statement, resource string, vars bool, ctx *evContext) evOutcome {
	o := evPatternOpts{wild: true, vars: vars}
	if st.NotResource != nil {
		return evNot(evAny(len(st.NotResource), func(i int) evOutcome {
			return evMatchPattern(st.NotResource[i], resource, o, true, ctx)
		}))
	}
	return evAny(len(st.Resource), func(i int) evOutcome {
		return evMatchPattern(st.Resource[i], resource, o, true, ctx)
	})
}

// evSplitARN splits an ARN into at most six colon-separated parts, keeping
// colons inside ${…} policy variables (${aws:PrincipalAccount}) in place.
func evSplitARN(s string, vars bool) []string {
	var parts []string
	start, depth := 0, 0
	for i := 0; i < len(s) && len(parts) < 5; i++ {
		switch {
		case vars && strings.HasPrefix(s[i:], "${"):
			depth++
			i++
		case depth > 0 && s[i] == '}':
			depth--
		case depth == 0 && s[i] == ':':
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// evARNMatch is ArnLike/ArnEquals: both ARNs must have six parts, and each
// part is matched on its own with wildcards.
func evARNMatch(pattern, value string, vars bool, ctx *evContext) evOutcome {
	pp := evSplitARN(pattern, vars)
	vp := evSplitARN(value, false)
	if len(pp) != 6 || len(vp) != 6 {
		return evNoOutcome
	}
	o := evPatternOpts{wild: true, vars: vars}
	parts := make([]evOutcome, 6)
	for i := range pp {
		parts[i] = evMatchPattern(pp[i], vp[i], o, false, ctx)
	}
	return evAnd(parts...)
}
