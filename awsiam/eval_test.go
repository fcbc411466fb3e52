package awsiam

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const (
	evRegion = "us-east-1"
	evGroup  = "crdb-logs"
)

func evParse(t *testing.T, text string) *PolicyDocument {
	t.Helper()
	d, err := ParsePolicy(text)
	if err != nil {
		t.Fatalf("ParsePolicy(%s): %v", text, err)
	}
	return d
}

// evRequest returns the RequiredRequests entry for action in region and
// group.
func evRequest(t *testing.T, action, region, group string) Request {
	t.Helper()
	for _, r := range RequiredRequests(ownAccount, []string{region}, []string{group}) {
		if r.Action == action {
			return r
		}
	}
	t.Fatalf("RequiredRequests has no %s", action)
	return Request{}
}

// evSub replaces ACCT, CLUSTER and GROUP in policy text.
func evSub(s string) string {
	return strings.NewReplacer("ACCT", ownAccount, "CLUSTER", clusterAccount, "GROUP", evGroup).Replace(s)
}

func TestDecisionString(t *testing.T) {
	want := map[Decision]string{Allowed: "allowed", ImplicitDeny: "implicit-deny", ExplicitDeny: "explicit-deny", Undecided: "undecided"}
	for d, s := range want {
		if d.String() != s {
			t.Errorf("%d.String() = %q, want %q", int(d), d.String(), s)
		}
		b, err := json.Marshal(d)
		if err != nil || string(b) != `"`+s+`"` {
			t.Errorf("json.Marshal(%v) = %s, %v", d, b, err)
		}
	}
	if ImplicitDeny != 0 {
		t.Error("the zero Decision must be ImplicitDeny")
	}
}

