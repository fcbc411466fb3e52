package awsemu

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// The AWS query protocol (IAM and STS): form-encoded Action and Version,
// answered with <ActionResponse><ActionResult>…</ActionResult>
// <ResponseMetadata>…</ResponseMetadata></ActionResponse>.

const (
	iamVersion   = "2010-05-08"
	stsVersion   = "2011-06-15"
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// queryHandler does one action. It returns the value to encode as the
// <ActionResult> element, or nil for actions that have no result.
type queryHandler func(s *Server, c *queryCall) (any, *apiError)

// queryCall is one IAM or STS request.
type queryCall struct {
	form url.Values
}

func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request) {
	parseErr := r.ParseForm()
	action := r.Form.Get("Action")
	scope := parseScope(r)
	service := queryService(scope.service, r.Form.Get("Version"), action)
	op := service + ":" + action
	if action == "" {
		op = service + ":MissingAction"
	}
	ns := iamNamespace
	if service == "sts" {
		ns = stsNamespace
	}
	reqID := s.nextRequestID()
	fail := func(w http.ResponseWriter, e *apiError) { writeQueryError(w, reqID, e) }
	s.run(w, r, op, fail, func(w http.ResponseWriter) {
		if e := checkScope(scope, false); e != nil {
			fail(w, e)
			return
		}
		if parseErr != nil {
			fail(w, newError(http.StatusBadRequest, "MalformedQueryString", "The query string is malformed: %v", parseErr))
			return
		}
		if action == "" {
			fail(w, newError(http.StatusBadRequest, "MissingAction", "Missing Action"))
			return
		}
		h, e := lookupAction(service, action)
		if e != nil {
			fail(w, e)
			return
		}
		result, e := h(s, &queryCall{form: r.Form})
		if e != nil {
			fail(w, e)
			return
		}
		writeQueryResult(w, reqID, ns, action, result)
	})
}

// queryService tells IAM from STS: by the service the request was signed
// for, else by the API version it names, else by which one has the action.
func queryService(signedFor, version, action string) string {
	switch {
	case signedFor == "iam" || signedFor == "sts":
		return signedFor
	case version == stsVersion:
		return "sts"
	case version == iamVersion:
		return "iam"
	}
	if _, ok := stsActions[action]; ok {
		return "sts"
	}
	return "iam"
}

