package awsemu

import (
	"net/http"
	"strings"
)

// credentialScope is what the emulator takes from a SigV4 signature: who
// signed (only the access key ID) and for which region and service. The
// signature itself is not checked.
type credentialScope struct {
	present     bool // the request carries a signature at all
	accessKeyID string
	region      string
	service     string
}

// parseScope reads the scope from the Authorization header
// (Credential=AKID/DATE/REGION/SERVICE/aws4_request), from a presigned URL's
// X-Amz-Credential, or — for SigV4a, which signs for a region set — from
// X-Amz-Region-Set.
func parseScope(r *http.Request) credentialScope {
	var cred string
	auth := r.Header.Get("Authorization")
	switch {
	case auth != "":
		_, params, _ := strings.Cut(auth, " ")
		for _, p := range strings.Split(params, ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "Credential="); ok {
				cred = v
			}
		}
		if cred == "" {
			return credentialScope{present: true}
		}
	case r.URL.Query().Get("X-Amz-Credential") != "":
		cred = r.URL.Query().Get("X-Amz-Credential")
	default:
		return credentialScope{}
	}
	sc := credentialScope{present: true}
	parts := strings.Split(cred, "/")
	switch len(parts) {
	case 5: // SigV4: AKID/date/region/service/aws4_request
		sc.accessKeyID, sc.region, sc.service = parts[0], parts[2], parts[3]
	case 4: // SigV4a: AKID/date/service/aws4_request
		sc.accessKeyID, sc.service = parts[0], parts[2]
		if set := r.Header.Get("X-Amz-Region-Set"); set != "" {
			first, _, _ := strings.Cut(set, ",")
			sc.region = strings.TrimSpace(first)
		}
	}
	return sc
}

// valid reports whether a signature was present and named an access key.
func (c credentialScope) valid() bool { return c.present && c.accessKeyID != "" }

// regionOrDefault is the region a regional call applies to.
func (c credentialScope) regionOrDefault() string {
	if c.region == "" || c.region == "*" {
		return defaultRegion
	}
	return c.region
}
