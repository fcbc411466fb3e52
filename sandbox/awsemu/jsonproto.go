package awsemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// AWS JSON 1.1 (CloudWatch Logs): POST with X-Amz-Target:
// Logs_20140328.<Operation> and a JSON body; answered with a JSON body, or
// with {"__type": code, "message": text} and the error's status.

const (
	logsTargetPrefix = "Logs_20140328."
	jsonContentType  = "application/x-amz-json-1.1"
	// maxJSONBody is above PutLogEvents' 1 MiB batch limit, so that limit is
	// reported in AWS's words rather than as a truncated body.
	maxJSONBody = 8 << 20
)

// jsonHandler does one operation and returns the value to encode as the
// answer body.
type jsonHandler func(s *Server, c *jsonCall) (any, *apiError)

// jsonCall is one CloudWatch Logs request.
type jsonCall struct {
	body   []byte
	region string
}

// decode reads the request body into in; an empty body is an empty object.
func (c *jsonCall) decode(in any) *apiError {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(c.body))
	if err := dec.Decode(in); err != nil {
		return newError(http.StatusBadRequest, "SerializationException", "Could not read the request body: %v", err)
	}
	return nil
}

func (s *Server) serveJSON(w http.ResponseWriter, r *http.Request, target string) {
	name, known := strings.CutPrefix(target, logsTargetPrefix)
	op := "logs:" + name
	if !known {
		op = "logs:" + target
	}
	scope := parseScope(r)
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	reqID := s.nextRequestID()
	fail := func(w http.ResponseWriter, e *apiError) {
		writeJSON(w, reqID, e.status, map[string]string{"__type": e.code, "message": e.message})
	}
	s.run(w, r, op, fail, func(w http.ResponseWriter) {
		if e := checkScope(scope, true); e != nil {
			fail(w, e)
			return
		}
		if readErr != nil || len(body) > maxJSONBody {
			fail(w, newError(http.StatusRequestEntityTooLarge, "SerializationException", "The request body could not be read or is too large."))
			return
		}
		h, ok := logsOperations[name]
		if !known || !ok {
			fail(w, newError(http.StatusBadRequest, "UnknownOperationException", "The sandbox AWS emulator does not implement %s.", target))
			return
		}
		if !s.quotas.allow(scope.regionOrDefault(), name) {
			fail(w, throttlingException())
			return
		}
		result, e := h(s, &jsonCall{body: body, region: scope.regionOrDefault()})
		if e != nil {
			fail(w, e)
			return
		}
		writeJSON(w, reqID, http.StatusOK, result)
	})
}

func writeJSON(w http.ResponseWriter, reqID string, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"__type":"InternalFailure","message":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
