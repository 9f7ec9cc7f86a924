package cli

import (
	"context"
	"github.com/wardenhq/warden/internal/condition"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/policy"
)

// TestMain lets this test binary stand in for warden when the hook starts
// a shipper: the hook runs os.Executable() with `spool ship ...`, which in
// a test is this binary. Invoked so, it runs the command line instead of
// the tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "spool" && os.Args[2] == "ship" {
		os.Exit(Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// repoRoot is the repository root, found from this file's location.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("cannot locate the test file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// baselineEngine decides under the built-in baseline with no file system,
// as `warden test` does.
func baselineEngine(tb testing.TB) *engine.Engine {
	tb.Helper()
	rs, err := policy.Baseline().Ruleset("")
	if err != nil {
		tb.Fatalf("resolve baseline: %v", err)
	}
	return engine.New(rs, engine.Options{Conditions: condition.NewEvaluator(rs), FS: engine.NoFS{}, Trace: true})
}
