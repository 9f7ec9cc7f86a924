package engine_test

import (
	"fmt"
	"github.com/wardenhq/warden/internal/policy"
	"reflect"
	"slices"
	"testing"

	"github.com/wardenhq/warden/internal/engine"
)

func TestTouches(t *testing.T) {
	const cwd, home = "/repo/sub", "/home/dev"
	for _, tc := range []struct {
		cmd                    string
		reads, writes, unknown []string
		tests                  bool
	}{
		{cmd: "cat README.md", reads: []string{"/repo/sub/README.md"}},
		{cmd: "grep -rn needle internal/", reads: []string{"/repo/sub/internal"}},
		{cmd: "grep -r needle", reads: []string{"/repo/sub"}},
		{cmd: "grep -e a -e b x.go y.go", reads: []string{"/repo/sub/x.go", "/repo/sub/y.go"}},
		{cmd: "find . -name '*.go'", reads: []string{"/repo/sub"}},
		{cmd: "head -n 20 main.go", reads: []string{"/repo/sub/main.go"}},
		{cmd: "sed -n 1,20p a.go", reads: []string{"/repo/sub/a.go"}},
		{cmd: "sed -i s/a/b/ a.go", reads: []string{"/repo/sub/a.go"}, writes: []string{"/repo/sub/a.go"}},
		{cmd: "echo hi > out.txt", writes: []string{"/repo/sub/out.txt"}},
		{cmd: "echo hi >> ../log.txt 2>/dev/null", writes: []string{"/repo/log.txt"}},
		{cmd: "printf x | tee a.txt b.txt", writes: []string{"/repo/sub/a.txt", "/repo/sub/b.txt"}},
		{cmd: "cp src.go dst.go", reads: []string{"/repo/sub/src.go"}, writes: []string{"/repo/sub/dst.go"}},
		{cmd: "mv old.go new.go", reads: []string{"/repo/sub/old.go"}, writes: []string{"/repo/sub/old.go", "/repo/sub/new.go"}},
		{cmd: "touch a && rm -f b", writes: []string{"/repo/sub/a", "/repo/sub/b"}},
		{cmd: "cd /repo/other && cat x.go", reads: []string{"/repo/other/x.go"}},
		{cmd: "bash -c 'cat ~/notes.txt'", reads: []string{"/home/dev/notes.txt"}},
		{cmd: "cat a.go a.go", reads: []string{"/repo/sub/a.go"}},
		{cmd: "frobnicate ./x.cfg", reads: []string{"/repo/sub/x.cfg"}, unknown: []string{"frobnicate"}},
		{cmd: "$TOOL ./x", reads: []string{"/repo/sub/x"}, unknown: []string{"(dynamic)"}},
		{cmd: "cd x && go test ./...", tests: true},
		{cmd: "npx jest --ci", tests: true},
		{cmd: "python3 -m pytest -q", tests: true},
		{cmd: "npm run test", tests: true},
		{cmd: "./gradlew test", tests: true},
		{cmd: "go build ./...", tests: false},
		{cmd: "CGO_ENABLED=0 go test ./...", tests: true},
		{cmd: "time go test ./...", tests: true},
		{cmd: "go build ./... | tee log && (go test ./x)", writes: []string{"/repo/sub/log"}, tests: true},
		{cmd: "pytest -q tests/", tests: true},
		{cmd: "cargo test --all", tests: true},
		{cmd: "npm run test -- --watch=false", tests: true},
		{cmd: "mvn test", tests: true},
		{cmd: "make test", tests: true},
		{cmd: "sudo -u ci env X=1 go test ./...", tests: true},
		{cmd: "bash -c 'go test ./...'", tests: true},
		{cmd: "grep -r pytest .", reads: []string{"/repo/sub"}, tests: false},
		{cmd: "npm install", tests: false},
		{cmd: "git diff HEAD~1 -- a.go", reads: []string{"/repo/sub/a.go"}},
		{cmd: "git show HEAD:config/app.yml main", reads: []string{"/repo/sub/config/app.yml"}},
		{cmd: "git log -p docs/x.md", reads: []string{"/repo/sub/docs/x.md"}},
		{cmd: "git commit -m 'make test pass'", tests: false},
		{cmd: "npm run build", tests: false},
		{cmd: "echo go test", tests: false},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			got := engine.Touches(tc.cmd, cwd, home)
			if !slices.Equal(got.Reads, tc.reads) {
				t.Errorf("reads = %q, want %q", got.Reads, tc.reads)
			}
			if !slices.Equal(got.Writes, tc.writes) {
				t.Errorf("writes = %q, want %q", got.Writes, tc.writes)
			}
			if !slices.Equal(got.Unknown, tc.unknown) {
				t.Errorf("unknown = %q, want %q", got.Unknown, tc.unknown)
			}
			if (len(got.Tests) > 0) != tc.tests {
				t.Errorf("tests = %q, want a test run: %v", got.Tests, tc.tests)
			}
		})
	}
}

