package main

import (
	"cmp"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// renderTarget is issue 7's target for row 5.
const renderTarget = time.Millisecond

// viewResult is one line of `go test -bench` output.
type viewResult struct {
	Name        string  `json:"name"`
	Iterations  int     `json:"iterations"`
	NsPerOp     float64 `json:"ns_per_op"`
	BytesPerOp  float64 `json:"bytes_per_op"`
	AllocsPerOp float64 `json:"allocs_per_op"`
}

type renderDetails struct {
	Command string       `json:"command"`
	Screens []viewResult `json:"screens"`
}

// benchResultLine matches a result line; the name's -N suffix is
// GOMAXPROCS, removed by parseBench.
var benchResultLine = regexp.MustCompile(`^(Benchmark\S+)\s+(\d+)\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op)?(?:\s+([\d.]+) allocs/op)?`)

var procsSuffix = regexp.MustCompile(`-\d+$`)

// parseBench reads the result lines of `go test -bench -benchmem`.
func parseBench(out string) []viewResult {
	var res []viewResult
	for _, line := range strings.Split(out, "\n") {
		m := benchResultLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		r := viewResult{Name: procsSuffix.ReplaceAllString(m[1], "")}
		r.Iterations, _ = strconv.Atoi(m[2])
		r.NsPerOp, _ = strconv.ParseFloat(m[3], 64)
		if m[4] != "" {
			r.BytesPerOp, _ = strconv.ParseFloat(m[4], 64)
		}
		if m[5] != "" {
			r.AllocsPerOp, _ = strconv.ParseFloat(m[5], 64)
		}
		res = append(res, r)
	}
	return res
}

func benchRender(ctx context.Context, cfg *config) []Row {
	const id, name = "5", "View() of the slowest screen"
	args := []string{"test", "-run", "^$", "-bench", "^BenchmarkView$", "-benchmem", "-benchtime", cfg.benchtime, "-count", "1", "./wizard"}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = cfg.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return []Row{failedRow(id, name, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, tail(string(out), 20)))}
	}
	screens := parseBench(string(out))
	if len(screens) == 0 {
		return []Row{failedRow(id, name, fmt.Errorf("go %s printed no results:\n%s", strings.Join(args, " "), tail(string(out), 20)))}
	}
	slowest := slices.MaxFunc(screens, func(a, b viewResult) int { return cmp.Compare(a.NsPerOp, b.NsPerOp) })
	screen := strings.TrimPrefix(slowest.Name, "BenchmarkView/")
	row := Row{
		ID: id, Benchmark: name + " (" + screen + ")", Target: "< 1 ms",
		Method:  "go " + strings.Join(args, " ") + "; the figure is the slowest screen's ns/op",
		Details: renderDetails{Command: "go " + strings.Join(args, " "), Screens: screens},
	}
	row.measured(slowest.NsPerOp/1e9, renderTarget.Seconds(), unitSeconds)
	row.Met = row.Measured < renderTarget.Seconds()
	var others []string
	for _, s := range screens {
		others = append(others, fmt.Sprintf("%s %s", strings.TrimPrefix(s.Name, "BenchmarkView/"), formatSeconds(s.NsPerOp/1e9)))
	}
	row.Note = fmt.Sprintf("%s: %.0f B and %.0f allocations per frame; all screens: %s",
		screen, slowest.BytesPerOp, slowest.AllocsPerOp, strings.Join(others, ", "))
	return []Row{row}
}
