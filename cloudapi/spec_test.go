package cloudapi

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestStatusClassification(t *testing.T) {
	for _, tt := range []struct {
		s                Status
		terminal, failed bool
	}{
		{StatusEnabling, false, false},
		{StatusEnabled, true, false},
		{StatusEnableFailed, true, true},
		{StatusDisabling, false, false},
		{StatusDisabled, true, false},
		{StatusDisableFailed, true, true},
		{StatusCredentialsError, true, true},
		{"SOMETHING_NEW", false, false},
	} {
		if tt.s.Terminal() != tt.terminal || tt.s.Failed() != tt.failed {
			t.Errorf("%s: Terminal %v Failed %v, want %v %v", tt.s, tt.s.Terminal(), tt.s.Failed(), tt.terminal, tt.failed)
		}
	}
}

func TestExportAccountID(t *testing.T) {
	tests := []struct {
		name string
		json string
		want string
	}{
		{"advanced uses account_id", `{"plan":"ADVANCED","account_id":"111111111111","keychain_config":{"aws_account_id":"999999999999"}}`, "111111111111"},
		{"standard uses keychain", `{"plan":"STANDARD","account_id":"111111111111","keychain_config":{"aws_account_id":"222222222222"}}`, "222222222222"},
		{"standard without keychain", `{"plan":"STANDARD","account_id":"111111111111"}`, ""},
		{"basic", `{"plan":"BASIC"}`, ""},
	}
	for _, tt := range tests {
		var c Cluster
		if err := json.Unmarshal([]byte(tt.json), &c); err != nil {
			t.Fatal(err)
		}
		if got := c.ExportAccountID(); got != tt.want {
			t.Errorf("%s: ExportAccountID = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestExportRegions(t *testing.T) {
	c := Cluster{Regions: []Region{{Name: "us-east-1", NodeCount: 3}, {Name: "eu-west-1", NodeCount: 3}, {Name: "us-east-1"}, {Name: "ap-south-1", NodeCount: 3}}}
	if got, want := c.ExportRegions(LogExportSpec{}), []string{"us-east-1", "eu-west-1", "ap-south-1"}; !slices.Equal(got, want) {
		t.Errorf("without override: %v, want %v", got, want)
	}
	if got, want := c.ExportRegions(LogExportSpec{Region: "us-west-2"}), []string{"us-west-2"}; !slices.Equal(got, want) {
		t.Errorf("with override: %v, want %v", got, want)
	}
}

func TestValidateChannels(t *testing.T) {
	if err := ValidateChannels(ExportableChannels()); err != nil {
		t.Fatalf("exportable channels refused: %v", err)
	}
	if err := ValidateChannels(nil); err != nil {
		t.Fatalf("no channels refused: %v", err)
	}
	tests := []struct {
		in       []string
		bad      string
		rejected bool
		mention  string
	}{
		{[]string{"OPS", "DEV"}, "DEV", true, "cannot be exported"},
		{[]string{"TELEMETRY"}, "TELEMETRY", true, "KV_DISTRIBUTION"},
		{[]string{"OPS", "NOPE"}, "NOPE", false, `unknown log channel "NOPE"`},
		{[]string{"ops"}, "ops", false, `upper case: "OPS"`},
	}
	for _, tt := range tests {
		err := ValidateChannels(tt.in)
		var ce *ChannelError
		if !errors.As(err, &ce) || ce.Channel != tt.bad || ce.Rejected != tt.rejected {
			t.Errorf("%v: err = %#v", tt.in, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.mention) || !strings.Contains(msg, "SESSIONS, OPS, HEALTH") {
			t.Errorf("%v: message %q should name the problem and list the exportable channels", tt.in, msg)
		}
	}
	// The lists are copies.
	ExportableChannels()[0] = "X"
	RejectedChannels()[0] = "X"
	if ExportableChannels()[0] != "SESSIONS" || RejectedChannels()[0] != "DEV" {
		t.Fatal("callers can modify the channel lists")
	}
}

func TestRequestValidate(t *testing.T) {
	advanced := Cluster{Name: "prod-aws", Plan: PlanAdvanced, CloudProvider: ProviderAWS}
	standard := Cluster{Name: "standard-aws", Plan: PlanStandard, CloudProvider: ProviderAWS}
	ok := validRequest()
	if err := ok.Validate(advanced); err != nil {
		t.Fatalf("valid request refused: %v", err)
	}
	tests := []struct {
		name    string
		cluster Cluster
		mutate  func(*EnableLogExportRequest)
		want    string
	}{
		{"basic", Cluster{Name: "basic-dev", Plan: PlanBasic, CloudProvider: ProviderAWS}, nil, "Basic plan"},
		{"gcp", Cluster{Name: "analytics-gcp", Plan: PlanAdvanced, CloudProvider: ProviderGCP}, nil, "only to clusters on AWS"},
		{"external id on standard", standard, func(r *EnableLogExportRequest) { r.AWSExternalID = "x" }, "must not be set for a Standard cluster"},
		{"missing fields", advanced, func(r *EnableLogExportRequest) { *r = EnableLogExportRequest{} }, "log_name (the log group name) is required"},
		{"bad log group name", advanced, func(r *EnableLogExportRequest) { r.LogName = "my logs" }, `log_name "my logs" is not a valid CloudWatch log group name`},
		{"bad group log name", advanced, func(r *EnableLogExportRequest) {
			r.Groups = []LogExportGroup{{LogName: "a:b", Channels: []string{"OPS"}}}
		}, `groups[0]: log_name "a:b"`},
		{"wrong type", advanced, func(r *EnableLogExportRequest) { r.Type = TypeGCPCloudLogging }, "type must be AWS_CLOUDWATCH"},
		{"bad omitted channel", advanced, func(r *EnableLogExportRequest) { r.OmittedChannels = []string{"DEV"} }, `omitted_channels: log channel "DEV"`},
		{"bad group channel", advanced, func(r *EnableLogExportRequest) {
			r.Groups = []LogExportGroup{{LogName: "g", Channels: []string{"SQL_INTERNAL_PERF"}}}
		}, `groups[0] (g): log channel "SQL_INTERNAL_PERF"`},
		{"empty group", advanced, func(r *EnableLogExportRequest) { r.Groups = []LogExportGroup{{}} }, "groups[0]: log_name is required"},
		{"bad level", advanced, func(r *EnableLogExportRequest) {
			r.Groups = []LogExportGroup{{LogName: "g", Channels: []string{"OPS"}, MinLevel: "INFO"}}
		}, `min_level "INFO"`},
		{"two sending queues", advanced, func(r *EnableLogExportRequest) {
			r.Groups = []LogExportGroup{
				{LogName: "a", Channels: []string{"OPS"}, EnableSendingQueue: Bool(true)},
				{LogName: "b", Channels: []string{"HEALTH"}, EnableSendingQueue: Bool(true)},
			}
		}, "at most one group"},
	}
	for _, tt := range tests {
		r := validRequest()
		if tt.mutate != nil {
			tt.mutate(&r)
		}
		err := r.Validate(tt.cluster)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.want)
		}
	}
}

func TestSpecsEqual(t *testing.T) {
	base := LogExportSpec{
		Type: TypeAWSCloudWatch, LogName: "crdb", AuthPrincipal: "arn:aws:iam::111122223333:role/R",
		OmittedChannels: []string{"SESSIONS", "SQL_PERF"},
		Groups: []LogExportGroup{
			{LogName: "ops", Channels: []string{"OPS", "HEALTH"}, MinLevel: LevelWarning},
			{LogName: "sql", Channels: []string{"SQL_EXEC"}},
		},
	}
	same := []struct {
		name   string
		mutate func(*LogExportSpec)
	}{
		{"identical", func(*LogExportSpec) {}},
		{"redact absent vs false", func(s *LogExportSpec) { s.Redact = Bool(false) }},
		{"channel order and case", func(s *LogExportSpec) { s.OmittedChannels = []string{"sql_perf", "SESSIONS", "SESSIONS"} }},
		{"group order", func(s *LogExportSpec) { s.Groups[0], s.Groups[1] = s.Groups[1], s.Groups[0] }},
		{"min_level empty vs UNSPECIFIED", func(s *LogExportSpec) { s.Groups[1].MinLevel = LevelUnspecified }},
		{"group redact inherits false", func(s *LogExportSpec) { s.Groups[1].Redact = Bool(false) }},
		{"sending queue false vs absent", func(s *LogExportSpec) { s.Groups[0].EnableSendingQueue = Bool(false) }},
		{"empty vs nil omitted", func(s *LogExportSpec) { s.OmittedChannels = nil; s.Groups = nil }},
	}
	for _, tt := range same {
		a, b := cloneSpec(base), cloneSpec(base)
		tt.mutate(&b)
		if tt.name == "empty vs nil omitted" {
			a.OmittedChannels, a.Groups = []string{}, []LogExportGroup{}
		}
		if !SpecsEqual(a, b) || !SpecsEqual(b, a) {
			t.Errorf("%s: specs differ, want equal", tt.name)
		}
	}
	differ := []struct {
		name   string
		mutate func(*LogExportSpec)
	}{
		{"log name", func(s *LogExportSpec) { s.LogName = "other" }},
		{"principal", func(s *LogExportSpec) { s.AuthPrincipal += "2" }},
		{"external id", func(s *LogExportSpec) { s.AWSExternalID = "x" }},
		{"region", func(s *LogExportSpec) { s.Region = "us-east-1" }},
		{"redact", func(s *LogExportSpec) { s.Redact = Bool(true) }},
		{"omitted channel", func(s *LogExportSpec) { s.OmittedChannels = s.OmittedChannels[:1] }},
		{"group channel", func(s *LogExportSpec) { s.Groups[0].Channels = []string{"OPS"} }},
		{"group level", func(s *LogExportSpec) { s.Groups[1].MinLevel = LevelError }},
		{"group name", func(s *LogExportSpec) { s.Groups[1].LogName = "sql2" }},
		{"group removed", func(s *LogExportSpec) { s.Groups = s.Groups[:1] }},
		{"group redact", func(s *LogExportSpec) { s.Groups[1].Redact = Bool(true) }},
		{"sending queue", func(s *LogExportSpec) { s.Groups[1].EnableSendingQueue = Bool(true) }},
		{"type", func(s *LogExportSpec) { s.Type = "" }},
	}
	for _, tt := range differ {
		b := cloneSpec(base)
		tt.mutate(&b)
		if SpecsEqual(base, b) || SpecsEqual(b, base) {
			t.Errorf("%s: specs equal, want different", tt.name)
		}
	}
	// A group without redact follows the configuration's redact: turning
	// redact on at the top while a group says redact:true explicitly is
	// the same as the group inheriting it.
	a, b := cloneSpec(base), cloneSpec(base)
	a.Redact, b.Redact = Bool(true), Bool(true)
	b.Groups[0].Redact = Bool(true)
	if !SpecsEqual(a, b) {
		t.Error("inherited and explicit group redact differ")
	}
}

func cloneSpec(s LogExportSpec) LogExportSpec { return s.Request().Spec() }

func TestRequestRoundTrip(t *testing.T) {
	s := LogExportSpec{
		Type: TypeAWSCloudWatch, LogName: "crdb", AuthPrincipal: "arn", Redact: Bool(true),
		Groups: []LogExportGroup{{LogName: "g", Channels: []string{"OPS"}, Redact: Bool(false)}},
	}
	r := s.Request()
	*r.Redact = false
	r.Groups[0].Channels[0] = "HEALTH"
	if !*s.Redact || s.Groups[0].Channels[0] != "OPS" {
		t.Fatal("Request shares memory with the spec it was built from")
	}
	if !SpecsEqual(s.Request().Spec(), s) {
		t.Fatal("Request().Spec() changed the configuration")
	}
}

// TestLogNameStreamRoom: a log_name whose streams
// {log_name}.{region}.cockroachdbcloud.{channel}.n{node} cannot fit
// CloudWatch's 512 characters is refused, naming the limit and the longest
// name allowed; one character less is accepted.
func TestLogNameStreamRoom(t *testing.T) {
	prod := Cluster{Name: "prod-aws", Plan: PlanAdvanced, CloudProvider: ProviderAWS,
		Regions: []Region{{Name: "us-east-1", NodeCount: 3}, {Name: "ap-southeast-1", NodeCount: 3}}}
	standard := Cluster{Name: "standard-aws", Plan: PlanStandard, CloudProvider: ProviderAWS, Regions: []Region{{Name: "us-east-1"}}}
	// ".ap-southeast-1.cockroachdbcloud.SENSITIVE_ACCESS.n999" is 54 characters
	const prodRoom = 512 - 54
	// ".us-east-1.cockroachdbcloud.SENSITIVE_ACCESS", no node suffix: 44
	const standardRoom = 512 - 44
	name := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		test    string
		cluster Cluster
		req     func(n int) EnableLogExportRequest
		room    int
		want    string
	}{
		{"log_name on Advanced", prod, func(n int) EnableLogExportRequest {
			r := validRequest()
			r.LogName = name(n)
			return r
		}, prodRoom, "with region ap-southeast-1, channel SENSITIVE_ACCESS and node numbers up to n999 the longest log_name allowed on cluster prod-aws is 458 characters"},
		{"log_name on Standard", standard, func(n int) EnableLogExportRequest {
			r := validRequest()
			r.LogName = name(n)
			return r
		}, standardRoom, "with region us-east-1, channel SENSITIVE_ACCESS the longest log_name allowed on cluster standard-aws is 468 characters"},
		{"a group sized by its own channels", prod, func(n int) EnableLogExportRequest {
			r := validRequest()
			r.Groups = []LogExportGroup{{LogName: name(n), Channels: []string{"OPS", "HEALTH"}}}
			return r
		}, 512 - len(".ap-southeast-1.cockroachdbcloud.HEALTH.n999"), "groups[0]: log_name"},
		{"log_name sized by the channels it still gets", prod, func(n int) EnableLogExportRequest {
			r := validRequest()
			r.LogName = name(n)
			r.OmittedChannels = []string{"SENSITIVE_ACCESS", "USER_ADMIN", "SQL_SCHEMA", "PRIVILEGES", "CHANGEFEED", "SESSIONS", "SQL_EXEC", "SQL_PERF", "STORAGE"}
			return r
		}, 512 - len(".ap-southeast-1.cockroachdbcloud.HEALTH.n999"), "channel HEALTH"},
	}
	for _, c := range cases {
		if err := c.req(c.room).Validate(c.cluster); err != nil {
			t.Errorf("%s: a log_name of %d characters, which fits, is refused: %v", c.test, c.room, err)
		}
		err := c.req(c.room + 1).Validate(c.cluster)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "CloudWatch allows 512 characters in a stream name") {
			t.Errorf("%s: a log_name of %d characters: err = %v, want it to say %q and the limit", c.test, c.room+1, err, c.want)
		}
	}
	// A 512-character name is a valid log group name but never fits.
	r := validRequest()
	r.LogName = name(512)
	if err := r.Validate(prod); err == nil {
		t.Error("a 512-character log_name is accepted")
	}
}

