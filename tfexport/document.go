package tfexport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// parseDocument reads JSON text (a policy document) into an expression that
// keeps its keys in their order and every value in its form: a string stays
// a string, an array an array. subst turns each string value into the
// expression that writes it.
func parseDocument(text string, subst func(string) Expr) (Expr, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	v, err := readJSON(dec, subst)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("policy document: text after the JSON value")
	}
	return v, nil
}

func readJSON(dec *json.Decoder, subst func(string) Expr) (Expr, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("policy document: %w", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			var l List
			for dec.More() {
				v, err := readJSON(dec, subst)
				if err != nil {
					return nil, err
				}
				l.Items = append(l.Items, v)
			}
			l.Multiline = len(l.Items) > 1
			_, err := dec.Token()
			return l, err
		}
		var o Object
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, fmt.Errorf("policy document: %w", err)
			}
			v, err := readJSON(dec, subst)
			if err != nil {
				return nil, err
			}
			o.Attrs = append(o.Attrs, ObjectAttr{Key: k.(string), Value: v})
		}
		_, err := dec.Token()
		return o, err
	case string:
		return subst(t), nil
	case json.Number:
		return Num(t.String()), nil
	case bool:
		return Bool(t), nil
	default:
		return Null{}, nil
	}
}
