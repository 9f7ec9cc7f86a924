package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/fixture"
	"github.com/wardenhq/warden/internal/golden"
	wpolicy "github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
)

// repoRoot is the module root.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// buildBoth builds warden and warden-hook into one directory, as make
// build and install lay them out (warden-hook finds warden beside itself).
func buildBoth(t *testing.T) (warden, hook string) {
	t.Helper()
	dir := t.TempDir()
	root := repoRoot(t)
	for _, b := range []struct{ out, pkg string }{{"warden", "./cmd/warden"}, {"warden-hook", "./cmd/warden-hook"}} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return filepath.Join(dir, "warden"), filepath.Join(dir, "warden-hook")
}

// run is one hook process: its answer, exit code and audit events.
type run struct {
	stdout string
	code   int
	audit  []map[string]any
}

// runHook runs argv with input on stdin and a spool of its own.
func runHook(t *testing.T, argv []string, input []byte, env ...string) run {
	t.Helper()
	spool := filepath.Join(t.TempDir(), "audit.jsonl")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = bytes.NewReader(input)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Env = append([]string{"HOME=/home/dev", "PATH=/usr/bin:/bin", "WARDEN_SPOOL=" + spool, "WARDEN_SHIP=off"}, env...)
	err := cmd.Run()
	r := run{stdout: out.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", argv, err)
	}
	data, _ := os.ReadFile(spool)
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		// Times and ids differ between any two runs.
		for _, k := range []string{"event_id", "time", "duration_us"} {
			delete(ev, k)
		}
		r.audit = append(r.audit, ev)
	}
	return r
}

func (r run) String() string {
	a, _ := json.Marshal(r.audit)
	return fmt.Sprintf("exit %d, stdout %q, audit %s", r.code, r.stdout, a)
}

// inputs are the differential test's hook inputs: every corpus case as a
// PreToolUse call, every captured Claude Code hook payload, and inputs for
// the fail-closed paths.
func inputs(t *testing.T) map[string][]byte {
	t.Helper()
	root := repoRoot(t)
	out := map[string][]byte{}
	cases, err := fixture.Load(filepath.Join(root, "testdata", "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		b, err := json.Marshal(map[string]any{
			"hook_event_name": "PreToolUse", "session_id": "diff", "tool_use_id": c.ID,
			"tool_name": c.Input.ToolName, "tool_input": c.Input.ToolInput, "cwd": c.Input.Cwd,
			"permission_mode": c.Input.PermissionMode,
		})
		if err != nil {
			t.Fatal(err)
		}
		out["corpus/"+c.ID] = b
	}
	fixtures, err := filepath.Glob(filepath.Join(golden.Fixtures(t, "hooks"), "*.json"))
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no captured hook fixtures (%v)", err)
	}
	for _, f := range fixtures {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out["fixture/"+filepath.Base(f)] = b
	}
	out["fail/malformed"] = []byte(`{"hook_event_name":"PreToolUse","tool_name":`)
	out["fail/empty"] = nil
	out["fail/oversized"] = append(append([]byte(`{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"`),
		bytes.Repeat([]byte("a"), 1<<20)...), []byte(`"}}`)...)
	return out
}

