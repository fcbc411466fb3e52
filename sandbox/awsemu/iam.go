package awsemu

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// IAM limits the emulator enforces, at AWS's default quotas.
const (
	maxTags                = 50
	maxAttachedPerRole     = 10
	maxPolicyVersions      = 5
	minSessionDuration     = 3600
	maxSessionDuration     = 43200
	maxDescriptionLength   = 1000
	maxPathLength          = 512
	maxRoleNameLength      = 64
	maxPolicyNameLength    = 128
	maxPolicyDocumentParam = 131072
)

var (
	iamNamePattern   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@-]+$`) })
	iamPathPattern   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`) })
	iamPrefixPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/[\x21-\x7F]*$`) })
	versionIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$`) })
)

// iamState is the account's IAM: global, not per region. Names are unique
// without regard to case, as in IAM, so the maps are keyed by lower case.
type iamState struct {
	roles    map[string]*role
	policies map[string]*managedPolicy
}

func newIAMState() *iamState {
	return &iamState{roles: map[string]*role{}, policies: map[string]*managedPolicy{}}
}

type tag struct {
	Key   string
	Value string
}

type role struct {
	name, path, id string
	created        time.Time
	trust          string // as given; encoded only when answered
	description    string
	maxSession     int
	tags           []tag
	boundary       string                   // policy ARN, "" when none
	attached       map[string]string        // lower policy name → policy ARN
	inline         map[string]*inlinePolicy // lower name → policy
}

type inlinePolicy struct {
	name     string
	document string
}

func (s *Server) roleARN(r *role) string {
	return "arn:aws:iam::" + s.accountID + ":role" + r.path + r.name
}

// iamActions lists the IAM actions the emulator implements.
var iamActions = map[string]queryHandler{
	"CreateRole":                    (*Server).createRole,
	"GetRole":                       (*Server).getRole,
	"DeleteRole":                    (*Server).deleteRole,
	"UpdateAssumeRolePolicy":        (*Server).updateAssumeRolePolicy,
	"ListRoles":                     (*Server).listRoles,
	"TagRole":                       (*Server).tagRole,
	"UntagRole":                     (*Server).untagRole,
	"ListRoleTags":                  (*Server).listRoleTags,
	"PutRolePermissionsBoundary":    (*Server).putRolePermissionsBoundary,
	"DeleteRolePermissionsBoundary": (*Server).deleteRolePermissionsBoundary,
	"PutRolePolicy":                 (*Server).putRolePolicy,
	"GetRolePolicy":                 (*Server).getRolePolicy,
	"ListRolePolicies":              (*Server).listRolePolicies,
	"DeleteRolePolicy":              (*Server).deleteRolePolicy,
	"AttachRolePolicy":              (*Server).attachRolePolicy,
	"DetachRolePolicy":              (*Server).detachRolePolicy,
	"ListAttachedRolePolicies":      (*Server).listAttachedRolePolicies,
	"CreatePolicy":                  (*Server).createPolicy,
	"GetPolicy":                     (*Server).getPolicy,
	"DeletePolicy":                  (*Server).deletePolicy,
	"ListPolicies":                  (*Server).listPolicies,
	"CreatePolicyVersion":           (*Server).createPolicyVersion,
	"GetPolicyVersion":              (*Server).getPolicyVersion,
	"ListPolicyVersions":            (*Server).listPolicyVersions,
	"DeletePolicyVersion":           (*Server).deletePolicyVersion,
	"SetDefaultPolicyVersion":       (*Server).setDefaultPolicyVersion,
	"ListEntitiesForPolicy":         (*Server).listEntitiesForPolicy,
}

// Parameter checks shared by the IAM actions.

