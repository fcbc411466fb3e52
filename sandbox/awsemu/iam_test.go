package awsemu

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const trustDoc = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"sts:ExternalId": "cluster-1234"}}
  }]
}`

const permissionsDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:314159265358:log-group:crdb:*"}]}`

func createRole(t *testing.T, c *iam.Client, name string) *types.Role {
	t.Helper()
	out, err := c.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustDoc)})
	noErr(t, err)
	return out.Role
}

func createPolicy(t *testing.T, c *iam.Client, name string) *types.Policy {
	t.Helper()
	out, err := c.CreatePolicy(ctx(t), &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(permissionsDoc)})
	noErr(t, err)
	return out.Policy
}

func decode(t *testing.T, doc *string) string {
	t.Helper()
	if doc == nil {
		t.Fatal("document missing from the answer")
	}
	plain, err := url.QueryUnescape(*doc)
	noErr(t, err)
	return plain
}

func TestCreateAndGetRole(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.iam()
	out, err := c.CreateRole(ctx(t), &iam.CreateRoleInput{
		RoleName:                 aws.String("crdb-log-export"),
		Path:                     aws.String("/crdb/"),
		Description:              aws.String("CockroachDB Cloud log export"),
		MaxSessionDuration:       aws.Int32(7200),
		AssumeRolePolicyDocument: aws.String(trustDoc),
		Tags:                     []types.Tag{{Key: aws.String("created-by"), Value: aws.String("crdb-logexport")}},
	})
	noErr(t, err)
	r := out.Role
	if got, want := aws.ToString(r.Arn), "arn:aws:iam::314159265358:role/crdb/crdb-log-export"; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if id := aws.ToString(r.RoleId); !strings.HasPrefix(id, "AROA") || len(id) != 21 {
		t.Errorf("RoleId = %q, want AROA and 17 more characters", id)
	}
	if !r.CreateDate.Equal(testClock) {
		t.Errorf("CreateDate = %v, want %v", r.CreateDate, testClock)
	}
	if strings.ContainsAny(aws.ToString(r.AssumeRolePolicyDocument), "{}\" :") {
		t.Errorf("AssumeRolePolicyDocument is not URL-encoded: %s", aws.ToString(r.AssumeRolePolicyDocument))
	}

	got, err := c.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("crdb-log-export")})
	noErr(t, err)
	g := got.Role
	if decode(t, g.AssumeRolePolicyDocument) != trustDoc {
		t.Errorf("trust policy did not round-trip:\n%s", decode(t, g.AssumeRolePolicyDocument))
	}
	if aws.ToString(g.Path) != "/crdb/" || aws.ToString(g.Description) != "CockroachDB Cloud log export" || aws.ToInt32(g.MaxSessionDuration) != 7200 {
		t.Errorf("GetRole = path %q description %q max session %d", aws.ToString(g.Path), aws.ToString(g.Description), aws.ToInt32(g.MaxSessionDuration))
	}
	if aws.ToString(g.RoleId) != aws.ToString(r.RoleId) {
		t.Errorf("RoleId changed between CreateRole and GetRole")
	}
	if len(g.Tags) != 1 || aws.ToString(g.Tags[0].Key) != "created-by" || aws.ToString(g.Tags[0].Value) != "crdb-logexport" {
		t.Errorf("Tags = %+v", g.Tags)
	}

	// Role names are unique regardless of case.
	_, err = c.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("CRDB-Log-Export"), AssumeRolePolicyDocument: aws.String(trustDoc)})
	e := wantErr[*types.EntityAlreadyExistsException](t, err)
	wantStatus(t, err, 409)
	if !strings.Contains(e.ErrorMessage(), "Role with name CRDB-Log-Export already exists") {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	_, err = c.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("CRDB-LOG-EXPORT")})
	noErr(t, err)
}

