// Package testenv is test support: what the environment of a test run
// demands of a test whose dependency is missing (a PostgreSQL server, the
// Claude Code captures in shared/fixtures, the peer suites). Locally such a
// test skips; under CI it fails, because CI must never pass by skipping.
// And a buffer tests read while a process writes it. Only tests import it.
package testenv

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
)

// CI reports whether getenv describes a CI run: CI set to anything but
// empty, "false" or "0". GitHub Actions and GitLab set CI=true, other
// systems CI=1 or a name; all of them count.
func CI(getenv func(string) string) bool {
	v := strings.TrimSpace(getenv("CI"))
	return v != "" && v != "0" && !strings.EqualFold(v, "false")
}

// Missing ends tb for want of a dependency that msg describes (and how to
// provide it): tb fails under CI (CI(os.Getenv)) and skips otherwise.
func Missing(tb testing.TB, msg string) {
	tb.Helper()
	if CI(os.Getenv) {
		tb.Fatal(msg + " (under CI this test must run, not skip)")
	}
	tb.Skip(msg)
}

// Buffer is a bytes.Buffer safe for concurrent use: a process's or a
// server's output written while the test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
