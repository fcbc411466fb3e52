package tfexport

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// jsonObject is a JSON object that keeps its keys in the order they were
// set: generated configuration reads in the same order in both syntaxes.
type jsonObject struct {
	keys []string
	vals []any
}

func (o *jsonObject) get(key string) any {
	for i, k := range o.keys {
		if k == key {
			return o.vals[i]
		}
	}
	return nil
}

func (o *jsonObject) set(key string, v any) {
	for i, k := range o.keys {
		if k == key {
			o.vals[i] = v
			return
		}
	}
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
}

func (o *jsonObject) prepend(key string, v any) {
	o.keys = append([]string{key}, o.keys...)
	o.vals = append([]any{v}, o.vals...)
}

// jsonNumber is a number written as its decimal text.
type jsonNumber string

// quoteJSON is s as a JSON string, without the HTML escaping that would
// turn the ">" of a version constraint into \u003e.
func quoteJSON(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(buf.String(), "\n")
}

// writeJSONValue writes v indented two spaces a level, one key or element
// a line, so generated files read and diff well.
func writeJSONValue(buf *bytes.Buffer, v any, indent string) {
	inner := indent + "  "
	switch t := v.(type) {
	case *jsonObject:
		if len(t.keys) == 0 {
			buf.WriteString("{}")
			return
		}
		buf.WriteString("{\n")
		for i, k := range t.keys {
			buf.WriteString(inner + quoteJSON(k) + ": ")
			writeJSONValue(buf, t.vals[i], inner)
			if i < len(t.keys)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString(indent + "}")
	case []any:
		if len(t) == 0 {
			buf.WriteString("[]")
			return
		}
		buf.WriteString("[\n")
		for i, e := range t {
			buf.WriteString(inner)
			writeJSONValue(buf, e, inner)
			if i < len(t)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString(indent + "]")
	case string:
		buf.WriteString(quoteJSON(t))
	case jsonNumber:
		buf.WriteString(string(t))
	case bool:
		buf.WriteString(strconv.FormatBool(t))
	case nil:
		buf.WriteString("null")
	}
}
