package cloudemu

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu/access"
)

// awsClients talk to the configured AWS endpoint as its account's owner:
// reading the role is how the emulator learns what AWS would decide when the
// cluster assumes it, and writing is what the cluster would do once it has.
type awsClients struct {
	iam  *iam.Client
	logs *cloudwatchlogs.Client
}

func newAWSClients(t AWSTarget) *awsClients {
	if t.Endpoint == "" {
		return nil
	}
	ak, sk := t.AccessKeyID, t.SecretAccessKey
	if ak == "" {
		ak = "AKIACLOUDEMUSANDBOX1"
	}
	if sk == "" {
		sk = "cloudemu-sandbox-secret-access-key"
	}
	cfg := aws.Config{
		Region:           "us-east-1", // IAM signs in us-east-1; log calls set their own region
		Credentials:      aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(ak, sk, "")),
		BaseEndpoint:     aws.String(t.Endpoint),
		RetryMaxAttempts: 3,
	}
	if t.HTTPClient != nil {
		cfg.HTTPClient = t.HTTPClient
	}
	return &awsClients{iam: iam.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg)}
}

// target is what one export job works from: a snapshot of the cluster and
// the accepted spec, taken when the POST was accepted.
type target struct {
	clusterID string
	plan      string
	cloud     string
	account   string // the account the cluster acts from
	regions   []region
	spec      exportSpec
}

func newTarget(c *cluster, spec exportSpec) target {
	t := target{clusterID: c.ID, plan: c.Plan, cloud: c.CloudProvider, account: c.AccountID, regions: append([]region(nil), c.Regions...), spec: spec.clone()}
	if c.KeychainConfig != nil && c.KeychainConfig.AWSAccountID != "" {
		t.account = c.KeychainConfig.AWSAccountID
	}
	return t
}

// externalID is what the cluster sends with sts:AssumeRole: a Standard
// cluster always sends its cluster ID; an Advanced one sends
// aws_external_id when configured.
func (t target) externalID() (string, bool) {
	if t.plan == PlanStandard {
		return t.clusterID, true
	}
	return t.spec.AWSExternalID, t.spec.AWSExternalID != ""
}

// destinationRegions are the regions logs are written to: the region
// override, or every region the cluster has.
func (t target) destinationRegions() []string {
	if t.spec.Region != "" {
		return []string{t.spec.Region}
	}
	out := make([]string, 0, len(t.regions))
	for _, r := range t.regions {
		out = append(out, r.Name)
	}
	return out
}

func (t target) destinationOf(sourceRegion string) string {
	if t.spec.Region != "" {
		return t.spec.Region
	}
	return sourceRegion
}

// logGroupNames are every log group the export writes to.
func (t target) logGroupNames() []string {
	names := []string{t.spec.LogName}
	for _, g := range t.spec.Groups {
		if !contains(names, g.LogName) {
			names = append(names, g.LogName)
		}
	}
	return names
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// shortID names the cluster's own AWS identities.
func (t target) shortID() string {
	if len(t.clusterID) >= 8 {
		return t.clusterID[:8]
	}
	return t.clusterID
}

// caller is the principal in the cluster's account that assumes the role.
func (t target) caller() access.Caller {
	return access.Caller{ARN: fmt.Sprintf("arn:aws:iam::%s:role/crl-logexport-%s", t.account, t.shortID()), Account: t.account}
}

func (t target) callerSession() string {
	return fmt.Sprintf("arn:aws:sts::%s:assumed-role/crl-logexport-%s/cockroach-cloud-logexport", t.account, t.shortID())
}

// roleView is what the emulator read about the role.
type roleView struct {
	arn      string
	name     string
	account  string
	created  time.Time
	trust    *access.Policy // nil when the trust policy cannot be parsed: it allows nothing
	identity []*access.Policy
	// boundarySet with a nil boundary means a boundary that could not be
	// read or parsed: it allows nothing.
	boundarySet bool
	boundary    *access.Policy
}

var errRoleNotFound = errors.New("role not found")

// readRole gathers the role, its trust policy, its managed policies' default
// versions, its inline policies and its permissions boundary.
func (a *awsClients) readRole(ctx context.Context, name string) (*roleView, error) {
	out, err := a.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		var nse *iamtypes.NoSuchEntityException
		if errors.As(err, &nse) {
			return nil, errRoleNotFound
		}
		return nil, err
	}
	role := out.Role
	rv := &roleView{arn: aws.ToString(role.Arn), name: aws.ToString(role.RoleName), created: aws.ToTime(role.CreateDate)}
	rv.account, _, _ = parseRoleARN(rv.arn)
	rv.trust, _ = parsePolicy(aws.ToString(role.AssumeRolePolicyDocument))

	attached := iam.NewListAttachedRolePoliciesPaginator(a.iam, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range page.AttachedPolicies {
			doc, err := a.managedPolicy(ctx, aws.ToString(p.PolicyArn))
			if err != nil {
				return nil, err
			}
			// A document this evaluator cannot parse grants nothing.
			if pol, perr := parsePolicy(doc); perr == nil {
				rv.identity = append(rv.identity, pol)
			}
		}
	}
	inline := iam.NewListRolePoliciesPaginator(a.iam, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, pn := range page.PolicyNames {
			rp, err := a.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pn)})
			if err != nil {
				return nil, err
			}
			if pol, perr := parsePolicy(aws.ToString(rp.PolicyDocument)); perr == nil {
				rv.identity = append(rv.identity, pol)
			}
		}
	}
	if role.PermissionsBoundary != nil && aws.ToString(role.PermissionsBoundary.PermissionsBoundaryArn) != "" {
		rv.boundarySet = true
		doc, err := a.managedPolicy(ctx, aws.ToString(role.PermissionsBoundary.PermissionsBoundaryArn))
		var nse *iamtypes.NoSuchEntityException
		switch {
		case errors.As(err, &nse):
		case err != nil:
			return nil, err
		default:
			rv.boundary, _ = parsePolicy(doc)
		}
	}
	return rv, nil
}

