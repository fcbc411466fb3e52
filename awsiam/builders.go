package awsiam

import (
	"sort"
)

// Default resource names, as in the CockroachDB Cloud documentation.
const (
	DefaultRoleName   = "CockroachCloudLogExportRole"
	DefaultPolicyName = "CockroachCloudLogExportPolicy"
)

// ExternalIDConditionKey is the condition key STS sets from the ExternalId
// argument of AssumeRole.
const ExternalIDConditionKey = "sts:ExternalId"

// RequiredActions are the CloudWatch Logs actions CockroachDB Cloud needs on
// the customer's log groups, in the order the documentation lists them.
var RequiredActions = []string{
	"logs:CreateLogGroup",
	"logs:CreateLogStream",
	"logs:DescribeLogGroups",
	"logs:DescribeLogStreams",
	"logs:PutRetentionPolicy",
	"logs:PutLogEvents",
}

// describeLogGroupsAction is the one required action that cannot be scoped to
// a single log group.
const describeLogGroupsAction = "logs:DescribeLogGroups"

// Statement IDs of the generated permission policy, so a reviewer (and the
// doctor) can tell the two grants apart.
const (
	SidWriteLogGroups    = "WriteLogExportGroups"
	SidDescribeLogGroups = "DescribeLogGroups"
)

// RootPrincipal is the ARN that names a whole AWS account in a trust policy.
func RootPrincipal(account string) string {
	return "arn:aws:iam::" + account + ":root"
}

// TrustPolicy lets the CockroachDB cluster's AWS account assume the role.
// With an external ID (Standard clusters always: the cluster ID; Advanced
// optionally) the assumption must present it.
func TrustPolicy(clusterAccount, externalID string) *PolicyDocument {
	st := Statement{
		Effect:    EffectAllow,
		Principal: &Principal{AWS: StringList{RootPrincipal(clusterAccount)}},
		Action:    StringList{"sts:AssumeRole"},
	}
	if externalID != "" {
		st.Condition = Condition{"StringEquals": {ExternalIDConditionKey: StringList{externalID}}}
	}
	return &PolicyDocument{Version: PolicyVersion, Statement: []Statement{st}}
}

// PermissionSpec describes what the permission policy must cover.
type PermissionSpec struct {
	// Account owns the role and the log groups: the customer's account, never
	// the cluster's.
	Account string
	// LogGroups is the export's log_name plus every groups[].log_name; each
	// is a log group of its own.
	LogGroups []string
	// Regions restricts the grant; empty means every region ("*").
	Regions []string
}

// PermissionPolicy builds the least-privilege policy for log export.
//
// It has two statements because the six actions are not authorised against
// the same resources:
//
//   - CreateLogGroup, CreateLogStream, DescribeLogStreams, PutRetentionPolicy
//     and PutLogEvents act on one log group and are granted on
//     arn:aws:logs:{region}:{account}:log-group:{name}:* for exactly the
//     export's groups. The ":*" suffix is required: without it the ARN does
//     not match the log-stream resources CreateLogStream and PutLogEvents are
//     checked against.
//   - DescribeLogGroups is a listing call. AWS authorises it against the
//     account's log-group namespace (arn:aws:logs:{region}:{account}:log-group:*),
//     not against a named group, so a grant on the named groups alone leaves
//     it denied. It is granted on that namespace, in the same regions, and on
//     nothing else: it reveals log group names and settings, never log data,
//     and this is the narrowest resource on which it succeeds.
func PermissionPolicy(spec PermissionSpec) *PolicyDocument {
	regions := dedupeSorted(spec.Regions)
	if len(regions) == 0 {
		regions = []string{"*"}
	}
	groups := dedupeSorted(spec.LogGroups)

	var groupARNs, namespaceARNs StringList
	for _, r := range regions {
		namespaceARNs = append(namespaceARNs, "arn:aws:logs:"+r+":"+spec.Account+":log-group:*")
		for _, g := range groups {
			groupARNs = append(groupARNs, LogGroupResourceARN(r, spec.Account, g))
		}
	}
	sort.Strings(groupARNs)
	sort.Strings(namespaceARNs)

	var write StringList
	for _, a := range RequiredActions {
		if a != describeLogGroupsAction {
			write = append(write, a)
		}
	}
	sort.Strings(write)

	return &PolicyDocument{
		Version: PolicyVersion,
		Statement: []Statement{
			{Sid: SidWriteLogGroups, Effect: EffectAllow, Action: write, Resource: groupARNs},
			{Sid: SidDescribeLogGroups, Effect: EffectAllow, Action: StringList{describeLogGroupsAction}, Resource: namespaceARNs},
		},
	}
}

// LogGroupResourceARN is the policy resource for one log group in one region
// ("*" for every region), with the ":*" suffix IAM needs.
func LogGroupResourceARN(region, account, logGroup string) string {
	return "arn:aws:logs:" + region + ":" + account + ":log-group:" + logGroup + ":*"
}

func dedupeSorted(in []string) []string {
	var out []string
	for _, s := range in {
		if s != "" {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return compactSorted(out)
}

// BridgePolicy is a document that allows whatever either a or b allows:
// their statements together (a statement of b whose Sid a already uses
// gets a suffixed one, as Sids must be unique). It serves while a change
// is made before the old configuration is let go: the export in force
// keeps working while the new one is tried, then b alone replaces it.
func BridgePolicy(a, b *PolicyDocument) *PolicyDocument {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	out := &PolicyDocument{Version: PolicyVersion}
	sids := map[string]bool{}
	seen := map[string]bool{}
	add := func(st Statement) {
		key := (&PolicyDocument{Statement: []Statement{{Effect: st.Effect, Principal: st.Principal, NotPrincipal: st.NotPrincipal, Action: st.Action, NotAction: st.NotAction, Resource: st.Resource, NotResource: st.NotResource, Condition: st.Condition}}}).JSON()
		if seen[key] {
			return
		}
		seen[key] = true
		for st.Sid != "" && sids[st.Sid] {
			st.Sid += "Bridge"
		}
		if st.Sid != "" {
			sids[st.Sid] = true
		}
		out.Statement = append(out.Statement, st)
	}
	for _, st := range a.Statement {
		add(st)
	}
	for _, st := range b.Statement {
		add(st)
	}
	return out
}
