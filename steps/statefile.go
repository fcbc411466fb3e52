package steps

import (
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces the file at path with data, mode 0600, so that a
// kill or a crash at any moment leaves either the old content or the new,
// never a torn file: the data goes to a temporary file in the same
// directory (named after tmpPattern, as os.CreateTemp takes it), which is
// synced and renamed over path; the directory is created (0700) when
// missing and synced after the rename, so a write that returned survives a
// power cut. The journals and the monitor's state are written this way.
func WriteFileAtomic(path string, data []byte, tmpPattern string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, tmpPattern)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
