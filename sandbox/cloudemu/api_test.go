package cloudemu

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

func TestAuthentication(t *testing.T) {
	h := start(t, Options{})
	h.do("GET", "/api/v1/organization", "", "Authorization", "").wantError(t, 401, 16, "missing credentials")
	h.do("GET", "/api/v1/organization", "", "Authorization", "Basic abc").wantError(t, 401, 16, "missing credentials")
	wrong := "CCDB1_notthekey_0123456789abcdef"
	r := h.do("GET", "/api/v1/clusters", "", "Authorization", "Bearer "+wrong)
	r.wantError(t, 401, 16, "invalid API key")
	if strings.Contains(string(r.raw), wrong) {
		t.Errorf("error answer repeats the API key: %s", r.raw)
	}
	org := h.get("/api/v1/organization")
	if org["id"] != OrgID || org["name"] != OrgName || org["label"] != OrgLabel {
		t.Errorf("organization = %v", org)
	}

	custom := start(t, Options{APIKey: "CCDB1_custom_key"})
	custom.do("GET", "/api/v1/organization", "").wantError(t, 401, 16, "invalid API key")
	if r := custom.do("GET", "/api/v1/organization", "", "Authorization", "Bearer CCDB1_custom_key"); r.status != 200 {
		t.Errorf("custom key refused: %d %s", r.status, r.raw)
	}
}

func TestCcVersion(t *testing.T) {
	h := start(t, Options{})
	for sent, echoed := range map[string]string{
		"2022-03-31": "2022-03-31", "2022-09-20": "2022-09-20", "2023-04-10": "2023-04-10",
		"2024-09-16": "2024-09-16", "latest": "2024-09-16", "": "2024-09-16",
	} {
		r := h.do("GET", "/api/v1/organization", "", "Cc-Version", sent)
		if r.status != 200 || r.header.Get("Cc-Version") != echoed {
			t.Errorf("Cc-Version %q: status %d, echoed %q, want 200 and %q", sent, r.status, r.header.Get("Cc-Version"), echoed)
		}
	}
	for _, bad := range []string{"2021-01-01", "2024-09-17", "v1", "LATEST"} {
		h.do("GET", "/api/v1/clusters", "", "Cc-Version", bad).wantError(t, 400, 3, "invalid Cc-Version")
	}
}

func TestRateLimit(t *testing.T) {
	h := start(t, Options{RateLimit: 10})
	const burst = 15
	var wg sync.WaitGroup
	replies := make([]reply, burst)
	for i := range replies {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			replies[i] = h.do("GET", "/api/v1/organization", "")
		}(i)
	}
	wg.Wait()
	ok, limited := 0, 0
	for _, r := range replies {
		switch r.status {
		case 200:
			ok++
		case 429:
			limited++
			r.wantError(t, 429, 8, "rate limit exceeded")
			if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 {
				t.Errorf("Retry-After = %q, want whole seconds >= 1", r.header.Get("Retry-After"))
			}
		default:
			t.Errorf("unexpected status %d: %s", r.status, r.raw)
		}
	}
	if ok < 10 || limited < 1 || ok+limited != burst {
		t.Fatalf("%d answered, %d limited; want at least 10 answered (the bucket's capacity) and some limited", ok, limited)
	}
	st := h.srv.Controls().Stats()
	if st.ByStatus["429"] != limited || st.ByOpStatus["cloud:GetOrganizationInfo"]["429"] != limited {
		t.Errorf("stats count %d (op %d) rate-limited calls, want %d", st.ByStatus["429"], st.ByOpStatus["cloud:GetOrganizationInfo"]["429"], limited)
	}
	// The admin endpoint shows the same counters and is not rate limited.
	r := h.do("GET", "/_sandbox/stats", "")
	var stats knobs.Stats
	if err := json.Unmarshal(r.raw, &stats); err != nil || stats.ByStatus["429"] != limited {
		t.Errorf("/_sandbox/stats = %s, want by_status 429 = %d", r.raw, limited)
	}
}

