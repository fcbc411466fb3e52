package awsiam

import (
	"strings"
	"testing"
)

func TestEvMatchWildcards(t *testing.T) {
	cases := []struct {
		pattern, s string
		segmented  bool
		want       bool
	}{
		{"*", "", true, true},
		{"*", "arn:aws:logs:us-east-1:1:log-group:x:log-stream:y", true, true},
		{"arn:aws:logs:*", "arn:aws:logs:us-east-1:1:log-group:x", true, true},
		{"arn:aws:logs:*:1:log-group:x:*", "arn:aws:logs:eu-west-1:1:log-group:x:log-stream:", true, true},
		{"arn:aws:logs:*:1:log-group:x:*", "arn:aws:logs:eu-west-1:1:log-group:x", true, false},
		{"arn:aws:logs:us-?ast-1:1:*", "arn:aws:logs:us-east-1:1:log-group:x", true, true},
		{"a?c", "abc", true, true},
		{"a?c", "ac", true, false},
		{"a?c", "a:c", true, false},
		{"a?c", "a:c", false, true},
		// A "*" inside a segment stays inside it; one that ends a segment
		// may run across colons.
		{"a*b:c", "ax:yb:c", true, false},
		{"a*b:c", "ax:yb:c", false, true},
		{"a*:c", "ax:y:c", true, true},
		{"x*y*z", "xyz", true, true},
		{"x*y*z", "xaybz", true, true},
		{"x*y*z", "xaybzq", true, false},
		{"ünï*", "ünïcode", true, true},
		{"??", "ü1", true, true},
		{"abc", "ab", true, false},
		{"", "", true, true},
	}
	for _, c := range cases {
		toks, _ := evCompile(c.pattern, evPatternOpts{wild: true}, nil)
		if got := evMatch(toks, c.s, c.segmented, false); got != c.want {
			t.Errorf("evMatch(%q, %q, segmented=%v) = %v, want %v", c.pattern, c.s, c.segmented, got, c.want)
		}
	}
	// Literal patterns treat wildcards as characters.
	toks, _ := evCompile("a*", evPatternOpts{}, nil)
	if evMatch(toks, "abc", false, false) || !evMatch(toks, "a*", false, false) {
		t.Error("non-wildcard pattern: * must be literal")
	}
}

func TestEvPolicyVariables(t *testing.T) {
	ctx := newEvContext(map[string]string{"aws:username": "ana*", "aws:PrincipalAccount": "123"}, "aws:userid")
	cases := []struct {
		pattern, s string
		want       evTri
	}{
		{"user/${aws:username}", "user/ana*", evYes},
		// A substituted value is literal text, not a wildcard.
		{"user/${aws:username}", "user/anabel", evNo},
		{"user/${AWS:UserName}", "user/ana*", evYes},
		{"a${*}b${?}c${$}", "a*b?c$", evYes},
		{"a${*}b", "axb", evNo},
		{"x/${aws:userid}", "x/", evNo},
		{"x/${aws:userid, 'nobody'}", "x/nobody", evYes},
		{"x/${aws:PrincipalTag/team}", "x/a", evUnknown},
		{"x/${aws:PrincipalTag/team, 'none'}", "x/none", evUnknown},
		{"x/${not closed", "x/${not closed", evYes},
		{"arn:aws:iam::${aws:PrincipalAccount}:role/*", "arn:aws:iam::123:role/r", evYes},
	}
	for _, c := range cases {
		got := evMatchPattern(c.pattern, c.s, evPatternOpts{wild: true, vars: true}, true, ctx)
		if got.v != c.want {
			t.Errorf("%q vs %q: %v (%s), want %v", c.pattern, c.s, got.v, got.why, c.want)
		}
	}
	got := evARNMatch("arn:aws:iam::${aws:PrincipalAccount}:role/*", "arn:aws:iam::123:role/x", true, ctx)
	if got.v != evYes {
		t.Errorf("ArnLike with a variable holding a colon-free value: %v", got.v)
	}
}

