package engine

import (
	"github.com/wardenhq/warden/internal/condition"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/yamlfile"
)

// typicalBash are the commands a coding agent runs all day.
var typicalBash = []string{
	"go test ./...",
	"git status",
	"git diff --stat",
	"npm run build && npm test",
	"grep -rn 'deprecated' src/ | head -20",
	"ls -la",
	"cargo clippy --all-targets -- -D warnings",
	"python -m pytest -q tests/test_api.py",
	"cat README.md",
	"git add -A && git commit -m 'fix: handle empty input'",
	"sed -n '1,80p' internal/engine/engine.go",
	"find . -name '*.go' -not -path './vendor/*' | xargs wc -l",
}

func benchmarkDecide(b *testing.B, fsys FS) {
	rs, err := policy.Baseline().Ruleset("")
	if err != nil {
		b.Fatal(err)
	}
	e := New(rs, Options{Conditions: condition.NewEvaluator(rs), FS: fsys, YAML: yamlfile.First})
	actions := make([]Action, len(typicalBash))
	for i, c := range typicalBash {
		actions[i] = Action{Tool: "Bash", Command: c, Cwd: "/home/dev/app", Home: "/home/dev", Repo: "/home/dev/app"}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		e.Decide(actions[i%len(actions)])
	}
}

// BenchmarkDecide_TypicalBash decides the typical commands against the
// baseline without touching the file system.
func BenchmarkDecide_TypicalBash(b *testing.B) { benchmarkDecide(b, NoFS{}) }

// BenchmarkDecide_TypicalBashOSFS does the same with the real file system
// (symlink checks and glob expansion run against it).
func BenchmarkDecide_TypicalBashOSFS(b *testing.B) { benchmarkDecide(b, OSFS{}) }

func BenchmarkDecide_Read(b *testing.B) {
	rs, _ := policy.Baseline().Ruleset("")
	e := New(rs, Options{Conditions: condition.NewEvaluator(rs), FS: NoFS{}})
	a := Action{Tool: "Read", Path: "/home/dev/app/internal/engine/engine.go", Cwd: "/home/dev/app", Home: "/home/dev"}
	b.ReportAllocs()
	for b.Loop() {
		e.Decide(a)
	}
}
