package awsemu

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// managedPolicy is a customer managed policy with its versions. AWS managed
// policies are not emulated: the account starts empty.
type managedPolicy struct {
	name, path, id, arn string
	description         string
	created, updated    time.Time
	tags                []tag
	versions            []*policyVersion // oldest first
	defaultVersion      string
	nextVersion         int             // versions are numbered v1, v2, … and never reused
	attachedTo          map[string]bool // lower role names
	boundaryOf          map[string]bool // lower role names using it as their boundary
}

type policyVersion struct {
	id       string
	number   int
	document string
	created  time.Time
}

func (p *managedPolicy) version(id string) *policyVersion {
	for _, v := range p.versions {
		if v.id == id {
			return v
		}
	}
	return nil
}

var policyARNPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^arn:aws:iam::([0-9]{12}|aws):policy(/.*)?/([^/]+)$`)
})

// policyByARNLocked finds a customer managed policy by ARN.
func (s *Server) policyByARNLocked(arn string) (*managedPolicy, *apiError) {
	if len(arn) < 20 || len(arn) > 2048 {
		return nil, validationError("policyArn", arn, "Member must have length between 20 and 2048")
	}
	m := policyARNPattern().FindStringSubmatch(arn)
	if m == nil {
		return nil, invalidInput("ARN %s is not valid.", arn)
	}
	p, ok := s.iam.policies[strings.ToLower(m[3])]
	if m[1] != s.accountID || !ok || p.arn != arn {
		return nil, noSuchEntity("Policy %s was not found.", arn)
	}
	return p, nil
}

func (s *Server) policyFromParamLocked(c *queryCall) (*managedPolicy, *apiError) {
	arn, e := c.required("PolicyArn")
	if e != nil {
		return nil, e
	}
	return s.policyByARNLocked(arn)
}

func (c *queryCall) versionID() (string, *apiError) {
	id, e := c.required("VersionId")
	if e != nil {
		return "", e
	}
	if !versionIDPattern().MatchString(id) {
		return "", validationError("versionId", id, `Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	}
	return id, nil
}

func checkManagedPolicySize(doc string) *apiError {
	if policySize(doc) > maxManagedPolicySize {
		return limitExceeded("Cannot exceed quota for PolicySize: %d", maxManagedPolicySize)
	}
	return nil
}

func (s *Server) createPolicy(c *queryCall) (any, *apiError) {
	name, e := c.policyName()
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
	tags, e := c.tags("Tags")
	if e != nil {
		return nil, e
	}
	if _, e := c.required("PolicyDocument"); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.iam.policies[strings.ToLower(name)]; exists {
		return nil, entityAlreadyExists("A policy called %s already exists. Duplicate names are not allowed.", name)
	}
	doc, e := c.document("PolicyDocument", permissionsPolicy)
	if e != nil {
		return nil, e
	}
	if e := checkManagedPolicySize(doc); e != nil {
		return nil, e
	}
	now := s.now()
	p := &managedPolicy{
		name: name, path: path, id: s.newIDLocked("ANPA"),
		arn:         "arn:aws:iam::" + s.accountID + ":policy" + path + name,
		description: desc, created: now, updated: now, tags: tags,
		versions:       []*policyVersion{{id: "v1", number: 1, document: doc, created: now}},
		defaultVersion: "v1", nextVersion: 2,
		attachedTo: map[string]bool{}, boundaryOf: map[string]bool{},
	}
	s.iam.policies[strings.ToLower(name)] = p
	return struct{ Policy xmlPolicy }{policyXML(p, false)}, nil
}

func (s *Server) getPolicy(c *queryCall) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.policyFromParamLocked(c)
	if e != nil {
		return nil, e
	}
	return struct{ Policy xmlPolicy }{policyXML(p, true)}, nil
}

func (s *Server) deletePolicy(c *queryCall) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.policyFromParamLocked(c)
	if e != nil {
		return nil, e
	}
	if len(p.attachedTo) > 0 {
		return nil, deleteConflict("Cannot delete a policy attached to entities.")
	}
	if len(p.boundaryOf) > 0 {
		return nil, deleteConflict("Cannot delete a policy used as a permissions boundary; remove it from every role first.")
	}
	if len(p.versions) > 1 {
		return nil, deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	}
	delete(s.iam.policies, strings.ToLower(p.name))
	return nil, nil
}

