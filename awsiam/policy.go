package awsiam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Policy language versions IAM accepts. A document without Version is read
// by AWS as the older one, so Equivalent treats "" and PolicyVersion2008 alike.
const (
	PolicyVersion     = "2012-10-17"
	PolicyVersion2008 = "2008-10-17"
)

// PolicyDocument is an IAM policy (identity, trust or boundary) in a form that
// no longer depends on how it was spelled: every string-or-array field is a
// StringList, Statement is always a slice, and Principal is a struct.
//
// Canonical JSON (what JSON and MarshalJSON write): keys in the order AWS
// documents them; Statement always an array; every StringList sorted,
// de-duplicated and written as a plain string when it holds one value and as
// an array otherwise (the form the AWS console and the CockroachDB docs show);
// empty fields omitted.
type PolicyDocument struct {
	Version   string
	ID        string
	Statement []Statement
}

// Statement is one statement of a policy. Exactly one of Action and NotAction
// is set; at most one of Resource/NotResource and of Principal/NotPrincipal.
type Statement struct {
	Sid          string     `json:"Sid,omitempty"`
	Effect       string     `json:"Effect"`
	Principal    *Principal `json:"Principal,omitempty"`
	NotPrincipal *Principal `json:"NotPrincipal,omitempty"`
	Action       StringList `json:"Action,omitempty"`
	NotAction    StringList `json:"NotAction,omitempty"`
	Resource     StringList `json:"Resource,omitempty"`
	NotResource  StringList `json:"NotResource,omitempty"`
	Condition    Condition  `json:"Condition,omitempty"`
}

// Effects.
const (
	EffectAllow = "Allow"
	EffectDeny  = "Deny"
)

// Principal is the Principal or NotPrincipal element: either the bare
// wildcard "*" or an object naming principals by type.
type Principal struct {
	// Wildcard is the bare string form "*" (everyone). It is kept apart from
	// {"AWS": "*"} because the two are written differently and a reviewer
	// comparing with a console should see what AWS stored.
	Wildcard      bool
	AWS           StringList
	Service       StringList
	Federated     StringList
	CanonicalUser StringList
}

// Condition maps an operator ("StringEquals", "ForAnyValue:StringLike", …)
// to condition keys and their allowed values.
type Condition map[string]map[string]StringList

// StringList is a policy field that AWS accepts either as one string or as an
// array of strings. It keeps the values in the order read and nothing about
// which form they came in; see PolicyDocument for how it is written.
type StringList []string

// ParsePolicy reads a policy document in any form IAM accepts. Text that is
// URL-encoded, as GetRole, GetPolicyVersion and GetRolePolicy return it, is
// decoded first. Unknown or misspelt element names, duplicate keys and
// combinations IAM rejects (Action with NotAction, …) are errors that name the
// element.
func ParsePolicy(text string) (*PolicyDocument, error) {
	decoded, err := DecodePolicyText(text)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := json.Unmarshal([]byte(decoded), &raw); err != nil {
		return nil, fmt.Errorf("policy document is not valid JSON: %w", err)
	}
	doc := &PolicyDocument{}
	if err := doc.parse(raw); err != nil {
		return nil, err
	}
	return doc, nil
}

// DecodePolicyText returns the JSON text of a policy document that may be
// URL-encoded. Plain JSON (starting with "{") is returned unchanged.
func DecodePolicyText(text string) (string, error) {
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return "", errors.New("policy document is empty")
	}
	if trimmed[0] == '{' || !strings.Contains(trimmed, "%") {
		return trimmed, nil
	}
	// AWS encodes per RFC 3986 (spaces as %20, "+" as %2B), but other
	// encoders write spaces as "+". When %20 is present "+" can only be a
	// literal plus; otherwise form decoding is the one that restores spaces.
	var decoded string
	var err error
	if strings.Contains(trimmed, "%20") {
		decoded, err = url.PathUnescape(trimmed)
	} else {
		decoded, err = url.QueryUnescape(trimmed)
	}
	if err != nil {
		return "", fmt.Errorf("policy document is neither JSON nor URL-encoded JSON: %w", err)
	}
	return strings.TrimSpace(decoded), nil
}

