package steps

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// Fuzz targets for the validators of what users type: `update --group`
// (ParseGroup and its inverse FormatGroup), the whole configuration an
// update sends (ValidateSpec) and --external-id. Each asserts the rules the
// input must satisfy once accepted, not merely that nothing panics.

func FuzzParseGroup(f *testing.F) {
	for _, s := range []string{
		"crdb-audit=SENSITIVE_ACCESS,USER_ADMIN:WARNING:redact",
		"crdb-ops=OPS",
		"g=SQL_EXEC:error:noredact:sending-queue",
		" spaced = OPS , HEALTH : fatal ",
		"g=OPS:UNSPECIFIED",
		"a:b=OPS",
		"g=S=Q",
		"g=OPS:warning:error",
		"g=OPS:redact:noredact",
		"=OPS",
		"g=",
		"g=,,",
		"g=OPS:bogus",
		"no-equals",
		"g=OPS::",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseGroup(s)
		if err != nil {
			if !strings.Contains(err.Error(), GroupSyntax) {
				t.Fatalf("error does not show the syntax: %v", err)
			}
			return
		}
		if g.LogName == "" || g.LogName != strings.TrimSpace(g.LogName) || strings.Contains(g.LogName, "=") {
			t.Fatalf("log name %q: empty, untrimmed or holding '='", g.LogName)
		}
		if len(g.Channels) == 0 {
			t.Fatal("accepted a group without channels")
		}
		for _, ch := range g.Channels {
			if ch == "" || ch != strings.TrimSpace(ch) || strings.ContainsAny(ch, ",:") {
				t.Fatalf("channel %q: empty, untrimmed or holding a separator", ch)
			}
		}
		switch g.MinLevel {
		case "", cloudapi.LevelUnspecified, cloudapi.LevelWarning, cloudapi.LevelError, cloudapi.LevelFatal:
		default:
			t.Fatalf("min_level %q is not one the API takes", g.MinLevel)
		}
		text := FormatGroup(g)
		again, err := ParseGroup(text)
		if err != nil {
			t.Fatalf("FormatGroup's %q does not parse: %v", text, err)
		}
		if !reflect.DeepEqual(normalGroup(again), normalGroup(g)) {
			t.Fatalf("round trip through %q changed the group: %+v → %+v", text, g, again)
		}
		if FormatGroup(again) != text {
			t.Fatalf("formatting is not stable: %q then %q", text, FormatGroup(again))
		}
	})
}

// normalGroup writes an explicit UNSPECIFIED level as the absent one, which
// the API treats alike (FormatGroup leaves it out).
func normalGroup(g cloudapi.LogExportGroup) cloudapi.LogExportGroup {
	if g.MinLevel == cloudapi.LevelUnspecified {
		g.MinLevel = ""
	}
	return g
}

// fuzzClusters are an Advanced cluster in three regions and a Standard one.
var fuzzClusters = []cloudapi.Cluster{
	{ID: "adv", Name: "prod", Plan: cloudapi.PlanAdvanced, CloudProvider: cloudapi.ProviderAWS, AccountID: "271828182845",
		Regions: []cloudapi.Region{{Name: "us-east-1"}, {Name: "us-west-2"}, {Name: "eu-west-1"}}},
	{ID: "std", Name: "std", Plan: cloudapi.PlanStandard, CloudProvider: cloudapi.ProviderAWS,
		KeychainConfig: &cloudapi.KeychainConfig{AWSAccountID: "161803398874"}, Regions: []cloudapi.Region{{Name: "us-east-1"}}},
}

