package kit

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
	"github.com/crdb-logexport/crdb-logexport/steps"
)

// TestLinesCountInWords: one poll is "1 poll" (issue 13: "1 polls").
func TestLinesCountInWords(t *testing.T) {
	for polls, want := range map[int]string{1: ", 1 poll\n", 2: ", 2 polls\n"} {
		var w bytes.Buffer
		l := &Lines{W: &w}
		l.Event(steps.StatusSeen{Status: cloudapi.StatusEvent{Info: cloudapi.LogExportInfo{Status: cloudapi.StatusEnabling}, Polls: polls, Elapsed: 300 * time.Millisecond}})
		if !strings.HasSuffix(w.String(), want) {
			t.Errorf("%d polls: %q, want it to end %q", polls, w.String(), want)
		}
	}
}
