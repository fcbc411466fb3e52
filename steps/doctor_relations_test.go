package steps

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
)

// TestDoctorNamesOneRootCause builds, in the sandbox, faults that make
// other checks fail too, and proves that the doctor reports the fault once,
// as an error, and each finding that follows from it as a consequence
// pointing to it (caused_by), in the report and its JSON.
func TestDoctorNamesOneRootCause(t *testing.T) {
	// The docs' policy: all six actions on the log group with ":*" in one
	// statement, DescribeLogGroups included.
	documented := func(account, region string) *awsiam.PolicyDocument {
		return dtParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:DescribeLogGroups","logs:DescribeLogStreams","logs:PutRetentionPolicy","logs:PutLogEvents"],"Resource":"arn:aws:logs:`+region+`:`+account+`:log-group:`+dtStagingLG+`:*"}]}`)
	}

	t.Run("the resources name the cluster's account", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		b.setPolicy(dtPolicyARN, documented(dtStagingAccount, "*"))
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckPermissionsAccount)
		dtFinding(t, r, CheckPermissionsAccount, SeverityError, true, "arn:aws:logs:*:"+dtStagingAccount+":log-group:"+dtStagingLG+":*")
		// DescribeLogGroups is refused as well; in the right account the
		// same statement would allow it: the same fault, not a second one
		fd := dtConsequence(t, r, CheckPermissionsLogGroup, CheckPermissionsAccount)
		if !strings.Contains(fd.Summary, "logs:DescribeLogGroups refused in "+dtStagingRg) {
			t.Errorf("summary: %s", fd.Summary)
		}
		plan, after := b.fix(r, DoctorOptions{})
		if k := dtKinds(plan); !slices.Equal(k, []FixKind{FixPolicy}) || !slices.Contains(plan.Fixes[0].Checks, CheckPermissionsAccount) {
			t.Fatalf("plan = %v %v", k, plan.Fixes)
		}
		if len(plan.Manual) != 0 {
			t.Errorf("the consequence is left to the user: %v", plan.Manual)
		}
		dtAllOK(t, after)
	})

	t.Run("a region restriction that misses the cluster's region", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging, RestrictRegions: true})
		b.setPolicy(dtPolicyARN, documented(dtOwnAccount, "us-west-1"))
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckPermissionsRegions)
		fd := dtFinding(t, r, CheckPermissionsRegions, SeverityError, true, "arn:aws:logs:us-west-1:"+dtOwnAccount+":log-group:"+dtStagingLG+":*")
		if fd.Summary != "the resources cover us-west-1 but not "+dtStagingRg {
			t.Errorf("summary: %s", fd.Summary)
		}
		dtConsequence(t, r, CheckPermissionsLogGroup, CheckPermissionsRegions)
		_, after := b.fix(r, DoctorOptions{})
		dtAllOK(t, after)
	})

	t.Run("a failed export follows from its cause", func(t *testing.T) {
		b := newDTBox(t)
		res := b.setup(SetupInput{Cluster: dtStaging})
		b.setTrust(dtRole, awsiam.TrustPolicy(dtOwnAccount, res.ExternalID))
		b.postPrincipal(dtRoleARN)
		r := b.diagnose(dtStaging, DoctorOptions{})
		// PRODUCT.md §5 keeps a failed status an error; it names its cause
		dtOnly(t, r, CheckTrustPrincipal, CheckExportStatus)
		dtCausedBy(t, r, CheckExportStatus, CheckTrustPrincipal)
		dtCausedBy(t, r, CheckTrustPrincipal)
		if fd := r.Finding(CheckExportStatus); !strings.Contains(fd.Detail, "The finding trust-principal explains it") {
			t.Errorf("detail: %s", fd.Detail)
		}
		// causes come first wherever the report is shown
		if p := r.Problems(); len(p) != 2 || p[0].Check != CheckTrustPrincipal {
			t.Errorf("problems in order: %v", p)
		}
	})

	t.Run("logs stop because of a permission fault", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		b.must(awsiam.DetachPolicy(b.ctx, b.iam, dtRole, dtPolicyARN))
		// the group's streams are gone: nothing arrives any more
		logs := b.logs(dtStagingRg)
		_, err := logs.DeleteLogGroup(b.ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(dtStagingLG)})
		b.must(err)
		_, err = logs.CreateLogGroup(b.ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(dtStagingLG)})
		b.must(err)
		opts := DoctorOptions{ArrivalGrace: time.Nanosecond}
		r := b.diagnose(dtStaging, opts)
		dtOnly(t, r, CheckPermissionsActions)
		fd := dtConsequence(t, r, CheckLogsArriving, CheckPermissionsActions)
		if !strings.Contains(fd.Summary, "no logs arriving in "+dtStagingRg) || !fd.Fixable {
			t.Errorf("logs-arriving: %+v", fd)
		}
		// the repair is the cause's, then the export is enabled again
		plan, after := b.fix(r, opts)
		if k := dtKinds(plan); !slices.Equal(k, []FixKind{FixPolicy}) || !plan.Reenable || plan.ReenableReason != "logs are not arriving" {
			t.Fatalf("plan = %v reenable=%v %q", k, plan.Reenable, plan.ReenableReason)
		}
		dtAllOK(t, after)
	})

	t.Run("a trust that names only a service", func(t *testing.T) {
		b := newDTBox(t)
		b.setup(SetupInput{Cluster: dtStaging})
		b.setTrust(dtRole, dtParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`))
		r := b.diagnose(dtStaging, DoctorOptions{})
		dtOnly(t, r, CheckTrustPrincipal)
		fd := dtFinding(t, r, CheckTrustPrincipal, SeverityError, true, `"Principal":{"Service":"ec2.amazonaws.com"}`)
		if !strings.Contains(fd.Detail, "lets only service ec2.amazonaws.com assume the role") || strings.Contains(fd.Detail, "  ") {
			t.Errorf("detail: %q", fd.Detail)
		}
	})
}
