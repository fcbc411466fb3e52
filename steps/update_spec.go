package steps

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// SpecEdit is a change to an export configuration, as `update` flags or
// the update form express it. Zero fields leave the current value alone;
// everything not mentioned is carried over, because the API replaces the
// whole configuration on every POST.
type SpecEdit struct {
	// LogGroup is the new log_name; "" keeps the current one.
	LogGroup string `json:"log_group,omitempty"`
	// RoleARN is the new auth_principal; "" keeps the current one.
	RoleARN string `json:"role_arn,omitempty"`
	Redact  *bool  `json:"redact,omitempty"`
	// ExportRegion sets the region override; a pointer to "" removes it
	// (each region then exports to its own log group again).
	ExportRegion *string `json:"export_region,omitempty"`
	// OmitChannels replaces omitted_channels (a pointer to an empty list
	// exports every channel). Channels is the other way to say it: export
	// only these, omit the rest. They cannot both be set. In JSON, null
	// and [] differ as nil and empty do.
	OmitChannels *[]string `json:"omit_channels,omitempty"`
	Channels     []string  `json:"channels"`
	// ClearGroups removes every group before Groups are applied.
	ClearGroups bool `json:"clear_groups,omitempty"`
	// RemoveGroups removes the groups with these log names.
	RemoveGroups []string `json:"remove_groups,omitempty"`
	// Groups adds groups, or replaces the group with the same log_name.
	Groups []cloudapi.LogExportGroup `json:"groups,omitempty"`
}

// IsZero reports whether the edit changes nothing.
func (e SpecEdit) IsZero() bool {
	return e.LogGroup == "" && e.RoleARN == "" && e.Redact == nil && e.ExportRegion == nil &&
		e.OmitChannels == nil && e.Channels == nil && !e.ClearGroups && len(e.RemoveGroups) == 0 && len(e.Groups) == 0
}

// Apply returns cur with the edit applied. cur is not modified; the result
// shares nothing with it.
func (e SpecEdit) Apply(cur cloudapi.LogExportSpec) (cloudapi.LogExportSpec, error) {
	out := cur.Request().Spec()
	if e.LogGroup != "" {
		out.LogName = e.LogGroup
	}
	if e.RoleARN != "" {
		out.AuthPrincipal = e.RoleARN
	}
	if e.Redact != nil {
		out.Redact = cloudapi.Bool(*e.Redact)
	}
	if e.ExportRegion != nil {
		out.Region = *e.ExportRegion
	}
	switch {
	case e.Channels != nil && e.OmitChannels != nil:
		return out, errors.New("--channels and --omit-channels cannot be used together: --channels lists what to export, --omit-channels what to leave out")
	case e.Channels != nil:
		if len(e.Channels) == 0 {
			return out, errors.New("--channels needs at least one channel (to export everything, use --omit-channels '')")
		}
		if err := cloudapi.ValidateChannels(e.Channels); err != nil {
			return out, fmt.Errorf("--channels: %w", err)
		}
		out.OmittedChannels = nil
		for _, ch := range cloudapi.ExportableChannels() {
			if !slices.Contains(e.Channels, ch) {
				out.OmittedChannels = append(out.OmittedChannels, ch)
			}
		}
	case e.OmitChannels != nil:
		out.OmittedChannels = slices.Clone(*e.OmitChannels)
	}
	if e.ClearGroups {
		out.Groups = nil
	}
	for _, name := range e.RemoveGroups {
		i := groupIndex(out.Groups, name)
		if i < 0 {
			return out, fmt.Errorf("--remove-group %s: the configuration has no group with that log name (groups: %s)", name, orNone(strings.Join(groupNames(out.Groups), ", ")))
		}
		out.Groups = slices.Delete(out.Groups, i, i+1)
	}
	for _, g := range e.Groups {
		g = cloneGroup(g)
		if i := groupIndex(out.Groups, g.LogName); i >= 0 {
			out.Groups[i] = g
		} else {
			out.Groups = append(out.Groups, g)
		}
	}
	return out, nil
}

func cloneGroup(g cloudapi.LogExportGroup) cloudapi.LogExportGroup {
	return cloudapi.LogExportSpec{Groups: []cloudapi.LogExportGroup{g}}.Request().Groups[0]
}

func groupIndex(gs []cloudapi.LogExportGroup, name string) int {
	return slices.IndexFunc(gs, func(g cloudapi.LogExportGroup) bool { return g.LogName == name })
}

func groupNames(gs []cloudapi.LogExportGroup) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.LogName)
	}
	return out
}

// GroupSyntax describes the value ParseGroup accepts, for help texts.
const GroupSyntax = "LOG_NAME=CHANNEL[,CHANNEL…][:LEVEL][:redact|:noredact][:sending-queue]"

