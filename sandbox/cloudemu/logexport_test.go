package cloudemu

import (
	"strings"
	"testing"
	"time"
)

const (
	roleARN = "arn:aws:iam::314159265358:role/CockroachCloudLogExportRole"
	minimal = `{"type":"AWS_CLOUDWATCH","log_name":"crdb","auth_principal":"` + roleARN + `"}`
)

func TestEnableValidation(t *testing.T) {
	h := start(t, Options{})
	body := func(extra string) string {
		return strings.TrimSuffix(minimal, "}") + extra + "}"
	}
	cases := []struct {
		name    string
		cluster string
		body    string
		status  int
		code    int
		want    string
	}{
		{"missing type", ProdAWSClusterID, `{"log_name":"crdb","auth_principal":"` + roleARN + `"}`, 400, 3, "type is required"},
		{"missing log_name", ProdAWSClusterID, `{"type":"AWS_CLOUDWATCH","auth_principal":"` + roleARN + `"}`, 400, 3, "log_name is required"},
		{"missing auth_principal", ProdAWSClusterID, `{"type":"AWS_CLOUDWATCH","log_name":"crdb"}`, 400, 3, "auth_principal is required"},
		{"empty body", ProdAWSClusterID, ``, 400, 3, "body is required"},
		{"not JSON", ProdAWSClusterID, `{"type":`, 400, 3, "not valid JSON"},
		{"wrong JSON type", ProdAWSClusterID, body(`,"redact":"yes"`), 400, 3, `"redact"`},
		{"unknown type", ProdAWSClusterID, strings.Replace(minimal, "AWS_CLOUDWATCH", "S3", 1), 400, 3, `enum field type: "S3"`},
		{"GCP sink on AWS", ProdAWSClusterID, strings.Replace(minimal, "AWS_CLOUDWATCH", "GCP_CLOUD_LOGGING", 1), 400, 3, "not supported for clusters on AWS"},
		{"CloudWatch on GCP", AnalyticsGCPClusterID, minimal, 400, 3, "AWS_CLOUDWATCH is not supported for clusters on GCP"},
		{"Basic cluster", BasicDevClusterID, minimal, 400, 3, "not supported for Basic clusters"},
		{"internal channel in group", ProdAWSClusterID, body(`,"groups":[{"log_name":"ops","channels":["OPS","DEV"]}]`), 400, 3, `"DEV"`},
		{"telemetry omitted", ProdAWSClusterID, body(`,"omitted_channels":["TELEMETRY"]`), 400, 3, `"TELEMETRY"`},
		{"kv distribution", ProdAWSClusterID, body(`,"groups":[{"log_name":"kv","channels":["KV_DISTRIBUTION"]}]`), 400, 3, `"KV_DISTRIBUTION"`},
		{"sql internal perf", ProdAWSClusterID, body(`,"groups":[{"log_name":"p","channels":["SQL_INTERNAL_PERF"]}]`), 400, 3, `"SQL_INTERNAL_PERF"`},
		{"unknown channel", ProdAWSClusterID, body(`,"groups":[{"log_name":"x","channels":["AUDIT"]}]`), 400, 3, `"AUDIT"`},
		{"bad min_level", ProdAWSClusterID, body(`,"groups":[{"log_name":"x","channels":["OPS"],"min_level":"DEBUG"}]`), 400, 3, `"DEBUG"`},
		{"group without log_name", ProdAWSClusterID, body(`,"groups":[{"channels":["OPS"]}]`), 400, 3, "groups[0].log_name is required"},
		{"group without channels", ProdAWSClusterID, body(`,"groups":[{"log_name":"x","channels":[]}]`), 400, 3, "groups[0].channels"},
		{"channel in two groups", ProdAWSClusterID, body(`,"groups":[{"log_name":"a","channels":["OPS"]},{"log_name":"b","channels":["OPS"]}]`), 400, 3, "channel OPS is in both"},
		{"two sending queues", ProdAWSClusterID, body(`,"groups":[{"log_name":"a","channels":["OPS"],"enable_sending_queue":true},{"log_name":"b","channels":["HEALTH"],"enable_sending_queue":true}]`), 400, 3, "at most one group may set enable_sending_queue"},
		{"external id on Standard", StandardAWSClusterID, body(`,"aws_external_id":"abc123"`), 400, 3, "only supported for Advanced clusters on AWS"},
		{"bad external id", ProdAWSClusterID, body(`,"aws_external_id":"a b"`), 400, 3, "aws_external_id must be"},
		{"bad region", ProdAWSClusterID, body(`,"region":"Europe"`), 400, 3, `region "Europe"`},
		{"bad log group name", ProdAWSClusterID, strings.Replace(minimal, `"crdb"`, `"crdb logs"`, 1), 400, 3, "not a valid CloudWatch log group name"},
		{"azure key on AWS", ProdAWSClusterID, body(`,"azure_shared_key":"k"`), 400, 3, "azure_shared_key"},
		{"unknown cluster", "0a0a0a0a-0000-4000-8000-000000000000", minimal, 404, 5, "not found"},
		{"deleted cluster", RetiredAWSClusterID, minimal, 400, 9, "deleted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			h.do("POST", "/api/v1/clusters/"+tc.cluster+"/logexport", tc.body).wantError(t, tc.status, tc.code, tc.want)
			if c := h.get("/api/v1/clusters/" + ProdAWSClusterID); c["state"] != StateCreated {
				t.Errorf("a refused POST locked the cluster: %v", c["state"])
			}
		})
	}
	h.t = t
	// Nothing refused was stored.
	h.do("GET", "/api/v1/clusters/"+ProdAWSClusterID+"/logexport", "").wantError(t, 404, 5, "not found")

	// What the newer spec adds is accepted: one group with a sending queue.
	ok := body(`,"groups":[{"log_name":"ops","channels":["OPS","HEALTH"],"min_level":"WARNING","enable_sending_queue":true}]`)
	if info := h.enable(ProdAWSClusterID, ok); info["status"] != StatusEnabling {
		t.Errorf("valid POST answered %v", info)
	}
	// External ID on Advanced AWS and a Standard cluster without one are fine.
	h.enable(StagingAWSClusterID, body(`,"aws_external_id":"f81d4fae-7dec-11d0-a765-00a0c91e6bf6"`))
	h.enable(StandardAWSClusterID, minimal)
}

