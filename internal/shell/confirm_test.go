package shell

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestParseConfirm checks that the scripts of the seed corpus parse (or
// fail to parse) the same way under bash -n, which reads a script without
// running it. It is skipped where bash is not installed.
func TestParseConfirm(t *testing.T) {
	if testing.Short() {
		t.Skip("runs bash -n")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzAnalyze", "seed-*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seeds: %v", err)
	}
	dir := t.TempDir()
	for _, f := range files {
		script := mustSeed(t, f)
		if strings.IndexByte(script, 0) >= 0 {
			continue // bash drops NUL bytes with a warning
		}
		path := filepath.Join(dir, "script.sh")
		if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := exec.CommandContext(ctx, bash, "-n", path)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=/nonexistent"}
		out, err := cmd.CombinedOutput()
		cancel()
		bashOK := err == nil
		ours := Analyze(script, testOpts).ParseError
		// Nested scripts may fail to parse while the outer one is fine.
		oursOK := ours == nil || strings.Contains(ours.Error(), " -c: ")
		if bashOK != oursOK {
			t.Errorf("%s: bash -n ok=%v (%s), ours ok=%v (%v), script %q", f, bashOK, out, oursOK, ours, script)
		}
	}
}

// mustSeed reads the string of a "go test fuzz v1" corpus file.
func mustSeed(tb testing.TB, file string) string {
	tb.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", 3)
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "string(") {
		tb.Fatalf("%s: not a string seed", file)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
	if err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	return s
}
