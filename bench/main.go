package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// config is what every row needs: the flags, the binary, and a sandbox
// shared by the rows that talk to one.
type config struct {
	root         string // module root; relative paths are from here
	bin          string
	out          string
	setupRuns    int
	samples      int
	watchLatency time.Duration
	versionRuns  int
	frameRuns    int
	benchtime    string
	soakPasses   int

	shared *sandboxProc // `sandbox serve --latency 100ms`, started on first use
}

// rowFuncs are the benchmarks in the order they run: the CPU-bound ones
// first, while the machine is least likely to have become busy, the
// long waits last. A row function returns one row or several (row 2 has
// one per enable delay, row 4 three); the table is in row order.
var rowFuncs = []struct {
	num, name string
	run       func(context.Context, *config) []Row
}{
	{"4", "startup", benchStartup},
	{"5", "render", benchRender},
	{"1", "setup", benchSetup},
	{"6", "memory", benchMemory},
	{"3", "fleet", benchFleet},
	{"7", "monitor", benchMonitorOnce},
	{"2", "watch", benchWatch},
	{"8", "soak", benchMonitorSoak},
}

func main() {
	os.Exit(run())
}

func run() int {
	cfg := &config{}
	var only string
	flag.StringVar(&only, "only", "", "rows to run, comma-separated: 1 setup, 2 watch, 3 fleet, 4 startup, 5 render, 6 memory, 7 monitor, 8 soak (default all)")
	flag.StringVar(&cfg.bin, "bin", "bin/crdb-logexport", "the crdb-logexport binary to measure (`make build`)")
	flag.StringVar(&cfg.out, "out", "bench/results.json", "where to write the results")
	flag.IntVar(&cfg.setupRuns, "setup-runs", 5, "timed runs of setup (row 1)")
	flag.IntVar(&cfg.samples, "samples", 20, "status changes per enable delay (row 2)")
	flag.DurationVar(&cfg.watchLatency, "watch-latency", 0, "latency of the Cloud API for the watcher of row 2")
	flag.IntVar(&cfg.versionRuns, "version-runs", 50, "runs of `crdb-logexport version` (row 4)")
	flag.IntVar(&cfg.frameRuns, "frame-runs", 15, "first-frame runs of the home menu (row 4)")
	flag.StringVar(&cfg.benchtime, "benchtime", "1s", "go test -benchtime for the View() benchmark (row 5)")
	flag.IntVar(&cfg.soakPasses, "soak-passes", 1000, "passes of the long-running monitor whose RSS row 8 follows")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bench: unexpected arguments %q; see go doc ./bench\n", flag.Args())
		return 2
	}
	selected, err := selectRows(only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if cfg.setupRuns < 1 || cfg.samples < 1 || cfg.versionRuns < 1 || cfg.frameRuns < 1 {
		fmt.Fprintln(os.Stderr, "bench: -setup-runs, -samples, -version-runs and -frame-runs must be at least 1")
		return 2
	}
	if cfg.root, err = moduleRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	cfg.bin = fromRoot(cfg.root, cfg.bin)
	cfg.out = fromRoot(cfg.root, cfg.out)
	if _, err := os.Stat(cfg.bin); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v: run `make build` first (or pass -bin)\n", err)
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	started := time.Now()
	loadBefore := loadAverage()
	var rows []Row
	for _, rf := range rowFuncs {
		if !selected[rf.num] {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: row %s (%s)…\n", rf.num, rf.name)
		rows = append(rows, rf.run(ctx, cfg)...)
		if ctx.Err() != nil {
			break
		}
	}
	if cfg.shared != nil {
		cfg.shared.stop()
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "bench: interrupted")
		return 130
	}
	slices.SortStableFunc(rows, func(a, b Row) int { return strings.Compare(a.ID, b.ID) })

	res := results{Machine: describeMachine(cfg, loadBefore), Took: time.Since(started).Round(time.Second).String(), Rows: rows}
	for i := range res.Rows {
		res.Rows[i].MeasuredAt = res.Machine.Date
	}
	fmt.Printf("crdb-logexport benchmarks — %s/%s, %d CPUs, %s, %s; load average %s before, %s after\n",
		res.Machine.GOOS, res.Machine.GOARCH, res.Machine.NumCPU, res.Machine.GoVersion, res.Machine.Date, res.Machine.LoadBefore, res.Machine.LoadAfter)
	if busy(res.Machine.LoadBefore, res.Machine.NumCPU) || busy(res.Machine.LoadAfter, res.Machine.NumCPU) {
		fmt.Println("The machine was busy with other work: the CPU-bound figures (rows 4 and 5) may be inflated; run again on a quiet machine.")
	}
	fmt.Println()
	if err := writeTable(os.Stdout, rows); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if strings.TrimSpace(only) != "" {
		res.Rows = keepEarlierRows(cfg.out, res.Rows)
	}
	if err := writeResults(cfg.out, res); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	shown := cfg.out
	if rel, err := filepath.Rel(cfg.root, cfg.out); err == nil && !strings.HasPrefix(rel, "..") {
		shown = rel
	}
	fmt.Printf("\nResults: %s (took %s)\n", shown, res.Took)
	for _, r := range rows {
		if r.Error != "" {
			return 1
		}
	}
	return 0
}

