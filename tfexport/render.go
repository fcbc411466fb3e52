package tfexport

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/text/unicode/norm"
)

// Format is a Terraform syntax.
type Format string

// Formats: the native syntax (.tf) and the JSON syntax (.tf.json).
const (
	FormatHCL  Format = "hcl"
	FormatJSON Format = "json"
)

// Ext is the file name extension Terraform expects for the syntax.
func (f Format) Ext() string {
	if f == FormatJSON {
		return ".tf.json"
	}
	return ".tf"
}

// FileNames are the names of the files Render writes in the syntax.
func FileNames(f Format) []string {
	names := []string{fileVersions, fileVariables, fileMain, fileImports}
	for i := range names {
		names[i] += f.Ext()
	}
	return names
}

// Output is one rendered file.
type Output struct {
	Name string // with its extension
	Data []byte
}

// Render writes each file of the configuration in the syntax.
func (c *Config) Render(f Format) []Output {
	out := make([]Output, 0, len(c.Files))
	for _, file := range c.Files {
		out = append(out, Output{Name: file.Name + f.Ext(), Data: render(f, []File{file})})
	}
	return out
}

// Document writes the whole configuration as one file in the syntax.
func (c *Config) Document(f Format) []byte { return render(f, c.Files) }

func render(f Format, files []File) []byte {
	if f == FormatJSON {
		return renderJSON(files)
	}
	return renderHCL(files)
}

// renderHCL writes the native syntax through hclwrite, then formats it the
// way `terraform fmt` does (hclwrite.Format is the formatter it calls).
func renderHCL(files []File) []byte {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	first := true
	separate := func() {
		if !first {
			body.AppendNewline()
		}
		first = false
	}
	for _, file := range files {
		if len(file.Comment) > 0 {
			separate()
			body.AppendUnstructuredTokens(commentTokens(file.Comment))
		}
		for _, blk := range file.Blocks {
			separate()
			writeBlock(body, blk)
		}
	}
	return hclwrite.Format(f.Bytes())
}

func writeBlock(body *hclwrite.Body, blk *Block) {
	if len(blk.Comment) > 0 {
		body.AppendUnstructuredTokens(commentTokens(blk.Comment))
	}
	inner := body.AppendNewBlock(blk.Type, blk.Labels).Body()
	for _, it := range blk.Body {
		switch {
		case it.Gap:
			inner.AppendNewline()
		case it.Comment != nil:
			inner.AppendUnstructuredTokens(commentTokens(it.Comment))
		case it.Block != nil:
			writeBlock(inner, it.Block)
		case it.Attr != nil:
			if len(it.Attr.Comment) > 0 {
				inner.AppendUnstructuredTokens(commentTokens(it.Attr.Comment))
			}
			inner.SetAttributeRaw(it.Attr.Name, exprTokens(it.Attr.Value))
		}
	}
}

// commentWidth keeps comments, indented in a block, within 80 columns.
const commentWidth = 74

func commentTokens(lines []string) hclwrite.Tokens {
	var toks hclwrite.Tokens
	for _, l := range lines {
		for _, w := range wrap(l, commentWidth) {
			text := "#"
			if w != "" {
				text += " " + w
			}
			toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenComment, Bytes: []byte(text + "\n")})
		}
	}
	return toks
}

// wrap breaks text into lines of at most width bytes at spaces; a word
// longer than width (an ARN) gets a line of its own.
func wrap(text string, width int) []string {
	words := strings.Fields(text)
	if len(words) == 0 {
		return []string{""}
	}
	var lines []string
	line := words[0]
	for _, w := range words[1:] {
		if len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = w
			continue
		}
		line += " " + w
	}
	return append(lines, line)
}

