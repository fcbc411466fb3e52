package awsiam

// The resources CloudWatch Logs authorises each log-export action against.
// These are the strings AWS puts in its AccessDenied messages ("… is not
// authorized to perform: logs:CreateLogGroup on resource:
// arn:aws:logs:us-east-1:111122223333:log-group:crdb:log-stream:"), which is
// what a policy's Resource patterns are matched with:
//
//   - CreateLogStream and PutLogEvents act on a stream:
//     arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{stream}.
//   - CreateLogGroup, DescribeLogStreams and PutRetentionPolicy act on the
//     group, which Logs names as the group with an empty stream:
//     arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:.
//   - DescribeLogGroups lists groups and names none:
//     arn:aws:logs:{region}:{account}:log-group::log-stream:.
//
// So arn:aws:logs:{region}:{account}:log-group:{group}:* (what
// LogGroupResourceARN writes) covers the first five, the same ARN without
// ":*" covers none of them (it only matches the bare group ARN, which Logs
// uses for its tagging actions), and DescribeLogGroups needs a pattern that
// matches an empty group name, such as …:log-group:* or "*".

// Condition keys RequiredRequests knows the value of.
const (
	evCtxRequestedRegion  = "aws:RequestedRegion"
	evCtxPrincipalAccount = "aws:PrincipalAccount"
	evCtxResourceAccount  = "aws:ResourceAccount"
	evCtxPrincipalType    = "aws:PrincipalType"
)

// RequiredRequests lists what CockroachDB Cloud's log export does with the
// role, for each region and log group, in the resource forms described
// above: CreateLogGroup, CreateLogStream, DescribeLogStreams,
// PutRetentionPolicy and PutLogEvents on the group, and DescribeLogGroups
// once per region. Regions must be concrete ("us-east-1", not "*"); empty
// and repeated regions and groups are skipped.
//
// The stream in the stream-level requests is a representative name of the
// form CockroachDB Cloud uses ({group}.{region}.cockroachdbcloud.OPS.n1):
// policies scoped to a stream-name pattern are judged on that name.
//
// Each request's Context holds what is certain about the real call: the
// region it is sent to, and that the caller is a session of a role in
// account, acting on account's resources. Conditions on anything else (the
// caller's IP address, tags, time) stay undecided.
func RequiredRequests(account string, regions, logGroups []string) []Request {
	var out []Request
	for _, region := range evUnique(regions) {
		ctx := func() map[string]string {
			return map[string]string{
				evCtxRequestedRegion:  region,
				evCtxPrincipalAccount: account,
				evCtxResourceAccount:  account,
				evCtxPrincipalType:    "AssumedRole",
			}
		}
		prefix := "arn:aws:logs:" + region + ":" + account + ":log-group:"
		for _, group := range evUnique(logGroups) {
			groupRes := prefix + group + ":log-stream:"
			streamRes := groupRes + group + "." + region + ".cockroachdbcloud.OPS.n1"
			for _, action := range RequiredActions {
				res := groupRes
				switch action {
				case describeLogGroupsAction:
					continue
				case "logs:CreateLogStream", "logs:PutLogEvents":
					res = streamRes
				}
				out = append(out, Request{Action: action, Resource: res, Context: ctx()})
			}
		}
		out = append(out, Request{Action: describeLogGroupsAction, Resource: prefix + ":log-stream:", Context: ctx()})
	}
	return out
}

// evUnique keeps the first occurrence of each non-empty value, in order.
func evUnique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