// TestEnableTakesAnyAuthPrincipal: neither the OpenAPI document (a plain
// string) nor the docs (whose troubleshooting meets a policy ARN after
// enabling) show the API checking what auth_principal names, so a policy
// ARN, a user ARN or a bare name is accepted at POST; STS refuses it later
// (TestEnableFailures).
func TestEnableTakesAnyAuthPrincipal(t *testing.T) {
	h := start(t, Options{})
	for i, principal := range []string{
		"arn:aws:iam::314159265358:policy/CockroachCloudLogExportPolicy",
		"arn:aws:iam::314159265358:user/alice",
		"CockroachCloudLogExportRole",
	} {
		cluster := []string{ProdAWSClusterID, StagingAWSClusterID, StandardAWSClusterID}[i]
		info := h.enable(cluster, strings.Replace(minimal, roleARN, principal, 1))
		if info["status"] != StatusEnabling {
			t.Errorf("POST with auth_principal %q answered %v, want ENABLING", principal, info)
		}
	}
}

func TestFullReplace(t *testing.T) {
	h := start(t, Options{})
	first := `{"type":"AWS_CLOUDWATCH","log_name":"crdb","auth_principal":"` + roleARN + `",
		"aws_external_id":"ext-1234","region":"us-east-1","redact":true,"omitted_channels":["SQL_PERF","SESSIONS"],
		"groups":[{"log_name":"ops","channels":["OPS","HEALTH"],"min_level":"WARNING","redact":false},{"log_name":"audit","channels":["SENSITIVE_ACCESS"]}]}`
	info := h.enable(ProdAWSClusterID, first)
	if canonical(t, info["spec"]) != canonical(t, first) {
		t.Errorf("POST answered spec %s, want %s", canonical(t, info["spec"]), canonical(t, first))
	}
	if info["cluster_id"] != ProdAWSClusterID || info["status"] != StatusEnabling {
		t.Errorf("POST answered %v", info)
	}
	h.waitSettled(ProdAWSClusterID)
	if got := h.get("/api/v1/clusters/" + ProdAWSClusterID + "/logexport")["spec"]; canonical(t, got) != canonical(t, first) {
		t.Errorf("stored spec %s, want %s", canonical(t, got), canonical(t, first))
	}

	// The second POST replaces everything: no field of the first survives.
	second := `{"type":"AWS_CLOUDWATCH","log_name":"crdb-v2","auth_principal":"arn:aws:iam::314159265358:role/Other","redact":false}`
	h.enable(ProdAWSClusterID, second)
	after := h.waitSettled(ProdAWSClusterID)
	if canonical(t, after["spec"]) != canonical(t, second) {
		t.Errorf("after replace the spec is %s, want exactly %s", canonical(t, after["spec"]), canonical(t, second))
	}
	if after["created_at"] != info["created_at"] {
		t.Errorf("created_at changed on update: %v -> %v", info["created_at"], after["created_at"])
	}
}

