package awsiam

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/sync/errgroup"
)

// MaxPolicyVersions is how many versions IAM keeps of a managed policy.
const MaxPolicyVersions = 5

// readConcurrency bounds parallel IAM reads: IAM's request rate limits are
// per account and shared with everything else the user runs.
const readConcurrency = 4

// PolicyARN is the ARN of a customer managed policy. path "" means "/".
func PolicyARN(account, name, path string) string {
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + account + ":policy" + path + name
}

// PolicyState is what IAM says about a managed policy.
type PolicyState struct {
	Exists         bool
	ARN            string
	DefaultVersion string
	// Document is the default version, parsed.
	Document        *PolicyDocument
	VersionCount    int
	AttachmentCount int
	Tags            map[string]string
	// Created is when the policy was made.
	Created time.Time
}

// InspectPolicy reads a managed policy and its default version. A missing
// policy is Exists=false, not an error. When the default version cannot be
// parsed the returned state is complete except Document, and the error says
// why; any failed AWS call returns an empty state.
func InspectPolicy(ctx context.Context, c IAMAPI, policyARN string) (PolicyState, error) {
	out, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
	if IsNotFound(err) {
		return PolicyState{ARN: policyARN}, nil
	}
	if err != nil {
		return PolicyState{}, opErr("iam:GetPolicy", policyARN, err)
	}
	st := PolicyState{
		Exists:          true,
		ARN:             policyARN,
		DefaultVersion:  aws.ToString(out.Policy.DefaultVersionId),
		AttachmentCount: int(aws.ToInt32(out.Policy.AttachmentCount)),
		Tags:            tagMap(out.Policy.Tags),
		Created:         aws.ToTime(out.Policy.CreateDate),
	}
	versions, err := policyVersions(ctx, c, policyARN)
	if err != nil {
		return PolicyState{}, err
	}
	st.VersionCount = len(versions)
	text, err := policyVersionText(ctx, c, policyARN, st.DefaultVersion)
	if err != nil {
		return PolicyState{}, err
	}
	if st.Document, err = ParsePolicy(text); err != nil {
		return st, &DocumentError{Where: "policy " + policyARN + " version " + st.DefaultVersion, Err: err}
	}
	return st, nil
}

func policyVersions(ctx context.Context, c IAMAPI, policyARN string) ([]iamtypes.PolicyVersion, error) {
	var out []iamtypes.PolicyVersion
	p := iam.NewListPolicyVersionsPaginator(c, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(policyARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, opErr("iam:ListPolicyVersions", policyARN, err)
		}
		out = append(out, page.Versions...)
	}
	return out, nil
}

func policyVersionText(ctx context.Context, c IAMAPI, policyARN, version string) (string, error) {
	out, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: aws.String(version)})
	if err != nil {
		return "", opErr("iam:GetPolicyVersion", policyARN+" "+version, err)
	}
	return aws.ToString(out.PolicyVersion.Document), nil
}

// PolicySpec is the managed policy the tool wants.
type PolicySpec struct {
	// Account owns the policy (the caller's account); with Name and Path it
	// gives the policy's ARN.
	Account     string
	Name        string
	Path        string // "" means "/"
	Description string
	Document    *PolicyDocument
	// Tags are added to the managed-by tag on creation.
	Tags map[string]string
	// Absent says the caller found it missing moments ago (a fresh plan):
	// it is created at once, and read only if AWS answers that it exists
	// after all — one round trip fewer on the usual path, same outcome.
	Absent bool
	// MayChange, when set, is asked before an existing policy gets a new
	// version (its live state, tags included); an error stops the change.
	// A policy that someone else made, or made again, under the same name
	// since the caller looked is then left alone.
	MayChange func(PolicyState) error
}

// PolicyResult says what EnsurePolicy did.
type PolicyResult struct {
	ARN     string
	Created bool
	// NewVersion is the version made default because the document differed;
	// "" when the existing default was already equivalent.
	NewVersion string
	// PrunedVersion is the old version deleted to stay within IAM's limit of
	// five versions; "" when none was.
	PrunedVersion string
}