func TestPagination(t *testing.T) {
	h := start(t, Options{ExtraClusters: 25})
	var active, all []string
	names := map[string]string{}
	for _, sc := range Seed(25) {
		all = append(all, sc.ID)
		names[sc.ID] = sc.Name
		if !sc.Inactive {
			active = append(active, sc.ID)
		}
	}
	walk := func(query string) []string {
		t.Helper()
		var ids []string
		page := ""
		for pages := 0; ; pages++ {
			if pages > 50 {
				t.Fatal("pagination does not end")
			}
			q := query
			if page != "" {
				q += "&pagination.page=" + url.QueryEscape(page)
			}
			body := h.get("/api/v1/clusters?" + q)
			cl, _ := body["clusters"].([]any)
			if len(cl) > 7 {
				t.Fatalf("page of %d clusters, limit 7", len(cl))
			}
			for _, c := range cl {
				ids = append(ids, c.(map[string]any)["id"].(string))
			}
			p, _ := body["pagination"].(map[string]any)
			next, _ := p["next_page"].(string)
			if next == "" {
				return ids
			}
			page = next
		}
	}
	sameSet := func(name string, got, want []string) {
		t.Helper()
		seen := map[string]int{}
		for _, id := range got {
			seen[id]++
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s: cluster %s listed %d times", name, names[id], n)
			}
		}
		if len(seen) != len(want) {
			t.Errorf("%s: %d distinct clusters, want %d", name, len(seen), len(want))
		}
		for _, id := range want {
			if seen[id] == 0 {
				t.Errorf("%s: cluster %s missing", name, names[id])
			}
		}
	}

	asc := walk("pagination.limit=7")
	sameSet("ascending", asc, active)
	if !sort.SliceIsSorted(asc, func(i, j int) bool { return names[asc[i]] < names[asc[j]] }) {
		t.Error("default order is not by name ascending")
	}
	desc := walk("pagination.limit=7&pagination.sort_order=DESC")
	sameSet("descending", desc, active)
	if !sort.SliceIsSorted(desc, func(i, j int) bool { return names[desc[i]] > names[desc[j]] }) {
		t.Error("DESC is not by name descending")
	}
	sameSet("by created_at", walk("pagination.limit=7&pagination.sort_by=CREATED_AT"), active)
	sameSet("show_inactive", walk("pagination.limit=7&show_inactive=true"), all)

	// A snapshot before the extra clusters existed lists only the seed.
	early := seedEpoch.Add(89 * 24 * time.Hour).Format(time.RFC3339)
	if got := walk("pagination.limit=7&pagination.as_of_time=" + early); len(got) != 5 {
		t.Errorf("as_of_time before the fleet: %d clusters, want 5", len(got))
	}
	// Without a limit everything fits one page.
	body := h.get("/api/v1/clusters")
	if cl := body["clusters"].([]any); len(cl) != len(active) {
		t.Errorf("default page holds %d clusters, want %d", len(cl), len(active))
	}
	h.do("GET", "/api/v1/clusters?pagination.page=garbage", "").wantError(t, 400, 3, "pagination.page")
	h.do("GET", "/api/v1/clusters?pagination.sort_order=UP", "").wantError(t, 400, 3, "sort_order")
}

