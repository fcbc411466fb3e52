package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/monitor"
	"github.com/crdb-logexport/crdb-logexport/sandbox/cloudemu"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Targets of issue 15's rows.
const (
	monitorTargetRatio = 1.15
	// soakTargetSlope: RSS may not grow by more than 1 KiB a pass — a
	// month of 5-minute passes (8,640) would add under 9 MiB.
	soakTargetSlope = 1024.0
	// soakWarmup passes are left out of the slope: the heap and the
	// caches fill during them.
	soakWarmup = 100
)

// logsQuota is the emulator's (and AWS's) per-region quota of the two
// CloudWatch Logs reads a deep pass makes per log group.
const logsQuota = 5.0

type monitorDetails struct {
	Clusters       int            `json:"clusters"`
	Exporting      int            `json:"exporting"`
	Healthy        int            `json:"healthy"`
	Failing        int            `json:"failing"`
	NotChecked     int            `json:"not_checked"`
	CloudRequests  int            `json:"cloud_requests"`
	CloudByOp      map[string]int `json:"cloud_by_operation"`
	RateLimited    int            `json:"rate_limited_429"`
	AWSByOp        map[string]int `json:"aws_by_operation"`
	Throttled      map[string]int `json:"logs_throttled"`
	CloudBoundS    float64        `json:"cloud_bound_seconds"`
	LogsBoundS     float64        `json:"logs_bound_seconds"`
	BusiestRegion  string         `json:"busiest_region"`
	Latency        string         `json:"latency"`
	WallSeconds    float64        `json:"wall_seconds"`
	PrepareSeconds float64        `json:"prepare_seconds"`
}

// benchMonitorOnce is row 7: `monitor --all --once` over 205 clusters, 200
// of them exporting, every check of each, against 100 ms per call.
func benchMonitorOnce(ctx context.Context, cfg *config) []Row {
	const id, name = "7", "monitor --all --once (205 clusters, 100 ms RTT)"
	row, err := monitorOnce(ctx, cfg)
	if err != nil {
		return []Row{failedRow(id, name, err)}
	}
	row.ID, row.Benchmark = id, name
	return []Row{row}
}