// EnsurePolicy creates the managed policy, or brings an existing one's
// default version to the wanted document. An equivalent default version is
// left alone; a different one gets a new default version, and when the
// policy already has five versions the oldest non-default one is deleted
// first. Earlier versions stay, so the change can be rolled back in IAM.
func EnsurePolicy(ctx context.Context, c IAMAPI, spec PolicySpec) (PolicyResult, error) {
	if err := ValidateAccountID(spec.Account); err != nil {
		return PolicyResult{}, err
	}
	if err := ValidatePolicyName(spec.Name); err != nil {
		return PolicyResult{}, err
	}
	if err := ValidatePath(spec.Path); err != nil {
		return PolicyResult{}, err
	}
	if spec.Document == nil {
		return PolicyResult{}, fmt.Errorf("policy %s: no document given", spec.Name)
	}
	arn := PolicyARN(spec.Account, spec.Name, spec.Path)
	var st PolicyState
	if !spec.Absent {
		var err error
		if st, err = InspectPolicy(ctx, c, arn); err != nil && !st.Exists {
			return PolicyResult{}, err
		}
	}
	if !st.Exists {
		out, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{
			PolicyName:     aws.String(spec.Name),
			Path:           optional(spec.Path),
			Description:    optional(spec.Description),
			PolicyDocument: aws.String(spec.Document.JSON()),
			Tags:           iamTags(spec.Tags),
		})
		if err == nil {
			return PolicyResult{ARN: aws.ToString(out.Policy.Arn), Created: true}, nil
		}
		if !IsAlreadyExists(err) {
			return PolicyResult{}, opErr("iam:CreatePolicy", "policy "+spec.Name, err)
		}
		// Created since we looked: compare it like any existing policy.
		if st, err = InspectPolicy(ctx, c, arn); err != nil && !st.Exists {
			return PolicyResult{}, err
		}
	}
	res := PolicyResult{ARN: arn}
	// A default version that does not parse cannot be equivalent; replacing
	// it with a new version is the repair.
	if st.Document != nil && Equivalent(st.Document, spec.Document) {
		return res, nil
	}
	if spec.MayChange != nil {
		if err := spec.MayChange(st); err != nil {
			return res, err
		}
	}
	if st.VersionCount >= MaxPolicyVersions {
		versions, err := policyVersions(ctx, c, arn)
		if err != nil {
			return res, err
		}
		oldest := oldestNonDefault(versions)
		if oldest == "" {
			return res, fmt.Errorf("policy %s has %d versions and none can be deleted to make room", arn, len(versions))
		}
		_, err = c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(oldest)})
		if err != nil {
			return res, opErr("iam:DeletePolicyVersion", arn+" "+oldest, err)
		}
		res.PrunedVersion = oldest
	}
	out, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{
		PolicyArn:      aws.String(arn),
		PolicyDocument: aws.String(spec.Document.JSON()),
		SetAsDefault:   true,
	})
	if err != nil {
		return res, opErr("iam:CreatePolicyVersion", arn, err)
	}
	res.NewVersion = aws.ToString(out.PolicyVersion.VersionId)
	return res, nil
}

// oldestNonDefault picks the non-default version created first; versions
// without a date fall back to their number (v1 < v2 < … < v10).
func oldestNonDefault(versions []iamtypes.PolicyVersion) string {
	var cands []iamtypes.PolicyVersion
	for _, v := range versions {
		if !v.IsDefaultVersion {
			cands = append(cands, v)
		}
	}
	if len(cands) == 0 {
		return ""
	}
	sort.SliceStable(cands, func(i, j int) bool {
		ti, tj := aws.ToTime(cands[i].CreateDate), aws.ToTime(cands[j].CreateDate)
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return versionNumber(aws.ToString(cands[i].VersionId)) < versionNumber(aws.ToString(cands[j].VersionId))
	})
	return aws.ToString(cands[0].VersionId)
}

func versionNumber(id string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "v"))
	if err != nil {
		return 0
	}
	return n
}

// IsPolicyAttached reports whether a managed policy is attached to a role.
func IsPolicyAttached(ctx context.Context, c IAMAPI, roleName, policyARN string) (bool, error) {
	attached, err := attachedPolicies(ctx, c, roleName)
	if err != nil {
		return false, err
	}
	for _, p := range attached {
		if aws.ToString(p.PolicyArn) == policyARN {
			return true, nil
		}
	}
	return false, nil
}

// AttachPolicy attaches a managed policy to a role. It returns false when
// the policy was already attached.
func AttachPolicy(ctx context.Context, c IAMAPI, roleName, policyARN string) (bool, error) {
	already, err := IsPolicyAttached(ctx, c, roleName, policyARN)
	if err != nil || already {
		return false, err
	}
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(roleName), PolicyArn: aws.String(policyARN)})
	if err != nil {
		return false, opErr("iam:AttachRolePolicy", "role "+roleName+" policy "+policyARN, err)
	}
	return true, nil
}

