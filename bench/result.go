package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Units of a row's figures.
const (
	unitSeconds      = "s"
	unitBytes        = "B"
	unitBytesPerPass = "B/pass"
)

// Row is one line of the table and one entry of results.json.
type Row struct {
	ID        string `json:"id"`
	Benchmark string `json:"benchmark"`
	// Measured and Bound are in Unit: seconds or bytes.
	Measured float64 `json:"measured"`
	Bound    float64 `json:"bound"`
	Unit     string  `json:"unit"`
	Ratio    float64 `json:"ratio"`
	Target   string  `json:"target"`
	Met      bool    `json:"met"`
	Method   string  `json:"method"`
	// Note is shown under the table: what the figure leaves out.
	Note    string `json:"note,omitempty"`
	Details any    `json:"details,omitempty"`
	// Error is set when the row could not be measured; the figures are
	// then meaningless.
	Error string `json:"error,omitempty"`
	// MeasuredAt is the date of the run that measured the row (a run of
	// some rows keeps the others from the file).
	MeasuredAt string `json:"measured_at,omitempty"`
}

// measured fills in the figures and the ratio of a row.
func (r *Row) measured(value, bound float64, unit string) {
	r.Measured, r.Bound, r.Unit = value, bound, unit
	if bound > 0 {
		r.Ratio = value / bound
	}
}

func failedRow(id, name string, err error) Row {
	return Row{ID: id, Benchmark: name, Error: err.Error()}
}

func (r Row) format(v float64) string {
	switch r.Unit {
	case unitBytes:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case unitBytesPerPass:
		return fmt.Sprintf("%.0f B/pass", v)
	}
	return formatSeconds(v)
}

// formatSeconds picks the unit that keeps three significant digits.
func formatSeconds(v float64) string {
	switch {
	case v < 1e-3:
		return fmt.Sprintf("%.0f µs", v*1e6)
	case v < 1:
		return fmt.Sprintf("%.1f ms", v*1e3)
	default:
		return fmt.Sprintf("%.2f s", v)
	}
}

// writeTable prints the rows and, under them, their notes.
func writeTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tbenchmark\tmeasured\tbound\tratio\ttarget\tmet?")
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\t\t%s\t%s\n", r.ID, r.Benchmark, "error", r.Target, "—")
			continue
		}
		met := "no"
		if r.Met {
			met = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f×\t%s\t%s\n", r.ID, r.Benchmark, r.format(r.Measured), r.format(r.Bound), r.Ratio, r.Target, met)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var notes []string
	for _, r := range rows {
		text := r.Note
		if r.Error != "" {
			text = "error: " + r.Error
		}
		if text != "" {
			notes = append(notes, fmt.Sprintf("%-3s %s", r.ID, strings.ReplaceAll(text, "\n", "\n    ")))
		}
	}
	if len(notes) > 0 {
		_, err := fmt.Fprintf(w, "\n%s\n", strings.Join(notes, "\n"))
		return err
	}
	return nil
}

// seconds converts durations for percentiles.
func seconds(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

// percentile is the nearest-rank percentile (p in 0..100): the smallest
// sample with at least p% of the samples at or below it. With n samples
// the p95 is the maximum whenever n < 20.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// median is the middle sample, or the mean of the two middle ones.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// spread summarises samples in seconds for results.json.
type spread struct {
	N      int       `json:"n"`
	Min    float64   `json:"min"`
	Median float64   `json:"median"`
	P95    float64   `json:"p95"`
	Max    float64   `json:"max"`
	All    []float64 `json:"samples"`
}

func summarize(xs []float64) spread {
	if len(xs) == 0 {
		return spread{}
	}
	return spread{N: len(xs), Min: slices.Min(xs), Median: median(xs), P95: percentile(xs, 95), Max: slices.Max(xs), All: xs}
}
