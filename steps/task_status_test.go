package steps

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
)

// TestRunStatusFollowsPastTerminal: a followed status does not stop at
// ENABLED. A disable made elsewhere is seen, read again whole, and the
// watch goes on; its events count every poll. Unattended, it keeps
// following until the context ends.
func TestRunStatusFollowsPastTerminal(t *testing.T) {
	env, _ := lifecycleEnv(t, 0)
	res := setUp(t, env, SetupInput{Cluster: cloudemu.StagingAWSClusterName, ExternalID: ExternalIDNone})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var (
		mu    sync.Mutex
		reads []cloudapi.Status
		polls []int
	)
	disabled := make(chan struct{})
	l := Listener(func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		switch e := e.(type) {
		case ExportRead:
			reads = append(reads, e.Export.Status)
			if e.Export.Status == cloudapi.StatusDisabled {
				close(disabled)
			}
		case StatusSeen:
			polls = append(polls, e.Status.Polls)
		}
	})
	wo := cloudapi.WatchOptions{Schedule: fastWatch.Schedule, Settled: func(time.Duration) time.Duration { return 100 * time.Millisecond }}
	done := make(chan StatusEnd, 1)
	go func() {
		done <- RunStatus(ctx, env, StatusTask{Ref: res.ClusterID, Follow: true, Watch: wo, SkipLogs: true}, Unattended{}, l)
	}()
	time.Sleep(500 * time.Millisecond)
	if _, err := env.Cloud.DeleteLogExport(ctx, res.ClusterID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-disabled:
	case end := <-done:
		t.Fatalf("the follow ended on its own: %+v", end)
	case <-ctx.Done():
		t.Fatal("the disable was never seen")
	}
	cancel()
	end := <-done
	if end.Ending != Stopped || end.Export == nil || end.Export.Status != cloudapi.StatusDisabled {
		t.Fatalf("end %+v", end)
	}
	mu.Lock()
	defer mu.Unlock()
	if reads[0] != cloudapi.StatusEnabled || reads[len(reads)-1] != cloudapi.StatusDisabled {
		t.Errorf("reads %v: want ENABLED first, DISABLED last", reads)
	}
	for i, n := range polls {
		if n != i+1 {
			t.Fatalf("poll counts %v: every poll is an event", polls)
		}
	}
}