func TestEvaluateTable(t *testing.T) {
	const groupStar = `"arn:aws:logs:us-east-1:ACCT:log-group:GROUP:*"`
	type check struct {
		action string
		region string // default evRegion
		group  string // default evGroup
		// resource overrides the RequiredRequests resource.
		resource string
		ctx      map[string]string
		want     Decision
		// sids: the Sids of DecidedBy, in order, when set.
		sids []string
		// reason: a substring of Reason, when set.
		reason string
	}
	cases := []struct {
		name     string
		managed  []string
		inline   []string
		boundary string
		checks   []check
	}{
		{
			name:    "action string, lone statement object",
			managed: []string{`{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Allow","Action":"logs:PutLogEvents","Resource":` + groupStar + `}}`},
			checks: []check{
				{action: "logs:PutLogEvents", want: Allowed, sids: []string{"A"}, reason: "allowed by Statement[0] (Sid \"A\") of managed policy"},
				{action: "logs:CreateLogStream", want: ImplicitDeny, reason: "no statement allows logs:CreateLogStream on arn:aws:logs:us-east-1:" + ownAccount},
			},
		},
		{
			name:    "action array, statement array",
			managed: []string{`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":[` + groupStar + `]}]}`},
			checks: []check{
				{action: "logs:CreateLogStream", want: Allowed},
				{action: "logs:PutLogEvents", want: Allowed},
				{action: "logs:PutRetentionPolicy", want: ImplicitDeny},
			},
		},
		{
			name:    "service wildcard logs:*",
			managed: []string{`{"Statement":{"Effect":"Allow","Action":"logs:*","Resource":` + groupStar + `}}`},
			checks: []check{
				{action: "logs:CreateLogGroup", want: Allowed},
				{action: "logs:PutRetentionPolicy", want: Allowed},
				{action: "logs:DescribeLogGroups", want: ImplicitDeny},
			},
		},
		{
			name:    "prefix wildcard logs:Put*",
			managed: []string{`{"Statement":{"Effect":"Allow","Action":"logs:Put*","Resource":` + groupStar + `}}`},
			checks: []check{
				{action: "logs:PutLogEvents", want: Allowed},
				{action: "logs:PutRetentionPolicy", want: Allowed},
				{action: "logs:CreateLogStream", want: ImplicitDeny},
			},
		},
		{
			name:    "everything",
			managed: []string{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`},
			checks: []check{
				{action: "logs:DescribeLogGroups", want: Allowed},
				{action: "logs:CreateLogGroup", region: "ap-south-2", group: "other", want: Allowed},
			},
		},
		{
			name:    "single-character wildcard and case-insensitive actions",
			managed: []string{`{"Statement":[{"Sid":"Q","Effect":"Allow","Action":"logs:?utLogEvents","Resource":"*"},{"Sid":"U","Effect":"Allow","Action":"LOGS:createlogstream","Resource":"*"}]}`},
			checks: []check{
				{action: "logs:PutLogEvents", want: Allowed, sids: []string{"Q"}},
				{action: "logs:CreateLogStream", want: Allowed, sids: []string{"U"}},
				{action: "logs:PutRetentionPolicy", want: ImplicitDeny},
			},
		},
		{
			name:    "region wildcard covers every region, a named region only itself",
			managed: []string{`{"Statement":[{"Sid":"Any","Effect":"Allow","Action":"logs:CreateLogStream","Resource":"arn:aws:logs:*:ACCT:log-group:GROUP:*"},{"Sid":"West","Effect":"Allow","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:us-west-2:ACCT:log-group:GROUP:*"}]}`},
			checks: []check{
				{action: "logs:CreateLogStream", want: Allowed},
				{action: "logs:CreateLogStream", region: "eu-central-1", want: Allowed},
				{action: "logs:PutLogEvents", want: ImplicitDeny},
				{action: "logs:PutLogEvents", region: "us-west-2", want: Allowed, sids: []string{"West"}},
			},
		},
		{
			// Without ":*" the ARN names only the bare group, which Logs
			// checks for tagging, not for any log-export action; the
			// separate DescribeLogGroups grant is unaffected.
			name: "missing :* suffix",
			managed: []string{`{"Statement":[
				{"Sid":"Write","Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:DescribeLogStreams","logs:PutRetentionPolicy","logs:PutLogEvents","logs:TagResource"],"Resource":"arn:aws:logs:us-east-1:ACCT:log-group:GROUP"},
				{"Sid":"Describe","Effect":"Allow","Action":"logs:DescribeLogGroups","Resource":"arn:aws:logs:us-east-1:ACCT:log-group:*"}]}`},
			checks: []check{
				{action: "logs:CreateLogStream", want: ImplicitDeny},
				{action: "logs:PutLogEvents", want: ImplicitDeny},
				{action: "logs:CreateLogGroup", want: ImplicitDeny},
				{action: "logs:DescribeLogGroups", want: Allowed, sids: []string{"Describe"}},
				{action: "logs:TagResource", resource: evSub("arn:aws:logs:us-east-1:ACCT:log-group:GROUP"), want: Allowed, sids: []string{"Write"}},
			},
		},
		{
			name:    "DescribeLogGroups scoped to named groups never matches",
			managed: []string{`{"Statement":{"Effect":"Allow","Action":"logs:DescribeLogGroups","Resource":"arn:aws:logs:us-east-1:ACCT:log-group:crdb-*"}}`},
			checks:  []check{{action: "logs:DescribeLogGroups", want: ImplicitDeny}},
		},
		{
			name:    "wrong account in the resource",
			managed: []string{`{"Statement":{"Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:*:CLUSTER:log-group:GROUP:*"}}`},
			checks: []check{
				{action: "logs:PutLogEvents", want: ImplicitDeny},
				{action: "logs:CreateLogGroup", want: ImplicitDeny},
			},
		},
		{
			name:    "resources are case-sensitive",
			managed: []string{`{"Statement":{"Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:*:ACCT:log-group:CRDB-LOGS:*"}}`},
			checks:  []check{{action: "logs:PutLogEvents", want: ImplicitDeny}},
		},
		{
			name:    "NotAction allow",
			managed: []string{`{"Statement":{"Sid":"N","Effect":"Allow","NotAction":["logs:Delete*","iam:*"],"Resource":"*"}}`},
			checks: []check{
				{action: "logs:PutLogEvents", want: Allowed, sids: []string{"N"}},
				{action: "logs:DeleteLogGroup", resource: "arn:aws:logs:us-east-1:1:log-group:x:log-stream:", want: ImplicitDeny},
			},
		},
		{
			name:    "NotResource allow",
			managed: []string{`{"Statement":{"Effect":"Allow","Action":"logs:*","NotResource":["arn:aws:logs:*:ACCT:log-group:secret*"]}}`},
			checks: []check{
				{action: "logs:PutLogEvents", want: Allowed},
				{action: "logs:PutLogEvents", group: "secret-audit", want: ImplicitDeny},
			},
		},
		{
			name: "NotResource deny",
			managed: []string{`{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"},
				{"Sid":"OnlyCrdb","Effect":"Deny","Action":"logs:*","NotResource":"arn:aws:logs:*:ACCT:log-group:crdb-*"}]}`},
			checks: []check{
				{action: "logs:PutLogEvents", want: Allowed},
				{action: "logs:PutLogEvents", group: "app", want: ExplicitDeny, sids: []string{"OnlyCrdb"}},
				{action: "logs:DescribeLogGroups", want: ExplicitDeny},
			},
		},
		{
			name:    "inline Deny overrides managed Allow",
			managed: []string{`{"Statement":{"Effect":"Allow","Action":"logs:*","Resource":"*"}}`},
			inline:  []string{`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"NoPut","Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`},
			checks: []check{
				{action: "logs:PutLogEvents", want: ExplicitDeny, sids: []string{"NoPut"}, reason: "explicitly denied by Statement[1] (Sid \"NoPut\") of inline policy inline-0"},
				{action: "logs:CreateLogStream", want: Allowed},
			},
		},
		{
			name:     "boundary lacks the action",
			managed:  []string{`{"Statement":{"Effect":"Allow","Action":"logs:*","Resource":"*"}}`},
			boundary: `{"Statement":{"Effect":"Allow","Action":["logs:PutLogEvents","logs:CreateLogStream"],"Resource":"*"}}`,
			checks: []check{
				{action: "logs:PutLogEvents", want: Allowed},
				{action: "logs:PutRetentionPolicy", want: ImplicitDeny, reason: "permissions boundary Boundary does not allow logs:PutRetentionPolicy"},
			},
		},
		{
			name:     "boundary allows",
			managed:  []string{`{"Statement":{"Sid":"Id","Effect":"Allow","Action":"logs:*","Resource":"*"}}`},
			boundary: `{"Statement":{"Sid":"B","Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:*:ACCT:*"}}`,
			checks: []check{
				{action: "logs:CreateLogGroup", want: Allowed, sids: []string{"Id", "B"}, reason: "within permissions boundary Boundary"},
			},
		},
		{
			name:     "boundary does not grant",
			inline:   []string{`{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`},
			boundary: `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
			checks:   []check{{action: "logs:PutLogEvents", want: ImplicitDeny, reason: "no statement allows"}},
		},
		{
			name:     "Deny in the boundary wins",
			managed:  []string{`{"Statement":{"Effect":"Allow","Action":"logs:*","Resource":"*"}}`},
			boundary: `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"BD","Effect":"Deny","Action":"logs:PutRetention*","Resource":"*"}]}`,
			checks: []check{
				{action: "logs:PutRetentionPolicy", want: ExplicitDeny, sids: []string{"BD"}, reason: "permissions boundary Boundary"},
				{action: "logs:PutLogEvents", want: Allowed},
			},
		},
		{
			name:    "undecidable condition on the only Allow",
			managed: []string{`{"Statement":{"Sid":"Ip","Effect":"Allow","Action":"logs:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}}`},
			checks: []check{
				{action: "logs:PutLogEvents", want: Undecided, sids: []string{"Ip"}, reason: "its IpAddress condition needs aws:SourceIp, which is not known"},
			},
		},
		{
			name: "undecidable Allow next to a definite one",
			managed: []string{`{"Statement":[{"Sid":"Ip","Effect":"Allow","Action":"logs:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}},
				{"Sid":"Plain","Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}`},
			checks: []check{
				{action: "logs:PutLogEvents", want: Allowed, sids: []string{"Plain"}},
				{action: "logs:CreateLogStream", want: Undecided, sids: []string{"Ip"}},
			},
		},
		{
			name:    "undecidable Deny that would override an Allow",
			managed: []string{`{"Statement":{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}}`},
			inline:  []string{`{"Statement":{"Sid":"Tls","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}`},
			checks: []check{
				{action: "logs:PutLogEvents", want: Undecided, sids: []string{"Tls"}, reason: "might deny it"},
				// Denied either way: nothing allows it.
				{action: "logs:CreateLogStream", want: ImplicitDeny},
			},
		},
		{
			name: "conditions decided from the request context",
			managed: []string{`{"Statement":[
				{"Sid":"East","Effect":"Allow","Action":"logs:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":["us-east-1","us-east-2"]},"StringEqualsIgnoreCase":{"aws:principaltype":"assumedrole"}}},
				{"Sid":"NotMine","Effect":"Deny","Action":"logs:*","Resource":"*","Condition":{"StringNotEquals":{"aws:ResourceAccount":"ACCT"}}}]}`},
			checks: []check{
				{action: "logs:PutLogEvents", want: Allowed, sids: []string{"East"}},
				{action: "logs:PutLogEvents", region: "us-west-2", want: ImplicitDeny},
				{action: "logs:PutLogEvents", ctx: map[string]string{"aws:RequestedRegion": "us-east-1", "aws:PrincipalType": "AssumedRole", "aws:ResourceAccount": clusterAccount}, want: ExplicitDeny, sids: []string{"NotMine"}},
			},
		},
		{
			name:    "an operator the tool does not decide",
			managed: []string{`{"Statement":{"Sid":"Until","Effect":"Allow","Action":"logs:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}}`},
			checks:  []check{{action: "logs:PutLogEvents", want: Undecided, sids: []string{"Until"}, reason: "DateLessThan"}},
		},
		{
			name:    "a failing decidable condition outweighs an undecidable one",
			managed: []string{`{"Statement":{"Effect":"Allow","Action":"logs:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}}`},
			checks:  []check{{action: "logs:PutLogEvents", want: ImplicitDeny}},
		},
		{
			name: "policy variables",
			managed: []string{
				`{"Version":"2012-10-17","Statement":[{"Sid":"Acct","Effect":"Allow","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:*:${aws:PrincipalAccount}:log-group:GROUP:*"},
					{"Sid":"User","Effect":"Allow","Action":"logs:CreateLogStream","Resource":"arn:aws:logs:*:ACCT:log-group:${aws:username}:*"}]}`,
				`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"arn:aws:logs:*:${aws:PrincipalAccount}:log-group:GROUP:*"}}`,
			},
			checks: []check{
				{action: "logs:PutLogEvents", want: Allowed, sids: []string{"Acct"}},
				{action: "logs:CreateLogStream", want: Undecided, sids: []string{"User"}, reason: "${aws:username}"},
				// The 2008 language has no variables: the text is literal.
				{action: "logs:CreateLogGroup", want: ImplicitDeny},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var identity []PolicySource
			for i, text := range tc.managed {
				identity = append(identity, PolicySource{Kind: SourceManaged, Name: fmt.Sprintf("managed-%d", i), ARN: "arn:aws:iam::" + ownAccount + ":policy/managed", Document: evParse(t, evSub(text))})
			}
			for i, text := range tc.inline {
				identity = append(identity, PolicySource{Kind: SourceInline, Name: fmt.Sprintf("inline-%d", i), Document: evParse(t, evSub(text))})
			}
			var boundary *PolicySource
			if tc.boundary != "" {
				boundary = &PolicySource{Kind: SourceBoundary, Name: "Boundary", Document: evParse(t, evSub(tc.boundary))}
			}
			for _, c := range tc.checks {
				region, group := c.region, c.group
				if region == "" {
					region = evRegion
				}
				if group == "" {
					group = evGroup
				}
				var req Request
				if strings.HasPrefix(c.action, "logs:") && c.resource == "" {
					req = evRequest(t, c.action, region, group)
				} else {
					req = Request{Action: c.action, Resource: c.resource, Context: evRequest(t, "logs:PutLogEvents", region, group).Context}
				}
				if c.ctx != nil {
					req.Context = c.ctx
				}
				ev := Evaluate(identity, boundary, req)
				label := c.action + " " + region + "/" + group
				if ev.Decision != c.want {
					t.Errorf("%s: decision %v, want %v (reason: %s)", label, ev.Decision, c.want, ev.Reason)
					continue
				}
				if !reflect.DeepEqual(ev.Request, req) {
					t.Errorf("%s: Request not echoed: %+v", label, ev.Request)
				}
				if c.sids != nil {
					var got []string
					for _, r := range ev.DecidedBy {
						got = append(got, r.Sid)
					}
					if !reflect.DeepEqual(got, c.sids) {
						t.Errorf("%s: DecidedBy Sids %v, want %v", label, got, c.sids)
					}
				}
				if c.reason != "" && !strings.Contains(ev.Reason, c.reason) {
					t.Errorf("%s: reason %q lacks %q", label, ev.Reason, c.reason)
				}
				for _, r := range ev.DecidedBy {
					if r.Source.Document != nil {
						t.Errorf("%s: StatementRef carries the whole document", label)
					}
				}
			}
		})
	}
}

