package steps

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

var fastDisable = DisableOptions{Watch: fastWatch}

func TestDisableWaitsAndCleansUpOnlyWhatTheToolCreated(t *testing.T) {
	ctx := context.Background()
	env, _ := lifecycleEnv(t, 0)
	staging := setUp(t, env, SetupInput{Cluster: cloudemu.StagingAWSClusterName})

	// prod uses a role made by hand, with the tool's policy on it
	trust := awsiam.TrustPolicy(cloudemu.ProdAWSAccountID, "")
	if _, err := env.AWS.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("HandRole"), AssumeRolePolicyDocument: aws.String(trust.JSON())}); err != nil {
		t.Fatal(err)
	}
	handARN := "arn:aws:iam::" + sandboxAccount + ":role/HandRole"
	prod := setUp(t, env, SetupInput{Cluster: cloudemu.ProdAWSClusterName, RoleARN: handARN, ExternalID: ExternalIDNone, PolicyName: "ProdPolicy"})

	// staging: the tool's role, policy and attachment go; the log group stays
	plan, err := PrepareDisable(ctx, env, DisableInput{Cluster: cloudemu.StagingAWSClusterName, Cleanup: true})
	if err != nil {
		t.Fatal(err)
	}
	if plan.AlreadyDisabled || plan.Status != cloudapi.StatusEnabled || len(plan.Stops) == 0 || plan.RemovesLogGroups() {
		t.Fatalf("plan = %+v", plan)
	}
	var kinds []string
	for _, it := range plan.Items {
		kinds = append(kinds, it.Kind)
		if it.Remove != (it.Kind != KindLogGroup) {
			t.Errorf("item %+v", it)
		}
	}
	if !slices.Equal(kinds, []string{KindAttachment, KindPolicy, KindRole, KindLogGroup}) {
		t.Fatalf("cleanup order = %v", kinds)
	}
	res, err := ApplyDisable(ctx, env, plan, fastDisable, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != cloudapi.StatusDisabled || len(res.Removed) != 3 {
		t.Fatalf("result = %+v", res)
	}
	if info, _ := env.Cloud.LogExport(ctx, cloudemu.StagingAWSClusterID); info.Status != cloudapi.StatusDisabled {
		t.Fatalf("export is %s after disable", info.Status)
	}
	if st, err := awsiam.InspectRole(ctx, env.AWS.IAM, DefaultRoleNameFor(cloudemu.StagingAWSClusterName, cloudemu.StagingAWSClusterID)); err != nil || st.Exists {
		t.Fatalf("the tool's role is still there: %+v, %v", st, err)
	}
	if st, err := awsiam.InspectPolicy(ctx, env.AWS.IAM, staging.PolicyARN); err != nil || st.Exists {
		t.Fatalf("the tool's policy is still there: %+v, %v", st, err)
	}
	if st, _ := awsiam.InspectLogGroup(ctx, env.AWS.LogsFor("us-east-2"), staging.LogGroup); !st.Exists {
		t.Fatal("the log group was deleted without --delete-log-group")
	}
	j, _ := env.Journals.Open(cloudemu.StagingAWSClusterID, "")
	if j.Owns(KindRole, staging.RoleARN, "") || !j.Owns(KindLogGroup, staging.LogGroup, "us-east-2") || j.Settings["role_arn"] != "" {
		t.Fatalf("journal after cleanup: created %+v, settings %v", j.Created, j.Settings)
	}

	// rerun: already disabled; with --delete-log-group the log group goes too
	plan, err = PrepareDisable(ctx, env, DisableInput{Cluster: cloudemu.StagingAWSClusterName, Cleanup: true, DeleteLogGroups: true})
	if err != nil {
		t.Fatal(err)
	}
	if !plan.AlreadyDisabled || len(plan.Items) != 1 || !plan.RemovesLogGroups() {
		t.Fatalf("second plan = %+v", plan)
	}
	if res, err = ApplyDisable(ctx, env, plan, fastDisable, nil); err != nil || !res.AlreadyDisabled || len(res.Removed) != 1 {
		t.Fatalf("second disable = %+v, %v", res, err)
	}
	if st, _ := awsiam.InspectLogGroup(ctx, env.AWS.LogsFor("us-east-2"), staging.LogGroup); st.Exists {
		t.Fatal("the log group survived --delete-log-group")
	}

	// prod: the tool's policy is detached and deleted, the hand-made role stays
	plan, err = PrepareDisable(ctx, env, DisableInput{Cluster: cloudemu.ProdAWSClusterName, Cleanup: true})
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(plan.Items, func(it CleanupItem) bool { return it.Kind == KindRole && it.ID == handARN }); i < 0 || plan.Items[i].Remove || !strings.Contains(plan.Items[i].Reason, "someone else made it") {
		t.Fatalf("the hand-made role is not kept with its reason: %+v", plan.Items)
	}
	res, err = ApplyDisable(ctx, env, plan, fastDisable, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := awsiam.InspectRole(ctx, env.AWS.IAM, "HandRole"); err != nil || !st.Exists {
		t.Fatalf("the hand-made role is gone: %+v, %v", st, err)
	}
	if st, _ := awsiam.InspectPolicy(ctx, env.AWS.IAM, prod.PolicyARN); st.Exists {
		t.Fatal("the tool's policy on the hand-made role survived")
	}
	if !slices.ContainsFunc(res.Kept, func(k string) bool {
		return strings.Contains(k, handARN) && strings.Contains(k, "someone else made it")
	}) {
		t.Fatalf("kept = %v", res.Kept)
	}
}

func TestDisableCleanupSparesWhatAnotherExportUses(t *testing.T) {
	ctx := context.Background()
	env, _ := lifecycleEnv(t, 0)
	staging := setUp(t, env, SetupInput{Cluster: cloudemu.StagingAWSClusterName})

	// another cluster's live export uses the same role (whatever any
	// journal says: there is none for it on this machine)
	if _, err := env.Cloud.EnableLogExport(ctx, cloudemu.ProdAWSClusterID, cloudapi.EnableLogExportRequest{
		Type: cloudapi.TypeAWSCloudWatch, LogName: "crdb-prod-aws", AuthPrincipal: staging.RoleARN,
	}); err != nil {
		t.Fatal(err)
	}
	plan, err := PrepareDisable(ctx, env, DisableInput{Cluster: cloudemu.StagingAWSClusterName, Cleanup: true})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(plan.Items, func(it CleanupItem) bool { return it.Kind == KindRole })
	if i < 0 || plan.Items[i].Remove || !strings.Contains(plan.Items[i].Reason, cloudemu.ProdAWSClusterName) {
		t.Fatalf("items = %+v", plan.Items)
	}
	if _, err := ApplyDisable(ctx, env, plan, fastDisable, nil); err != nil {
		t.Fatal(err)
	}
	if st, _ := awsiam.InspectRole(ctx, env.AWS.IAM, DefaultRoleNameFor(cloudemu.StagingAWSClusterName, cloudemu.StagingAWSClusterID)); !st.Exists {
		t.Fatal("cleanup removed a role another export uses")
	}
}

// fakeCloud answers like the API for one cluster whose disable fails.
type fakeCloud struct {
	mu      sync.Mutex
	deleted bool
	deletes int
}

const fakeClusterID = "1b2c3d4e-5f60-4a1b-8c2d-3e4f5a6b7c8d"

func (f *fakeCloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	base := "/api/v1/clusters/" + fakeClusterID
	write := func(v any) { _ = json.NewEncoder(w).Encode(v) }
	info := func(status cloudapi.Status, msg string) map[string]any {
		return map[string]any{"cluster_id": fakeClusterID, "status": status, "user_message": msg,
			"spec": map[string]any{"type": "AWS_CLOUDWATCH", "log_name": "crdb-x", "auth_principal": "arn:aws:iam::" + sandboxAccount + ":role/R"}}
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == base:
		write(map[string]any{"id": fakeClusterID, "name": "x", "plan": "ADVANCED", "cloud_provider": "AWS", "state": "CREATED", "regions": []any{map[string]any{"name": "us-east-1", "node_count": 3}}})
	case r.Method == http.MethodDelete && r.URL.Path == base+"/logexport":
		f.deleted = true
		f.deletes++
		write(info(cloudapi.StatusDisabling, ""))
	case r.Method == http.MethodGet && r.URL.Path == base+"/logexport" && f.deleted:
		write(info(cloudapi.StatusDisableFailed, "internal error: unable to remove the log sink; contact support"))
	case r.Method == http.MethodGet && r.URL.Path == base+"/logexport":
		write(info(cloudapi.StatusEnabled, ""))
	default:
		w.WriteHeader(http.StatusNotFound)
		write(map[string]any{"code": 5, "message": "not found"})
	}
}

func TestDisableFailedNamesTheUserMessage(t *testing.T) {
	ctx := context.Background()
	fake := &fakeCloud{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cloud, err := cloudapi.New(cloudapi.Options{BaseURL: srv.URL, APIKey: "k", Limiter: cloudapi.NewLimiter(0, nil)})
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Cloud: cloud, Journals: JournalStore{Dir: filepath.Join(t.TempDir(), "j")}}
	plan, err := PrepareDisable(ctx, env, DisableInput{Cluster: fakeClusterID})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ApplyDisable(ctx, env, plan, fastDisable, nil)
	se, ok := AsStepError(err)
	if !ok || se.Step != StepDisable || !strings.Contains(err.Error(), "unable to remove the log sink") || !se.Permanent {
		t.Fatalf("err = %v", err)
	}
	if res.Status != cloudapi.StatusDisableFailed || res.UserMessage == "" || fake.deletes != 1 {
		t.Fatalf("result = %+v after %d DELETEs", res, fake.deletes)
	}
	if !strings.Contains(StepLabel(se.Step), "Disable log export and wait") {
		t.Fatalf("label = %q", StepLabel(se.Step))
	}
}

func TestDisableOfANeverConfiguredExportSendsNothing(t *testing.T) {
	ctx := context.Background()
	env, sb := lifecycleEnv(t, 0)
	plan, err := PrepareDisable(ctx, env, DisableInput{Cluster: cloudemu.StandardAWSClusterName, Cleanup: true})
	if err != nil {
		t.Fatal(err)
	}
	if !plan.AlreadyDisabled || plan.Configured || len(plan.Items) != 0 {
		t.Fatalf("plan = %+v", plan)
	}
	res, err := ApplyDisable(ctx, env, plan, fastDisable, nil)
	if err != nil || !res.AlreadyDisabled || res.Status != cloudapi.StatusDisabled {
		t.Fatalf("result = %+v, %v", res, err)
	}
	if n := sb.Cloud.Controls().Stats().ByOperation["cloud:DeleteLogExport"]; n != 0 {
		t.Fatalf("%d DELETEs for an export that never existed", n)
	}
	if _, err := os.Stat(plan.JournalPath); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("disabling a cluster the tool never set up wrote a journal: %v", err)
	}
}
