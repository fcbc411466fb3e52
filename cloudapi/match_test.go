package cloudapi

import (
	"errors"
	"slices"
	"testing"
)

func TestMatchClusterAgainstAListing(t *testing.T) {
	all := []Cluster{
		{ID: "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30", Name: "prod-aws"},
		{ID: "4a1e8b6c-2d3f-4a5b-9c7e-8f0d1b2a3c45", Name: "twin"},
		{ID: "7c2b9e4d-1f6a-4b8c-a3d5-6e7f8a9b0c12", Name: "twin"},
	}
	for _, ref := range []string{"prod-aws", " prod-aws ", "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30"} {
		if cl, err := MatchCluster(all, ref); err != nil || cl.Name != "prod-aws" {
			t.Errorf("MatchCluster(%q) = %+v, %v", ref, cl, err)
		}
	}
	var le *ClusterLookupError
	_, err := MatchCluster(all, "twin")
	if !errors.As(err, &le) || !le.Ambiguous || len(le.Candidates) != 2 {
		t.Errorf("an ambiguous name: %v", err)
	}
	_, err = MatchCluster(all, "prod-asw")
	if !errors.As(err, &le) || le.Ambiguous || len(le.Candidates) != 1 || le.Candidates[0].Name != "prod-aws" {
		t.Errorf("a typo: %v", err)
	}
	_, err = MatchCluster(all, "11111111-2222-4333-8444-555555555555")
	if !errors.As(err, &le) || le.Err == nil {
		t.Errorf("an unknown ID: %v", err)
	}
	// Whatever failed, the error carries every cluster listed: what the
	// reference could have named.
	_, err = MatchCluster(all, "nope")
	if !errors.As(err, &le) || len(le.Visible) != len(all) || len(le.Candidates) != 0 {
		t.Errorf("an unknown name: %v (visible %d)", err, len(le.Visible))
	}
}

func TestNormalizeChannels(t *testing.T) {
	got := NormalizeChannels([]string{"sql_schema", " Ops ", "", "HEALTH"})
	if want := []string{"SQL_SCHEMA", "OPS", "HEALTH"}; !slices.Equal(got, want) {
		t.Errorf("NormalizeChannels = %q, want %q", got, want)
	}
	if NormalizeChannels(nil) != nil {
		t.Error("nil became non-nil: an unset flag would read as an empty list")
	}
}