func TestLockedCluster(t *testing.T) {
	h := start(t, Options{Timings: &Timings{EnableAfter: 300 * time.Millisecond, DisableAfter: 300 * time.Millisecond, EventInterval: DefaultTimings.EventInterval}})
	gcp := `{"type":"GCP_CLOUD_LOGGING","log_name":"crdb","auth_principal":"acme-logging"}`
	h.enable(AnalyticsGCPClusterID, gcp)
	c := h.get("/api/v1/clusters/" + AnalyticsGCPClusterID)
	if c["state"] != StateLocked || c["operation_status"] != OperationLogExport {
		t.Fatalf("while enabling the cluster is %v / %v, want LOCKED / %s", c["state"], c["operation_status"], OperationLogExport)
	}
	path := "/api/v1/clusters/" + AnalyticsGCPClusterID + "/logexport"
	h.do("POST", path, gcp).wantError(t, 400, 9, "lock")
	h.do("DELETE", path, "").wantError(t, 400, 9, "lock")
	// Other clusters are not affected.
	h.enable(StagingAWSClusterID, minimal)

	info := h.waitSettled(AnalyticsGCPClusterID)
	if info["status"] != StatusEnabled {
		t.Fatalf("status %v, want ENABLED", info["status"])
	}
	c = h.get("/api/v1/clusters/" + AnalyticsGCPClusterID)
	if c["state"] != StateCreated || c["operation_status"] != OperationNone {
		t.Errorf("after the job the cluster is %v / %v", c["state"], c["operation_status"])
	}

	// Disabling locks again, and a POST meanwhile is refused.
	if d := h.do("DELETE", path, ""); d.status != 200 || d.json(t)["status"] != StatusDisabling {
		t.Fatalf("DELETE = %d %s", d.status, d.raw)
	}
	h.do("POST", path, gcp).wantError(t, 400, 9, "lock")
	info = h.waitSettled(AnalyticsGCPClusterID)
	if info["status"] != StatusDisabled || canonical(t, info["spec"]) != canonical(t, gcp) {
		t.Errorf("after disable: %v", info)
	}
	// Disabled stays readable; deleting again changes nothing.
	if d := h.do("DELETE", path, ""); d.status != 200 || d.json(t)["status"] != StatusDisabled {
		t.Errorf("second DELETE = %d %s", d.status, d.raw)
	}
	// Only a never-configured export is "not found".
	h.do("GET", "/api/v1/clusters/"+ProdAWSClusterID+"/logexport", "").wantError(t, 404, 5, "not found")
	h.do("DELETE", "/api/v1/clusters/"+ProdAWSClusterID+"/logexport", "").wantError(t, 404, 5, "not found")
}

func TestNoAWSEndpoint(t *testing.T) {
	h := start(t, Options{})
	h.enable(StagingAWSClusterID, minimal)
	info := h.waitSettled(StagingAWSClusterID)
	if info["status"] != StatusEnableFailed || !strings.Contains(info["user_message"].(string), "without an AWS endpoint") {
		t.Errorf("without AWS: %v", info)
	}
}
