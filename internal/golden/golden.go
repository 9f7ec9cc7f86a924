// Package golden is test support: golden files compared and, with the
// -update flag, rewritten; and the location of the real Claude Code captures
// in shared/fixtures. Only tests import it (its flag registration never
// reaches the warden binary); a test package that imports it must not
// define an -update flag of its own.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// Update reports whether the test run was asked to rewrite golden files.
func Update() bool { return *update }

// Compare checks got against the golden file at path; with -update it
// writes got there instead.
func Compare(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs (run go test -update if the change is intended):\n%s", path, LineDiff(string(want), string(got)))
	}
}

// LineDiff shows the first ten lines where want and got differ.
func LineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want: %s\n  got:  %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}

// Fixtures returns shared/fixtures/sub, the real Claude Code captures:
// $WARDEN_FIXTURES/sub, else shared/fixtures/sub in the working directory or
// any parent (from a package directory, ../../../shared/fixtures). Missing
// captures skip the test locally and fail it under CI (testenv.CI).
func Fixtures(tb testing.TB, sub string) string {
	tb.Helper()
	if d := os.Getenv("WARDEN_FIXTURES"); d != "" {
		return filepath.Join(d, sub)
	}
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "shared", "fixtures", sub)
		if fi, err := os.Stat(cand); err == nil && fi.IsDir() {
			return cand
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	testenv.Missing(tb, fmt.Sprintf("shared/fixtures/%s not found above %s; set WARDEN_FIXTURES to run", sub, wd))
	return ""
}
