package wizard

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell/shelltest"
)

// runAccessible feeds answers one line at a time. Huh's accessible mode
// reads each prompt with a scanner of its own, so the input is given one
// byte per read, as a terminal does.
func runAccessible(t *testing.T, connect shelltest.Build, lines ...string) (Result, string) {
	t.Helper()
	var out shelltest.SyncBuffer
	res, err := RunAccessible(context.Background(), Options{
		Start:        StartSetup,
		In:           iotest.OneByteReader(strings.NewReader(strings.Join(lines, "\n") + "\n")),
		Out:          &out,
		Environ:      []string{"TERM=xterm-256color"},
		Input:        steps.SetupInput{ExternalID: steps.ExternalIDAuto},
		APIKeySource: "COCKROACH_API_KEY",
		Connect:      connect,
		Apply:        shelltest.FastApply,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return res, out.String()
}

func TestAccessibleSetupWithDefaults(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	// cluster, log group, retention, role mode, role name, policy name,
	// regions, external ID, apply: enter at each.
	res, out := runAccessible(t, connect, "", "", "", "", "", "", "", "", "")
	if res.Outcome != Completed || res.Setup == nil || res.Setup.Status != cloudapi.StatusEnabled {
		t.Fatalf("result %+v\n%s", res, out)
	}
	for _, want := range []string{
		"Acting in AWS account " + shelltest.Account,
		"Enter a number between 1 and 5",
		"Step 1: Create the CloudWatch log group.",
		"Apply this plan?",
		"Done: step 5 (Create the cross-account IAM role)",
		"status       ENABLED",
		"role ARN     arn:aws:iam::" + shelltest.Account + ":role/" + shelltest.ProdRole,
		"us-east-1 crdb-prod-aws: 33",
		"Next: crdb-logexport status --cluster prod-aws",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("escape sequences written to a non-terminal:\n%q", out)
	}
}

func TestAccessibleSetupWithTypedAnswers(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	res, out := runAccessible(t, connect,
		"4",             // staging-aws
		"staging-logs",  // log group
		"4",             // retention: 7 days
		"1",             // create the role
		"StagingRole",   // role name
		"StagingPolicy", // policy name
		"2",             // only the cluster's regions
		"2",             // no external ID
		"1",             // apply
	)
	if res.Outcome != Completed || res.Setup.Status != cloudapi.StatusEnabled {
		t.Fatalf("result %+v\n%s", res, out)
	}
	p := res.Setup.Plan
	if p.ClusterName != cloudemu.StagingAWSClusterName || p.LogGroup != "staging-logs" || p.RetentionDays != 7 || p.RoleName != "StagingRole" || p.PolicyName != "StagingPolicy" || p.ExternalID != "" {
		t.Fatalf("plan from typed answers: %+v", p)
	}
	if doc := p.Permission.JSON(); !strings.Contains(doc, "arn:aws:logs:us-east-2:") || strings.Contains(doc, "arn:aws:logs:*:") {
		t.Errorf("region restriction not applied:\n%s", doc)
	}
	want := "crdb-logexport setup --cluster staging-aws --log-group staging-logs --retention-days 7 --role-name StagingRole --policy-name StagingPolicy --restrict-regions --external-id none --yes"
	if res.Resume != want {
		t.Errorf("resume command\n got %s\nwant %s", res.Resume, want)
	}
}

func TestAccessiblePolicyARNOffersRoles(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	res, out := runAccessible(t, connect,
		"", "", "",
		"2", // I already have a role
		"arn:aws:iam::"+shelltest.Account+":policy/Nobody",
		"2", // let setup create a role instead
		"", "", "", "",
		"3", // quit without changes
	)
	if !strings.Contains(out, "This is a policy ARN, not a role ARN.") || !strings.Contains(out, "Let setup create a role instead") {
		t.Errorf("no policy warning:\n%s", out)
	}
	if res.Outcome != Aborted || res.Changed {
		t.Fatalf("result %+v\n%s", res, out)
	}
}

func TestAccessibleEndOfInputNeverConfirms(t *testing.T) {
	_, connect, store := shelltest.Sandbox(t, cloudemu.Timings{})
	// Every question answered, then the input ends at "Apply this plan?".
	res, out := runAccessible(t, connect, "", "", "", "", "", "", "", "")
	if res.Outcome != Aborted || res.Changed {
		t.Fatalf("result %+v\n%s", res, out)
	}
	// The plan may write down the external ID it chose (so the next run
	// uses the same one); nothing may be recorded as done or made.
	if j, err := store.Open(cloudemu.ProdAWSClusterID, ""); err != nil || len(j.Created) != 0 || len(j.Intended) != 0 || len(j.Steps) != 0 {
		t.Errorf("the journal records something applied: %+v, %v", j, err)
	}
}

func TestAccessibleInterruptedAtAPrompt(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out shelltest.SyncBuffer
	done := make(chan Result, 1)
	go func() {
		res, _ := RunAccessible(ctx, Options{
			Start: StartSetup, In: pr, Out: &out, Environ: []string{},
			Input: steps.SetupInput{ExternalID: steps.ExternalIDAuto}, APIKeySource: "COCKROACH_API_KEY", Connect: connect,
		})
		done <- res
	}()
	if _, err := io.WriteString(pw, "\n"); err != nil { // the cluster
		t.Fatal(err)
	}
	for !strings.Contains(out.String(), "Log group") {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case res := <-done:
		if res.Outcome != Aborted || res.Changed || !strings.Contains(res.Resume, "--cluster prod-aws") {
			t.Fatalf("result %+v", res)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RunAccessible kept waiting on the prompt after the interruption")
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestAccessibleInputEndingAfterAnOutOfRangeChoice: a number outside the
// choices, then the end of the input, stops the run like any other end of
// input (huh's select would otherwise index its options with it).
func TestAccessibleInputEndingAfterAnOutOfRangeChoice(t *testing.T) {
	_, connect, _ := shelltest.Sandbox(t, cloudemu.Timings{})
	res, out := runAccessible(t, connect, "9")
	if res.Outcome != Aborted || res.Changed {
		t.Fatalf("result %+v\n%s", res, out)
	}
	if !strings.Contains(out, "Invalid: must be a number between 1 and 5") {
		t.Errorf("the out-of-range answer was not refused:\n%s", out)
	}
}