func exprTokens(e Expr) hclwrite.Tokens {
	switch v := e.(type) {
	case Str:
		return hclwrite.TokensForValue(cty.StringVal(string(v)))
	case Num:
		return hclwrite.Tokens{{Type: hclsyntax.TokenNumberLit, Bytes: []byte(v)}}
	case Bool:
		return hclwrite.TokensForValue(cty.BoolVal(bool(v)))
	case Null:
		return hclwrite.TokensForValue(cty.NullVal(cty.DynamicPseudoType))
	case Ref:
		return hclwrite.TokensForTraversal(traversal(string(v)))
	case Keyword:
		return hclwrite.TokensForTraversal(traversal(string(v)))
	case Template:
		toks := hclwrite.Tokens{{Type: hclsyntax.TokenOQuote, Bytes: []byte{'"'}}}
		for _, part := range v {
			switch p := part.(type) {
			case Str:
				// The quoted literal between the quotes, escaped as hclwrite
				// escapes any string (including "${" as "$${").
				lit := hclwrite.TokensForValue(cty.StringVal(string(p)))
				toks = append(toks, lit[1:len(lit)-1]...)
			case Ref:
				toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenTemplateInterp, Bytes: []byte("${")})
				toks = append(toks, hclwrite.TokensForTraversal(traversal(string(p)))...)
				toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenTemplateSeqEnd, Bytes: []byte("}")})
			}
		}
		return append(toks, &hclwrite.Token{Type: hclsyntax.TokenCQuote, Bytes: []byte{'"'}})
	case List:
		if !v.Multiline {
			elems := make([]hclwrite.Tokens, len(v.Items))
			for i, it := range v.Items {
				elems[i] = exprTokens(it)
			}
			return hclwrite.TokensForTuple(elems)
		}
		toks := hclwrite.Tokens{{Type: hclsyntax.TokenOBrack, Bytes: []byte{'['}}, newline()}
		for _, it := range v.Items {
			toks = append(toks, exprTokens(it)...)
			toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenComma, Bytes: []byte{','}}, newline())
		}
		return append(toks, &hclwrite.Token{Type: hclsyntax.TokenCBrack, Bytes: []byte{']'}})
	case Object:
		attrs := make([]hclwrite.ObjectAttrTokens, len(v.Attrs))
		for i, a := range v.Attrs {
			name := hclwrite.TokensForIdentifier(a.Key)
			if v.QuoteKeys || !bareKey(a.Key) {
				name = hclwrite.TokensForValue(cty.StringVal(a.Key))
			}
			attrs[i] = hclwrite.ObjectAttrTokens{Name: name, Value: exprTokens(a.Value)}
		}
		return hclwrite.TokensForObject(attrs)
	case JSONEncode:
		if !stableText(v.Value) {
			return exprTokens(encoded(v.Value, true))
		}
		return hclwrite.TokensForFunctionCall("jsonencode", exprTokens(v.Value))
	}
	panic(fmt.Sprintf("tfexport: no tokens for %T", e))
}

func newline() *hclwrite.Token {
	return &hclwrite.Token{Type: hclsyntax.TokenNewline, Bytes: []byte{'\n'}}
}

// bareKey reports whether an object key can be written without quotes: an
// identifier that the parser would not read as a keyword (a leading "for"
// starts a for expression; true, false and null are values).
func bareKey(k string) bool {
	switch k {
	case "for", "in", "if", "true", "false", "null":
		return false
	}
	return hclsyntax.ValidIdentifier(k)
}

// traversal parses a dotted reference (var.x, aws_iam_role.r.arn).
func traversal(ref string) hcl.Traversal {
	parts := strings.Split(ref, ".")
	t := hcl.Traversal{hcl.TraverseRoot{Name: parts[0]}}
	for _, p := range parts[1:] {
		t = append(t, hcl.TraverseAttr{Name: p})
	}
	return t
}

// renderJSON writes Terraform's JSON syntax: each block type a property of
// the root object, labels as nested objects, several blocks with the same
// labels as an array, comments as "//" properties (which Terraform
// ignores). Strings are templates in this syntax, so literal "${" and "%{"
// are escaped, and references are written as interpolations.
func renderJSON(files []File) []byte {
	root := &jsonObject{}
	var comment []string
	for _, f := range files {
		if len(comment) == 0 {
			comment = f.Comment
		}
		for _, blk := range f.Blocks {
			addJSONBlock(root, blk)
		}
	}
	if len(comment) > 0 {
		root.prepend("//", strings.Join(comment, " "))
	}
	var buf bytes.Buffer
	writeJSONValue(&buf, root, "")
	buf.WriteByte('\n')
	return buf.Bytes()
}

func addJSONBlock(parent *jsonObject, blk *Block) {
	body := &jsonObject{}
	var comments []string
	comments = append(comments, blk.Comment...)
	for _, it := range blk.Body {
		switch {
		case it.Comment != nil:
			comments = append(comments, it.Comment...)
		case it.Block != nil:
			addJSONBlock(body, it.Block)
		case it.Attr != nil:
			comments = append(comments, it.Attr.Comment...)
			body.set(it.Attr.Name, jsonExpr(it.Attr.Value))
		}
	}
	if len(comments) > 0 {
		body.prepend("//", strings.Join(comments, " "))
	}
	path := append([]string{blk.Type}, blk.Labels...)
	cur := parent
	for _, key := range path[:len(path)-1] {
		next, ok := cur.get(key).(*jsonObject)
		if !ok {
			next = &jsonObject{}
			cur.set(key, next)
		}
		cur = next
	}
	last := path[len(path)-1]
	switch existing := cur.get(last).(type) {
	case nil:
		cur.set(last, body)
	case *jsonObject:
		cur.set(last, []any{existing, body})
	case []any:
		cur.set(last, append(existing, body))
	}
}