func TestRoleErrors(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.iam()
	_, err := c.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("ghost")})
	e := wantErr[*types.NoSuchEntityException](t, err)
	wantStatus(t, err, 404)
	if e.ErrorMessage() != "The role with name ghost cannot be found." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	wantCode(t, err, "NoSuchEntity")
	wantErr[*types.NoSuchEntityException](t, func() error {
		_, err := c.DeleteRole(ctx(t), &iam.DeleteRoleInput{RoleName: aws.String("ghost")})
		return err
	}())

	for _, bad := range []string{"has space", "slash/name", strings.Repeat("r", 65), "semi;colon"} {
		_, err := c.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String(bad), AssumeRolePolicyDocument: aws.String(trustDoc)})
		wantCode(t, err, "ValidationError")
	}
	for _, good := range []string{strings.Repeat("r", 64), "a+b=c,d.e@f_g-h"} {
		createRole(t, c, good)
	}
	for _, d := range []int32{3599, 43201} {
		_, err := c.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("session"), MaxSessionDuration: aws.Int32(d), AssumeRolePolicyDocument: aws.String(trustDoc)})
		wantCode(t, err, "ValidationError")
	}
	_, err = c.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("badpath"), Path: aws.String("no-slashes"), AssumeRolePolicyDocument: aws.String(trustDoc)})
	wantCode(t, err, "ValidationError")

	// A trust policy over the 2048-character quota.
	var principals []string
	for i := range 120 {
		principals = append(principals, fmt.Sprintf(`"arn:aws:iam::%012d:root"`, i))
	}
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[` + strings.Join(principals, ",") + `]},"Action":"sts:AssumeRole"}]}`
	_, err = c.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("big"), AssumeRolePolicyDocument: aws.String(big)})
	wantErr[*types.LimitExceededException](t, err)

	_, err = c.CreateRole(ctx(t), &iam.CreateRoleInput{
		RoleName: aws.String("dup-tags"), AssumeRolePolicyDocument: aws.String(trustDoc),
		Tags: []types.Tag{{Key: aws.String("Team"), Value: aws.String("a")}, {Key: aws.String("team"), Value: aws.String("b")}},
	})
	wantErr[*types.InvalidInputException](t, err)
}

func TestTrustPolicyGrammar(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.iam()
	malformed := map[string]string{
		"not json":               `{"Version": "2012-10-17",`,
		"trailing garbage":       `{"Version":"2012-10-17","Statement":[]} x`,
		"not an object":          `["Version"]`,
		"missing version":        `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}`,
		"bad version":            `{"Version":"2020-01-01","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}`,
		"missing statement":      `{"Version":"2012-10-17"}`,
		"empty statement":        `{"Version":"2012-10-17","Statement":[]}`,
		"missing effect":         `{"Version":"2012-10-17","Statement":{"Principal":"*","Action":"sts:AssumeRole"}}`,
		"bad effect":             `{"Version":"2012-10-17","Statement":{"Effect":"Permit","Principal":"*","Action":"sts:AssumeRole"}}`,
		"missing action":         `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*"}}`,
		"action without vendor":  `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"AssumeRole"}}`,
		"non-sts action":         `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}}`,
		"missing principal":      `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`,
		"has resource":           `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}`,
		"bad account principal":  `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"sts:AssumeRole"}}`,
		"unknown principal kind": `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Robot":"x"},"Action":"sts:AssumeRole"}}`,
		"unknown field":          `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Colour":"blue"}}`,
		"bad condition":          `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":"x"}}}`,
		"action and notaction":   `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","NotAction":"sts:TagSession"}}`,
	}
	for name, doc := range malformed {
		t.Run("malformed/"+name, func(t *testing.T) {
			_, err := c.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(doc)})
			wantErr[*types.MalformedPolicyDocumentException](t, err)
			wantStatus(t, err, 400)
		})
	}
	valid := map[string]string{
		"statement object":   `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`,
		"arrays everywhere":  `{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"A1","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root","arn:aws:iam::210987654321:role/x"],"Service":"logs.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`,
		"not principal":      `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"},"NotAction":"sts:TagSession"}]}`,
		"wildcard principal": `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"x:n":[1,2]}}}]}`,
	}
	i := 0
	for name, doc := range valid {
		i++
		t.Run("valid/"+name, func(t *testing.T) {
			role := fmt.Sprintf("valid-%d", i)
			_, err := c.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(doc)})
			noErr(t, err)
			got, err := c.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String(role)})
			noErr(t, err)
			if decode(t, got.Role.AssumeRolePolicyDocument) != doc {
				t.Errorf("document changed: %s", decode(t, got.Role.AssumeRolePolicyDocument))
			}
		})
	}
}

