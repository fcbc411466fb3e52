package cloudemu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// exportRecord is one cluster's log export configuration and status.
type exportRecord struct {
	clusterID   string
	spec        exportSpec
	status      string
	userMessage string
	createdAt   time.Time
	updatedAt   time.Time
	// cancel stops the record's current job (enabling, writing events or
	// disabling); nil when none runs.
	cancel context.CancelFunc
}

func (e *exportRecord) info() exportInfo {
	return exportInfo{
		ClusterID:   e.clusterID,
		CreatedAt:   e.createdAt,
		Spec:        e.spec.clone(),
		Status:      e.status,
		UpdatedAt:   e.updatedAt,
		UserMessage: e.userMessage,
	}
}

// Channels CockroachDB Cloud exports, and those it refuses to.
var (
	exportableChannels = []string{"SESSIONS", "OPS", "HEALTH", "STORAGE", "SQL_SCHEMA", "USER_ADMIN", "PRIVILEGES", "SENSITIVE_ACCESS", "SQL_EXEC", "SQL_PERF", "CHANGEFEED"}
	internalChannels   = map[string]bool{"DEV": true, "KV_DISTRIBUTION": true, "SQL_INTERNAL_PERF": true, "TELEMETRY": true}
	logLevels          = map[string]bool{"UNSPECIFIED": true, "WARNING": true, "ERROR": true, "FATAL": true}
	exportTypes        = map[string]bool{ExportAWSCloudWatch: true, ExportGCPLogging: true, ExportAzureLogs: true}
)

func isExportable(ch string) bool {
	for _, c := range exportableChannels {
		if c == ch {
			return true
		}
	}
	return false
}

var (
	roleARNPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^arn:aws:iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$`)
	})
	externalIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@:/-]+$`) })
	awsRegionPattern  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`) })
	logGroupPattern   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[.\-_/#A-Za-z0-9]{1,512}$`) })
)

// arnShaped reports whether s has an ARN's six colon-separated parts,
// arn:partition:service:region:account:resource, whatever it names.
func arnShaped(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] != "" && parts[5] != ""
}

// parseRoleARN returns the account and role name of a role ARN.
func parseRoleARN(arn string) (account, name string, ok bool) {
	m := roleARNPattern().FindStringSubmatch(arn)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

func (s *Server) getLogExport(w http.ResponseWriter, _ *http.Request, id string) {
	s.mu.Lock()
	_, known := s.clusters[id]
	rec := s.exports[id]
	var info exportInfo
	if rec != nil {
		info = rec.info()
	}
	s.mu.Unlock()
	if !known {
		writeError(w, http.StatusNotFound, codeNotFound, fmt.Sprintf("cluster %s not found", id))
		return
	}
	if rec == nil {
		// Only a cluster that never had log export configured answers 404;
		// after a DELETE the configuration stays readable as DISABLED.
		writeError(w, http.StatusNotFound, codeNotFound, "log export configuration not found")
		return
	}
	writeJSON(w, http.StatusOK, info)
}

// lockedMessage is the answer to a POST or DELETE while a log export job
// holds the cluster lock. The real API reports this as a failed
// precondition, HTTP 400 with gRPC code 9 and a message about the lock;
// clients are expected to wait for state CREATED and retry.
const lockedMessage = "cluster is locked: a log export operation is already in progress; retry when it completes"

func (s *Server) enableLogExport(w http.ResponseWriter, r *http.Request, id string) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeInvalidArgument, "unable to read the request body")
		return
	}
	spec, err := decodeSpec(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeInvalidArgument, err.Error())
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clusters[id]
	if !ok {
		writeError(w, http.StatusNotFound, codeNotFound, fmt.Sprintf("cluster %s not found", id))
		return
	}
	if c.State == StateDeleted {
		writeError(w, http.StatusBadRequest, codeFailedPrecondition, fmt.Sprintf("cluster %s has been deleted", id))
		return
	}
	if err := validateSpec(c, spec); err != nil {
		writeError(w, http.StatusBadRequest, codeInvalidArgument, err.Error())
		return
	}
	if c.State == StateLocked {
		writeError(w, http.StatusBadRequest, codeFailedPrecondition, lockedMessage)
		return
	}
	now := time.Now().UTC()
	rec := s.exports[id]
	if rec == nil {
		rec = &exportRecord{clusterID: id, createdAt: now}
		s.exports[id] = rec
	}
	rec.spec = spec
	rec.status = StatusEnabling
	rec.userMessage = ""
	rec.updatedAt = now
	s.lockClusterLocked(c, now)
	tgt := newTarget(c, spec)
	s.startJobLocked(rec, func(ctx context.Context) { s.runEnable(ctx, rec, c, tgt) })
	writeJSON(w, http.StatusOK, rec.info())
}

func (s *Server) deleteLogExport(w http.ResponseWriter, _ *http.Request, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clusters[id]
	if !ok {
		writeError(w, http.StatusNotFound, codeNotFound, fmt.Sprintf("cluster %s not found", id))
		return
	}
	rec := s.exports[id]
	if rec == nil {
		writeError(w, http.StatusNotFound, codeNotFound, "log export configuration not found")
		return
	}
	if c.State == StateLocked {
		writeError(w, http.StatusBadRequest, codeFailedPrecondition, lockedMessage)
		return
	}
	if rec.status == StatusDisabled {
		// Already off: nothing to run, the answer is the current state.
		writeJSON(w, http.StatusOK, rec.info())
		return
	}
	now := time.Now().UTC()
	rec.status = StatusDisabling
	rec.userMessage = ""
	rec.updatedAt = now
	s.lockClusterLocked(c, now)
	s.startJobLocked(rec, func(ctx context.Context) { s.runDisable(ctx, rec, c) })
	writeJSON(w, http.StatusOK, rec.info())
}

