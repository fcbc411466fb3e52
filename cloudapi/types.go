package cloudapi

import (
	"slices"
	"time"
)

// APIVersion is the value sent in the Cc-Version header: the version of the
// OpenAPI document this package was written against.
const APIVersion = "2024-09-16"

// DefaultBaseURL is CockroachDB Cloud's public API endpoint.
const DefaultBaseURL = "https://cockroachlabs.cloud"

// Organization is the organization the API key belongs to.
type Organization struct {
	ID        string    `json:"id"`
	Label     string    `json:"label"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Plan is a cluster's plan (Plan.Type in the spec).
type Plan string

// Plans.
const (
	PlanBasic    Plan = "BASIC"
	PlanStandard Plan = "STANDARD"
	PlanAdvanced Plan = "ADVANCED"
)

// CloudProvider is where a cluster runs (CloudProvider.Type in the spec).
type CloudProvider string

// Cloud providers.
const (
	ProviderAWS   CloudProvider = "AWS"
	ProviderGCP   CloudProvider = "GCP"
	ProviderAzure CloudProvider = "AZURE"
)

// ClusterState is a cluster's lifecycle state (ClusterState.Type).
type ClusterState string

// Cluster states. LOCKED means an exclusive operation (such as a log export
// job) is running and other changes are refused until it ends.
const (
	StateCreating       ClusterState = "CREATING"
	StateCreated        ClusterState = "CREATED"
	StateCreationFailed ClusterState = "CREATION_FAILED"
	StateDeleted        ClusterState = "DELETED"
	StateLocked         ClusterState = "LOCKED"
)

// OperationStatus names the operation a cluster is busy with
// (ClusterStatus.Type). Only the values this tool reacts to are named;
// others are carried through as they come.
type OperationStatus string

// Operation statuses this tool looks at.
const (
	OperationUnspecified      OperationStatus = "UNSPECIFIED"
	OperationLogExportRunning OperationStatus = "CRDB_LOG_EXPORT_OPERATION_RUNNING"
	OperationLogExportFailed  OperationStatus = "CRDB_LOG_EXPORT_OPERATION_FAILED"
)

// Region is one of a cluster's regions.
type Region struct {
	Name               string `json:"name"`
	NodeCount          int    `json:"node_count"`
	Primary            bool   `json:"primary,omitempty"`
	SQLDNS             string `json:"sql_dns,omitempty"`
	UIDNS              string `json:"ui_dns,omitempty"`
	InternalDNS        string `json:"internal_dns,omitempty"`
	PrivateEndpointDNS string `json:"private_endpoint_dns,omitempty"`
}

// KeychainConfig is sent by the real API for Standard clusters although the
// OpenAPI document does not describe it. Its aws_account_id is the account
// that assumes the customer's role for a Standard cluster.
type KeychainConfig struct {
	AWSAccountID string `json:"aws_account_id,omitempty"`
}

// Cluster is the part of the spec's Cluster object this tool uses.
type Cluster struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	CockroachVersion string            `json:"cockroach_version,omitempty"`
	Plan             Plan              `json:"plan"`
	CloudProvider    CloudProvider     `json:"cloud_provider"`
	State            ClusterState      `json:"state"`
	OperationStatus  OperationStatus   `json:"operation_status,omitempty"`
	Regions          []Region          `json:"regions"`
	AccountID        string            `json:"account_id,omitempty"`
	KeychainConfig   *KeychainConfig   `json:"keychain_config,omitempty"`
	Labels           map[string]string `json:"labels,omitempty"`
	CreatedAt        time.Time         `json:"created_at,omitzero"`
	UpdatedAt        time.Time         `json:"updated_at,omitzero"`
}

// ExportAccountID is the AWS account that assumes the customer's role when
// the cluster exports logs: account_id for Advanced clusters, the
// keychain's aws_account_id for Standard ones. It is "" when the API did not
// provide one (Basic clusters, or a Standard cluster without keychain).
func (c Cluster) ExportAccountID() string {
	if c.Plan == PlanStandard {
		if c.KeychainConfig != nil {
			return c.KeychainConfig.AWSAccountID
		}
		return ""
	}
	return c.AccountID
}

// RegionNames lists the cluster's region names in API order, without
// duplicates.
func (c Cluster) RegionNames() []string {
	names := make([]string, 0, len(c.Regions))
	for _, r := range c.Regions {
		if r.Name != "" && !slices.Contains(names, r.Name) {
			names = append(names, r.Name)
		}
	}
	return names
}

// ExportRegions lists the regions logs are delivered to under spec: the
// spec's region override when set, otherwise every region the cluster has
// nodes in (each region exports to the same-named log group in itself).
func (c Cluster) ExportRegions(spec LogExportSpec) []string {
	if spec.Region != "" {
		return []string{spec.Region}
	}
	return c.RegionNames()
}

// Status is a log export configuration's status (LogExportStatus).
type Status string

// Log export statuses.
const (
	StatusEnabling         Status = "ENABLING"
	StatusEnabled          Status = "ENABLED"
	StatusEnableFailed     Status = "ENABLE_FAILED"
	StatusDisabling        Status = "DISABLING"
	StatusDisabled         Status = "DISABLED"
	StatusDisableFailed    Status = "DISABLE_FAILED"
	StatusCredentialsError Status = "CREDENTIALS_ERROR"
)

// Known reports whether the status is one of the API's statuses as this
// version knows them. The API may add statuses; a caller waiting for one
// it knows stops at one it does not, instead of waiting it out.
func (s Status) Known() bool {
	switch s {
	case StatusEnabling, StatusEnabled, StatusEnableFailed, StatusDisabling, StatusDisabled, StatusDisableFailed, StatusCredentialsError:
		return true
	}
	return false
}

// Terminal reports whether the status is one a configuration rests in:
// ENABLED, DISABLED or a failure. ENABLING and DISABLING are transitions.
func (s Status) Terminal() bool {
	return s == StatusEnabled || s == StatusDisabled || s.Failed()
}

// Failed reports whether the status is a terminal failure. Its
// LogExportInfo.UserMessage says why and should always be shown with it.
func (s Status) Failed() bool {
	return s == StatusEnableFailed || s == StatusDisableFailed || s == StatusCredentialsError
}

// LogExportType is the destination kind. This tool only writes
// AWS_CLOUDWATCH but reads whatever is configured.
type LogExportType string

// Destination kinds.
const (
	TypeAWSCloudWatch     LogExportType = "AWS_CLOUDWATCH"
	TypeGCPCloudLogging   LogExportType = "GCP_CLOUD_LOGGING"
	TypeAzureLogAnalytics LogExportType = "AZURE_LOG_ANALYTICS"
)

// LogLevel is a group's minimum severity (LogLevel.Type). UNSPECIFIED and
// the empty value both mean "all levels".
type LogLevel string

// Log levels.
const (
	LevelUnspecified LogLevel = "UNSPECIFIED"
	LevelWarning     LogLevel = "WARNING"
	LevelError       LogLevel = "ERROR"
	LevelFatal       LogLevel = "FATAL"
)

// LogExportGroup routes a set of channels to their own log group.
type LogExportGroup struct {
	LogName  string   `json:"log_name"`
	Channels []string `json:"channels"`
	MinLevel LogLevel `json:"min_level,omitempty"`
	// Redact nil inherits the configuration's Redact.
	Redact *bool `json:"redact,omitempty"`
	// EnableSendingQueue is newer than the released OpenAPI document and
	// feature-flagged server-side; at most one group may set it. It is only
	// sent when set.
	EnableSendingQueue *bool `json:"enable_sending_queue,omitempty"`
}

// LogExportSpec is a cluster's log export configuration as the API reports
// it (LogExportClusterSpecification).
type LogExportSpec struct {
	Type            LogExportType    `json:"type,omitempty"`
	LogName         string           `json:"log_name,omitempty"`
	AuthPrincipal   string           `json:"auth_principal,omitempty"`
	AWSExternalID   string           `json:"aws_external_id,omitempty"`
	Region          string           `json:"region,omitempty"`
	Redact          *bool            `json:"redact,omitempty"`
	OmittedChannels []string         `json:"omitted_channels,omitempty"`
	Groups          []LogExportGroup `json:"groups,omitempty"`
}

// LogGroups lists every log group the configuration writes to: log_name,
// then each group's log_name, each once and in that order.
func (s LogExportSpec) LogGroups() []string {
	out := []string{}
	add := func(name string) {
		if name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	add(s.LogName)
	for _, g := range s.Groups {
		add(g.LogName)
	}
	return out
}

// Request turns a reported configuration into the body that would POST it
// unchanged. The API replaces the whole configuration on every POST, so an
// update starts from this and edits it.
func (s LogExportSpec) Request() EnableLogExportRequest {
	return EnableLogExportRequest{
		Type:            s.Type,
		LogName:         s.LogName,
		AuthPrincipal:   s.AuthPrincipal,
		AWSExternalID:   s.AWSExternalID,
		Region:          s.Region,
		Redact:          cloneBool(s.Redact),
		OmittedChannels: slices.Clone(s.OmittedChannels),
		Groups:          cloneGroups(s.Groups),
	}
}

// EnableLogExportRequest is the body of POST /api/v1/clusters/{id}/logexport
// for CloudWatch: the spec's fields for that body, no more. The Azure-only
// azure_shared_key is deliberately absent (this tool never sends secrets of
// its own). The POST replaces the whole configuration.
type EnableLogExportRequest struct {
	Type          LogExportType `json:"type"`
	LogName       string        `json:"log_name"`
	AuthPrincipal string        `json:"auth_principal"`
	// AWSExternalID must stay empty for Standard clusters: the API rejects
	// it there (their trust policy uses the cluster ID instead).
	AWSExternalID   string           `json:"aws_external_id,omitempty"`
	Region          string           `json:"region,omitempty"`
	Redact          *bool            `json:"redact,omitempty"`
	OmittedChannels []string         `json:"omitted_channels,omitempty"`
	Groups          []LogExportGroup `json:"groups,omitempty"`
}

// Spec is the configuration the API will report once the request is
// applied, for comparing with SpecsEqual.
func (r EnableLogExportRequest) Spec() LogExportSpec {
	return LogExportSpec{
		Type:            r.Type,
		LogName:         r.LogName,
		AuthPrincipal:   r.AuthPrincipal,
		AWSExternalID:   r.AWSExternalID,
		Region:          r.Region,
		Redact:          cloneBool(r.Redact),
		OmittedChannels: slices.Clone(r.OmittedChannels),
		Groups:          cloneGroups(r.Groups),
	}
}

// LogExportInfo is a cluster's log export configuration and its deployment
// status (LogExportClusterInfo).
type LogExportInfo struct {
	ClusterID   string        `json:"cluster_id,omitempty"`
	Status      Status        `json:"status,omitempty"`
	UserMessage string        `json:"user_message,omitempty"`
	Spec        LogExportSpec `json:"spec"`
	CreatedAt   time.Time     `json:"created_at,omitzero"`
	UpdatedAt   time.Time     `json:"updated_at,omitzero"`
	// Configured is false when the cluster has never had log export
	// configured (the API answers 404 with gRPC code 5). Client.LogExport
	// then reports Status DISABLED rather than an error, so callers can
	// treat "never configured" and "disabled" alike or tell them apart.
	Configured bool `json:"-"`
}

// Bool returns a pointer to v, for the optional booleans of a request.
func Bool(v bool) *bool { return &v }

func cloneBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	return Bool(*b)
}

func cloneGroups(gs []LogExportGroup) []LogExportGroup {
	if gs == nil {
		return nil
	}
	out := make([]LogExportGroup, len(gs))
	for i, g := range gs {
		out[i] = LogExportGroup{
			LogName:            g.LogName,
			Channels:           slices.Clone(g.Channels),
			MinLevel:           g.MinLevel,
			Redact:             cloneBool(g.Redact),
			EnableSendingQueue: cloneBool(g.EnableSendingQueue),
		}
	}
	return out
}