func TestUpdateAssumeRolePolicy(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.iam()
	createRole(t, c, "r")
	updated := strings.Replace(trustDoc, "123456789012", "999999999999", 1)
	_, err := c.UpdateAssumeRolePolicy(ctx(t), &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String(updated)})
	noErr(t, err)
	got, err := c.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("r")})
	noErr(t, err)
	if decode(t, got.Role.AssumeRolePolicyDocument) != updated {
		t.Errorf("trust policy not updated")
	}
	_, err = c.UpdateAssumeRolePolicy(ctx(t), &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String(permissionsDoc)})
	wantErr[*types.MalformedPolicyDocumentException](t, err)
	_, err = c.UpdateAssumeRolePolicy(ctx(t), &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("ghost"), PolicyDocument: aws.String(trustDoc)})
	wantErr[*types.NoSuchEntityException](t, err)
}

func TestListRolesPaginates(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.iam()
	var want []string
	for i := 7; i >= 1; i-- {
		name := fmt.Sprintf("role-%d", i)
		createRole(t, c, name)
		want = append(want, name)
	}
	_, err := c.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("other"), Path: aws.String("/elsewhere/"), AssumeRolePolicyDocument: aws.String(trustDoc)})
	noErr(t, err)
	slices.Sort(want)

	p := iam.NewListRolesPaginator(c, &iam.ListRolesInput{MaxItems: aws.Int32(3), PathPrefix: aws.String("/")})
	var got []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		noErr(t, err)
		pages++
		if len(out.Roles) > 3 {
			t.Fatalf("page of %d roles with MaxItems 3", len(out.Roles))
		}
		for _, r := range out.Roles {
			if aws.ToString(r.Path) == "/" {
				got = append(got, aws.ToString(r.RoleName))
			}
			if decode(t, r.AssumeRolePolicyDocument) != trustDoc {
				t.Errorf("ListRoles document for %s did not round-trip", aws.ToString(r.RoleName))
			}
		}
	}
	if pages != 3 {
		t.Errorf("pages = %d, want 3 for 8 roles at 3 per page", pages)
	}
	if !slices.Equal(got, want) {
		t.Errorf("roles = %v, want %v", got, want)
	}

	out, err := c.ListRoles(ctx(t), &iam.ListRolesInput{PathPrefix: aws.String("/elsewhere/")})
	noErr(t, err)
	if len(out.Roles) != 1 || aws.ToString(out.Roles[0].RoleName) != "other" || out.IsTruncated {
		t.Errorf("PathPrefix /elsewhere/ listed %d roles, truncated %v", len(out.Roles), out.IsTruncated)
	}
}

