package awsiam

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// RoleState is what IAM says about a role.
type RoleState struct {
	Exists     bool
	ARN        string
	Name       string
	Path       string
	CreateDate time.Time
	// Description is "" when the role has none; MaxSessionDuration is in
	// seconds (IAM's default is 3600).
	Description        string
	MaxSessionDuration int32
	// Trust is the parsed trust policy; TrustRaw its decoded JSON text as
	// AWS stores it.
	Trust    *PolicyDocument
	TrustRaw string
	// BoundaryARN is the permissions boundary policy, if any; it caps what
	// the role's policies can grant.
	BoundaryARN string
	Tags        map[string]string
}

// ManagedByTool reports whether the tool created the resource these tags
// belong to (for whichever cluster: see ClusterTagKey).
func ManagedByTool(tags map[string]string) bool {
	return tags[ManagedByTagKey] == ManagedByTagValue
}

// ClusterTags are the tags that say which cluster the tool made a resource
// for: its id, which decides, and its name, for people.
func ClusterTags(clusterID, clusterName string) map[string]string {
	t := map[string]string{ClusterTagKey: clusterID}
	if clusterName != "" {
		t[ClusterNameTagKey] = clusterName
	}
	return t
}

// ToolTags is the managed-by tag plus extra.
func ToolTags(extra map[string]string) map[string]string {
	t := map[string]string{ManagedByTagKey: ManagedByTagValue}
	for k, v := range extra {
		if k != ManagedByTagKey {
			t[k] = v
		}
	}
	return t
}

// InspectRole reads a role without changing anything. A missing role is
// Exists=false, not an error. When the trust policy cannot be parsed the
// returned state is complete except Trust, and the error says why.
func InspectRole(ctx context.Context, c IAMAPI, name string) (RoleState, error) {
	out, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if IsNotFound(err) {
		return RoleState{}, nil
	}
	if err != nil {
		return RoleState{}, opErr("iam:GetRole", "role "+name, err)
	}
	r := out.Role
	st := RoleState{
		Exists:             true,
		ARN:                aws.ToString(r.Arn),
		Name:               aws.ToString(r.RoleName),
		Path:               aws.ToString(r.Path),
		CreateDate:         aws.ToTime(r.CreateDate),
		Description:        aws.ToString(r.Description),
		MaxSessionDuration: aws.ToInt32(r.MaxSessionDuration),
		Tags:               tagMap(r.Tags),
	}
	if r.PermissionsBoundary != nil {
		st.BoundaryARN = aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn)
	}
	text, err := DecodePolicyText(aws.ToString(r.AssumeRolePolicyDocument))
	if err != nil {
		return st, fmt.Errorf("role %s: trust policy: %w", name, err)
	}
	st.TrustRaw = text
	if st.Trust, err = ParsePolicy(text); err != nil {
		return st, fmt.Errorf("role %s: trust policy: %w", name, err)
	}
	return st, nil
}

// RoleSpec is the role the tool wants.
type RoleSpec struct {
	Name        string
	Path        string // "" means "/"
	Description string
	Trust       *PolicyDocument
	// Tags are added to the managed-by tag on creation.
	Tags map[string]string
	// Absent says the caller found it missing moments ago (a fresh plan):
	// it is created at once, and read only if AWS answers that it exists
	// after all — one round trip fewer on the usual path, same outcome.
	Absent bool
}

// RoleResult says what EnsureRole found or did.
type RoleResult struct {
	ARN     string
	Created bool
	// TrustDiffers is set when an existing role's trust policy is not
	// equivalent to the wanted one; the role was left unchanged (see
	// UpdateTrust). CurrentTrust and WantTrust are then both filled, in
	// canonical form when the current one parses, for showing a diff.
	TrustDiffers bool
	CurrentTrust string
	WantTrust    string
}

