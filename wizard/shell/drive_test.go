package shell

import (
	"bytes"
	"testing"
)

// Huh pads a prompt's lines to the widest; the answer must follow the
// last line's text, not a screen's width of spaces.
func TestUnpaddedPrompt(t *testing.T) {
	var b bytes.Buffer
	w := unpadded{&b}
	if _, err := w.Write([]byte("\x1b[1mLog group\x1b[m      \r\nCreated in us-east-2.\r\n(enter keeps crdb-x)        ")); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "\x1b[1mLog group\x1b[m\r\nCreated in us-east-2.\r\n(enter keeps crdb-x) "; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