func monitorOnce(ctx context.Context, cfg *config) (Row, error) {
	sb, err := startSandbox(ctx, cfg.bin, "--extra-clusters", fmt.Sprint(fleetExtra),
		"--enable-after", "200ms", "--iam-propagation", "1ms", "--event-interval", "1h")
	if err != nil {
		return Row{}, err
	}
	defer sb.stop()
	started := time.Now()
	fleet, err := exportFleet(ctx, sb)
	if err != nil {
		return Row{}, fmt.Errorf("enabling the fleet's exports: %w", err)
	}
	prepared := time.Since(started)
	for _, base := range []string{sb.cloudURL(), sb.awsURL()} {
		if err := adminCall(http.MethodPut, base+"/_sandbox/latency", map[string]string{"latency": sandboxLatency.String()}, nil); err != nil {
			return Row{}, err
		}
	}
	// Let the Cloud API's bucket refill after the preparation's reads.
	time.Sleep(1500 * time.Millisecond)
	cloudBefore, err := sb.cloudStats()
	if err != nil {
		return Row{}, err
	}
	awsBefore, quotasBefore, err := awsCounters(sb)
	if err != nil {
		return Row{}, err
	}
	home, cleanup, err := tempHome()
	if err != nil {
		return Row{}, err
	}
	defer cleanup()
	run, err := runTool(ctx, cfg.bin, toolEnv(home, sb.vars, nil), "monitor", "--all", "--once", "--output", "json")
	if err != nil && !isExit(err, 3) {
		return Row{}, err
	}
	pass, err := lastPass(run.Stdout)
	if err != nil {
		return Row{}, err
	}
	cloudAfter, err := sb.cloudStats()
	if err != nil {
		return Row{}, err
	}
	awsAfter, quotasAfter, err := awsCounters(sb)
	if err != nil {
		return Row{}, err
	}

	d := monitorDetails{
		Clusters: pass.Pass.Clusters, Exporting: len(fleet), Healthy: pass.Pass.Healthy, Failing: pass.Pass.Failing, NotChecked: pass.Pass.Errors,
		CloudByOp: diff(cloudAfter.ByOperation, cloudBefore.ByOperation), AWSByOp: diff(awsAfter, awsBefore),
		Throttled: diff(quotasAfter, quotasBefore), RateLimited: cloudAfter.ByStatus["429"] - cloudBefore.ByStatus["429"],
		Latency: sandboxLatency.String(), WallSeconds: run.Took.Seconds(), PrepareSeconds: prepared.Seconds(),
	}
	d.CloudRequests = cloudAfter.Requests - cloudBefore.Requests
	// The bound: the requests a pass cannot do without, at the rates the
	// services allow — every page of the cluster list and one export read
	// per cluster that can export to CloudWatch, at 10 a second; and in
	// the busiest region, one DescribeLogGroups and one DescribeLogStreams
	// per exporting log group, at 5 a second each.
	applicable, pages := 0, (len(cloudemu.Seed(fleetExtra))+99)/100
	for _, c := range cloudemu.Seed(fleetExtra) {
		if c.CloudProvider == cloudemu.CloudAWS && c.Plan != cloudemu.PlanBasic && !c.Inactive {
			applicable++
		}
	}
	d.CloudBoundS = float64(pages+applicable) / cloudapi.DefaultRate
	perRegion := map[string]int{}
	for _, c := range fleet {
		for _, r := range c.Regions {
			perRegion[r.Name]++
		}
	}
	for region, n := range perRegion {
		if s := float64(n) / logsQuota; s > d.LogsBoundS {
			d.LogsBoundS, d.BusiestRegion = s, region
		}
	}
	bound := math.Max(d.CloudBoundS, d.LogsBoundS)
	throttled := 0
	for _, n := range d.Throttled {
		throttled += n
	}
	row := Row{
		Target:  fmt.Sprintf("≤ %.2f× bound, no 429, no throttling", monitorTargetRatio),
		Details: d,
		Method: fmt.Sprintf("wall time of `monitor --all --once --output json` (every check of every exporting cluster) against `sandbox serve --extra-clusters %d` with %d clusters exporting (each its own role and log groups) and %s per call; bound = max(list pages + export reads at 10/s, the busiest region's log groups at CloudWatch Logs' 5 reads/s); 429s and throttles from the emulators' counters over the pass",
			fleetExtra, len(fleet), sandboxLatency),
	}
	row.measured(run.Took.Seconds(), bound, unitSeconds)
	row.Met = row.Ratio <= monitorTargetRatio && d.RateLimited == 0 && throttled == 0
	row.Note = fmt.Sprintf("%d clusters, %d exporting: %d healthy, %d failing, %d not checked; %d Cloud requests (%d list pages, %d export reads), %d × 429; %d DescribeLogGroups, %d DescribeLogStreams, %d throttled; bound %.1f s (Cloud) vs %.1f s (%s's log groups)",
		d.Clusters, d.Exporting, d.Healthy, d.Failing, d.NotChecked, d.CloudRequests, d.CloudByOp["cloud:ListClusters"], d.CloudByOp["cloud:GetLogExportInfo"], d.RateLimited,
		d.AWSByOp["logs:DescribeLogGroups"], d.AWSByOp["logs:DescribeLogStreams"], throttled, d.CloudBoundS, d.LogsBoundS, d.BusiestRegion)
	return row, nil
}

