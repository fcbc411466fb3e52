package awsiam

import (
	"strings"
	"testing"
)

const (
	clusterAccount = "271828182845"
	ownAccount     = "314159265358"
)

func TestTrustPolicy(t *testing.T) {
	tests := []struct {
		name, externalID, want string
	}{
		{"without external ID", "", `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::271828182845:root"
      },
      "Action": "sts:AssumeRole"
    }
  ]
}`},
		{"with external ID (Standard: the cluster ID)", "9f3c1e2a-5b6d-4c7e-8f90-123456789abc", `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::271828182845:root"
      },
      "Action": "sts:AssumeRole",
      "Condition": {
        "StringEquals": {
          "sts:ExternalId": "9f3c1e2a-5b6d-4c7e-8f90-123456789abc"
        }
      }
    }
  ]
}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TrustPolicy(clusterAccount, tt.externalID)
			if got.JSON() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got.JSON(), tt.want)
			}
			if !Equivalent(got, mustParse(t, tt.want)) {
				t.Error("builder output does not parse back to an equivalent document")
			}
		})
	}
	if Equivalent(TrustPolicy(clusterAccount, ""), TrustPolicy(ownAccount, "")) {
		t.Error("trust policies for different accounts compare equal")
	}
}

func TestPermissionPolicyAllRegions(t *testing.T) {
	got := PermissionPolicy(PermissionSpec{Account: ownAccount, LogGroups: []string{"crdb-logs", "crdb-audit", "crdb-logs"}})
	want := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "WriteLogExportGroups",
      "Effect": "Allow",
      "Action": [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
        "logs:PutRetentionPolicy"
      ],
      "Resource": [
        "arn:aws:logs:*:314159265358:log-group:crdb-audit:*",
        "arn:aws:logs:*:314159265358:log-group:crdb-logs:*"
      ]
    },
    {
      "Sid": "DescribeLogGroups",
      "Effect": "Allow",
      "Action": "logs:DescribeLogGroups",
      "Resource": "arn:aws:logs:*:314159265358:log-group:*"
    }
  ]
}`
	if got.JSON() != want {
		t.Errorf("got\n%s\nwant\n%s", got.JSON(), want)
	}
}

func TestPermissionPolicyRegions(t *testing.T) {
	got := PermissionPolicy(PermissionSpec{
		Account:   ownAccount,
		LogGroups: []string{"crdb-logs", "crdb-audit"},
		Regions:   []string{"us-west-2", "us-east-1", "eu-west-1", "us-east-1"},
	})
	want := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "WriteLogExportGroups",
      "Effect": "Allow",
      "Action": [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
        "logs:PutRetentionPolicy"
      ],
      "Resource": [
        "arn:aws:logs:eu-west-1:314159265358:log-group:crdb-audit:*",
        "arn:aws:logs:eu-west-1:314159265358:log-group:crdb-logs:*",
        "arn:aws:logs:us-east-1:314159265358:log-group:crdb-audit:*",
        "arn:aws:logs:us-east-1:314159265358:log-group:crdb-logs:*",
        "arn:aws:logs:us-west-2:314159265358:log-group:crdb-audit:*",
        "arn:aws:logs:us-west-2:314159265358:log-group:crdb-logs:*"
      ]
    },
    {
      "Sid": "DescribeLogGroups",
      "Effect": "Allow",
      "Action": "logs:DescribeLogGroups",
      "Resource": [
        "arn:aws:logs:eu-west-1:314159265358:log-group:*",
        "arn:aws:logs:us-east-1:314159265358:log-group:*",
        "arn:aws:logs:us-west-2:314159265358:log-group:*"
      ]
    }
  ]
}`
	if got.JSON() != want {
		t.Errorf("got\n%s\nwant\n%s", got.JSON(), want)
	}
	// Every required action is granted somewhere, and nothing else is.
	granted := map[string]bool{}
	for _, s := range got.Statement {
		for _, a := range s.Action {
			granted[a] = true
		}
		for _, r := range s.Resource {
			if strings.Contains(r, clusterAccount) || !strings.Contains(r, ownAccount) {
				t.Errorf("resource %s is not in the role owner's account", r)
			}
			if !strings.HasSuffix(r, ":*") {
				t.Errorf("resource %s lacks the :* suffix", r)
			}
		}
	}
	for _, a := range RequiredActions {
		if !granted[a] {
			t.Errorf("%s is not granted", a)
		}
	}
	if len(granted) != len(RequiredActions) {
		t.Errorf("grants %d actions, want exactly the %d required", len(granted), len(RequiredActions))
	}
}

func TestValidators(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name    string
		err     error
		wantErr string // "" means valid
	}{
		{"role ok", ValidateRoleName("CockroachCloudLogExportRole"), ""},
		{"role symbols ok", ValidateRoleName("a+b=c,d.e@f_g-h"), ""},
		{"role 64", ValidateRoleName(long(64)), ""},
		{"role 65", ValidateRoleName(long(65)), "the limit is 64"},
		{"role empty", ValidateRoleName(""), "role name is empty"},
		{"role slash", ValidateRoleName("a/b"), `contains '/'`},
		{"role space", ValidateRoleName("a b"), "contains a space"},
		{"policy 128", ValidatePolicyName(long(128)), ""},
		{"policy 129", ValidatePolicyName(long(129)), "the limit is 128"},
		{"path root", ValidatePath("/"), ""},
		{"path nested", ValidatePath("/service-role/x/"), ""},
		{"path no slash", ValidatePath("x/"), `must begin and end with "/"`},
		{"path double", ValidatePath("/a//b/"), "empty segment"},
		{"path space", ValidatePath("/a b/"), "printable ASCII"},
		{"log group ok", ValidateLogGroupName("/crdb/prod_logs#1.x-y"), ""},
		{"log group colon", ValidateLogGroupName("a:b"), `contains ':'`},
		{"log group empty", ValidateLogGroupName(""), "log group name is empty"},
		{"log group 512", ValidateLogGroupName(long(512)), ""},
		{"log group 513", ValidateLogGroupName(long(513)), "the limit is 512"},
		{"log group aws/", ValidateLogGroupName("aws/lambda/x"), "reserves"},
		{"retention 30", ValidateRetentionDays(30), ""},
		{"retention 3653", ValidateRetentionDays(3653), ""},
		{"retention 31", ValidateRetentionDays(31), "choose one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"},
		{"retention 0", ValidateRetentionDays(0), "not offered"},
		{"account ok", ValidateAccountID(ownAccount), ""},
		{"account short", ValidateAccountID("12345678901"), "exactly 12 digits"},
		{"account letters", ValidateAccountID("12345678901a"), "exactly 12 digits"},
		{"region ok", ValidateRegion("us-east-1"), ""},
		{"region gov", ValidateRegion("us-gov-west-1"), ""},
		{"region cn", ValidateRegion("cn-northwest-1"), ""},
		{"region iso", ValidateRegion("us-isob-east-1"), ""},
		{"region bad", ValidateRegion("us-east"), "not an AWS region code"},
		{"region upper", ValidateRegion("US-EAST-1"), "not an AWS region code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			switch {
			case tt.wantErr == "" && tt.err != nil:
				t.Errorf("unexpected error: %v", tt.err)
			case tt.wantErr != "" && tt.err == nil:
				t.Errorf("accepted; want error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(tt.err.Error(), tt.wantErr):
				t.Errorf("error %q does not contain %q", tt.err, tt.wantErr)
			}
		})
	}
}

func TestPolicyARN(t *testing.T) {
	if got := PolicyARN(ownAccount, DefaultPolicyName, ""); got != "arn:aws:iam::314159265358:policy/CockroachCloudLogExportPolicy" {
		t.Errorf("PolicyARN = %s", got)
	}
	if got := PolicyARN(ownAccount, "P", "/logexport/"); got != "arn:aws:iam::314159265358:policy/logexport/P" {
		t.Errorf("PolicyARN with path = %s", got)
	}
}

func TestBridgePolicyAllowsWhatEitherAllows(t *testing.T) {
	old := PermissionPolicy(PermissionSpec{Account: "314159265358", LogGroups: []string{"crdb-old"}})
	next := PermissionPolicy(PermissionSpec{Account: "314159265358", LogGroups: []string{"crdb-new"}})
	bridge := BridgePolicy(old, next)
	if _, err := ParsePolicy(bridge.JSON()); err != nil {
		t.Fatalf("the bridge does not parse: %v", err)
	}
	sids := map[string]bool{}
	for _, st := range bridge.Statement {
		if st.Sid != "" && sids[st.Sid] {
			t.Fatalf("Sid %s twice in %s", st.Sid, bridge.JSON())
		}
		sids[st.Sid] = true
	}
	for _, group := range []string{"crdb-old", "crdb-new"} {
		reqs := RequiredRequests("314159265358", []string{"us-east-1", "eu-west-1"}, []string{group})
		for _, ev := range EvaluateAll([]PolicySource{{Name: "bridge", Document: bridge}}, nil, reqs) {
			if ev.Decision != Allowed {
				t.Errorf("the bridge does not allow %s on %s: %s", ev.Request.Action, ev.Request.Resource, ev.Reason)
			}
		}
	}
	// The same statement twice is kept once.
	if n := len(BridgePolicy(old, old).Statement); n != len(old.Statement) {
		t.Errorf("bridging a document with itself gives %d statements, want %d", n, len(old.Statement))
	}
	trust := BridgePolicy(TrustPolicy("271828182845", "old-id"), TrustPolicy("271828182845", "new-id"))
	for _, id := range []string{"old-id", "new-id"} {
		if !EvaluateTrust(trust, "271828182845", id).Allowed {
			t.Errorf("the bridged trust does not allow external ID %s", id)
		}
	}
	if EvaluateTrust(trust, "271828182845", "other").Allowed {
		t.Error("the bridged trust allows an external ID neither side allows")
	}
}
