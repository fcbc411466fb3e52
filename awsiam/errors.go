package awsiam

import (
	"errors"
	"net"
	"net/url"
	"syscall"

	"github.com/aws/smithy-go"
)

// DocumentError is a policy document IAM holds that cannot be read: the
// read worked, the document is what is wrong. Where names it ("role R
// inline policy P", "policy ARN version v1").
type DocumentError struct {
	Where string
	Err   error
}

func (e *DocumentError) Error() string { return e.Where + ": " + e.Err.Error() }
func (e *DocumentError) Unwrap() error { return e.Err }

// OpError is a failed AWS call, named by the operation and the resource it
// was about, so a message reads "iam:CreateRole CockroachCloudLogExportRole:
// EntityAlreadyExists: …" instead of the SDK's transport-level text. The AWS
// error stays reachable through errors.As and the Is* helpers.
type OpError struct {
	Op       string // "iam:CreateRole", "logs:CreateLogGroup", …
	Resource string // role name, policy ARN, "log group NAME in REGION", …
	Err      error
}

func (e *OpError) Error() string {
	prefix := e.Op
	if e.Resource != "" {
		prefix += " " + e.Resource
	}
	var apiErr smithy.APIError
	if errors.As(e.Err, &apiErr) {
		msg := apiErr.ErrorMessage()
		if msg == "" {
			return prefix + ": " + apiErr.ErrorCode()
		}
		return prefix + ": " + apiErr.ErrorCode() + ": " + msg
	}
	var urlErr *url.Error
	host := "AWS"
	if errors.As(e.Err, &urlErr) {
		if u, err := url.Parse(urlErr.URL); err == nil && u.Host != "" {
			host = u.Host
		}
	}
	switch {
	case IsTimeout(e.Err):
		return prefix + ": no answer from " + host + " within the time one request may take (--request-timeout); not repeated, as it hangs"
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		return prefix + ": nothing accepts connections at " + host + " (if AWS_ENDPOINT_URL is set, is it right?)"
	case IsUnreachable(e.Err):
		return prefix + ": the host " + host + " does not exist (if AWS_ENDPOINT_URL is set, is it right?)"
	}
	return prefix + ": " + e.Err.Error()
}

func (e *OpError) Unwrap() error { return e.Err }

// Code returns the AWS error code, or "" when the failure was not an AWS
// error answer (network, context, …).
func (e *OpError) Code() string { return ErrorCode(e.Err) }

func opErr(op, resource string, err error) error {
	if err == nil {
		return nil
	}
	return &OpError{Op: op, Resource: resource, Err: err}
}

// ErrorCode returns the AWS error code carried by err, or "".
func ErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// IsNotFound reports whether AWS answered that the resource does not exist
// (IAM NoSuchEntity, CloudWatch Logs ResourceNotFoundException).
func IsNotFound(err error) bool {
	switch ErrorCode(err) {
	case "NoSuchEntity", "NoSuchEntityException", "ResourceNotFoundException":
		return true
	}
	return false
}

// IsAlreadyExists reports whether AWS refused to create something that is
// already there (IAM EntityAlreadyExists, CloudWatch Logs
// ResourceAlreadyExistsException).
func IsAlreadyExists(err error) bool {
	switch ErrorCode(err) {
	case "EntityAlreadyExists", "EntityAlreadyExistsException", "ResourceAlreadyExistsException":
		return true
	}
	return false
}

// IsAccessDenied reports whether the caller lacked permission.
func IsAccessDenied(err error) bool {
	switch ErrorCode(err) {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "NotAuthorized":
		return true
	}
	return false
}

// IsThrottling reports whether AWS asked the caller to slow down. The SDK
// has already retried these with backoff by the time they reach the caller.
func IsThrottling(err error) bool {
	switch ErrorCode(err) {
	case "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
		"RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "SlowDown", "PriorRequestNotComplete":
		return true
	}
	return false
}

// IsUnreachable reports whether an AWS call found nobody at its endpoint:
// the connection was refused, or the host does not exist. Such a call is
// not repeated (see WithAttemptTimeout): the endpoint is wrong.
func IsUnreachable(err error) bool {
	var de *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &de) && de.IsNotFound
}
