// Command bench measures crdb-logexport against the speed and resource
// requirements of PRODUCT.md §7 (issue 7), prints one table and writes
// bench/results.json. `make bench` builds the binary and runs it:
//
//	make build && go run ./bench [flags]
//
// It runs from anywhere inside the module and needs Linux (a pseudo-terminal
// for the first-frame timing), tmux, and GNU time at /usr/bin/time (Debian
// package "time"). Every row reports the measured figure, the bound it is
// measured against, and their ratio; a missed target is reported, never
// hidden, and does not change the exit status. The exit status is 1 only
// when a row could not be measured at all.
//
// Flags:
//
//	-only LIST          rows to run, comma-separated numbers or names:
//	                    1 setup, 2 watch, 3 fleet, 4 startup, 5 render,
//	                    6 memory, 7 monitor, 8 soak (default: all)
//	-bin PATH           the binary to measure (default bin/crdb-logexport)
//	-out PATH           the results file (default bench/results.json); with
//	                    -only, the rows not run are kept from it
//	-setup-runs N       timed runs of row 1 (default 5)
//	-samples N          status changes per enable delay in row 2 (default 20)
//	-watch-latency D    Cloud API latency for row 2's watcher (default 0)
//	-version-runs N     runs of `crdb-logexport version` in row 4 (default 50)
//	-frame-runs N       first-frame runs in row 4 (default 15)
//	-benchtime D        go test -benchtime of row 5 (default 1s)
//	-soak-passes N      passes of the long-running monitor in row 8
//	                    (default 1000)
//
// The rows, and how each is measured:
//
//  1. Setup critical path: `setup --cluster prod-aws --yes --no-wait`
//     against `sandbox serve --latency 100ms`, both emulators reset before
//     each run, wall time from exec to exit (median). The bound is the
//     number of dependent round trips setup cannot avoid × 100 ms; the
//     chain is derived in setup.go (minimalChain) and printed with the
//     chain one traced run actually took, recorded by a proxy in front of
//     both emulators.
//  2. Status-change detection: for enable delays of about 3 s, 17 s and
//     45 s, an in-process sandbox per sample enables staging-aws for real
//     (role, policy and log group created first), and steps.WatchExport —
//     the watcher setup waits with — follows it. Each row's enable delays
//     are spread evenly over two of the watcher's poll intervals around
//     the nominal delay (2–4 s, 16–18 s, 43–47 s): both schedules start at
//     the POST, so one fixed delay would put every change at the same
//     phase between two polls and every sample would measure that one
//     phase. The change time is the updated_at the emulator stamps on the
//     record when it settles on ENABLED, under the lock that makes the
//     status readable; the delay runs from there to the watcher's callback.
//     The Terraform provider's schedule (polls at 0, 0.5, 1.5, 3.5, 7.5,
//     15.5 s after the POST, then every 10 s) is evaluated on the same
//     change times: its delay is the first poll at or after the change.
//     GETs per minute are the emulator's counts of the watcher's reads over
//     the watch time. One sandbox per sample gives every watcher the 10
//     requests/second budget one user's setup has; the samples start
//     staggered so their enable work does not coincide. p95 is by nearest
//     rank (with 20 samples, the second largest).
//  3. Fleet status: `status --all` over 205 clusters (`sandbox serve
//     --extra-clusters 200 --latency 100ms`), wall time against clusters ÷
//     10 requests/second, with the emulator's count of 429 answers.
//  4. Start-up: `crdb-logexport version` (median of many runs, after three
//     warm-up runs), and the time from exec to the first frame of the home
//     menu (`crdb-logexport` on a pseudo-terminal of 100×30 with the
//     sandbox's environment): the moment the output read from the terminal
//     first contains the menu's question. The harness answers the
//     terminal queries the program sends (background colour, device
//     attributes) as a terminal would. Row 4c is the package
//     initialisation before main: `version` with GODEBUG=inittrace=1, the
//     sum of every package's init clock (median), the project's own
//     packages apart, and the largest packages named, so that a regexp
//     compiled or a table built at init shows up as a regression.
//  5. Rendering: `go test -bench '^BenchmarkView$' -benchmem ./wizard`; the
//     slowest screen's ns/op is the figure.
//  6. Memory: `/usr/bin/time -v crdb-logexport demo` in a tmux session
//     driven with enter at every prompt until the export is ENABLED and
//     logs arrive, then q; "Maximum resident set size" is the figure.
//  7. Monitor pass: `monitor --all --once` against `sandbox serve
//     --extra-clusters 200`, after the 200 extra clusters' exports were
//     enabled for real (a role each, one shared policy, their log groups)
//     and 100 ms of latency was put on both emulators: every check of
//     every exporting cluster. The bound is the larger of the Cloud API's
//     (list pages plus one export read per AWS Advanced or Standard
//     cluster, at 10 a second) and CloudWatch Logs' (the busiest region's
//     log groups, one DescribeLogGroups and one DescribeLogStreams each, at
//     5 a second); the emulators' counters over the pass give the 429s and
//     the throttled calls, which must both be zero.
//  8. Monitor soak: `monitor --cluster staging-aws --interval 1ms
//     --notify-success` with a generic webhook against `sandbox serve` for
//     -soak-passes passes (IAM every 6th, an "ok" delivered after each);
//     VmRSS is read from /proc at every pass event, and the figure is the
//     least-squares slope after the first 100 passes, against 1 KiB a pass.
package main
