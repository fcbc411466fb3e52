package awsiam

import (
	"errors"
	"strings"
	"testing"
)

func TestParseARN(t *testing.T) {
	tests := []struct {
		in   string
		kind ARNKind
		want ARN // checked fields: Partition, AccountID, Region, Path, Name, Session
	}{
		{"arn:aws:iam::314159265358:role/CockroachCloudLogExportRole", KindRole,
			ARN{Partition: "aws", AccountID: ownAccount, Path: "/", Name: "CockroachCloudLogExportRole"}},
		{"arn:aws:iam::314159265358:role/service-role/team/X", KindRole,
			ARN{Partition: "aws", AccountID: ownAccount, Path: "/service-role/team/", Name: "X"}},
		{"arn:aws-cn:iam::314159265358:role/R", KindRole,
			ARN{Partition: "aws-cn", AccountID: ownAccount, Path: "/", Name: "R"}},
		{"arn:aws-us-gov:iam::314159265358:role/R", KindRole,
			ARN{Partition: "aws-us-gov", AccountID: ownAccount, Path: "/", Name: "R"}},
		{"arn:aws:iam::314159265358:policy/CockroachCloudLogExportPolicy", KindPolicy,
			ARN{Partition: "aws", AccountID: ownAccount, Path: "/", Name: "CockroachCloudLogExportPolicy"}},
		{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", KindPolicy,
			ARN{Partition: "aws", AccountID: "aws", Path: "/service-role/", Name: "AWSLambdaBasicExecutionRole"}},
		{"arn:aws:iam::314159265358:user/alice", KindUser,
			ARN{Partition: "aws", AccountID: ownAccount, Path: "/", Name: "alice"}},
		{"arn:aws:iam::314159265358:instance-profile/web", KindInstanceProfile,
			ARN{Partition: "aws", AccountID: ownAccount, Path: "/", Name: "web"}},
		{"arn:aws:sts::314159265358:assumed-role/Admin/alice@example.com", KindAssumedRole,
			ARN{Partition: "aws", AccountID: ownAccount, Path: "/", Name: "Admin", Session: "alice@example.com"}},
		{"arn:aws:logs:us-east-1:314159265358:log-group:crdb-logs", KindLogGroup,
			ARN{Partition: "aws", AccountID: ownAccount, Region: "us-east-1", Name: "crdb-logs"}},
		{"arn:aws:logs:us-east-1:314159265358:log-group:crdb-logs:*", KindLogGroup,
			ARN{Partition: "aws", AccountID: ownAccount, Region: "us-east-1", Name: "crdb-logs"}},
		{"arn:aws:logs:us-east-1:314159265358:log-group:/a/b:log-stream:s", KindLogGroup,
			ARN{Partition: "aws", AccountID: ownAccount, Region: "us-east-1", Name: "/a/b"}},
		{"arn:aws:iam::314159265358:root", KindOther, ARN{Partition: "aws", AccountID: ownAccount}},
		{"arn:aws:iam::314159265358:group/devs", KindOther, ARN{Partition: "aws", AccountID: ownAccount}},
		{"arn:aws:s3:::my-bucket", KindOther, ARN{Partition: "aws"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, err := ParseARN(tt.in)
			if err != nil {
				t.Fatalf("ParseARN: %v", err)
			}
			if a.Kind != tt.kind || Classify(tt.in) != tt.kind {
				t.Errorf("kind %v (Classify %v), want %v", a.Kind, Classify(tt.in), tt.kind)
			}
			if a.Partition != tt.want.Partition || a.AccountID != tt.want.AccountID || a.Region != tt.want.Region ||
				a.Path != tt.want.Path || a.Name != tt.want.Name || a.Session != tt.want.Session {
				t.Errorf("got %+v, want %+v", a, tt.want)
			}
			if a.String() != tt.in {
				t.Errorf("String() = %s", a.String())
			}
		})
	}
}

