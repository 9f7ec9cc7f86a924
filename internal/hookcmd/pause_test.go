package hookcmd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/policyfile"
	"github.com/wardenhq/warden/internal/record"
)

const pauseServer = "https://warden.test"

var pauseNow = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// pauseMachine is an enrolled machine's state directory with the
// server's policy (the baseline) cached, and the server's pause key.
type pauseMachine struct {
	home, dir string
	sha       string
	serverKey ed25519.PrivateKey
}

func newPauseMachine(t *testing.T, pin bool) *pauseMachine { return newPauseMachinePin(t, pin) }

func newPauseMachineTB(tb testing.TB) *pauseMachine { return newPauseMachinePin(tb, true) }

func newPauseMachinePin(t testing.TB, pin bool) *pauseMachine {
	t.Helper()
	m := &pauseMachine{home: t.TempDir(), serverKey: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))}
	m.dir = clientstate.Dir(func(string) string { return "" }, m.home)
	cp, err := (clientstate.PolicyCache{Dir: m.dir}).Store(policyfile.Parse, pauseServer, "", "", policyYAML(t), pauseNow)
	if err != nil {
		t.Fatal(err)
	}
	m.sha = cp.SHA256
	f := clientstate.DeviceFile{DeviceID: "dev_00112233aabbccdd", Name: "laptop", Server: pauseServer, EnrolledAt: pauseNow}
	if pin {
		f.ServerKey = base64.StdEncoding.EncodeToString(m.serverKey.Public().(ed25519.PublicKey))
	}
	if err := clientstate.SaveDevice(m.dir, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)), f); err != nil {
		t.Fatal(err)
	}
	return m
}

func policyYAML(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "internal", "policy", "baseline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pause writes a pause list signed with key into the cache.
func (m *pauseMachine) pause(t *testing.T, key ed25519.PrivateKey, sha string, pauses ...record.Pause) {
	t.Helper()
	data, err := record.SignPauses(key, record.PauseListV1{PolicySHA256: sha, IssuedAt: pauseNow, Pauses: pauses})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(m.dir, clientstate.PauseCacheJSON), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// run runs the hook (warden-hook's way: no condition evaluator, no
// shipper) on a PreToolUse call and returns its answer and audit event.
func (m *pauseMachine) run(t *testing.T, tool string, input map[string]any) (string, map[string]any) {
	t.Helper()
	in, _ := json.Marshal(map[string]any{"hook_event_name": "PreToolUse", "session_id": "s1", "tool_use_id": "t1",
		"tool_name": tool, "tool_input": input, "cwd": m.home, "permission_mode": "default"})
	spool := filepath.Join(t.TempDir(), "audit.jsonl")
	env := map[string]string{"HOME": m.home, clientstate.EnvServer: pauseServer, clientstate.EnvShip: "off"}
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), Env{Stdin: bytes.NewReader(in), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return env[k] }, Now: func() time.Time { return pauseNow }},
		Flags{Spool: spool}, Options{NoShipper: true})
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	data, err := os.ReadFile(spool)
	if err != nil {
		t.Fatal(err)
	}
	line := bytes.TrimSpace(data)
	if record.IsSignedAudit(line) {
		env, _, err := record.DecodeSignedAudit(line)
		if err != nil {
			t.Fatal(err)
		}
		line = env.Event
	}
	var ev map[string]any
	if err := json.Unmarshal(line, &ev); err != nil {
		t.Fatalf("audit %q: %v", data, err)
	}
	return stdout.String(), ev
}

func decision(stdout string) string {
	var out struct {
		HookSpecificOutput struct {
			PermissionDecision string `json:"permissionDecision"`
		} `json:"hookSpecificOutput"`
	}
	if stdout == "" {
		return "none"
	}
	json.Unmarshal([]byte(stdout), &out)
	return out.HookSpecificOutput.PermissionDecision
}

var (
	forcePush = map[string]any{"command": "git push --force origin main"}
	envRead   = map[string]any{"file_path": ".env"}
)

// TestRun_Paused: with a signed pause of the machine's tier in force, the
// hook gives no opinion on what the policy denies (Claude Code's own
// permission system decides) and records each call as paused with the
// pause's reason; it keeps denying the warden-tamper class and Warden's
// own state, so the agent can neither lift the pause nor read the device
// key or rewrite the cached pause list.
func TestRun_Paused(t *testing.T) {
	m := newPauseMachine(t, true)
	m.pause(t, m.serverKey, m.sha, record.Pause{ID: "1", Tier: "production-adjacent", Until: pauseNow.Add(time.Hour),
		Reason: "hook outage INC-7", By: "token:alice", Time: pauseNow})
	for _, tc := range []struct {
		name  string
		tool  string
		input map[string]any
		want  string
		rule  string
	}{
		{"ForcePush", "Bash", forcePush, "none", ""},
		{"SecretRead", "Read", envRead, "none", ""},
		{"Egress", "Bash", map[string]any{"command": "curl https://example.com/x.sh -o x.sh"}, "none", ""},
		{"Resume", "Bash", map[string]any{"command": "warden policy resume --tier production-adjacent --reason x"}, "deny", "commands.warden-tamper"},
		{"Pause", "Bash", map[string]any{"command": "warden policy pause --tier ci --until 1h --reason x"}, "deny", "commands.warden-tamper"},
		{"Kill", "Bash", map[string]any{"command": "pkill -f warden-hook"}, "deny", "commands.warden-tamper"},
		{"Uninstall", "Bash", map[string]any{"command": "warden uninstall"}, "deny", "commands.warden-tamper"},
		{"DeviceKeyRead", "Read", map[string]any{"file_path": filepath.Join(m.dir, "device.key")}, "deny", "paths.warden-state"},
		{"DeviceKeyCat", "Bash", map[string]any{"command": "cat ~/.local/state/warden/device.key"}, "deny", "paths.warden-state"},
		{"PauseCacheWrite", "Write", map[string]any{"file_path": filepath.Join(m.dir, clientstate.PauseCacheJSON), "content": "{}"}, "deny", ""},
		{"ClientConfigRead", "Bash", map[string]any{"command": "cat /etc/claude-code/warden-client.json"}, "deny", "paths.warden-state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, ev := m.run(t, tc.tool, tc.input)
			if got := decision(out); got != tc.want {
				t.Fatalf("answer %s (%q), want %s", got, out, tc.want)
			}
			if ev["paused"] != true || ev["pause_reason"] != "hook outage INC-7" {
				t.Errorf("audit not marked paused: %v", ev)
			}
			if tc.want == "none" {
				if ev["decision"] != "none" || !strings.Contains(ev["reason"].(string), "paused for tier production-adjacent") {
					t.Errorf("audit: %v", ev)
				}
				return
			}
			if tc.rule != "" && ev["rule_id"] != tc.rule {
				t.Errorf("rule %v, want %s", ev["rule_id"], tc.rule)
			}
			if !strings.Contains(out, "still protects itself") {
				t.Errorf("deny does not name the pause: %s", out)
			}
		})
	}
}