func TestEvCondition(t *testing.T) {
	ctx := newEvContext(map[string]string{
		"aws:RequestedRegion": "us-east-1",
		"aws:PrincipalArn":    "arn:aws:iam::123456789012:role/Exporter",
		"aws:SecureTransport": "true",
		"aws:SourceIp":        "203.0.113.7",
		"s3:max-keys":         "10",
		"aws:MultiValued":     "b",
	}, "sts:ExternalId")
	cases := []struct {
		name string
		cond string
		want evTri
		why  string
	}{
		{"StringEquals match", `{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}`, evYes, ""},
		{"StringEquals any of", `{"StringEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}`, evYes, ""},
		{"StringEquals is case-sensitive", `{"StringEquals":{"aws:RequestedRegion":"US-EAST-1"}}`, evNo, ""},
		{"key names are not", `{"StringEquals":{"AWS:requestedregion":"us-east-1"}}`, evYes, ""},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:RequestedRegion":"US-EAST-1"}}`, evYes, ""},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:RequestedRegion":"US-EAST-1"}}`, evNo, ""},
		{"StringNotEquals none of", `{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}`, evNo, ""},
		{"StringNotEquals holds", `{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}`, evYes, ""},
		{"StringLike", `{"StringLike":{"aws:RequestedRegion":"us-*"}}`, evYes, ""},
		{"StringLike ?", `{"StringLike":{"aws:RequestedRegion":"us-east-?"}}`, evYes, ""},
		{"StringNotLike", `{"StringNotLike":{"aws:RequestedRegion":"us-*"}}`, evNo, ""},
		{"StringEquals takes * literally", `{"StringEquals":{"aws:RequestedRegion":"us-*"}}`, evNo, ""},
		{"ArnLike", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Export*"}}`, evYes, ""},
		{"ArnEquals with wildcard", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/*"}}`, evYes, ""},
		{"ArnLike needs six parts", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam:*:role/Exporter"}}`, evNo, ""},
		{"ArnLike wildcard partition", `{"ArnLike":{"aws:PrincipalArn":"arn:*:iam::123456789012:role/Exporter"}}`, evYes, ""},
		{"ArnNotLike", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::999999999999:*"}}`, evYes, ""},
		{"ArnLike malformed", `{"ArnLike":{"aws:PrincipalArn":"role/Exporter"}}`, evNo, ""},
		{"Bool", `{"Bool":{"aws:SecureTransport":"true"}}`, evYes, ""},
		{"Bool false", `{"Bool":{"aws:SecureTransport":false}}`, evNo, ""},
		{"Null absent key", `{"Null":{"sts:ExternalId":"true"}}`, evYes, ""},
		{"Null present key", `{"Null":{"aws:RequestedRegion":"false"}}`, evYes, ""},
		{"Null wrong", `{"Null":{"aws:RequestedRegion":"true"}}`, evNo, ""},
		{"Null unknown key", `{"Null":{"aws:PrincipalTag/x":"true"}}`, evUnknown, "aws:PrincipalTag/x"},
		{"absent key, positive", `{"StringEquals":{"sts:ExternalId":"x"}}`, evNo, ""},
		{"absent key, negated", `{"StringNotEquals":{"sts:ExternalId":"x"}}`, evYes, ""},
		{"absent key, IfExists", `{"StringEqualsIfExists":{"sts:ExternalId":"x"}}`, evYes, ""},
		{"present key, IfExists", `{"StringEqualsIfExists":{"aws:RequestedRegion":"x"}}`, evNo, ""},
		{"absent key, ForAnyValue", `{"ForAnyValue:StringEquals":{"sts:ExternalId":"x"}}`, evNo, ""},
		{"absent key, ForAllValues", `{"ForAllValues:StringEquals":{"sts:ExternalId":"x"}}`, evYes, ""},
		{"absent key, ForAnyValue negated", `{"ForAnyValue:StringNotEquals":{"sts:ExternalId":"x"}}`, evNo, ""},
		{"ForAnyValue present", `{"ForAnyValue:StringLike":{"aws:MultiValued":["a","b*"]}}`, evYes, ""},
		{"ForAllValues present", `{"ForAllValues:StringEquals":{"aws:MultiValued":["a"]}}`, evNo, ""},
		{"unknown key", `{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}`, evUnknown, "needs aws:PrincipalOrgID, which is not known"},
		{"IpAddress", `{"IpAddress":{"aws:SourceIp":["198.51.100.0/24","203.0.113.0/24"]}}`, evYes, ""},
		{"IpAddress single address", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, evYes, ""},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, evNo, ""},
		{"IpAddress bad range", `{"IpAddress":{"aws:SourceIp":"nope"}}`, evUnknown, "not an address"},
		{"NumericLessThan", `{"NumericLessThan":{"s3:max-keys":11}}`, evYes, ""},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}`, evYes, ""},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, evNo, ""},
		{"NumericNotEquals", `{"NumericNotEquals":{"s3:max-keys":[9,10]}}`, evNo, ""},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"s3:max-keys":"10.0"}}`, evYes, ""},
		{"NumericEquals not a number", `{"NumericEquals":{"aws:RequestedRegion":"1"}}`, evUnknown, "not both numbers"},
		{"Date not decided", `{"DateGreaterThan":{"aws:RequestedRegion":"2020-01-01"}}`, evUnknown, "not one this tool decides"},
		{"made-up operator", `{"StringSortOf":{"aws:RequestedRegion":"us"}}`, evUnknown, "not one IAM defines"},
		{"NullIfExists is not an operator", `{"NullIfExists":{"aws:RequestedRegion":"true"}}`, evUnknown, "not one IAM defines"},
		{"AND across operators", `{"StringEquals":{"aws:RequestedRegion":"us-east-1"},"Bool":{"aws:SecureTransport":"true"}}`, evYes, ""},
		{"AND across keys", `{"StringEquals":{"aws:RequestedRegion":"us-east-1","aws:PrincipalArn":"x"}}`, evNo, ""},
		{"a definite no beats an unknown", `{"StringEquals":{"aws:PrincipalOrgID":"o-1"},"Bool":{"aws:SecureTransport":"false"}}`, evNo, ""},
		{"unknown beats yes", `{"StringEquals":{"aws:PrincipalOrgID":"o-1"},"Bool":{"aws:SecureTransport":"true"}}`, evUnknown, "aws:PrincipalOrgID"},
	}
	for _, c := range cases {
		doc := evParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":`+c.cond+`}}`)
		got := evCondition(doc.Statement[0].Condition, true, ctx)
		if got.v != c.want {
			t.Errorf("%s: %v (%s), want %v", c.name, got.v, got.why, c.want)
			continue
		}
		if c.why != "" && !strings.Contains(got.why, c.why) {
			t.Errorf("%s: reason %q lacks %q", c.name, got.why, c.why)
		}
	}
	if got := evCondition(nil, true, ctx); got.v != evYes {
		t.Errorf("no condition: %v", got.v)
	}
}
