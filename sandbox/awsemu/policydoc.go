package awsemu

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"unicode"
)

// policyKind says which grammar a policy document must follow: a role's
// trust policy names who may assume it (Principal, no Resource); an identity
// policy says what may be done to which resources (Resource, no Principal).
type policyKind int

const (
	trustPolicy policyKind = iota
	permissionsPolicy
)

// Quotas IAM enforces on document sizes, counted in characters other than
// white space.
const (
	maxTrustPolicySize   = 2048
	maxManagedPolicySize = 6144
	maxInlinePolicyBytes = 10240 // all of a role's inline policies together
)

var (
	actionPattern    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$`) })
	awsPrincipalAcct = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{12}$`) })
	awsPrincipalARN  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:.+$`) })
	statementFields  = set("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition")
	documentFields   = set("Version", "Id", "Statement")
	principalKinds   = set("AWS", "Service", "Federated", "CanonicalUser")
)

// MalformedPolicyDocument messages, in IAM's words where IAM has them.
const (
	errSyntax           = "Syntax errors in policy."
	errInvalidJSON      = "This policy contains invalid Json"
	errLegacyParsing    = "The policy failed legacy parsing"
	errMissingVersion   = "Policy document must specify \"Version\": \"2012-10-17\" (or the legacy \"2008-10-17\")."
	errVendorPrefix     = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	errTrustActions     = "AssumeRole policy may only specify STS AssumeRole actions."
	errNeedsResources   = "Policy statement must contain resources."
	errNoPrincipal      = "Policy document should not specify a principal."
	errMissingPrincipal = "Missing required field Principal"
	errMissingEffect    = "Missing required field Effect"
	errMissingAction    = "Missing required field Action"
	errMissingStatement = "Missing required field Statement"
)

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[it] = true
	}
	return m
}

// checkPolicyDocument answers MalformedPolicyDocument for a document IAM
// would refuse. It accepts every legal form: Statement as an object or an
// array; Action, Resource and principal values as a string or an array;
// NotAction, NotResource, NotPrincipal; Condition blocks.
func checkPolicyDocument(doc string, kind policyKind) *apiError {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return malformedPolicy(errInvalidJSON)
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformedPolicy(errInvalidJSON)
	}
	top, ok := v.(map[string]any)
	if !ok {
		return malformedPolicy(errSyntax)
	}
	for k := range top {
		if !documentFields[k] {
			return malformedPolicy(errSyntax)
		}
	}
	version, ok := top["Version"]
	if !ok {
		return malformedPolicy(errMissingVersion)
	}
	if s, _ := version.(string); s != "2012-10-17" && s != "2008-10-17" {
		return malformedPolicy(errLegacyParsing)
	}
	if id, ok := top["Id"]; ok {
		if _, isString := id.(string); !isString {
			return malformedPolicy(errSyntax)
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return malformedPolicy(errMissingStatement)
	}
	var statements []any
	switch st := raw.(type) {
	case map[string]any:
		statements = []any{st}
	case []any:
		statements = st
	default:
		return malformedPolicy(errSyntax)
	}
	if len(statements) == 0 {
		return malformedPolicy(errMissingStatement)
	}
	for _, raw := range statements {
		st, ok := raw.(map[string]any)
		if !ok {
			return malformedPolicy(errSyntax)
		}
		if e := checkStatement(st, kind); e != nil {
			return e
		}
	}
	return nil
}

func checkStatement(st map[string]any, kind policyKind) *apiError {
	for k := range st {
		if !statementFields[k] {
			return malformedPolicy(errSyntax)
		}
	}
	if sid, ok := st["Sid"]; ok {
		if _, isString := sid.(string); !isString {
			return malformedPolicy(errSyntax)
		}
	}
	effect, ok := st["Effect"]
	if !ok {
		return malformedPolicy(errMissingEffect)
	}
	if s, _ := effect.(string); s != "Allow" && s != "Deny" {
		return malformedPolicy("Invalid effect: %v", effect)
	}

	actions, e := exactlyOne(st, "Action", "NotAction", errMissingAction)
	if e != nil {
		return e
	}
	for _, a := range actions {
		if a == "*" {
			continue
		}
		if !strings.Contains(a, ":") || strings.HasPrefix(a, ":") {
			return malformedPolicy(errVendorPrefix)
		}
		if !actionPattern().MatchString(a) {
			return malformedPolicy("Invalid Action: %s", a)
		}
		if kind == trustPolicy && !strings.EqualFold(a[:strings.Index(a, ":")], "sts") {
			return malformedPolicy(errTrustActions)
		}
	}

	switch kind {
	case trustPolicy:
		for _, f := range []string{"Resource", "NotResource"} {
			if _, ok := st[f]; ok {
				return malformedPolicy("Has prohibited field %s", f)
			}
		}
		if e := checkPrincipals(st); e != nil {
			return e
		}
	case permissionsPolicy:
		if _, ok := st["Principal"]; ok {
			return malformedPolicy(errNoPrincipal)
		}
		if _, ok := st["NotPrincipal"]; ok {
			return malformedPolicy(errNoPrincipal)
		}
		resources, e := exactlyOne(st, "Resource", "NotResource", errNeedsResources)
		if e != nil {
			return e
		}
		for _, r := range resources {
			if r != "*" && (!strings.HasPrefix(r, "arn:") || strings.Count(r, ":") < 5) {
				return malformedPolicy("Resource %s must be in ARN format or \"*\".", r)
			}
		}
	}

	if cond, ok := st["Condition"]; ok {
		if !validCondition(cond) {
			return malformedPolicy(errSyntax)
		}
	}
	return nil
}

// exactlyOne returns the values of whichever of field and notField the
// statement has; it must have one, not both.
func exactlyOne(st map[string]any, field, notField, missing string) ([]string, *apiError) {
	v, has := st[field]
	nv, hasNot := st[notField]
	switch {
	case has && hasNot:
		return nil, malformedPolicy(errSyntax)
	case !has && !hasNot:
		return nil, malformedPolicy("%s", missing)
	case hasNot:
		v = nv
	}
	values, ok := stringList(v)
	if !ok {
		return nil, malformedPolicy(errSyntax)
	}
	return values, nil
}

// stringList accepts a string or a non-empty array of strings.
func stringList(v any) ([]string, bool) {
	switch t := v.(type) {
	case string:
		return []string{t}, true
	case []any:
		if len(t) == 0 {
			return nil, false
		}
		out := make([]string, 0, len(t))
		for _, it := range t {
			s, ok := it.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

func checkPrincipals(st map[string]any) *apiError {
	p, has := st["Principal"]
	np, hasNot := st["NotPrincipal"]
	switch {
	case has && hasNot:
		return malformedPolicy(errSyntax)
	case !has && !hasNot:
		return malformedPolicy(errMissingPrincipal)
	case hasNot:
		p = np
	}
	if s, ok := p.(string); ok {
		if s == "*" {
			return nil
		}
		return malformedPolicy("Invalid principal in policy: %q", s)
	}
	m, ok := p.(map[string]any)
	if !ok || len(m) == 0 {
		return malformedPolicy(errSyntax)
	}
	for kind, raw := range m {
		if !principalKinds[kind] {
			return malformedPolicy("Invalid principal in policy: %q", kind)
		}
		values, ok := stringList(raw)
		if !ok {
			return malformedPolicy(errSyntax)
		}
		for _, v := range values {
			if !validPrincipal(kind, v) {
				return malformedPolicy("Invalid principal in policy: %q:%q", kind, v)
			}
		}
	}
	return nil
}

func validPrincipal(kind, v string) bool {
	if v == "" || strings.IndexFunc(v, unicode.IsSpace) >= 0 {
		return false
	}
	if kind == "AWS" {
		return v == "*" || awsPrincipalAcct().MatchString(v) || awsPrincipalARN().MatchString(v)
	}
	return true
}

// validCondition checks the shape {"Operator": {"key": value-or-values}}.
func validCondition(v any) bool {
	ops, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for _, raw := range ops {
		keys, ok := raw.(map[string]any)
		if !ok || len(keys) == 0 {
			return false
		}
		for _, val := range keys {
			if !conditionValue(val) {
				return false
			}
		}
	}
	return true
}

func conditionValue(v any) bool {
	switch t := v.(type) {
	case string, bool, json.Number:
		return true
	case []any:
		for _, it := range t {
			switch it.(type) {
			case string, bool, json.Number:
			default:
				return false
			}
		}
		return true
	}
	return false
}

// policySize is the size IAM counts against its quotas.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// encodeDocument percent-encodes a policy document as IAM returns it:
// RFC 3986, every byte but the unreserved characters escaped.
func encodeDocument(doc string) string {
	var b strings.Builder
	b.Grow(len(doc) * 2)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
