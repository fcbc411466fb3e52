package tfexport

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Live is one cluster's log export as it is: everything Build needs, read
// with read-only calls.
type Live struct {
	Cluster cloudapi.Cluster
	Export  cloudapi.LogExportInfo
	// Account is the AWS account of the credentials, which must own the role.
	Account string
	// Regions are the destination regions, in the API's order.
	Regions []string
	// Role is the role auth_principal names, with the policies that shape
	// what it may do.
	Role     awsiam.RoleState
	Policies awsiam.RolePolicySet
	// LogGroups has one entry per log group name and destination region:
	// names in Spec.LogGroups order, each in every region in Regions order.
	LogGroups []LogGroup
}

// LogGroup is one log group in one region.
type LogGroup struct {
	Region string
	Name   string
	State  awsiam.LogGroupState
	Tags   map[string]string
}

// Error is a failure to read what Terraform would describe: the cause, and
// what to do about it.
type Error struct {
	Err error
	Fix string
	// Usage: the input cannot work (--cluster names no cluster); the
	// command exits 2.
	Usage bool
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func fail(fix string, format string, args ...any) error {
	return &Error{Err: fmt.Errorf(format, args...), Fix: fix}
}

// Read gathers the live configuration of a cluster's log export: the
// cluster and its export spec, the caller's account, the role named by
// auth_principal with its trust, managed, inline and boundary policies,
// and the log groups (with their tags) in every destination region.
// Independent reads run concurrently; nothing is changed.
func Read(ctx context.Context, env *steps.Env, clusterRef string) (*Live, error) {
	live := &Live{}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		c, err := steps.FindCluster(gctx, env, clusterRef)
		if err != nil {
			return fromStep(err)
		}
		live.Cluster = c
		if live.Export, err = env.Cloud.LogExport(gctx, c.ID); err != nil {
			return fromStep(steps.ExportReadError(err))
		}
		return nil
	})
	g.Go(func() error {
		id, err := awsiam.CallerIdentity(gctx, env.AWS.STS)
		if err != nil {
			return &Error{Err: err, Fix: steps.AWSCallerFix(err, env.AWS)}
		}
		live.Account = id.Account
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	roleName, err := live.check()
	if err != nil {
		return nil, err
	}
	live.Regions = live.Cluster.ExportRegions(live.Export.Spec)
	for _, name := range live.Export.Spec.LogGroups() {
		for _, region := range live.Regions {
			live.LogGroups = append(live.LogGroups, LogGroup{Region: region, Name: name})
		}
	}

	g, gctx = errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		live.Role, err = awsiam.InspectRole(gctx, env.AWS.IAM, roleName)
		return err
	})
	g.Go(func() error {
		var err error
		live.Policies, err = awsiam.RolePolicies(gctx, env.AWS.IAM, roleName)
		if awsiam.IsNotFound(err) {
			// The role is missing: said below, once.
			return nil
		}
		return err
	})
	for i := range live.LogGroups {
		lg := &live.LogGroups[i]
		g.Go(func() error {
			logs := env.AWS.LogsFor(lg.Region)
			var err error
			if lg.State, err = awsiam.InspectLogGroup(gctx, logs, lg.Name); err != nil || !lg.State.Exists {
				return err
			}
			lg.Tags, err = awsiam.LogGroupTags(gctx, logs, lg.State.ARN)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		var te *Error
		if errors.As(err, &te) {
			return nil, err
		}
		return nil, &Error{Err: err, Fix: awsReadFix(err)}
	}
	if !live.Role.Exists {
		return nil, fail("repair it first: crdb-logexport doctor --cluster "+steps.ShellQuote(live.Cluster.Name)+" --fix",
			"the role %s that the export of %s names as auth_principal does not exist in account %s", live.Export.Spec.AuthPrincipal, live.Cluster.Name, live.Account)
	}
	return live, nil
}

// check makes sure there is an export Terraform can describe, and returns
// the name of the role its auth_principal names.
func (l *Live) check() (string, error) {
	name := l.Cluster.Name
	if err := l.Cluster.CheckCloudWatch(); err != nil {
		return "", fail("export terraform describes CloudWatch log export of Advanced and Standard clusters on AWS", "%w: %v", steps.ErrNotApplicable, err)
	}
	spec := l.Export.Spec
	switch {
	case !l.Export.Configured || l.Export.Status == cloudapi.StatusDisabled || l.Export.Status == cloudapi.StatusDisabling:
		return "", fail("set it up first: crdb-logexport setup --cluster "+steps.ShellQuote(name),
			"cluster %s has no log export to describe (status %s)", name, l.Export.Status)
	case spec.Type != cloudapi.TypeAWSCloudWatch:
		return "", fail("export terraform describes CloudWatch log export only",
			"cluster %s exports its logs to %s, not %s", name, spec.Type, cloudapi.TypeAWSCloudWatch)
	}
	arn, err := awsiam.ParseARN(spec.AuthPrincipal)
	switch {
	case err != nil:
		return "", fail("repair it first: crdb-logexport doctor --cluster "+steps.ShellQuote(name)+" --fix",
			"auth_principal %q of cluster %s is not an ARN: %v", spec.AuthPrincipal, name, err)
	case arn.Kind != awsiam.KindRole:
		return "", fail("auth_principal must be the role's ARN; `crdb-logexport doctor --cluster "+steps.ShellQuote(name)+" --fix` puts the right one in",
			"auth_principal %s of cluster %s is a %s ARN, not a role ARN", spec.AuthPrincipal, name, arn.Kind)
	case arn.AccountID != l.Account:
		return "", fail("run it with credentials for account "+arn.AccountID+" (--profile or AWS_PROFILE)",
			"the role %s is in account %s, but the AWS credentials are for account %s, which cannot read it", spec.AuthPrincipal, arn.AccountID, l.Account)
	}
	return arn.Name, nil
}

// fromStep is a lookup's StepError as this package's Error: its cause
// and fix, without a step label (export has no steps).
func fromStep(err error) error {
	se, ok := steps.AsStepError(err)
	if !ok {
		return err
	}
	return &Error{Err: se.Cause, Fix: se.Fix, Usage: se.Usage}
}

// awsReadFix says what to do about a failed AWS read.
func awsReadFix(err error) string {
	var doc *awsiam.DocumentError
	switch {
	case errors.As(err, &doc):
		return "the AWS read worked, but IAM holds a document export cannot read (" + doc.Where + "); correct it (AWS's IAM Access Analyzer validates policies) or detach it, then run the same command again"
	case awsiam.IsAccessDenied(err):
		return "the AWS credentials need read access: iam:GetRole, iam:ListAttachedRolePolicies, iam:ListRolePolicies, iam:GetRolePolicy, iam:GetPolicy, iam:GetPolicyVersion, logs:DescribeLogGroups and logs:ListTagsForResource"
	case awsiam.IsThrottling(err):
		return "AWS throttled the reads: run the same command again in a moment"
	}
	return "check the AWS credentials and endpoint (AWS_PROFILE, --profile, AWS_ENDPOINT_URL), then run the same command again"
}
