package awsemu

import (
	"encoding/json"
	"net/http"
	"sort"

	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// State is the emulator's whole content as GET /_sandbox/state shows it:
// policy documents decoded (as JSON when they parse), lists sorted.
type State struct {
	AccountID string                  `json:"account_id"`
	Roles     []RoleState             `json:"roles"`
	Policies  []PolicyState           `json:"policies"`
	LogGroups map[string][]GroupState `json:"log_groups"` // by region
}

// RoleState describes one role.
type RoleState struct {
	Name                string                     `json:"name"`
	Path                string                     `json:"path"`
	ARN                 string                     `json:"arn"`
	RoleID              string                     `json:"role_id"`
	CreateDate          string                     `json:"create_date"`
	Description         string                     `json:"description,omitempty"`
	MaxSessionDuration  int                        `json:"max_session_duration"`
	Trust               json.RawMessage            `json:"trust_policy"`
	Tags                map[string]string          `json:"tags,omitempty"`
	PermissionsBoundary string                     `json:"permissions_boundary,omitempty"`
	AttachedPolicies    []string                   `json:"attached_policies"` // ARNs
	InlinePolicies      map[string]json.RawMessage `json:"inline_policies"`
}

// PolicyState describes one customer managed policy.
type PolicyState struct {
	Name           string               `json:"name"`
	Path           string               `json:"path"`
	ARN            string               `json:"arn"`
	PolicyID       string               `json:"policy_id"`
	Description    string               `json:"description,omitempty"`
	DefaultVersion string               `json:"default_version"`
	Versions       []PolicyVersionState `json:"versions"`
	AttachedTo     []string             `json:"attached_to"` // role names
	BoundaryOf     []string             `json:"boundary_of"` // role names
}

// PolicyVersionState is one version of a managed policy.
type PolicyVersionState struct {
	VersionID  string          `json:"version_id"`
	IsDefault  bool            `json:"is_default"`
	CreateDate string          `json:"create_date"`
	Document   json.RawMessage `json:"document"`
}

// GroupState describes one log group.
type GroupState struct {
	Name            string            `json:"name"`
	ARN             string            `json:"arn"`
	RetentionInDays int               `json:"retention_in_days,omitempty"`
	KMSKeyID        string            `json:"kms_key_id,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	Streams         int               `json:"streams"`
	Events          int               `json:"events"`
	StoredBytes     int64             `json:"stored_bytes"`
}

// State returns a snapshot of everything the emulator holds.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{AccountID: s.accountID, Roles: []RoleState{}, Policies: []PolicyState{}, LogGroups: map[string][]GroupState{}}
	for _, r := range s.sortedRolesLocked() {
		rs := RoleState{
			Name: r.name, Path: r.path, ARN: s.roleARN(r), RoleID: r.id, CreateDate: isoTime(r.created),
			Description: r.description, MaxSessionDuration: r.maxSession, Trust: rawDocument(r.trust),
			PermissionsBoundary: r.boundary, AttachedPolicies: []string{}, InlinePolicies: map[string]json.RawMessage{},
		}
		if len(r.tags) > 0 {
			rs.Tags = map[string]string{}
			for _, t := range r.tags {
				rs.Tags[t.Key] = t.Value
			}
		}
		for _, arn := range r.attached {
			rs.AttachedPolicies = append(rs.AttachedPolicies, arn)
		}
		sort.Strings(rs.AttachedPolicies)
		for _, p := range r.inline {
			rs.InlinePolicies[p.name] = rawDocument(p.document)
		}
		st.Roles = append(st.Roles, rs)
	}
	for _, p := range s.sortedPoliciesLocked() {
		ps := PolicyState{
			Name: p.name, Path: p.path, ARN: p.arn, PolicyID: p.id, Description: p.description,
			DefaultVersion: p.defaultVersion, AttachedTo: roleNames(s, p.attachedTo), BoundaryOf: roleNames(s, p.boundaryOf),
		}
		for _, v := range p.versions {
			ps.Versions = append(ps.Versions, PolicyVersionState{
				VersionID: v.id, IsDefault: v.id == p.defaultVersion, CreateDate: isoTime(v.created), Document: rawDocument(v.document),
			})
		}
		st.Policies = append(st.Policies, ps)
	}
	for region, reg := range s.logs {
		groups := []GroupState{}
		for _, g := range reg.groups {
			gs := GroupState{
				Name: g.name, ARN: s.logGroupARN(region, g.name), RetentionInDays: g.retention, KMSKeyID: g.kmsKeyID,
				Streams: len(g.streams), StoredBytes: g.storedBytes(),
			}
			if len(g.tags) > 0 {
				gs.Tags = copyTags(g.tags)
			}
			for _, stream := range g.streams {
				gs.Events += len(stream.events)
			}
			groups = append(groups, gs)
		}
		if len(groups) == 0 {
			continue
		}
		sort.Slice(groups, func(i, j int) bool { return groups[i].Name < groups[j].Name })
		st.LogGroups[region] = groups
	}
	return st
}

// roleNames turns a set of lower-case role keys into the roles' names.
func roleNames(s *Server, keys map[string]bool) []string {
	out := []string{}
	for k := range keys {
		if r := s.iam.roles[k]; r != nil {
			out = append(out, r.name)
		}
	}
	sort.Strings(out)
	return out
}

// rawDocument embeds a stored document as JSON when it is JSON (it always
// is once validated) and as a JSON string otherwise.
func rawDocument(doc string) json.RawMessage {
	if json.Valid([]byte(doc)) {
		return json.RawMessage(doc)
	}
	b, _ := json.Marshal(doc)
	return b
}

func (s *Server) serveState(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		knobs.WriteJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "method not allowed", "allow": http.MethodGet})
		return
	}
	knobs.WriteJSON(w, http.StatusOK, s.State())
}
