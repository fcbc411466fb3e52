package cloudapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// pagedClusters serves GET /api/v1/clusters from names, pageSize at a
// time, with opaque page tokens. overlap re-sends the last cluster of each
// page at the start of the next (as a keyset API can when rows change
// between pages).
func pagedClusters(clusters []Cluster, pageSize int, overlap bool) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, _ int) {
		start := 0
		if tok := r.URL.Query().Get("pagination.page"); tok != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(tok, "tok-"))
			if err != nil {
				apiError(w, 400, 3, "bad page token")
				return
			}
			start = n
			if overlap {
				start--
			}
		}
		if r.URL.Query().Get("pagination.limit") == "" {
			apiError(w, 400, 3, "limit missing")
			return
		}
		end := min(start+pageSize, len(clusters))
		resp := map[string]any{"clusters": clusters[start:end]}
		if end < len(clusters) {
			resp["pagination"] = map[string]any{"next_page": fmt.Sprintf("tok-%d", end)}
		} else {
			resp["pagination"] = map[string]any{}
		}
		writeJSON(w, 200, resp)
	}
}

func makeClusters(n int) []Cluster {
	out := make([]Cluster, n)
	for i := range out {
		out[i] = Cluster{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Name: fmt.Sprintf("cluster-%03d", i), Plan: PlanAdvanced, CloudProvider: ProviderAWS, State: StateCreated}
	}
	return out
}

func TestListClustersAcrossPages(t *testing.T) {
	for _, overlap := range []bool{false, true} {
		t.Run(fmt.Sprintf("overlap=%v", overlap), func(t *testing.T) {
			all := makeClusters(205)
			rec := newRecorder().on("GET /api/v1/clusters", pagedClusters(all, 50, overlap))
			c, _ := newTestClient(t, rec)
			got, err := c.ListClusters(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(all) {
				t.Fatalf("got %d clusters, want %d", len(got), len(all))
			}
			seen := map[string]bool{}
			for i, cl := range got {
				if seen[cl.ID] {
					t.Fatalf("cluster %s returned twice", cl.ID)
				}
				seen[cl.ID] = true
				if cl.ID != all[i].ID {
					t.Fatalf("cluster %d is %s, want %s (server order)", i, cl.ID, all[i].ID)
				}
			}
			if pages := len(rec.requests()); pages != 5 {
				t.Fatalf("%d page requests, want 5", pages)
			}
		})
	}
}

func TestClustersIteratorStopsEarly(t *testing.T) {
	rec := newRecorder().on("GET /api/v1/clusters", pagedClusters(makeClusters(205), 50, false))
	c, _ := newTestClient(t, rec)
	n := 0
	for cl, err := range c.Clusters(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; cl.Name == "cluster-060" {
			break
		}
	}
	if n != 61 || len(rec.requests()) != 2 {
		t.Fatalf("yielded %d clusters over %d pages; want 61 over 2 (no page fetched beyond need)", n, len(rec.requests()))
	}
}

func TestClustersRepeatedTokenIsAnError(t *testing.T) {
	rec := newRecorder().on("GET /api/v1/clusters", func(w http.ResponseWriter, _ *http.Request, n int) {
		writeJSON(w, 200, map[string]any{
			"clusters":   []Cluster{{ID: fmt.Sprintf("id-%d", n), Name: "x"}},
			"pagination": map[string]any{"next_page": "same"},
		})
	})
	c, _ := newTestClient(t, rec)
	_, err := c.ListClusters(context.Background())
	if err == nil || !strings.Contains(err.Error(), "same page token twice") {
		t.Fatalf("err = %v", err)
	}
	if len(rec.requests()) != 2 {
		t.Fatalf("%d requests, want 2", len(rec.requests()))
	}
}

func TestClustersErrorMidway(t *testing.T) {
	all := makeClusters(120)
	pages := pagedClusters(all, 50, false)
	rec := newRecorder().on("GET /api/v1/clusters", func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 2 {
			apiError(w, 403, 7, "permission denied")
			return
		}
		pages(w, r, n)
	})
	c, _ := newTestClient(t, rec)
	got, err := c.ListClusters(context.Background())
	if !IsPermissionDenied(err) || got != nil {
		t.Fatalf("got %d clusters, err %v; want no partial list and the error", len(got), err)
	}
}

