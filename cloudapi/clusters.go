package cloudapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Organization returns the organization the API key belongs to.
func (c *Client) Organization(ctx context.Context) (Organization, error) {
	var org Organization
	err := c.do(ctx, call{op: "get organization", method: http.MethodGet, path: "/api/v1/organization"}, &org)
	return org, err
}

// Cluster returns one cluster by ID.
func (c *Client) Cluster(ctx context.Context, id string) (Cluster, error) {
	if id == "" {
		return Cluster{}, errors.New("get cluster: no cluster ID")
	}
	var cl Cluster
	err := c.do(ctx, call{op: "get cluster", method: http.MethodGet, path: clusterPath(id)}, &cl)
	return cl, err
}

func clusterPath(id string) string { return "/api/v1/clusters/" + url.PathEscape(id) }

// pageSize is how many clusters one list request asks for.
const pageSize = 100

// maxPages stops a server that keeps inventing page tokens.
const maxPages = 10000

type listClustersResponse struct {
	Clusters   []Cluster `json:"clusters"`
	Pagination *struct {
		NextPage string `json:"next_page"`
	} `json:"pagination"`
}

// Clusters iterates over every cluster in the organization, fetching
// pages as needed. Iteration ends after the last page, or after yielding
// one non-nil error. A cluster seen on an earlier page is not yielded
// again, and a page token the server repeats ends iteration with an error
// instead of looping.
func (c *Client) Clusters(ctx context.Context) iter.Seq2[Cluster, error] {
	return func(yield func(Cluster, error) bool) {
		seenIDs := map[string]bool{}
		seenTokens := map[string]bool{}
		token := ""
		for range maxPages {
			q := url.Values{"pagination.limit": {strconv.Itoa(pageSize)}}
			if token != "" {
				q.Set("pagination.page", token)
			}
			var page listClustersResponse
			if err := c.do(ctx, call{op: "list clusters", method: http.MethodGet, path: "/api/v1/clusters", query: q}, &page); err != nil {
				yield(Cluster{}, err)
				return
			}
			for _, cl := range page.Clusters {
				if seenIDs[cl.ID] {
					continue
				}
				seenIDs[cl.ID] = true
				if !yield(cl, nil) {
					return
				}
			}
			if page.Pagination == nil || page.Pagination.NextPage == "" {
				return
			}
			token = page.Pagination.NextPage
			if seenTokens[token] {
				yield(Cluster{}, errors.New("list clusters: the server returned the same page token twice; stopping rather than looping"))
				return
			}
			seenTokens[token] = true
		}
		yield(Cluster{}, fmt.Errorf("list clusters: more than %d pages; stopping", maxPages))
	}
}

// ListClusters returns every cluster in the organization, across all
// pages.
func (c *Client) ListClusters(ctx context.Context) ([]Cluster, error) {
	var all []Cluster
	for cl, err := range c.Clusters(ctx) {
		if err != nil {
			return nil, err
		}
		all = append(all, cl)
	}
	return all, nil
}

// ClusterLookupError is FindCluster's answer when a reference does not
// name exactly one cluster.
type ClusterLookupError struct {
	Ref string
	// Ambiguous is true when several clusters have the name; Candidates
	// then holds all of them. Otherwise Candidates holds clusters with
	// similar names (possibly none).
	Ambiguous  bool
	Candidates []Cluster
	// Err is the API error of an ID lookup, if that is what failed.
	Err error
	// Visible are the clusters the API key can see (the organization's,
	// as far as its roles reach), when they could be listed: what the
	// reference could have named.
	Visible []Cluster
}

