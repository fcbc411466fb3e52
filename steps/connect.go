package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// Connection is what connecting learns: the CockroachDB Cloud organization
// of the API key, the AWS identity the tool acts as, and the clusters it
// can see (or only the one asked for).
type Connection struct {
	Org      cloudapi.Organization
	Caller   awsiam.Identity
	Clusters []cloudapi.Cluster
}

// Connect reads, concurrently, the organization, the AWS caller (when env
// has AWS clients) and the clusters — every cluster of the organization,
// or only the one clusterRef names. Every task of the interface starts
// here; the procedures look their cluster up with the same calls and the
// same fixes (lookUp).
func Connect(ctx context.Context, env *Env, clusterRef string) (*Connection, error) {
	c := &Connection{}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		o, err := env.Cloud.Organization(gctx)
		if err != nil {
			return orgError(err)
		}
		c.Org = o
		return nil
	})
	if env.AWS != nil {
		g.Go(func() error {
			id, err := awsiam.CallerIdentity(gctx, env.AWS.STS)
			if err != nil {
				return callerError(err, env.AWS)
			}
			c.Caller = id
			return nil
		})
	}
	g.Go(func() error {
		if clusterRef != "" {
			cl, err := FindCluster(gctx, env, clusterRef)
			if err != nil {
				return err
			}
			c.Clusters = []cloudapi.Cluster{cl}
			return nil
		}
		cs, err := env.Cloud.ListClusters(gctx)
		if err != nil {
			return &StepError{Step: StepCluster, Cause: err, Fix: cloudAuthFix(err), Permanent: !transientCloud(err)}
		}
		c.Clusters = cs
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return c, nil
}

// FindCluster resolves a cluster ID or name; a failure is a StepError that
// says how to find the right reference.
func FindCluster(ctx context.Context, env *Env, clusterRef string) (cloudapi.Cluster, error) {
	cluster, err := env.Cloud.FindCluster(ctx, clusterRef)
	if err != nil {
		return cluster, clusterRefError(err)
	}
	return cluster, nil
}

// lookUp reads what every procedure starts from: the cluster clusterRef
// names and its export, concurrently with the AWS caller's identity.
func lookUp(ctx context.Context, env *Env, clusterRef string) (cloudapi.Cluster, awsiam.Identity, cloudapi.LogExportInfo, error) {
	cluster, caller, current, err := lookUpEarly(ctx, env, clusterRef)
	if err != nil {
		return cluster, caller, cloudapi.LogExportInfo{}, err
	}
	info, err := current()
	if err != nil {
		return cluster, caller, cloudapi.LogExportInfo{}, err
	}
	return cluster, caller, *info, nil
}

// lookUpEarly is lookUp returning as soon as the cluster and the caller
// are known: the export, read as soon as the cluster was found, is still
// on its way, and current() collects it — so a caller can send its own
// next reads first and have them share the round trip.
func lookUpEarly(ctx context.Context, env *Env, clusterRef string) (cloudapi.Cluster, awsiam.Identity, func() (*cloudapi.LogExportInfo, error), error) {
	type exportAnswer struct {
		info *cloudapi.LogExportInfo
		err  error
	}
	exportCh := make(chan exportAnswer, 1)
	var (
		cluster cloudapi.Cluster
		caller  awsiam.Identity
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		c, err := FindCluster(gctx, env, clusterRef)
		if err != nil {
			return err
		}
		cluster = c
		go func() {
			info, err := env.Cloud.LogExport(ctx, c.ID)
			if err != nil {
				exportCh <- exportAnswer{nil, ExportReadError(err)}
				return
			}
			exportCh <- exportAnswer{&info, nil}
		}()
		return nil
	})
	g.Go(func() error {
		id, err := awsiam.CallerIdentity(gctx, env.AWS.STS)
		if err != nil {
			return callerError(err, env.AWS)
		}
		caller = id
		return nil
	})
	if err := g.Wait(); err != nil {
		return cluster, caller, nil, err
	}
	current := sync.OnceValues(func() (*cloudapi.LogExportInfo, error) {
		a := <-exportCh
		return a.info, a.err
	})
	return cluster, caller, current, nil
}

// The failures of connecting and looking up, each with its one fix.

func clusterRefError(err error) error {
	var lookup *cloudapi.ClusterLookupError
	switch {
	case cloudapi.IsUnauthenticated(err):
		return orgError(err)
	case errors.As(err, &lookup):
		// --cluster names no cluster: a bad flag value, which only the
		// API could judge.
		return &StepError{Step: StepCluster, Cause: err, Fix: visibleClustersFix(lookup.Visible), Permanent: true, Usage: true}
	case cloudapi.IsUnreachable(err), cloudapi.IsPermissionDenied(err):
		return &StepError{Step: StepCluster, Cause: err, Fix: cloudAuthFix(err), Permanent: true}
	case errors.Is(err, context.DeadlineExceeded):
		return &StepError{Step: StepCluster, Cause: err, Fix: "CockroachDB Cloud did not answer in time: check COCKROACH_SERVER and the network, or give the command more --timeout"}
	case transientCloud(err) && errors.As(err, new(*cloudapi.APIError)):
		return &StepError{Step: StepCluster, Cause: err, Fix: "CockroachDB Cloud answered with a temporary error: run the same command again in a moment"}
	}
	return &StepError{Step: StepCluster, Cause: err, Fix: "check --cluster (an id or a name from `crdb-logexport status --all`) and that the API key's organization owns the cluster", Permanent: !transientCloud(err)}
}

