package awsiam

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/crdb-logexport/crdb-logexport/sandbox/awsemu"
)

// Twelve concurrent reads of one region's streams, retries off, against the
// emulator's published quota of 5 per second: unpaced, most are throttled;
// paced, none is.
func TestPacerKeepsConcurrentReadsUnderTheLogsQuota(t *testing.T) {
	emu := awsemu.New(awsemu.Options{})
	hs := httptest.NewServer(emu)
	t.Cleanup(hs.Close)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIASANDBOXAWSIAM001", "sandbox-secret", ""),
		BaseEndpoint: aws.String(hs.URL),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		c := cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.Region = region })
		if _, err := c.CreateLogGroup(testCtx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")}); err != nil {
			t.Fatal(err)
		}
	}
	burst := func(clients *Clients, region string, n int) (throttled int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				_, err := RecentStreams(testCtx(t), clients.LogsFor(region), "g", "", 10)
				if err != nil {
					if !IsThrottling(err) {
						t.Errorf("unexpected error: %v", err)
					}
					mu.Lock()
					throttled++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return throttled
	}

	if n := burst(NewClients(cfg), "us-east-1", 12); n == 0 {
		t.Fatal("unpaced, twelve concurrent reads were never throttled: the emulator's quota did not apply")
	}
	time.Sleep(time.Second) // let the bucket refill

	paced := cfg.Copy()
	NewPacer().Install(&paced)
	clients := NewClients(paced)
	start := time.Now()
	var wg sync.WaitGroup
	var east, west int
	wg.Go(func() { east = burst(clients, "us-east-1", 12) })
	wg.Go(func() { west = burst(clients, "eu-west-1", 12) })
	wg.Wait()
	took := time.Since(start)
	if east != 0 || west != 0 {
		t.Errorf("paced reads were throttled: %d in us-east-1, %d in eu-west-1", east, west)
	}
	// Twelve calls spaced 200 ms apart cannot take less than 2.2 s.
	if took < 2*time.Second {
		t.Errorf("twelve paced reads in one region took %s: they were not spaced", took)
	}
}