// selectRows parses -only.
func selectRows(only string) (map[string]bool, error) {
	sel := map[string]bool{}
	if strings.TrimSpace(only) == "" {
		for _, rf := range rowFuncs {
			sel[rf.num] = true
		}
		return sel, nil
	}
	for _, item := range strings.Split(only, ",") {
		item = strings.TrimSpace(item)
		found := false
		for _, rf := range rowFuncs {
			if item == rf.num || strings.EqualFold(item, rf.name) {
				sel[rf.num] = true
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("-only: unknown row %q (rows: 1 setup, 2 watch, 3 fleet, 4 startup, 5 render, 6 memory, 7 monitor, 8 soak)", item)
		}
	}
	return sel, nil
}

// moduleRoot is the nearest directory at or above the working directory
// with a go.mod: `go run ./bench` runs from the root, but `cd bench && go
// run .` should find the same binary and results file.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from inside the crdb-logexport module")
		}
		dir = parent
	}
}

func fromRoot(root, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, p)
}

// results is the document written to results.json.
type results struct {
	Machine machine `json:"machine"`
	Took    string  `json:"took"`
	Rows    []Row   `json:"rows"`
}

type machine struct {
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	NumCPU    int    `json:"num_cpu"`
	GoVersion string `json:"go_version"`
	Binary    string `json:"binary_version"`
	Date      string `json:"date"`
	// LoadBefore and LoadAfter are the 1, 5 and 15 minute load averages:
	// the machine may be shared, and other work inflates the timings.
	LoadBefore string `json:"load_average_before"`
	LoadAfter  string `json:"load_average_after"`
}

func describeMachine(cfg *config, loadBefore string) machine {
	m := machine{
		GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, NumCPU: runtime.NumCPU(),
		GoVersion: runtime.Version(), Date: time.Now().UTC().Format(time.RFC3339),
		LoadBefore: loadBefore, LoadAfter: loadAverage(),
	}
	if out, err := exec.Command(cfg.bin, "version").Output(); err == nil {
		m.Binary, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
	}
	return m
}

// loadAverage is /proc/loadavg's three figures, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// busy reports whether a load average's 1-minute figure exceeds the CPUs.
func busy(load string, cpus int) bool {
	f := strings.Fields(load)
	if len(f) == 0 {
		return false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return err == nil && v > float64(cpus)
}

// keepEarlierRows adds to rows, measured by a run of some rows (-only), the
// other rows of the results file, as that earlier run measured them: each
// row says when (measured_at), and the file's machine is this run's.
func keepEarlierRows(path string, rows []Row) []Row {
	b, err := os.ReadFile(path)
	if err != nil {
		return rows
	}
	var earlier results
	if json.Unmarshal(b, &earlier) != nil {
		return rows
	}
	ran := map[string]bool{}
	for _, r := range rows {
		ran[strings.TrimRight(r.ID, "abcdefghijklmnopqrstuvwxyz")] = true
	}
	for _, r := range earlier.Rows {
		if ran[strings.TrimRight(r.ID, "abcdefghijklmnopqrstuvwxyz")] {
			continue
		}
		if r.MeasuredAt == "" {
			r.MeasuredAt = earlier.Machine.Date
		}
		rows = append(rows, r)
	}
	slices.SortStableFunc(rows, func(a, b Row) int { return strings.Compare(a.ID, b.ID) })
	return rows
}

func writeResults(path string, res results) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
