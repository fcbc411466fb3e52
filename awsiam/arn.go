package awsiam

import (
	"fmt"
	"strings"
)

// ARNKind says what an ARN names, as far as log export cares.
type ARNKind int

// ARN kinds.
const (
	KindMalformed ARNKind = iota
	KindRole
	KindPolicy
	KindUser
	KindInstanceProfile
	KindAssumedRole
	KindLogGroup
	KindOther
)

func (k ARNKind) String() string {
	switch k {
	case KindRole:
		return "role"
	case KindPolicy:
		return "policy"
	case KindUser:
		return "user"
	case KindInstanceProfile:
		return "instance-profile"
	case KindAssumedRole:
		return "assumed-role"
	case KindLogGroup:
		return "log-group"
	case KindOther:
		return "other"
	default:
		return "malformed"
	}
}

// Partitions an ARN may name.
var partitions = map[string]bool{
	"aws": true, "aws-cn": true, "aws-us-gov": true,
	"aws-iso": true, "aws-iso-b": true, "aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true,
}

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition string
	Service   string
	Region    string
	AccountID string
	// Resource is everything after the fifth colon.
	Resource string

	Kind ARNKind
	// Path is the IAM path of a role, policy, user or instance profile ("/"
	// when none).
	Path string
	// Name is the role, policy, user or instance profile name, the log group
	// name, or the role name of an assumed-role session.
	Name string
	// Session is the session name of an assumed-role ARN.
	Session string
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.Resource
}

// ARNError says why a string is not an ARN, or not the kind of ARN wanted.
type ARNError struct {
	Input  string
	Kind   ARNKind
	Reason string
}

func (e *ARNError) Error() string {
	if e.Kind == KindMalformed {
		return fmt.Sprintf("%q is not a valid ARN: %s", e.Input, e.Reason)
	}
	return fmt.Sprintf("%q: %s", e.Input, e.Reason)
}