// exportFleet enables log export of every extra cluster the way a careful
// operator would: a role of its own trusted by the cluster's account, one
// shared least-privilege policy covering the fleet's log groups, the log
// group in each of the cluster's regions, then the POST; and waits until
// every one is ENABLED.
func exportFleet(ctx context.Context, sb *sandboxProc) ([]cloudemu.SeedCluster, error) {
	awsc := awsiam.NewClients(aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(sb.awsURL()),
		Credentials:  credentials.NewStaticCredentialsProvider(sb.vars["AWS_ACCESS_KEY_ID"], sb.vars["AWS_SECRET_ACCESS_KEY"], ""),
	})
	cloud, err := cloudapi.New(cloudapi.Options{BaseURL: sb.cloudURL(), APIKey: sb.vars["COCKROACH_API_KEY"], UserAgent: "crdb-logexport-bench"})
	if err != nil {
		return nil, err
	}
	caller, err := awsiam.CallerIdentity(ctx, awsc.STS)
	if err != nil {
		return nil, err
	}
	pol, err := awsiam.EnsurePolicy(ctx, awsc.IAM, awsiam.PolicySpec{
		Account: caller.Account, Name: "FleetLogExportPolicy",
		Document: awsiam.PermissionPolicy(awsiam.PermissionSpec{Account: caller.Account, LogGroups: []string{"crdb-fleet-*"}}),
	})
	if err != nil {
		return nil, err
	}
	var fleet []cloudemu.SeedCluster
	for _, c := range cloudemu.Seed(fleetExtra) {
		if strings.HasPrefix(c.Name, "fleet-") {
			fleet = append(fleet, c)
		}
	}
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, c := range fleet {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := exportOne(ctx, awsc, cloud, pol.ARN, c); err != nil {
				mu.Lock()
				firstErr = errors.Join(firstErr, fmt.Errorf("%s: %w", c.Name, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	for attempt := 0; ; attempt++ {
		pending := 0
		for _, c := range fleet {
			info, err := cloud.LogExport(ctx, c.ID)
			if err != nil {
				return nil, err
			}
			switch {
			case info.Status == cloudapi.StatusEnabled:
			case info.Status.Failed():
				return nil, fmt.Errorf("%s: %s: %s", c.Name, info.Status, info.UserMessage)
			default:
				pending++
			}
		}
		if pending == 0 {
			return fleet, nil
		}
		if attempt == 5 {
			return nil, fmt.Errorf("%d exports still not ENABLED", pending)
		}
		time.Sleep(2 * time.Second)
	}
}

func exportOne(ctx context.Context, awsc *awsiam.Clients, cloud *cloudapi.Client, policyARN string, c cloudemu.SeedCluster) error {
	role, err := awsiam.EnsureRole(ctx, awsc.IAM, awsiam.RoleSpec{Name: c.Name + "-logexport", Trust: awsiam.TrustPolicy(c.AccountID, "")})
	if err != nil {
		return err
	}
	if _, err := awsiam.AttachPolicy(ctx, awsc.IAM, c.Name+"-logexport", policyARN); err != nil {
		return err
	}
	group := steps.DefaultLogGroup(c.Name)
	for _, r := range c.Regions {
		if _, err := awsiam.EnsureLogGroup(ctx, awsc.LogsFor(r.Name), group, 30, nil); err != nil {
			return err
		}
	}
	_, err = cloud.EnableLogExport(ctx, c.ID, cloudapi.EnableLogExportRequest{Type: cloudapi.TypeAWSCloudWatch, LogName: group, AuthPrincipal: role.ARN})
	return err
}

// awsCounters reads the AWS emulator's requests by operation and what its
// quotas throttled.
func awsCounters(sb *sandboxProc) (byOp, throttled map[string]int, err error) {
	var st struct {
		ByOperation map[string]int `json:"by_operation"`
	}
	if err := adminCall(http.MethodGet, sb.awsURL()+"/_sandbox/stats", nil, &st); err != nil {
		return nil, nil, err
	}
	var q struct {
		Throttled map[string]int `json:"throttled"`
	}
	if err := adminCall(http.MethodGet, sb.awsURL()+"/_sandbox/quotas", nil, &q); err != nil {
		return nil, nil, err
	}
	return st.ByOperation, q.Throttled, nil
}

func diff(after, before map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// lastPass is the monitor's last pass event (--output json).
func lastPass(stdout []byte) (*monitor.Event, error) {
	var last *monitor.Event
	for _, line := range strings.Split(string(stdout), "\n") {
		var ev monitor.Event
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Event == "pass" && ev.Pass != nil {
			last = &ev
		}
	}
	switch {
	case last == nil:
		return nil, fmt.Errorf("the monitor printed no pass event:\n%s", tail(string(stdout), 10))
	case last.Pass.Failed != "":
		return nil, fmt.Errorf("the pass failed: %s", last.Pass.Failed)
	}
	return last, nil
}

func isExit(err error, code int) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == code
}

type soakDetails struct {
	Passes        int     `json:"passes"`
	DeepPasses    int     `json:"deep_passes"`
	Notifications int     `json:"notifications_delivered"`
	FirstRSSKiB   int     `json:"first_rss_kib"`
	LastRSSKiB    int     `json:"last_rss_kib"`
	MaxRSSKiB     int     `json:"max_rss_kib"`
	SlopeBytes    float64 `json:"slope_bytes_per_pass"`
	// SlopeLastHalf is the slope over the second half of the passes: where
	// a leak would show as clearly as anywhere, with the heap long warm.
	SlopeLastHalf float64 `json:"slope_last_half_bytes_per_pass"`
	Seconds       float64 `json:"seconds"`
	SamplesKiB    []int   `json:"rss_kib_per_pass"`
}

// benchMonitorSoak is row 8: the resident set size of a long-running
// monitor over many passes, and its slope.
func benchMonitorSoak(ctx context.Context, cfg *config) []Row {
	id, name := "8", fmt.Sprintf("monitor RSS over %d passes (slope)", cfg.soakPasses)
	d, err := monitorSoak(ctx, cfg)
	if err != nil {
		return []Row{failedRow(id, name, err)}
	}
	row := Row{
		ID: id, Benchmark: name, Target: fmt.Sprintf("≤ %.0f B/pass", soakTargetSlope), Details: d,
		Method: fmt.Sprintf("`monitor --cluster staging-aws --interval 1ms --notify-success --output json` (IAM every 6th pass, an \"ok\" to the webhook after each) against `sandbox serve`; VmRSS from /proc at each pass event; least-squares slope over passes %d–%d", soakWarmup+1, cfg.soakPasses),
	}
	row.measured(d.SlopeBytes, soakTargetSlope, unitBytesPerPass)
	row.Met = d.SlopeBytes <= soakTargetSlope
	row.Note = fmt.Sprintf("%d passes in %.0f s (%d with every check), %d notifications delivered; RSS %.1f MiB after the first pass, %.1f MiB after the last, peak %.1f MiB; slope over the second half %.0f B/pass",
		d.Passes, d.Seconds, d.DeepPasses, d.Notifications, float64(d.FirstRSSKiB)/1024, float64(d.LastRSSKiB)/1024, float64(d.MaxRSSKiB)/1024, d.SlopeLastHalf)
	return []Row{row}
}

func monitorSoak(ctx context.Context, cfg *config) (soakDetails, error) {
	if cfg.soakPasses <= soakWarmup+1 {
		return soakDetails{}, fmt.Errorf("-soak-passes must be more than %d", soakWarmup+1)
	}
	sb, err := startSandbox(ctx, cfg.bin, "--enable-after", "200ms", "--iam-propagation", "1ms")
	if err != nil {
		return soakDetails{}, err
	}
	defer sb.stop()
	home, cleanup, err := tempHome()
	if err != nil {
		return soakDetails{}, err
	}
	defer cleanup()
	env := toolEnv(home, sb.vars, nil)
	if _, err := runTool(ctx, cfg.bin, env, "setup", "--cluster", "staging-aws", "--yes"); err != nil {
		return soakDetails{}, err
	}
	hookFile := filepath.Join(home, "webhook-url")
	if err := os.WriteFile(hookFile, []byte(sb.vars["CRDB_LOGEXPORT_WEBHOOK_URL"]+"\n"), 0o600); err != nil {
		return soakDetails{}, err
	}
	cmd := exec.CommandContext(ctx, cfg.bin, "monitor", "--cluster", "staging-aws", "--interval", "1ms", "--notify-success",
		"--webhook-url-file", hookFile, "--output", "json")
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return soakDetails{}, err
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return soakDetails{}, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	d := soakDetails{}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	status := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status"
	for d.Passes < cfg.soakPasses && sc.Scan() {
		var ev monitor.Event
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Event != "pass" || ev.Pass == nil {
			continue
		}
		if ev.Pass.Failed != "" || ev.Pass.Healthy != 1 {
			return d, fmt.Errorf("pass %d: %+v\n%s", d.Passes+1, *ev.Pass, tail(stderr.String(), 10))
		}
		kib, err := vmRSS(status)
		if err != nil {
			return d, err
		}
		d.Passes++
		d.Notifications += ev.Pass.Sent
		if ev.Pass.Deep {
			d.DeepPasses++
		}
		d.SamplesKiB = append(d.SamplesKiB, kib)
	}
	d.Seconds = time.Since(start).Seconds()
	if d.Passes < cfg.soakPasses {
		return d, fmt.Errorf("the monitor stopped after %d passes: %v\n%s", d.Passes, sc.Err(), tail(stderr.String(), 10))
	}
	_ = cmd.Process.Signal(os.Interrupt)
	d.FirstRSSKiB, d.LastRSSKiB = d.SamplesKiB[0], d.SamplesKiB[len(d.SamplesKiB)-1]
	for _, k := range d.SamplesKiB {
		d.MaxRSSKiB = max(d.MaxRSSKiB, k)
	}
	d.SlopeBytes = slope(d.SamplesKiB[soakWarmup:]) * 1024
	d.SlopeLastHalf = slope(d.SamplesKiB[len(d.SamplesKiB)/2:]) * 1024
	return d, nil
}

// vmRSS reads a process's resident set size in KiB.
func vmRSS(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return 0, fmt.Errorf("no VmRSS in %s", path)
}

// slope is the least-squares slope of ys against their index.
func slope(ys []int) float64 {
	n := float64(len(ys))
	var sx, sy, sxx, sxy float64
	for i, y := range ys {
		x := float64(i)
		sx += x
		sy += float64(y)
		sxx += x * x
		sxy += x * float64(y)
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}