// maxVisibleNamed bounds the clusters a failed lookup names.
const maxVisibleNamed = 12

// visibleClustersFix names the clusters the API key can see, which is
// what --cluster can name.
func visibleClustersFix(visible []cloudapi.Cluster) string {
	if len(visible) == 0 {
		return "the API key sees no clusters: check that its service account has a role on the cluster (Cluster Admin to set up log export), or that COCKROACH_SERVER is the right API"
	}
	var names []string
	for i, cl := range visible {
		if i == maxVisibleNamed {
			names = append(names, fmt.Sprintf("and %d more", len(visible)-i))
			break
		}
		names = append(names, fmt.Sprintf("%s (%s %s)", cl.Name, cl.Plan, cl.CloudProvider))
	}
	return fmt.Sprintf("pass --cluster one of the %d %s the API key can see, by name or id: %s (`crdb-logexport status --all` lists them with their ids and export status)",
		len(visible), plural(len(visible), "cluster", "clusters"), strings.Join(names, ", "))
}

// ExportReadError is a failed read of a cluster's log export, with its
// fix: the key's role, or the key and the endpoint.
func ExportReadError(err error) error {
	fix := "the API key needs a role that can read the cluster's log export (Cluster Admin, Cluster Operator or Cluster Reader)"
	if cloudapi.IsUnauthenticated(err) || cloudapi.IsUnreachable(err) {
		fix = cloudAuthFix(err)
	}
	return &StepError{Step: StepCluster, Cause: err, Fix: fix, Permanent: !transientCloud(err)}
}

// callerError is a failure to learn who the AWS credentials belong to:
// nothing can be read or changed in AWS until the credentials and the
// endpoint work.
func callerError(err error, clients *awsiam.Clients) error {
	transient := awsiam.IsThrottling(err) || errors.Is(err, context.DeadlineExceeded)
	cause := err
	var ce *awsiam.CredentialsError
	if errors.As(err, &ce) {
		// Its own words; the SDK's wrapping says nothing more.
		cause = ce
	}
	return &StepError{Step: StepAWSIdentity, Cause: cause, Fix: AWSCallerFix(err, clients), Permanent: !transient}
}

// AWSCallerFix is the fix when AWS could not say whose credentials these
// are (clients, when known, says where the credentials came from).
func AWSCallerFix(err error, clients *awsiam.Clients) string {
	if fix, ok := awsReachFix(err, clients); ok {
		return fix
	}
	return "check the AWS credentials and network (AWS_PROFILE, --profile, `aws sts get-caller-identity`)"
}

// awsReachFix is the fix for an AWS call that failed before AWS judged
// what it asked: no credentials, an endpoint where nobody listens, or
// credentials AWS refused. ok is false for any other failure.
func awsReachFix(err error, clients *awsiam.Clients) (fix string, ok bool) {
	var ce *awsiam.CredentialsError
	switch {
	case errors.As(err, &ce):
		return ce.Fix(), true
	case awsiam.IsUnreachable(err):
		return "check AWS_ENDPOINT_URL (and the profile's endpoint_url): it names an address where nothing answers; unset it to use AWS itself", true
	case awsiam.IsCredentialsRefused(err):
		source := ""
		if clients != nil {
			if src := clients.CredentialSource(); src != "" {
				source = " (" + src + ")"
			}
		}
		return "AWS refused the credentials" + source + ": they are wrong, expired or revoked; renew them (`aws sso login`, new access keys) and check with `aws sts get-caller-identity`", true
	}
	return "", false
}

func orgError(err error) error {
	return &StepError{Step: StepOrganization, Cause: err, Fix: cloudAuthFix(err), Permanent: !transientCloud(err)}
}

// transientCloud reports whether a failed Cloud call may pass by itself:
// throttling, a server error, a network failure — not a wrong reference,
// a refused key or an address where nobody listens.
func transientCloud(err error) bool {
	var ae *cloudapi.APIError
	var lookup *cloudapi.ClusterLookupError
	switch {
	case errors.As(err, &lookup):
		return false
	case errors.As(err, &ae):
		return ae.HTTPStatus == 429 || ae.HTTPStatus >= 500
	case cloudapi.IsUnreachable(err):
		return false
	}
	return !errors.Is(err, context.Canceled)
}

func cloudAuthFix(err error) string {
	switch {
	case cloudapi.IsUnauthenticated(err):
		return "the CockroachDB Cloud API key was refused: create a service account key in the Cloud Console (Organization → Access Management) and use it (COCKROACH_API_KEY, --api-key-file, or the interface's prompt)"
	case cloudapi.IsPermissionDenied(err):
		return "the API key's service account needs a role on the organization or cluster (Cluster Admin to set up log export)"
	case cloudapi.IsUnreachable(err):
		return "set COCKROACH_SERVER to the CockroachDB Cloud API's address (unset, it is " + cloudapi.DefaultBaseURL + "), or start the sandbox (`crdb-logexport sandbox serve`) and use the variables it prints"
	}
	return "check COCKROACH_SERVER and the network, then try again"
}
