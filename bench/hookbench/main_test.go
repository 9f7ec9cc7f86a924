package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func durations(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

// oneTo returns 1..n milliseconds, sorted.
func oneTo(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i+1) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"Empty", nil, 50, 0},
		{"One", durations(7), 50, 7 * time.Millisecond},
		{"OneP99", durations(7), 99, 7 * time.Millisecond},
		{"EvenMedianIsLowerMiddle", durations(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"OddMedian", durations(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"TenP90", oneTo(10), 90, 9 * time.Millisecond},
		{"TenP99IsMax", oneTo(10), 99, 10 * time.Millisecond},
		{"HundredP99", oneTo(100), 99, 99 * time.Millisecond},
		{"HundredP50", oneTo(100), 50, 50 * time.Millisecond},
		{"ThousandP99", oneTo(1000), 99, 990 * time.Millisecond},
		{"ThousandP999", oneTo(1000), 99.9, 999 * time.Millisecond},
		{"HundredOneP99", oneTo(101), 99, 100 * time.Millisecond},
		{"P100IsMax", oneTo(37), 100, 37 * time.Millisecond},
		{"TinyPIsMin", oneTo(37), 0.01, 1 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%d values, %v) = %v, want %v", len(tt.sorted), tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Run("Empty", func(t *testing.T) {
		if got := summarize(nil); got != (summary{}) {
			t.Errorf("summarize(nil) = %+v, want zero", got)
		}
	})
	t.Run("Figures", func(t *testing.T) {
		// Unsorted on purpose: summarize must sort.
		var samples []sample
		for _, ms := range []int{5, 1, 4, 2, 3} {
			samples = append(samples, sample{
				wall:     time.Duration(ms) * time.Millisecond,
				cpu:      time.Duration(ms) * time.Millisecond / 2,
				maxRSS:   int64(1000 * ms),
				rssFloor: 2500,
			})
		}
		got := summarize(samples)
		want := summary{
			n: 5, p50: 3 * time.Millisecond, p90: 5 * time.Millisecond, p99: 5 * time.Millisecond,
			max: 5 * time.Millisecond, mean: 3 * time.Millisecond, cpuMean: 1500 * time.Microsecond,
			maxRSS: 5000,
		}
		if got != want {
			t.Errorf("summarize = %+v, want %+v", got, want)
		}
	})
	t.Run("RSSAtFloorIsABound", func(t *testing.T) {
		got := summarize([]sample{{wall: 1, maxRSS: 6000, rssFloor: 6000}, {wall: 1, maxRSS: 5000, rssFloor: 6000}})
		if !got.rssBound || got.maxRSS != 6000 {
			t.Errorf("summarize: maxRSS %d bound %v, want 6000 bound true", got.maxRSS, got.rssBound)
		}
	})
}

func TestPairedRatios(t *testing.T) {
	a := &program{
		samples: []sample{{wall: 4}, {wall: 6}, {wall: 9}},
		iter:    []int{0, 1, 3},
	}
	b := &program{
		samples: []sample{{wall: 2}, {wall: 3}, {wall: 1}},
		iter:    []int{0, 2, 3}, // iteration 1 failed for b, 2 for a
	}
	got := pairedRatios(a, b)
	want := []float64{2, 9}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pairedRatios = %v, want %v", got, want)
	}
	if m := median([]float64{3, 1, 2, 10}); m != 2 {
		t.Errorf("median = %v, want 2 (nearest rank)", m)
	}
	if m := median(nil); m != 0 {
		t.Errorf("median(nil) = %v, want 0", m)
	}
}

func TestRotate(t *testing.T) {
	progs := []string{"baseline", "warden", "jq"}
	want := [][]string{
		{"baseline", "warden", "jq"},
		{"warden", "jq", "baseline"},
		{"jq", "baseline", "warden"},
		{"baseline", "warden", "jq"},
	}
	for i, w := range want {
		if got := rotate(progs, i); !reflect.DeepEqual(got, w) {
			t.Errorf("rotate(%d) = %v, want %v", i, got, w)
		}
	}
	if !reflect.DeepEqual(progs, want[0]) {
		t.Errorf("rotate modified its input: %v", progs)
	}
}

