package awsemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/crdb-logexport/crdb-logexport/sandbox/knobs"
)

// DefaultLogsQuotas are CloudWatch Logs' published request quotas, in
// transactions per second per account and per region, for the operations
// whose quotas callers run into: above them AWS answers ThrottlingException
// (HTTP 400, "Rate exceeded") until the quota refills.
var DefaultLogsQuotas = map[string]float64{
	"DescribeLogGroups":  5,
	"DescribeLogStreams": 5,
	"GetLogEvents":       10,
	"CreateLogStream":    50,
}

// quotas meter CloudWatch Logs operations per region. Each (region,
// operation) has a bucket holding one second's worth of requests that
// refills continuously at the quota's rate: a burst of up to the quota is
// accepted at once, and a steady stream at the quota forever. Time is the
// wall clock, whatever clock the emulator stamps records with: a fixed test
// clock must not freeze the refill.
type quotas struct {
	mu        sync.Mutex
	rates     map[string]float64 // by operation; absent or 0: unlimited
	buckets   map[string]*bucket // by region + "/" + operation
	throttled map[string]int     // by region + " logs:" + operation
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newQuotas(rates map[string]float64) *quotas {
	q := &quotas{}
	q.reset(rates)
	return q
}

// reset installs rates (the defaults when nil) with full buckets and no
// throttled calls counted.
func (q *quotas) reset(rates map[string]float64) {
	if rates == nil {
		rates = DefaultLogsQuotas
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.rates = map[string]float64{}
	for op, r := range rates {
		if r > 0 {
			q.rates[op] = r
		}
	}
	q.buckets = map[string]*bucket{}
	q.throttled = map[string]int{}
}

// allow takes one request's token for op in region, or reports that the
// quota is used up.
func (q *quotas) allow(region, op string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	rate := q.rates[op]
	if rate <= 0 {
		return true
	}
	now := time.Now()
	key := region + "/" + op
	b := q.buckets[key]
	if b == nil {
		b = &bucket{tokens: rate, last: now}
		q.buckets[key] = b
	}
	b.tokens = min(rate, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	q.throttled[region+" logs:"+op]++
	return false
}

// set changes the quotas of the operations named; 0 lifts one.
func (q *quotas) set(rates map[string]float64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for op, r := range rates {
		if r > 0 {
			q.rates[op] = r
		} else {
			delete(q.rates, op)
		}
		for key := range q.buckets {
			if strings.HasSuffix(key, "/"+op) {
				delete(q.buckets, key)
			}
		}
	}
}

// quotaView is the /_sandbox/quotas document: quotas by "logs:<Operation>"
// and the calls each quota throttled by "<region> logs:<Operation>".
type quotaView struct {
	Quotas    map[string]float64 `json:"quotas"`
	Throttled map[string]int     `json:"throttled"`
}

func (q *quotas) view() quotaView {
	q.mu.Lock()
	defer q.mu.Unlock()
	v := quotaView{Quotas: map[string]float64{}, Throttled: map[string]int{}}
	for op, r := range q.rates {
		v.Quotas["logs:"+op] = r
	}
	for k, n := range q.throttled {
		v.Throttled[k] = n
	}
	return v
}

func throttlingException() *apiError {
	return newError(http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
}

// serveQuotas is /_sandbox/quotas: GET shows the quotas and what they
// throttled; PUT {"quotas": {"logs:DescribeLogStreams": 25}} changes the
// ones named (0 lifts a quota). A reset restores the published ones.
func (s *Server) serveQuotas(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPut, http.MethodPost:
		var body struct {
			Quotas map[string]float64 `json:"quotas"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			knobs.WriteJSON(w, http.StatusBadRequest, map[string]any{"error": `body must be {"quotas": {"logs:DescribeLogStreams": 5}}: ` + err.Error()})
			return
		}
		rates := map[string]float64{}
		var unknown []string
		for name, rate := range body.Quotas {
			op, ok := strings.CutPrefix(name, "logs:")
			if _, known := logsOperations[op]; !ok || !known || rate < 0 {
				unknown = append(unknown, name)
				continue
			}
			rates[op] = rate
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			knobs.WriteJSON(w, http.StatusBadRequest, map[string]any{"error": fmt.Sprintf("not a CloudWatch Logs operation with a non-negative rate: %s (write logs:<Operation>)", strings.Join(unknown, ", "))})
			return
		}
		s.quotas.set(rates)
	default:
		w.Header().Set("Allow", "GET, PUT")
		knobs.WriteJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "method not allowed", "allow": "GET, PUT"})
		return
	}
	knobs.WriteJSON(w, http.StatusOK, s.quotas.view())
}