// ParseARN splits an ARN and classifies it. IAM resources must have an empty
// region and a 12-digit account ("aws" for AWS managed policies); IAM names
// are checked against IAM's character rules. A string that fails is reported
// with the reason as *ARNError.
func ParseARN(s string) (ARN, error) {
	bad := func(format string, args ...any) (ARN, error) {
		return ARN{}, &ARNError{Input: s, Kind: KindMalformed, Reason: fmt.Sprintf(format, args...)}
	}
	if s != strings.TrimSpace(s) {
		return bad("it has leading or trailing spaces")
	}
	if !strings.HasPrefix(s, "arn:") {
		return bad(`an ARN starts with "arn:" (for example arn:aws:iam::123456789012:role/NAME)`)
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 {
		return bad("an ARN has six colon-separated fields (arn:partition:service:region:account:resource); this has %d", len(parts))
	}
	a := ARN{Partition: parts[1], Service: parts[2], Region: parts[3], AccountID: parts[4], Resource: parts[5]}
	if !partitions[a.Partition] {
		return bad("unknown partition %q (expected aws, aws-cn or aws-us-gov)", a.Partition)
	}
	if a.Service == "" {
		return bad("the service field is empty")
	}
	if a.Resource == "" {
		return bad("the resource field is empty")
	}
	switch a.Service {
	case "iam":
		return parseIAMResource(s, a)
	case "sts":
		return parseSTSResource(s, a)
	case "logs":
		return parseLogsResource(s, a)
	}
	a.Kind = KindOther
	return a, nil
}

func parseIAMResource(s string, a ARN) (ARN, error) {
	bad := func(format string, args ...any) (ARN, error) {
		return ARN{}, &ARNError{Input: s, Kind: KindMalformed, Reason: fmt.Sprintf(format, args...)}
	}
	if a.Region != "" {
		return bad("IAM ARNs have an empty region field (arn:aws:iam::ACCOUNT:…), this one has %q", a.Region)
	}
	typ, rest, ok := strings.Cut(a.Resource, "/")
	if !ok {
		if a.Resource == "root" {
			a.Kind = KindOther
			return a, checkAccount(s, a.AccountID, false)
		}
		return bad("the IAM resource %q has no type (expected role/NAME, policy/NAME, …)", a.Resource)
	}
	kinds := map[string]ARNKind{"role": KindRole, "policy": KindPolicy, "user": KindUser, "instance-profile": KindInstanceProfile}
	kind, known := kinds[typ]
	if !known {
		a.Kind = KindOther
		return a, checkAccount(s, a.AccountID, false)
	}
	if err := checkAccount(s, a.AccountID, kind == KindPolicy); err != nil {
		return ARN{}, err
	}
	i := strings.LastIndex(rest, "/")
	a.Path, a.Name = "/"+rest[:i+1], rest[i+1:]
	if strings.ContainsAny(rest, "*?") {
		return bad("it contains a wildcard; it is a pattern that matches %ss, not the ARN of one", typ)
	}
	if a.Name == "" {
		return bad("the %s name is missing after %q", typ, typ+a.Path)
	}
	limit := 128
	if kind == KindRole || kind == KindUser {
		limit = 64
	}
	if err := validateIAMName(typ, a.Name, limit); err != nil {
		return bad("%v", err)
	}
	if err := ValidatePath(a.Path); err != nil {
		return bad("%v", err)
	}
	a.Kind = kind
	return a, nil
}

func parseSTSResource(s string, a ARN) (ARN, error) {
	if err := checkAccount(s, a.AccountID, false); err != nil {
		return ARN{}, err
	}
	rest, ok := strings.CutPrefix(a.Resource, "assumed-role/")
	if !ok {
		a.Kind = KindOther
		return a, nil
	}
	role, session, ok := strings.Cut(rest, "/")
	if !ok || role == "" || session == "" {
		return ARN{}, &ARNError{Input: s, Kind: KindMalformed, Reason: "an assumed-role ARN ends in assumed-role/ROLE/SESSION"}
	}
	a.Kind, a.Name, a.Session, a.Path = KindAssumedRole, role, session, "/"
	return a, nil
}

func parseLogsResource(s string, a ARN) (ARN, error) {
	bad := func(format string, args ...any) (ARN, error) {
		return ARN{}, &ARNError{Input: s, Kind: KindMalformed, Reason: fmt.Sprintf(format, args...)}
	}
	if err := checkAccount(s, a.AccountID, false); err != nil {
		return ARN{}, err
	}
	rest, ok := strings.CutPrefix(a.Resource, "log-group:")
	if !ok {
		a.Kind = KindOther
		return a, nil
	}
	if a.Region == "" {
		return bad("a log group ARN names its region (arn:aws:logs:REGION:ACCOUNT:log-group:NAME)")
	}
	// log-group:NAME, log-group:NAME:*, log-group:NAME:log-stream:STREAM.
	name, tail, _ := strings.Cut(rest, ":")
	if tail != "" && tail != "*" && !strings.HasPrefix(tail, "log-stream:") {
		return bad("unexpected %q after the log group name (expected nothing, \":*\" or \":log-stream:NAME\")", tail)
	}
	if name != "*" {
		if err := ValidateLogGroupName(name); err != nil {
			return bad("%v", err)
		}
	}
	a.Kind, a.Name = KindLogGroup, name
	return a, nil
}

func checkAccount(s, account string, allowAWS bool) error {
	if allowAWS && account == "aws" {
		return nil
	}
	if !accountIDRE().MatchString(account) {
		return &ARNError{Input: s, Kind: KindMalformed, Reason: fmt.Sprintf("the account field %q must be a 12-digit account ID", account)}
	}
	return nil
}

// Classify says what s names; KindMalformed when it is not a valid ARN.
func Classify(s string) ARNKind {
	a, err := ParseARN(s)
	if err != nil {
		return KindMalformed
	}
	return a.Kind
}

// CheckRoleARN accepts only an IAM role ARN, the only principal CockroachDB
// Cloud can assume. Any other ARN is rejected with an *ARNError whose reason
// says what it is and what to use instead.
func CheckRoleARN(s string) (ARN, error) {
	a, err := ParseARN(s)
	if err != nil {
		return ARN{}, err
	}
	reject := func(reason string) (ARN, error) {
		return a, &ARNError{Input: s, Kind: a.Kind, Reason: reason}
	}
	roleHint := func(name string) string {
		return "arn:" + a.Partition + ":iam::" + a.AccountID + ":role/" + name
	}
	switch a.Kind {
	case KindRole:
		return a, nil
	case KindPolicy:
		return reject("this is a managed policy ARN (…:policy/" + a.Name + "), not a role ARN; use the ARN of the role the policy is attached to (…:role/NAME)")
	case KindUser:
		return reject("this is an IAM user ARN (…:user/" + a.Name + "); CockroachDB Cloud assumes a role, so create a role that trusts the cluster's account and use its ARN (…:role/NAME)")
	case KindInstanceProfile:
		return reject("this is an EC2 instance profile ARN (…:instance-profile/" + a.Name + "), not a role ARN; if the profile wraps a role of the same name, its ARN is " + roleHint(a.Name))
	case KindAssumedRole:
		return reject("this is an STS session ARN (assumed-role/" + a.Name + "/" + a.Session + "); use the role's own ARN, " + roleHint(a.Name) + " (with its path, if it has one)")
	case KindLogGroup:
		return reject("this is a CloudWatch Logs log group ARN; the log group is configured by name (log_name), and auth_principal takes the ARN of the IAM role CockroachDB Cloud assumes")
	default:
		what := "this ARN belongs to the " + a.Service + " service"
		if a.Service == "iam" {
			typ, _, _ := strings.Cut(a.Resource, "/")
			what = "this IAM ARN names " + typ + ", not a role"
		}
		return reject(what + "; use an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
	}
}
