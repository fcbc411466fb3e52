package cloudapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestLogExportNeverConfigured(t *testing.T) {
	rec := newRecorder().
		on("GET "+logExportURL, func(w http.ResponseWriter, _ *http.Request, _ int) {
			apiError(w, 404, 5, "log export configuration not found")
		}).
		on("DELETE "+logExportURL, func(w http.ResponseWriter, _ *http.Request, _ int) {
			apiError(w, 404, 5, "log export configuration not found")
		})
	c, _ := newTestClient(t, rec)
	info, err := c.LogExport(context.Background(), clusterID)
	if err != nil || info.Configured || info.Status != StatusDisabled || info.ClusterID != clusterID {
		t.Fatalf("info %+v, err %v; want DISABLED and not configured", info, err)
	}
	info, err = c.DeleteLogExport(context.Background(), clusterID)
	if err != nil || info.Configured || info.Status != StatusDisabled {
		t.Fatalf("delete: info %+v, err %v; want an idempotent DISABLED", info, err)
	}
	if n := len(rec.requests()); n != 2 {
		t.Fatalf("%d requests, want 2 (a 404 is not retried)", n)
	}
}

func TestLogExport404WithoutCodeIsAnError(t *testing.T) {
	// A wrong base URL or a proxy answers 404 without the API's code: that
	// must not pass for "never configured".
	rec := newRecorder().on("GET "+logExportURL, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(404)
		_, _ = io.WriteString(w, "404 page not found")
	})
	c, _ := newTestClient(t, rec)
	_, err := c.LogExport(context.Background(), clusterID)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != 404 || apiErr.Message != "Not Found: 404 page not found" {
		t.Fatalf("err = %v", err)
	}
}

func TestLogExportDecodes(t *testing.T) {
	created := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	rec := newRecorder().on("GET "+logExportURL, func(w http.ResponseWriter, _ *http.Request, _ int) {
		_, _ = io.WriteString(w, `{
			"cluster_id": "`+clusterID+`",
			"status": "CREDENTIALS_ERROR",
			"user_message": "unable to assume role",
			"created_at": "2026-06-01T10:00:00Z",
			"updated_at": "2026-06-01T10:05:00Z",
			"spec": {
				"type": "AWS_CLOUDWATCH", "log_name": "crdb", "auth_principal": "arn:aws:iam::111122223333:role/R",
				"aws_external_id": "ext", "region": "us-east-1", "redact": true,
				"omitted_channels": ["SESSIONS"],
				"groups": [{"log_name": "ops", "channels": ["OPS", "HEALTH"], "min_level": "WARNING", "redact": false, "enable_sending_queue": true}]
			}
		}`)
	})
	c, _ := newTestClient(t, rec)
	info, err := c.LogExport(context.Background(), clusterID)
	if err != nil {
		t.Fatal(err)
	}
	want := LogExportInfo{
		ClusterID: clusterID, Status: StatusCredentialsError, UserMessage: "unable to assume role",
		CreatedAt: created, UpdatedAt: created.Add(5 * time.Minute), Configured: true,
		Spec: LogExportSpec{
			Type: TypeAWSCloudWatch, LogName: "crdb", AuthPrincipal: "arn:aws:iam::111122223333:role/R",
			AWSExternalID: "ext", Region: "us-east-1", Redact: Bool(true), OmittedChannels: []string{"SESSIONS"},
			Groups: []LogExportGroup{{LogName: "ops", Channels: []string{"OPS", "HEALTH"}, MinLevel: LevelWarning, Redact: Bool(false), EnableSendingQueue: Bool(true)}},
		},
	}
	if !SpecsEqual(info.Spec, want.Spec) || info.Status != want.Status || info.UserMessage != want.UserMessage ||
		!info.CreatedAt.Equal(want.CreatedAt) || !info.UpdatedAt.Equal(want.UpdatedAt) || !info.Configured || info.ClusterID != clusterID {
		t.Fatalf("got %+v\nwant %+v", info, want)
	}
	if !info.Status.Failed() || !info.Status.Terminal() {
		t.Fatal("CREDENTIALS_ERROR must be a terminal failure")
	}
}

func TestEmptyClusterIDRefused(t *testing.T) {
	c, _ := newTestClient(t, newRecorder())
	ctx := context.Background()
	if _, err := c.Cluster(ctx, ""); err == nil {
		t.Error("Cluster(\"\") succeeded")
	}
	if _, err := c.LogExport(ctx, ""); err == nil {
		t.Error("LogExport(\"\") succeeded")
	}
	if _, err := c.EnableLogExport(ctx, "", validRequest()); err == nil {
		t.Error("EnableLogExport(\"\") succeeded")
	}
	if _, err := c.DeleteLogExport(ctx, ""); err == nil {
		t.Error("DeleteLogExport(\"\") succeeded")
	}
}
