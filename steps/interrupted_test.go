package steps

import (
	"testing"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// TestFindUnfinished: a setup that failed part way is found with its
// answers and where it stopped; answers edited into something this
// version does not know are not offered; a setup that finished is not.
func TestFindUnfinished(t *testing.T) {
	b := newDTBox(t)
	cluster, err := b.env.Cloud.Cluster(b.ctx, cloudemu.StagingAWSClusterID)
	b.must(err)
	if _, found := findUnfinished(b.ctx, b.env, cluster); found {
		t.Fatal("found an unfinished setup before any")
	}

	b.sb.AWS.Controls().InjectFault(knobs.Fault{Op: "iam:CreatePolicy", Status: 403, Code: "AccessDenied", Message: "denied", Times: -1})
	in := SetupInput{Cluster: cluster.ID, LogGroup: "team-logs", RetentionDays: 90, RetentionSet: true, ExternalID: ExternalIDAuto, OmitChannels: []string{"SQL_PERF"}}
	plan, err := PrepareSetup(b.ctx, b.env, in)
	b.must(err)
	if _, err := ApplySetup(b.ctx, b.env, plan, SetupOptions{Watch: dtWatch()}, nil); err == nil {
		t.Fatal("the setup succeeded despite the fault")
	}
	b.sb.AWS.Controls().ClearFaults()

	u, found := findUnfinished(b.ctx, b.env, cluster)
	if !found || !u.Failed || u.Step != StepPermissions {
		t.Fatalf("findUnfinished = %+v, %v; want step 7 failed", u, found)
	}
	if u.Input.LogGroup != "team-logs" || u.Input.RetentionDays != 90 || !u.Input.RetentionSet || len(u.Input.OmitChannels) != 1 || u.Input.OmitChannels[0] != "SQL_PERF" {
		t.Errorf("answers kept: %+v", u.Input)
	}
	if w := u.Where(); w != "step 7 (Grant the CloudWatch Logs actions) failed" {
		t.Errorf("Where() = %q", w)
	}

	// Edited by hand into a field this version does not know: not offered.
	j, err := b.env.Journals.Open(cluster.ID, cluster.Name)
	b.must(err)
	kept := j.Setting(settingSetupRun)
	b.must(j.SetSettings(map[string]string{settingSetupRun: `{"cluster":"` + cluster.ID + `","surprise":1}`}))
	if _, found := findUnfinished(b.ctx, b.env, cluster); found {
		t.Error("answers with an unknown field were offered")
	}
	b.must(j.SetSettings(map[string]string{settingSetupRun: kept}))

	// Finished: nothing to offer.
	plan, err = PrepareSetup(b.ctx, b.env, u.Input)
	b.must(err)
	res, err := ApplySetup(b.ctx, b.env, plan, SetupOptions{Watch: dtWatch(), StreamTimeout: 5e9}, nil)
	b.must(err)
	if res.Status != cloudapi.StatusEnabled {
		t.Fatalf("resumed setup ended %s", res.Status)
	}
	if u, found := findUnfinished(b.ctx, b.env, cluster); found {
		t.Errorf("a finished setup is offered: %+v", u)
	}
}

func TestFlagsGiven(t *testing.T) {
	yes := true
	for _, in := range []SetupInput{{LogGroup: "x"}, {RetentionDays: 7}, {RoleARN: "arn"}, {ExternalID: ExternalIDNone}, {Channels: []string{"SQL_PERF"}}, {Redact: &yes}, {FromScratch: true}} {
		if !flagsGiven(in) {
			t.Errorf("flagsGiven(%+v) = false", in)
		}
	}
	for _, in := range []SetupInput{{}, {Cluster: "prod-aws", ExternalID: ExternalIDAuto}} {
		if flagsGiven(in) {
			t.Errorf("flagsGiven(%+v) = true", in)
		}
	}
}