// ParseGroup reads one group as `update --group` takes it:
//
//	LOG_NAME=CHANNEL[,CHANNEL…][:LEVEL][:redact|:noredact][:sending-queue]
//
// LEVEL is UNSPECIFIED, WARNING, ERROR or FATAL (any case); redact and
// noredact set the group's own redaction (without either, the group inherits
// the configuration's); sending-queue sets enable_sending_queue. Channel
// names are checked later, with the whole configuration.
func ParseGroup(s string) (cloudapi.LogExportGroup, error) {
	var g cloudapi.LogExportGroup
	bad := func(format string, args ...any) (cloudapi.LogExportGroup, error) {
		return g, fmt.Errorf("group %q: %s (want %s)", s, fmt.Sprintf(format, args...), GroupSyntax)
	}
	name, rest, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return bad("no log name before '='")
	}
	g.LogName = name
	parts := strings.Split(rest, ":")
	for _, ch := range strings.Split(parts[0], ",") {
		if ch = strings.TrimSpace(ch); ch != "" {
			g.Channels = append(g.Channels, ch)
		}
	}
	if len(g.Channels) == 0 {
		return bad("no channels after '='")
	}
	for _, opt := range parts[1:] {
		switch o := strings.ToUpper(strings.TrimSpace(opt)); o {
		case string(cloudapi.LevelUnspecified), string(cloudapi.LevelWarning), string(cloudapi.LevelError), string(cloudapi.LevelFatal):
			if g.MinLevel != "" {
				return bad("two levels")
			}
			g.MinLevel = cloudapi.LogLevel(o)
		case "REDACT", "NOREDACT":
			if g.Redact != nil {
				return bad("redact given twice")
			}
			g.Redact = cloudapi.Bool(o == "REDACT")
		case "SENDING-QUEUE":
			g.EnableSendingQueue = cloudapi.Bool(true)
		default:
			return bad("unknown option %q", opt)
		}
	}
	return g, nil
}

// FormatGroup writes a group in ParseGroup's syntax.
func FormatGroup(g cloudapi.LogExportGroup) string {
	s := g.LogName + "=" + strings.Join(g.Channels, ",")
	if g.MinLevel != "" && g.MinLevel != cloudapi.LevelUnspecified {
		s += ":" + string(g.MinLevel)
	}
	if g.Redact != nil {
		if *g.Redact {
			s += ":redact"
		} else {
			s += ":noredact"
		}
	}
	if g.EnableSendingQueue != nil && *g.EnableSendingQueue {
		s += ":sending-queue"
	}
	return s
}

// ValidateSpec checks a configuration for the cluster with the API's rules
// and the ones this tool adds before anything is sent: exportable channels,
// valid groups (at most one with a sending queue, no channel in two
// groups), a region override among the cluster's regions, and a role ARN
// (not a policy, user or malformed ARN) as auth_principal.
func ValidateSpec(spec cloudapi.LogExportSpec, cluster cloudapi.Cluster) error {
	var errs []error
	if err := spec.Request().Validate(cluster); err != nil {
		errs = append(errs, err)
	}
	if spec.AuthPrincipal != "" {
		if _, err := awsiam.CheckRoleARN(spec.AuthPrincipal); err != nil {
			errs = append(errs, fmt.Errorf("auth_principal: %w", err))
		}
	}
	if spec.Region != "" && !slices.Contains(cluster.RegionNames(), spec.Region) {
		errs = append(errs, fmt.Errorf("region %s is not one of the cluster's regions (%s)", spec.Region, strings.Join(cluster.RegionNames(), ", ")))
	}
	errs = append(errs, groupConflicts(spec.Groups)...)
	return errors.Join(errs...)
}

// SpecChange is one difference between two configurations.
type SpecChange struct {
	// Field is the API field ("log_name", "redact"), or "groups[NAME]" for
	// the group with that log name.
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

func (c SpecChange) String() string { return c.Field + ": " + c.Old + " → " + c.New }

// DiffSpecs lists what changes from old to new, field by field; groups are
// matched by log name. Absent, null and "" count alike, and channel lists
// compare as sets, as the API treats them.
func DiffSpecs(old, new cloudapi.LogExportSpec) []SpecChange {
	out := []SpecChange{}
	cmp := func(field, a, b string) {
		if a != b {
			out = append(out, SpecChange{Field: field, Old: a, New: b})
		}
	}
	cmp("type", orNone(string(old.Type)), orNone(string(new.Type)))
	cmp("log_name", orNone(old.LogName), orNone(new.LogName))
	cmp("auth_principal", orNone(old.AuthPrincipal), orNone(new.AuthPrincipal))
	cmp("aws_external_id", orNone(old.AWSExternalID), orNone(new.AWSExternalID))
	region := func(r string) string {
		if r == "" {
			return "(none: each region exports to its own log group)"
		}
		return r
	}
	cmp("region", region(old.Region), region(new.Region))
	cmp("redact", boolText(old.Redact), boolText(new.Redact))
	channels := func(chs []string) string {
		if len(chs) == 0 {
			return "(none)"
		}
		return strings.Join(sortedCopy(chs), ",")
	}
	cmp("omitted_channels", channels(old.OmittedChannels), channels(new.OmittedChannels))
	names := groupNames(old.Groups)
	for _, n := range groupNames(new.Groups) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, n := range names {
		a, b := "(none)", "(none)"
		if i := groupIndex(old.Groups, n); i >= 0 {
			a = describeGroup(old.Groups[i])
		}
		if i := groupIndex(new.Groups, n); i >= 0 {
			b = describeGroup(new.Groups[i])
		}
		cmp("groups["+n+"]", a, b)
	}
	return out
}

func describeGroup(g cloudapi.LogExportGroup) string {
	level := string(g.MinLevel)
	if level == "" {
		level = string(cloudapi.LevelUnspecified)
	}
	redact := "inherited"
	if g.Redact != nil {
		redact = boolText(g.Redact)
	}
	s := fmt.Sprintf("channels %s; min_level %s; redact %s", strings.Join(sortedCopy(g.Channels), ","), level, redact)
	if g.EnableSendingQueue != nil && *g.EnableSendingQueue {
		s += "; sending queue"
	}
	return s
}
