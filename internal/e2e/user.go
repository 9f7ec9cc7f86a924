package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// DefaultUser is the unprivileged account the client runs as; it is created
// by scripts/e2e-deps.sh. $WARDEN_E2E_USER overrides it there and here.
const DefaultUser = "wardene2e"

// ErrNotRoot is returned when the harness runs without root, which it needs
// to run the client as the test user and to install the egress guard.
var ErrNotRoot = errors.New("the e2e harness must run as root (it runs the client as an unprivileged user and installs an iptables egress guard); run `sudo make e2e`, as CI does")

// User is the unprivileged test user.
type User struct {
	Name     string
	UID, GID uint32
}

// RequireRoot returns ErrNotRoot unless the process runs as root.
func RequireRoot() error {
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	return nil
}

// LookupUser returns the test user called name; it must exist and not be root.
func LookupUser(name string) (User, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return User{}, fmt.Errorf("look up test user %q: %w; create it with `make e2e-deps` (as root)", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return User{}, fmt.Errorf("test user %q: uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return User{}, fmt.Errorf("test user %q: gid %q: %w", name, u.Gid, err)
	}
	if uid == 0 {
		return User{}, fmt.Errorf("test user %q has uid 0: the client must run unprivileged", name)
	}
	return User{Name: name, UID: uint32(uid), GID: uint32(gid)}, nil
}

// Credential returns the credential that runs a process as u, with no
// supplementary groups (root's are dropped).
func (u User) Credential() *syscall.Credential {
	return &syscall.Credential{Uid: u.UID, Gid: u.GID, Groups: []uint32{}}
}

// Chown gives path to u.
func (u User) Chown(path string) error {
	if err := os.Lchown(path, int(u.UID), int(u.GID)); err != nil {
		return fmt.Errorf("chown %s to %s: %w", path, u.Name, err)
	}
	return nil
}

// ChownAll gives the tree under root to u.
func (u User) ChownAll(root string) error {
	return filepath.WalkDir(root, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return u.Chown(p)
	})
}