func TestEvaluateStatementEvidence(t *testing.T) {
	doc := evParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"logs:*","Resource":"*"},
		{"Sid":"Deny<&>","Effect":"Deny","Action":["logs:PutLogEvents","logs:CreateLogStream"],"Resource":"arn:aws:logs:*:*:log-group:a&b:*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}`)
	src := PolicySource{Kind: SourceInline, Name: "Guard", Document: doc}
	req := Request{Action: "logs:PutLogEvents", Resource: "arn:aws:logs:us-east-1:1:log-group:a&b:log-stream:s", Context: map[string]string{"aws:SecureTransport": "FALSE"}}
	ev := Evaluate([]PolicySource{src}, nil, req)
	if ev.Decision != ExplicitDeny || len(ev.DecidedBy) != 1 {
		t.Fatalf("got %v %+v", ev.Decision, ev.DecidedBy)
	}
	ref := ev.DecidedBy[0]
	want := `{"Sid":"Deny<&>","Effect":"Deny","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:*:log-group:a&b:*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`
	if ref.JSON != want {
		t.Errorf("JSON:\n got %s\nwant %s", ref.JSON, want)
	}
	if ref.Index != 1 || ref.Source.Kind != SourceInline || ref.Source.Name != "Guard" {
		t.Errorf("ref = %+v", ref)
	}
	if got := ref.String(); got != `Statement[1] (Sid "Deny<&>") of inline policy Guard` {
		t.Errorf("String() = %q", got)
	}
	var st Statement
	if err := json.Unmarshal([]byte(ref.JSON), &st); err != nil {
		t.Errorf("evidence JSON does not parse as a statement: %v", err)
	}
}

