package access

import (
	"strings"
	"testing"
)

const (
	roleAcct    = "314159265358"
	clusterAcct = "271828182845"
	streamARN   = "arn:aws:logs:eu-west-1:314159265358:log-group:crdb:log-stream:crdb.eu-west-1.cockroachdbcloud.OPS.n1"
)

func mustParse(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

func TestIdentityPolicies(t *testing.T) {
	cases := []struct {
		name     string
		docs     []string
		action   string
		resource string
		want     Decision
	}{
		{"string forms", []string{`{"Statement":{"Effect":"Allow","Action":"logs:CreateLogStream","Resource":"arn:aws:logs:*:314159265358:log-group:crdb:*"}}`},
			"logs:CreateLogStream", streamARN, Allow},
		{"array forms", []string{`{"Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents","logs:CreateLogStream"],"Resource":["arn:aws:logs:us-east-1:314159265358:log-group:x:*","arn:aws:logs:eu-west-1:314159265358:log-group:crdb:*"]}]}`},
			"logs:CreateLogStream", streamARN, Allow},
		{"action case-insensitive with wildcard", []string{`{"Statement":[{"Effect":"Allow","Action":"LOGS:create*","Resource":"*"}]}`},
			"logs:CreateLogStream", streamARN, Allow},
		{"question mark", []string{`{"Statement":[{"Effect":"Allow","Action":"logs:?utLogEvents","Resource":"*"}]}`},
			"logs:PutLogEvents", streamARN, Allow},
		{"missing :* suffix denies streams", []string{`{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:*:314159265358:log-group:crdb"}]}`},
			"logs:CreateLogStream", streamARN, ImplicitDeny},
		{"cluster account in resource", []string{`{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:*:271828182845:log-group:crdb:*"}]}`},
			"logs:CreateLogStream", streamARN, ImplicitDeny},
		{"region restriction excludes region", []string{`{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":["arn:aws:logs:us-east-1:314159265358:log-group:crdb:*","arn:aws:logs:us-west-2:314159265358:log-group:crdb:*"]}]}`},
			"logs:CreateLogStream", streamARN, ImplicitDeny},
		{"region wildcard does not span segments", []string{`{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:eu-*:log-group:crdb:*"}]}`},
			"logs:CreateLogStream", streamARN, ImplicitDeny},
		{"deny wins across policies", []string{
			`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			`{"Statement":[{"Effect":"Deny","Action":"logs:CreateLogStream","Resource":"*"}]}`},
			"logs:CreateLogStream", streamARN, ExplicitDeny},
		{"NotAction allow", []string{`{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`},
			"logs:PutLogEvents", streamARN, Allow},
		{"NotAction excludes", []string{`{"Statement":[{"Effect":"Allow","NotAction":["logs:Put*"],"Resource":"*"}]}`},
			"logs:PutLogEvents", streamARN, ImplicitDeny},
		{"NotResource deny of other groups", []string{
			`{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"},{"Effect":"Deny","Action":"logs:*","NotResource":"arn:aws:logs:*:*:log-group:other:*"}]}`},
			"logs:PutLogEvents", streamARN, ExplicitDeny},
		{"NotResource allow", []string{`{"Statement":[{"Effect":"Allow","Action":"logs:*","NotResource":"arn:aws:logs:*:*:log-group:other:*"}]}`},
			"logs:PutLogEvents", streamARN, Allow},
		{"statement with principal ignored for identity", []string{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"logs:*","Resource":"*"}]}`},
			"logs:PutLogEvents", streamARN, ImplicitDeny},
		{"unknown condition operator not satisfied", []string{`{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}`},
			"logs:PutLogEvents", streamARN, ImplicitDeny},
		{"no policies", nil, "logs:PutLogEvents", streamARN, ImplicitDeny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ps []*Policy
			for _, d := range tc.docs {
				ps = append(ps, mustParse(t, d))
			}
			got := Evaluate(Request{Action: tc.action, Resource: tc.resource}, ps...)
			if got != tc.want {
				t.Errorf("Evaluate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTrustPolicies(t *testing.T) {
	roleARN := "arn:aws:iam::" + roleAcct + ":role/CockroachCloudLogExportRole"
	caller := &Caller{ARN: "arn:aws:iam::" + clusterAcct + ":role/crl-logexport", Account: clusterAcct}
	trust := func(principal, condition string) string {
		s := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"`
		if condition != "" {
			s += `,"Condition":` + condition
		}
		return s + `}]}`
	}
	extIDCond := `{"StringEquals":{"sts:ExternalId":"ext-123"}}`
	cases := []struct {
		name  string
		doc   string
		extID string // "" means not sent
		want  Decision
	}{
		{"root ARN", trust(`{"AWS":"arn:aws:iam::271828182845:root"}`, ""), "", Allow},
		{"bare account", trust(`{"AWS":"271828182845"}`, ""), "", Allow},
		{"array with account", trust(`{"AWS":["arn:aws:iam::111111111111:root","271828182845"]}`, ""), "", Allow},
		{"star", trust(`"*"`, ""), "", Allow},
		{"AWS star", trust(`{"AWS":"*"}`, ""), "", Allow},
		{"exact caller ARN", trust(`{"AWS":"arn:aws:iam::271828182845:role/crl-logexport"}`, ""), "", Allow},
		{"other role in cluster account", trust(`{"AWS":"arn:aws:iam::271828182845:role/someone-else"}`, ""), "", ImplicitDeny},
		{"another account", trust(`{"AWS":"arn:aws:iam::314159265358:root"}`, ""), "", ImplicitDeny},
		{"service principal", trust(`{"Service":"logs.amazonaws.com"}`, ""), "", ImplicitDeny},
		{"external id matches", trust(`{"AWS":"271828182845"}`, extIDCond), "ext-123", Allow},
		{"external id not sent", trust(`{"AWS":"271828182845"}`, extIDCond), "", ImplicitDeny},
		{"external id differs", trust(`{"AWS":"271828182845"}`, extIDCond), "ext-999", ImplicitDeny},
		{"external id list", trust(`{"AWS":"271828182845"}`, `{"StringEquals":{"sts:externalid":["a","ext-123"]}}`), "ext-123", Allow},
		{"StringLike", trust(`{"AWS":"271828182845"}`, `{"StringLike":{"sts:ExternalId":"ext-*"}}`), "ext-123", Allow},
		{"IfExists with key missing", trust(`{"AWS":"271828182845"}`, `{"StringEqualsIfExists":{"sts:ExternalId":"ext-123"}}`), "", Allow},
		{"negated with key missing", trust(`{"AWS":"271828182845"}`, `{"StringNotEquals":{"sts:ExternalId":"bad"}}`), "", Allow},
		{"ForAnyValue unknown", trust(`{"AWS":"271828182845"}`, `{"ForAnyValue:StringEquals":{"sts:ExternalId":"ext-123"}}`), "ext-123", ImplicitDeny},
		{"wrong action", strings.Replace(trust(`{"AWS":"271828182845"}`, ""), "sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", 1), "", ImplicitDeny},
		{"NotPrincipal deny others", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","NotPrincipal":{"AWS":"271828182845"},"Action":"sts:AssumeRole"}]}`, "", Allow},
		{"explicit deny of account", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*"},{"Effect":"Deny","Principal":{"AWS":["271828182845"]},"Action":"sts:AssumeRole"}]}`, "", ExplicitDeny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := map[string]string{}
			if tc.extID != "" {
				ctx["sts:ExternalId"] = tc.extID
			}
			got := Evaluate(Request{Caller: caller, Action: "sts:AssumeRole", Resource: roleARN, Context: ctx}, mustParse(t, tc.doc))
			if got != tc.want {
				t.Errorf("Evaluate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	for _, doc := range []string{
		``,
		`[]`,
		`{"Version":"2012-10-17"}`,
		`{"Statement":[{"Effect":"Permit","Action":"*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"x:y","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":7,"Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Principal":"someone"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"StringEquals":"x"}}]}`,
		`{"Statement":[]} trailing`,
	} {
		if _, err := Parse(doc); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", doc)
		}
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbb", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*:*", "log-stream:x", true},
		{"log-group:crdb:*", "log-group:crdb", false},
		{"**a", "bba", true},
	}
	for _, c := range cases {
		if got := Glob(c.p, c.s); got != c.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`{"Statement":{"Effect":"Allow","Action":"logs:*","Resource":"*"}}`)
	f.Add(`{"Statement":[{"Effect":"Deny","NotAction":["a:b"],"NotResource":"x","Principal":{"AWS":["1"]},"Condition":{"StringEquals":{"k":[true,1,"v"]}}}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		for _, st := range p.Statements {
			if (st.Action == nil) == (st.NotAction == nil) {
				t.Fatalf("accepted statement without exactly one of Action/NotAction: %q", doc)
			}
		}
		Evaluate(Request{Action: "logs:PutLogEvents", Resource: streamARN, Caller: &Caller{Account: clusterAcct}}, p)
	})
}