// TestDifferential: warden hook and warden-hook answer every input alike,
// byte for byte, with the same exit code and the same audit events, on the
// default policy, a compiled policy file, a damaged one, a missing one, a
// YAML policy file and a missing one (both handed to warden, which the
// audit records) and an injected panic.
func TestDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both binaries and runs every corpus case twice")
	}
	warden, hook := buildBoth(t)
	in := inputs(t)
	names := make([]string, 0, len(in))
	for n := range in {
		names = append(names, n)
	}
	sort.Strings(names)
	// The baseline compiled as warden compile writes it, and the same
	// with its checksum broken.
	compiled, err := wpolicy.EncodeCompiled(wpolicy.Baseline())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good, damaged := filepath.Join(dir, wpolicy.CompiledFileName), filepath.Join(dir, "damaged.json")
	if err := os.WriteFile(good, compiled, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(damaged, bytes.Replace(compiled, []byte(`"egress":"deny"`), []byte(`"egress":"allow"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	yamlPolicy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(yamlPolicy, wpolicy.BaselineYAML(), 0o644); err != nil {
		t.Fatal(err)
	}
	// handedOff: warden-hook hands every call of the mode to warden, so
	// its audit events record the hand-off and are otherwise warden's.
	modes := []struct {
		name      string
		args      []string
		env       []string
		handedOff bool
	}{
		{"baseline", nil, nil, false},
		{"compiled-policy", []string{"--policy", good}, nil, false},
		{"damaged-compiled-policy", []string{"--policy", damaged}, nil, false},
		{"missing-compiled-policy", []string{"--policy", "/nonexistent/policy.json"}, nil, false},
		{"yaml-policy", []string{"--policy", yamlPolicy}, nil, true},
		{"missing-yaml-policy", []string{"--policy", "/nonexistent/policy.yaml"}, nil, true},
		{"panic", nil, []string{"WARDEN_TEST_PANIC=decide"}, false},
	}
	diffs := 0
	for _, m := range modes {
		for i, n := range names {
			// The corpus is decided in full on the baseline; the failure
			// modes answer the same for every input, so a sample does.
			if m.name != "baseline" && i%25 != 0 && !strings.HasPrefix(n, "fail/") {
				continue
			}
			a := runHook(t, append([]string{warden, "hook"}, m.args...), in[n], m.env...)
			b := runHook(t, append([]string{hook}, m.args...), in[n], m.env...)
			if m.handedOff {
				for _, ev := range b.audit {
					if ev["hand_off"] != "warden-hook" {
						t.Errorf("%s %s: hand-off not recorded: %s", m.name, n, b)
					}
					delete(ev, "hand_off")
				}
			}
			if a.String() != b.String() {
				diffs++
				if diffs <= 10 {
					t.Errorf("%s %s:\nwarden hook: %s\nwarden-hook: %s", m.name, n, a, b)
				}
			}
			if (m.name == "panic" || m.name == "damaged-compiled-policy") && strings.HasPrefix(n, "corpus/") && !strings.Contains(a.stdout, `"deny"`) {
				t.Errorf("%s %s: not denied: %s", m.name, n, a)
			}
		}
	}
	if diffs > 0 {
		t.Errorf("%d inputs answered differently", diffs)
	}
}

// TestHandOff: a call the policy has a CEL condition for, and one whose
// decision reads a Taskfile, are handed by warden-hook to warden, with the
// same answer and the hand-off recorded; with no warden to hand them to,
// they are denied.
func TestHandOff(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both binaries")
	}
	warden, hook := buildBoth(t)
	yamlPolicy := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(yamlPolicy, []byte(`version: 1
name: cond
revision: "1"
default_tier: t
conditions:
  - id: no-ssh
    decision: deny
    reason: no ssh to production
    tools: [Bash]
    when: 'action.commands.exists(c, c.program == "ssh")'
tiers: [{name: t}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	// The policy compiled, as warden compile wires it: warden-hook reads
	// it, and hands over only what needs a condition.
	parsed, err := policyfile.LoadFile(yamlPolicy)
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := wpolicy.EncodeCompiled(parsed)
	if err != nil {
		t.Fatal(err)
	}
	policy := filepath.Join(t.TempDir(), wpolicy.CompiledFileName)
	if err := os.WriteFile(policy, compiled, 0o644); err != nil {
		t.Fatal(err)
	}
	call := []byte(`{"hook_event_name":"PreToolUse","session_id":"s","tool_use_id":"t1","tool_name":"Bash","tool_input":{"command":"ssh db1 uptime"},"cwd":"/tmp"}`)
	a := runHook(t, []string{warden, "hook", "--policy", policy}, call)
	b := runHook(t, []string{hook, "--policy", policy}, call)
	if a.stdout != b.stdout || a.code != b.code || !strings.Contains(a.stdout, "no ssh to production") {
		t.Errorf("answers differ or miss the condition:\nwarden hook: %s\nwarden-hook: %s", a, b)
	}
	if len(b.audit) != 1 || b.audit[0]["hand_off"] != "warden-hook" {
		t.Errorf("warden-hook's audit does not record the hand-off: %s", b)
	}
	if len(a.audit) != 1 || a.audit[0]["hand_off"] != nil {
		t.Errorf("warden hook's own audit records a hand-off: %s", a)
	}
	// A Read is not covered by the condition: decided by warden-hook itself,
	// unless the policy is the YAML file, which only warden reads.
	read := []byte(`{"hook_event_name":"PreToolUse","session_id":"s","tool_use_id":"t2","tool_name":"Read","tool_input":{"file_path":"/tmp/x"},"cwd":"/tmp"}`)
	if r := runHook(t, []string{hook, "--policy", policy}, read); len(r.audit) != 1 || r.audit[0]["hand_off"] != nil {
		t.Errorf("a call without a condition was handed off: %s", r)
	}
	if r := runHook(t, []string{hook, "--policy", yamlPolicy}, read); len(r.audit) != 1 || r.audit[0]["hand_off"] != "warden-hook" {
		t.Errorf("a call under a YAML policy file was not handed off: %s", r)
	}
	// No warden beside warden-hook (and none on PATH): denied, saying why.
	alone := filepath.Join(t.TempDir(), "warden-hook")
	data, _ := os.ReadFile(hook)
	if err := os.WriteFile(alone, data, 0o755); err != nil {
		t.Fatal(err)
	}
	r := runHook(t, []string{alone, "--policy", policy}, call)
	if r.code != 0 || !strings.Contains(r.stdout, `"deny"`) || !strings.Contains(r.stdout, "install warden next to warden-hook") {
		t.Errorf("without warden: %s", r)
	}
	// The failed hand-off is recorded, like any call Warden could not decide.
	if len(r.audit) != 1 || r.audit[0]["failure"] != "decide_error" || r.audit[0]["decision"] != "deny" {
		t.Errorf("without warden, the denied call is not recorded as a failure: %s", r)
	}
	if r := runHook(t, []string{alone, "--policy", yamlPolicy}, read); !strings.Contains(r.stdout, `"deny"`) || !strings.Contains(r.stdout, "install warden next to warden-hook") ||
		len(r.audit) != 1 || r.audit[0]["failure"] != "policy_load_error" {
		t.Errorf("a YAML policy without warden: %s", r)
	}

	// A call whose decision reads a Taskfile (YAML, which warden-hook does
	// not parse) is decided, then handed over before the hook answers.
	project := t.TempDir()
	if err := os.WriteFile(filepath.Join(project, "Taskfile.yml"), []byte("version: '3'\ntasks:\n  leak:\n    cmds:\n      - cat .env\n  build:\n    cmds:\n      - go build ./...\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ command, want string }{{"task leak", `"deny"`}, {"task build", ""}} {
		in := []byte(fmt.Sprintf(`{"hook_event_name":"PreToolUse","session_id":"s","tool_use_id":"t3","tool_name":"Bash","tool_input":{"command":%q},"cwd":%q}`, tc.command, project))
		a := runHook(t, []string{warden, "hook"}, in)
		b := runHook(t, []string{hook}, in)
		if a.stdout != b.stdout || a.code != b.code || !strings.Contains(a.stdout, tc.want) || strings.Contains(a.stdout, "does not parse YAML") {
			t.Errorf("%s: answers differ or are not warden's own:\nwarden hook: %s\nwarden-hook: %s", tc.command, a, b)
		}
		if len(b.audit) != 1 || b.audit[0]["hand_off"] != "warden-hook" {
			t.Errorf("%s: warden-hook's audit does not record the hand-off: %s", tc.command, b)
		}
		if r := runHook(t, []string{alone}, in); !strings.Contains(r.stdout, `"deny"`) || !strings.Contains(r.stdout, "reads a YAML file") ||
			len(r.audit) != 1 || r.audit[0]["failure"] != "decide_error" {
			t.Errorf("%s without warden: %s", tc.command, r)
		}
	}
	// A command that reads no YAML is decided by warden-hook itself.
	if r := runHook(t, []string{hook}, []byte(fmt.Sprintf(`{"hook_event_name":"PreToolUse","session_id":"s","tool_use_id":"t4","tool_name":"Bash","tool_input":{"command":"go build ./..."},"cwd":%q}`, project))); len(r.audit) != 1 || r.audit[0]["hand_off"] != nil {
		t.Errorf("a call reading no YAML was handed off: %s", r)
	}
}

// TestHelp: warden-hook --help is warden hook --help.
func TestHelp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both binaries")
	}
	warden, hook := buildBoth(t)
	a, err := exec.Command(warden, "hook", "--help").Output()
	if err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command(hook, "--help").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(string(a), "warden hook [flags]", "warden-hook [flags]"); string(b) != want {
		t.Errorf("help differs:\nwarden hook --help:\n%s\nwarden-hook --help:\n%s", a, b)
	}
}

// TestOTelHeaders: warden-hook otel-headers prints what warden
// otel-headers prints (the otelHeadersHelper warden compile --server
// writes runs the hook's executable), from the client configuration.
func TestOTelHeaders(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both binaries")
	}
	warden, hook := buildBoth(t)
	state := t.TempDir()
	if err := os.MkdirAll(filepath.Join(state, "warden"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, "warden", "warden-client.json"), []byte(`{"server":"https://w.example","token":"wdn_x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=/nonexistent", "XDG_STATE_HOME=" + state}
	var outs []string
	for _, exe := range []string{warden, hook} {
		cmd := exec.Command(exe, "otel-headers")
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s otel-headers: %v", exe, err)
		}
		outs = append(outs, string(out))
	}
	if want := `{"Authorization":"Bearer wdn_x"}` + "\n"; outs[0] != want || outs[1] != want {
		t.Errorf("warden otel-headers %q, warden-hook otel-headers %q, want %q", outs[0], outs[1], want)
	}
}

// TestSignals: SIGINT and SIGTERM do not end a hook call midway: both
// binaries, sent both while they wait for their input, still answer it and
// record it.
func TestSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both binaries")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc to see when the signals are ignored")
	}
	warden, hook := buildBoth(t)
	call := []byte(`{"hook_event_name":"PreToolUse","session_id":"s","tool_use_id":"t1","tool_name":"Bash","tool_input":{"command":"cat .env"},"cwd":"/tmp"}`)
	for _, argv := range [][]string{{warden, "hook"}, {hook}} {
		t.Run(filepath.Base(argv[0]), func(t *testing.T) {
			spool := filepath.Join(t.TempDir(), "audit.jsonl")
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = []string{"HOME=/home/dev", "PATH=/usr/bin:/bin", "WARDEN_SPOOL=" + spool, "WARDEN_SHIP=off"}
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			cmd.Stdout = &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitIgnored(t, cmd.Process.Pid, syscall.SIGINT, syscall.SIGTERM)
			for _, s := range []os.Signal{syscall.SIGINT, syscall.SIGTERM} {
				if err := cmd.Process.Signal(s); err != nil {
					t.Fatalf("signal %v: %v", s, err)
				}
			}
			stdin.Write(call)
			stdin.Close()
			if err := cmd.Wait(); err != nil {
				t.Fatalf("after SIGINT and SIGTERM: %v (stdout %q)", err, out.String())
			}
			if !strings.Contains(out.String(), `"permissionDecision":"deny"`) {
				t.Errorf("answer %q, want the deny of cat .env", out.String())
			}
			if data, _ := os.ReadFile(spool); bytes.Count(data, []byte("\n")) != 1 {
				t.Errorf("audit spool %q, want one event", data)
			}
		})
	}
}

// waitIgnored waits until the process ignores every one of sigs, as
// /proc/PID/status shows.
func waitIgnored(t *testing.T, pid int, sigs ...syscall.Signal) {
	t.Helper()
	var want uint64
	for _, s := range sigs {
		want |= 1 << (uint(s) - 1)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for _, line := range strings.Split(string(data), "\n") {
			if hex, ok := strings.CutPrefix(line, "SigIgn:"); ok {
				if got, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64); err == nil && got&want == want {
					return
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("process %d does not ignore %v after 20s", pid, sigs)
}
