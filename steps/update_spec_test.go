package steps

import (
	"slices"
	"strings"
	"testing"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

func richSpec() cloudapi.LogExportSpec {
	return cloudapi.LogExportSpec{
		Type:            cloudapi.TypeAWSCloudWatch,
		LogName:         "crdb-prod",
		AuthPrincipal:   "arn:aws:iam::314159265358:role/CockroachCloudLogExportRole",
		AWSExternalID:   "crdb-ext",
		Redact:          cloudapi.Bool(false),
		OmittedChannels: []string{"SQL_PERF", "SQL_EXEC"},
		Groups: []cloudapi.LogExportGroup{
			{LogName: "crdb-audit", Channels: []string{"SENSITIVE_ACCESS", "USER_ADMIN"}, MinLevel: cloudapi.LevelWarning, Redact: cloudapi.Bool(true)},
			{LogName: "crdb-health", Channels: []string{"HEALTH"}},
		},
	}
}

func TestSpecEditKeepsWhatItDoesNotChange(t *testing.T) {
	cur := richSpec()
	got, err := SpecEdit{Redact: cloudapi.Bool(true)}.Apply(cur)
	if err != nil {
		t.Fatal(err)
	}
	want := richSpec()
	want.Redact = cloudapi.Bool(true)
	if !cloudapi.SpecsEqual(got, want) {
		t.Fatalf("redact-only edit changed more than redact:\n got %+v\nwant %+v", got, want)
	}
	if len(got.Groups) != 2 || got.Groups[0].MinLevel != cloudapi.LevelWarning || !slices.Equal(got.OmittedChannels, []string{"SQL_PERF", "SQL_EXEC"}) {
		t.Fatalf("groups or omitted channels lost: %+v", got)
	}
	// The result shares nothing with the input.
	got.Groups[0].Channels[0] = "CHANGED"
	got.OmittedChannels[0] = "CHANGED"
	if cur.Groups[0].Channels[0] != "SENSITIVE_ACCESS" || cur.OmittedChannels[0] != "SQL_PERF" {
		t.Fatal("Apply aliased the current spec")
	}
	if diff := DiffSpecs(cur, want); len(diff) != 1 || diff[0].Field != "redact" || diff[0].Old != "false" || diff[0].New != "true" {
		t.Fatalf("diff = %v, want only redact false → true", diff)
	}
}

func TestSpecEditFields(t *testing.T) {
	empty := ""
	region := "us-west-2"
	none := []string{}
	tests := []struct {
		name    string
		edit    SpecEdit
		check   func(cloudapi.LogExportSpec) bool
		wantErr string
	}{
		{"log group and role", SpecEdit{LogGroup: "new", RoleARN: "arn:aws:iam::1:role/R"},
			func(s cloudapi.LogExportSpec) bool {
				return s.LogName == "new" && s.AuthPrincipal == "arn:aws:iam::1:role/R" && len(s.Groups) == 2
			}, ""},
		{"region override set", SpecEdit{ExportRegion: &region}, func(s cloudapi.LogExportSpec) bool { return s.Region == "us-west-2" }, ""},
		{"region override cleared", SpecEdit{ExportRegion: &empty}, func(s cloudapi.LogExportSpec) bool { return s.Region == "" }, ""},
		{"omit nothing", SpecEdit{OmitChannels: &none}, func(s cloudapi.LogExportSpec) bool { return len(s.OmittedChannels) == 0 }, ""},
		{"allow-list", SpecEdit{Channels: []string{"OPS", "HEALTH"}}, func(s cloudapi.LogExportSpec) bool {
			return len(s.OmittedChannels) == len(cloudapi.ExportableChannels())-2 && !slices.Contains(s.OmittedChannels, "OPS") && slices.Contains(s.OmittedChannels, "SQL_EXEC")
		}, ""},
		{"replace a group by log name", SpecEdit{Groups: []cloudapi.LogExportGroup{{LogName: "crdb-health", Channels: []string{"HEALTH", "OPS"}}}}, func(s cloudapi.LogExportSpec) bool {
			return len(s.Groups) == 2 && s.Groups[1].LogName == "crdb-health" && len(s.Groups[1].Channels) == 2 && s.Groups[0].LogName == "crdb-audit"
		}, ""},
		{"add a group", SpecEdit{Groups: []cloudapi.LogExportGroup{{LogName: "crdb-sql", Channels: []string{"SQL_SCHEMA"}}}}, func(s cloudapi.LogExportSpec) bool {
			return len(s.Groups) == 3 && s.Groups[2].LogName == "crdb-sql"
		}, ""},
		{"remove a group", SpecEdit{RemoveGroups: []string{"crdb-audit"}}, func(s cloudapi.LogExportSpec) bool {
			return len(s.Groups) == 1 && s.Groups[0].LogName == "crdb-health"
		}, ""},
		{"clear then add", SpecEdit{ClearGroups: true, Groups: []cloudapi.LogExportGroup{{LogName: "only", Channels: []string{"OPS"}}}}, func(s cloudapi.LogExportSpec) bool {
			return len(s.Groups) == 1 && s.Groups[0].LogName == "only"
		}, ""},
		{"channels and omit together", SpecEdit{Channels: []string{"OPS"}, OmitChannels: &none}, nil, "cannot be used together"},
		{"empty allow-list", SpecEdit{Channels: []string{}}, nil, "at least one channel"},
		{"bad allow-list", SpecEdit{Channels: []string{"TELEMETRY"}}, nil, "cannot be exported"},
		{"remove unknown group", SpecEdit{RemoveGroups: []string{"nope"}}, nil, "crdb-audit, crdb-health"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.edit.Apply(richSpec())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.check(got) {
				t.Fatalf("Apply = %+v, %v", got, err)
			}
		})
	}
	if !(SpecEdit{}).IsZero() || (SpecEdit{ClearGroups: true}).IsZero() || (SpecEdit{ExportRegion: &empty}).IsZero() {
		t.Fatal("IsZero is wrong")
	}
}