func TestClusters(t *testing.T) {
	h := start(t, Options{})
	prod := h.get("/api/v1/clusters/" + ProdAWSClusterID)
	if prod["name"] != ProdAWSClusterName || prod["plan"] != PlanAdvanced || prod["cloud_provider"] != CloudAWS ||
		prod["account_id"] != ProdAWSAccountID || prod["state"] != StateCreated || prod["operation_status"] != OperationNone {
		t.Errorf("prod-aws = %v", prod)
	}
	var regions []string
	for _, r := range prod["regions"].([]any) {
		reg := r.(map[string]any)
		regions = append(regions, reg["name"].(string))
		if reg["node_count"] != float64(3) {
			t.Errorf("region %v has %v nodes, want 3", reg["name"], reg["node_count"])
		}
	}
	if fmt.Sprint(regions) != fmt.Sprint(ProdAWSRegions()) {
		t.Errorf("prod-aws regions = %v, want %v", regions, ProdAWSRegions())
	}
	std := h.get("/api/v1/clusters/" + StandardAWSClusterID)
	if kc, _ := std["keychain_config"].(map[string]any); kc["aws_account_id"] != StandardAWSAccountID || std["plan"] != PlanStandard {
		t.Errorf("standard-aws = %v, want keychain_config.aws_account_id %s", std, StandardAWSAccountID)
	}
	if h.get("/api/v1/clusters/" + StagingAWSClusterID)["account_id"] != StagingAWSAccountID {
		t.Error("staging-aws account_id")
	}
	if gcp := h.get("/api/v1/clusters/" + AnalyticsGCPClusterID); gcp["cloud_provider"] != CloudGCP || gcp["cidr_range"] == "" {
		t.Errorf("analytics-gcp = %v", gcp)
	}
	if b := h.get("/api/v1/clusters/" + BasicDevClusterID); b["plan"] != PlanBasic {
		t.Errorf("basic-dev plan = %v", b["plan"])
	}
	h.do("GET", "/api/v1/clusters/11111111-2222-3333-4444-555555555555", "").wantError(t, 404, 5, "not found")
}

func TestUnknownRoutes(t *testing.T) {
	h := start(t, Options{})
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/nothing"},
		{"PATCH", "/api/v1/clusters/" + ProdAWSClusterID},
		{"DELETE", "/api/v1/clusters/" + ProdAWSClusterID},
		{"POST", "/api/v1/clusters"},
		{"PUT", "/api/v1/clusters/" + ProdAWSClusterID + "/logexport"},
		{"GET", "/healthz"},
	} {
		h.do(c.method, c.path, "").wantError(t, 404, 5, "Not Found")
	}
	if n := h.srv.Controls().Stats().ByOpStatus["cloud:Unknown"]["404"]; n != 6 {
		t.Errorf("stats count %d unknown-route answers, want 6", n)
	}
}

func TestFaultInjection(t *testing.T) {
	h := start(t, Options{})
	h.srv.Controls().InjectFault(knobs.Fault{Op: "cloud:GetCluster", Status: 503, Times: 2})
	h.srv.Controls().InjectFault(knobs.Fault{Op: "cloud:ListClusters", Status: 400, Code: "9", Message: "cluster is locked"})
	for i := 0; i < 2; i++ {
		r := h.do("GET", "/api/v1/clusters/"+ProdAWSClusterID, "")
		r.wantError(t, 503, 14, "service unavailable")
		if r.header.Get("Retry-After") == "" {
			t.Error("503 fault without Retry-After")
		}
	}
	h.get("/api/v1/clusters/" + ProdAWSClusterID)
	h.do("GET", "/api/v1/clusters", "").wantError(t, 400, 9, "cluster is locked")
	h.get("/api/v1/clusters")
	if n := h.srv.Controls().Stats().ByOpStatus["cloud:GetCluster"]["503"]; n != 2 {
		t.Errorf("stats: %d GetCluster 503s, want 2", n)
	}
}