const sampleTrace = `init internal/bytealg @0.008 ms, 0 ms clock, 0 bytes, 0 allocs
init runtime @0.020 ms, 0.050 ms clock, 0 bytes, 0 allocs
warden: some other line on stderr
init errors @0.20 ms, 0.001 ms clock, 0 bytes, 0 allocs
init github.com/google/cel-go/cel @1.5 ms, 12 ms clock, 1048576 bytes, 9000 allocs
  init   not/a/trace line
init main @13.6 ms, 0.004 ms clock, 16 bytes, 1 allocs
`

func TestParseInitTrace(t *testing.T) {
	tr := parseInitTrace([]byte(sampleTrace))
	if len(tr.pkgs) != 5 {
		t.Fatalf("parsed %d packages, want 5: %+v", len(tr.pkgs), tr.pkgs)
	}
	cel := tr.pkgs[3]
	want := pkgInit{pkg: "github.com/google/cel-go/cel", start: 1500 * time.Microsecond, clock: 12 * time.Millisecond, bytes: 1048576, allocs: 9000}
	if cel != want {
		t.Errorf("cel line = %+v, want %+v", cel, want)
	}
	if got, want := tr.total(), 12055*time.Microsecond; got != want {
		t.Errorf("total = %v, want %v", got, want)
	}
	if got, want := tr.done(), 13604*time.Microsecond; got != want {
		t.Errorf("done = %v, want %v", got, want)
	}
	if got := parseInitTrace([]byte("panic: boom\n")); len(got.pkgs) != 0 {
		t.Errorf("parsed %d packages from no trace, want 0", len(got.pkgs))
	}
}

func TestSummarizeInit(t *testing.T) {
	run := func(a, b, c int) initTrace {
		return initTrace{pkgs: []pkgInit{
			{pkg: "a", start: 0, clock: time.Duration(a) * time.Microsecond},
			{pkg: "b", start: 100 * time.Microsecond, clock: time.Duration(b) * time.Microsecond},
			{pkg: "c", start: 200 * time.Microsecond, clock: time.Duration(c) * time.Microsecond, allocs: int64(c)},
		}}
	}
	traces := []initTrace{run(1, 50, 10), run(3, 70, 10), {}, run(2, 60, 900)}
	r := summarizeInit(traces)
	if r.runs != 4 || r.failed != 1 || r.pkgs != 3 {
		t.Errorf("runs %d failed %d pkgs %d, want 4 1 3", r.runs, r.failed, r.pkgs)
	}
	// Totals are 61, 83 and 962 µs: the median is 83.
	if r.total != 83*time.Microsecond {
		t.Errorf("total = %v, want 83µs", r.total)
	}
	var order []string
	for _, p := range r.top {
		order = append(order, p.pkg)
	}
	if want := []string{"b", "c", "a"}; !reflect.DeepEqual(order, want) {
		t.Errorf("top order = %v, want %v (median clocks 60, 10, 2 µs)", order, want)
	}
	if r.top[0].clock != 60*time.Microsecond || r.top[1].allocs != 10 {
		t.Errorf("top = %+v, want b at 60µs and c with 10 allocs", r.top)
	}
	if got := summarizeInit([]initTrace{{}, {}}); got.failed != 2 || len(got.top) != 0 {
		t.Errorf("all-empty traces: %+v", got)
	}
}

func TestWithGODEBUG(t *testing.T) {
	got := withGODEBUG([]string{"A=1", "GODEBUG=madvdontneed=1"}, "inittrace=1")
	if want := []string{"A=1", "GODEBUG=madvdontneed=1,inittrace=1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("existing GODEBUG: %v, want %v", got, want)
	}
	got = withGODEBUG([]string{"A=1"}, "inittrace=1")
	if want := []string{"A=1", "GODEBUG=inittrace=1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("no GODEBUG: %v, want %v", got, want)
	}
}