func TestParseGroup(t *testing.T) {
	tests := []struct {
		in      string
		want    cloudapi.LogExportGroup
		wantErr string
	}{
		{in: "audit=SESSIONS", want: cloudapi.LogExportGroup{LogName: "audit", Channels: []string{"SESSIONS"}}},
		{in: "audit=SESSIONS, USER_ADMIN:warning:redact", want: cloudapi.LogExportGroup{LogName: "audit", Channels: []string{"SESSIONS", "USER_ADMIN"}, MinLevel: cloudapi.LevelWarning, Redact: cloudapi.Bool(true)}},
		{in: "q=OPS:noredact:sending-queue:FATAL", want: cloudapi.LogExportGroup{LogName: "q", Channels: []string{"OPS"}, MinLevel: cloudapi.LevelFatal, Redact: cloudapi.Bool(false), EnableSendingQueue: cloudapi.Bool(true)}},
		{in: "=OPS", wantErr: "no log name"},
		{in: "audit", wantErr: "no log name"},
		{in: "audit=", wantErr: "no channels"},
		{in: "audit=OPS:LOUD", wantErr: `unknown option "LOUD"`},
		{in: "audit=OPS:ERROR:FATAL", wantErr: "two levels"},
		{in: "audit=OPS:redact:noredact", wantErr: "redact given twice"},
	}
	for _, tc := range tests {
		got, err := ParseGroup(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), GroupSyntax) {
				t.Errorf("ParseGroup(%q) err = %v, want %q and the syntax", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !cloudapi.SpecsEqual(cloudapi.LogExportSpec{Groups: []cloudapi.LogExportGroup{got}}, cloudapi.LogExportSpec{Groups: []cloudapi.LogExportGroup{tc.want}}) ||
			(got.Redact == nil) != (tc.want.Redact == nil) {
			t.Errorf("ParseGroup(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		// FormatGroup writes what ParseGroup reads.
		back, err := ParseGroup(FormatGroup(got))
		if err != nil || FormatGroup(back) != FormatGroup(got) {
			t.Errorf("round trip of %q: %q → %+v, %v", tc.in, FormatGroup(got), back, err)
		}
	}
}

func TestValidateSpec(t *testing.T) {
	cluster := cloudapi.Cluster{ID: "c", Name: "prod", Plan: cloudapi.PlanAdvanced, CloudProvider: cloudapi.ProviderAWS,
		Regions: []cloudapi.Region{{Name: "us-east-1"}, {Name: "eu-west-1"}}}
	if err := ValidateSpec(richSpec(), cluster); err != nil {
		t.Fatalf("valid spec refused: %v", err)
	}
	tests := []struct {
		name    string
		mutate  func(*cloudapi.LogExportSpec)
		wantErr string
	}{
		{"policy ARN", func(s *cloudapi.LogExportSpec) {
			s.AuthPrincipal = "arn:aws:iam::314159265358:policy/CockroachCloudLogExportPolicy"
		}, "managed policy ARN"},
		{"internal channel", func(s *cloudapi.LogExportSpec) { s.OmittedChannels = []string{"DEV"} }, "cannot be exported"},
		{"channel in two groups", func(s *cloudapi.LogExportSpec) {
			s.Groups = append(s.Groups, cloudapi.LogExportGroup{LogName: "x", Channels: []string{"HEALTH"}})
		}, "routed to both group crdb-health and group x"},
		{"two sending queues", func(s *cloudapi.LogExportSpec) {
			s.Groups[0].EnableSendingQueue = cloudapi.Bool(true)
			s.Groups[1].EnableSendingQueue = cloudapi.Bool(true)
		}, "at most one group"},
		{"duplicate group name", func(s *cloudapi.LogExportSpec) {
			s.Groups = append(s.Groups, cloudapi.LogExportGroup{LogName: "crdb-audit", Channels: []string{"OPS"}})
		}, "two groups have the log name crdb-audit"},
		{"region not the cluster's", func(s *cloudapi.LogExportSpec) { s.Region = "ap-south-1" }, "not one of the cluster's regions"},
		{"bad log group", func(s *cloudapi.LogExportSpec) { s.LogName = "has space" }, "not a valid CloudWatch log group name"},
	}
	for _, tc := range tests {
		s := richSpec()
		tc.mutate(&s)
		if err := ValidateSpec(s, cluster); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestDiffSpecsByGroup(t *testing.T) {
	old := richSpec()
	new, err := SpecEdit{
		LogGroup:     "crdb-prod-v2",
		RemoveGroups: []string{"crdb-health"},
		Groups:       []cloudapi.LogExportGroup{{LogName: "crdb-audit", Channels: []string{"USER_ADMIN", "SENSITIVE_ACCESS"}, MinLevel: cloudapi.LevelError, Redact: cloudapi.Bool(true)}, {LogName: "crdb-sql", Channels: []string{"SQL_SCHEMA"}}},
	}.Apply(old)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]SpecChange{}
	for _, d := range DiffSpecs(old, new) {
		got[d.Field] = d
	}
	if len(got) != 4 {
		t.Fatalf("diff = %v, want log_name and three groups", got)
	}
	if d := got["log_name"]; d.Old != "crdb-prod" || d.New != "crdb-prod-v2" {
		t.Errorf("log_name: %v", d)
	}
	if d := got["groups[crdb-audit]"]; !strings.Contains(d.Old, "min_level WARNING") || !strings.Contains(d.New, "min_level ERROR") {
		t.Errorf("changed group: %v", d)
	}
	if d := got["groups[crdb-health]"]; d.New != "(none)" || !strings.Contains(d.Old, "HEALTH") {
		t.Errorf("removed group: %v", d)
	}
	if d := got["groups[crdb-sql]"]; d.Old != "(none)" || !strings.Contains(d.New, "redact inherited") {
		t.Errorf("added group: %v", d)
	}
	// Channel order is not a difference.
	reordered := richSpec()
	slices.Reverse(reordered.OmittedChannels)
	slices.Reverse(reordered.Groups[0].Channels)
	if d := DiffSpecs(old, reordered); len(d) != 0 {
		t.Errorf("reordering channels made a diff: %v", d)
	}
}
