package tfexport

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// tfConfig is what a Terraform configuration says, read back from either
// syntax the way Terraform reads it: the same blocks and schema, values
// evaluated, and the static references (provider, depends_on, import
// targets) as addresses. Two syntaxes saying the same give equal values.
type tfConfig struct {
	RequiredVersion string
	// RequiredProviders maps a provider's local name to its source and
	// version constraint.
	RequiredProviders map[string]map[string]any
	// Providers maps "aws.ALIAS" (or a name without alias) to its
	// arguments.
	Providers map[string]map[string]any
	Variables map[string]tfVariable
	Resources map[string]*tfResource
	// Imports maps a resource address to its import.
	Imports map[string]tfImport
}

type tfVariable struct {
	Type    string
	Default any
}

type tfResource struct {
	Provider  string
	DependsOn []string
	// Args are the evaluated arguments: references to variables take their
	// defaults, references to other resources become "<address.attr>",
	// and policy documents (JSON text) are decoded so their spelling does
	// not matter, only their content.
	Args map[string]any
	// Refs lists, per argument, the references it makes.
	Refs map[string][]string
}

type tfImport struct {
	ID       string
	Provider string
}

var (
	rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "terraform"},
		{Type: "provider", LabelNames: []string{"name"}},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "resource", LabelNames: []string{"type", "name"}},
		{Type: "import"},
	}}
	terraformSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "required_version"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "required_providers"}},
	}
	variableSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "description"}, {Name: "type"}, {Name: "default"}}}
	importSchema   = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "to", Required: true}, {Name: "id", Required: true}, {Name: "provider"}}}
)

// parseTerraform parses documents (syntax by name: x.tf or x.tf.json) and
// decodes them together, as Terraform reads the files of a directory.
func parseTerraform(t *testing.T, docs ...Output) *tfConfig {
	t.Helper()
	p := hclparse.NewParser()
	var files []*hcl.File
	for _, d := range docs {
		var f *hcl.File
		var diags hcl.Diagnostics
		if strings.HasSuffix(d.Name, ".json") {
			f, diags = p.ParseJSON(d.Data, d.Name)
		} else {
			f, diags = p.ParseHCL(d.Data, d.Name)
		}
		if diags.HasErrors() {
			t.Fatalf("%s does not parse: %s", d.Name, diags.Error())
		}
		files = append(files, f)
	}
	return decodeTerraform(t, hcl.MergeFiles(files))
}

func decodeTerraform(t *testing.T, body hcl.Body) *tfConfig {
	t.Helper()
	check := func(d hcl.Diagnostics) {
		t.Helper()
		if d.HasErrors() {
			t.Fatal(d.Error())
		}
	}
	content, d := body.Content(rootSchema)
	check(d)
	c := &tfConfig{
		RequiredProviders: map[string]map[string]any{}, Providers: map[string]map[string]any{},
		Variables: map[string]tfVariable{}, Resources: map[string]*tfResource{}, Imports: map[string]tfImport{},
	}
	var resources, imports []*hcl.Block
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "terraform":
			tc, d := blk.Body.Content(terraformSchema)
			check(d)
			if a := tc.Attributes["required_version"]; a != nil {
				c.RequiredVersion = goValue(t, a.Expr, nil).(string)
			}
			for _, rp := range tc.Blocks {
				attrs, d := rp.Body.JustAttributes()
				check(d)
				for name, a := range attrs {
					c.RequiredProviders[name] = goValue(t, a.Expr, nil).(map[string]any)
				}
			}
		case "provider":
			attrs, d := blk.Body.JustAttributes()
			check(d)
			args := map[string]any{}
			for name, a := range attrs {
				args[name] = goValue(t, a.Expr, nil)
			}
			key := blk.Labels[0]
			if alias, ok := args["alias"].(string); ok {
				key += "." + alias
			}
			if _, dup := c.Providers[key]; dup {
				t.Errorf("provider %s configured twice", key)
			}
			c.Providers[key] = args
		case "variable":
			vc, d := blk.Body.Content(variableSchema)
			check(d)
			v := tfVariable{Type: hcl.ExprAsKeyword(vc.Attributes["type"].Expr)}
			if a := vc.Attributes["default"]; a != nil {
				v.Default = goValue(t, a.Expr, nil)
			}
			c.Variables[blk.Labels[0]] = v
		case "resource":
			resources = append(resources, blk)
		case "import":
			imports = append(imports, blk)
		}
	}
	ctx := evalContext(c, resources)
	for _, blk := range resources {
		addr := blk.Labels[0] + "." + blk.Labels[1]
		attrs, d := blk.Body.JustAttributes()
		check(d)
		r := &tfResource{Args: map[string]any{}, Refs: map[string][]string{}}
		for name, a := range attrs {
			switch name {
			case "provider":
				r.Provider = address(t, a.Expr)
			case "depends_on":
				exprs, d := hcl.ExprList(a.Expr)
				check(d)
				for _, e := range exprs {
					r.DependsOn = append(r.DependsOn, address(t, e))
				}
			default:
				r.Args[name] = goValue(t, a.Expr, ctx)
				for _, tr := range a.Expr.Variables() {
					r.Refs[name] = append(r.Refs[name], traversalString(tr))
				}
			}
		}
		if _, dup := c.Resources[addr]; dup {
			t.Errorf("resource %s declared twice", addr)
		}
		c.Resources[addr] = r
	}
	for _, blk := range imports {
		ic, d := blk.Body.Content(importSchema)
		check(d)
		to := address(t, ic.Attributes["to"].Expr)
		imp := tfImport{ID: goValue(t, ic.Attributes["id"].Expr, nil).(string)}
		if a := ic.Attributes["provider"]; a != nil {
			imp.Provider = address(t, a.Expr)
		}
		if _, dup := c.Imports[to]; dup {
			t.Errorf("%s imported twice", to)
		}
		c.Imports[to] = imp
	}
	return c
}