func TestParseVmHWM(t *testing.T) {
	status := "Name:\thookbench\nVmPeak:\t  1234 kB\nVmHWM:\t    5872 kB\nVmRSS:\t 5000 kB\n"
	if got := parseVmHWM([]byte(status)); got != 5872 {
		t.Errorf("parseVmHWM = %d, want 5872", got)
	}
	if got := parseVmHWM([]byte("Name:\tx\n")); got != 0 {
		t.Errorf("parseVmHWM without VmHWM = %d, want 0", got)
	}
}

func TestHookCheck(t *testing.T) {
	strict, lenient := hookCheck{}, hookCheck{allowExit2: true, allowStderr: true}
	const panicked = "panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\nmain.main()\n"
	tests := []struct {
		name           string
		check          hookCheck
		exit           int
		stdout, stderr string
		want           string
		wantErr        string
	}{
		{"Deny", strict, 0, `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"no"}}` + "\n", "", "deny", ""},
		{"Ask", strict, 0, `{"hookSpecificOutput":{"permissionDecision":"ask"}}`, "", "ask", ""},
		{"Silent", strict, 0, "", "", decisionNone, ""},
		{"WhitespaceOnly", strict, 0, " \n", "", decisionNone, ""},
		{"OtherJSON", strict, 0, `{"continue":true}`, "", decisionOther, ""},
		{"FailClosedDeny", strict, 0, `{"hookSpecificOutput":{"permissionDecision":"deny"}}`, "Warden: internal error while checking this call\n", "", "output on stderr"},
		{"FailClosedDenyAllowed", lenient, 0, `{"hookSpecificOutput":{"permissionDecision":"deny"}}`, "Warden: internal error\n", "deny", ""},
		{"Exit2", strict, 2, "", "Warden: blocked: no answer within 5s", "", "exit 2: blocked"},
		{"Exit2Allowed", lenient, 2, "", "Warden: blocked: no answer within 5s", decisionExit2, ""},
		{"Exit2Silent", lenient, 2, "", "", "", "exit 2 without a reason"},
		{"Panic", lenient, 2, "", panicked, "", "crashed (exit 2): panic: runtime error: index out of range"},
		{"FatalError", lenient, 2, "", "fatal error: concurrent map writes\n", "", "crashed (exit 2): fatal error: concurrent map writes"},
		{"Exit1", lenient, 1, "", "boom", "", "exit 1"},
		{"NotJSON", strict, 0, "hello", "", "", "not one JSON value"},
		{"TwoValues", strict, 0, `{"a":1}{"b":2}`, "", "", "not one JSON value"},
		{"Truncated", strict, 0, `{"hookSpecificOutput":`, "", "", "not one JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.check.check(tt.exit, []byte(tt.stdout), []byte(tt.stderr))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCorpusInputs(t *testing.T) {
	data, err := os.ReadFile("testdata/corpus/sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := corpusInputs("sample.yaml", data, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d inputs, want 2", len(got))
	}
	if got[0].name != "sample.yaml#bench-git-status" {
		t.Errorf("name = %q", got[0].name)
	}
	// Field order follows the captured fixtures; tool_input keys are sorted
	// by encoding/json.
	want0 := `{"session_id":"00000000-0000-4000-8000-00000000b0b0",` +
		`"transcript_path":"/home/dev/.claude/projects/-home-dev-app/00000000-0000-4000-8000-00000000b0b0.jsonl",` +
		`"cwd":"/home/dev/app","hook_event_name":"PreToolUse","permission_mode":"default","tool_name":"Bash",` +
		`"tool_input":{"command":"git status","description":"Show status"},"tool_use_id":"toolu_bench_000007"}`
	if string(got[0].data) != want0 {
		t.Errorf("case 1:\ngot  %s\nwant %s", got[0].data, want0)
	}
	var in map[string]any
	if err := json.Unmarshal(got[1].data, &in); err != nil {
		t.Fatal(err)
	}
	wantTool := map[string]any{
		"file_path": "/srv/repo/a.txt", "replace_all": true, "count": float64(3), "ratio": 0.5,
		"nothing": nil, "when": "2025-01-02", "list": []any{"a", float64(1)},
	}
	if !reflect.DeepEqual(in["tool_input"], wantTool) {
		t.Errorf("tool_input = %#v, want %#v", in["tool_input"], wantTool)
	}
	for k, v := range map[string]string{"cwd": "/srv/repo", "permission_mode": "acceptEdits", "tool_use_id": "toolu_bench_000008",
		"transcript_path": "/home/dev/.claude/projects/-srv-repo/00000000-0000-4000-8000-00000000b0b0.jsonl"} {
		if in[k] != v {
			t.Errorf("%s = %v, want %q", k, in[k], v)
		}
	}
}

func TestCorpusInputs_Errors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"NotAList", "id: x\n", "c.yaml:1:1: want a list of cases"},
		{"NoInput", "- id: a1\n  want: deny\n", `c.yaml:1:3: case "a1": want input`},
		{"NoToolName", "- id: a2\n  input:\n    tool_input: {command: ls}\n", `case "a2": input: missing tool_name`},
		{"ToolInputNotMap", "- id: a3\n  input:\n    tool_name: Bash\n    tool_input: ls\n", `case "a3": input: tool_input must be a mapping`},
		{"NaN", "- id: a4\n  input:\n    tool_name: X\n    tool_input: {n: .nan}\n", "not a JSON number"},
		{"BadYAML", "- id: [\n", "c.yaml: yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := corpusInputs("c.yaml", []byte(tt.yaml), 0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	t.Run("Empty", func(t *testing.T) {
		got, err := corpusInputs("c.yaml", []byte("# nothing yet\n"), 0)
		if err != nil || len(got) != 0 {
			t.Errorf("got %d inputs, %v; want none and no error", len(got), err)
		}
	})
}