func lookupAction(service, action string) (queryHandler, *apiError) {
	table, version := iamActions, iamVersion
	if service == "sts" {
		table, version = stsActions, stsVersion
	}
	if h, ok := table[action]; ok {
		return h, nil
	}
	other := stsActions
	if service == "sts" {
		other = iamActions
	}
	if _, ok := other[action]; ok {
		return nil, newError(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", action, version)
	}
	return nil, newError(http.StatusBadRequest, "InvalidAction",
		"Could not find operation %s for version %s (the sandbox AWS emulator implements: %s)", action, version, strings.Join(actionNames(table), ", "))
}

func actionNames(table map[string]queryHandler) []string {
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// checkScope answers a request that is not signed the way AWS requires.
func checkScope(sc credentialScope, jsonProtocol bool) *apiError {
	switch {
	case !sc.present && jsonProtocol:
		return newError(http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token")
	case !sc.present:
		return newError(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
	case !sc.valid() && jsonProtocol:
		return newError(http.StatusBadRequest, "IncompleteSignatureException", "Authorization header requires 'Credential' parameter.")
	case !sc.valid():
		return newError(http.StatusBadRequest, "IncompleteSignature", "Authorization header requires 'Credential' parameter.")
	}
	return nil
}

func writeQueryResult(w http.ResponseWriter, reqID, ns, action string, result any) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<%sResponse xmlns=\"%s\">\n", action, ns)
	if result != nil {
		enc := xml.NewEncoder(&b)
		enc.Indent("  ", "  ")
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			writeQueryError(w, reqID, newError(http.StatusInternalServerError, "InternalFailure", "encoding the answer: %v", err))
			return
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n  </ResponseMetadata>\n</%sResponse>\n", reqID, action)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

func writeQueryError(w http.ResponseWriter, reqID string, e *apiError) {
	kind := "Sender"
	if e.status >= 500 {
		kind = "Receiver"
	}
	var b bytes.Buffer
	b.WriteString("<ErrorResponse>\n  <Error>\n")
	fmt.Fprintf(&b, "    <Type>%s</Type>\n    <Code>%s</Code>\n    <Message>", kind, xmlText(e.code))
	b.WriteString(xmlText(e.message))
	fmt.Fprintf(&b, "</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n", reqID)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(e.status)
	_, _ = w.Write(b.Bytes())
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Parameter access. member is the parameter's name as the service model's
// validation messages spell it (lower camel case).

func memberName(param string) string {
	if param == "" {
		return param
	}
	return strings.ToLower(param[:1]) + param[1:]
}

func (c *queryCall) has(param string) bool {
	_, ok := c.form[param]
	return ok
}

func (c *queryCall) str(param string) string { return c.form.Get(param) }

func (c *queryCall) required(param string) (string, *apiError) {
	if !c.has(param) {
		return "", missingValue(memberName(param))
	}
	return c.form.Get(param), nil
}

// intParam reads an optional integer within [lo, hi].
func (c *queryCall) intParam(param string, lo, hi int) (int, bool, *apiError) {
	if !c.has(param) {
		return 0, false, nil
	}
	raw := c.form.Get(param)
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, false, validationError(memberName(param), raw, "Member must be a number")
	}
	if n < lo {
		return 0, false, validationError(memberName(param), raw, fmt.Sprintf("Member must have value greater than or equal to %d", lo))
	}
	if n > hi {
		return 0, false, validationError(memberName(param), raw, fmt.Sprintf("Member must have value less than or equal to %d", hi))
	}
	return n, true, nil
}

func (c *queryCall) boolParam(param string) (bool, *apiError) {
	if !c.has(param) {
		return false, nil
	}
	raw := c.form.Get(param)
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, validationError(memberName(param), raw, "Member must be a boolean")
	}
	return b, nil
}

// list reads a query-protocol list: Param.member.1, Param.member.2, …
func (c *queryCall) list(param string) []string {
	var out []string
	for i := 1; ; i++ {
		k := fmt.Sprintf("%s.member.%d", param, i)
		if !c.has(k) {
			return out
		}
		out = append(out, c.form.Get(k))
	}
}

// tags reads Param.member.N.Key / .Value pairs.
func (c *queryCall) tags(param string) ([]tag, *apiError) {
	var out []tag
	seen := map[string]bool{}
	for i := 1; ; i++ {
		prefix := fmt.Sprintf("%s.member.%d.", param, i)
		if !c.has(prefix+"Key") && !c.has(prefix+"Value") {
			break
		}
		t := tag{Key: c.form.Get(prefix + "Key"), Value: c.form.Get(prefix + "Value")}
		member := fmt.Sprintf("%s.%d.member.key", memberName(param), i)
		if len(t.Key) < 1 || len(t.Key) > 128 {
			return nil, validationError(member, t.Key, "Member must have length between 1 and 128")
		}
		if len(t.Value) > 256 {
			return nil, validationError(fmt.Sprintf("%s.%d.member.value", memberName(param), i), t.Value, "Member must have length less than or equal to 256")
		}
		// IAM treats tag keys that differ only in case as the same key.
		if seen[strings.ToLower(t.Key)] {
			return nil, invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[strings.ToLower(t.Key)] = true
		out = append(out, t)
	}
	if len(out) > maxTags {
		return nil, limitExceeded("Cannot exceed quota for TagsPerRole: %d", maxTags)
	}
	return out, nil
}

// IAM pagination: Marker and MaxItems in, Marker and IsTruncated out. The
// marker is the sort key of the last item returned, so a page boundary
// survives items being added or removed between calls.

type pageParams struct {
	after    string // sort key of the last item already returned
	maxItems int
}

func (c *queryCall) paging() (pageParams, *apiError) {
	p := pageParams{maxItems: 100}
	n, ok, e := c.intParam("MaxItems", 1, 1000)
	if e != nil {
		return p, e
	}
	if ok {
		p.maxItems = n
	}
	if m := c.str("Marker"); m != "" {
		raw, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil {
			return p, validationError("marker", m, "Member must be a Marker returned by a previous call")
		}
		p.after = string(raw)
	}
	return p, nil
}

// paginate returns the page of items (sorted by key) after p.after, the
// marker for the next page and whether there is one.
func paginate[T any](items []T, key func(T) string, p pageParams) ([]T, string, bool) {
	start := 0
	if p.after != "" {
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > p.after })
	}
	end := min(start+p.maxItems, len(items))
	page := items[start:end]
	if end == len(items) {
		return page, "", false
	}
	return page, base64.RawURLEncoding.EncodeToString([]byte(key(items[end-1]))), true
}
