package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// AccessError is a data directory or database file the server cannot use
// as the user it runs as: it names the path, its owner and mode, that
// user, and what to do, where SQLite would say only "unable to open
// database file (14)".
type AccessError struct {
	// Path is the directory or file; Create, when set, is the data
	// directory that could not be created under it.
	Path, Create string
	Dir          bool
	// Owner and User are "name (uid N)": the path's owner and the user
	// the server runs as.
	Owner, User string
	OwnerName   string // the owner's name alone, "" when unknown
	UserName    string
	Mode        fs.FileMode
	Err         error
}

func (e *AccessError) Error() string {
	what := "database file"
	if e.Dir {
		what = "data directory"
	}
	msg := fmt.Sprintf("%s %s is not writable by %s, which warden runs as (owner %s, mode %s)", what, e.Path, e.User, e.Owner, e.Mode)
	if e.Create != "" {
		msg = fmt.Sprintf("cannot create data directory %s: %s is not writable by %s, which warden runs as (owner %s, mode %s)",
			e.Create, e.Path, e.User, e.Owner, e.Mode)
	}
	dir := e.Path
	if !e.Dir {
		dir = filepath.Dir(e.Path)
	}
	if e.Owner != e.User {
		run := "its owner"
		if e.OwnerName != "" {
			run = e.OwnerName
		}
		who := e.UserName
		if who == "" {
			who = "$(id -un)"
		}
		return msg + fmt.Sprintf("; run warden as %s, give this user the directory (sudo chown -R %s %s), or choose another directory with --data-dir", run, who, dir)
	}
	return msg + fmt.Sprintf("; make it writable (chmod u+w %s) or choose another directory with --data-dir", e.Path)
}

func (e *AccessError) Unwrap() error { return e.Err }

// checkAccess makes sure the server can create and write its files in
// dir, creating dir (0700) if needed, and describes what is wrong when it
// cannot (*AccessError).
func checkAccess(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		if !denied(err) {
			return err
		}
		// The nearest directory that exists is the one refusing.
		parent := dir
		for {
			next := filepath.Dir(parent)
			if next == parent {
				break
			}
			parent = next
			if _, err := os.Stat(parent); err == nil {
				break
			}
		}
		e := accessError(parent, true, err)
		e.Create = dir
		return e
	}
	f, err := os.CreateTemp(dir, ".warden-write-check-*")
	if err != nil {
		if denied(err) {
			return accessError(dir, true, err)
		}
		return err
	}
	f.Close()
	os.Remove(f.Name())
	for _, name := range []string{FileName, FileName + "-wal", FileName + "-shm"} {
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		switch {
		case err == nil:
			f.Close()
		case errors.Is(err, fs.ErrNotExist):
		case denied(err):
			return accessError(path, false, err)
		default:
			return err
		}
	}
	return nil
}

// denied reports whether err is a refusal to write: permissions, or a
// read-only filesystem.
func denied(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)
}

// accessError describes path and the process's user.
func accessError(path string, dir bool, err error) *AccessError {
	e := &AccessError{Path: path, Dir: dir, Err: err, Owner: "unknown", Mode: 0}
	e.UserName, e.User = describeUID(os.Geteuid())
	if fi, serr := os.Stat(path); serr == nil {
		e.Mode = fi.Mode()
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			e.OwnerName, e.Owner = describeUID(int(st.Uid))
		}
	}
	return e
}

// describeUID returns a user's name ("" when unknown) and "name (uid N)".
func describeUID(uid int) (name, desc string) {
	id := strconv.Itoa(uid)
	if u, err := user.LookupId(id); err == nil && u.Username != "" {
		return u.Username, u.Username + " (uid " + id + ")"
	}
	return "", "uid " + id
}