func (a *awsClients) managedPolicy(ctx context.Context, arn string) (string, error) {
	p, err := a.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		return "", err
	}
	v, err := a.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: p.Policy.DefaultVersionId})
	if err != nil {
		return "", err
	}
	return aws.ToString(v.PolicyVersion.Document), nil
}

// parsePolicy decodes IAM's URL-encoded policy documents (and accepts plain
// JSON from endpoints that do not encode them).
func parsePolicy(doc string) (*access.Policy, error) {
	doc = strings.TrimSpace(doc)
	if !strings.HasPrefix(doc, "{") {
		dec, err := url.QueryUnescape(doc)
		if err != nil {
			return nil, err
		}
		doc = dec
	}
	return access.Parse(doc)
}

// authorize decides an identity-based action the way IAM does for a role
// session: its policies must allow, its boundary (if any) must allow, and an
// explicit deny in either wins. Any of resources may match (see
// logGroupResources). The reason is worded like AWS's AccessDenied messages.
func (rv *roleView) authorize(action string, resources ...string) (bool, string) {
	decide := func(policies []*access.Policy) access.Decision {
		d := access.ImplicitDeny
		for _, res := range resources {
			switch access.Evaluate(access.Request{Action: action, Resource: res}, policies...) {
			case access.ExplicitDeny:
				return access.ExplicitDeny
			case access.Allow:
				d = access.Allow
			}
		}
		return d
	}
	switch decide(rv.identity) {
	case access.ExplicitDeny:
		return false, "with an explicit deny in an identity-based policy"
	case access.ImplicitDeny:
		return false, "because no identity-based policy allows the " + action + " action"
	}
	if rv.boundarySet {
		var d access.Decision
		if rv.boundary != nil {
			d = decide([]*access.Policy{rv.boundary})
		}
		switch d {
		case access.ExplicitDeny:
			return false, "with an explicit deny in a permissions boundary"
		case access.ImplicitDeny:
			return false, "because no permissions boundary allows the " + action + " action"
		}
	}
	return true, ""
}

func logGroupARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, account, name)
}

// logGroupResources are the forms under which a log-group-level action
// (DescribeLogGroups, CreateLogGroup) is authorized. CloudWatch Logs presents
// a log group's ARN both bare and with the ":*" suffix its API reports, so a
// policy naming either form covers these actions; stream-level actions need
// the suffix (or an explicit log-stream resource).
func logGroupResources(region, account, name string) []string {
	arn := logGroupARN(region, account, name)
	return []string{arn + ":*", arn}
}

func logStreamARN(region, account, group, stream string) string {
	return logGroupARN(region, account, group) + ":log-stream:" + stream
}

// verdict is the outcome of one access decision.
type verdict struct {
	// status is empty when the export may proceed, else the status to
	// report (CREDENTIALS_ERROR or ENABLE_FAILED) with message.
	status  string
	message string
	// transient is set when AWS could not be read; no decision was made.
	transient error
	// create lists the missing log groups the role may and must create.
	create []groupAt
}

type groupAt struct{ region, name string }

