package awsiam

import (
	"errors"
	"net/url"
	"testing"
)

func FuzzParsePolicy(f *testing.F) {
	seeds := []string{
		TrustPolicy(clusterAccount, "").JSON(),
		TrustPolicy(clusterAccount, "ext-id").JSON(),
		PermissionPolicy(PermissionSpec{Account: ownAccount, LogGroups: []string{"crdb-logs", "crdb-audit"}, Regions: []string{"us-east-1", "us-west-2"}}).JSON(),
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","NotResource":["a","b"]}}`,
		`{"Version":"2008-10-17","Id":"x","Statement":[{"Sid":"s","Effect":"Deny","NotPrincipal":{"AWS":["1","2"],"Service":"s","Federated":"f","CanonicalUser":"c"},"NotAction":"iam:*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"a:b","Condition":{"Bool":{"k":true},"NumericEquals":{"n":[1,2.5e3]},"StringEquals":{}}}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"a:b","Condition":{}}]}`,
		url.PathEscape(TrustPolicy(clusterAccount, "x y").JSON()),
		url.QueryEscape(`{"Statement": {"Effect": "Allow", "Action": "a:b+c"}}`),
		`{"Statement":[{"Effect":"Allow","Action":"a:b","Action":"c:d"}]}`,
		`{"statement":[]}`,
		`%7B`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		d, err := ParsePolicy(text)
		if err != nil {
			return
		}
		out := d.JSON()
		again, err := ParsePolicy(out)
		if err != nil {
			t.Fatalf("canonical output does not parse: %v\n%s", err, out)
		}
		if !Equivalent(d, again) {
			t.Fatalf("round trip changed meaning:\n%s\n%s", out, again.JSON())
		}
		if again.JSON() != out {
			t.Fatalf("canonical form is not stable:\n%s\n%s", out, again.JSON())
		}
	})
}

func FuzzParseARN(f *testing.F) {
	seeds := []string{
		"arn:aws:iam::314159265358:role/CockroachCloudLogExportRole",
		"arn:aws:iam::314159265358:role/service-role/X",
		"arn:aws:iam::314159265358:policy/P",
		"arn:aws:iam::aws:policy/ReadOnlyAccess",
		"arn:aws:iam::314159265358:user/u",
		"arn:aws:iam::314159265358:instance-profile/p",
		"arn:aws:sts::314159265358:assumed-role/R/s",
		"arn:aws:logs:us-east-1:314159265358:log-group:g:*",
		"arn:aws-cn:logs:cn-north-1:314159265358:log-group:g:log-stream:s",
		"arn:aws:s3:::bucket/key:with:colons",
		"arn:aws:iam::314159265358:role/",
		"arn:aws:iam:::",
		"",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseARN(s)
		if err != nil {
			var ae *ARNError
			if !errors.As(err, &ae) || ae.Kind != KindMalformed || ae.Reason == "" {
				t.Fatalf("error without a reason: %v", err)
			}
			if Classify(s) != KindMalformed {
				t.Fatalf("Classify disagrees with ParseARN for %q", s)
			}
			return
		}
		if a.String() != s {
			t.Fatalf("String() = %q, input %q", a.String(), s)
		}
		if a.Kind == KindMalformed || Classify(s) != a.Kind {
			t.Fatalf("kind %v, Classify %v", a.Kind, Classify(s))
		}
		b, err := ParseARN(a.String())
		if err != nil || b != a {
			t.Fatalf("reparse differs: %+v vs %+v (%v)", a, b, err)
		}
		_, roleErr := CheckRoleARN(s)
		if (roleErr == nil) != (a.Kind == KindRole) {
			t.Fatalf("CheckRoleARN disagrees with kind %v: %v", a.Kind, roleErr)
		}
		if a.Kind == KindRole && (a.Name == "" || a.Path == "" || a.Path[0] != '/' || a.Path[len(a.Path)-1] != '/') {
			t.Fatalf("role without name or a proper path: %+v", a)
		}
	})
}
