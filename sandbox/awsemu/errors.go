package awsemu

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// apiError is an AWS error answer; each protocol renders it its own way.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// IAM's modelled errors, with the HTTP statuses IAM answers them with.

func noSuchEntity(format string, args ...any) *apiError {
	return newError(http.StatusNotFound, "NoSuchEntity", format, args...)
}

func entityAlreadyExists(format string, args ...any) *apiError {
	return newError(http.StatusConflict, "EntityAlreadyExists", format, args...)
}

func malformedPolicy(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "MalformedPolicyDocument", format, args...)
}

func limitExceeded(format string, args ...any) *apiError {
	return newError(http.StatusConflict, "LimitExceeded", format, args...)
}

func deleteConflict(format string, args ...any) *apiError {
	return newError(http.StatusConflict, "DeleteConflict", format, args...)
}

func invalidInput(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "InvalidInput", format, args...)
}

// validationError is the query protocol's answer to a parameter that breaks
// the service model's constraints, worded as AWS words it.
func validationError(member, value, constraint string) *apiError {
	return newError(http.StatusBadRequest, "ValidationError",
		"1 validation error detected: Value %s at '%s' failed to satisfy constraint: %s", quoteValue(value), member, constraint)
}

func missingValue(member string) *apiError {
	return newError(http.StatusBadRequest, "ValidationError",
		"1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

// CloudWatch Logs' errors all answer 400.

func logsInvalidParameter(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "InvalidParameterException", format, args...)
}

func logsValidation(member, value, constraint string) *apiError {
	return logsInvalidParameter("1 validation error detected: Value %s at '%s' failed to satisfy constraint: %s", quoteValue(value), member, constraint)
}

func logsMissing(member string) *apiError {
	return logsInvalidParameter("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

func logGroupNotFound() *apiError {
	return newError(http.StatusBadRequest, "ResourceNotFoundException", "The specified log group does not exist.")
}

func logStreamNotFound() *apiError {
	return newError(http.StatusBadRequest, "ResourceNotFoundException", "The specified log stream does not exist.")
}

func quoteValue(v string) string { return "'" + v + "'" }

// faultError turns an injected fault into the error answer for op, filling
// in the code and message AWS would use for its status when the fault does
// not give them.
func faultError(op string, f knobs.Fault, caller string) *apiError {
	service, action, _ := strings.Cut(op, ":")
	e := &apiError{status: f.Status, code: f.Code, message: f.Message}
	if e.code == "" {
		e.code = defaultFaultCode(service, f.Status)
	}
	if e.message == "" {
		e.message = defaultFaultMessage(e.code, service, action, caller)
	}
	return e
}

// defaultFaultCode picks the code AWS most often pairs with a status: a bare
// 400 or 429 is read as throttling, the usual reason to inject one; 5xx are
// the services' own internal-failure codes.
func defaultFaultCode(service string, status int) string {
	jsonProto := service == "logs"
	switch {
	case status == http.StatusTooManyRequests, status == http.StatusBadRequest:
		if jsonProto {
			return "ThrottlingException"
		}
		return "Throttling"
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		if jsonProto {
			return "AccessDeniedException"
		}
		return "AccessDenied"
	case status == http.StatusNotFound:
		if jsonProto {
			return "ResourceNotFoundException"
		}
		return "NoSuchEntity"
	case status == http.StatusConflict:
		if jsonProto {
			return "OperationAbortedException"
		}
		return "ConcurrentModification"
	case status < 500:
		if jsonProto {
			return "InvalidParameterException"
		}
		return "InvalidInput"
	case jsonProto:
		return "ServiceUnavailableException"
	case status == http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	case service == "iam":
		return "ServiceFailure"
	default:
		return "InternalFailure"
	}
}

func defaultFaultMessage(code, service, action, caller string) string {
	switch code {
	case "Throttling", "ThrottlingException":
		return "Rate exceeded"
	case "AccessDenied", "AccessDeniedException":
		return fmt.Sprintf("User: %s is not authorized to perform: %s:%s", caller, service, action)
	case "ServiceUnavailable", "ServiceUnavailableException":
		return "The service is unavailable. Please try again later."
	case "ServiceFailure", "InternalFailure":
		return "The request processing has failed because of an unknown error, exception or failure."
	case "ConcurrentModification", "OperationAbortedException":
		return "Multiple concurrent mutating operations are in progress. Please try again."
	default:
		return "Injected failure for " + service + ":" + action + "."
	}
}
