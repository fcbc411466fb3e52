package awsiam

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// LogsQuotas are CloudWatch Logs' published request quotas that this tool's
// reads can reach, in requests per second per account and region. Above
// them AWS answers ThrottlingException; a program checking many clusters
// in one region (the monitor, the doctor of a fleet) would meet them.
var LogsQuotas = map[string]float64{
	"DescribeLogGroups":  5,
	"DescribeLogStreams": 5,
	"GetLogEvents":       10,
	"CreateLogStream":    50,
}

// logsServiceID is how the SDK names CloudWatch Logs in a call's context.
const logsServiceID = "CloudWatch Logs"

// Pacer spaces the CloudWatch Logs calls of one process, per region and
// operation, at most at the operation's quota (LogsQuotas): calls go out at
// least 1/quota apart, so the account's bucket — which holds one second's
// worth — absorbs variations in latency, and the SDK's standard retryer
// only meets ThrottlingException when other programs share the quota.
// Every attempt waits, retries included. It is safe for concurrent use;
// one Pacer serves every client of a process.
type Pacer struct {
	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// NewPacer returns a Pacer with no calls made yet.
func NewPacer() *Pacer { return &Pacer{limiters: map[string]*rate.Limiter{}} }

// Install makes every client built from cfg wait for the Pacer before each
// attempt of a metered CloudWatch Logs operation.
func (p *Pacer) Install(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		if _, ok := stack.Finalize.Get("Retry"); !ok {
			return stack.Finalize.Add(p.middleware(), middleware.Before)
		}
		return stack.Finalize.Insert(p.middleware(), "Retry", middleware.After)
	})
}

func (p *Pacer) middleware() middleware.FinalizeMiddleware {
	return middleware.FinalizeMiddlewareFunc("crdb-logexport/LogsQuotaPacer",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if awsmiddleware.GetServiceID(ctx) == logsServiceID {
				if err := p.Wait(ctx, awsmiddleware.GetRegion(ctx), awsmiddleware.GetOperationName(ctx)); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
			}
			return next.HandleFinalize(ctx, in)
		})
}

// Wait blocks until one call of operation in region may go out, or ctx
// ends. Operations without a quota never wait.
func (p *Pacer) Wait(ctx context.Context, region, operation string) error {
	q := LogsQuotas[operation]
	if q <= 0 {
		return nil
	}
	key := region + "/" + operation
	p.mu.Lock()
	l := p.limiters[key]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(q), 1)
		p.limiters[key] = l
	}
	p.mu.Unlock()
	return l.Wait(ctx)
}