func TestEvaluateMissingDocuments(t *testing.T) {
	allow := PolicySource{Kind: SourceManaged, Name: "Allow", Document: evParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)}
	req := evRequest(t, "logs:PutLogEvents", evRegion, evGroup)

	ev := Evaluate([]PolicySource{allow}, &PolicySource{Kind: SourceBoundary, Name: "Unread"}, req)
	if ev.Decision != Undecided || len(ev.DecidedBy) == 0 || ev.DecidedBy[0].Index != -1 {
		t.Errorf("unreadable boundary: %v %+v", ev.Decision, ev.DecidedBy)
	}
	if !strings.Contains(ev.Reason, "permissions boundary Unread") || !strings.Contains(ev.Reason, "not available") {
		t.Errorf("reason %q", ev.Reason)
	}

	ev = Evaluate([]PolicySource{allow, {Kind: SourceInline, Name: "Unread"}}, nil, req)
	if ev.Decision != Undecided {
		t.Errorf("an unreadable identity policy might deny: got %v", ev.Decision)
	}
	ev = Evaluate(nil, nil, req)
	if ev.Decision != ImplicitDeny || len(ev.DecidedBy) != 0 {
		t.Errorf("no policies: %v %+v", ev.Decision, ev.DecidedBy)
	}
}

