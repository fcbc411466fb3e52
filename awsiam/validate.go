package awsiam

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// The patterns compile on first use: a regexp compiled at package init
// would cost every start of the program, `version` included.
var (
	iamNameRE     = lazyRegexp(`^[\w+=,.@-]+$`)
	logGroupRE    = lazyRegexp(`^[._/#A-Za-z0-9-]+$`)
	accountIDRE   = lazyRegexp(`^[0-9]{12}$`)
	regionRE      = lazyRegexp(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$`)
	iamPathCharRE = lazyRegexp(`^[\x21-\x7e]*$`)
)

func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// RetentionDays are the values CloudWatch Logs accepts for a log group's
// retention, in days.
var RetentionDays = []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// ValidateRoleName checks an IAM role name.
func ValidateRoleName(name string) error {
	return validateIAMName("role", name, 64)
}

// ValidatePolicyName checks a managed policy name.
func ValidatePolicyName(name string) error {
	return validateIAMName("policy", name, 128)
}

func validateIAMName(kind, name string, max int) error {
	switch {
	case name == "":
		return fmt.Errorf("%s name is empty: use 1 to %d letters, digits or + = , . @ _ -", kind, max)
	case len(name) > max:
		return fmt.Errorf("%s name %q is %d characters long; the limit is %d", kind, name, len(name), max)
	case !iamNameRE().MatchString(name):
		return fmt.Errorf("%s name %q contains %s; allowed are letters, digits and + = , . @ _ -", kind, name, firstBad(name, iamNameRE()))
	}
	return nil
}

// ValidatePath checks an IAM path: "/" or "/a/b/", at most 512 characters.
func ValidatePath(path string) error {
	switch {
	case path == "":
		return nil
	case len(path) > 512:
		return fmt.Errorf("IAM path is %d characters long; the limit is 512", len(path))
	case !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/"):
		return fmt.Errorf("IAM path %q must begin and end with \"/\" (for example \"/\" or \"/logexport/\")", path)
	case strings.Contains(path, "//"):
		return fmt.Errorf("IAM path %q has an empty segment (\"//\")", path)
	case !iamPathCharRE().MatchString(path):
		return fmt.Errorf("IAM path %q contains %s; only printable ASCII without spaces is allowed", path, firstBad(path, iamPathCharRE()))
	}
	return nil
}

// ValidateLogGroupName checks a CloudWatch Logs log group name.
func ValidateLogGroupName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("log group name is empty: use 1 to 512 letters, digits or . - _ / #")
	case len(name) > 512:
		return fmt.Errorf("log group name is %d characters long; the limit is 512", len(name))
	case !logGroupRE().MatchString(name):
		return fmt.Errorf("log group name %q contains %s; allowed are letters, digits and . - _ / #", name, firstBad(name, logGroupRE()))
	case strings.HasPrefix(name, "aws/"):
		return fmt.Errorf("log group name %q starts with \"aws/\", which AWS reserves for its own services", name)
	}
	return nil
}

// ValidateRetentionDays checks a retention period against CloudWatch Logs'
// allowed values.
func ValidateRetentionDays(days int32) error {
	for _, d := range RetentionDays {
		if d == days {
			return nil
		}
	}
	vals := make([]string, len(RetentionDays))
	for i, d := range RetentionDays {
		vals[i] = strconv.Itoa(int(d))
	}
	return fmt.Errorf("retention of %d days is not offered by CloudWatch Logs; choose one of %s", days, strings.Join(vals, ", "))
}

// ValidateAccountID checks a 12-digit AWS account ID.
func ValidateAccountID(id string) error {
	if !accountIDRE().MatchString(id) {
		return fmt.Errorf("AWS account ID %q must be exactly 12 digits", id)
	}
	return nil
}

// ValidateRegion checks the shape of an AWS region code such as us-east-1.
func ValidateRegion(region string) error {
	if !regionRE().MatchString(region) {
		return fmt.Errorf("%q is not an AWS region code; use the form us-east-1, eu-west-2, ap-southeast-1", region)
	}
	return nil
}

// firstBad describes the first character of s that re rejects.
func firstBad(s string, re *regexp.Regexp) string {
	for _, r := range s {
		if !re.MatchString(string(r)) {
			if r == ' ' {
				return "a space"
			}
			return fmt.Sprintf("%q", r)
		}
	}
	return "a character that is not allowed"
}