func (s *Server) lockClusterLocked(c *cluster, now time.Time) {
	c.State = StateLocked
	c.OperationStatus = OperationLogExport
	c.UpdatedAt = now
}

// decodeSpec reads the EnableLogExport body. Like the real gateway it
// ignores fields it does not know and refuses wrongly typed values and
// unknown enum names.
func decodeSpec(body []byte) (exportSpec, error) {
	var spec exportSpec
	if len(bytes.TrimSpace(body)) == 0 {
		return spec, errors.New("request body is required")
	}
	if err := json.Unmarshal(body, &spec); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return spec, fmt.Errorf("invalid value for field %q: expected %s, got JSON %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return spec, fmt.Errorf("request body is not valid JSON: %v", err)
	}
	if spec.Type != "" && !exportTypes[spec.Type] {
		return spec, fmt.Errorf("invalid value for enum field type: %q", spec.Type)
	}
	for i, g := range spec.Groups {
		if g.MinLevel != "" && !logLevels[g.MinLevel] {
			return spec, fmt.Errorf("invalid value for enum field groups[%d].min_level: %q (want UNSPECIFIED, WARNING, ERROR or FATAL)", i, g.MinLevel)
		}
	}
	return spec, nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	case "struct", "map":
		return "object"
	default:
		return goKind
	}
}

// validateSpec applies the service's checks of an EnableLogExport body
// against the cluster it is for. The messages name the field at fault.
func validateSpec(c *cluster, spec exportSpec) error {
	if c.Plan == PlanBasic {
		return errors.New("log export is not supported for Basic clusters; upgrade the cluster to Standard or Advanced")
	}
	if spec.Type == "" {
		return errors.New("type is required: one of AWS_CLOUDWATCH, GCP_CLOUD_LOGGING, AZURE_LOG_ANALYTICS")
	}
	if spec.LogName == "" {
		return errors.New("log_name is required")
	}
	if spec.AuthPrincipal == "" {
		return errors.New("auth_principal is required")
	}
	wantType := map[string]string{CloudAWS: ExportAWSCloudWatch, CloudGCP: ExportGCPLogging, CloudAzure: ExportAzureLogs}[c.CloudProvider]
	if spec.Type != wantType {
		return fmt.Errorf("log export type %s is not supported for clusters on %s; use %s", spec.Type, c.CloudProvider, wantType)
	}
	if spec.AzureSharedKey != "" && spec.Type != ExportAzureLogs {
		return errors.New("azure_shared_key is only used with type AZURE_LOG_ANALYTICS")
	}
	if spec.AWSExternalID != "" {
		if c.Plan != PlanAdvanced || c.CloudProvider != CloudAWS {
			return errors.New("aws_external_id is only supported for Advanced clusters on AWS")
		}
		if n := len(spec.AWSExternalID); n < 2 || n > 1224 || !externalIDPattern().MatchString(spec.AWSExternalID) {
			return errors.New("aws_external_id must be 2 to 1224 characters of letters, digits and +=,.@:/-_")
		}
	}
	if spec.Type == ExportAWSCloudWatch {
		if spec.Region != "" && !awsRegionPattern().MatchString(spec.Region) {
			return fmt.Errorf("region %q is not an AWS region", spec.Region)
		}
		if !logGroupPattern().MatchString(spec.LogName) {
			return fmt.Errorf("log_name %q is not a valid CloudWatch log group name: use 1 to 512 of a-z, A-Z, 0-9, '_', '-', '/', '.', '#'", spec.LogName)
		}
	}
	for _, ch := range spec.OmittedChannels {
		if err := checkChannel(ch, "omitted_channels"); err != nil {
			return err
		}
	}
	seen := map[string]int{}
	queues := 0
	for i, g := range spec.Groups {
		field := fmt.Sprintf("groups[%d]", i)
		if g.LogName == "" {
			return fmt.Errorf("%s.log_name is required", field)
		}
		if spec.Type == ExportAWSCloudWatch && !logGroupPattern().MatchString(g.LogName) {
			return fmt.Errorf("%s.log_name %q is not a valid CloudWatch log group name", field, g.LogName)
		}
		if len(g.Channels) == 0 {
			return fmt.Errorf("%s.channels must name at least one channel", field)
		}
		for _, ch := range g.Channels {
			if err := checkChannel(ch, field+".channels"); err != nil {
				return err
			}
			if j, dup := seen[ch]; dup {
				return fmt.Errorf("channel %s is in both groups[%d] and %s; a channel can be routed to one group only", ch, j, field)
			}
			seen[ch] = i
		}
		if g.EnableSendingQueue != nil && *g.EnableSendingQueue {
			queues++
		}
	}
	if queues > 1 {
		return errors.New("at most one group may set enable_sending_queue")
	}
	return nil
}

func checkChannel(ch, field string) error {
	switch {
	case isExportable(ch):
		return nil
	case internalChannels[ch]:
		return fmt.Errorf("invalid channel %q in %s: %s logs cannot be exported; exportable channels are %s", ch, field, ch, strings.Join(exportableChannels, ", "))
	default:
		return fmt.Errorf("invalid channel %q in %s: unknown channel; exportable channels are %s", ch, field, strings.Join(exportableChannels, ", "))
	}
}
