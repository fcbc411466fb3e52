package awsemu

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestEncodeDocumentIsRFC3986(t *testing.T) {
	doc := `{"a": "b c+d/e~f_g.h-i", "é": "\n"}`
	got := encodeDocument(doc)
	want := "%7B%22a%22%3A%20%22b%20c%2Bd%2Fe~f_g.h-i%22%2C%20%22%C3%A9%22%3A%20%22%5Cn%22%7D"
	if got != want {
		t.Errorf("encodeDocument = %s\nwant            %s", got, want)
	}
}

func TestPolicyMessages(t *testing.T) {
	cases := []struct {
		doc  string
		kind policyKind
		want string
	}{
		{`{`, trustPolicy, errInvalidJSON},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`, trustPolicy, errMissingPrincipal},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}`, trustPolicy, "Has prohibited field Resource"},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"logs:*","Resource":"*"}}`, permissionsPolicy, errNoPrincipal},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"logs:*"}}`, permissionsPolicy, errNeedsResources},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"logs:PutLogEvents"}}`, trustPolicy, errTrustActions},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"PutLogEvents","Resource":"*"}}`, permissionsPolicy, errVendorPrefix},
	}
	for _, tc := range cases {
		e := checkPolicyDocument(tc.doc, tc.kind)
		if e == nil || e.code != "MalformedPolicyDocument" || e.message != tc.want {
			t.Errorf("%s: got %v, want MalformedPolicyDocument %q", tc.doc, e, tc.want)
		}
	}
}

func FuzzPolicyDocument(f *testing.F) {
	f.Add(trustDoc)
	f.Add(permissionsDoc)
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["a:b"],"NotResource":"*","Condition":{"X":{"k":[1,true,"s"]}}}]}`)
	f.Add(`{"Version":"2008-10-17","Statement":{"Effect":"Allow","NotPrincipal":{"AWS":["*"]},"Action":"sts:*"}}`)
	f.Add("%zz\x00\xff")
	f.Fuzz(func(t *testing.T, doc string) {
		for _, kind := range []policyKind{trustPolicy, permissionsPolicy} {
			if e := checkPolicyDocument(doc, kind); e == nil && !json.Valid([]byte(doc)) {
				t.Fatalf("accepted invalid JSON %q", doc)
			} else if e != nil && e.code != "MalformedPolicyDocument" {
				t.Fatalf("unexpected error code %s", e.code)
			}
		}
		enc := encodeDocument(doc)
		const allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%"
		if strings.ContainsFunc(enc, func(r rune) bool { return !strings.ContainsRune(allowed, r) }) {
			t.Fatalf("encoded form has a reserved character: %q", enc)
		}
		back, err := url.QueryUnescape(enc)
		if err != nil || back != doc {
			t.Fatalf("round trip of %q gave %q, %v", doc, back, err)
		}
	})
}
