package awsiam

import (
	"reflect"
	"testing"
)

func FuzzEvaluate(f *testing.F) {
	perm := PermissionPolicy(PermissionSpec{Account: ownAccount, LogGroups: []string{"crdb-logs"}, Regions: []string{"us-east-1"}}).JSON()
	seeds := []struct{ policy, action, resource, key, value string }{
		{perm, "logs:PutLogEvents", "arn:aws:logs:us-east-1:" + ownAccount + ":log-group:crdb-logs:log-stream:s", "aws:RequestedRegion", "us-east-1"},
		{perm, "logs:DescribeLogGroups", "arn:aws:logs:us-east-1:" + ownAccount + ":log-group::log-stream:", "", ""},
		{TrustPolicy(clusterAccount, "ext").JSON(), "sts:AssumeRole", "", "sts:ExternalId", "ext"},
		{`{"Statement":{"Effect":"Deny","NotAction":"logs:?ut*","NotResource":["a*b:c","${*}"],"Condition":{"ForAnyValue:StringLikeIfExists":{"k":["v*"]},"Null":{"x":true}}}}`, "LOGS:PUTX", "ab:c", "k", "vv"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::${aws:PrincipalAccount}:role/${aws:username, 'x'}","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:${x}:iam::*:*"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"NumericLessThan":{"n":1e3}}}]}`, "iam:GetRole", "arn:aws:iam::1:role/x", "aws:SourceIp", "10.1.2.3"},
		{`{"Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","*"]},"Action":"sts:*"}}`, "sts:AssumeRole", "*", "n", "5"},
		{`{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"1"},"Action":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030"}}}]}`, "*", "***", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.policy, s.action, s.resource, s.key, s.value)
	}
	f.Fuzz(func(t *testing.T, policy, action, resource, key, value string) {
		doc, err := ParsePolicy(policy)
		if err != nil {
			return
		}
		ctx := map[string]string{}
		if key != "" {
			ctx[key] = value
		}
		req := Request{Action: action, Resource: resource, Context: ctx}
		identity := []PolicySource{{Kind: SourceInline, Name: "fuzz", Document: doc}}
		boundary := &PolicySource{Kind: SourceBoundary, Name: "fuzz", Document: doc}

		for _, b := range []*PolicySource{nil, boundary} {
			first := Evaluate(identity, b, req)
			second := Evaluate(identity, b, req)
			if !reflect.DeepEqual(first, second) {
				t.Fatalf("not deterministic:\n%+v\n%+v", first, second)
			}
			evCheckEvaluation(t, doc, first)
			// Canonical JSON means the same thing, so it decides the same way.
			again, err := ParsePolicy(doc.JSON())
			if err != nil {
				t.Fatalf("canonical form does not parse: %v", err)
			}
			var b2 *PolicySource
			if b != nil {
				b2 = &PolicySource{Kind: SourceBoundary, Name: "fuzz", Document: again}
			}
			if re := Evaluate([]PolicySource{{Kind: SourceInline, Name: "fuzz", Document: again}}, b2, req); re.Decision != first.Decision {
				t.Fatalf("canonical form decides %v, original %v\n%s", re.Decision, first.Decision, doc.JSON())
			}
		}

		tr := EvaluateTrust(doc, key, value)
		if !reflect.DeepEqual(tr, EvaluateTrust(doc, key, value)) {
			t.Fatal("EvaluateTrust not deterministic")
		}
		if tr.Allowed != (tr.Decision == Allowed) {
			t.Fatalf("Allowed %v with decision %v", tr.Allowed, tr.Decision)
		}
		if tr.Reason == "" {
			t.Fatal("trust result without a reason")
		}
	})
}

// evCheckEvaluation asserts what every Evaluation must satisfy.
func evCheckEvaluation(t *testing.T, doc *PolicyDocument, ev Evaluation) {
	t.Helper()
	if ev.Reason == "" {
		t.Fatal("evaluation without a reason")
	}
	switch ev.Decision {
	case ImplicitDeny:
		if len(ev.DecidedBy) != 0 {
			t.Fatalf("implicit deny names statements: %+v", ev.DecidedBy)
		}
	case Allowed, ExplicitDeny, Undecided:
		if len(ev.DecidedBy) == 0 {
			t.Fatalf("%v names no statement", ev.Decision)
		}
	default:
		t.Fatalf("decision %d out of range", int(ev.Decision))
	}
	for _, r := range ev.DecidedBy {
		if r.Index < 0 || r.Index >= len(doc.Statement) {
			t.Fatalf("statement index %d out of range", r.Index)
		}
		st := doc.Statement[r.Index]
		switch {
		case ev.Decision == ExplicitDeny && st.Effect != EffectDeny:
			t.Fatalf("explicit deny decided by an %s statement", st.Effect)
		case ev.Decision == Allowed && st.Effect != EffectAllow:
			t.Fatalf("allow decided by a %s statement", st.Effect)
		}
	}
}