// JSON returns the canonical, indented form of the document.
func (d *PolicyDocument) JSON() string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	// Encoding plain strings, slices and maps cannot fail.
	_ = enc.Encode(d)
	return strings.TrimRight(buf.String(), "\n")
}

// Clone returns a deep copy, so builders' results can be changed freely.
func (d *PolicyDocument) Clone() *PolicyDocument {
	if d == nil {
		return nil
	}
	out := &PolicyDocument{Version: d.Version, ID: d.ID}
	for _, s := range d.Statement {
		c := s
		c.Principal = s.Principal.clone()
		c.NotPrincipal = s.NotPrincipal.clone()
		c.Action = s.Action.clone()
		c.NotAction = s.NotAction.clone()
		c.Resource = s.Resource.clone()
		c.NotResource = s.NotResource.clone()
		if s.Condition != nil {
			c.Condition = Condition{}
			for op, keys := range s.Condition {
				m := make(map[string]StringList, len(keys))
				for k, v := range keys {
					m[k] = v.clone()
				}
				c.Condition[op] = m
			}
		}
		out.Statement = append(out.Statement, c)
	}
	return out
}

func (p *Principal) clone() *Principal {
	if p == nil {
		return nil
	}
	return &Principal{
		Wildcard:      p.Wildcard,
		AWS:           p.AWS.clone(),
		Service:       p.Service.clone(),
		Federated:     p.Federated.clone(),
		CanonicalUser: p.CanonicalUser.clone(),
	}
}

func (l StringList) clone() StringList {
	if l == nil {
		return nil
	}
	return append(StringList(nil), l...)
}

// MarshalJSON writes the canonical form (compact; JSON indents it).
func (d PolicyDocument) MarshalJSON() ([]byte, error) {
	stmts := d.Statement
	if stmts == nil {
		stmts = []Statement{}
	}
	return marshalNoEscape(struct {
		Version   string      `json:"Version,omitempty"`
		ID        string      `json:"Id,omitempty"`
		Statement []Statement `json:"Statement"`
	}{d.Version, d.ID, stmts})
}

// UnmarshalJSON reads the document strictly, as ParsePolicy does (without
// URL decoding), so documents embedded in other JSON are checked the same way.
func (d *PolicyDocument) UnmarshalJSON(b []byte) error {
	var fresh PolicyDocument
	if err := fresh.parse(b); err != nil {
		return err
	}
	*d = fresh
	return nil
}

// UnmarshalJSON reads one statement with the same checks as ParsePolicy.
func (s *Statement) UnmarshalJSON(b []byte) error {
	v, err := parseStatement(b, "Statement")
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// UnmarshalJSON reads a Condition element, accepting number and boolean
// values as IAM does.
func (c *Condition) UnmarshalJSON(b []byte) error {
	v, err := parseCondition(b, "Condition")
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// MarshalJSON writes "*" or an object with the principal types in
// alphabetical order.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.Wildcard {
		return []byte(`"*"`), nil
	}
	return marshalNoEscape(struct {
		AWS           StringList `json:"AWS,omitempty"`
		CanonicalUser StringList `json:"CanonicalUser,omitempty"`
		Federated     StringList `json:"Federated,omitempty"`
		Service       StringList `json:"Service,omitempty"`
	}{p.AWS, p.CanonicalUser, p.Federated, p.Service})
}

// UnmarshalJSON reads "*" or an object of principal types.
func (p *Principal) UnmarshalJSON(b []byte) error {
	v, err := parsePrincipal(b, "Principal")
	if err != nil {
		return err
	}
	*p = *v
	return nil
}

// MarshalJSON writes the values sorted and de-duplicated: one value as a
// string, several as an array.
func (l StringList) MarshalJSON() ([]byte, error) {
	c := l.canonical()
	if len(c) == 1 {
		return marshalNoEscape(c[0])
	}
	return marshalNoEscape([]string(c))
}

