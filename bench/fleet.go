package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// fleetExtra clusters join the five seeded ones for row 3.
const fleetExtra = 200

// fleetTargetRatio is issue 7's target for row 3.
const fleetTargetRatio = 1.15

type fleetDetails struct {
	Clusters    int            `json:"clusters"`
	Requests    int            `json:"requests"`
	ByOperation map[string]int `json:"by_operation"`
	RateLimited int            `json:"rate_limited"`
	Latency     string         `json:"latency"`
	WallSeconds float64        `json:"wall_seconds"`
}

func benchFleet(ctx context.Context, cfg *config) []Row {
	const id, name = "3", "status --all (205 clusters, 100 ms RTT)"
	row, err := fleetOnce(ctx, cfg)
	if err != nil {
		return []Row{failedRow(id, name, err)}
	}
	row.ID, row.Benchmark = id, name
	return []Row{row}
}

func fleetOnce(ctx context.Context, cfg *config) (Row, error) {
	sb, err := startSandbox(ctx, cfg.bin, "--latency", sandboxLatency.String(), "--extra-clusters", fmt.Sprint(fleetExtra))
	if err != nil {
		return Row{}, err
	}
	defer sb.stop()
	home, cleanup, err := tempHome()
	if err != nil {
		return Row{}, err
	}
	defer cleanup()
	run, err := runTool(ctx, cfg.bin, toolEnv(home, sb.vars, nil), "status", "--all", "--output", "json")
	if err != nil {
		return Row{}, err
	}
	var res struct {
		Clusters []json.RawMessage `json:"clusters"`
		Failed   int               `json:"failed"`
	}
	if err := json.Unmarshal(run.Stdout, &res); err != nil {
		return Row{}, fmt.Errorf("reading status --all output: %w", err)
	}
	if res.Failed > 0 {
		return Row{}, fmt.Errorf("status --all could not read %d clusters", res.Failed)
	}
	st, err := sb.cloudStats()
	if err != nil {
		return Row{}, err
	}
	n := len(res.Clusters)
	d := fleetDetails{
		Clusters: n, Requests: st.Requests, ByOperation: st.ByOperation, RateLimited: st.ByStatus["429"],
		Latency: sandboxLatency.String(), WallSeconds: run.Took.Seconds(),
	}
	bound := time.Duration(float64(n) / 10 * float64(time.Second))
	row := Row{
		Target:  fmt.Sprintf("≤ %.2f× bound, no 429", fleetTargetRatio),
		Method:  fmt.Sprintf("wall time (exec to exit) of `status --all --output json` against `sandbox serve --extra-clusters %d --latency %s`; bound = clusters ÷ 10 requests/s; 429s from the emulator's counters", fleetExtra, sandboxLatency),
		Details: d,
	}
	row.measured(run.Took.Seconds(), bound.Seconds(), unitSeconds)
	row.Met = row.Ratio <= fleetTargetRatio && d.RateLimited == 0
	row.Note = fmt.Sprintf("%d clusters, %d requests (%d list pages, %d export reads), %d × 429",
		n, st.Requests, st.ByOperation["cloud:ListClusters"], st.ByOperation["cloud:GetLogExportInfo"], d.RateLimited)
	return row, nil
}