func (s *Server) listPolicies(c *queryCall) (any, *apiError) {
	scope := c.str("Scope")
	switch scope {
	case "":
		scope = "All"
	case "All", "AWS", "Local":
	default:
		return nil, validationError("scope", scope, "Member must satisfy enum value set: [All, AWS, Local]")
	}
	usage := c.str("PolicyUsageFilter")
	if usage != "" && usage != "PermissionsPolicy" && usage != "PermissionsBoundary" {
		return nil, validationError("policyUsageFilter", usage, "Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]")
	}
	onlyAttached, e := c.boolParam("OnlyAttached")
	if e != nil {
		return nil, e
	}
	prefix, e := c.pathPrefix()
	if e != nil {
		return nil, e
	}
	pg, e := c.paging()
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []*managedPolicy
	if scope != "AWS" {
		for _, p := range s.sortedPoliciesLocked() {
			switch {
			case !strings.HasPrefix(p.path, prefix):
			case onlyAttached && len(p.attachedTo) == 0:
			// Any managed policy can serve as a permissions policy; only
			// those some role uses as its boundary count as boundaries.
			case usage == "PermissionsBoundary" && len(p.boundaryOf) == 0:
			default:
				matched = append(matched, p)
			}
		}
	}
	page, marker, truncated := paginate(matched, policyKey, pg)
	out := struct {
		Policies    []xmlPolicy `xml:"Policies>member"`
		IsTruncated bool
		Marker      string `xml:",omitempty"`
	}{Policies: []xmlPolicy{}, IsTruncated: truncated, Marker: marker}
	for _, p := range page {
		out.Policies = append(out.Policies, policyXML(p, false))
	}
	return out, nil
}

func policyKey(p *managedPolicy) string { return strings.ToLower(p.name) }

func (s *Server) sortedPoliciesLocked() []*managedPolicy {
	out := make([]*managedPolicy, 0, len(s.iam.policies))
	for _, p := range s.iam.policies {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return policyKey(out[i]) < policyKey(out[j]) })
	return out
}

// Versions.

func (s *Server) createPolicyVersion(c *queryCall) (any, *apiError) {
	setDefault, e := c.boolParam("SetAsDefault")
	if e != nil {
		return nil, e
	}
	if _, e := c.required("PolicyDocument"); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.policyFromParamLocked(c)
	if e != nil {
		return nil, e
	}
	doc, e := c.document("PolicyDocument", permissionsPolicy)
	if e != nil {
		return nil, e
	}
	if e := checkManagedPolicySize(doc); e != nil {
		return nil, e
	}
	if len(p.versions) >= maxPolicyVersions {
		return nil, limitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxPolicyVersions)
	}
	now := s.now()
	v := &policyVersion{id: "v" + strconv.Itoa(p.nextVersion), number: p.nextVersion, document: doc, created: now}
	p.nextVersion++
	p.versions = append(p.versions, v)
	if setDefault {
		p.defaultVersion = v.id
		p.updated = now
	}
	return struct{ PolicyVersion xmlPolicyVersion }{versionXML(p, v, false)}, nil
}

func (s *Server) versionLocked(c *queryCall) (*managedPolicy, *policyVersion, *apiError) {
	id, e := c.versionID()
	if e != nil {
		return nil, nil, e
	}
	p, e := s.policyFromParamLocked(c)
	if e != nil {
		return nil, nil, e
	}
	v := p.version(id)
	if v == nil {
		return nil, nil, noSuchEntity("Policy %s version %s does not exist or is not attachable.", p.arn, id)
	}
	return p, v, nil
}

func (s *Server) getPolicyVersion(c *queryCall) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, v, e := s.versionLocked(c)
	if e != nil {
		return nil, e
	}
	return struct{ PolicyVersion xmlPolicyVersion }{versionXML(p, v, true)}, nil
}

