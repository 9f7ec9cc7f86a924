// Package shiplaunch starts the detached audit shipper (`warden spool ship`)
// from the hook, and holds the lock file that keeps one shipper per spool.
//
// It is the part of shipping the hook links: no HTTP client, no TLS. The
// shipper itself is internal/ship.
package shiplaunch

import (
	"net/url"

	"errors"
	"fmt"
	"github.com/wardenhq/warden/internal/clientstate"
	"os"
	"strconv"
	"syscall"
)

// LockFD is the descriptor number the detached shipper finds its lock on.
const LockFD = 3

// StartOptions say how the hook starts a shipper.
type StartOptions struct {
	// Spool is the spool file the hook appended to.
	Spool string
	// Exe is the program to run (the warden binary) and Args its arguments
	// after the program name. The lock is passed as descriptor LockFD;
	// Args should tell the program so (`spool ship --lock-fd 3`).
	Exe  string
	Args []string
	// Env is the shipper's environment; nil inherits the hook's.
	Env []string
}

// Start starts a detached shipper for the spool unless one is running. It
// costs the hook one open and one non-blocking flock when a shipper holds
// the lock; otherwise one process start, not waited for: the shipper gets
// its own session (no terminal signals, outside the client's process
// group), the root directory as working directory, /dev/null as stdin,
// stdout and stderr (the client waits for the hook's stdout to close) and
// the locked lock file as descriptor LockFD. It reports whether it
// started one.
func Start(opts StartOptions) (started bool, err error) {
	if opts.Spool == "" || opts.Exe == "" {
		return false, errors.New("start shipper: no spool or program")
	}
	lock, err := TryLock(LockPath(opts.Spool))
	if errors.Is(err, ErrLocked) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("start shipper: %w", err)
	}
	// The child gets its own descriptor of the same open file, and with it
	// the lock: closing ours does not release it.
	defer lock.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return false, fmt.Errorf("start shipper: %w", err)
	}
	defer null.Close()
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	files := make([]*os.File, LockFD+1)
	files[0], files[1], files[2] = null, null, null
	files[LockFD] = lock
	p, err := os.StartProcess(opts.Exe, append([]string{opts.Exe}, opts.Args...), &os.ProcAttr{
		Dir:   "/",
		Env:   env,
		Files: files,
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return false, fmt.Errorf("start shipper: %w", err)
	}
	// Not waited for: when the hook exits, init adopts it.
	p.Release()
	return true, nil
}

// ShipArgs are the arguments of `warden` that run the detached shipper
// for spool with the lock on LockFD.
func ShipArgs(spool string) []string {
	return []string{"spool", "ship", "--spool", spool, "--lock-fd", strconv.Itoa(LockFD)}
}

// ValidateServer checks a server base URL: http or https, with a host.
func ValidateServer(s string) error {
	if s == "" {
		return fmt.Errorf("no server (set $%s)", clientstate.EnvServer)
	}
	u, err := url.Parse(clientstate.ServerURL(s))
	if err != nil {
		return fmt.Errorf("server URL %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("server URL %q: want http(s)://host[:port]", s)
	}
	return nil
}
