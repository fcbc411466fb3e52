package cloudemu

import "time"

// Values of the enumerations in the OpenAPI specification that the emulator
// produces or checks.
const (
	PlanBasic    = "BASIC"
	PlanStandard = "STANDARD"
	PlanAdvanced = "ADVANCED"

	CloudAWS   = "AWS"
	CloudGCP   = "GCP"
	CloudAzure = "AZURE"

	StateCreated = "CREATED"
	StateLocked  = "LOCKED"
	StateDeleted = "DELETED"

	OperationNone      = "UNSPECIFIED"
	OperationLogExport = "CRDB_LOG_EXPORT_OPERATION_RUNNING"

	ExportAWSCloudWatch = "AWS_CLOUDWATCH"
	ExportGCPLogging    = "GCP_CLOUD_LOGGING"
	ExportAzureLogs     = "AZURE_LOG_ANALYTICS"

	StatusEnabling         = "ENABLING"
	StatusEnabled          = "ENABLED"
	StatusEnableFailed     = "ENABLE_FAILED"
	StatusDisabling        = "DISABLING"
	StatusDisabled         = "DISABLED"
	StatusDisableFailed    = "DISABLE_FAILED"
	StatusCredentialsError = "CREDENTIALS_ERROR"
)

// organization is the Organization schema.
type organization struct {
	CreatedAt time.Time `json:"created_at"`
	ID        string    `json:"id"`
	Label     string    `json:"label"`
	Name      string    `json:"name"`
}

// cluster is the Cluster schema plus keychain_config, which the real service
// returns for Standard clusters although the specification omits it.
type cluster struct {
	AccountID              string            `json:"account_id"`
	CIDRRange              string            `json:"cidr_range"`
	CloudProvider          string            `json:"cloud_provider"`
	CockroachVersion       string            `json:"cockroach_version"`
	Config                 clusterConfig     `json:"config"`
	CreatedAt              time.Time         `json:"created_at"`
	CreatorID              string            `json:"creator_id"`
	DeleteProtection       string            `json:"delete_protection"`
	DeletedAt              *time.Time        `json:"deleted_at,omitempty"`
	EgressTrafficPolicy    string            `json:"egress_traffic_policy"`
	ID                     string            `json:"id"`
	IsCustomerCloudAccount bool              `json:"is_customer_cloud_account"`
	KeychainConfig         *keychainConfig   `json:"keychain_config,omitempty"`
	Labels                 map[string]string `json:"labels"`
	Name                   string            `json:"name"`
	NetworkVisibility      string            `json:"network_visibility"`
	OperationStatus        string            `json:"operation_status"`
	ParentID               string            `json:"parent_id"`
	Plan                   string            `json:"plan"`
	Regions                []region          `json:"regions"`
	SQLDNS                 string            `json:"sql_dns"`
	State                  string            `json:"state"`
	UpdatedAt              time.Time         `json:"updated_at"`
	UpgradeStatus          string            `json:"upgrade_status"`
}

type keychainConfig struct {
	AWSAccountID string `json:"aws_account_id"`
}

type clusterConfig struct {
	Dedicated  *dedicatedConfig  `json:"dedicated,omitempty"`
	Serverless *serverlessConfig `json:"serverless,omitempty"`
}

type dedicatedConfig struct {
	DiskIOPS       int     `json:"disk_iops"`
	MachineType    string  `json:"machine_type"`
	MemoryGiB      float64 `json:"memory_gib"`
	NumVirtualCPUs int     `json:"num_virtual_cpus"`
	StorageGiB     int     `json:"storage_gib"`
}

type serverlessConfig struct {
	RoutingID   string       `json:"routing_id"`
	UpgradeType string       `json:"upgrade_type"`
	UsageLimits *usageLimits `json:"usage_limits,omitempty"`
}

// usageLimits carries int64 values as strings, as protobuf JSON does.
type usageLimits struct {
	ProvisionedVirtualCPUs string `json:"provisioned_virtual_cpus,omitempty"`
	RequestUnitLimit       string `json:"request_unit_limit,omitempty"`
	StorageMiBLimit        string `json:"storage_mib_limit,omitempty"`
}

type region struct {
	InternalDNS        string `json:"internal_dns"`
	Name               string `json:"name"`
	NodeCount          int    `json:"node_count"`
	PrivateEndpointDNS string `json:"private_endpoint_dns"`
	SQLDNS             string `json:"sql_dns"`
	UIDNS              string `json:"ui_dns"`
}

// clone returns a deep copy safe to hand to a background job or encoder
// while the original keeps changing.
func (c *cluster) clone() *cluster {
	cp := *c
	cp.Regions = append([]region(nil), c.Regions...)
	cp.Labels = make(map[string]string, len(c.Labels))
	for k, v := range c.Labels {
		cp.Labels[k] = v
	}
	if c.KeychainConfig != nil {
		kc := *c.KeychainConfig
		cp.KeychainConfig = &kc
	}
	if c.DeletedAt != nil {
		t := *c.DeletedAt
		cp.DeletedAt = &t
	}
	return &cp
}

// exportSpec is both the EnableLogExport request body and the stored
// LogExportClusterSpecification: the stored spec is the last accepted body.
// Booleans are pointers so that an explicit false is echoed back as sent.
type exportSpec struct {
	AuthPrincipal   string        `json:"auth_principal,omitempty"`
	AWSExternalID   string        `json:"aws_external_id,omitempty"`
	AzureSharedKey  string        `json:"azure_shared_key,omitempty"`
	Groups          []exportGroup `json:"groups,omitempty"`
	LogName         string        `json:"log_name,omitempty"`
	OmittedChannels []string      `json:"omitted_channels,omitempty"`
	Redact          *bool         `json:"redact,omitempty"`
	Region          string        `json:"region,omitempty"`
	Type            string        `json:"type,omitempty"`
}

// exportGroup is LogExportGroup, including enable_sending_queue from the
// newer specification.
type exportGroup struct {
	Channels           []string `json:"channels"`
	EnableSendingQueue *bool    `json:"enable_sending_queue,omitempty"`
	LogName            string   `json:"log_name"`
	MinLevel           string   `json:"min_level,omitempty"`
	Redact             *bool    `json:"redact,omitempty"`
}

func (s exportSpec) clone() exportSpec {
	cp := s
	cp.OmittedChannels = append([]string(nil), s.OmittedChannels...)
	cp.Groups = make([]exportGroup, len(s.Groups))
	for i, g := range s.Groups {
		g.Channels = append([]string(nil), g.Channels...)
		cp.Groups[i] = g
	}
	if len(s.Groups) == 0 {
		cp.Groups = nil
	}
	if len(s.OmittedChannels) == 0 {
		cp.OmittedChannels = nil
	}
	return cp
}

// exportInfo is LogExportClusterInfo.
type exportInfo struct {
	ClusterID   string     `json:"cluster_id"`
	CreatedAt   time.Time  `json:"created_at"`
	Spec        exportSpec `json:"spec"`
	Status      string     `json:"status"`
	UpdatedAt   time.Time  `json:"updated_at"`
	UserMessage string     `json:"user_message,omitempty"`
}

// errorBody is the Status schema every error answer carries.
type errorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details []any  `json:"details"`
}
