package tfexport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	textseg15 "github.com/apparentlymart/go-textseg/v15/textseg"
	textseg17 "github.com/apparentlymart/go-textseg/v17/textseg"
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
// turn the ">" of a version constraint into \u003e. A character that
// joins what follows it into one grapheme cluster (Unicode's "Prepend"
// class, such as U+070F) is written as a \u escape: HCL's JSON scanner
// reads a string a grapheme cluster at a time, so such a character before
// the closing quote or a backslash would hide it and the file would not
// parse.
func quoteJSON(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	q := strings.TrimSuffix(buf.String(), "\n")
	if !strings.ContainsFunc(q, joinsNext) {
		return q
	}
	var sb strings.Builder
	for _, r := range q {
		if joinsNext(r) {
			escapeRune(&sb, r)
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// escapeRune writes r as a JSON \u escape, a surrogate pair beyond the
// Basic Multilingual Plane.
func escapeRune(sb *strings.Builder, r rune) {
	for _, u := range utf16.Encode([]rune{r}) {
		fmt.Fprintf(sb, `\u%04x`, u)
	}
}

// joinsNext reports whether r makes one grapheme cluster with a quote
// that follows it, by the segmentation of either Unicode version HCL
// releases use.
func joinsNext(r rune) bool {
	if r < utf8.RuneSelf {
		return false
	}
	b := []byte(string(r) + `"`)
	n15, _, _ := textseg15.ScanGraphemeClusters(b, true)
	n17, _, _ := textseg17.ScanGraphemeClusters(b, true)
	return n15 > utf8.RuneLen(r) || n17 > utf8.RuneLen(r)
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