func TestLoadInputs(t *testing.T) {
	t.Run("DirectoryTree", func(t *testing.T) {
		got, desc, err := loadInputs("testdata")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || desc != "1 hook JSON file and 2 corpus cases from 1 YAML file" {
			t.Errorf("got %d inputs (%s), want 3", len(got), desc)
		}
		// WalkDir order: corpus/ before hooks/.
		if got[0].name != filepath.Join("testdata", "corpus", "sample.yaml")+"#bench-git-status" {
			t.Errorf("first input %q", got[0].name)
		}
	})
	t.Run("GlobAndList", func(t *testing.T) {
		got, _, err := loadInputs("testdata/hooks/pretooluse-*.json, testdata/corpus/sample.yaml")
		if err != nil || len(got) != 3 {
			t.Fatalf("got %d inputs, %v; want 3", len(got), err)
		}
		fixture, _ := os.ReadFile("testdata/hooks/pretooluse-bash.json")
		if !bytes.Equal(got[0].data, fixture) {
			t.Errorf("a .json input must be used as is")
		}
	})
	t.Run("ErrNoInputs", func(t *testing.T) {
		dir := t.TempDir()
		mustWrite(t, filepath.Join(dir, "README.md"), "not an input")
		if _, _, err := loadInputs(dir); err == nil || !strings.Contains(err.Error(), "no .json hook inputs") {
			t.Errorf("err = %v, want no inputs", err)
		}
	})
	t.Run("ErrInvalidJSON", func(t *testing.T) {
		dir := t.TempDir()
		mustWrite(t, filepath.Join(dir, "bad.json"), "{")
		if _, _, err := loadInputs(dir); err == nil || !strings.Contains(err.Error(), "bad.json: not valid JSON") {
			t.Errorf("err = %v, want invalid JSON", err)
		}
	})
	t.Run("ErrNoMatch", func(t *testing.T) {
		if _, _, err := loadInputs("testdata/nothing-*.json"); err == nil {
			t.Error("want an error for a glob that matches nothing")
		}
	})
}