func TestRoleTags(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.iam()
	createRole(t, c, "r")
	_, err := c.TagRole(ctx(t), &iam.TagRoleInput{RoleName: aws.String("r"), Tags: []types.Tag{
		{Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("a"), Value: aws.String("1")},
	}})
	noErr(t, err)
	_, err = c.TagRole(ctx(t), &iam.TagRoleInput{RoleName: aws.String("r"), Tags: []types.Tag{{Key: aws.String("B"), Value: aws.String("3")}}})
	noErr(t, err)
	out, err := c.ListRoleTags(ctx(t), &iam.ListRoleTagsInput{RoleName: aws.String("r")})
	noErr(t, err)
	var got []string
	for _, tg := range out.Tags {
		got = append(got, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	if !slices.Equal(got, []string{"B=3", "a=1"}) {
		t.Errorf("tags = %v, want [B=3 a=1] (a key differing only in case replaces the old one)", got)
	}
	_, err = c.UntagRole(ctx(t), &iam.UntagRoleInput{RoleName: aws.String("r"), TagKeys: []string{"a"}})
	noErr(t, err)
	out, err = c.ListRoleTags(ctx(t), &iam.ListRoleTagsInput{RoleName: aws.String("r")})
	noErr(t, err)
	if len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "B" {
		t.Errorf("after UntagRole tags = %+v", out.Tags)
	}
	_, err = c.ListRoleTags(ctx(t), &iam.ListRoleTagsInput{RoleName: aws.String("ghost")})
	wantErr[*types.NoSuchEntityException](t, err)
}

func TestManagedPolicies(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.iam()
	out, err := c.CreatePolicy(ctx(t), &iam.CreatePolicyInput{
		PolicyName: aws.String("crdb-log-export"), Path: aws.String("/crdb/"),
		Description: aws.String("writes logs"), PolicyDocument: aws.String(permissionsDoc),
	})
	noErr(t, err)
	p := out.Policy
	arn := "arn:aws:iam::314159265358:policy/crdb/crdb-log-export"
	if aws.ToString(p.Arn) != arn || aws.ToString(p.DefaultVersionId) != "v1" || !p.IsAttachable {
		t.Errorf("CreatePolicy = arn %s default %s attachable %v", aws.ToString(p.Arn), aws.ToString(p.DefaultVersionId), p.IsAttachable)
	}
	if id := aws.ToString(p.PolicyId); !strings.HasPrefix(id, "ANPA") || len(id) != 21 {
		t.Errorf("PolicyId = %q", id)
	}
	got, err := c.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	noErr(t, err)
	if aws.ToString(got.Policy.Description) != "writes logs" {
		t.Errorf("GetPolicy description = %q", aws.ToString(got.Policy.Description))
	}
	v, err := c.GetPolicyVersion(ctx(t), &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})
	noErr(t, err)
	if decode(t, v.PolicyVersion.Document) != permissionsDoc || !v.PolicyVersion.IsDefaultVersion {
		t.Errorf("GetPolicyVersion document %q default %v", decode(t, v.PolicyVersion.Document), v.PolicyVersion.IsDefaultVersion)
	}

	_, err = c.CreatePolicy(ctx(t), &iam.CreatePolicyInput{PolicyName: aws.String("CRDB-log-export"), PolicyDocument: aws.String(permissionsDoc)})
	wantErr[*types.EntityAlreadyExistsException](t, err)
	_, err = c.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::314159265358:policy/ghost")})
	wantErr[*types.NoSuchEntityException](t, err)
	_, err = c.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::314159265358:policy/crdb-log-export")})
	wantErr[*types.NoSuchEntityException](t, err) // right name, wrong path
	_, err = c.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:s3:::not-a-policy-arn")})
	wantErr[*types.InvalidInputException](t, err)
	wantStatus(t, err, 400)

	malformed := map[string]string{
		"principal":        `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"logs:*","Resource":"*"}}`,
		"missing resource": `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"logs:*"}}`,
		"bad resource":     `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"logs:*","Resource":"log-group"}}`,
		"missing action":   `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}`,
		"bad version":      `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"logs:*","Resource":"*"}}`,
		"invalid json":     `{"Version":"2012-10-17","Statement":`,
	}
	for name, doc := range malformed {
		t.Run("malformed/"+name, func(t *testing.T) {
			_, err := c.CreatePolicy(ctx(t), &iam.CreatePolicyInput{PolicyName: aws.String("m"), PolicyDocument: aws.String(doc)})
			wantErr[*types.MalformedPolicyDocumentException](t, err)
		})
	}
	valid := []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","NotResource":["arn:aws:iam::314159265358:role/x"]}}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"logs:DeleteLogGroup","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}}]}`,
	}
	for i, doc := range valid {
		_, err := c.CreatePolicy(ctx(t), &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("valid-%d", i)), PolicyDocument: aws.String(doc)})
		noErr(t, err)
	}
	big := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"logs:*","Resource":["` + strings.Repeat("arn:aws:logs:us-east-1:314159265358:log-group:g:*\",\"", 130) + `*"]}}`
	_, err = c.CreatePolicy(ctx(t), &iam.CreatePolicyInput{PolicyName: aws.String("big"), PolicyDocument: aws.String(big)})
	wantErr[*types.LimitExceededException](t, err)
}

