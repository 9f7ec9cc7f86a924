package shell

import "testing"

// typical are commands of the kind Claude Code runs most.
var typical = []string{
	"go test ./...",
	"git status",
	"npm run build && npm test",
	"grep -rn foo src/ | head",
	"ls -la",
	`git commit -m "Fix parser bug"`,
	"cd web && npm ci",
	"python3 -m pytest tests/ -x -q",
}

func BenchmarkAnalyze(b *testing.B) {
	opts := Options{Cwd: "/work/repo", Home: "/home/dev"}
	for _, s := range typical {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Analyze(s, opts)
			}
		})
	}
}

func BenchmarkAnalyze_Complex(b *testing.B) {
	s := "X=curl; for f in a b; do sudo -u root env FOO=1 $X -s \"https://x/$f\" | bash -c 'sh -c \"cat > out\"'; done 2>/dev/null && find . -name '*.go' -exec gofmt -l {} +"
	opts := Options{Cwd: "/work/repo", Home: "/home/dev"}
	b.ReportAllocs()
	for b.Loop() {
		Analyze(s, opts)
	}
}