// AttachNew attaches a managed policy to a role that cannot have it yet —
// the role or the policy was created moments ago — without first listing
// the role's policies. Attaching an attached policy succeeds in IAM, so a
// wrong guess changes nothing.
func AttachNew(ctx context.Context, c IAMAPI, roleName, policyARN string) error {
	_, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(roleName), PolicyArn: aws.String(policyARN)})
	if err != nil {
		return opErr("iam:AttachRolePolicy", "role "+roleName+" policy "+policyARN, err)
	}
	return nil
}

// DetachPolicy detaches a managed policy from a role. A policy that is not
// attached, or a role that is gone, is not an error, so cleanup can be rerun.
func DetachPolicy(ctx context.Context, c IAMAPI, roleName, policyARN string) error {
	_, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(roleName), PolicyArn: aws.String(policyARN)})
	if err != nil && !IsNotFound(err) {
		return opErr("iam:DetachRolePolicy", "role "+roleName+" policy "+policyARN, err)
	}
	return nil
}

// RolesForPolicy returns the ARNs of the roles a managed policy is attached
// to, sorted. It is how a policy ARN given where a role ARN belongs becomes
// a list of roles to offer. ListEntitiesForPolicy gives only role names, and
// a role's ARN includes its path, so each role is read to get its real ARN.
func RolesForPolicy(ctx context.Context, c IAMAPI, policyARN string) ([]string, error) {
	var names []string
	p := iam.NewListEntitiesForPolicyPaginator(c, &iam.ListEntitiesForPolicyInput{
		PolicyArn:    aws.String(policyARN),
		EntityFilter: iamtypes.EntityTypeRole,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, opErr("iam:ListEntitiesForPolicy", policyARN, err)
		}
		for _, r := range page.PolicyRoles {
			names = append(names, aws.ToString(r.RoleName))
		}
	}
	found := make([]string, len(names))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readConcurrency)
	for i, name := range names {
		g.Go(func() error {
			out, err := c.GetRole(gctx, &iam.GetRoleInput{RoleName: aws.String(name)})
			if IsNotFound(err) {
				// Deleted since the listing: no longer a role to offer.
				return nil
			}
			if err != nil {
				return opErr("iam:GetRole", "role "+name, err)
			}
			found[i] = aws.ToString(out.Role.Arn)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var arns []string
	for _, a := range found {
		if a != "" {
			arns = append(arns, a)
		}
	}
	sort.Strings(arns)
	return arns, nil
}

// ManagedPolicy is a managed policy as it applies to a role: its default
// version.
type ManagedPolicy struct {
	ARN      string
	Name     string
	Path     string
	Version  string
	Document *PolicyDocument
	// Text is the default version's JSON as IAM stores it (URL-decoded),
	// for showing or exporting it unchanged.
	Text        string
	Description string
	// Tags and Created say who made it and when (ownership).
	Tags    map[string]string
	Created time.Time
}

// InlinePolicy is a policy embedded in a role.
type InlinePolicy struct {
	Name     string
	Document *PolicyDocument
	// Text is the document's JSON as IAM stores it (URL-decoded).
	Text string
}

// RolePolicySet is everything that shapes what a role may do.
type RolePolicySet struct {
	Attached []ManagedPolicy
	Inline   []InlinePolicy
	// Boundary is the permissions boundary, nil when there is none.
	Boundary *ManagedPolicy
}

// RolePolicies reads a role's attached managed policies (default versions),
// inline policies and permissions boundary, decoding every document. Reads
// run concurrently; results are sorted by ARN and name.
func RolePolicies(ctx context.Context, c IAMAPI, roleName string) (RolePolicySet, error) {
	var (
		res      RolePolicySet
		mu       sync.Mutex
		attached []iamtypes.AttachedPolicy
		inline   []string
		boundary string
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		attached, err = attachedPolicies(gctx, c, roleName)
		return err
	})
	g.Go(func() error {
		var err error
		inline, err = inlinePolicyNames(gctx, c, roleName)
		return err
	})
	g.Go(func() error {
		out, err := c.GetRole(gctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
		if err != nil {
			return opErr("iam:GetRole", "role "+roleName, err)
		}
		if pb := out.Role.PermissionsBoundary; pb != nil {
			boundary = aws.ToString(pb.PermissionsBoundaryArn)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return RolePolicySet{}, err
	}

	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(readConcurrency)
	for _, a := range attached {
		g.Go(func() error {
			mp, err := readManagedPolicy(gctx, c, aws.ToString(a.PolicyArn))
			if err != nil {
				return err
			}
			mu.Lock()
			res.Attached = append(res.Attached, mp)
			mu.Unlock()
			return nil
		})
	}
	for _, name := range inline {
		g.Go(func() error {
			out, err := c.GetRolePolicy(gctx, &iam.GetRolePolicyInput{RoleName: aws.String(roleName), PolicyName: aws.String(name)})
			if err != nil {
				return opErr("iam:GetRolePolicy", "role "+roleName+" inline policy "+name, err)
			}
			text, err := DecodePolicyText(aws.ToString(out.PolicyDocument))
			if err != nil {
				return &DocumentError{Where: "role " + roleName + " inline policy " + name, Err: err}
			}
			doc, err := ParsePolicy(text)
			if err != nil {
				return &DocumentError{Where: "role " + roleName + " inline policy " + name, Err: err}
			}
			mu.Lock()
			res.Inline = append(res.Inline, InlinePolicy{Name: name, Document: doc, Text: text})
			mu.Unlock()
			return nil
		})
	}
	if boundary != "" {
		g.Go(func() error {
			mp, err := readManagedPolicy(gctx, c, boundary)
			if err != nil {
				return err
			}
			mu.Lock()
			res.Boundary = &mp
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return RolePolicySet{}, err
	}
	sort.Slice(res.Attached, func(i, j int) bool { return res.Attached[i].ARN < res.Attached[j].ARN })
	sort.Slice(res.Inline, func(i, j int) bool { return res.Inline[i].Name < res.Inline[j].Name })
	return res, nil
}

func readManagedPolicy(ctx context.Context, c IAMAPI, policyARN string) (ManagedPolicy, error) {
	out, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
	if err != nil {
		return ManagedPolicy{}, opErr("iam:GetPolicy", policyARN, err)
	}
	mp := ManagedPolicy{
		ARN:         policyARN,
		Name:        aws.ToString(out.Policy.PolicyName),
		Path:        aws.ToString(out.Policy.Path),
		Version:     aws.ToString(out.Policy.DefaultVersionId),
		Description: aws.ToString(out.Policy.Description),
		Tags:        tagMap(out.Policy.Tags),
		Created:     aws.ToTime(out.Policy.CreateDate),
	}
	text, err := policyVersionText(ctx, c, policyARN, mp.Version)
	if err != nil {
		return ManagedPolicy{}, err
	}
	if mp.Text, err = DecodePolicyText(text); err != nil {
		return ManagedPolicy{}, &DocumentError{Where: "policy " + policyARN + " version " + mp.Version, Err: err}
	}
	if mp.Document, err = ParsePolicy(mp.Text); err != nil {
		return ManagedPolicy{}, &DocumentError{Where: "policy " + policyARN + " version " + mp.Version, Err: err}
	}
	return mp, nil
}

// DeletePolicy deletes a managed policy with all its versions. It refuses
// while the policy is attached anywhere, naming the roles, so cleanup never
// takes permissions away from something the tool did not set up. A policy
// that is already gone is not an error.
func DeletePolicy(ctx context.Context, c IAMAPI, policyARN string) error {
	out, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
	if IsNotFound(err) {
		return nil
	}
	if err != nil {
		return opErr("iam:GetPolicy", policyARN, err)
	}
	if aws.ToInt32(out.Policy.AttachmentCount) > 0 {
		return attachedError(ctx, c, policyARN)
	}
	versions, err := policyVersions(ctx, c, policyARN)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if v.IsDefaultVersion {
			continue
		}
		_, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: v.VersionId})
		if err != nil && !IsNotFound(err) {
			return opErr("iam:DeletePolicyVersion", policyARN+" "+aws.ToString(v.VersionId), err)
		}
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(policyARN)})
	switch {
	case err == nil, IsNotFound(err):
		return nil
	case ErrorCode(err) == "DeleteConflict":
		// Attached between our check and the delete.
		return attachedError(ctx, c, policyARN)
	default:
		return opErr("iam:DeletePolicy", policyARN, err)
	}
}

func attachedError(ctx context.Context, c IAMAPI, policyARN string) error {
	var entities []string
	p := iam.NewListEntitiesForPolicyPaginator(c, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(policyARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			entities = nil
			break
		}
		for _, r := range page.PolicyRoles {
			entities = append(entities, "role "+aws.ToString(r.RoleName))
		}
		for _, u := range page.PolicyUsers {
			entities = append(entities, "user "+aws.ToString(u.UserName))
		}
		for _, gr := range page.PolicyGroups {
			entities = append(entities, "group "+aws.ToString(gr.GroupName))
		}
	}
	if len(entities) == 0 {
		return fmt.Errorf("not deleting policy %s: it is still attached; detach it first", policyARN)
	}
	sort.Strings(entities)
	return fmt.Errorf("not deleting policy %s: it is still attached to %s; detach it first", policyARN, strings.Join(entities, ", "))
}