func FuzzValidateSpec(f *testing.F) {
	role := "arn:aws:iam::314159265358:role/CockroachCloudLogExportRole"
	f.Add(false, "crdb-prod", role, "", "", "", "SQL_PERF,SQL_EXEC", "crdb-audit=SENSITIVE_ACCESS:WARNING", "")
	f.Add(false, "crdb-prod", role, "crdb-1234", "us-west-2", "", "", "a=OPS:sending-queue", "b=HEALTH:sending-queue")
	f.Add(true, "crdb-std", role, "", "", "", "", "", "")
	f.Add(true, "crdb-std", role, "ext", "", "", "", "", "")
	f.Add(false, "aws/x", role, "", "", "", "", "", "")
	f.Add(false, "crdb", "arn:aws:iam::314159265358:policy/P", "", "", "", "DEV", "g=OPS", "g=OPS")
	f.Add(false, "crdb", role, "", "ap-south-1", "", "ops", "g=OPS,HEALTH", "h=HEALTH")
	f.Add(false, "", "", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, standard bool, logName, principal, externalID, region, typ, omitted, group1, group2 string) {
		cluster := fuzzClusters[0]
		if standard {
			cluster = fuzzClusters[1]
		}
		spec := cloudapi.LogExportSpec{
			Type: cloudapi.TypeAWSCloudWatch, LogName: logName, AuthPrincipal: principal,
			AWSExternalID: externalID, Region: region,
		}
		if typ != "" {
			spec.Type = cloudapi.LogExportType(typ)
		}
		if omitted != "" {
			spec.OmittedChannels = strings.Split(omitted, ",")
		}
		for _, gs := range []string{group1, group2} {
			if g, err := ParseGroup(gs); err == nil {
				spec.Groups = append(spec.Groups, g)
			}
		}
		err := ValidateSpec(spec, cluster)
		if err != nil {
			inputsValid := true
			for _, in := range []string{logName, principal, externalID, region, typ, omitted, group1, group2} {
				inputsValid = inputsValid && utf8.ValidString(in)
			}
			if inputsValid && !utf8.ValidString(err.Error()) {
				t.Fatalf("error is not valid UTF-8: %q", err)
			}
			return
		}
		// Accepted: everything the API and AWS will check holds.
		if spec.Type != cloudapi.TypeAWSCloudWatch {
			t.Fatalf("accepted type %q", spec.Type)
		}
		if e := awsiam.ValidateLogGroupName(spec.LogName); e != nil {
			t.Fatalf("accepted log_name %q, which AWS refuses: %v", spec.LogName, e)
		}
		if _, e := awsiam.CheckRoleARN(spec.AuthPrincipal); e != nil {
			t.Fatalf("accepted auth_principal %q, which is not a role ARN: %v", spec.AuthPrincipal, e)
		}
		if spec.Region != "" && !slices.Contains(cluster.RegionNames(), spec.Region) {
			t.Fatalf("accepted region %q outside the cluster's %v", spec.Region, cluster.RegionNames())
		}
		if standard && spec.AWSExternalID != "" {
			t.Fatal("accepted aws_external_id for a Standard cluster")
		}
		exportable := cloudapi.ExportableChannels()
		for _, ch := range spec.OmittedChannels {
			if !slices.Contains(exportable, ch) {
				t.Fatalf("accepted omitted channel %q", ch)
			}
		}
		owner := map[string]string{}
		names := map[string]bool{}
		queues := 0
		for _, g := range spec.Groups {
			if e := awsiam.ValidateLogGroupName(g.LogName); e != nil {
				t.Fatalf("accepted group log_name %q, which AWS refuses: %v", g.LogName, e)
			}
			if names[g.LogName] {
				t.Fatalf("accepted two groups named %q", g.LogName)
			}
			names[g.LogName] = true
			for _, ch := range g.Channels {
				if !slices.Contains(exportable, ch) {
					t.Fatalf("accepted group channel %q", ch)
				}
				if o, dup := owner[ch]; dup && o != g.LogName {
					t.Fatalf("accepted channel %s in groups %s and %s", ch, o, g.LogName)
				}
				owner[ch] = g.LogName
			}
			if g.EnableSendingQueue != nil && *g.EnableSendingQueue {
				queues++
			}
		}
		if queues > 1 {
			t.Fatalf("accepted %d groups with a sending queue", queues)
		}
	})
}

func FuzzValidateExternalID(f *testing.F) {
	for _, s := range []string{newExternalID(), "ab", "a", "crdb-" + strings.Repeat("x", 1219), "crdb-" + strings.Repeat("x", 1220), "with space", "ok_+=,.@:/-", "é", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := validateExternalID(s)
		ok := len(s) >= 2 && len(s) <= 1224
		for _, r := range s {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_+=,.@:/-", r)) {
				ok = false
			}
		}
		if (err == nil) != ok {
			t.Fatalf("validateExternalID(%q) = %v; AWS's rule (2–1224 of [\\w+=,.@:/-]) says ok=%t", s, err, ok)
		}
	})
}
