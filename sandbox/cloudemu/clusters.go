package cloudemu

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

type handler func(s *Server, w http.ResponseWriter, r *http.Request, clusterID string)

// routed is an operation matched from a request line. Unknown paths and
// methods have no handler and are answered 404, like the real gateway.
type routed struct {
	op        string
	handle    handler
	clusterID string
}

// route maps a request to its operation. Op names are the OpenAPI
// operationIds without their "CockroachCloud_" prefix.
func route(method, path string) routed {
	rest, ok := strings.CutPrefix(path, "/api/v1/")
	if !ok {
		return routed{op: "cloud:Unknown"}
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 1 && parts[0] == "organization" && method == http.MethodGet:
		return routed{op: "cloud:GetOrganizationInfo", handle: (*Server).getOrganization}
	case len(parts) == 1 && parts[0] == "clusters" && method == http.MethodGet:
		return routed{op: "cloud:ListClusters", handle: (*Server).listClusters}
	case len(parts) == 2 && parts[0] == "clusters" && parts[1] != "" && method == http.MethodGet:
		return routed{op: "cloud:GetCluster", handle: (*Server).getCluster, clusterID: parts[1]}
	case len(parts) == 3 && parts[0] == "clusters" && parts[1] != "" && parts[2] == "logexport":
		switch method {
		case http.MethodGet:
			return routed{op: "cloud:GetLogExportInfo", handle: (*Server).getLogExport, clusterID: parts[1]}
		case http.MethodPost:
			return routed{op: "cloud:EnableLogExport", handle: (*Server).enableLogExport, clusterID: parts[1]}
		case http.MethodDelete:
			return routed{op: "cloud:DeleteLogExport", handle: (*Server).deleteLogExport, clusterID: parts[1]}
		}
	}
	return routed{op: "cloud:Unknown"}
}

func (s *Server) getOrganization(w http.ResponseWriter, _ *http.Request, _ string) {
	s.mu.Lock()
	org := s.org
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, org)
}

func (s *Server) getCluster(w http.ResponseWriter, _ *http.Request, id string) {
	s.mu.Lock()
	c, ok := s.clusters[id]
	if ok {
		c = c.clone()
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, codeNotFound, fmt.Sprintf("cluster %s not found", id))
		return
	}
	writeJSON(w, http.StatusOK, c)
}

const (
	defaultPageSize = 100
	maxPageSize     = 500
)

// pageToken is the keyset position encoded in pagination.page. It pins the
// sort and the snapshot time so that every page of one walk sees the same
// set of clusters in the same order.
type pageToken struct {
	SortBy    string    `json:"s"`
	Order     string    `json:"o"`
	AsOf      time.Time `json:"t"`
	LastKey   string    `json:"k"`
	LastID    string    `json:"i"`
	ShowInact bool      `json:"x,omitempty"`
}

func (s *Server) listClusters(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	bad := func(format string, args ...any) {
		writeError(w, http.StatusBadRequest, codeInvalidArgument, fmt.Sprintf(format, args...))
	}
	tok := pageToken{SortBy: "NAME", Order: "ASC", AsOf: time.Now().UTC()}
	if v := q.Get("show_inactive"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("invalid value for show_inactive: %q", v)
			return
		}
		tok.ShowInact = b
	}
	if v := q.Get("pagination.sort_by"); v != "" {
		if v != "NAME" && v != "CREATED_AT" && v != "DELETED_AT" {
			bad("invalid value for pagination.sort_by: %q", v)
			return
		}
		tok.SortBy = v
	}
	if v := q.Get("pagination.sort_order"); v != "" {
		if v != "ASC" && v != "DESC" {
			bad("invalid value for pagination.sort_order: %q", v)
			return
		}
		tok.Order = v
	}
	if v := q.Get("pagination.as_of_time"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			bad("invalid value for pagination.as_of_time: %q is not an RFC 3339 timestamp", v)
			return
		}
		tok.AsOf = t
	}
	limit := defaultPageSize
	if v := q.Get("pagination.limit"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			bad("invalid value for pagination.limit: %q", v)
			return
		}
		if n > 0 {
			limit = int(min(n, maxPageSize))
		}
	}
	after := false
	if v := q.Get("pagination.page"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		if err == nil {
			err = json.Unmarshal(raw, &tok)
		}
		if err != nil || tok.LastID == "" {
			bad("invalid pagination.page: not a page token returned by this API")
			return
		}
		after = true
	}

	s.mu.Lock()
	var all []*cluster
	for _, c := range s.clusters {
		if c.CreatedAt.After(tok.AsOf) {
			continue
		}
		if c.State == StateDeleted && !tok.ShowInact {
			continue
		}
		all = append(all, c.clone())
	}
	s.mu.Unlock()

	key := func(c *cluster) string {
		switch tok.SortBy {
		case "CREATED_AT":
			return c.CreatedAt.UTC().Format(time.RFC3339Nano)
		case "DELETED_AT":
			if c.DeletedAt != nil {
				return c.DeletedAt.UTC().Format(time.RFC3339Nano)
			}
			return c.CreatedAt.UTC().Format(time.RFC3339Nano)
		default:
			return c.Name
		}
	}
	// less orders by the sort key, then by ID so that equal keys have a
	// stable keyset position.
	less := func(ka, ia, kb, ib string) bool {
		if ka != kb {
			return ka < kb
		}
		return ia < ib
	}
	desc := tok.Order == "DESC"
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if desc {
			return less(key(b), b.ID, key(a), a.ID)
		}
		return less(key(a), a.ID, key(b), b.ID)
	})
	start := 0
	if after {
		start = sort.Search(len(all), func(i int) bool {
			c := all[i]
			if desc {
				return less(key(c), c.ID, tok.LastKey, tok.LastID)
			}
			return less(tok.LastKey, tok.LastID, key(c), c.ID)
		})
	}
	end := min(start+limit, len(all))
	page := all[start:end]
	resp := struct {
		Clusters   []*cluster `json:"clusters"`
		Pagination struct {
			NextPage string `json:"next_page,omitempty"`
		} `json:"pagination"`
	}{Clusters: page}
	if resp.Clusters == nil {
		resp.Clusters = []*cluster{}
	}
	if end < len(all) && len(page) > 0 {
		last := page[len(page)-1]
		next := tok
		next.LastKey, next.LastID = key(last), last.ID
		b, _ := json.Marshal(next)
		resp.Pagination.NextPage = base64.RawURLEncoding.EncodeToString(b)
	}
	writeJSON(w, http.StatusOK, resp)
}
