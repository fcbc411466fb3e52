package steps

import (
	"slices"
	"strings"
	"testing"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// TestGroupRulesSayTheSameAsValidateSpec: what an editor says about one
// group's field is, word for word, what ValidateSpec says about the whole
// configuration with that group in it.
func TestGroupRulesSayTheSameAsValidateSpec(t *testing.T) {
	cluster := cloudapi.Cluster{ID: "c", Name: "prod", Plan: cloudapi.PlanAdvanced, CloudProvider: cloudapi.ProviderAWS,
		Regions: []cloudapi.Region{{Name: "us-east-1", NodeCount: 3}}}
	base := cloudapi.LogExportSpec{Type: cloudapi.TypeAWSCloudWatch, LogName: "crdb", AuthPrincipal: "arn:aws:iam::314159265358:role/R",
		Groups: []cloudapi.LogExportGroup{{LogName: "crdb-audit", Channels: []string{"SENSITIVE_ACCESS"}, EnableSendingQueue: cloudapi.Bool(true)}}}
	others := base.Groups
	for _, c := range []struct {
		name  string
		group cloudapi.LogExportGroup
		field error
	}{
		{"a channel in two groups", cloudapi.LogExportGroup{LogName: "crdb-x", Channels: []string{"SENSITIVE_ACCESS"}},
			CheckGroupChannels(cloudapi.LogExportGroup{LogName: "crdb-x", Channels: []string{"SENSITIVE_ACCESS"}}, others)},
		{"a log name taken", cloudapi.LogExportGroup{LogName: "crdb-audit", Channels: []string{"OPS"}},
			CheckGroupName("crdb-audit", others)},
		{"no channel", cloudapi.LogExportGroup{LogName: "crdb-x"},
			CheckGroupChannels(cloudapi.LogExportGroup{LogName: "crdb-x"}, others)},
		{"a second sending queue", cloudapi.LogExportGroup{LogName: "crdb-x", Channels: []string{"OPS"}, EnableSendingQueue: cloudapi.Bool(true)},
			CheckGroupQueue(cloudapi.LogExportGroup{LogName: "crdb-x", EnableSendingQueue: cloudapi.Bool(true)}, others)},
	} {
		if c.field == nil {
			t.Errorf("%s: the field's check passes", c.name)
			continue
		}
		spec := base
		spec.Groups = append(slices.Clone(base.Groups), c.group)
		whole := Problems(ValidateSpec(spec, cluster))
		if len(whole) == 0 {
			t.Errorf("%s: ValidateSpec passes", c.name)
			continue
		}
		// The field's wording is the rule's; ValidateSpec may prefix where
		// in the configuration it is (groups[1]).
		found := slices.ContainsFunc(whole, func(e error) bool {
			return strings.Contains(e.Error(), c.field.Error()) || strings.Contains(c.field.Error(), strings.TrimPrefix(e.Error(), "groups[1] (crdb-x): "))
		})
		if !found {
			t.Errorf("%s: the field says %q, ValidateSpec says %q", c.name, c.field, whole)
		}
	}
}
