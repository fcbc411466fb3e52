package awsiam

import (
	"reflect"
	"strings"
	"testing"
)

func TestEvaluateTrustTable(t *testing.T) {
	clusterRoot := RootPrincipal(clusterAccount)
	ownRoot := RootPrincipal(ownAccount)
	roleInCluster := "arn:aws:iam::" + clusterAccount + ":role/crdb-exporter"
	cases := []struct {
		name       string
		doc        string
		externalID string
		want       Decision
		sids       []string
		extIDs     []string
		principals []string
		reason     string
	}{
		{
			name:       "cluster account root",
			doc:        `{"Version":"2012-10-17","Statement":[{"Sid":"T","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::CLUSTER:root"},"Action":"sts:AssumeRole"}]}`,
			want:       Allowed,
			sids:       []string{"T"},
			principals: []string{clusterRoot},
			reason:     "Statement[0] (Sid \"T\") of the trust policy lets " + clusterRoot + " assume the role",
		},
		{
			name:       "bare account ID, lone statement, action array",
			doc:        `{"Statement":{"Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":["sts:TagSession","sts:AssumeRole"]}}`,
			want:       Allowed,
			principals: []string{clusterRoot},
		},
		{
			name:       "principal array naming both accounts",
			doc:        `{"Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::ACCT:root","CLUSTER"]},"Action":"sts:AssumeRole"}}`,
			want:       Allowed,
			principals: []string{clusterRoot, ownRoot},
		},
		{
			name:       "the caller's own account instead",
			doc:        `{"Statement":{"Sid":"Own","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::ACCT:root"},"Action":"sts:AssumeRole"}}`,
			want:       ImplicitDeny,
			sids:       []string{"Own"},
			principals: []string{ownRoot},
			reason:     "lets only " + ownRoot + " assume the role, not " + clusterRoot + " (the cluster's account " + clusterAccount + ")",
		},
		{
			name:       "a role in the cluster account is not the account",
			doc:        `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::CLUSTER:role/crdb-exporter"},"Action":"sts:AssumeRole"}}`,
			want:       ImplicitDeny,
			principals: []string{roleInCluster},
			reason:     "lets only " + roleInCluster + " assume the role, not " + clusterRoot,
		},
		{
			name:   "a service principal only",
			doc:    `{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`,
			want:   ImplicitDeny,
			reason: "lets only service ec2.amazonaws.com assume the role, not " + clusterRoot + " (the cluster's account " + clusterAccount + ")",
		},
		{
			name:       "wildcard principal",
			doc:        `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}`,
			want:       Allowed,
			principals: []string{"*"},
		},
		{
			name:       "AWS wildcard principal",
			doc:        `{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:*"}}`,
			want:       Allowed,
			principals: []string{"*"},
		},
		{
			name: "service principal only",
			doc:  `{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`,
			want: ImplicitDeny,
		},
		{
			name: "action * and case-insensitive action",
			doc:  `{"Statement":[{"Sid":"Star","Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"*"},{"Sid":"Case","Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"STS:assumerole"}]}`,
			want: Allowed,
			sids: []string{"Star", "Case"},
		},
		{
			name: "NotAction",
			doc:  `{"Statement":{"Effect":"Allow","Principal":{"AWS":"CLUSTER"},"NotAction":"iam:*"}}`,
			want: Allowed,
		},
		{
			name:   "another STS action",
			doc:    `{"Statement":{"Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"sts:AssumeRoleWithWebIdentity"}}`,
			want:   ImplicitDeny,
			reason: "no statement of the trust policy lets " + clusterRoot + " perform sts:AssumeRole",
		},
		{
			name:       "external ID matches",
			doc:        `{"Statement":{"Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}}`,
			externalID: "ext-1",
			want:       Allowed,
			extIDs:     []string{"ext-1"},
			reason:     `with external ID "ext-1"`,
		},
		{
			name:       "external ID mismatches",
			doc:        `{"Statement":{"Sid":"T","Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}}`,
			externalID: "ext-2",
			want:       ImplicitDeny,
			sids:       []string{"T"},
			extIDs:     []string{"ext-1"},
			reason:     `requires external ID "ext-1", but the cluster sends "ext-2"`,
		},
		{
			name:   "external ID required but not sent",
			doc:    `{"Statement":{"Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":["a","b"]}}}}`,
			want:   ImplicitDeny,
			extIDs: []string{"a", "b"},
			reason: `requires external ID one of "a", "b", but the cluster sends none`,
		},
		{
			name:       "external ID sent but not required",
			doc:        `{"Statement":{"Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"sts:AssumeRole"}}`,
			externalID: "ext-1",
			want:       Allowed,
			reason:     "lets " + clusterRoot + " assume the role",
		},
		{
			name:       "external ID pattern",
			doc:        `{"Statement":{"Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:ExternalId":"crdb-*"}}}}`,
			externalID: "crdb-42",
			want:       Allowed,
			extIDs:     []string{"crdb-*"},
		},
		{
			name:       "external ID optional",
			doc:        `{"Statement":{"Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"sts:AssumeRole","Condition":{"StringEqualsIfExists":{"sts:ExternalId":"x"}}}}`,
			want:       Allowed,
			principals: []string{clusterRoot},
		},
		{
			name:       "undecidable condition",
			doc:        `{"Statement":{"Sid":"Org","Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"e","aws:PrincipalOrgID":"o-1"}}}}`,
			externalID: "e",
			want:       Undecided,
			sids:       []string{"Org"},
			extIDs:     []string{"e"},
			reason:     "aws:PrincipalOrgID",
		},
		{
			name: "a Deny statement wins",
			doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"sts:AssumeRole"},
				{"Sid":"No","Effect":"Deny","Principal":"*","Action":"sts:*"}]}`,
			want:   ExplicitDeny,
			sids:   []string{"No"},
			reason: "Statement[1] (Sid \"No\") of the trust policy explicitly denies sts:AssumeRole to " + clusterRoot,
		},
		{
			name: "a Deny without the external ID",
			doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"sts:AssumeRole"},
				{"Sid":"NeedExt","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"Null":{"sts:ExternalId":"true"}}}]}`,
			want: ExplicitDeny,
			sids: []string{"NeedExt"},
		},
		{
			name:       "the same Deny, external ID sent",
			externalID: "x",
			doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"sts:AssumeRole"},
				{"Sid":"NeedExt","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"Null":{"sts:ExternalId":"true"}}}]}`,
			want: Allowed,
		},
		{
			name: "undecidable Deny over an Allow",
			doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"sts:AssumeRole"},
				{"Sid":"Ip","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`,
			want:   Undecided,
			sids:   []string{"Ip"},
			reason: "might deny it",
		},
		{
			name: "NotPrincipal Deny excluding the cluster account",
			doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"sts:AssumeRole"},
				{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::CLUSTER:root"]},"Action":"sts:AssumeRole"}]}`,
			want: Allowed,
		},
		{
			name: "NotPrincipal Deny excluding another account",
			doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"CLUSTER"},"Action":"sts:AssumeRole"},
				{"Sid":"Only","Effect":"Deny","NotPrincipal":{"AWS":"ACCT"},"Action":"sts:AssumeRole"}]}`,
			want: ExplicitDeny,
			sids: []string{"Only"},
		},
		{
			name: "Allow with NotPrincipal grants nothing",
			doc:  `{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"ACCT"},"Action":"sts:AssumeRole"}}`,
			want: ImplicitDeny,
		},
		{
			name:   "statement without a principal",
			doc:    `{"Statement":{"Sid":"P","Effect":"Allow","Action":"sts:AssumeRole"}}`,
			want:   Undecided,
			sids:   []string{"P"},
			reason: "names no Principal",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := evParse(t, evSub(tc.doc))
			res := EvaluateTrust(doc, clusterAccount, tc.externalID)
			if res.Decision != tc.want {
				t.Fatalf("decision %v, want %v (reason: %s)", res.Decision, tc.want, res.Reason)
			}
			if res.Allowed != (tc.want == Allowed) {
				t.Errorf("Allowed = %v with decision %v", res.Allowed, res.Decision)
			}
			if tc.sids != nil {
				var got []string
				for _, r := range res.DecidedBy {
					got = append(got, r.Sid)
					if r.Source.Kind != SourceTrust || r.JSON == "" {
						t.Errorf("ref %+v", r)
					}
				}
				if !reflect.DeepEqual(got, tc.sids) {
					t.Errorf("DecidedBy Sids %v, want %v", got, tc.sids)
				}
			}
			if !reflect.DeepEqual(res.ExternalIDs, tc.extIDs) {
				t.Errorf("ExternalIDs %q, want %q", res.ExternalIDs, tc.extIDs)
			}
			if tc.principals != nil && !reflect.DeepEqual(res.PrincipalsAllowed, tc.principals) {
				t.Errorf("PrincipalsAllowed %q, want %q", res.PrincipalsAllowed, tc.principals)
			}
			if tc.reason != "" && !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", res.Reason, tc.reason)
			}
		})
	}
}

func TestEvaluateTrustBuiltPolicies(t *testing.T) {
	res := EvaluateTrust(evParse(t, TrustPolicy(clusterAccount, "").JSON()), clusterAccount, "")
	if !res.Allowed || len(res.ExternalIDs) != 0 || !reflect.DeepEqual(res.PrincipalsAllowed, []string{RootPrincipal(clusterAccount)}) {
		t.Errorf("no external ID: %+v", res)
	}
	withExt := TrustPolicy(clusterAccount, "0a1b2c3d-cluster")
	res = EvaluateTrust(withExt, clusterAccount, "0a1b2c3d-cluster")
	if !res.Allowed || !reflect.DeepEqual(res.ExternalIDs, []string{"0a1b2c3d-cluster"}) {
		t.Errorf("with external ID: %+v", res)
	}
	if res := EvaluateTrust(withExt, clusterAccount, ""); res.Allowed {
		t.Errorf("built policy with external ID allowed a request without one: %+v", res)
	}
	if res := EvaluateTrust(withExt, ownAccount, "0a1b2c3d-cluster"); res.Allowed || res.Decision != ImplicitDeny {
		t.Errorf("built policy allowed another account: %+v", res)
	}
}

func TestEvaluateTrustNoDocument(t *testing.T) {
	res := EvaluateTrust(nil, clusterAccount, "")
	if res.Allowed || res.Decision != ImplicitDeny || res.Reason == "" {
		t.Errorf("nil document: %+v", res)
	}
	// An empty account must not match an empty or bare principal.
	doc := evParse(t, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::root"},"Action":"sts:AssumeRole"}}`)
	if res := EvaluateTrust(doc, "", ""); res.Allowed {
		t.Errorf("empty account matched: %+v", res)
	}
}

// TestEvaluateTrustPrincipalNamingNobody: a document built in code can hold
// a Principal with nothing in it (ParsePolicy refuses one); the reason says
// so instead of listing nobody.
func TestEvaluateTrustPrincipalNamingNobody(t *testing.T) {
	doc := &PolicyDocument{Version: PolicyVersion, Statement: []Statement{{Effect: EffectAllow, Principal: &Principal{}, Action: StringList{"sts:AssumeRole"}}}}
	res := EvaluateTrust(doc, "577215664901", "")
	if res.Allowed || !strings.Contains(res.Reason, "Principal names nobody") || strings.Contains(res.Reason, "  ") {
		t.Fatalf("reason = %q (allowed %v)", res.Reason, res.Allowed)
	}
}