func TestEvaluateMalformedIdentityStatements(t *testing.T) {
	req := evRequest(t, "logs:PutLogEvents", evRegion, evGroup)
	for _, text := range []string{
		`{"Statement":{"Effect":"Allow","Action":"logs:*"}}`,
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"logs:*","Resource":"*"}}`,
	} {
		src := PolicySource{Kind: SourceManaged, Name: "M", Document: evParse(t, text)}
		if ev := Evaluate([]PolicySource{src}, nil, req); ev.Decision != Undecided || !strings.Contains(ev.Reason, "IAM does not accept") {
			t.Errorf("%s: %v %q", text, ev.Decision, ev.Reason)
		}
	}
}

func TestEvaluateAllKeepsOrder(t *testing.T) {
	src := PolicySource{Kind: SourceManaged, Name: "P", Document: evParse(t, `{"Statement":{"Effect":"Allow","Action":"logs:Create*","Resource":"*"}}`)}
	reqs := RequiredRequests(ownAccount, []string{"us-east-1"}, []string{"a"})
	evs := EvaluateAll([]PolicySource{src}, nil, reqs)
	if len(evs) != len(reqs) {
		t.Fatalf("%d evaluations for %d requests", len(evs), len(reqs))
	}
	for i, ev := range evs {
		if ev.Request.Action != reqs[i].Action {
			t.Errorf("evaluation %d is for %s, want %s", i, ev.Request.Action, reqs[i].Action)
		}
		want := ImplicitDeny
		if strings.HasPrefix(reqs[i].Action, "logs:Create") {
			want = Allowed
		}
		if ev.Decision != want {
			t.Errorf("%s: %v, want %v", reqs[i].Action, ev.Decision, want)
		}
	}
}

func TestSourcesFrom(t *testing.T) {
	d := evParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	set := RolePolicySet{
		Attached: []ManagedPolicy{{ARN: "arn:aws:iam::" + ownAccount + ":policy/P", Name: "P", Version: "v3", Document: d}},
		Inline:   []InlinePolicy{{Name: "I", Document: d}},
		Boundary: &ManagedPolicy{ARN: "arn:aws:iam::aws:policy/B", Name: "B", Document: d},
	}
	identity, boundary := SourcesFrom(set)
	want := []PolicySource{
		{Kind: SourceManaged, Name: "P", ARN: "arn:aws:iam::" + ownAccount + ":policy/P", Document: d},
		{Kind: SourceInline, Name: "I", Document: d},
	}
	if !reflect.DeepEqual(identity, want) {
		t.Errorf("identity = %+v", identity)
	}
	if boundary == nil || *boundary != (PolicySource{Kind: SourceBoundary, Name: "B", ARN: "arn:aws:iam::aws:policy/B", Document: d}) {
		t.Errorf("boundary = %+v", boundary)
	}
	if _, b := SourcesFrom(RolePolicySet{}); b != nil {
		t.Errorf("no boundary should give nil, got %+v", b)
	}
}

func TestRequiredRequests(t *testing.T) {
	reqs := RequiredRequests(ownAccount, []string{"us-east-1", "", "eu-west-1", "us-east-1"}, []string{"a", "b/c", "a"})
	if len(reqs) != 2*(2*5+1) {
		t.Fatalf("%d requests, want 22", len(reqs))
	}
	p := "arn:aws:logs:us-east-1:" + ownAccount + ":log-group:"
	want := []Request{
		{Action: "logs:CreateLogGroup", Resource: p + "a:log-stream:"},
		{Action: "logs:CreateLogStream", Resource: p + "a:log-stream:a.us-east-1.cockroachdbcloud.OPS.n1"},
		{Action: "logs:DescribeLogStreams", Resource: p + "a:log-stream:"},
		{Action: "logs:PutRetentionPolicy", Resource: p + "a:log-stream:"},
		{Action: "logs:PutLogEvents", Resource: p + "a:log-stream:a.us-east-1.cockroachdbcloud.OPS.n1"},
	}
	for i, w := range want {
		if reqs[i].Action != w.Action || reqs[i].Resource != w.Resource {
			t.Errorf("request %d = %s %s, want %s %s", i, reqs[i].Action, reqs[i].Resource, w.Action, w.Resource)
		}
	}
	if r := reqs[10]; r.Action != "logs:DescribeLogGroups" || r.Resource != p+":log-stream:" {
		t.Errorf("request 10 = %s %s", r.Action, r.Resource)
	}
	if r := reqs[11]; !strings.HasPrefix(r.Resource, "arn:aws:logs:eu-west-1:") {
		t.Errorf("second region starts with %s", r.Resource)
	}
	ctx := reqs[0].Context
	if ctx["aws:RequestedRegion"] != "us-east-1" || ctx["aws:PrincipalAccount"] != ownAccount || ctx["aws:ResourceAccount"] != ownAccount {
		t.Errorf("context = %v", ctx)
	}
	reqs[0].Context["aws:RequestedRegion"] = "changed"
	if reqs[1].Context["aws:RequestedRegion"] != "us-east-1" {
		t.Error("requests share one Context map")
	}
	// Every required action appears for every group.
	seen := map[string]int{}
	for _, r := range reqs {
		seen[r.Action]++
	}
	for _, a := range RequiredActions {
		want := 4
		if a == "logs:DescribeLogGroups" {
			want = 2
		}
		if seen[a] != want {
			t.Errorf("%s appears %d times, want %d", a, seen[a], want)
		}
	}
	if len(RequiredRequests(ownAccount, nil, []string{"a"})) != 0 {
		t.Error("no regions should mean no requests")
	}
}

func TestBuiltPoliciesEvaluateAllowed(t *testing.T) {
	groups := []string{"crdb-logs", "crdb-audit", "/team/sql#1"}
	regions := []string{"us-east-1", "eu-west-1", "ap-southeast-2"}
	reqs := RequiredRequests(ownAccount, regions, groups)

	all := PermissionPolicy(PermissionSpec{Account: ownAccount, LogGroups: groups})
	// Read back as IAM returns it, to cover the parser and the evaluator together.
	doc := evParse(t, all.JSON())
	src := []PolicySource{{Kind: SourceManaged, Name: DefaultPolicyName, Document: doc}}
	for _, ev := range EvaluateAll(src, nil, reqs) {
		if ev.Decision != Allowed {
			t.Errorf("all regions: %s on %s: %v (%s)", ev.Request.Action, ev.Request.Resource, ev.Decision, ev.Reason)
		}
	}

	restricted := PermissionPolicy(PermissionSpec{Account: ownAccount, LogGroups: groups, Regions: []string{"us-east-1", "eu-west-1"}})
	src = []PolicySource{{Kind: SourceManaged, Name: DefaultPolicyName, Document: restricted}}
	for _, ev := range EvaluateAll(src, nil, reqs) {
		inside := !strings.Contains(ev.Request.Resource, "ap-southeast-2")
		if inside && ev.Decision != Allowed {
			t.Errorf("restricted, inside: %s on %s: %v", ev.Request.Action, ev.Request.Resource, ev.Decision)
		}
		if !inside && (ev.Decision != ImplicitDeny || !strings.Contains(ev.Reason, "no statement allows")) {
			t.Errorf("restricted, outside: %s on %s: %v %q", ev.Request.Action, ev.Request.Resource, ev.Decision, ev.Reason)
		}
	}

	// A group the policy does not name is not covered, but listing is.
	for _, ev := range EvaluateAll(src, nil, RequiredRequests(ownAccount, []string{"us-east-1"}, []string{"other"})) {
		want := ImplicitDeny
		if ev.Request.Action == "logs:DescribeLogGroups" {
			want = Allowed
		}
		if ev.Decision != want {
			t.Errorf("other group: %s: %v, want %v", ev.Request.Action, ev.Decision, want)
		}
	}

	// The generated policy for the cluster's account covers nothing of ours.
	wrong := PermissionPolicy(PermissionSpec{Account: clusterAccount, LogGroups: groups})
	src = []PolicySource{{Kind: SourceManaged, Name: DefaultPolicyName, Document: wrong}}
	for _, ev := range EvaluateAll(src, nil, reqs[:6]) {
		if ev.Decision != ImplicitDeny {
			t.Errorf("cluster-account policy: %s: %v", ev.Request.Action, ev.Decision)
		}
	}
}
