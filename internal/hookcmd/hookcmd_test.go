package hookcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/condition"
	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/fixture"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
	"github.com/wardenhq/warden/internal/yamlfile"
)

// repoRoot is the module root.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// answer is one hook call's outcome: exit code, stdout and audit events
// (times and ids aside).
type answer struct {
	code   int
	stdout string
	audit  []map[string]any
}

func (a answer) String() string {
	b, _ := json.Marshal(a.audit)
	return fmt.Sprintf("exit %d, stdout %q, audit %s", a.code, a.stdout, b)
}

// runHook runs the hook command, as warden hook does, on input.
func runHook(tb testing.TB, f Flags, input []byte) answer {
	tb.Helper()
	f.Spool = filepath.Join(tb.TempDir(), "audit.jsonl")
	env := map[string]string{"HOME": "/home/dev", clientstate.EnvShip: "off"}
	var stdout, stderr bytes.Buffer
	opts := Options{Conditions: func(rs *policy.Ruleset) engine.Conditions { return condition.NewEvaluator(rs) },
		YAML: yamlfile.First, LoadYAML: policyfile.LoadFile, NoShipper: true}
	code := Run(context.Background(), Env{Stdin: bytes.NewReader(input), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return env[k] }}, f, opts)
	a := answer{code: code, stdout: stdout.String()}
	data, err := os.ReadFile(f.Spool)
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var ev map[string]any
		if err := json.Unmarshal(line, &ev); err != nil {
			tb.Fatalf("audit line %q: %v", line, err)
		}
		for _, k := range []string{"event_id", "time", "duration_us"} {
			delete(ev, k)
		}
		a.audit = append(a.audit, ev)
	}
	return a
}

// writeCompiled writes the compiled form of the policy file src into dir.
func writeCompiled(tb testing.TB, src, dir string) string {
	tb.Helper()
	p, err := policyfile.LoadFile(src)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := policy.EncodeCompiled(p)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, policy.CompiledFileName)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestRun_CompiledPolicy: a policy compiled by warden compile decides a
// sample of the corpus exactly as its YAML does: the same answers, exit
// codes and audit events, on every tier of a policy with conditions,
// exceptions and repository tiers, and on the baseline as a file.
func TestRun_CompiledPolicy(t *testing.T) {
	root := repoRoot(t)
	cases, err := fixture.Load(filepath.Join(root, "testdata", "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	// Every 7th case on the policy's own tier choice, every 31st on each
	// tier named.
	stride := [2]int{7, 31}
	if testing.Short() {
		stride = [2]int{41, 97}
	}
	dir := t.TempDir()
	baseline := filepath.Join(dir, "baseline.yaml")
	if err := os.WriteFile(baseline, policy.BaselineYAML(), 0o644); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(root, "internal", "policy", "testdata", "good", "full.yaml")
	for _, src := range []string{baseline, full} {
		p, err := policyfile.LoadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		compiled := writeCompiled(t, src, t.TempDir())
		t.Run(filepath.Base(src), func(t *testing.T) {
			diffs := 0
			for _, tier := range append([]string{""}, p.TierNames()...) {
				step := stride[0]
				if tier != "" {
					step = stride[1]
				}
				for i := 0; i < len(cases); i += step {
					c := cases[(i+len(tier))%len(cases)]
					in, err := json.Marshal(map[string]any{
						"hook_event_name": "PreToolUse", "session_id": "compiled", "tool_use_id": c.ID,
						"tool_name": c.Input.ToolName, "tool_input": c.Input.ToolInput, "cwd": c.Input.Cwd,
						"permission_mode": c.Input.PermissionMode,
					})
					if err != nil {
						t.Fatal(err)
					}
					a := runHook(t, Flags{Policy: src, Tier: tier}, in)
					b := runHook(t, Flags{Policy: compiled, Tier: tier}, in)
					if a.String() != b.String() {
						if diffs++; diffs <= 5 {
							t.Errorf("tier %q, %s:\nYAML:     %s\ncompiled: %s", tier, c.ID, a, b)
						}
					}
				}
			}
			if diffs > 0 {
				t.Errorf("%d calls decided differently", diffs)
			}
		})
	}
}

// TestRun_CompiledPolicyRefused: a compiled policy that is stale or
// damaged fails the call closed, like any policy that does not load: a
// deny naming the file and saying to recompile, exit 0, the failure in
// the audit event.
func TestRun_CompiledPolicyRefused(t *testing.T) {
	good, err := policy.EncodeCompiled(policy.Baseline())
	if err != nil {
		t.Fatal(err)
	}
	call := []byte(`{"hook_event_name":"PreToolUse","session_id":"s","tool_use_id":"t","tool_name":"Bash","tool_input":{"command":"echo hi"},"cwd":"/tmp"}`)
	for _, tt := range []struct {
		name, want string
		data       []byte
	}{
		{"Damaged", "its checksum does not match its content", bytes.Replace(good, []byte(`"egress":"deny"`), []byte(`"egress":"allow"`), 1)},
		{"OtherFormat", fmt.Sprintf("compiled format %d, this Warden reads format %d", policy.CompiledFormat+1, policy.CompiledFormat),
			bytes.Replace(good, []byte(fmt.Sprintf(`"format": %d`, policy.CompiledFormat)), []byte(fmt.Sprintf(`"format": %d`, policy.CompiledFormat+1)), 1)},
		{"YAML", "not a compiled policy", policy.BaselineYAML()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if bytes.Equal(tt.data, good) {
				t.Fatal("the damage did not apply")
			}
			path := filepath.Join(t.TempDir(), policy.CompiledFileName)
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			a := runHook(t, Flags{Policy: path}, call)
			if a.code != 0 || !strings.Contains(a.stdout, `"permissionDecision":"deny"`) || !strings.Contains(a.stdout, path) ||
				!strings.Contains(a.stdout, tt.want) || !strings.Contains(a.stdout, "recompile with warden compile") {
				t.Errorf("got %s; want a deny naming %s, %q and to recompile", a, path, tt.want)
			}
			if len(a.audit) != 1 || a.audit[0]["failure"] != "policy_load_error" {
				t.Errorf("audit: %v", a.audit)
			}
		})
	}
}
