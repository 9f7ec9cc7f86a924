package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"github.com/wardenhq/warden/internal/shiplaunch"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
)

const (
	shipServer = "https://warden.example.com"
	shipToken  = "wdn_test"
)

// acmeServerPolicy is the baseline renamed, with a rule the baseline does
// not have: make deploy is denied.
func acmeServerPolicy(t testing.TB) []byte {
	t.Helper()
	y := strings.Replace(string(policy.BaselineYAML()), "name: baseline\nrevision: \"2026.1\"", "name: acme\nrevision: \"7\"", 1) + `
conditions:
  - id: no-make-deploy
    decision: deny
    reason: make deploy ships to production
    tools: [Bash]
    when: action.command.contains("make deploy")
`
	return []byte(y)
}

func bashInput(cmd string) string {
	b, _ := json.Marshal(map[string]any{
		"session_id": "s1", "hook_event_name": "PreToolUse", "tool_name": "Bash",
		"tool_input": map[string]any{"command": cmd}, "cwd": "/tmp", "tool_use_id": "toolu_1",
	})
	return string(b)
}

// hookDecision is the permissionDecision and reason of a PreToolUse
// answer ("" for no answer).
func hookDecision(t testing.TB, stdout string) (decision, reason string) {
	t.Helper()
	if strings.TrimSpace(stdout) == "" {
		return "", ""
	}
	var out struct {
		HookSpecificOutput struct {
			PermissionDecision       string `json:"permissionDecision"`
			PermissionDecisionReason string `json:"permissionDecisionReason"`
		} `json:"hookSpecificOutput"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("hook answer %q: %v", stdout, err)
	}
	return out.HookSpecificOutput.PermissionDecision, out.HookSpecificOutput.PermissionDecisionReason
}

// TestHookCmd_NoServer: without WARDEN_SERVER the hook behaves as before:
// baseline decisions, and nothing of the shipper (no lock, no state, no
// policy cache) appears.
func TestHookCmd_NoServer(t *testing.T) {
	home := t.TempDir()
	spool := filepath.Join(home, "audit.jsonl")
	env := map[string]string{"HOME": home, "WARDEN_SPOOL": spool, clientstate.EnvToken: shipToken}
	code, stdout, stderr := runCLI(t, env, bashInput("cat .env"), "hook")
	if d, reason := hookDecision(t, stdout); code != 0 || d != "deny" || !strings.Contains(reason, "policy baseline@") || stderr != "" {
		t.Errorf("exit %d, answer %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(spool); err != nil {
		t.Errorf("no audit event: %v", err)
	}
	for _, p := range []string{shiplaunch.LockPath(spool), shiplaunch.StatePath(spool), filepath.Join(home, ".local", "state", "warden")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists without a server (%v)", p, err)
		}
	}
}

// TestHookCmd_ServerPolicy: pointed at a server and given no policy file,
// the hook decides with the cached server policy, the baseline until there
// is one, and fails closed on a cache it cannot read.
func TestHookCmd_ServerPolicy(t *testing.T) {
	home := t.TempDir()
	stateDir := filepath.Join(home, ".local", "state", "warden")
	cache := clientstate.PolicyCache{Dir: stateDir}
	env := map[string]string{"HOME": home, "WARDEN_SPOOL": filepath.Join(home, "audit.jsonl"), clientstate.EnvServer: shipServer, "WARDEN_SHIP": "off"}
	decide := func(t *testing.T, env map[string]string, cmd string) (string, string) {
		t.Helper()
		code, stdout, _ := runCLI(t, env, bashInput(cmd), "hook")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		return hookDecision(t, stdout)
	}

	t.Run("NoCacheYet", func(t *testing.T) {
		if d, reason := decide(t, env, "cat .env"); d != "deny" || !strings.Contains(reason, "policy baseline@") {
			t.Errorf("answer %s %q, want the baseline's deny", d, reason)
		}
		if d, _ := decide(t, env, "make deploy"); d == "deny" {
			t.Error("make deploy denied without the server's policy")
		}
	})
	doc := acmeServerPolicy(t)
	sum := sha256.Sum256(doc)
	if _, err := cache.Store(policyfile.Parse, shipServer, "", hex.EncodeToString(sum[:]), doc, time.Now()); err != nil {
		t.Fatal(err)
	}
	t.Run("Cached", func(t *testing.T) {
		d, reason := decide(t, env, "make deploy")
		if d != "deny" || !strings.Contains(reason, "rule conditions.no-make-deploy, policy acme@7") {
			t.Errorf("answer %s %q, want the server policy's deny", d, reason)
		}
	})
	t.Run("PolicyFileWins", func(t *testing.T) {
		e := map[string]string{"WARDEN_POLICY": "baseline"}
		for k, v := range env {
			e[k] = v
		}
		if d, _ := decide(t, e, "make deploy"); d == "deny" {
			t.Error("$WARDEN_POLICY did not take precedence over the cache")
		}
	})
	t.Run("OtherServer", func(t *testing.T) {
		e := map[string]string{clientstate.EnvServer: "https://other.example.com"}
		for k, v := range env {
			if k != clientstate.EnvServer {
				e[k] = v
			}
		}
		if d, _ := decide(t, e, "make deploy"); d == "deny" {
			t.Error("used another server's cached policy")
		}
	})
	t.Run("CorruptCacheFailsClosed", func(t *testing.T) {
		if err := os.WriteFile(cache.JSONPath(), []byte("{broken"), 0o600); err != nil {
			t.Fatal(err)
		}
		d, reason := decide(t, env, "echo hello")
		if d != "deny" || !strings.Contains(reason, cache.JSONPath()) {
			t.Errorf("answer %s %q, want a deny naming the cache", d, reason)
		}
	})
}

// TestHookCmd_BadServerURL: a server URL the shipper cannot use starts no
// shipper (it would exit at once, and every call would start another).
func TestHookCmd_BadServerURL(t *testing.T) {
	home := t.TempDir()
	spool := filepath.Join(home, "audit.jsonl")
	env := map[string]string{"HOME": home, "WARDEN_SPOOL": spool, clientstate.EnvServer: "warden.example.com", clientstate.EnvToken: shipToken}
	code, stdout, stderr := runCLI(t, env, bashInput("git status"), "hook")
	if d, _ := hookDecision(t, stdout); code != 0 || d != "allow" || stderr != "" {
		t.Errorf("exit %d, answer %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(shiplaunch.LockPath(spool)); !os.IsNotExist(err) {
		t.Errorf("a shipper was started for a bad server URL (%v)", err)
	}
	_, stdout, _ = runCLI(t, env, "", "spool", "status")
	if !strings.Contains(stdout, "warden.example.com (not used: server URL") {
		t.Errorf("status does not flag the URL:\n%s", stdout)
	}
}

// blackhole is a loopback listener that accepts connections and never
// answers: a server that hangs.
type blackhole struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newBlackhole(tb testing.TB) *blackhole {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	b := &blackhole{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, c := range b.conns {
			c.Close()
		}
	})
	return b
}

func (b *blackhole) URL() string { return "http://" + b.ln.Addr().String() }

func (b *blackhole) accepted() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.conns)
}

// stopShipper ends the shipper the hook started for spool (our child, by
// the pid it recorded) and reaps it.
func stopShipper(tb testing.TB, spool string) {
	tb.Helper()
	running, pid, err := shiplaunch.Holder(shiplaunch.LockPath(spool))
	if err != nil || !running || pid <= 0 {
		return
	}
	syscall.Kill(pid, syscall.SIGKILL)
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
}

// TestHookCmd_ServerNeverAnswers: with the server hanging, the hook still
// answers at once: the decision path does no network I/O. The shipper it
// starts is the one that talks to the server, after the hook has returned.
func TestHookCmd_ServerNeverAnswers(t *testing.T) {
	bh := newBlackhole(t)
	home := t.TempDir()
	spool := filepath.Join(home, "audit.jsonl")
	env := map[string]string{"HOME": home, "WARDEN_SPOOL": spool, clientstate.EnvServer: bh.URL(), clientstate.EnvToken: shipToken}
	t.Cleanup(func() { stopShipper(t, spool) })
	// The shipper must get the server the hook was given, not one it would
	// otherwise inherit.
	t.Setenv(clientstate.EnvServer, "http://127.0.0.1:9")

	code, stdout, stderr := runCLI(t, env, bashInput("cat .env"), "hook")
	if d, _ := hookDecision(t, stdout); code != 0 || d != "deny" || stderr != "" {
		t.Fatalf("exit %d, answer %q, stderr %q", code, stdout, stderr)
	}
	// The hook has returned; the shipper it started now holds the lock and
	// is the one waiting on the server.
	deadline := time.Now().Add(30 * time.Second)
	for bh.accepted() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no shipper ever connected to the server")
		}
		time.Sleep(20 * time.Millisecond)
	}
	running, pid, err := shiplaunch.Holder(shiplaunch.LockPath(spool))
	if err != nil || !running || pid == os.Getpid() {
		t.Fatalf("shipper running %v pid %d (test %d): %v", running, pid, os.Getpid(), err)
	}
	// While it runs, further hook calls answer and start no other.
	code, stdout, _ = runCLI(t, env, bashInput("git status"), "hook")
	if d, _ := hookDecision(t, stdout); code != 0 || d != "allow" {
		t.Errorf("second call: exit %d answer %q", code, stdout)
	}
	if _, pid2, _ := shiplaunch.Holder(shiplaunch.LockPath(spool)); pid2 != pid {
		t.Errorf("shipper pid %d, then %d: a second shipper started", pid, pid2)
	}
}

// execCLI runs the command line in-process, for benchmarks.
func execCLI(getenv map[string]string, stdin string, args ...string) (int, string) {
	var stdout, stderr strings.Builder
	env := &Env{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return getenv[k] }}
	root := newRootCmd(env)
	root.SetArgs(args)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	if err := root.ExecuteContext(context.Background()); err != nil {
		return ExitFailure, stdout.String()
	}
	return ExitOK, stdout.String()
}

// BenchmarkHookCmd measures one in-process `warden hook` call without a
// server and with a server that never answers; both must cost the same,
// since the hook only checks the shipper's lock after answering.
func BenchmarkHookCmd(b *testing.B) {
	input := bashInput("git status")
	run := func(b *testing.B, env map[string]string) {
		for b.Loop() {
			code, stdout := execCLI(env, input, "hook")
			if code != 0 || !strings.Contains(stdout, "allow") {
				b.Fatalf("exit %d answer %q", code, stdout)
			}
		}
	}
	b.Run("NoServer", func(b *testing.B) {
		home := b.TempDir()
		run(b, map[string]string{"HOME": home, "WARDEN_SPOOL": filepath.Join(home, "audit.jsonl")})
	})
	b.Run("ServerNeverAnswers", func(b *testing.B) {
		bh := newBlackhole(b)
		home := b.TempDir()
		spool := filepath.Join(home, "audit.jsonl")
		b.Cleanup(func() { stopShipper(b, spool) })
		run(b, map[string]string{"HOME": home, "WARDEN_SPOOL": spool, clientstate.EnvServer: bh.URL(), clientstate.EnvToken: shipToken})
	})
}

// writeClientConfig writes the user's client configuration file under
// home, as warden install --user (or an administrator copying the
// compiled warden-client.json) leaves it.
func writeClientConfig(t *testing.T, home string, data []byte) string {
	t.Helper()
	dir := filepath.Join(home, ".local", "state", "warden")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, clientstate.ClientConfigName)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHookCmd_ShipsFromClientConfig: with the server and token in the
// client configuration file and no WARDEN_* variable anywhere, the hook
// starts a shipper and the audit reaches the server.
func TestHookCmd_ShipsFromClientConfig(t *testing.T) {
	in, srv := newIngest(t)
	home := t.TempDir()
	spool := filepath.Join(home, "audit.jsonl")
	writeClientConfig(t, home, []byte(`{"server":"`+srv.URL+`","token":"`+shipToken+`"}`))
	env := map[string]string{"HOME": home, "WARDEN_SPOOL": spool}
	t.Cleanup(func() { stopShipper(t, spool) })
	waitDelivered(t, in, env, 1)
}

// TestCompileServer_Rollout: the whole client side of a rollout. warden
// compile --server --token-env writes managed settings with no token in
// them and a warden-client.json; with that file in place (here the user's
// state directory, as it would be beside the managed settings) and no
// WARDEN_* variable anywhere, the otelHeadersHelper command the settings
// name prints the bearer header Claude Code's exporter sends, and a hook
// call's audit reaches the server.
func TestCompileServer_Rollout(t *testing.T) {
	in, srv := newIngest(t)
	out := t.TempDir()
	code, _, stderr := runCLI(t, map[string]string{"WARDEN_INGEST_TOKEN": shipToken}, "",
		"compile", "--tier", "ci", "--out", out, "--hook-command", "/usr/local/bin/warden",
		"--server", srv.URL, "--token-env", "WARDEN_INGEST_TOKEN")
	if code != ExitOK {
		t.Fatalf("compile: exit %d: %s", code, stderr)
	}
	managed, err := os.ReadFile(filepath.Join(out, "managed-settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Env    map[string]string `json:"env"`
		Helper string            `json:"otelHeadersHelper"`
	}
	if err := json.Unmarshal(managed, &doc); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(managed), shipToken) {
		t.Error("the token is in the managed settings")
	}
	if doc.Env["OTEL_EXPORTER_OTLP_ENDPOINT"] != srv.URL || doc.Helper != "/usr/local/bin/warden otel-headers" {
		t.Errorf("env %v, otelHeadersHelper %q", doc.Env, doc.Helper)
	}
	client, err := os.ReadFile(filepath.Join(out, clientstate.ClientConfigName))
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	spool := filepath.Join(home, "audit.jsonl")
	writeClientConfig(t, home, client)
	env := map[string]string{"HOME": home, "WARDEN_SPOOL": spool}

	args := strings.Fields(doc.Helper)[1:] // the helper, run by this warden
	code, stdout, stderr := runCLI(t, env, "", args...)
	var headers map[string]string
	if err := json.Unmarshal([]byte(stdout), &headers); code != 0 || err != nil || len(headers) != 1 || headers["Authorization"] != "Bearer "+shipToken {
		t.Errorf("otel-headers: exit %d, %q, stderr %q (%v)", code, stdout, stderr, err)
	}

	t.Cleanup(func() { stopShipper(t, spool) })
	waitDelivered(t, in, env, 1)
}

// waitDelivered runs the hook once with env and waits for the shipper it
// starts to deliver want events.
func waitDelivered(t *testing.T, in *ingest, env map[string]string, want int) {
	t.Helper()
	code, stdout, stderr := runCLI(t, env, bashInput("cat .env"), "hook")
	if d, _ := hookDecision(t, stdout); code != 0 || d != "deny" || stderr != "" {
		t.Fatalf("exit %d, answer %q, stderr %q", code, stdout, stderr)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		in.mu.Lock()
		n := len(in.ids)
		in.mu.Unlock()
		if n >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server got %d audit events, want %d", n, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
