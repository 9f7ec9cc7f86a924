package settings

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Write writes files under dir so that nothing is half-written: every
// file goes to a temporary file beside its destination and is synced
// first; only when all of them are written are they renamed into place.
// On an error before the renames, the destination is untouched.
func Write(dir string, files []File) error {
	if err := checkPaths(files); err != nil {
		return err
	}
	type staged struct{ tmp, dst string }
	var done []staged
	cleanup := func() {
		for _, s := range done {
			os.Remove(s.tmp)
		}
	}
	for _, f := range files {
		dst := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			cleanup()
			return fmt.Errorf("write %s: %w", dir, err)
		}
		tmp, err := writeTemp(dst, f.Data, f.Mode)
		if err != nil {
			cleanup()
			return fmt.Errorf("write %s: %w", dst, err)
		}
		done = append(done, staged{tmp, dst})
	}
	dirs := map[string]bool{}
	for i, s := range done {
		if err := os.Rename(s.tmp, s.dst); err != nil {
			for _, rest := range done[i:] {
				os.Remove(rest.tmp)
			}
			return fmt.Errorf("write %s: %w (%d of %d files were already in place)", s.dst, err, i, len(done))
		}
		dirs[filepath.Dir(s.dst)] = true
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("sync %s: %w", d, err)
		}
	}
	return nil
}

// checkPaths refuses paths that would leave the output directory.
func checkPaths(files []File) error {
	for _, f := range files {
		clean := path.Clean(f.Path)
		if f.Path == "" || path.IsAbs(f.Path) || clean == ".." || strings.HasPrefix(clean, "../") || clean != f.Path {
			return fmt.Errorf("output file %q: want a clean relative path", f.Path)
		}
	}
	return nil
}

// writeTemp writes data to a new temporary file in dst's directory,
// synced and with mode, and returns its name.
func writeTemp(dst string, data []byte, mode os.FileMode) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// writeFile writes one file atomically (temp file, sync, rename).
func writeFile(dst string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := writeTemp(dst, data, mode)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(dst))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
