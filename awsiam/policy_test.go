package awsiam

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, text string) *PolicyDocument {
	t.Helper()
	d, err := ParsePolicy(text)
	if err != nil {
		t.Fatalf("ParsePolicy(%s): %v", text, err)
	}
	return d
}

func TestParsePolicyLegalForms(t *testing.T) {
	tests := []struct {
		name string
		text string
		want PolicyDocument
	}{
		{
			name: "action as string, statement as array",
			text: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:*:1:log-group:g:*"}]}`,
			want: PolicyDocument{Version: PolicyVersion, Statement: []Statement{{
				Effect: "Allow", Action: StringList{"logs:PutLogEvents"}, Resource: StringList{"arn:aws:logs:*:1:log-group:g:*"},
			}}},
		},
		{
			name: "action as array, statement as lone object, Id and Sid",
			text: `{"Version":"2012-10-17","Id":"doc","Statement":{"Sid":"One","Effect":"Deny","Action":["s3:GetObject","s3:PutObject"],"Resource":["*"]}}`,
			want: PolicyDocument{Version: PolicyVersion, ID: "doc", Statement: []Statement{{
				Sid: "One", Effect: "Deny", Action: StringList{"s3:GetObject", "s3:PutObject"}, Resource: StringList{"*"},
			}}},
		},
		{
			name: "principal wildcard string",
			text: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`,
			want: PolicyDocument{Statement: []Statement{{
				Effect: "Allow", Principal: &Principal{Wildcard: true}, Action: StringList{"sts:AssumeRole"},
			}}},
		},
		{
			name: "principal of every type, string and array",
			text: `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","222222222222"],"Service":"logs.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":"79a59df900b949e55d96a1e698fbaced"},"Action":"sts:AssumeRole"}]}`,
			want: PolicyDocument{Version: PolicyVersion2008, Statement: []Statement{{
				Effect: "Allow",
				Principal: &Principal{
					AWS:           StringList{"arn:aws:iam::111111111111:root", "222222222222"},
					Service:       StringList{"logs.amazonaws.com"},
					Federated:     StringList{"cognito-identity.amazonaws.com"},
					CanonicalUser: StringList{"79a59df900b949e55d96a1e698fbaced"},
				},
				Action: StringList{"sts:AssumeRole"},
			}}},
		},
		{
			name: "NotAction, NotResource, NotPrincipal",
			text: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:role/Admin"},"NotAction":["iam:*"],"NotResource":"arn:aws:s3:::b/*"}]}`,
			want: PolicyDocument{Version: PolicyVersion, Statement: []Statement{{
				Effect: "Deny", NotPrincipal: &Principal{AWS: StringList{"arn:aws:iam::111111111111:role/Admin"}},
				NotAction: StringList{"iam:*"}, NotResource: StringList{"arn:aws:s3:::b/*"},
			}}},
		},
		{
			name: "conditions with string, array, boolean and number values",
			text: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringEquals":{"sts:ExternalId":"abc","aws:PrincipalTag/team":["a","b"]},"Bool":{"aws:SecureTransport":true},"NumericLessThanEquals":{"s3:max-keys":10}}}]}`,
			want: PolicyDocument{Version: PolicyVersion, Statement: []Statement{{
				Effect: "Allow", Action: StringList{"s3:ListBucket"}, Resource: StringList{"*"},
				Condition: Condition{
					"StringEquals":          {"sts:ExternalId": {"abc"}, "aws:PrincipalTag/team": {"a", "b"}},
					"Bool":                  {"aws:SecureTransport": {"true"}},
					"NumericLessThanEquals": {"s3:max-keys": {"10"}},
				},
			}}},
		},
		{
			name: "empty Condition object as in the CockroachDB docs",
			text: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::271828182845:root"},"Action":"sts:AssumeRole","Condition":{}}]}`,
			want: PolicyDocument{Version: PolicyVersion, Statement: []Statement{{
				Effect: "Allow", Principal: &Principal{AWS: StringList{"arn:aws:iam::271828182845:root"}}, Action: StringList{"sts:AssumeRole"},
			}}},
		},
		{
			name: "URL-encoded as GetRole returns it",
			text: url.PathEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::271828182845:root"},"Action":"sts:AssumeRole"}]}`),
			want: PolicyDocument{Version: PolicyVersion, Statement: []Statement{{
				Effect: "Allow", Principal: &Principal{AWS: StringList{"arn:aws:iam::271828182845:root"}}, Action: StringList{"sts:AssumeRole"},
			}}},
		},
		{
			name: "URL-encoded with spaces as %20 and a literal plus",
			text: "%7B%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%22iam%3AGetRole%22%2C%20%22Resource%22%3A%20%22arn%3Aaws%3Aiam%3A%3A111111111111%3Arole/a+b%22%7D%5D%7D",
			want: PolicyDocument{Statement: []Statement{{
				Effect: "Allow", Action: StringList{"iam:GetRole"}, Resource: StringList{"arn:aws:iam::111111111111:role/a+b"},
			}}},
		},
		{
			name: "form-encoded with spaces as plus",
			text: url.QueryEscape(`{"Statement": {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "arn:aws:iam::111111111111:role/a+b"}}`),
			want: PolicyDocument{Statement: []Statement{{
				Effect: "Allow", Action: StringList{"iam:GetRole"}, Resource: StringList{"arn:aws:iam::111111111111:role/a+b"},
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.text)
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("parsed\n%#v\nwant\n%#v", *got, tt.want)
			}
			again := mustParse(t, got.JSON())
			if !Equivalent(got, again) || again.JSON() != got.JSON() {
				t.Errorf("canonical form does not round-trip:\n%s\n%s", got.JSON(), again.JSON())
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"empty", "  ", "empty"},
		{"not JSON", "{", "not valid JSON"},
		{"trailing data", `{"Statement":{"Effect":"Allow","Action":"a:b"}} x`, "not valid JSON"},
		{"array at top", `[]`, "policy document: must be a JSON object, not array"},
		{"unknown top-level key", `{"Statement":{"Effect":"Allow","Action":"a:b"},"Extra":1}`, `unknown element "Extra" (allowed: Version, Id, Statement)`},
		{"wrong case at top", `{"statement":{"Effect":"Allow","Action":"a:b"}}`, `did you mean "Statement"?`},
		{"no statement", `{"Version":"2012-10-17"}`, "no Statement"},
		{"empty statement array", `{"Statement":[]}`, "at least one statement"},
		{"statement is a string", `{"Statement":"x"}`, "Statement: must be an object or an array of objects, not string"},
		{"bad version", `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"a:b"}}`, `"2012-10-18" is not a policy language version`},
		{"unknown statement key", `{"Statement":[{"Effect":"Allow","Action":"a:b","Resources":"*"}]}`, `Statement[0]: unknown element "Resources"`},
		{"wrong case in statement", `{"Statement":[{"Effect":"Allow","action":"a:b"}]}`, `did you mean "Action"?`},
		{"missing effect", `{"Statement":[{"Action":"a:b"}]}`, "Statement[0]: Effect is missing"},
		{"bad effect", `{"Statement":[{"Effect":"allow","Action":"a:b"}]}`, `Statement[0].Effect: "allow" is not an effect`},
		{"Action and NotAction", `{"Statement":[{"Effect":"Allow","Action":"a:b","NotAction":"c:d"}]}`, "both Action and NotAction"},
		{"no action", `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, "needs Action or NotAction"},
		{"Resource and NotResource", `{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","NotResource":"x"}]}`, "both Resource and NotResource"},
		{"Principal and NotPrincipal", `{"Statement":[{"Effect":"Allow","Action":"a:b","Principal":"*","NotPrincipal":"*"}]}`, "both Principal and NotPrincipal"},
		{"principal string not wildcard", `{"Statement":[{"Effect":"Allow","Action":"a:b","Principal":"arn:aws:iam::1:root"}]}`, `the only string form is "*"`},
		{"principal unknown type", `{"Statement":[{"Effect":"Allow","Action":"a:b","Principal":{"Account":"1"}}]}`, `unknown element "Account"`},
		{"principal empty object", `{"Statement":[{"Effect":"Allow","Action":"a:b","Principal":{}}]}`, "names no principal"},
		{"number in Action", `{"Statement":[{"Effect":"Allow","Action":[1]}]}`, "Statement[0].Action[0]: must be a string or an array of strings, not number"},
		{"null Resource", `{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":null}]}`, "Statement[0].Resource: must be a string or an array of strings, not null"},
		{"empty Action array", `{"Statement":[{"Effect":"Allow","Action":[]}]}`, "Statement[0].Action: the array is empty"},
		{"duplicate key", `{"Statement":[{"Effect":"Allow","Action":"a:b","Action":"c:d"}]}`, `element "Action" appears twice`},
		{"condition value object", `{"Statement":[{"Effect":"Allow","Action":"a:b","Condition":{"StringEquals":{"k":{}}}}]}`, "Condition.StringEquals.k: must be a string, number, boolean or an array of them, not object"},
		{"condition operator not object", `{"Statement":[{"Effect":"Allow","Action":"a:b","Condition":{"StringEquals":"k"}}]}`, "Condition.StringEquals: must be a JSON object, not string"},
		{"bad percent encoding", "%7B%ZZ", "neither JSON nor URL-encoded JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParsePolicy(tt.text)
			if err == nil {
				t.Fatalf("ParsePolicy accepted it: %s", d.JSON())
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestCanonicalJSON(t *testing.T) {
	d := mustParse(t, `{"Statement":{"Condition":{"StringLike":{"k":["b","a","b"]}},"Resource":["r2","r1","r1"],"Action":["b:Y","a:X"],"Principal":{"Service":"s","AWS":["2","1"]},"Effect":"Allow","Sid":"S"},"Id":"I","Version":"2012-10-17"}`)
	want := `{
  "Version": "2012-10-17",
  "Id": "I",
  "Statement": [
    {
      "Sid": "S",
      "Effect": "Allow",
      "Principal": {
        "AWS": [
          "1",
          "2"
        ],
        "Service": "s"
      },
      "Action": [
        "a:X",
        "b:Y"
      ],
      "Resource": [
        "r1",
        "r2"
      ],
      "Condition": {
        "StringLike": {
          "k": [
            "a",
            "b"
          ]
        }
      }
    }
  ]
}`
	if got := d.JSON(); got != want {
		t.Errorf("JSON():\n%s\nwant\n%s", got, want)
	}
	// No HTML escaping: condition values are compared as text by AWS.
	amp := &PolicyDocument{Statement: []Statement{{Effect: EffectAllow, Action: StringList{"a:b"}, Condition: Condition{"StringEquals": {"k": {"x&<y>"}}}}}}
	if !strings.Contains(amp.JSON(), `"x&<y>"`) {
		t.Errorf("special characters were escaped: %s", amp.JSON())
	}
}

func TestPolicyDocumentInOtherJSON(t *testing.T) {
	type record struct {
		Doc *PolicyDocument `json:"doc"`
	}
	var r record
	if err := json.Unmarshal([]byte(`{"doc":{"Statement":{"Effect":"Allow","Action":"a:b"}}}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.Doc == nil || len(r.Doc.Statement) != 1 || r.Doc.Statement[0].Action[0] != "a:b" {
		t.Fatalf("embedded document not read: %+v", r.Doc)
	}
	if err := json.Unmarshal([]byte(`{"doc":{"Statement":{"Effect":"Allow"}}}`), &r); err == nil {
		t.Error("embedded document was not checked strictly")
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"doc":{"Statement":[{"Effect":"Allow","Action":"a:b"}]}}` {
		t.Errorf("embedded document written as %s", b)
	}
}

func TestEquivalent(t *testing.T) {
	base := `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["logs:PutLogEvents","logs:CreateLogStream"],"Resource":["r1","r2"],"Condition":{"StringEquals":{"sts:ExternalId":"x"}}},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`
	tests := []struct {
		name  string
		other string
		want  bool
	}{
		{"identical", base, true},
		{"reordered lists, statements and a lone-string form", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["iam:*"],"Resource":["*"]},{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":["r2","r1","r2"],"Condition":{"StringEquals":{"sts:ExternalId":["x"]}}}]}`, true},
		{"action case and Sid differ", `{"Version":"2012-10-17","Statement":[{"Sid":"Other","Effect":"Allow","Action":["LOGS:putlogevents","logs:createlogstream"],"Resource":["r1","r2"],"Condition":{"StringEquals":{"STS:EXTERNALID":"x"}}},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`, true},
		{"duplicated statement", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents","logs:CreateLogStream"],"Resource":["r1","r2"],"Condition":{"StringEquals":{"sts:ExternalId":"x"}}},{"Effect":"Deny","Action":"iam:*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`, true},
		{"resource case matters", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents","logs:CreateLogStream"],"Resource":["R1","r2"],"Condition":{"StringEquals":{"sts:ExternalId":"x"}}},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`, false},
		{"missing statement", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`, false},
		{"different condition value", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents","logs:CreateLogStream"],"Resource":["r1","r2"],"Condition":{"StringEquals":{"sts:ExternalId":"y"}}},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`, false},
		{"no condition", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents","logs:CreateLogStream"],"Resource":["r1","r2"]},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`, false},
		{"NotAction instead of Action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["logs:PutLogEvents","logs:CreateLogStream"],"Resource":["r1","r2"],"Condition":{"StringEquals":{"sts:ExternalId":"x"}}},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`, false},
		{"other version", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents","logs:CreateLogStream"],"Resource":["r1","r2"],"Condition":{"StringEquals":{"sts:ExternalId":"x"}}},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`, false},
	}
	a := mustParse(t, base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustParse(t, tt.other)
			if got := Equivalent(a, b); got != tt.want {
				t.Errorf("Equivalent = %v, want %v", got, tt.want)
			}
			if got := Equivalent(b, a); got != tt.want {
				t.Errorf("Equivalent (reversed) = %v, want %v", got, tt.want)
			}
		})
	}
	if !Equivalent(mustParse(t, `{"Statement":{"Effect":"Allow","Action":"a:b"}}`), mustParse(t, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"a:b"}}`)) {
		t.Error("absent Version should mean 2008-10-17")
	}
	if Equivalent(nil, a) || !Equivalent(nil, nil) {
		t.Error("nil handling")
	}
	wild := mustParse(t, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"a:b"}}`)
	awsWild := mustParse(t, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"a:b"}}`)
	if Equivalent(wild, awsWild) {
		t.Error(`"*" and {"AWS":"*"} are kept apart`)
	}
}

func TestClone(t *testing.T) {
	d := TrustPolicy("271828182845", "ext")
	c := d.Clone()
	c.Statement[0].Principal.AWS[0] = "changed"
	c.Statement[0].Condition["StringEquals"][ExternalIDConditionKey][0] = "changed"
	if d.Statement[0].Principal.AWS[0] == "changed" || d.Statement[0].Condition["StringEquals"][ExternalIDConditionKey][0] == "changed" {
		t.Error("Clone shares memory with the original")
	}
}
