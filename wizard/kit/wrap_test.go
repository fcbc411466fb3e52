package kit

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// TestWrap: lines break at spaces, never inside region names, timestamps
// or hyphenated names; a word wider than the width breaks after ':' or
// '/', or at the width when it has neither.
func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		w    int
		want []string
	}{{
		name: "prose breaks at spaces",
		in:   "User: arn:aws:sts::271828182845:assumed-role/crl is not authorized to perform: sts:AssumeRole",
		w:    40,
		want: []string{"User:", "arn:aws:sts::271828182845:assumed-role/", "crl is not authorized to perform:", "sts:AssumeRole"},
	}, {
		name: "an ARN that fits moves whole to the next line",
		in:   "role ARN arn:aws:iam::314159265358:role/CockroachCloudLogExportRole",
		w:    60,
		want: []string{"role ARN", "arn:aws:iam::314159265358:role/CockroachCloudLogExportRole"},
	}, {
		name: "an ARN wider than the width breaks at its separators",
		in:   "arn:aws:iam::314159265358:role/CockroachCloudLogExportRole-prod-aws",
		w:    40,
		want: []string{"arn:aws:iam::314159265358:role/", "CockroachCloudLogExportRole-prod-aws"},
	}, {
		name: "region names stay whole",
		in:   "regions us-east-1, us-west-2, eu-west-1",
		w:    28,
		want: []string{"regions us-east-1,", "us-west-2, eu-west-1"},
	}, {
		name: "timestamps stay whole",
		in:   "last changed 2026-12-03T23:49:17Z",
		w:    25,
		want: []string{"last changed", "2026-12-03T23:49:17Z"},
	}, {
		name: "a word with no separator wider than the width is cut at it",
		in:   "x CockroachCloudLogExportRoleWithAVeryLongName",
		w:    20,
		want: []string{"x", "CockroachCloudLogExp", "ortRoleWithAVeryLong", "Name"},
	}, {
		name: "the spaces inside a line are kept, those at a break dropped",
		in:   "1 role ARN     value   next",
		w:    22,
		want: []string{"1 role ARN     value", "next"},
	}, {
		name: "explicit lines are kept",
		in:   "one two\nthree four",
		w:    9,
		want: []string{"one two", "three", "four"},
	}, {
		name: "no width does not wrap",
		in:   "a b c",
		w:    0,
		want: []string{"a b c"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Split(Wrap(tc.in, tc.w), "\n")
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Wrap(%q, %d) =\n%q\nwant\n%q", tc.in, tc.w, got, tc.want)
			}
			for _, l := range got {
				if tc.w > 0 && ansi.StringWidth(l) > tc.w {
					t.Errorf("line %q is wider than %d", l, tc.w)
				}
			}
		})
	}
}

// TestWrapKeepsStyles: a style open at a break is closed before it and
// opened again after it, and the text is unchanged but for the breaks.
func TestWrapKeepsStyles(t *testing.T) {
	red := lipgloss.NewStyle().Foreground(lipgloss.Color("1"))
	in := "status " + red.Render("CREDENTIALS_ERROR: not authorized to perform sts:AssumeRole") + " end"
	got := Wrap(in, 30)
	lines := strings.Split(got, "\n")
	if len(lines) < 3 {
		t.Fatalf("not wrapped:\n%q", got)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > 30 {
			t.Errorf("line %d wider than 30: %q", i, l)
		}
		if strings.Contains(ansi.Strip(l), "perform") && !strings.HasPrefix(l, "\x1b[") {
			t.Errorf("line %d lost its colour: %q", i, l)
		}
		if strings.Count(l, "\x1b[") > 0 && !strings.HasSuffix(l, "\x1b[m") && !strings.HasSuffix(l, " end") {
			t.Errorf("line %d leaves its style open: %q", i, l)
		}
	}
	if strings.Join(strings.Fields(ansi.Strip(got)), " ") != strings.Join(strings.Fields(ansi.Strip(in)), " ") {
		t.Errorf("text changed:\n%q\n%q", ansi.Strip(got), ansi.Strip(in))
	}
	if Wrap(in, 200) != in {
		t.Error("a line that fits changed")
	}
}

// FuzzWrap: whatever the text, no line is wider than the width and no
// character but the spaces at breaks is lost.
func FuzzWrap(f *testing.F) {
	f.Add("arn:aws:iam::314159265358:role/CockroachCloudLogExportRole-prod-aws with external ID", 20)
	f.Add("eu-west-1 2026-12-03T23:49:17Z \x1b[31mred\x1b[m", 7)
	f.Fuzz(func(t *testing.T, s string, w int) {
		w = w%120 + 1
		if w < 1 {
			w = -w + 1
		}
		s = ansi.Strip(s)
		if strings.ContainsAny(s, "\t\r\x00\x1b") || s != strings.ToValidUTF8(s, "") {
			return
		}
		got := Wrap(s, w)
		for _, l := range strings.Split(got, "\n") {
			// A grapheme wider than the width cannot be made to fit.
			if ansi.StringWidth(l) > max(w, 2) {
				t.Fatalf("Wrap(%q, %d): line %q is wider", s, w, l)
			}
		}
		if strings.ReplaceAll(strings.ReplaceAll(got, "\n", ""), " ", "") != strings.ReplaceAll(strings.ReplaceAll(s, "\n", ""), " ", "") {
			t.Fatalf("Wrap(%q, %d) = %q: characters changed", s, w, got)
		}
	})
}

// TestClusterRowsFit: the cluster table shows each cluster's export
// status, and on a narrow terminal names only the first region, then drops
// the plan and the cloud, instead of letting a row wrap inside a region
// name; the status stays.
func TestClusterRowsFit(t *testing.T) {
	q := &steps.ClusterQuestion{Clusters: []cloudapi.Cluster{
		{ID: "p", Name: "prod-aws", Plan: cloudapi.PlanAdvanced, CloudProvider: cloudapi.ProviderAWS, State: cloudapi.StateCreated, Regions: []cloudapi.Region{{Name: "us-east-1"}, {Name: "us-west-2"}, {Name: "eu-west-1"}}},
		{ID: "s", Name: "staging-aws", Plan: cloudapi.PlanAdvanced, CloudProvider: cloudapi.ProviderAWS, State: cloudapi.StateCreated, Regions: []cloudapi.Region{{Name: "us-east-2"}}},
	}, Exports: map[string]steps.ClusterSummary{"p": {Configured: true, Status: cloudapi.StatusEnabled}, "s": {}}}
	for _, tc := range []struct {
		width int
		want  string
	}{
		{100, "prod-aws     ADVANCED  AWS    us-east-1,us-west-2,eu-west-1  ENABLED"},
		{60, "prod-aws     ADVANCED  AWS    us-east-1 +2  ENABLED"},
		{44, "prod-aws     us-east-1 +2  ENABLED"},
	} {
		rows := ClusterRows(q, tc.width)
		if rows[0] != tc.want {
			t.Errorf("width %d: %q, want %q", tc.width, rows[0], tc.want)
		}
		for _, r := range rows {
			if len(r) > tc.width {
				t.Errorf("width %d: row %q is wider", tc.width, r)
			}
		}
		if !strings.HasSuffix(rows[1], "not configured") {
			t.Errorf("width %d: staging-aws's row %q does not say its export is not configured", tc.width, rows[1])
		}
	}
}