// evalContext is what the expressions may refer to: the variables with
// their defaults, each resource's arn, name and id as a placeholder naming
// it, and jsonencode.
func evalContext(c *tfConfig, resources []*hcl.Block) *hcl.EvalContext {
	vars := map[string]cty.Value{}
	for name, v := range c.Variables {
		vars[name] = toCty(v.Default)
	}
	byType := map[string]map[string]cty.Value{}
	for _, blk := range resources {
		typ, name := blk.Labels[0], blk.Labels[1]
		if byType[typ] == nil {
			byType[typ] = map[string]cty.Value{}
		}
		attrs := map[string]cty.Value{}
		for _, a := range []string{"arn", "name", "id"} {
			attrs[a] = cty.StringVal("<" + typ + "." + name + "." + a + ">")
		}
		byType[typ][name] = cty.ObjectVal(attrs)
	}
	root := map[string]cty.Value{"var": cty.ObjectVal(vars)}
	for typ, m := range byType {
		root[typ] = cty.ObjectVal(m)
	}
	return &hcl.EvalContext{Variables: root, Functions: map[string]function.Function{"jsonencode": stdlib.JSONEncodeFunc}}
}

func toCty(v any) cty.Value {
	switch x := v.(type) {
	case string:
		return cty.StringVal(x)
	case float64:
		return cty.NumberFloatVal(x)
	case bool:
		return cty.BoolVal(x)
	}
	return cty.NullVal(cty.DynamicPseudoType)
}

// goValue evaluates an expression into plain Go values (as encoding/json
// would decode them). A string holding a JSON object or array — a policy
// document — is decoded too.
func goValue(t *testing.T, expr hcl.Expression, ctx *hcl.EvalContext) any {
	t.Helper()
	v, d := expr.Value(ctx)
	if d.HasErrors() {
		t.Fatalf("evaluating %s: %s", expr.Range(), d.Error())
	}
	b, err := ctyjson.SimpleJSONValue{Value: v}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if s, ok := out.(string); ok && (strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")) {
		var doc any
		if json.Unmarshal([]byte(s), &doc) == nil {
			return doc
		}
	}
	return out
}

// address reads a static reference (a provider configuration, a resource
// address), the way Terraform reads provider, depends_on and to.
func address(t *testing.T, expr hcl.Expression) string {
	t.Helper()
	tr, d := hcl.AbsTraversalForExpr(expr)
	if d.HasErrors() {
		t.Fatalf("%s is not a static reference: %s", expr.Range(), d.Error())
	}
	return traversalString(tr)
}

func traversalString(tr hcl.Traversal) string {
	parts := []string{tr.RootName()}
	for _, step := range tr[1:] {
		if a, ok := step.(hcl.TraverseAttr); ok {
			parts = append(parts, a.Name)
		}
	}
	return strings.Join(parts, ".")
}
