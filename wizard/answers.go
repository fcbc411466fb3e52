package wizard

import (
	"strconv"
	"strings"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// How the role is provided.
const (
	roleCreate   = "create"
	roleExisting = "existing"
)

// Region restriction of the permission policy.
const (
	regionsAll     = "all"
	regionsCluster = "cluster"
)

// External ID choices beyond steps.ExternalIDAuto and steps.ExternalIDNone.
const externalCustom = "custom"

// answers are what the user chose. Huh fields are bound to these fields, so
// they change as the user types.
type answers struct {
	apiKey     string
	clusterID  string
	logGroup   string
	retention  int
	roleMode   string
	roleName   string
	policyName string
	regions    string
	extChoice  string
	extValue   string
	roleARN    string
	// rolePick is the choice offered after a policy ARN was pasted: a role
	// ARN, or one of the pick* values.
	rolePick string
	// retentionPreset: --retention-days was given, so existing log groups
	// are changed to it too.
	retentionPreset bool
	// defaultLogGroup, defaultRoleName and defaultPolicyName are the names
	// the wizard filled in itself (this cluster's defaults).
	defaultLogGroup, defaultRoleName, defaultPolicyName string
}

// Choices after a policy ARN was pasted where a role ARN belongs.
const (
	pickAnother = "another"
	pickCreate  = "create"
)

// newAnswers starts from the flags (defaults where none were given).
func newAnswers(in steps.SetupInput) answers {
	a := answers{
		logGroup:        in.LogGroup,
		retention:       in.RetentionDays,
		retentionPreset: in.RetentionSet,
		roleName:        in.RoleName,
		policyName:      in.PolicyName,
		roleMode:        roleCreate,
		regions:         regionsAll,
		extChoice:       steps.ExternalIDAuto,
		roleARN:         in.RoleARN,
	}
	if a.retention == 0 {
		a.retention = steps.DefaultRetentionDays
	}
	if in.RoleARN != "" {
		a.roleMode = roleExisting
	}
	if in.RestrictRegions {
		a.regions = regionsCluster
	}
	switch in.ExternalID {
	case "", steps.ExternalIDAuto:
	case steps.ExternalIDNone:
		a.extChoice = steps.ExternalIDNone
	default:
		a.extChoice, a.extValue = externalCustom, in.ExternalID
	}
	return a
}

// forCluster fills the answers that depend on the chosen cluster. A log
// group name the wizard defaulted for another cluster follows the new one;
// one the user typed or passed as a flag stays.
func (a *answers) forCluster(c cloudapi.Cluster) {
	if a.logGroup == "" || a.logGroup == a.defaultLogGroup {
		a.logGroup = steps.DefaultLogGroup(c.Name)
		a.defaultLogGroup = a.logGroup
	}
	if a.roleName == "" || a.roleName == a.defaultRoleName {
		a.roleName = steps.DefaultRoleNameFor(c.Name, c.ID)
		a.defaultRoleName = a.roleName
	}
	if a.policyName == "" || a.policyName == a.defaultPolicyName {
		a.policyName = steps.DefaultPolicyNameFor(c.Name, c.ID)
		a.defaultPolicyName = a.policyName
	}
	a.clusterID = c.ID
	if a.roleMode == roleExisting && a.extChoice == steps.ExternalIDAuto && c.Plan != cloudapi.PlanStandard {
		// A role the user brings has its own trust policy; a generated ID
		// could not be in it.
		a.extChoice = steps.ExternalIDNone
	}
}

// input turns the answers into what steps.Prepare takes, keeping the
// settings that only flags give (channels, redaction, export region).
func (a *answers) input(base steps.SetupInput, cluster cloudapi.Cluster) steps.SetupInput {
	in := base
	in.Cluster = cluster.ID
	in.LogGroup = strings.TrimSpace(a.logGroup)
	in.RetentionDays = a.retention
	in.RetentionSet = a.retentionPreset || a.retention != steps.DefaultRetentionDays
	in.RestrictRegions = a.regions == regionsCluster
	in.RoleARN, in.RoleName, in.PolicyName = "", "", ""
	if a.roleMode == roleExisting {
		in.RoleARN = strings.TrimSpace(a.roleARN)
	} else {
		// Names left at this cluster's defaults are left to setup, which
		// keeps the role the export already uses.
		if name := strings.TrimSpace(a.roleName); name != a.defaultRoleName {
			in.RoleName = name
		}
		if name := strings.TrimSpace(a.policyName); name != a.defaultPolicyName {
			in.PolicyName = name
		}
	}
	switch {
	case cluster.Plan == cloudapi.PlanStandard:
		in.ExternalID = steps.ExternalIDAuto
	case a.extChoice == externalCustom:
		in.ExternalID = strings.TrimSpace(a.extValue)
	default:
		in.ExternalID = a.extChoice
	}
	return in
}

// resume is the command line that repeats the setup non-interactively with
// these answers. Defaults are left out so it stays short; it never holds the
// API key (no flag carries it).
func resumeCommand(base string, in steps.SetupInput, cluster cloudapi.Cluster) string {
	parts := []string{base, "--cluster", steps.ShellQuote(firstNonEmpty(cluster.Name, cluster.ID))}
	add := func(flag, value string) { parts = append(parts, flag, steps.ShellQuote(value)) }
	if in.LogGroup != "" && in.LogGroup != steps.DefaultLogGroup(cluster.Name) {
		add("--log-group", in.LogGroup)
	}
	if in.RetentionSet {
		add("--retention-days", strconv.Itoa(in.RetentionDays))
	}
	if in.RoleARN != "" {
		add("--role-arn", in.RoleARN)
	} else {
		if in.RoleName != "" && in.RoleName != steps.DefaultRoleNameFor(cluster.Name, cluster.ID) {
			add("--role-name", in.RoleName)
		}
		if in.PolicyName != "" && in.PolicyName != steps.DefaultPolicyNameFor(cluster.Name, cluster.ID) {
			add("--policy-name", in.PolicyName)
		}
	}
	if in.RestrictRegions {
		parts = append(parts, "--restrict-regions")
	}
	if in.ExternalID != "" && in.ExternalID != steps.ExternalIDAuto {
		add("--external-id", in.ExternalID)
	}
	if len(in.Channels) > 0 {
		add("--channels", strings.Join(in.Channels, ","))
	}
	if len(in.OmitChannels) > 0 {
		add("--omit-channels", strings.Join(in.OmitChannels, ","))
	}
	if in.Redact != nil {
		parts = append(parts, "--redact="+strconv.FormatBool(*in.Redact))
	}
	if in.ExportRegion != "" {
		add("--export-region", in.ExportRegion)
	}
	return strings.Join(append(parts, "--yes"), " ")
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
