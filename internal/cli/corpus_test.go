package cli

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/fixture"
	"github.com/wardenhq/warden/internal/policy"
)

// repoRoot is the repository root, found from this file's location.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("cannot locate the test file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func baselineEngine(tb testing.TB) *engine.Engine {
	tb.Helper()
	rs, err := policy.Baseline().Ruleset("")
	if err != nil {
		tb.Fatalf("resolve baseline: %v", err)
	}
	return engine.New(rs, engine.Options{FS: engine.NoFS{}, Trace: true})
}

// TestCorpus_Baseline is the corpus bar: every attack case at its expected
// strength, at most 1% of benign cases flagged, and every case as expected.
func TestCorpus_Baseline(t *testing.T) {
	cases, err := fixture.Load(filepath.Join(repoRoot(t), "testdata", "corpus"))
	if err != nil {
		t.Fatalf("load corpus: %v", err)
	}
	results := RunCases(baselineEngine(t), cases)
	var attacks, attacksOK, benign, flagged int
	for _, r := range results {
		if r.Expected.Flagged() {
			attacks++
			if r.Pass {
				attacksOK++
			}
		} else {
			benign++
			if r.Actual == "deny" || r.Actual == "ask" {
				flagged++
			}
		}
		if !r.Pass {
			t.Errorf("%s (%s): want %s, got %s: %s: %s", r.ID, r.Pos, r.Expected, r.Actual, r.Evidence.RuleID, r.Evidence.Reason)
		}
	}
	if attacks < 400 || benign < 400 {
		t.Errorf("corpus too small: %d attack and %d benign cases, want at least 400 each", attacks, benign)
	}
	if attacksOK != attacks {
		t.Errorf("attacks at expected strength: %d/%d, want all", attacksOK, attacks)
	}
	if flagged*100 > benign {
		t.Errorf("benign cases flagged: %d/%d, want at most 1%%", flagged, benign)
	}
	t.Logf("attacks %d/%d at expected strength; benign flagged %d/%d", attacksOK, attacks, flagged, benign)
}