func TestPolicyVersions(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.iam()
	arn := createPolicy(t, c, "p").Arn
	docs := map[string]string{"v1": permissionsDoc}
	for i := 2; i <= 5; i++ {
		doc := strings.Replace(permissionsDoc, "crdb:*", fmt.Sprintf("crdb-%d:*", i), 1)
		out, err := c.CreatePolicyVersion(ctx(t), &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(doc), SetAsDefault: i == 3})
		noErr(t, err)
		id := aws.ToString(out.PolicyVersion.VersionId)
		if id != fmt.Sprintf("v%d", i) || out.PolicyVersion.IsDefaultVersion != (i == 3) {
			t.Errorf("CreatePolicyVersion #%d = %s default %v", i, id, out.PolicyVersion.IsDefaultVersion)
		}
		docs[id] = doc
	}
	_, err := c.CreatePolicyVersion(ctx(t), &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(permissionsDoc)})
	e := wantErr[*types.LimitExceededException](t, err)
	wantStatus(t, err, 409)
	if !strings.Contains(e.ErrorMessage(), "A managed policy can have up to 5 versions") {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	_, err = c.CreatePolicyVersion(ctx(t), &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(trustDoc)})
	wantErr[*types.MalformedPolicyDocumentException](t, err)

	list, err := c.ListPolicyVersions(ctx(t), &iam.ListPolicyVersionsInput{PolicyArn: arn})
	noErr(t, err)
	var ids []string
	for _, v := range list.Versions {
		ids = append(ids, aws.ToString(v.VersionId))
		if v.IsDefaultVersion != (aws.ToString(v.VersionId) == "v3") {
			t.Errorf("%s IsDefaultVersion = %v", aws.ToString(v.VersionId), v.IsDefaultVersion)
		}
	}
	if !slices.Equal(ids, []string{"v5", "v4", "v3", "v2", "v1"}) {
		t.Errorf("versions = %v, want newest first", ids)
	}
	for id, doc := range docs {
		v, err := c.GetPolicyVersion(ctx(t), &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String(id)})
		noErr(t, err)
		if decode(t, v.PolicyVersion.Document) != doc {
			t.Errorf("%s document did not round-trip", id)
		}
	}
	pol, err := c.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: arn})
	noErr(t, err)
	if aws.ToString(pol.Policy.DefaultVersionId) != "v3" {
		t.Errorf("DefaultVersionId = %s, want v3", aws.ToString(pol.Policy.DefaultVersionId))
	}

	_, err = c.DeletePolicyVersion(ctx(t), &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v3")})
	wantErr[*types.DeleteConflictException](t, err)
	wantStatus(t, err, 409)
	_, err = c.GetPolicyVersion(ctx(t), &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v9")})
	wantErr[*types.NoSuchEntityException](t, err)
	_, err = c.SetDefaultPolicyVersion(ctx(t), &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v9")})
	wantErr[*types.NoSuchEntityException](t, err)
	_, err = c.DeletePolicy(ctx(t), &iam.DeletePolicyInput{PolicyArn: arn})
	e2 := wantErr[*types.DeleteConflictException](t, err)
	if !strings.Contains(e2.ErrorMessage(), "more than one version") {
		t.Errorf("message = %q", e2.ErrorMessage())
	}

	// Rotate as a tool would: drop the oldest non-default, add a new default.
	_, err = c.DeletePolicyVersion(ctx(t), &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")})
	noErr(t, err)
	out, err := c.CreatePolicyVersion(ctx(t), &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(permissionsDoc), SetAsDefault: true})
	noErr(t, err)
	if aws.ToString(out.PolicyVersion.VersionId) != "v6" {
		t.Errorf("new version = %s, want v6 (IDs are never reused)", aws.ToString(out.PolicyVersion.VersionId))
	}
	for _, id := range []string{"v2", "v3", "v4", "v5"} {
		_, err := c.DeletePolicyVersion(ctx(t), &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String(id)})
		noErr(t, err)
	}
	_, err = c.DeletePolicy(ctx(t), &iam.DeletePolicyInput{PolicyArn: arn})
	noErr(t, err)
	_, err = c.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: arn})
	wantErr[*types.NoSuchEntityException](t, err)
}

