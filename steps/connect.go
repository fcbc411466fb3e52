package steps

import (
	"context"
	"errors"
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
				return callerError(err)
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
				exportCh <- exportAnswer{nil, exportReadError(err)}
				return
			}
			exportCh <- exportAnswer{&info, nil}
		}()
		return nil
	})
	g.Go(func() error {
		id, err := awsiam.CallerIdentity(gctx, env.AWS.STS)
		if err != nil {
			return callerError(err)
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
	if cloudapi.IsUnauthenticated(err) {
		return orgError(err)
	}
	return &StepError{Step: StepCluster, Cause: err, Fix: "check --cluster (an id or a name from `crdb-logexport status --all`) and that the API key's organization owns the cluster", Permanent: !transientCloud(err)}
}

func exportReadError(err error) error {
	return &StepError{Step: StepCluster, Cause: err, Fix: "the API key needs a role that can read the cluster's log export (Cluster Admin, Cluster Operator or Cluster Reader)", Permanent: !transientCloud(err)}
}

func callerError(err error) error {
	transient := awsiam.IsThrottling(err) || errors.Is(err, context.DeadlineExceeded)
	return &StepError{Step: StepRole, Cause: err, Fix: "check the AWS credentials (AWS_PROFILE, --profile, `aws sts get-caller-identity`)", Permanent: !transient}
}

func orgError(err error) error {
	return &StepError{Step: StepOrganization, Cause: err, Fix: cloudAuthFix(err), Permanent: !transientCloud(err)}
}

func transientCloud(err error) bool {
	var ae *cloudapi.APIError
	if errors.As(err, &ae) {
		return ae.HTTPStatus == 429 || ae.HTTPStatus >= 500
	}
	return !errors.Is(err, context.Canceled)
}

func cloudAuthFix(err error) string {
	switch {
	case cloudapi.IsUnauthenticated(err):
		return "the CockroachDB Cloud API key was refused: create a service account key in the Cloud Console (Organization → Access Management) and use it (COCKROACH_API_KEY, --api-key-file, or the interface's prompt)"
	case cloudapi.IsPermissionDenied(err):
		return "the API key's service account needs a role on the organization or cluster (Cluster Admin to set up log export)"
	}
	return "check COCKROACH_SERVER and the network, then try again"
}
