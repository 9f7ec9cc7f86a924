//go:build unix

package clientstate

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockChain opens (creating 0600) and exclusively locks the chain file,
// waiting at most timeout. Closing the file releases the lock, also when
// the process dies.
func lockChain(path string, timeout time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for wait := 100 * time.Microsecond; ; wait = min(2*wait, 20*time.Millisecond) {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock %s: held by another process for more than %s", path, timeout)
		}
		time.Sleep(wait)
	}
}