// UnmarshalJSON reads a string or an array of strings.
func (l *StringList) UnmarshalJSON(b []byte) error {
	v, err := parseStringList(b, "value", false)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// canonical returns the values sorted with duplicates removed.
func (l StringList) canonical() StringList {
	out := append(StringList(nil), l...)
	sort.Strings(out)
	return compactSorted(out)
}

func compactSorted(s StringList) StringList {
	if len(s) == 0 {
		return s
	}
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Policies hold ARNs and condition values, not HTML: "&" and "<" must
	// read as themselves.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// Element names, used both to accept keys and to suggest the right spelling
// of a mistyped one.
var (
	documentKeys  = []string{"Version", "Id", "Statement"}
	statementKeys = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
	principalKeys = []string{"AWS", "Service", "Federated", "CanonicalUser"}
)

func unknownKey(key, where string, allowed []string) error {
	for _, a := range allowed {
		if strings.EqualFold(a, key) {
			return fmt.Errorf("%s: unknown element %q (element names are case-sensitive; did you mean %q?)", where, key, a)
		}
	}
	return fmt.Errorf("%s: unknown element %q (allowed: %s)", where, key, strings.Join(allowed, ", "))
}

func (d *PolicyDocument) parse(raw json.RawMessage) error {
	sawStatement := false
	err := eachMember(raw, "policy document", func(key string, val json.RawMessage) error {
		switch key {
		case "Version":
			s, err := parseString(val, "Version")
			if err != nil {
				return err
			}
			if s != PolicyVersion && s != PolicyVersion2008 {
				return fmt.Errorf("policy Version: %q is not a policy language version (use %q)", s, PolicyVersion)
			}
			d.Version = s
		case "Id":
			s, err := parseString(val, "Id")
			if err != nil {
				return err
			}
			d.ID = s
		case "Statement":
			sawStatement = true
			stmts, err := parseStatements(val)
			if err != nil {
				return err
			}
			d.Statement = stmts
		default:
			return unknownKey(key, "policy document", documentKeys)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !sawStatement {
		return errors.New("policy document has no Statement")
	}
	return nil
}

func parseStatements(raw json.RawMessage) ([]Statement, error) {
	switch jsonKind(raw) {
	case "object":
		// A lone statement object is legal and common in hand-written policies.
		s, err := parseStatement(raw, "Statement")
		if err != nil {
			return nil, err
		}
		return []Statement{s}, nil
	case "array":
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("policy Statement: %w", err)
		}
		if len(items) == 0 {
			return nil, errors.New("policy Statement: the array is empty; a policy needs at least one statement")
		}
		out := make([]Statement, 0, len(items))
		for i, item := range items {
			s, err := parseStatement(item, fmt.Sprintf("Statement[%d]", i))
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("policy Statement: must be an object or an array of objects, not %s", jsonKind(raw))
	}
}

func parseStatement(raw json.RawMessage, where string) (Statement, error) {
	var s Statement
	sawEffect := false
	err := eachMember(raw, where, func(key string, val json.RawMessage) error {
		field := where + "." + key
		var err error
		switch key {
		case "Sid":
			s.Sid, err = parseString(val, field)
		case "Effect":
			sawEffect = true
			s.Effect, err = parseString(val, field)
			if err == nil && s.Effect != EffectAllow && s.Effect != EffectDeny {
				err = fmt.Errorf("%s: %q is not an effect (use %q or %q)", field, s.Effect, EffectAllow, EffectDeny)
			}
		case "Principal":
			s.Principal, err = parsePrincipal(val, field)
		case "NotPrincipal":
			s.NotPrincipal, err = parsePrincipal(val, field)
		case "Action":
			s.Action, err = parseStringList(val, field, false)
		case "NotAction":
			s.NotAction, err = parseStringList(val, field, false)
		case "Resource":
			s.Resource, err = parseStringList(val, field, false)
		case "NotResource":
			s.NotResource, err = parseStringList(val, field, false)
		case "Condition":
			s.Condition, err = parseCondition(val, field)
		default:
			err = unknownKey(key, where, statementKeys)
		}
		return err
	})
	if err != nil {
		return Statement{}, err
	}
	switch {
	case !sawEffect:
		return Statement{}, fmt.Errorf("%s: Effect is missing (use %q or %q)", where, EffectAllow, EffectDeny)
	case s.Action != nil && s.NotAction != nil:
		return Statement{}, fmt.Errorf("%s: has both Action and NotAction; use one", where)
	case s.Action == nil && s.NotAction == nil:
		return Statement{}, fmt.Errorf("%s: needs Action or NotAction", where)
	case s.Resource != nil && s.NotResource != nil:
		return Statement{}, fmt.Errorf("%s: has both Resource and NotResource; use one", where)
	case s.Principal != nil && s.NotPrincipal != nil:
		return Statement{}, fmt.Errorf("%s: has both Principal and NotPrincipal; use one", where)
	}
	return s, nil
}

func parsePrincipal(raw json.RawMessage, where string) (*Principal, error) {
	if jsonKind(raw) == "string" {
		s, err := parseString(raw, where)
		if err != nil {
			return nil, err
		}
		if s != "*" {
			return nil, fmt.Errorf(`%s: the only string form is "*"; name principals in an object such as {"AWS": "arn:aws:iam::123456789012:root"}`, where)
		}
		return &Principal{Wildcard: true}, nil
	}
	if jsonKind(raw) != "object" {
		return nil, fmt.Errorf(`%s: must be "*" or an object such as {"AWS": "…"}, not %s`, where, jsonKind(raw))
	}
	p := &Principal{}
	err := eachMember(raw, where, func(key string, val json.RawMessage) error {
		field := where + "." + key
		var err error
		switch key {
		case "AWS":
			p.AWS, err = parseStringList(val, field, false)
		case "Service":
			p.Service, err = parseStringList(val, field, false)
		case "Federated":
			p.Federated, err = parseStringList(val, field, false)
		case "CanonicalUser":
			p.CanonicalUser, err = parseStringList(val, field, false)
		default:
			err = unknownKey(key, where, principalKeys)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if p.AWS == nil && p.Service == nil && p.Federated == nil && p.CanonicalUser == nil {
		return nil, fmt.Errorf("%s: the object names no principal", where)
	}
	return p, nil
}

func parseCondition(raw json.RawMessage, where string) (Condition, error) {
	cond := Condition{}
	err := eachMember(raw, where, func(op string, val json.RawMessage) error {
		field := where + "." + op
		if op == "" {
			return fmt.Errorf("%s: empty condition operator", where)
		}
		keys := map[string]StringList{}
		err := eachMember(val, field, func(key string, v json.RawMessage) error {
			if key == "" {
				return fmt.Errorf("%s: empty condition key", field)
			}
			// Condition values may be written as JSON numbers or booleans
			// ("aws:SecureTransport": false); IAM compares their text.
			list, err := parseStringList(v, field+"."+key, true)
			if err != nil {
				return err
			}
			keys[key] = list
			return nil
		})
		if err != nil {
			return err
		}
		// An operator with no keys constrains nothing; dropping it keeps the
		// canonical form free of empty objects.
		if len(keys) > 0 {
			cond[op] = keys
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(cond) == 0 {
		return nil, nil
	}
	return cond, nil
}

// parseStringList reads a string or a non-empty array of strings. With
// scalars, numbers and booleans are accepted as their JSON text.
func parseStringList(raw json.RawMessage, where string, scalars bool) (StringList, error) {
	want := "a string or an array of strings"
	if scalars {
		want = "a string, number, boolean or an array of them"
	}
	if jsonKind(raw) == "array" {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if len(items) == 0 {
			return nil, fmt.Errorf("%s: the array is empty", where)
		}
		out := make(StringList, 0, len(items))
		for i, item := range items {
			s, ok := scalarText(item, scalars)
			if !ok {
				return nil, fmt.Errorf("%s[%d]: must be %s, not %s", where, i, want, jsonKind(item))
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, ok := scalarText(raw, scalars)
	if !ok {
		return nil, fmt.Errorf("%s: must be %s, not %s", where, want, jsonKind(raw))
	}
	return StringList{s}, nil
}

func scalarText(raw json.RawMessage, scalars bool) (string, bool) {
	switch jsonKind(raw) {
	case "string":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	case "number", "boolean":
		if scalars {
			return string(bytes.TrimSpace(raw)), true
		}
	}
	return "", false
}

func parseString(raw json.RawMessage, where string) (string, error) {
	if jsonKind(raw) != "string" {
		return "", fmt.Errorf("%s: must be a string, not %s", where, jsonKind(raw))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s: %w", where, err)
	}
	return s, nil
}

// eachMember calls fn for every member of a JSON object in document order.
// Duplicate keys are rejected: encoding/json would silently keep the last
// one, hiding which of two conflicting values AWS is acting on.
func eachMember(raw json.RawMessage, where string, fn func(key string, val json.RawMessage) error) error {
	if jsonKind(raw) != "object" {
		return fmt.Errorf("%s: must be a JSON object, not %s", where, jsonKind(raw))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("%s: malformed object", where)
		}
		if seen[key] {
			return fmt.Errorf("%s: element %q appears twice", where, key)
		}
		seen[key] = true
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return fmt.Errorf("%s.%s: %w", where, key, err)
		}
		if err := fn(key, val); err != nil {
			return err
		}
	}
	return nil
}

// jsonKind names the type of a JSON value for error messages.
func jsonKind(raw json.RawMessage) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// Equivalent reports whether two documents grant and deny the same things:
// statements are compared as a set; Sid and Id are ignored; actions compare
// case-insensitively, as IAM matches them; condition keys compare
// case-insensitively; every list is a set; an absent Version means 2008-10-17.
// Principals compare as written; IAM stores a bare account ID as its root ARN,
// so documents read back from IAM already use that form.
func Equivalent(a, b *PolicyDocument) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if effectiveVersion(a.Version) != effectiveVersion(b.Version) {
		return false
	}
	fa, fb := statementSet(a), statementSet(b)
	if len(fa) != len(fb) {
		return false
	}
	for k := range fa {
		if !fb[k] {
			return false
		}
	}
	return true
}

func effectiveVersion(v string) string {
	if v == "" {
		return PolicyVersion2008
	}
	return v
}

func statementSet(d *PolicyDocument) map[string]bool {
	out := make(map[string]bool, len(d.Statement))
	for _, s := range d.Statement {
		out[statementFingerprint(s)] = true
	}
	return out
}

// statementFingerprint renders what a statement means, without its Sid, as a
// string that is equal for equivalent statements.
func statementFingerprint(s Statement) string {
	type condEntry struct {
		Op, Key string
		Values  StringList
	}
	var conds []condEntry
	for op, keys := range s.Condition {
		for k, v := range keys {
			conds = append(conds, condEntry{op, strings.ToLower(k), v.canonical()})
		}
	}
	sort.Slice(conds, func(i, j int) bool {
		if conds[i].Op != conds[j].Op {
			return conds[i].Op < conds[j].Op
		}
		if conds[i].Key != conds[j].Key {
			return conds[i].Key < conds[j].Key
		}
		return strings.Join(conds[i].Values, "\x00") < strings.Join(conds[j].Values, "\x00")
	})
	fp := struct {
		Effect                  string
		Principal, NotPrincipal *Principal
		Action, NotAction       []string
		Resource, NotResource   []string
		Conditions              []condEntry
	}{
		Effect:       s.Effect,
		Principal:    canonicalPrincipal(s.Principal),
		NotPrincipal: canonicalPrincipal(s.NotPrincipal),
		Action:       lowerSet(s.Action),
		NotAction:    lowerSet(s.NotAction),
		Resource:     s.Resource.canonical(),
		NotResource:  s.NotResource.canonical(),
		Conditions:   conds,
	}
	b, _ := json.Marshal(fp)
	return string(b)
}

func canonicalPrincipal(p *Principal) *Principal {
	if p == nil {
		return nil
	}
	return &Principal{
		Wildcard:      p.Wildcard,
		AWS:           p.AWS.canonical(),
		Service:       p.Service.canonical(),
		Federated:     p.Federated.canonical(),
		CanonicalUser: p.CanonicalUser.canonical(),
	}
}

func lowerSet(l StringList) []string {
	if l == nil {
		return nil
	}
	out := make(StringList, len(l))
	for i, v := range l {
		out[i] = strings.ToLower(v)
	}
	sort.Strings(out)
	return compactSorted(out)
}