func TestAttachmentsAndDeleteConflicts(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.iam()
	role := createRole(t, c, "export-role")
	pol := createPolicy(t, c, "export-policy")

	_, err := c.AttachRolePolicy(ctx(t), &iam.AttachRolePolicyInput{RoleName: aws.String("export-role"), PolicyArn: pol.Arn})
	noErr(t, err)
	_, err = c.AttachRolePolicy(ctx(t), &iam.AttachRolePolicyInput{RoleName: aws.String("export-role"), PolicyArn: pol.Arn})
	noErr(t, err) // attaching twice is a no-op
	_, err = c.AttachRolePolicy(ctx(t), &iam.AttachRolePolicyInput{RoleName: aws.String("ghost"), PolicyArn: pol.Arn})
	wantErr[*types.NoSuchEntityException](t, err)
	_, err = c.AttachRolePolicy(ctx(t), &iam.AttachRolePolicyInput{RoleName: aws.String("export-role"), PolicyArn: aws.String("arn:aws:iam::314159265358:policy/ghost")})
	wantErr[*types.NoSuchEntityException](t, err)
	_, err = c.AttachRolePolicy(ctx(t), &iam.AttachRolePolicyInput{RoleName: aws.String("export-role"), PolicyArn: aws.String("arn:aws:iam::314159265358:user/not-a-policy")})
	wantErr[*types.InvalidInputException](t, err)

	attached, err := c.ListAttachedRolePolicies(ctx(t), &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("export-role")})
	noErr(t, err)
	if len(attached.AttachedPolicies) != 1 || aws.ToString(attached.AttachedPolicies[0].PolicyArn) != aws.ToString(pol.Arn) {
		t.Errorf("attached = %+v", attached.AttachedPolicies)
	}
	ents, err := c.ListEntitiesForPolicy(ctx(t), &iam.ListEntitiesForPolicyInput{PolicyArn: pol.Arn})
	noErr(t, err)
	if len(ents.PolicyRoles) != 1 || aws.ToString(ents.PolicyRoles[0].RoleName) != "export-role" || aws.ToString(ents.PolicyRoles[0].RoleId) != aws.ToString(role.RoleId) {
		t.Errorf("ListEntitiesForPolicy roles = %+v", ents.PolicyRoles)
	}
	got, err := c.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: pol.Arn})
	noErr(t, err)
	if aws.ToInt32(got.Policy.AttachmentCount) != 1 {
		t.Errorf("AttachmentCount = %d", aws.ToInt32(got.Policy.AttachmentCount))
	}

	_, err = c.DeleteRole(ctx(t), &iam.DeleteRoleInput{RoleName: aws.String("export-role")})
	e := wantErr[*types.DeleteConflictException](t, err)
	if e.ErrorMessage() != "Cannot delete entity, must detach all policies first." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	_, err = c.DeletePolicy(ctx(t), &iam.DeletePolicyInput{PolicyArn: pol.Arn})
	wantErr[*types.DeleteConflictException](t, err)

	_, err = c.DetachRolePolicy(ctx(t), &iam.DetachRolePolicyInput{RoleName: aws.String("export-role"), PolicyArn: pol.Arn})
	noErr(t, err)
	_, err = c.DetachRolePolicy(ctx(t), &iam.DetachRolePolicyInput{RoleName: aws.String("export-role"), PolicyArn: pol.Arn})
	wantErr[*types.NoSuchEntityException](t, err)

	// Inline policies.
	_, err = c.PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String("export-role"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(permissionsDoc)})
	noErr(t, err)
	_, err = c.PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String("export-role"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(trustDoc)})
	wantErr[*types.MalformedPolicyDocumentException](t, err)
	inline, err := c.GetRolePolicy(ctx(t), &iam.GetRolePolicyInput{RoleName: aws.String("export-role"), PolicyName: aws.String("inline")})
	noErr(t, err)
	if decode(t, inline.PolicyDocument) != permissionsDoc {
		t.Errorf("inline document did not round-trip")
	}
	names, err := c.ListRolePolicies(ctx(t), &iam.ListRolePoliciesInput{RoleName: aws.String("export-role")})
	noErr(t, err)
	if !slices.Equal(names.PolicyNames, []string{"inline"}) {
		t.Errorf("ListRolePolicies = %v", names.PolicyNames)
	}
	_, err = c.GetRolePolicy(ctx(t), &iam.GetRolePolicyInput{RoleName: aws.String("export-role"), PolicyName: aws.String("ghost")})
	wantErr[*types.NoSuchEntityException](t, err)
	_, err = c.DeleteRole(ctx(t), &iam.DeleteRoleInput{RoleName: aws.String("export-role")})
	e = wantErr[*types.DeleteConflictException](t, err)
	if e.ErrorMessage() != "Cannot delete entity, must delete policies first." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	_, err = c.DeleteRolePolicy(ctx(t), &iam.DeleteRolePolicyInput{RoleName: aws.String("export-role"), PolicyName: aws.String("inline")})
	noErr(t, err)
	_, err = c.DeleteRolePolicy(ctx(t), &iam.DeleteRolePolicyInput{RoleName: aws.String("export-role"), PolicyName: aws.String("inline")})
	wantErr[*types.NoSuchEntityException](t, err)

	_, err = c.DeleteRole(ctx(t), &iam.DeleteRoleInput{RoleName: aws.String("export-role")})
	noErr(t, err)
	_, err = c.DeletePolicy(ctx(t), &iam.DeletePolicyInput{PolicyArn: pol.Arn})
	noErr(t, err)
}

