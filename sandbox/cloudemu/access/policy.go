package access

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Policy is a parsed IAM policy document.
type Policy struct {
	Statements []Statement
}

// Statement is one policy statement. A nil list means the element is absent;
// Parse guarantees that exactly one of Action/NotAction is present.
type Statement struct {
	Sid          string
	Effect       string // "Allow" or "Deny"
	Principal    *Principals
	NotPrincipal *Principals
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	Conditions   []Condition
}

// Principals is the value of a Principal or NotPrincipal element.
type Principals struct {
	// Any is set for "Principal": "*" and for {"AWS": "*"}.
	Any bool
	// ByType maps the principal type ("AWS", "Service", "Federated",
	// "CanonicalUser") to its values.
	ByType map[string][]string
}

// Condition is one operator/key pair of a Condition block with its values.
type Condition struct {
	Operator string
	Key      string
	Values   []string
}

// Parse reads a policy document. It accepts what IAM accepts structurally
// and rejects what IAM would refuse as malformed (unknown top-level shape,
// missing Effect, no Action/NotAction, wrongly typed elements).
func Parse(doc string) (*Policy, error) {
	var top map[string]json.RawMessage
	if err := strictUnmarshal([]byte(doc), &top); err != nil {
		return nil, fmt.Errorf("policy document is not a JSON object: %w", err)
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, fmt.Errorf("policy document has no Statement")
	}
	var items []json.RawMessage
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("Statement: %w", err)
		}
	} else {
		items = []json.RawMessage{raw}
	}
	p := &Policy{}
	for i, item := range items {
		st, err := parseStatement(item)
		if err != nil {
			return nil, fmt.Errorf("Statement[%d]: %w", i, err)
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

func parseStatement(raw json.RawMessage) (Statement, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return Statement{}, fmt.Errorf("statement must be a JSON object")
	}
	var st Statement
	var err error
	if v, ok := m["Sid"]; ok {
		if err := json.Unmarshal(v, &st.Sid); err != nil {
			return st, fmt.Errorf("Sid must be a string")
		}
	}
	if err := json.Unmarshal(m["Effect"], &st.Effect); err != nil || (st.Effect != "Allow" && st.Effect != "Deny") {
		return st, fmt.Errorf("Effect must be \"Allow\" or \"Deny\"")
	}
	if st.Action, err = optionalList(m, "Action"); err != nil {
		return st, err
	}
	if st.NotAction, err = optionalList(m, "NotAction"); err != nil {
		return st, err
	}
	if (st.Action == nil) == (st.NotAction == nil) {
		return st, fmt.Errorf("exactly one of Action and NotAction is required")
	}
	if st.Resource, err = optionalList(m, "Resource"); err != nil {
		return st, err
	}
	if st.NotResource, err = optionalList(m, "NotResource"); err != nil {
		return st, err
	}
	if st.Resource != nil && st.NotResource != nil {
		return st, fmt.Errorf("Resource and NotResource cannot both be present")
	}
	if v, ok := m["Principal"]; ok {
		if st.Principal, err = parsePrincipals(v); err != nil {
			return st, fmt.Errorf("Principal: %w", err)
		}
	}
	if v, ok := m["NotPrincipal"]; ok {
		if st.NotPrincipal, err = parsePrincipals(v); err != nil {
			return st, fmt.Errorf("NotPrincipal: %w", err)
		}
	}
	if v, ok := m["Condition"]; ok {
		if st.Conditions, err = parseConditions(v); err != nil {
			return st, fmt.Errorf("Condition: %w", err)
		}
	}
	return st, nil
}

// optionalList returns nil when the element is absent and a non-nil slice
// (possibly empty) when present.
func optionalList(m map[string]json.RawMessage, key string) ([]string, error) {
	v, ok := m[key]
	if !ok {
		return nil, nil
	}
	l, err := stringOrList(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if l == nil {
		l = []string{}
	}
	return l, nil
}

// stringOrList reads the IAM "string or array of strings" form.
func stringOrList(raw json.RawMessage) ([]string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("must be a string or an array of strings")
	}
	return l, nil
}

func parsePrincipals(raw json.RawMessage) (*Principals, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s != "*" {
			return nil, fmt.Errorf("a string principal must be \"*\"")
		}
		return &Principals{Any: true}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("must be \"*\" or an object such as {\"AWS\": \"...\"}")
	}
	p := &Principals{ByType: map[string][]string{}}
	for typ, v := range m {
		l, err := stringOrList(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", typ, err)
		}
		p.ByType[typ] = l
		if typ == "AWS" {
			for _, x := range l {
				if x == "*" {
					p.Any = true
				}
			}
		}
	}
	return p, nil
}

func parseConditions(raw json.RawMessage) ([]Condition, error) {
	var ops map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ops); err != nil {
		return nil, fmt.Errorf("must map operators to {key: value} objects")
	}
	var out []Condition
	for op, keys := range ops {
		for key, v := range keys {
			vals, err := scalarOrList(v)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", op, key, err)
			}
			out = append(out, Condition{Operator: op, Key: key, Values: vals})
		}
	}
	return out, nil
}

// scalarOrList reads a condition value: strings, booleans and numbers, alone
// or in an array, all compared as their text.
func scalarOrList(raw json.RawMessage) ([]string, error) {
	var items []json.RawMessage
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
	} else {
		items = []json.RawMessage{raw}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		var v any
		if err := json.Unmarshal(it, &v); err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case bool:
			out = append(out, strconv.FormatBool(x))
		case float64:
			out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
		default:
			return nil, fmt.Errorf("condition values must be strings, booleans or numbers")
		}
	}
	return out, nil
}
