package awsemu

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestConcurrentCalls runs writers and readers of both protocols at once;
// under -race it checks the emulator's locking, and the totals check that
// no write was lost.
func TestConcurrentCalls(t *testing.T) {
	f := newFixture(t, Options{})
	logs := f.logs("us-east-1")
	createGroup(t, logs, "g")
	const workers, batches = 6, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*batches*3)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("s%d", w)
			_, err := logs.CreateLogStream(ctx(t), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String(stream)})
			errs <- err
			for b := range batches {
				_, err := logs.PutLogEvents(ctx(t), &cloudwatchlogs.PutLogEventsInput{
					LogGroupName: aws.String("g"), LogStreamName: aws.String(stream),
					LogEvents: []types.InputLogEvent{event(testClock.Add(time.Duration(b)*time.Second), "tick")},
				})
				errs <- err
				_, err = logs.DescribeLogStreams(ctx(t), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g")})
				errs <- err
			}
			_, err = f.iam().CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String(stream), AssumeRolePolicyDocument: aws.String(trustDoc)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		noErr(t, err)
	}
	st := f.srv.State()
	if len(st.Roles) != workers || st.LogGroups["us-east-1"][0].Streams != workers || st.LogGroups["us-east-1"][0].Events != workers*batches {
		t.Errorf("state after concurrent calls: %d roles, groups %+v", len(st.Roles), st.LogGroups)
	}
}