func TestAttachQuota(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.iam()
	createRole(t, c, "r")
	for i := range 11 {
		p := createPolicy(t, c, fmt.Sprintf("p%02d", i))
		_, err := c.AttachRolePolicy(ctx(t), &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: p.Arn})
		if i < 10 {
			noErr(t, err)
			continue
		}
		wantErr[*types.LimitExceededException](t, err)
	}
	p := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("r"), MaxItems: aws.Int32(4)})
	var names []string
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		noErr(t, err)
		for _, a := range out.AttachedPolicies {
			names = append(names, aws.ToString(a.PolicyName))
		}
	}
	if len(names) != 10 || !slices.IsSorted(names) {
		t.Errorf("attached policies across pages = %v", names)
	}
	list, err := c.ListPolicies(ctx(t), &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, OnlyAttached: true})
	noErr(t, err)
	if len(list.Policies) != 10 {
		t.Errorf("ListPolicies OnlyAttached = %d policies, want 10", len(list.Policies))
	}
	list, err = c.ListPolicies(ctx(t), &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws})
	noErr(t, err)
	if len(list.Policies) != 0 {
		t.Errorf("ListPolicies Scope=AWS = %d policies, want none", len(list.Policies))
	}
	pp := iam.NewListPoliciesPaginator(c, &iam.ListPoliciesInput{MaxItems: aws.Int32(5)})
	total := 0
	for pp.HasMorePages() {
		out, err := pp.NextPage(ctx(t))
		noErr(t, err)
		total += len(out.Policies)
	}
	if total != 11 {
		t.Errorf("ListPolicies across pages = %d, want 11", total)
	}
}

func TestPermissionsBoundary(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.iam()
	boundary := createPolicy(t, c, "boundary")
	_, err := c.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("bounded"), AssumeRolePolicyDocument: aws.String(trustDoc), PermissionsBoundary: boundary.Arn})
	noErr(t, err)
	got, err := c.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("bounded")})
	noErr(t, err)
	pb := got.Role.PermissionsBoundary
	if pb == nil || aws.ToString(pb.PermissionsBoundaryArn) != aws.ToString(boundary.Arn) || pb.PermissionsBoundaryType != types.PermissionsBoundaryAttachmentTypePolicy {
		t.Fatalf("PermissionsBoundary = %+v", pb)
	}
	ents, err := c.ListEntitiesForPolicy(ctx(t), &iam.ListEntitiesForPolicyInput{PolicyArn: boundary.Arn, PolicyUsageFilter: types.PolicyUsageTypePermissionsBoundary})
	noErr(t, err)
	if len(ents.PolicyRoles) != 1 {
		t.Errorf("boundary users = %+v", ents.PolicyRoles)
	}
	ents, err = c.ListEntitiesForPolicy(ctx(t), &iam.ListEntitiesForPolicyInput{PolicyArn: boundary.Arn, PolicyUsageFilter: types.PolicyUsageTypePermissionsPolicy})
	noErr(t, err)
	if len(ents.PolicyRoles) != 0 {
		t.Errorf("permissions-policy users = %+v, want none", ents.PolicyRoles)
	}
	pol, err := c.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: boundary.Arn})
	noErr(t, err)
	if aws.ToInt32(pol.Policy.PermissionsBoundaryUsageCount) != 1 {
		t.Errorf("PermissionsBoundaryUsageCount = %d", aws.ToInt32(pol.Policy.PermissionsBoundaryUsageCount))
	}
	_, err = c.DeletePolicy(ctx(t), &iam.DeletePolicyInput{PolicyArn: boundary.Arn})
	wantErr[*types.DeleteConflictException](t, err)

	_, err = c.DeleteRolePermissionsBoundary(ctx(t), &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("bounded")})
	noErr(t, err)
	got, err = c.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("bounded")})
	noErr(t, err)
	if got.Role.PermissionsBoundary != nil {
		t.Errorf("boundary still set: %+v", got.Role.PermissionsBoundary)
	}
	_, err = c.PutRolePermissionsBoundary(ctx(t), &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("bounded"), PermissionsBoundary: aws.String("arn:aws:iam::314159265358:policy/ghost")})
	wantErr[*types.NoSuchEntityException](t, err)
	_, err = c.PutRolePermissionsBoundary(ctx(t), &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("bounded"), PermissionsBoundary: boundary.Arn})
	noErr(t, err)
	_, err = c.DeleteRole(ctx(t), &iam.DeleteRoleInput{RoleName: aws.String("bounded")})
	noErr(t, err)
	_, err = c.DeletePolicy(ctx(t), &iam.DeletePolicyInput{PolicyArn: boundary.Arn})
	noErr(t, err) // the deleted role no longer uses it
}