func mustWrite(tb testing.TB, path, data string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// mustShell returns the path of sh, skipping where there is none.
func mustShell(tb testing.TB) string {
	tb.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		tb.Skip("no sh:", err)
	}
	return sh
}

func TestRunOnce(t *testing.T) {
	sh := mustShell(t)
	in := []byte(`{"tool_name":"Bash"}`)
	t.Run("EchoesStdin", func(t *testing.T) {
		r := runOnce(sh, []string{"-c", "cat"}, nil, in, 10*time.Second)
		if r.err != nil || r.exit != 0 || !bytes.Equal(r.stdout, in) || r.wall <= 0 {
			t.Errorf("got err %v exit %d stdout %q wall %v", r.err, r.exit, r.stdout, r.wall)
		}
	})
	t.Run("LargeStdin", func(t *testing.T) {
		big := bytes.Repeat([]byte("x"), 3*pipeFill)
		r := runOnce(sh, []string{"-c", "wc -c"}, nil, big, 10*time.Second)
		if r.err != nil || strings.TrimSpace(string(r.stdout)) != "12288" {
			t.Errorf("got err %v stdout %q, want 12288", r.err, r.stdout)
		}
	})
	t.Run("ExitCode", func(t *testing.T) {
		r := runOnce(sh, []string{"-c", "echo why >&2; exit 3"}, nil, in, 10*time.Second)
		if r.err != nil || r.exit != 3 || string(r.stderr) != "why\n" {
			t.Errorf("got err %v exit %d stderr %q", r.err, r.exit, r.stderr)
		}
	})
	t.Run("Timeout", func(t *testing.T) {
		r := runOnce(sh, []string{"-c", "sleep 5"}, nil, in, 50*time.Millisecond)
		if r.err == nil || !strings.Contains(r.err.Error(), "timed out") {
			t.Errorf("err = %v, want a timeout", r.err)
		}
	})
	t.Run("Env", func(t *testing.T) {
		r := runOnce(sh, []string{"-c", `printf %s "$GODEBUG"`}, []string{"GODEBUG=inittrace=1"}, nil, 10*time.Second)
		if string(r.stdout) != "inittrace=1" {
			t.Errorf("stdout = %q, want the given environment", r.stdout)
		}
	})
}

func TestProgram_Record(t *testing.T) {
	p := newProgram(nameWarden, "w", nil, &hookCheck{})
	p.record(0, "a", result{exit: 0, wall: 2, stdout: []byte(`{"hookSpecificOutput":{"permissionDecision":"deny"}}`)})
	p.record(1, "b", result{exit: 1, wall: 3, stderr: []byte("Error: no policy\nTry: warden hook --help")})
	p.record(2, "c", result{exit: -1, err: os.ErrDeadlineExceeded})
	if len(p.samples) != 1 || p.decisions["deny"] != 1 || len(p.failed) != 2 {
		t.Fatalf("samples %d decisions %v failed %d, want 1, deny 1, 2", len(p.samples), p.decisions, len(p.failed))
	}
	if f := p.failed[0]; f.input != "b" || f.reason != "exit 1" || f.stderr != "Error: no policy" {
		t.Errorf("failure = %+v", f)
	}
	if want := map[int]int{0: 1, 1: 1}; !reflect.DeepEqual(p.exits, want) {
		t.Errorf("exits = %v, want %v (runs that never exited are not counted)", p.exits, want)
	}
	base := newProgram(nameBaseline, "b", nil, nil)
	base.record(0, "a", result{exit: 0, stdout: []byte("not json, not checked")})
	if len(base.samples) != 1 || len(base.decisions) != 0 {
		t.Errorf("baseline: samples %d decisions %v, want 1 and none", len(base.samples), base.decisions)
	}
}

