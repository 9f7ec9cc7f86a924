package shiplaunch

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ErrLocked is returned when another shipper holds the spool's lock.
var ErrLocked = errors.New("another shipper is running for this spool")

// LockPath is the lock file of the shipper of spool.
func LockPath(spool string) string { return spool + ".ship.lock" }

// StatePath is the state file of the shipper of spool: offsets, counters
// and the last error.
func StatePath(spool string) string { return spool + ".ship.json" }

// TryLock opens the lock file at path (creating it 0600) and takes an
// exclusive flock on it without waiting. It returns ErrLocked when another
// open file description holds the lock. The lock lasts as long as any
// descriptor of the returned file is open, in this process or a child
// that inherited it.
func TryLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open shipper lock: %w", err)
	}
	if err := flock(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// flock takes an exclusive lock on f without waiting. On a descriptor that
// already holds it (inherited from the hook) it succeeds again.
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return ErrLocked
		default:
			return fmt.Errorf("lock %s: %w", f.Name(), err)
		}
	}
}

// InheritedLock returns the lock file a hook passed as descriptor fd,
// checking that it is locked by this process.
func InheritedLock(fd uintptr) (*os.File, error) {
	f := os.NewFile(fd, "shipper-lock")
	if f == nil {
		return nil, fmt.Errorf("lock descriptor %d is not open", fd)
	}
	if err := flock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock descriptor %d: %w", fd, err)
	}
	return f, nil
}

// writePID records the holder's process ID in the lock file, for
// `warden spool status`.
// WritePID records the holder's process ID in the lock file.
func WritePID(f *os.File, pid int) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(pid)+"\n"), 0)
	return err
}

// Holder reports whether a shipper holds the lock at path and, if so, the
// process ID it recorded (0 when unknown). It creates nothing.
func Holder(path string) (running bool, pid int, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("open shipper lock: %w", err)
	}
	defer f.Close()
	if err := flock(f); errors.Is(err, ErrLocked) {
		data, _ := os.ReadFile(path)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		return true, pid, nil
	} else if err != nil {
		return false, 0, err
	}
	return false, 0, nil
}