// decide works out what AWS would answer the cluster, without writing
// anything. Failures map to statuses as follows:
//   - the role cannot be assumed (missing role, ARN naming another account,
//     trust policy not allowing the cluster's account or its external ID,
//     or a role too new to have propagated): CREDENTIALS_ERROR, since the
//     cluster never obtains credentials;
//   - the role is assumed but may not describe, create or write to a log
//     group in some destination region, or the group is missing and may not
//     be created: ENABLE_FAILED.
//
// (While an export is ENABLED, runEnable reports any failure as
// CREDENTIALS_ERROR.)
func (s *Server) decide(ctx context.Context, t target) verdict {
	if t.spec.Type != ExportAWSCloudWatch {
		return verdict{}
	}
	if s.aws == nil {
		return verdict{status: StatusEnableFailed, message: "CloudWatch log export is unavailable: this sandbox was started without an AWS endpoint"}
	}
	extID, sendsExtID := t.externalID()
	denied := func(resource string) verdict {
		how := "without an external ID"
		if sendsExtID {
			how = fmt.Sprintf("with external ID %q", extID)
		}
		return verdict{status: StatusCredentialsError, message: fmt.Sprintf(
			"unable to assume role %s %s: AccessDenied: User: %s is not authorized to perform: sts:AssumeRole on resource: %s",
			resource, how, t.callerSession(), resource)}
	}
	principal := t.spec.AuthPrincipal
	roleAcct, roleName, isRole := parseRoleARN(principal)
	if !isRole {
		// The API takes any string; STS is what refuses it. Something
		// ARN-shaped that is not a role (a policy, a user) cannot be
		// assumed, which STS answers as a denial on that resource.
		if !arnShaped(principal) {
			return verdict{status: StatusCredentialsError, message: fmt.Sprintf(
				"unable to assume role %s: ValidationError: %q is not a valid value for roleArn: it must be an IAM role ARN, arn:aws:iam::<account-id>:role/<role-name>", principal, principal)}
		}
		return denied(principal)
	}
	rv, err := s.aws.readRole(ctx, roleName)
	if errors.Is(err, errRoleNotFound) || (err == nil && rv.arn != principal) {
		return verdict{status: StatusCredentialsError, message: fmt.Sprintf(
			"unable to assume role: role %s cannot be found; check that auth_principal names an existing role in AWS account %s", principal, roleAcct)}
	}
	if err != nil {
		return verdict{transient: err}
	}
	// A role younger than the propagation delay is not yet visible to STS
	// everywhere; AWS then refuses exactly as if the trust did not allow it.
	if time.Since(rv.created) < s.Timings().IAMPropagation {
		return denied(rv.arn)
	}
	caller := t.caller()
	reqCtx := map[string]string{"aws:PrincipalAccount": caller.Account, "aws:PrincipalArn": caller.ARN}
	if sendsExtID {
		reqCtx["sts:ExternalId"] = extID
	}
	if rv.trust == nil || access.Evaluate(access.Request{Caller: &caller, Action: "sts:AssumeRole", Resource: rv.arn, Context: reqCtx}, rv.trust) != access.Allow {
		return denied(rv.arn)
	}

	session := fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/crl-logexport-%s", rv.account, rv.name, t.shortID())
	refuse := func(region, action, resource, reason, prefix string) verdict {
		return verdict{status: StatusEnableFailed, message: fmt.Sprintf(
			"unable to export logs to %s: %sAccessDeniedException: User: %s is not authorized to perform: %s on resource: %s %s",
			region, prefix, session, action, resource, reason)}
	}
	var v verdict
	for _, dest := range t.destinationRegions() {
		streams := t.streamsIn(dest)
		for _, group := range t.logGroupNames() {
			groupRes := logGroupResources(dest, rv.account, group)
			if ok, why := rv.authorize("logs:DescribeLogGroups", groupRes...); !ok {
				return refuse(dest, "logs:DescribeLogGroups", groupRes[0], why, "")
			}
			exists, err := s.aws.logGroupExists(ctx, dest, group)
			if err != nil {
				return verdict{transient: err}
			}
			if !exists {
				if ok, why := rv.authorize("logs:CreateLogGroup", groupRes...); !ok {
					return refuse(dest, "logs:CreateLogGroup", groupRes[0], why,
						fmt.Sprintf("log group %q does not exist and the role may not create it: ", group))
				}
				v.create = append(v.create, groupAt{dest, group})
			}
			for _, st := range streams {
				if st.group != group {
					continue
				}
				res := logStreamARN(dest, rv.account, group, st.name)
				for _, action := range []string{"logs:CreateLogStream", "logs:PutLogEvents"} {
					if ok, why := rv.authorize(action, res); !ok {
						return refuse(dest, action, res, why, "")
					}
				}
			}
		}
	}
	return v
}

// decideWithRetry is the enable-time decision: AWS read errors are retried
// briefly before the job gives up with ENABLE_FAILED.
func (s *Server) decideWithRetry(ctx context.Context, t target) verdict {
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		v := s.decide(ctx, t)
		if v.transient == nil {
			return v
		}
		if attempt == 4 || !sleepCtx(ctx, wait) {
			return verdict{status: StatusEnableFailed, message: "internal error: unable to verify access to the AWS account; retry the request: " + v.transient.Error()}
		}
		wait *= 2
	}
}
