// Package testenv is test support: what the environment of a test run
// demands of a test whose dependency is missing (a PostgreSQL server, the
// Claude Code captures in shared/fixtures, the peer suites). Locally such a
// test skips; under CI it fails, because CI must never pass by skipping.
// Only tests import it.
package testenv

import (
	"os"
	"strings"
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
