package settings

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden/internal/atomicfile"
)

// Write writes files under dir so that nothing is half-written: every
// file goes to a temporary file beside its destination and is synced
// first; only when all of them are written are they renamed into place.
// On an error before the renames, the destination is untouched.
func Write(dir string, files []File) error {
	if err := checkPaths(files); err != nil {
		return err
	}
	var staged []*atomicfile.File
	abort := func(rest []*atomicfile.File) {
		for _, f := range rest {
			f.Abort()
		}
	}
	for _, f := range files {
		dst := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			abort(staged)
			return fmt.Errorf("write %s: %w", dir, err)
		}
		sf, err := atomicfile.Stage(dst, f.Data, f.Mode)
		if err != nil {
			abort(staged)
			return err
		}
		staged = append(staged, sf)
	}
	for i, sf := range staged {
		if err := sf.Commit(); err != nil {
			abort(staged[i+1:])
			return fmt.Errorf("%w (%d of %d files were already in place)", err, i, len(staged))
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

// writeFile writes one file atomically, creating its directory.
func writeFile(dst string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(dst, data, mode)
}
