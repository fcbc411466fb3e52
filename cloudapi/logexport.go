package cloudapi

import (
	"context"
	"errors"
	"net/http"
)

func logExportPath(clusterID string) string { return clusterPath(clusterID) + "/logexport" }

// isNeverConfigured recognises the API's answer for a cluster that has no
// log export configuration: 404 with gRPC code NOT_FOUND. A 404 without
// that code (a proxy's page, a wrong base URL) is not taken for it.
func isNeverConfigured(err error) bool {
	e, ok := asAPIError(err)
	return ok && e.HTTPStatus == http.StatusNotFound && e.Code == codeNotFound
}

func notConfigured(clusterID string) LogExportInfo {
	return LogExportInfo{ClusterID: clusterID, Status: StatusDisabled, Configured: false}
}

// LogExport returns the cluster's log export configuration and status.
//
// A cluster that has never had log export configured is not an error: the
// result has Status DISABLED and Configured false. (The API answers that
// case with 404 code 5, which it may also use for a cluster ID it does not
// know; resolve the cluster first when that matters.)
func (c *Client) LogExport(ctx context.Context, clusterID string) (LogExportInfo, error) {
	if clusterID == "" {
		return LogExportInfo{}, errors.New("get log export: no cluster ID")
	}
	var info LogExportInfo
	err := c.do(ctx, call{op: "get log export", method: http.MethodGet, path: logExportPath(clusterID)}, &info)
	if isNeverConfigured(err) {
		return notConfigured(clusterID), nil
	}
	if err != nil {
		return LogExportInfo{}, err
	}
	info.Configured = true
	return info, nil
}

// EnableLogExport creates or replaces the cluster's whole log export
// configuration; the answer normally has status ENABLING. The request is
// sent as given: call req.Validate first to catch what the API would
// refuse. It is re-sent only when the server refused it unapplied (rate
// limited, or the cluster locked by another operation, in which case it
// waits for the cluster to be CREATED again).
func (c *Client) EnableLogExport(ctx context.Context, clusterID string, req EnableLogExportRequest) (LogExportInfo, error) {
	if clusterID == "" {
		return LogExportInfo{}, errors.New("enable log export: no cluster ID")
	}
	var info LogExportInfo
	err := c.do(ctx, call{op: "enable log export", method: http.MethodPost, path: logExportPath(clusterID), body: req, cluster: clusterID}, &info)
	if err != nil {
		return LogExportInfo{}, err
	}
	info.Configured = true
	return info, nil
}

// DeleteLogExport disables log export for the cluster; the answer normally
// has status DISABLING. Deleting a configuration that does not exist
// succeeds with Status DISABLED and Configured false, so disabling is
// idempotent. Retries follow the same rules as EnableLogExport.
func (c *Client) DeleteLogExport(ctx context.Context, clusterID string) (LogExportInfo, error) {
	if clusterID == "" {
		return LogExportInfo{}, errors.New("disable log export: no cluster ID")
	}
	var info LogExportInfo
	err := c.do(ctx, call{op: "disable log export", method: http.MethodDelete, path: logExportPath(clusterID), cluster: clusterID}, &info)
	if isNeverConfigured(err) {
		return notConfigured(clusterID), nil
	}
	if err != nil {
		return LogExportInfo{}, err
	}
	info.Configured = true
	return info, nil
}
