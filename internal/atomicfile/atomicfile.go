// Package atomicfile replaces files so that a reader, or the system after a
// crash, sees the whole old content or the whole new one, never a mix: the
// new content goes to a temporary file in the destination's directory, is
// synced, and is renamed over the destination, and the directory is synced
// so that the rename itself survives a crash.
//
// Settings, the shipper's state and the cached server policy are written
// this way (STYLE.md, "Do write settings, spool segments and generated files
// via temp + fsync + rename").
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile writes data to path atomically, with exactly the permissions
// perm (the umask does not apply, and a replaced file's mode is not kept).
// The directory must exist. On an error path is untouched and no temporary
// file is left behind, unless the error is from syncing the directory after
// the rename: then path holds the new content, which a crash may undo.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	f, err := Stage(path, data, perm)
	if err != nil {
		return err
	}
	return f.Commit()
}

// File is the new content of a file, written and synced to a temporary file
// beside it, waiting for Commit to put it in place or Abort to drop it.
// Staging several files before committing any lets a caller put a set of
// files in place only once every one of them could be written.
type File struct {
	path, tmp string
}

// Stage writes data to a temporary file beside path, with the permissions
// perm, and syncs it. path is not touched until Commit.
func Stage(path string, data []byte, perm fs.FileMode) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		// CreateTemp made the file 0600; Chmod also sidesteps the umask.
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &File{path: path, tmp: tmp}, nil
}

// Commit renames the staged file over its destination and syncs the
// directory. When the rename fails, the destination is untouched and the
// temporary file removed.
func (f *File) Commit() error {
	if err := os.Rename(f.tmp, f.path); err != nil {
		os.Remove(f.tmp)
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	if err := syncDir(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return nil
}

// Abort removes the staged file; the destination is untouched.
func (f *File) Abort() { os.Remove(f.tmp) }

// syncDir syncs the directory dir, making the renames done in it durable.
// A file system that cannot sync a directory (EINVAL) is not an error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