// TestCheckLogName: before the cluster is known, a name that fits no
// cluster's streams is refused, as is one that is no log group name.
func TestCheckLogName(t *testing.T) {
	long := strings.Repeat("a", 512)
	if err := CheckLogName(long); err == nil || !strings.Contains(err.Error(), "no cluster can use a log_name longer than 484 characters") {
		t.Errorf("512 characters: %v", err)
	}
	if err := CheckLogName(long[:484]); err != nil {
		t.Errorf("484 characters: %v", err)
	}
	if err := CheckLogName("my logs"); err == nil || !strings.Contains(err.Error(), "not a valid CloudWatch log group name") {
		t.Errorf("a space: %v", err)
	}
}

func TestSpecLogGroups(t *testing.T) {
	spec := LogExportSpec{LogName: "main", Groups: []LogExportGroup{
		{LogName: "sql"}, {LogName: "main"}, {LogName: "ops"}, {LogName: "sql"}, {LogName: ""},
	}}
	if got := spec.LogGroups(); !slices.Equal(got, []string{"main", "sql", "ops"}) {
		t.Errorf("LogGroups() = %q", got)
	}
	if got := (LogExportSpec{}).LogGroups(); got == nil || len(got) != 0 {
		t.Errorf("empty spec: %#v, want an empty list", got)
	}
}
