package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/root"
	"github.com/crdb-logexport/crdb-logexport/sandbox"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// TestStatusAllLargeOrganization runs `status --all` against an
// organization of 205 clusters (three pages): every cluster is listed with
// its status, and the reads, made concurrently, never exceed the API's rate
// limit — the Cloud emulator answered no request with 429.
func TestStatusAllLargeOrganization(t *testing.T) {
	t.Parallel()
	const extra = 200
	sb, err := sandbox.Start(sandbox.Options{ExtraClusters: extra})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sb.Close(ctx)
	})
	env := map[string]string{"NO_COLOR": "1"}
	for _, v := range sb.Vars() {
		env[v.Name] = v.Value
	}
	var out, errOut bytes.Buffer
	code := root.Run(context.Background(), cmdutil.Test(strings.NewReader(""), &out, &errOut, env), []string{"status", "--all", "--output", "json"})
	if code != cmdutil.ExitOK {
		t.Fatalf("exit %d\nstderr:\n%s", code, errOut.String())
	}

	var doc struct {
		Clusters []struct {
			ClusterID     string `json:"cluster_id"`
			ClusterName   string `json:"cluster_name"`
			Plan          string `json:"plan"`
			CloudProvider string `json:"cloud_provider"`
			Status        string `json:"status"`
			Error         string `json:"error"`
		} `json:"clusters"`
		Failed int `json:"failed"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("output is not one JSON document: %v\n%s", err, out.String())
	}
	want := map[string]bool{}
	for _, c := range cloudemu.Seed(extra) {
		if c.Name != cloudemu.RetiredAWSClusterName {
			want[c.ID] = true
		}
	}
	if len(doc.Clusters) != len(want) || doc.Failed != 0 {
		t.Fatalf("%d clusters (%d failed), want %d", len(doc.Clusters), doc.Failed, len(want))
	}
	for _, c := range doc.Clusters {
		if !want[c.ClusterID] {
			t.Errorf("unexpected or repeated cluster %s (%s)", c.ClusterName, c.ClusterID)
		}
		delete(want, c.ClusterID)
		if c.Status != "DISABLED" || c.Error != "" || c.Plan == "" || c.CloudProvider == "" {
			t.Errorf("cluster %s: %+v", c.ClusterName, c)
		}
	}

	resp, err := http.Get(sb.CloudURL + "/_sandbox/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var stats knobs.Stats
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		t.Fatal(err)
	}
	if n := stats.ByStatus["429"]; n != 0 {
		t.Fatalf("the Cloud API answered %d requests with 429: status --all exceeded the rate limit", n)
	}
	if n := stats.ByOperation["cloud:GetLogExportInfo"]; n != len(doc.Clusters) {
		t.Fatalf("%d export reads for %d clusters, want one each", n, len(doc.Clusters))
	}
	if n := stats.ByOperation["cloud:ListClusters"]; n != 3 {
		t.Fatalf("%d list requests, want 3 pages of up to 100", n)
	}
}