func findFixture() []Cluster {
	return []Cluster{
		{ID: "11111111-1111-4111-8111-111111111111", Name: "prod-aws", Plan: PlanAdvanced, CloudProvider: ProviderAWS},
		{ID: "22222222-2222-4222-8222-222222222222", Name: "staging-aws", Plan: PlanAdvanced, CloudProvider: ProviderAWS},
		{ID: "33333333-3333-4333-8333-333333333333", Name: "dup", Plan: PlanStandard, CloudProvider: ProviderAWS},
		{ID: "44444444-4444-4444-8444-444444444444", Name: "dup", Plan: PlanAdvanced, CloudProvider: ProviderGCP},
		{ID: "55555555-5555-4555-8555-555555555555", Name: "analytics-gcp", Plan: PlanAdvanced, CloudProvider: ProviderGCP},
	}
}

func findServer() *recorder {
	fixture := findFixture()
	rec := newRecorder().on("GET /api/v1/clusters", pagedClusters(fixture, 2, false))
	for _, cl := range fixture {
		rec.on("GET /api/v1/clusters/"+cl.ID, func(w http.ResponseWriter, _ *http.Request, _ int) { writeJSON(w, 200, cl) })
	}
	return rec
}

func TestFindCluster(t *testing.T) {
	rec := findServer()
	c, _ := newTestClient(t, rec)
	ctx := context.Background()

	cl, err := c.FindCluster(ctx, "22222222-2222-4222-8222-222222222222")
	if err != nil || cl.Name != "staging-aws" {
		t.Fatalf("by ID: %+v, %v", cl, err)
	}
	if got := rec.requests(); len(got) != 1 || got[0] != "GET /api/v1/clusters/22222222-2222-4222-8222-222222222222" {
		t.Fatalf("by ID made requests %v; want one GET of the cluster", got)
	}

	cl, err = c.FindCluster(ctx, "  analytics-gcp ")
	if err != nil || cl.ID != "55555555-5555-4555-8555-555555555555" {
		t.Fatalf("by name (on the last page): %+v, %v", cl, err)
	}
}

func TestFindClusterAmbiguous(t *testing.T) {
	c, _ := newTestClient(t, findServer())
	_, err := c.FindCluster(context.Background(), "dup")
	var lookup *ClusterLookupError
	if !errors.As(err, &lookup) || !lookup.Ambiguous || len(lookup.Candidates) != 2 {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{`2 clusters are named "dup"`, "33333333-3333-4333-8333-333333333333", "44444444-4444-4444-8444-444444444444", "cluster ID"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestFindClusterNotFoundSuggests(t *testing.T) {
	c, _ := newTestClient(t, findServer())
	tests := []struct {
		ref      string
		suggests []string
	}{
		{"prod", []string{"prod-aws"}},
		{"PROD-AWS", []string{"prod-aws"}},
		{"stagin-aws", []string{"staging-aws"}},
		{"zzz-nothing-like-it", nil},
	}
	for _, tt := range tests {
		_, err := c.FindCluster(context.Background(), tt.ref)
		var lookup *ClusterLookupError
		if !errors.As(err, &lookup) || lookup.Ambiguous {
			t.Fatalf("%q: err = %v", tt.ref, err)
		}
		var names []string
		for _, cl := range lookup.Candidates {
			names = append(names, cl.Name)
		}
		if strings.Join(names, ",") != strings.Join(tt.suggests, ",") {
			t.Errorf("%q: suggestions %v, want %v", tt.ref, names, tt.suggests)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("no cluster named %q", tt.ref)) {
			t.Errorf("%q: error %q", tt.ref, err)
		}
		for _, s := range tt.suggests {
			if !strings.Contains(err.Error(), "did you mean "+s) {
				t.Errorf("%q: error %q does not suggest %s", tt.ref, err, s)
			}
		}
	}
}

func TestFindClusterUnknownID(t *testing.T) {
	c, _ := newTestClient(t, findServer())
	_, err := c.FindCluster(context.Background(), "99999999-9999-4999-8999-999999999999")
	var lookup *ClusterLookupError
	if !errors.As(err, &lookup) || !IsNotFound(err) || !strings.Contains(err.Error(), "no cluster with ID 99999999") {
		t.Fatalf("err = %v; want a lookup error that still classifies as not found", err)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"prod", "prod", 0}, {"naïve", "naive", 1}} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
