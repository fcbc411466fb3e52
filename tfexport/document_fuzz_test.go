package tfexport

import (
	"bytes"
	"encoding/json"
	"io"
	"math/big"
	"reflect"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// FuzzDocumentRoundTrip: any JSON document IAM could hold, written as
// jsonencode(...) in the native syntax or as a string in the JSON syntax,
// gives back the same JSON value when Terraform evaluates it — escapes,
// template sequences, numbers, nesting and all.
func FuzzDocumentRoundTrip(f *testing.F) {
	for _, seed := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents","logs:CreateLogStream"],"Resource":"arn:aws:logs:*:1:log-group:x:*"}]}`,
		`{"Statement":{"Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"n":1e3}}}}`,
		`{"a":"${aws:username} %{if} $${x} \u0000\n\t\"\\ é ☃","for":null,"true":[],"in":{},"":-0.5}`,
		`[1,2.5e-7,"x",true,null,[[]],{"k":{"k":{"k":"v"}}}]`,
		`"just a string"`,
		// strings Terraform's NFC would change (U+037E becomes ';', e and a
		// combining acute become é), beside template sequences and a
		// character beyond the Basic Multilingual Plane
		"{\"Condition\":{\"StringEquals\":{\"k\u037e\":\"e\u0301 ${x} %{if} \U0001F600\"}}}",
		// characters that join what follows into one grapheme cluster,
		// before a closing quote and a backslash (HCL's JSON scanner reads
		// strings a cluster at a time)
		"[\"\u070f\",\"\U000110bd\\\\\",\"\u0600\\\"\"]",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		want, ok := decodeStrict(text)
		if !ok {
			return
		}
		e, err := parseDocument(text, func(s string) Expr { return Str(s) })
		if err != nil {
			t.Fatalf("valid JSON %q: %v", text, err)
		}
		blk := &Block{Type: "locals", Body: []Item{attr("doc", JSONEncode{Value: e})}}
		for _, doc := range []Output{
			{Name: "doc.tf", Data: renderHCL([]File{{Blocks: []*Block{blk}}})},
			{Name: "doc.tf.json", Data: renderJSON([]File{{Blocks: []*Block{blk}}})},
		} {
			got := evalLocal(t, doc)
			back, ok := decodeStrict(got)
			if !ok {
				t.Fatalf("%s gives %q, not JSON", doc.Name, got)
			}
			if !reflect.DeepEqual(back, want) {
				t.Fatalf("%s: %q came back as %q\n%s", doc.Name, text, got, doc.Data)
			}
		}
	})
}

// evalLocal parses a document holding `locals { doc = … }` and evaluates
// doc with jsonencode available, as Terraform would.
func evalLocal(t *testing.T, doc Output) string {
	t.Helper()
	p := hclparse.NewParser()
	var file *hcl.File
	var diags hcl.Diagnostics
	if doc.Name == "doc.tf.json" {
		file, diags = p.ParseJSON(doc.Data, doc.Name)
	} else {
		file, diags = p.ParseHCL(doc.Data, doc.Name)
	}
	if diags.HasErrors() {
		t.Fatalf("%s does not parse: %s\n%s", doc.Name, diags.Error(), doc.Data)
	}
	content, diags := file.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "locals"}}})
	if diags.HasErrors() || len(content.Blocks) != 1 {
		t.Fatalf("%s: %s", doc.Name, diags.Error())
	}
	attrs, diags := content.Blocks[0].Body.JustAttributes()
	if diags.HasErrors() {
		t.Fatalf("%s: %s", doc.Name, diags.Error())
	}
	ctx := &hcl.EvalContext{Functions: map[string]function.Function{"jsonencode": stdlib.JSONEncodeFunc}}
	v, diags := attrs["doc"].Expr.Value(ctx)
	if diags.HasErrors() {
		t.Fatalf("%s: %s\n%s", doc.Name, diags.Error(), doc.Data)
	}
	return v.AsString()
}

// decodeStrict decodes JSON text with numbers as exact values; ok is false
// for text that is not one JSON value, that has an object with a repeated
// key (IAM refuses those, so they never reach the export), or a number
// beyond about 1e±1000: no policy holds one, and Terraform's jsonencode
// writes every digit of 1e-999999 (minutes, and a fuzz worker killed).
func decodeStrict(text string) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			list := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		}
		obj := map[string]any{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			if _, dup := obj[k.(string)]; dup {
				return nil, errDuplicate
			}
			obj[k.(string)] = v
		}
		_, err := dec.Token()
		return obj, err
	case json.Number:
		n, ok := new(big.Float).SetString(t.String())
		if !ok {
			return nil, errDuplicate
		}
		if exp := n.MantExp(nil); exp > 3400 || exp < -3400 {
			return nil, errDuplicate
		}
		return n.Text('g', -1), nil
	default:
		return t, nil
	}
}

var errDuplicate = &json.UnsupportedValueError{Str: "repeated key, or a number unreadable or too large"}