func checkName(member, name string, maxLen int) *apiError {
	if len(name) < 1 {
		return validationError(member, name, "Member must have length greater than or equal to 1")
	}
	if len(name) > maxLen {
		return validationError(member, name, fmt.Sprintf("Member must have length less than or equal to %d", maxLen))
	}
	if !iamNamePattern().MatchString(name) {
		return validationError(member, name, `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	}
	return nil
}

func (c *queryCall) roleName() (string, *apiError) {
	name, e := c.required("RoleName")
	if e != nil {
		return "", e
	}
	return name, checkName("roleName", name, maxRoleNameLength)
}

func (c *queryCall) policyName() (string, *apiError) {
	name, e := c.required("PolicyName")
	if e != nil {
		return "", e
	}
	return name, checkName("policyName", name, maxPolicyNameLength)
}

// path reads an optional Path (default "/").
func (c *queryCall) path() (string, *apiError) {
	if !c.has("Path") {
		return "/", nil
	}
	p := c.str("Path")
	if len(p) > maxPathLength {
		return "", validationError("path", p, fmt.Sprintf("Member must have length less than or equal to %d", maxPathLength))
	}
	if !iamPathPattern().MatchString(p) {
		return "", validationError("path", p, `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	}
	return p, nil
}

// pathPrefix reads an optional PathPrefix (default "/").
func (c *queryCall) pathPrefix() (string, *apiError) {
	if !c.has("PathPrefix") {
		return "/", nil
	}
	p := c.str("PathPrefix")
	if len(p) > maxPathLength || !iamPrefixPattern().MatchString(p) {
		return "", validationError("pathPrefix", p, `Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*`)
	}
	return p, nil
}

func (c *queryCall) description() (string, *apiError) {
	d := c.str("Description")
	if len(d) > maxDescriptionLength {
		return "", validationError("description", d, fmt.Sprintf("Member must have length less than or equal to %d", maxDescriptionLength))
	}
	return d, nil
}

// document reads a policy document parameter and checks its grammar.
func (c *queryCall) document(param string, kind policyKind) (string, *apiError) {
	doc, e := c.required(param)
	if e != nil {
		return "", e
	}
	if len(doc) < 1 || len(doc) > maxPolicyDocumentParam {
		return "", validationError(memberName(param), "", fmt.Sprintf("Member must have length between 1 and %d", maxPolicyDocumentParam))
	}
	return doc, checkPolicyDocument(doc, kind)
}

func (s *Server) roleLocked(name string) (*role, *apiError) {
	r, ok := s.iam.roles[strings.ToLower(name)]
	if !ok {
		return nil, noSuchEntity("The role with name %s cannot be found.", name)
	}
	return r, nil
}

// inRole runs f on the named role, with the server locked. Handlers read
// and check their parameters first: AWS answers a malformed request with a
// validation error even when the role does not exist.
func (s *Server) inRole(name string, f func(r *role) (any, *apiError)) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, e := s.roleLocked(name)
	if e != nil {
		return nil, e
	}
	return f(r)
}

// Roles.

