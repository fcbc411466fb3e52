package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// initTarget bounds the package initialisation of `crdb-logexport
// version`: what the Go runtime, the Charm stack and the AWS SDK need, with
// nothing of the project's own compiled or built before main.
const initTarget = 5 * time.Millisecond

// ownModule prefixes the project's packages in the trace.
const ownModule = "github.com/crdb-logexport/crdb-logexport/"

// initDetails are the figures of row 4c.
type initDetails struct {
	Total    spread             `json:"seconds"`
	Own      spread             `json:"own_seconds"`
	Packages int                `json:"packages"`
	Top      []packageInitShare `json:"top"`
	Command  string             `json:"command"`
}

// packageInitShare is one package's median init clock.
type packageInitShare struct {
	Package string  `json:"package"`
	Seconds float64 `json:"seconds"`
	Bytes   int64   `json:"bytes"`
}

// initRecord is one "init" line of GODEBUG=inittrace=1.
type initRecord struct {
	pkg   string
	clock time.Duration
	bytes int64
}

// parseInitTrace reads the runtime's lines
//
//	init PKG @START ms, CLOCK ms clock, BYTES bytes, ALLOCS allocs
//
// and ignores everything else on stderr.
func parseInitTrace(stderr []byte) ([]initRecord, error) {
	var out []initRecord
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 11 || f[0] != "init" || !strings.HasPrefix(f[2], "@") || f[6] != "clock," || f[8] != "bytes," {
			continue
		}
		ms, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			return nil, fmt.Errorf("inittrace clock %q: %w", f[4], err)
		}
		b, err := strconv.ParseInt(f[7], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("inittrace bytes %q: %w", f[7], err)
		}
		out = append(out, initRecord{pkg: f[1], clock: time.Duration(ms * float64(time.Millisecond)), bytes: b})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no inittrace lines on stderr:\n%s", tail(string(stderr), 10))
	}
	return out, sc.Err()
}

// benchInit runs `crdb-logexport version` with GODEBUG=inittrace=1 and
// sums the clock time of every package's initialisation: the part of
// start-up spent before main, which grows whenever a package compiles a
// regexp or builds a table at init.
func benchInit(ctx context.Context, cfg *config) Row {
	id, name := "4c", fmt.Sprintf("package init of `version` (median of %d)", cfg.versionRuns)
	home, cleanup, err := tempHome()
	if err != nil {
		return failedRow(id, name, err)
	}
	defer cleanup()
	env := setEnv(baseEnv(home), "GODEBUG", "inittrace=1")
	var totals, owns []float64
	perPkg := map[string][]float64{}
	perPkgBytes := map[string]int64{}
	packages := 0
	for range cfg.versionRuns {
		run, err := runTool(ctx, cfg.bin, env, "version")
		if err != nil {
			return failedRow(id, name, err)
		}
		recs, err := parseInitTrace(run.Stderr)
		if err != nil {
			return failedRow(id, name, err)
		}
		var total, own time.Duration
		for _, r := range recs {
			total += r.clock
			if strings.HasPrefix(r.pkg, ownModule) {
				own += r.clock
			}
			perPkg[r.pkg] = append(perPkg[r.pkg], r.clock.Seconds())
			perPkgBytes[r.pkg] = r.bytes
		}
		packages = len(recs)
		totals, owns = append(totals, total.Seconds()), append(owns, own.Seconds())
	}
	var shares []packageInitShare
	for pkg, xs := range perPkg {
		shares = append(shares, packageInitShare{Package: pkg, Seconds: median(xs), Bytes: perPkgBytes[pkg]})
	}
	slices.SortFunc(shares, func(a, b packageInitShare) int {
		if a.Seconds != b.Seconds {
			if a.Seconds > b.Seconds {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Package, b.Package)
	})
	shares = shares[:min(len(shares), 8)]
	s, o := summarize(totals), summarize(owns)
	row := Row{
		ID: id, Benchmark: name, Target: "< 5 ms",
		Method:  fmt.Sprintf("`crdb-logexport version` with GODEBUG=inittrace=1, %d runs: the sum of the clock time the runtime reports for each package's init; median. Own packages (%s…) are summed apart", cfg.versionRuns, ownModule),
		Details: initDetails{Total: s, Own: o, Packages: packages, Top: shares, Command: "GODEBUG=inittrace=1 crdb-logexport version"},
	}
	row.measured(s.Median, initTarget.Seconds(), unitSeconds)
	row.Met = s.Median < initTarget.Seconds()
	var top []string
	for _, sh := range shares[:min(len(shares), 5)] {
		top = append(top, fmt.Sprintf("%s %s", strings.TrimPrefix(sh.Package, "github.com/"), formatSeconds(sh.Seconds)))
	}
	row.Note = fmt.Sprintf("%d packages; the project's own %s (median); largest: %s", packages, formatSeconds(o.Median), strings.Join(top, ", "))
	return row
}