// Without a working directory, relative paths stay as written, cleaned.
func TestTouches_NoCwd(t *testing.T) {
	got := engine.Touches("cat ./a/../b.go /etc/hosts > out/x", "", "")
	if want := []string{"b.go", "/etc/hosts"}; !slices.Equal(got.Reads, want) {
		t.Errorf("reads = %q, want %q", got.Reads, want)
	}
	if want := []string{"out/x"}; !slices.Equal(got.Writes, want) {
		t.Errorf("writes = %q, want %q", got.Writes, want)
	}
}

func ExampleTouches() {
	t := engine.Touches("cd api && grep -rn deprecated . > /tmp/hits.txt && sed -i s/x/y/ main.go", "/repo", "/home/dev")
	fmt.Println("reads:", t.Reads)
	fmt.Println("writes:", t.Writes)
	// Output:
	// reads: [/repo/api /repo/api/main.go]
	// writes: [/tmp/hits.txt /repo/api/main.go]
}

func FuzzTouches(f *testing.F) {
	for _, s := range []string{"cat a", "sed -i s/a/b/ x > y", "bash -c 'cd / && rm -rf x'", "$(x) y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		got := engine.Touches(cmd, "/repo", "/home/dev")
		for _, p := range append(append([]string(nil), got.Reads...), got.Writes...) {
			if p == "" {
				t.Fatalf("empty path from %q", cmd)
			}
		}
	})
}

// BenchmarkTouches is the analysis on its own, as the server runs it for
// commands known only from telemetry; the hook gets it from Decide
// (Action.Touches), which shares its shell analysis.
func BenchmarkTouches(b *testing.B) {
	for _, cmd := range []string{"cat README.md", "cd api && grep -rn deprecated . | head -20 > /tmp/hits.txt && sed -i s/a/b/ main.go && go test ./..."} {
		b.Run(fmt.Sprint(len(cmd)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				engine.Touches(cmd, "/repo", "/home/dev")
			}
		})
	}
}

// TestDecide_Touched: asked for it, Decide reports the same Touched as a
// separate Touches call, from the analysis it decided by; not asked, none.
func TestDecide_Touched(t *testing.T) {
	rs, err := policy.Baseline().Ruleset("")
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(rs, engine.Options{FS: engine.NoFS{}})
	for _, cmd := range []string{
		"cat README.md",
		"cd api && grep -rn deprecated . | head -20 > /tmp/hits.txt && sed -i s/a/b/ main.go && go test ./...",
		"cp a.txt b.txt; rm -f c.txt",
		"unknowntool --flag x.txt",
		"if then",
	} {
		a := engine.Action{Tool: "Bash", Command: cmd, Cwd: "/repo", Home: "/home/dev", Touches: true}
		d := e.Decide(a)
		if d.Touched == nil {
			t.Errorf("%q: no Touched although asked", cmd)
			continue
		}
		if want := e.Touches(cmd, "/repo", "/home/dev"); !reflect.DeepEqual(*d.Touched, want) {
			t.Errorf("%q: Decide's Touched %+v, Touches %+v", cmd, *d.Touched, want)
		}
		a.Touches = false
		if d := e.Decide(a); d.Touched != nil {
			t.Errorf("%q: Touched %+v although not asked", cmd, d.Touched)
		}
	}
}