func (s *Server) createRole(c *queryCall) (any, *apiError) {
	name, e := c.roleName()
	if e != nil {
		return nil, e
	}
	path, e := c.path()
	if e != nil {
		return nil, e
	}
	desc, e := c.description()
	if e != nil {
		return nil, e
	}
	maxSession, ok, e := c.intParam("MaxSessionDuration", minSessionDuration, maxSessionDuration)
	if e != nil {
		return nil, e
	}
	if !ok {
		maxSession = minSessionDuration
	}
	tags, e := c.tags("Tags")
	if e != nil {
		return nil, e
	}
	if _, e := c.required("AssumeRolePolicyDocument"); e != nil {
		return nil, e
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.iam.roles[strings.ToLower(name)]; exists {
		return nil, entityAlreadyExists("Role with name %s already exists.", name)
	}
	trust, e := c.document("AssumeRolePolicyDocument", trustPolicy)
	if e != nil {
		return nil, e
	}
	if policySize(trust) > maxTrustPolicySize {
		return nil, limitExceeded("Cannot exceed quota for ACLSizePerRole: %d", maxTrustPolicySize)
	}
	var boundary *managedPolicy
	if c.has("PermissionsBoundary") {
		if boundary, e = s.boundaryPolicyLocked(c.str("PermissionsBoundary")); e != nil {
			return nil, e
		}
	}
	r := &role{
		name: name, path: path, id: s.newIDLocked("AROA"),
		created: s.now(), trust: trust, description: desc, maxSession: maxSession, tags: tags,
		attached: map[string]string{}, inline: map[string]*inlinePolicy{},
	}
	if boundary != nil {
		r.boundary = boundary.arn
		boundary.boundaryOf[strings.ToLower(name)] = true
	}
	s.iam.roles[strings.ToLower(name)] = r
	return struct{ Role xmlRole }{s.roleXML(r, true)}, nil
}

func (s *Server) getRole(c *queryCall) (any, *apiError) {
	name, e := c.roleName()
	if e != nil {
		return nil, e
	}
	return s.inRole(name, func(r *role) (any, *apiError) {
		return struct{ Role xmlRole }{s.roleXML(r, true)}, nil
	})
}

func (s *Server) deleteRole(c *queryCall) (any, *apiError) {
	name, e := c.roleName()
	if e != nil {
		return nil, e
	}
	return s.inRole(name, func(r *role) (any, *apiError) {
		if len(r.attached) > 0 {
			return nil, deleteConflict("Cannot delete entity, must detach all policies first.")
		}
		if len(r.inline) > 0 {
			return nil, deleteConflict("Cannot delete entity, must delete policies first.")
		}
		s.clearBoundaryLocked(r)
		delete(s.iam.roles, strings.ToLower(r.name))
		return nil, nil
	})
}

func (s *Server) updateAssumeRolePolicy(c *queryCall) (any, *apiError) {
	name, e := c.roleName()
	if e != nil {
		return nil, e
	}
	if _, e := c.required("PolicyDocument"); e != nil {
		return nil, e
	}
	return s.inRole(name, func(r *role) (any, *apiError) {
		doc, e := c.document("PolicyDocument", trustPolicy)
		if e != nil {
			return nil, e
		}
		if policySize(doc) > maxTrustPolicySize {
			return nil, limitExceeded("Cannot exceed quota for ACLSizePerRole: %d", maxTrustPolicySize)
		}
		r.trust = doc
		return nil, nil
	})
}

func (s *Server) listRoles(c *queryCall) (any, *apiError) {
	prefix, e := c.pathPrefix()
	if e != nil {
		return nil, e
	}
	p, e := c.paging()
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var roles []*role
	for _, r := range s.sortedRolesLocked() {
		if strings.HasPrefix(r.path, prefix) {
			roles = append(roles, r)
		}
	}
	page, marker, truncated := paginate(roles, roleKey, p)
	out := struct {
		Roles       []xmlRole `xml:"Roles>member"`
		IsTruncated bool
		Marker      string `xml:",omitempty"`
	}{Roles: []xmlRole{}, IsTruncated: truncated, Marker: marker}
	for _, r := range page {
		out.Roles = append(out.Roles, s.roleXML(r, false))
	}
	return out, nil
}

func roleKey(r *role) string { return strings.ToLower(r.name) }

func (s *Server) sortedRolesLocked() []*role {
	roles := make([]*role, 0, len(s.iam.roles))
	for _, r := range s.iam.roles {
		roles = append(roles, r)
	}
	sort.Slice(roles, func(i, j int) bool { return roleKey(roles[i]) < roleKey(roles[j]) })
	return roles
}

func (s *Server) tagRole(c *queryCall) (any, *apiError) {
	name, e := c.roleName()
	if e != nil {
		return nil, e
	}
	tags, e := c.tags("Tags")
	if e != nil {
		return nil, e
	}
	if len(tags) == 0 {
		return nil, missingValue("tags")
	}
	return s.inRole(name, func(r *role) (any, *apiError) {
		merged := mergeTags(r.tags, tags)
		if len(merged) > maxTags {
			return nil, limitExceeded("Cannot exceed quota for TagsPerRole: %d", maxTags)
		}
		r.tags = merged
		return nil, nil
	})
}

// mergeTags sets each new tag, replacing a tag whose key differs only in case.
func mergeTags(have, set []tag) []tag {
	out := append([]tag(nil), have...)
	for _, t := range set {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
				out[i] = t
				replaced = true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return out
}

func (s *Server) untagRole(c *queryCall) (any, *apiError) {
	name, e := c.roleName()
	if e != nil {
		return nil, e
	}
	keys := c.list("TagKeys")
	if len(keys) == 0 {
		return nil, missingValue("tagKeys")
	}
	return s.inRole(name, func(r *role) (any, *apiError) {
		kept := r.tags[:0:0]
		for _, t := range r.tags {
			drop := false
			for _, k := range keys {
				drop = drop || strings.EqualFold(k, t.Key)
			}
			if !drop {
				kept = append(kept, t)
			}
		}
		r.tags = kept
		return nil, nil
	})
}

func (s *Server) listRoleTags(c *queryCall) (any, *apiError) {
	name, e := c.roleName()
	if e != nil {
		return nil, e
	}
	p, e := c.paging()
	if e != nil {
		return nil, e
	}
	return s.inRole(name, func(r *role) (any, *apiError) {
		page, marker, truncated := paginate(sortedTags(r.tags), func(t tag) string { return t.Key }, p)
		return struct {
			Tags        []tag `xml:"Tags>member"`
			IsTruncated bool
			Marker      string `xml:",omitempty"`
		}{Tags: append([]tag{}, page...), IsTruncated: truncated, Marker: marker}, nil
	})
}

func sortedTags(tags []tag) []tag {
	out := append([]tag(nil), tags...)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Permissions boundaries.

// boundaryPolicyLocked resolves a policy ARN given as a permissions boundary.
func (s *Server) boundaryPolicyLocked(arn string) (*managedPolicy, *apiError) {
	p, e := s.policyByARNLocked(arn)
	if e != nil {
		if e.code == "NoSuchEntity" {
			return nil, noSuchEntity("Scope ARN: %s does not exist or is not attachable.", arn)
		}
		return nil, e
	}
	return p, nil
}

func (s *Server) clearBoundaryLocked(r *role) {
	if r.boundary == "" {
		return
	}
	if p, e := s.policyByARNLocked(r.boundary); e == nil {
		delete(p.boundaryOf, strings.ToLower(r.name))
	}
	r.boundary = ""
}

func (s *Server) putRolePermissionsBoundary(c *queryCall) (any, *apiError) {
	name, e := c.roleName()
	if e != nil {
		return nil, e
	}
	arn, e := c.required("PermissionsBoundary")
	if e != nil {
		return nil, e
	}
	return s.inRole(name, func(r *role) (any, *apiError) {
		p, e := s.boundaryPolicyLocked(arn)
		if e != nil {
			return nil, e
		}
		s.clearBoundaryLocked(r)
		r.boundary = p.arn
		p.boundaryOf[strings.ToLower(r.name)] = true
		return nil, nil
	})
}

func (s *Server) deleteRolePermissionsBoundary(c *queryCall) (any, *apiError) {
	name, e := c.roleName()
	if e != nil {
		return nil, e
	}
	return s.inRole(name, func(r *role) (any, *apiError) {
		s.clearBoundaryLocked(r)
		return nil, nil
	})
}

// Inline policies.

func (s *Server) putRolePolicy(c *queryCall) (any, *apiError) {
	name, e := c.roleName()
	if e != nil {
		return nil, e
	}
	policyName, e := c.policyName()
	if e != nil {
		return nil, e
	}
	if _, e := c.required("PolicyDocument"); e != nil {
		return nil, e
	}
	return s.inRole(name, func(r *role) (any, *apiError) {
		doc, e := c.document("PolicyDocument", permissionsPolicy)
		if e != nil {
			return nil, e
		}
		total := policySize(doc)
		for key, p := range r.inline {
			if key != strings.ToLower(policyName) {
				total += policySize(p.document)
			}
		}
		if total > maxInlinePolicyBytes {
			return nil, limitExceeded("Maximum policy size of %d bytes exceeded for role %s", maxInlinePolicyBytes, r.name)
		}
		r.inline[strings.ToLower(policyName)] = &inlinePolicy{name: policyName, document: doc}
		return nil, nil
	})
}

func (s *Server) inlineLocked(c *queryCall) (*role, *inlinePolicy, *apiError) {
	name, e := c.roleName()
	if e != nil {
		return nil, nil, e
	}
	policyName, e := c.policyName()
	if e != nil {
		return nil, nil, e
	}
	r, e := s.roleLocked(name)
	if e != nil {
		return nil, nil, e
	}
	p, ok := r.inline[strings.ToLower(policyName)]
	if !ok {
		return nil, nil, noSuchEntity("The role policy with name %s cannot be found.", policyName)
	}
	return r, p, nil
}

func (s *Server) getRolePolicy(c *queryCall) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, p, e := s.inlineLocked(c)
	if e != nil {
		return nil, e
	}
	return struct {
		RoleName       string
		PolicyName     string
		PolicyDocument string
	}{r.name, p.name, encodeDocument(p.document)}, nil
}

func (s *Server) deleteRolePolicy(c *queryCall) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, p, e := s.inlineLocked(c)
	if e != nil {
		return nil, e
	}
	delete(r.inline, strings.ToLower(p.name))
	return nil, nil
}

func (s *Server) listRolePolicies(c *queryCall) (any, *apiError) {
	name, e := c.roleName()
	if e != nil {
		return nil, e
	}
	p, e := c.paging()
	if e != nil {
		return nil, e
	}
	return s.inRole(name, func(r *role) (any, *apiError) {
		names := sortedInlineNames(r)
		page, marker, truncated := paginate(names, strings.ToLower, p)
		return struct {
			PolicyNames []string `xml:"PolicyNames>member"`
			IsTruncated bool
			Marker      string `xml:",omitempty"`
		}{append([]string{}, page...), truncated, marker}, nil
	})
}

func sortedInlineNames(r *role) []string {
	names := make([]string, 0, len(r.inline))
	for _, p := range r.inline {
		names = append(names, p.name)
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	return names
}

// Answers.

type xmlRole struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               string
	AssumeRolePolicyDocument string       `xml:",omitempty"`
	Description              string       `xml:",omitempty"`
	MaxSessionDuration       int          `xml:",omitempty"`
	PermissionsBoundary      *xmlBoundary `xml:",omitempty"`
	Tags                     *xmlTags     `xml:",omitempty"`
}

// xmlTags wraps a tag list so that an absent list leaves no element at all
// (encoding/xml writes an empty parent for a nil "Tags>member" field).
type xmlTags struct {
	Member []tag `xml:"member"`
}

func tagsXML(tags []tag) *xmlTags {
	if len(tags) == 0 {
		return nil
	}
	return &xmlTags{Member: sortedTags(tags)}
}

type xmlBoundary struct {
	PermissionsBoundaryType string
	PermissionsBoundaryArn  string
}

// roleXML renders a role. ListRoles leaves out the boundary and the tags,
// as IAM does; GetRole and CreateRole include them.
func (s *Server) roleXML(r *role, full bool) xmlRole {
	x := xmlRole{
		Path: r.path, RoleName: r.name, RoleId: r.id, Arn: s.roleARN(r),
		CreateDate:               isoTime(r.created),
		AssumeRolePolicyDocument: encodeDocument(r.trust),
		Description:              r.description,
		MaxSessionDuration:       r.maxSession,
	}
	if full {
		if r.boundary != "" {
			x.PermissionsBoundary = &xmlBoundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: r.boundary}
		}
		x.Tags = tagsXML(r.tags)
	}
	return x
}