// EnsureRole creates the role, or verifies an existing one. It never changes
// an existing role's trust policy: a role that trusts someone else may be in
// use, so that is the caller's decision, made with UpdateTrust.
func EnsureRole(ctx context.Context, c IAMAPI, spec RoleSpec) (RoleResult, error) {
	if err := ValidateRoleName(spec.Name); err != nil {
		return RoleResult{}, err
	}
	if err := ValidatePath(spec.Path); err != nil {
		return RoleResult{}, err
	}
	if spec.Trust == nil {
		return RoleResult{}, fmt.Errorf("role %s: no trust policy given", spec.Name)
	}
	var st RoleState
	if !spec.Absent {
		var err error
		if st, err = InspectRole(ctx, c, spec.Name); err != nil && !st.Exists {
			return RoleResult{}, err
		}
	}
	if !st.Exists {
		out, err := c.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName:                 aws.String(spec.Name),
			Path:                     optional(spec.Path),
			Description:              optional(spec.Description),
			AssumeRolePolicyDocument: aws.String(spec.Trust.JSON()),
			Tags:                     iamTags(spec.Tags),
		})
		if err == nil {
			return RoleResult{ARN: aws.ToString(out.Role.Arn), Created: true}, nil
		}
		if !IsAlreadyExists(err) {
			return RoleResult{}, opErr("iam:CreateRole", "role "+spec.Name, err)
		}
		// Someone created it since we looked: verify it like any other.
		if st, err = InspectRole(ctx, c, spec.Name); err != nil && !st.Exists {
			return RoleResult{}, err
		}
	}
	res := RoleResult{ARN: st.ARN}
	if st.Trust == nil || !Equivalent(st.Trust, spec.Trust) {
		res.TrustDiffers = true
		res.WantTrust = spec.Trust.JSON()
		res.CurrentTrust = st.TrustRaw
		if st.Trust != nil {
			res.CurrentTrust = st.Trust.JSON()
		}
	}
	return res, nil
}

// UpdateTrust replaces a role's trust policy.
func UpdateTrust(ctx context.Context, c IAMAPI, roleName string, doc *PolicyDocument) error {
	if doc == nil {
		return fmt.Errorf("role %s: no trust policy given", roleName)
	}
	_, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
		RoleName:       aws.String(roleName),
		PolicyDocument: aws.String(doc.JSON()),
	})
	return opErr("iam:UpdateAssumeRolePolicy", "role "+roleName, err)
}

// DeleteRole detaches the given managed policies and deletes the role. It
// refuses, changing nothing, when the role has other managed policies or any
// inline policy: those were not the tool's to remove, so the role is not
// its to delete. A role that is already gone is not an error.
func DeleteRole(ctx context.Context, c IAMAPI, roleName string, detach []string) error {
	attached, err := attachedPolicies(ctx, c, roleName)
	if IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	allowed := map[string]bool{}
	for _, a := range detach {
		allowed[a] = true
	}
	var foreign []string
	for _, p := range attached {
		if !allowed[aws.ToString(p.PolicyArn)] {
			foreign = append(foreign, aws.ToString(p.PolicyArn))
		}
	}
	if len(foreign) > 0 {
		sort.Strings(foreign)
		return fmt.Errorf("not deleting role %s: it also has %s attached, which this tool did not attach; detach them first if the role should go", roleName, strings.Join(foreign, ", "))
	}
	inline, err := inlinePolicyNames(ctx, c, roleName)
	if err != nil {
		return err
	}
	if len(inline) > 0 {
		return fmt.Errorf("not deleting role %s: it has inline policies (%s) this tool did not create", roleName, strings.Join(inline, ", "))
	}
	for _, p := range attached {
		_, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(roleName), PolicyArn: p.PolicyArn})
		if err != nil && !IsNotFound(err) {
			return opErr("iam:DetachRolePolicy", "role "+roleName+" policy "+aws.ToString(p.PolicyArn), err)
		}
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(roleName)})
	if err != nil && !IsNotFound(err) {
		return opErr("iam:DeleteRole", "role "+roleName, err)
	}
	return nil
}

func attachedPolicies(ctx context.Context, c IAMAPI, roleName string) ([]iamtypes.AttachedPolicy, error) {
	var out []iamtypes.AttachedPolicy
	p := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(roleName)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, opErr("iam:ListAttachedRolePolicies", "role "+roleName, err)
		}
		out = append(out, page.AttachedPolicies...)
	}
	return out, nil
}

func inlinePolicyNames(ctx context.Context, c IAMAPI, roleName string) ([]string, error) {
	var out []string
	p := iam.NewListRolePoliciesPaginator(c, &iam.ListRolePoliciesInput{RoleName: aws.String(roleName)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, opErr("iam:ListRolePolicies", "role "+roleName, err)
		}
		out = append(out, page.PolicyNames...)
	}
	return out, nil
}

// iamTags returns the managed-by tag plus extra, in a stable order.
func iamTags(extra map[string]string) []iamtypes.Tag {
	tags := []iamtypes.Tag{{Key: aws.String(ManagedByTagKey), Value: aws.String(ManagedByTagValue)}}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if k != ManagedByTagKey {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		tags = append(tags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(extra[k])})
	}
	return tags
}

func tagMap(tags []iamtypes.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// AttachedPolicyARNs lists the managed policies attached to a role.
func AttachedPolicyARNs(ctx context.Context, c IAMAPI, roleName string) ([]string, error) {
	attached, err := attachedPolicies(ctx, c, roleName)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(attached))
	for _, p := range attached {
		out = append(out, aws.ToString(p.PolicyArn))
	}
	return out, nil
}
