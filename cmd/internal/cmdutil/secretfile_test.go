package cmdutil

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadSecretFileWarnsWhenOthersMayReadIt(t *testing.T) {
	const secret = "CCDB1_sentinelSecretValue"
	dir := t.TempDir()
	for _, tc := range []struct {
		mode     os.FileMode
		warnings int
	}{
		{0o600, 0}, {0o400, 0}, {0o640, 1}, {0o644, 1}, {0o606, 1},
	} {
		path := filepath.Join(dir, "key")
		if err := os.WriteFile(path, []byte(secret+"\nsecond line\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tc.mode); err != nil {
			t.Fatal(err)
		}
		var warn bytes.Buffer
		got, err := ReadSecretFile(path, "--api-key-file", nil, &warn)
		if err != nil {
			t.Fatalf("mode %04o: %v", tc.mode, err)
		}
		if got != secret {
			t.Errorf("mode %04o: read %q, want the first line", tc.mode, got)
		}
		if n := strings.Count(warn.String(), "Warning:"); n != tc.warnings {
			t.Errorf("mode %04o: %d warnings, want %d: %q", tc.mode, n, tc.warnings, warn.String())
		}
		if tc.warnings > 0 && !strings.Contains(warn.String(), "chmod 600 "+path) {
			t.Errorf("mode %04o: the warning does not say how to fix it: %q", tc.mode, warn.String())
		}
		if strings.Contains(warn.String(), secret) {
			t.Errorf("mode %04o: the warning shows the secret", tc.mode)
		}
		_ = os.Remove(path)
	}
}

func TestReadSecretFileRefusesAnEmptyFileWithoutEchoingIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(path, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ReadSecretFile(path, "--webhook-url-file", nil, nil)
	if err == nil || ExitCode(err) != ExitUsage {
		t.Fatalf("err = %v, want a usage error", err)
	}
	if !strings.Contains(err.Error(), "--webhook-url-file") {
		t.Errorf("the error does not name the flag: %v", err)
	}
}

func TestReadSecretFileFromStandardInput(t *testing.T) {
	got, err := ReadSecretFile("-", "--api-key-file", strings.NewReader("  abc  \n"), nil)
	if err != nil || got != "abc" {
		t.Fatalf("got %q, %v", got, err)
	}
}