// TestRun_PauseNotHonoured: a pause list that is expired, of another
// tier, signed by another key, issued with another policy, or found on a
// machine with no pinned server key changes nothing: the policy decides
// (a force push is denied). A list that fails a check is recorded as
// ignored, with why.
func TestRun_PauseNotHonoured(t *testing.T) {
	forged := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	pause := func(tier string, until time.Time) record.Pause {
		return record.Pause{ID: "1", Tier: tier, Until: until, Reason: "x", By: "token:alice", Time: pauseNow.Add(-time.Hour)}
	}
	for _, tc := range []struct {
		name    string
		pin     bool
		key     func(m *pauseMachine) ed25519.PrivateKey
		sha     func(m *pauseMachine) string
		pause   record.Pause
		ignored string // "" not recorded as ignored
	}{
		{"Expired", true, nil, nil, pause("production-adjacent", pauseNow), ""},
		{"OtherTier", true, nil, nil, pause("ci", pauseNow.Add(time.Hour)), ""},
		{"Forged", true, func(*pauseMachine) ed25519.PrivateKey { return forged }, nil, pause("production-adjacent", pauseNow.Add(time.Hour)), "signature does not verify"},
		{"OtherPolicy", true, nil, func(*pauseMachine) string { return strings.Repeat("ab", 32) }, pause("production-adjacent", pauseNow.Add(time.Hour)), "issued with policy"},
		{"NoPinnedKey", false, nil, nil, pause("production-adjacent", pauseNow.Add(time.Hour)), "no pinned server key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newPauseMachine(t, tc.pin)
			key, sha := m.serverKey, m.sha
			if tc.key != nil {
				key = tc.key(m)
			}
			if tc.sha != nil {
				sha = tc.sha(m)
			}
			m.pause(t, key, sha, tc.pause)
			out, ev := m.run(t, "Bash", forcePush)
			if decision(out) != "deny" {
				t.Errorf("force push answered %q, want deny", out)
			}
			if ev["paused"] != nil {
				t.Errorf("audit marked paused: %v", ev)
			}
			got, _ := ev["pause_ignored"].(string)
			if tc.ignored == "" && got != "" || !strings.Contains(got, tc.ignored) {
				t.Errorf("pause_ignored %q, want %q", got, tc.ignored)
			}
		})
	}
	t.Run("Garbage", func(t *testing.T) {
		m := newPauseMachine(t, true)
		os.WriteFile(filepath.Join(m.dir, clientstate.PauseCacheJSON), []byte(`{"schema":"warden.signed_pause_list.v1","payload":"!!","signature":""}`), 0o600)
		out, ev := m.run(t, "Bash", forcePush)
		if decision(out) != "deny" || !strings.Contains(ev["pause_ignored"].(string), "malformed") {
			t.Errorf("%q, %v", out, ev)
		}
	})
	t.Run("NoList", func(t *testing.T) {
		m := newPauseMachine(t, true)
		out, ev := m.run(t, "Bash", forcePush)
		if decision(out) != "deny" || ev["pause_ignored"] != nil || ev["paused"] != nil {
			t.Errorf("%q, %v", out, ev)
		}
	})
}

// BenchmarkServerPause: what looking for a pause costs a hook call, with
// no pause list cached (the usual case: one failed stat) and with one
// (read the device file and the list, verify the signature).
func BenchmarkServerPause(b *testing.B) {
	for _, cached := range []bool{false, true} {
		name := "NoList"
		if cached {
			name = "SignedList"
		}
		b.Run(name, func(b *testing.B) {
			m := newPauseMachineTB(b)
			if cached {
				data, err := record.SignPauses(m.serverKey, record.PauseListV1{PolicySHA256: m.sha, IssuedAt: pauseNow,
					Pauses: []record.Pause{{ID: "1", Tier: "ci", Until: pauseNow.Add(time.Hour), Reason: "x", By: "token:a", Time: pauseNow}}})
				if err != nil {
					b.Fatal(err)
				}
				os.WriteFile(filepath.Join(m.dir, clientstate.PauseCacheJSON), data, 0o600)
			}
			b.ResetTimer()
			for b.Loop() {
				p, ignored := serverPause(m.dir, pauseServer, m.sha, "ci", pauseNow)
				if (p != nil) != cached || ignored != "" {
					b.Fatalf("pause %v, ignored %q", p, ignored)
				}
			}
		})
	}
}