// jsonExpr is an expression as a JSON value of Terraform's JSON syntax.
func jsonExpr(e Expr) any {
	switch v := e.(type) {
	case Str:
		return escapeTemplate(string(v))
	case Num:
		return jsonNumber(v)
	case Bool:
		return bool(v)
	case Null:
		return nil
	case Ref:
		return "${" + string(v) + "}"
	case Keyword:
		return string(v)
	case Template:
		return templateText(v, escapeTemplate)
	case List:
		out := make([]any, len(v.Items))
		for i, it := range v.Items {
			out[i] = jsonExpr(it)
		}
		return out
	case Object:
		o := &jsonObject{}
		for _, a := range v.Attrs {
			o.set(escapeTemplate(a.Key), jsonExpr(a.Value))
		}
		return o
	case JSONEncode:
		return templateText(encoded(v.Value, !stableText(v.Value)), escapeTemplate)
	}
	panic(fmt.Sprintf("tfexport: no JSON for %T", e))
}

// encoded is the JSON text jsonencode(e) produces, as a template:
// literal text, and references as interpolations inside their strings.
// With ascii, every character beyond ASCII is written as a JSON \u escape.
func encoded(e Expr, ascii bool) Template {
	var t Template
	lit := func(s string) {
		if n := len(t); n > 0 {
			if prev, ok := t[n-1].(Str); ok {
				t[n-1] = prev + Str(s)
				return
			}
		}
		t = append(t, Str(s))
	}
	quote := func(s string) string {
		q := quoteJSON(s)
		if ascii {
			q = asciiJSON(q)
		}
		return q
	}
	var walk func(Expr)
	walk = func(e Expr) {
		switch v := e.(type) {
		case Str:
			lit(quote(string(v)))
		case Template:
			lit(`"`)
			for _, part := range v {
				switch p := part.(type) {
				case Str:
					q := quote(string(p))
					lit(q[1 : len(q)-1])
				case Ref:
					t = append(t, p)
				}
			}
			lit(`"`)
		case Num:
			lit(string(v))
		case Bool:
			lit(fmt.Sprint(bool(v)))
		case Null:
			lit("null")
		case List:
			lit("[")
			for i, it := range v.Items {
				if i > 0 {
					lit(",")
				}
				walk(it)
			}
			lit("]")
		case Object:
			lit("{")
			for i, a := range v.Attrs {
				if i > 0 {
					lit(",")
				}
				lit(quote(a.Key) + ":")
				walk(a.Value)
			}
			lit("}")
		default:
			panic(fmt.Sprintf("tfexport: cannot encode %T in a document", e))
		}
	}
	walk(e)
	return t
}

// asciiJSON is JSON text with every character beyond ASCII written as a
// \u escape (a surrogate pair beyond the Basic Multilingual Plane).
func asciiJSON(text string) string {
	var sb strings.Builder
	for _, r := range text {
		if r < utf8.RuneSelf {
			sb.WriteRune(r)
			continue
		}
		escapeRune(&sb, r)
	}
	return sb.String()
}

// stableText reports whether Terraform keeps every string of e as it is.
// Terraform brings each string value to Unicode's NFC form, so a
// document holding, say, U+037E (which NFC makes ';') would not be the
// live one after jsonencode; such a document is written as JSON text
// with \u escapes instead, which NFC leaves alone and IAM reads back as
// the same characters.
func stableText(e Expr) bool {
	switch v := e.(type) {
	case Str:
		return norm.NFC.IsNormalString(string(v))
	case Template:
		return norm.NFC.IsNormalString(templateText(v, func(s string) string { return s }))
	case List:
		for _, it := range v.Items {
			if !stableText(it) {
				return false
			}
		}
	case Object:
		for _, a := range v.Attrs {
			if !norm.NFC.IsNormalString(a.Key) || !stableText(a.Value) {
				return false
			}
		}
	}
	return true
}

// templateText writes a template in the JSON syntax's string form: literal
// parts through lit, references as interpolations.
func templateText(t Template, lit func(string) string) string {
	var sb strings.Builder
	for _, part := range t {
		switch p := part.(type) {
		case Str:
			sb.WriteString(lit(string(p)))
		case Ref:
			sb.WriteString("${" + string(p) + "}")
		}
	}
	return sb.String()
}

// escapeTemplate keeps "${" and "%{" literal in a string that Terraform
// reads as a template.
func escapeTemplate(s string) string {
	s = strings.ReplaceAll(s, "${", "$${")
	return strings.ReplaceAll(s, "%{", "%%{")
}
