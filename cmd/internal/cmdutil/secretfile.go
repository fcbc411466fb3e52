package cmdutil

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/crdb-logexport/crdb-logexport/steps"
)

// ReadSecretFile reads the first line of a file holding a secret (the API
// key, a webhook URL), trimmed; "-" reads standard input. flag names the
// flag or variable that named the file, for messages. Like ssh with a
// private key, it warns on w when the file can be read or written by
// anyone but its owner, and says how to fix that; the secret itself never
// appears in a message.
func ReadSecretFile(path, flag string, stdin io.Reader, w io.Writer) (string, error) {
	var r io.Reader
	if path == "-" {
		r = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("%s: %w", flag, err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			if warning := openPermissions(path, fi.Mode()); warning != "" && w != nil {
				fmt.Fprintln(w, warning)
			}
		}
		r = f
	}
	line, err := bufio.NewReader(io.LimitReader(r, 64<<10)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	value := strings.TrimSpace(line)
	if value == "" {
		return "", UsageError("%s %s holds nothing: put the value on its first line", flag, path)
	}
	return value, nil
}

// openPermissions is the warning for a secret file that others than its
// owner may read or write, or "" when it is private.
func openPermissions(path string, mode fs.FileMode) string {
	if !mode.IsRegular() || mode.Perm()&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("Warning: %s is readable or writable by others (mode %04o); it holds a secret. Make it private: chmod 600 %s", path, mode.Perm(), steps.ShellQuote(path))
}