func (s *Server) listPolicyVersions(c *queryCall) (any, *apiError) {
	pg, e := c.paging()
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.policyFromParamLocked(c)
	if e != nil {
		return nil, e
	}
	// Newest first, as IAM lists them.
	versions := make([]*policyVersion, len(p.versions))
	for i, v := range p.versions {
		versions[len(versions)-1-i] = v
	}
	newestFirst := func(v *policyVersion) string { return fmt.Sprintf("%010d", 1<<30-v.number) }
	page, marker, truncated := paginate(versions, newestFirst, pg)
	out := struct {
		Versions    []xmlPolicyVersion `xml:"Versions>member"`
		IsTruncated bool
		Marker      string `xml:",omitempty"`
	}{Versions: []xmlPolicyVersion{}, IsTruncated: truncated, Marker: marker}
	for _, v := range page {
		out.Versions = append(out.Versions, versionXML(p, v, false))
	}
	return out, nil
}

func (s *Server) deletePolicyVersion(c *queryCall) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, v, e := s.versionLocked(c)
	if e != nil {
		return nil, e
	}
	if v.id == p.defaultVersion {
		return nil, deleteConflict("Cannot delete the default version of a policy.")
	}
	kept := p.versions[:0:0]
	for _, have := range p.versions {
		if have != v {
			kept = append(kept, have)
		}
	}
	p.versions = kept
	return nil, nil
}

func (s *Server) setDefaultPolicyVersion(c *queryCall) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, v, e := s.versionLocked(c)
	if e != nil {
		return nil, e
	}
	if p.defaultVersion != v.id {
		p.defaultVersion = v.id
		p.updated = s.now()
	}
	return nil, nil
}

// Attachments.

func (s *Server) attachRolePolicy(c *queryCall) (any, *apiError) {
	name, e := c.roleName()
	if e != nil {
		return nil, e
	}
	arn, e := c.required("PolicyArn")
	if e != nil {
		return nil, e
	}
	return s.inRole(name, func(r *role) (any, *apiError) {
		p, e := s.policyByARNLocked(arn)
		if e != nil {
			if e.code == "NoSuchEntity" {
				e = noSuchEntity("Policy %s does not exist or is not attachable.", arn)
			}
			return nil, e
		}
		key := strings.ToLower(p.name)
		if _, already := r.attached[key]; already {
			return nil, nil
		}
		if len(r.attached) >= maxAttachedPerRole {
			return nil, limitExceeded("Cannot exceed quota for PoliciesPerRole: %d", maxAttachedPerRole)
		}
		r.attached[key] = p.arn
		p.attachedTo[strings.ToLower(r.name)] = true
		return nil, nil
	})
}

func (s *Server) detachRolePolicy(c *queryCall) (any, *apiError) {
	name, e := c.roleName()
	if e != nil {
		return nil, e
	}
	arn, e := c.required("PolicyArn")
	if e != nil {
		return nil, e
	}
	return s.inRole(name, func(r *role) (any, *apiError) {
		p, e := s.policyByARNLocked(arn)
		if e != nil {
			return nil, e
		}
		key := strings.ToLower(p.name)
		if _, attached := r.attached[key]; !attached {
			return nil, noSuchEntity("Policy %s was not found.", arn)
		}
		delete(r.attached, key)
		delete(p.attachedTo, strings.ToLower(r.name))
		return nil, nil
	})
}

type xmlAttachedPolicy struct {
	PolicyName string
	PolicyArn  string
}

func (s *Server) listAttachedRolePolicies(c *queryCall) (any, *apiError) {
	name, e := c.roleName()
	if e != nil {
		return nil, e
	}
	prefix, e := c.pathPrefix()
	if e != nil {
		return nil, e
	}
	pg, e := c.paging()
	if e != nil {
		return nil, e
	}
	return s.inRole(name, func(r *role) (any, *apiError) {
		var attached []*managedPolicy
		for key := range r.attached {
			if p := s.iam.policies[key]; p != nil && strings.HasPrefix(p.path, prefix) {
				attached = append(attached, p)
			}
		}
		sort.Slice(attached, func(i, j int) bool { return policyKey(attached[i]) < policyKey(attached[j]) })
		page, marker, truncated := paginate(attached, policyKey, pg)
		out := struct {
			AttachedPolicies []xmlAttachedPolicy `xml:"AttachedPolicies>member"`
			IsTruncated      bool
			Marker           string `xml:",omitempty"`
		}{AttachedPolicies: []xmlAttachedPolicy{}, IsTruncated: truncated, Marker: marker}
		for _, p := range page {
			out.AttachedPolicies = append(out.AttachedPolicies, xmlAttachedPolicy{PolicyName: p.name, PolicyArn: p.arn})
		}
		return out, nil
	})
}