// TestRun validates the whole tool against stand-ins: cat echoes the hook
// input (valid JSON), false fails every run.
func TestRun(t *testing.T) {
	cat, err := exec.LookPath("cat")
	if err != nil {
		t.Skip("no cat:", err)
	}
	t.Run("StandIn", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := run([]string{"-warden", cat, "-baseline", cat, "-args", "", "-inputs", "testdata", "-n", "6", "-warmup", "1", "-inittrace", "1", "-markdown"}, &stdout, &stderr)
		if code != exitOK {
			t.Fatalf("exit %d, stderr:\n%s\nstdout:\n%s", code, &stderr, &stdout)
		}
		out := stdout.String()
		for _, want := range []string{
			"| program | runs | failed | p50 |",
			"| baseline | 6 | 0 |",
			"| warden | 6 | 0 |",
			"warden p50 / baseline p50 = ",
			"| warden | 0 | 0 | 0 | 0 | 6 | 0×6 |", // cat echoes the input: JSON, no decision
			"no inittrace output in 1 run:",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("FailuresExit1", func(t *testing.T) {
		falseBin, err := exec.LookPath("false")
		if err != nil {
			t.Skip("no false:", err)
		}
		var stdout, stderr bytes.Buffer
		code := run([]string{"-warden", falseBin, "-baseline", cat, "-args", "", "-inputs", "testdata/hooks", "-n", "3", "-warmup", "0", "-inittrace", "0"}, &stdout, &stderr)
		if code != exitFailure {
			t.Errorf("exit %d, want %d", code, exitFailure)
		}
		if out := stdout.String(); !strings.Contains(out, "FAILED runs: 3") || !strings.Contains(out, "3× warden: exit 1 (first on testdata/hooks/pretooluse-bash.json)") {
			t.Errorf("failures not reported:\n%s", out)
		}
	})
	t.Run("Usage", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"-n", "0"}, &stdout, &stderr); code != exitUsage {
			t.Errorf("exit %d, want %d", code, exitUsage)
		}
		if code := run([]string{"-warden", cat, "-baseline", cat, "-inputs", t.TempDir()}, &stdout, &stderr); code != exitUsage {
			t.Errorf("no inputs: exit %d, want %d", code, exitUsage)
		}
	})
}

func TestFailureGroups(t *testing.T) {
	w := &program{name: nameWarden, failed: []failure{{input: "a", reason: "exit 1"}, {input: "b", reason: "timed out"}, {input: "c", reason: "exit 1"}}}
	jq := &program{name: nameJQ, failed: []failure{{input: "d", reason: "exit 1"}}}
	got := failureGroups([]*program{w, {name: nameBaseline}, jq})
	want := []failureGroup{
		{program: nameWarden, count: 2, failure: failure{input: "a", reason: "exit 1"}},
		{program: nameWarden, count: 1, failure: failure{input: "b", reason: "timed out"}},
		{program: nameJQ, count: 1, failure: failure{input: "d", reason: "exit 1"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("failureGroups = %+v, want %+v", got, want)
	}
}

func TestResetPeakRSS(t *testing.T) {
	if selfPeakRSSKiB() == 0 {
		t.Skip("no VmHWM in /proc/self/status")
	}
	buf := make([]byte, 32<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	high := selfPeakRSSKiB()
	runtime.GC() // buf is dead from here on
	debug.FreeOSMemory()
	resetPeakRSS()
	if low := selfPeakRSSKiB(); low > high-16<<10 {
		t.Errorf("peak RSS %d KiB after reset, want at least 16 MiB below %d KiB", low, high)
	}
}

// TestBuildBaseline builds the baseline program (the go command caches the
// standard library, so this is quick) and runs it.
func TestBuildBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command:", err)
	}
	path, err := buildBaseline(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := runOnce(path, nil, nil, bytes.Repeat([]byte("{}"), 3*pipeFill), 10*time.Second)
	if r.err != nil || r.exit != 0 || len(r.stdout) != 0 || len(r.stderr) != 0 {
		t.Errorf("baseline: err %v exit %d stdout %q stderr %q, want a silent exit 0", r.err, r.exit, r.stdout, r.stderr)
	}
}
