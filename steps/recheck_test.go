package steps

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// DiagnoseExport, given the cluster from the organization's listing and the
// export read once, reports what Diagnose reports — without looking the
// cluster up again.
func TestDiagnoseExportMatchesDiagnose(t *testing.T) {
	b := newDTBox(t)
	b.setup(SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	want := b.diagnose(cloudemu.StagingAWSClusterName, DoctorOptions{})
	dtAllOK(t, want)

	cluster, info, caller := b.known(cloudemu.StagingAWSClusterID)
	before := b.sb.Cloud.Controls().Stats().ByOperation["cloud:GetCluster"]
	got, err := DiagnoseExport(b.ctx, b.env, cluster, info, caller, DoctorOptions{})
	b.must(err)
	if n := b.sb.Cloud.Controls().Stats().ByOperation["cloud:GetCluster"] - before; n != 0 {
		t.Errorf("DiagnoseExport read the cluster %d more time(s)", n)
	}
	if got.ClusterID != want.ClusterID || got.Status != want.Status || got.OK != want.OK || len(got.Findings) != len(want.Findings) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want.Findings {
		if got.Findings[i].Check != want.Findings[i].Check || got.Findings[i].Severity != want.Findings[i].Severity {
			t.Errorf("finding %d: %s %s, want %s %s", i, got.Findings[i].Check, got.Findings[i].Severity, want.Findings[i].Check, want.Findings[i].Severity)
		}
	}

	// Not applicable clusters are refused as Diagnose refuses them.
	gcp, gcpInfo, _ := b.known(cloudemu.AnalyticsGCPClusterID)
	if _, err := DiagnoseExport(b.ctx, b.env, gcp, gcpInfo, caller, DoctorOptions{}); err == nil {
		t.Error("DiagnoseExport accepted a GCP cluster")
	}
}

// A recheck reads the export and the newest streams again and nothing of
// IAM; it gives way to a full diagnosis when its facts no longer describe
// the export: another configuration, or a log group gone.
func TestRecheckExportRereadsOnlyWhatChangesByTheMinute(t *testing.T) {
	b := newDTBox(t)
	b.setup(SetupInput{Cluster: cloudemu.StagingAWSClusterName})
	cluster, info, caller := b.known(cloudemu.StagingAWSClusterID)
	first, err := DiagnoseExport(b.ctx, b.env, cluster, info, caller, DoctorOptions{})
	b.must(err)
	dtAllOK(t, first)

	stats := b.sb.AWS.Controls().Stats
	before := stats()
	again, ok, err := RecheckExport(b.ctx, b.env, first.Facts, cluster, info)
	b.must(err)
	if !ok {
		t.Fatal("a recheck of an unchanged export gave way to a full diagnosis")
	}
	dtAllOK(t, again)
	after := stats()
	for op, n := range after.ByOperation {
		if d := n - before.ByOperation[op]; d != 0 && op != "logs:DescribeLogStreams" {
			t.Errorf("a recheck called %s %d time(s); it reads only the streams", op, d)
		}
	}
	if d := after.ByOperation["logs:DescribeLogStreams"] - before.ByOperation["logs:DescribeLogStreams"]; d != 1 {
		t.Errorf("a recheck of a one-region export read the streams %d times, want 1", d)
	}

	// The status is taken from the export read now.
	failed := info
	failed.Status, failed.UserMessage = cloudapi.StatusCredentialsError, "unable to assume role"
	r, ok, err := RecheckExport(b.ctx, b.env, first.Facts, cluster, failed)
	b.must(err)
	if !ok || r.OK || r.Finding(CheckExportStatus).Severity != SeverityError {
		t.Errorf("a recheck of a failed export: ok %v, %+v", ok, r.Finding(CheckExportStatus))
	}

	// Another log group: the facts describe another configuration.
	moved := info
	moved.Spec.LogName = "elsewhere"
	if _, ok, _ := RecheckExport(b.ctx, b.env, first.Facts, cluster, moved); ok {
		t.Error("a recheck went ahead although the configuration changed")
	}

	// The log group deleted: its streams cannot be read; a full diagnosis
	// then finds it missing.
	_, err = b.logs("us-east-2").DeleteLogGroup(b.ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(info.Spec.LogName)})
	b.must(err)
	if _, ok, _ := RecheckExport(b.ctx, b.env, first.Facts, cluster, info); ok {
		t.Fatal("a recheck went ahead although the log group is gone")
	}
	full, err := DiagnoseExport(b.ctx, b.env, cluster, info, caller, DoctorOptions{})
	b.must(err)
	if full.Finding(CheckLogGroupExists).Severity != SeverityError {
		t.Errorf("log-group-exists after the deletion: %+v", full.Finding(CheckLogGroupExists))
	}
}

// known reads what a monitor knows of a cluster before diagnosing it: the
// cluster from the listing, its export, and the AWS caller.
func (b *dtBox) known(clusterID string) (cloudapi.Cluster, cloudapi.LogExportInfo, awsiam.Identity) {
	b.t.Helper()
	all, err := b.env.Cloud.ListClusters(b.ctx)
	b.must(err)
	var cluster cloudapi.Cluster
	for _, c := range all {
		if c.ID == clusterID {
			cluster = c
		}
	}
	if cluster.ID == "" {
		b.t.Fatalf("cluster %s is not listed", clusterID)
	}
	info, err := b.env.Cloud.LogExport(b.ctx, clusterID)
	b.must(err)
	caller, err := awsiam.CallerIdentity(b.ctx, b.env.AWS.STS)
	b.must(err)
	return cluster, info, caller
}
