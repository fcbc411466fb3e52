package awsiam

import (
	"slices"
	"strings"
	"testing"
)

// Fuzz targets for the name validators. Each checks the validator against
// AWS's documented rule, restated here character by character rather than
// as the validator's own regular expression, and checks that an accepted
// name makes an ARN the ARN parser reads back to the same name.

const fuzzAccount = "314159265358"

// allOf reports whether every byte of s is in one of the ASCII sets.
func allOf(s string, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

func FuzzValidateRoleAndPolicyName(f *testing.F) {
	for _, s := range []string{"CockroachCloudLogExportRole", "a", "with space", "a/b", "x+=,.@_-", strings.Repeat("r", 64), strings.Repeat("p", 65), strings.Repeat("p", 128), strings.Repeat("p", 129), "", "é", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		charsOK := name != "" && allOf(name, "+=,.@_-")
		roleErr := ValidateRoleName(name)
		if want := charsOK && len(name) <= 64; (roleErr == nil) != want {
			t.Fatalf("ValidateRoleName(%q) = %v; IAM's rule (1–64 of [\\w+=,.@-]) says ok=%t", name, roleErr, want)
		}
		policyErr := ValidatePolicyName(name)
		if want := charsOK && len(name) <= 128; (policyErr == nil) != want {
			t.Fatalf("ValidatePolicyName(%q) = %v; IAM's rule (1–128 of [\\w+=,.@-]) says ok=%t", name, policyErr, want)
		}
		if roleErr == nil {
			arn, err := CheckRoleARN("arn:aws:iam::" + fuzzAccount + ":role/" + name)
			if err != nil || arn.Name != name || arn.AccountID != fuzzAccount {
				t.Fatalf("a valid role name %q does not make a role ARN: %+v, %v", name, arn, err)
			}
		}
		if policyErr == nil {
			a, err := ParseARN(PolicyARN(fuzzAccount, name, ""))
			if err != nil || a.Kind != KindPolicy || a.Name != name {
				t.Fatalf("a valid policy name %q does not make a policy ARN: %+v, %v", name, a, err)
			}
		}
	})
}

func FuzzValidateLogGroupName(f *testing.F) {
	for _, s := range []string{"crdb-prod-aws", "/aws/lambda/x", "aws/x", "aws", "a#b", "a:b", "a*", strings.Repeat("g", 512), strings.Repeat("g", 513), "", " "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateLogGroupName(name)
		want := name != "" && len(name) <= 512 && allOf(name, "._-/#") && !strings.HasPrefix(name, "aws/")
		if (err == nil) != want {
			t.Fatalf("ValidateLogGroupName(%q) = %v; CloudWatch's rule (1–512 of [A-Za-z0-9._-/#], not aws/…) says ok=%t", name, err, want)
		}
		if err != nil {
			return
		}
		for _, arn := range []string{
			"arn:aws:logs:us-east-1:" + fuzzAccount + ":log-group:" + name,
			"arn:aws:logs:us-east-1:" + fuzzAccount + ":log-group:" + name + ":*",
		} {
			a, err := ParseARN(arn)
			if err != nil || a.Kind != KindLogGroup || a.Name != name {
				t.Fatalf("a valid log group name %q does not make a log group ARN %s: %+v, %v", name, arn, a, err)
			}
		}
	})
}

func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"", "/", "/logexport/", "/a/b/", "//", "/a//b/", "a/", "/a", "/ /", "/é/", "/" + strings.Repeat("p", 510) + "/", "/" + strings.Repeat("p", 511) + "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		err := ValidatePath(path)
		printable := true
		for i := 0; i < len(path); i++ {
			printable = printable && path[i] >= 0x21 && path[i] <= 0x7e
		}
		want := path == "" || len(path) <= 512 && strings.HasPrefix(path, "/") && strings.HasSuffix(path, "/") && !strings.Contains(path, "//") && printable
		if (err == nil) != want {
			t.Fatalf("ValidatePath(%q) = %v; IAM's rule says ok=%t", path, err, want)
		}
	})
}

func FuzzValidateAccountAndRegion(f *testing.F) {
	for _, s := range []string{"314159265358", "31415926535", "3141592653589", "31415926535x", "us-east-1", "eu-west-2", "ap-southeast-1", "us-gov-west-1", "us-isob-east-1", "US-EAST-1", "us-east", "us-east-123", "", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		acctOK := len(s) == 12 && strings.Trim(s, "0123456789") == ""
		if err := ValidateAccountID(s); (err == nil) != acctOK {
			t.Fatalf("ValidateAccountID(%q) = %v; want ok=%t (exactly 12 digits)", s, err, acctOK)
		}
		if ValidateRegion(s) != nil {
			return
		}
		// An accepted region code is lower-case words joined by hyphens:
		// a two-letter area first, a one- or two-digit number last.
		parts := strings.Split(s, "-")
		if len(parts) < 3 || len(parts[0]) != 2 || !allOf(s, "-") || strings.ToLower(s) != s {
			t.Fatalf("ValidateRegion accepted %q", s)
		}
		last := parts[len(parts)-1]
		if len(last) < 1 || len(last) > 2 || strings.Trim(last, "0123456789") != "" {
			t.Fatalf("ValidateRegion accepted %q, whose last part is not a number", s)
		}
		for _, p := range parts[:len(parts)-1] {
			if p == "" || strings.Trim(p, "abcdefghijklmnopqrstuvwxyz") != "" {
				t.Fatalf("ValidateRegion accepted %q, with a part that is not a word", s)
			}
		}
	})
}

// awsRetentionDays are the values PutRetentionPolicy accepts (PRODUCT.md §4).
var awsRetentionDays = []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func FuzzValidateRetentionDays(f *testing.F) {
	for _, d := range []int32{0, 1, 2, 30, 31, 3653, 3654, -1, 1<<31 - 1, -1 << 31} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, days int32) {
		err := ValidateRetentionDays(days)
		if want := slices.Contains(awsRetentionDays, days); (err == nil) != want {
			t.Fatalf("ValidateRetentionDays(%d) = %v; want ok=%t", days, err, want)
		}
	})
}
