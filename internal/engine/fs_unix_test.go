//go:build unix

package engine

import (
	"path/filepath"
	"syscall"
	"testing"
)

// TestOSFS_ReadFileFIFO: a named pipe with no writer must not stall the
// hook: it is refused as not a regular file, at once.
func TestOSFS_ReadFileFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pipe.sh")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if _, err := (OSFS{}).ReadFile(p, 1024); err == nil {
		t.Fatal("read a FIFO as a file")
	}
}