func (e *ClusterLookupError) Error() string {
	describe := func(cl Cluster) string {
		return fmt.Sprintf("%s (%s, %s %s)", cl.Name, cl.ID, cl.CloudProvider, cl.Plan)
	}
	var names []string
	for _, cl := range e.Candidates {
		names = append(names, describe(cl))
	}
	switch {
	case e.Ambiguous:
		return fmt.Sprintf("%d clusters are named %q: %s; pass the cluster ID instead", len(e.Candidates), e.Ref, strings.Join(names, ", "))
	case e.Err != nil:
		return fmt.Sprintf("no cluster with ID %s in this organization: %v", e.Ref, e.Err)
	case len(names) > 0:
		return fmt.Sprintf("no cluster named %q in this organization; did you mean %s?", e.Ref, strings.Join(names, " or "))
	default:
		return fmt.Sprintf("no cluster named %q in this organization", e.Ref)
	}
}

func (e *ClusterLookupError) Unwrap() error { return e.Err }

// maxNearMatches bounds the suggestions in a ClusterLookupError.
const maxNearMatches = 5

// FindCluster resolves a cluster ID or name. A UUID is fetched directly;
// anything else is matched exactly against the names of all clusters. When
// no cluster or several clusters match, the error is a
// *ClusterLookupError listing the candidates.
func (c *Client) FindCluster(ctx context.Context, ref string) (Cluster, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return Cluster{}, errors.New("find cluster: no cluster ID or name given")
	}
	if isUUID(ref) {
		cl, err := c.Cluster(ctx, ref)
		if IsNotFound(err) {
			lookup := &ClusterLookupError{Ref: ref, Err: err}
			// Best effort: the lookup failed already, the list only helps.
			lookup.Visible, _ = c.ListClusters(ctx)
			return Cluster{}, lookup
		}
		return cl, err
	}
	all, err := c.ListClusters(ctx)
	if err != nil {
		return Cluster{}, err
	}
	return MatchCluster(all, ref)
}

// errNotListed is why an ID matched no cluster of a listing.
var errNotListed = errors.New("it is not among the organization's clusters")

// MatchCluster resolves a cluster ID or name against clusters already
// listed, as FindCluster does against the API: an ID matches one cluster's
// ID, a name must be exactly one cluster's name. When none or several
// match, the error is a *ClusterLookupError.
func MatchCluster(all []Cluster, ref string) (Cluster, error) {
	ref = strings.TrimSpace(ref)
	var exact []Cluster
	for _, cl := range all {
		if cl.Name == ref || (isUUID(ref) && cl.ID == ref) {
			exact = append(exact, cl)
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0], nil
	case len(exact) > 1:
		return Cluster{}, &ClusterLookupError{Ref: ref, Ambiguous: true, Candidates: exact, Visible: all}
	case isUUID(ref):
		return Cluster{}, &ClusterLookupError{Ref: ref, Err: errNotListed, Visible: all}
	default:
		return Cluster{}, &ClusterLookupError{Ref: ref, Candidates: nearMatches(ref, all), Visible: all}
	}
}

func isUUID(s string) bool {
	// uuid.Parse also accepts braces and urn: prefixes; cluster IDs are
	// always the plain 36-character form.
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// nearMatches ranks clusters whose names resemble ref: same name ignoring
// case, one containing the other, or a small edit distance (typos).
func nearMatches(ref string, all []Cluster) []Cluster {
	type scored struct {
		cl    Cluster
		score int
	}
	lref := strings.ToLower(ref)
	limit := max(2, len(lref)/4)
	var found []scored
	for _, cl := range all {
		name := strings.ToLower(cl.Name)
		switch d := editDistance(lref, name); {
		case name == lref:
			found = append(found, scored{cl, 0})
		case strings.Contains(name, lref) || (name != "" && strings.Contains(lref, name)):
			found = append(found, scored{cl, 1 + d})
		case d <= limit:
			found = append(found, scored{cl, 1 + d})
		}
	}
	slices.SortStableFunc(found, func(a, b scored) int {
		return cmp.Or(cmp.Compare(a.score, b.score), cmp.Compare(a.cl.Name, b.cl.Name))
	})
	var out []Cluster
	for _, s := range found[:min(len(found), maxNearMatches)] {
		out = append(out, s.cl)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, by rune.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
