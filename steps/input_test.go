package steps

import (
	"slices"
	"strings"
	"testing"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// TestCheckSetupInput: every flag setup can judge alone is judged, naming
// the flag; channel names are normalised first.
func TestCheckSetupInput(t *testing.T) {
	for _, tc := range []struct {
		in   SetupInput
		want string // "" for accepted
	}{
		{SetupInput{Cluster: "prod-aws"}, ""},
		{SetupInput{LogGroup: "bad name!"}, "--log-group: "},
		{SetupInput{RetentionDays: 31, RetentionSet: true}, "--retention-days: retention of 31 days"},
		{SetupInput{RetentionDays: 0, RetentionSet: true}, "--retention-days: "},
		{SetupInput{RetentionDays: 90, RetentionSet: true}, ""},
		{SetupInput{OmitChannels: []string{"FOO"}}, `--omit-channels: unknown log channel "FOO"`},
		{SetupInput{Channels: []string{"ops", "dev"}}, `--channels: log channel "DEV" cannot be exported`},
		{SetupInput{Channels: []string{"OPS"}, OmitChannels: []string{"HEALTH"}}, "cannot be used together"},
		{SetupInput{RoleARN: "arn:aws:iam::123456789012:user/bob"}, "--role-arn: "},
		// A policy ARN is for the plan: it names the roles it is attached to.
		{SetupInput{RoleARN: "arn:aws:iam::123456789012:policy/P"}, ""},
		{SetupInput{RoleName: "no spaces allowed"}, "--role-name: "},
		{SetupInput{PolicyName: strings.Repeat("p", 129)}, "--policy-name: "},
		{SetupInput{ExternalID: "x"}, "--external-id: "},
		{SetupInput{ExternalID: ExternalIDNone}, ""},
		{SetupInput{ExternalID: ExternalIDAuto}, ""},
	} {
		err := CheckSetupInput(&tc.in)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v, want accepted", tc.in, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: %v, want %q", tc.in, err, tc.want)
		}
	}
	in := SetupInput{OmitChannels: []string{"sql_schema", " ops"}}
	if err := CheckSetupInput(&in); err != nil || !slices.Equal(in.OmitChannels, []string{"SQL_SCHEMA", "OPS"}) {
		t.Errorf("lower case: %v, %q", err, in.OmitChannels)
	}
}

func TestCheckUpdateInput(t *testing.T) {
	omit := []string{"sql_perf"}
	in := UpdateInput{Edit: SpecEdit{OmitChannels: &omit}}
	in.Edit.Groups = append(in.Edit.Groups, mustGroup(t, "crdb-audit=sensitive_access"))
	if err := CheckUpdateInput(&in); err != nil || (*in.Edit.OmitChannels)[0] != "SQL_PERF" || in.Edit.Groups[0].Channels[0] != "SENSITIVE_ACCESS" {
		t.Fatalf("lower case: %v, %q, %q", err, *in.Edit.OmitChannels, in.Edit.Groups[0].Channels)
	}
	for _, tc := range []struct {
		in   UpdateInput
		want string
	}{
		{UpdateInput{RetentionDays: 31}, "--retention-days: "},
		{UpdateInput{Edit: SpecEdit{Channels: []string{"nope"}}}, `--channels: unknown log channel "NOPE"`},
		{UpdateInput{Edit: SpecEdit{Groups: append([]cloudapi.LogExportGroup{}, mustGroup(t, "g=OPS,TELEMETRY"))}}, `--group g: log channel "TELEMETRY"`},
		{UpdateInput{Edit: SpecEdit{RoleARN: "not-an-arn"}}, "--role-arn: "},
	} {
		if err := CheckUpdateInput(&tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.in, err, tc.want)
		}
	}
}

func mustGroup(t *testing.T, s string) cloudapi.LogExportGroup {
	t.Helper()
	g, err := ParseGroup(s)
	if err != nil {
		t.Fatal(err)
	}
	return g
}