func TestAdminTimingsAndReset(t *testing.T) {
	initial := DefaultTimings
	initial.EnableAfter = time.Hour
	h := start(t, Options{Timings: &initial})
	r := h.do("PUT", "/_sandbox/timings", `{"enable_after":"15ms","event_interval":40}`)
	if r.status != 200 {
		t.Fatalf("PUT timings = %d %s", r.status, r.raw)
	}
	got := h.srv.Timings()
	if got.EnableAfter != 15*time.Millisecond || got.EventInterval != 40*time.Millisecond || got.DisableAfter != DefaultTimings.DisableAfter {
		t.Errorf("timings after PUT = %+v", got)
	}
	var view map[string]string
	if err := json.Unmarshal(h.do("GET", "/_sandbox/timings", "").raw, &view); err != nil || view["enable_after"] != "15ms" || view["iam_propagation"] != "5s" {
		t.Errorf("GET timings = %v (%v)", view, err)
	}
	h.do("PUT", "/_sandbox/timings", `{"enable_after":"soon"}`).wantStatus(t, 400)

	// Zero is a delay like any other, not "use the default".
	h.do("PUT", "/_sandbox/timings", `{"iam_propagation":"0s","disable_after":0}`).wantStatus(t, 200)
	if err := json.Unmarshal(h.do("GET", "/_sandbox/timings", "").raw, &view); err != nil || view["iam_propagation"] != "0s" || view["disable_after"] != "0s" || view["enable_after"] != "15ms" {
		t.Errorf("GET timings after setting zeros = %v (%v)", view, err)
	}
	// A period of zero or a negative delay is refused and changes nothing.
	for _, body := range []string{`{"event_interval":"0s"}`, `{"enable_after":"-1s"}`} {
		r := h.do("PUT", "/_sandbox/timings", body)
		if r.status != 400 || !strings.Contains(string(r.raw), strings.Split(body[2:], `"`)[0]) {
			t.Errorf("PUT %s = %d %s, want 400 naming the field", body, r.status, r.raw)
		}
	}
	if got := h.srv.Timings(); got.EventInterval != 40*time.Millisecond || got.EnableAfter != 15*time.Millisecond {
		t.Errorf("a refused PUT changed the timings: %+v", got)
	}

	h.enable(AnalyticsGCPClusterID, `{"type":"GCP_CLOUD_LOGGING","log_name":"crdb","auth_principal":"acme-logs"}`)
	if info := h.waitSettled(AnalyticsGCPClusterID); info["status"] != StatusEnabled {
		t.Fatalf("GCP export = %v", info)
	}
	h.do("POST", "/_sandbox/reset", "").wantStatus(t, 200)
	h.do("GET", "/api/v1/clusters/"+AnalyticsGCPClusterID+"/logexport", "").wantError(t, 404, 5, "not found")
	if h.srv.Timings().EnableAfter != time.Hour {
		t.Errorf("reset did not restore the initial timings: %+v", h.srv.Timings())
	}
	if st := h.srv.Controls().Stats(); st.Requests != 1 {
		t.Errorf("after reset the counters hold %d requests, want 1 (the GET after it)", st.Requests)
	}
}

// TestTimingsZeroMeansZero: timings given in-process are taken as they are;
// only absent ones get DefaultTimings.
func TestTimingsZeroMeansZero(t *testing.T) {
	if srv, err := New(Options{}); err != nil || srv.Timings() != DefaultTimings {
		t.Errorf("no Timings: %+v (%v), want DefaultTimings", srv.Timings(), err)
	}
	zero := Timings{EventInterval: time.Hour}
	srv, err := New(Options{Timings: &zero})
	if err != nil || srv.Timings() != zero {
		t.Fatalf("zero timings became %+v (%v)", srv.Timings(), err)
	}
	if err := srv.SetTimings(Timings{EnableAfter: time.Second, EventInterval: time.Second}); err != nil || srv.Timings().IAMPropagation != 0 || srv.Timings().DisableAfter != 0 {
		t.Errorf("SetTimings with zeros: %+v (%v)", srv.Timings(), err)
	}
	for _, bad := range []Timings{{}, {EventInterval: time.Second, IAMPropagation: -time.Second}} {
		if _, err := New(Options{Timings: &bad}); err == nil {
			t.Errorf("New accepted %+v", bad)
		}
		if err := srv.SetTimings(bad); err == nil {
			t.Errorf("SetTimings accepted %+v", bad)
		}
	}
}

func (r reply) wantStatus(t *testing.T, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d: %s", r.status, status, r.raw)
	}
}