type xmlPolicyRole struct {
	RoleName string
	RoleId   string
}

// listEntitiesForPolicy lists the roles a policy is attached to (and, unless
// PolicyUsageFilter says otherwise, the roles using it as a boundary). The
// emulator has no users or groups, so those lists are always empty.
func (s *Server) listEntitiesForPolicy(c *queryCall) (any, *apiError) {
	filter := c.str("EntityFilter")
	switch filter {
	case "", "User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy":
	default:
		return nil, validationError("entityFilter", filter, "Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]")
	}
	usage := c.str("PolicyUsageFilter")
	if usage != "" && usage != "PermissionsPolicy" && usage != "PermissionsBoundary" {
		return nil, validationError("policyUsageFilter", usage, "Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]")
	}
	prefix, e := c.pathPrefix()
	if e != nil {
		return nil, e
	}
	pg, e := c.paging()
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.policyFromParamLocked(c)
	if e != nil {
		return nil, e
	}
	var roles []*role
	if filter == "" || filter == "Role" {
		for _, r := range s.sortedRolesLocked() {
			key := strings.ToLower(r.name)
			uses := (usage != "PermissionsBoundary" && p.attachedTo[key]) || (usage != "PermissionsPolicy" && p.boundaryOf[key])
			if uses && strings.HasPrefix(r.path, prefix) {
				roles = append(roles, r)
			}
		}
	}
	page, marker, truncated := paginate(roles, roleKey, pg)
	out := struct {
		PolicyRoles []xmlPolicyRole `xml:"PolicyRoles>member"`
		IsTruncated bool
		Marker      string `xml:",omitempty"`
	}{PolicyRoles: []xmlPolicyRole{}, IsTruncated: truncated, Marker: marker}
	for _, r := range page {
		out.PolicyRoles = append(out.PolicyRoles, xmlPolicyRole{RoleName: r.name, RoleId: r.id})
	}
	return out, nil
}

// Answers.

type xmlPolicy struct {
	PolicyName                    string
	PolicyId                      string
	Arn                           string
	Path                          string
	DefaultVersionId              string
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	Description                   string `xml:",omitempty"`
	CreateDate                    string
	UpdateDate                    string
	Tags                          *xmlTags `xml:",omitempty"`
}

// policyXML renders a policy; IAM returns the description only from
// GetPolicy.
func policyXML(p *managedPolicy, withDescription bool) xmlPolicy {
	x := xmlPolicy{
		PolicyName: p.name, PolicyId: p.id, Arn: p.arn, Path: p.path,
		DefaultVersionId:              p.defaultVersion,
		AttachmentCount:               len(p.attachedTo),
		PermissionsBoundaryUsageCount: len(p.boundaryOf),
		IsAttachable:                  true,
		CreateDate:                    isoTime(p.created),
		UpdateDate:                    isoTime(p.updated),
		Tags:                          tagsXML(p.tags),
	}
	if withDescription {
		x.Description = p.description
	}
	return x
}

type xmlPolicyVersion struct {
	Document         string `xml:",omitempty"`
	VersionId        string
	IsDefaultVersion bool
	CreateDate       string
}

func versionXML(p *managedPolicy, v *policyVersion, withDocument bool) xmlPolicyVersion {
	x := xmlPolicyVersion{VersionId: v.id, IsDefaultVersion: v.id == p.defaultVersion, CreateDate: isoTime(v.created)}
	if withDocument {
		x.Document = encodeDocument(v.document)
	}
	return x
}