func TestParseARNMalformed(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"", `starts with "arn:"`},
		{"CockroachCloudLogExportRole", `starts with "arn:"`},
		{" arn:aws:iam::314159265358:role/R", "leading or trailing spaces"},
		{"arn:aws:iam::314159265358", "six colon-separated fields"},
		{"arn:azure:iam::314159265358:role/R", `unknown partition "azure"`},
		{"arn:aws::::x", "service field is empty"},
		{"arn:aws:iam::314159265358:", "resource field is empty"},
		{"arn:aws:iam:us-east-1:314159265358:role/R", "empty region field"},
		{"arn:aws:iam::31415926535:role/R", `account field "31415926535" must be a 12-digit`},
		{"arn:aws:iam::aws:role/R", `account field "aws"`},
		{"arn:aws:iam::314159265358:role/", "role name is missing"},
		{"arn:aws:iam::314159265358:role/*", "wildcard"},
		{"arn:aws:iam::314159265358:role/a b", "contains a space"},
		{"arn:aws:iam::314159265358:role/" + strings.Repeat("r", 65), "the limit is 64"},
		{"arn:aws:iam::314159265358:Role", "has no type"},
		{"arn:aws:sts::314159265358:assumed-role/Admin", "assumed-role/ROLE/SESSION"},
		{"arn:aws:logs::314159265358:log-group:g", "names its region"},
		{"arn:aws:logs:us-east-1:314159265358:log-group:g:x", `unexpected "x"`},
		{"arn:aws:logs:us-east-1:314159265358:log-group:bad name:*", "contains a space"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseARN(tt.in)
			var ae *ARNError
			if !errors.As(err, &ae) {
				t.Fatalf("got %v, want *ARNError", err)
			}
			if ae.Kind != KindMalformed || Classify(tt.in) != KindMalformed {
				t.Errorf("kind %v, want malformed", ae.Kind)
			}
			if !strings.Contains(ae.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", ae.Reason, tt.reason)
			}
			if !strings.Contains(err.Error(), "is not a valid ARN") {
				t.Errorf("message %q", err)
			}
		})
	}
}

func TestCheckRoleARN(t *testing.T) {
	tests := []struct {
		in     string
		kind   ARNKind
		reason string // "" means accepted
	}{
		{"arn:aws:iam::314159265358:role/service-role/X", KindRole, ""},
		{"arn:aws:iam::314159265358:policy/CockroachCloudLogExportPolicy", KindPolicy,
			"this is a managed policy ARN (…:policy/CockroachCloudLogExportPolicy), not a role ARN; use the ARN of the role the policy is attached to"},
		{"arn:aws:iam::314159265358:user/alice", KindUser, "IAM user ARN"},
		{"arn:aws:iam::314159265358:instance-profile/web", KindInstanceProfile, "arn:aws:iam::314159265358:role/web"},
		{"arn:aws:sts::314159265358:assumed-role/Admin/alice", KindAssumedRole, "arn:aws:iam::314159265358:role/Admin"},
		{"arn:aws:logs:us-east-1:314159265358:log-group:crdb-logs:*", KindLogGroup, "log group ARN"},
		{"arn:aws:iam::314159265358:group/devs", KindOther, "names group, not a role"},
		{"arn:aws:s3:::bucket", KindOther, "belongs to the s3 service"},
		{"role/X", KindMalformed, "is not a valid ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, err := CheckRoleARN(tt.in)
			if tt.reason == "" {
				if err != nil || a.Kind != KindRole {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			var ae *ARNError
			if !errors.As(err, &ae) {
				t.Fatalf("got %v, want *ARNError", err)
			}
			if ae.Kind != tt.kind {
				t.Errorf("kind %v, want %v", ae.Kind, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not contain %q", err, tt.reason)
			}
		})
	}
}

func TestARNKindString(t *testing.T) {
	want := map[ARNKind]string{KindMalformed: "malformed", KindRole: "role", KindPolicy: "policy", KindUser: "user",
		KindInstanceProfile: "instance-profile", KindAssumedRole: "assumed-role", KindLogGroup: "log-group", KindOther: "other"}
	for k, s := range want {
		if k.String() != s {
			t.Errorf("%d.String() = %s, want %s", int(k), k.String(), s)
		}
	}
}
