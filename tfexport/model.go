package tfexport

// Config is generated Terraform as data: files of blocks, plus what a
// caller reports about them. Render writes it in either syntax.
type Config struct {
	ClusterID   string
	ClusterName string
	Files       []File
	// Resources lists every resource address with its import ID ("" when the
	// resource does not exist yet and `terraform apply` would create it).
	Resources []Resource
	// Warnings are things about the live state the person should know
	// before trusting the output, as sentences (also comments in it).
	Warnings []string
}

// Resource is one resource of the generated configuration.
type Resource struct {
	Address  string `json:"address"`
	ImportID string `json:"import_id,omitempty"`
}

// File is one file of the configuration: Name is its base name without the
// extension (".tf" or ".tf.json" depends on the syntax).
type File struct {
	Name    string
	Comment []string
	Blocks  []*Block
}

// Block is a Terraform block: resource "TYPE" "LABEL" { … }.
type Block struct {
	Type    string
	Labels  []string
	Comment []string
	Body    []Item
}

// Item is one entry of a block body: an attribute, a nested block, comment
// lines of their own, or a blank line (native syntax only, for reading).
type Item struct {
	Attr    *Attr
	Block   *Block
	Comment []string
	Gap     bool
}

// Attr is an argument: name = value, with comment lines above it.
type Attr struct {
	Name    string
	Value   Expr
	Comment []string
}

// Expr is an expression. The kinds below are all the output needs.
type Expr interface{ expr() }

// Str is a literal string.
type Str string

// Num is a literal number, as its decimal text.
type Num string

// Bool is a literal boolean.
type Bool bool

// Null is the null literal (IAM documents may hold one in a condition).
type Null struct{}

// Ref is a reference to a value: var.role_name, aws_iam_role.x.arn. JSON
// syntax writes it as an interpolation, "${var.role_name}".
type Ref string

// Keyword is a reference Terraform reads statically, not as a value: a
// provider configuration (aws.us_east_1), a depends_on or import target
// (aws_iam_role.x), a type (string). JSON syntax writes it as a plain
// string.
type Keyword string

// Template is a string made of literal parts (Str) and references (Ref):
// "arn:aws:logs:*:1:log-group:${var.log_group_name}:*".
type Template []Expr

// List is a tuple; Multiline puts one element a line.
type List struct {
	Items     []Expr
	Multiline bool
}

// Object is an object constructor. Keys that are identifiers are written
// bare unless QuoteKeys (maps of data, such as tags, read better quoted).
type Object struct {
	Attrs     []ObjectAttr
	QuoteKeys bool
}

// ObjectAttr is one key of an Object.
type ObjectAttr struct {
	Key   string
	Value Expr
}

// JSONEncode is jsonencode(Value): how the native syntax writes a policy
// document. JSON syntax writes the document's JSON text as a string
// instead, with references inside it as interpolations.
type JSONEncode struct{ Value Expr }

func (Str) expr()        {}
func (Num) expr()        {}
func (Bool) expr()       {}
func (Null) expr()       {}
func (Ref) expr()        {}
func (Keyword) expr()    {}
func (Template) expr()   {}
func (List) expr()       {}
func (Object) expr()     {}
func (JSONEncode) expr() {}

// attr, note, gap and nested build body items.
func attr(name string, v Expr, comment ...string) Item {
	return Item{Attr: &Attr{Name: name, Value: v, Comment: comment}}
}

func note(lines ...string) Item { return Item{Comment: lines} }

func gap() Item { return Item{Gap: true} }

func nested(b *Block) Item { return Item{Block: b} }

// strList turns a list of strings into a List of Str.
func strList(values []string, multiline bool) List {
	items := make([]Expr, len(values))
	for i, v := range values {
		items[i] = Str(v)
	}
	return List{Items: items, Multiline: multiline && len(values) > 1}
}
