package doctor

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
	"github.com/wardenhq/warden/internal/settings"
)

// goodHook is a fail-closed hook in the shape of warden hook: deny a call
// that names .env, refuse (exit 2) input that is not a hook event, no
// opinion otherwise.
const goodHook = `#!/bin/sh
in=$(cat)
case "$in" in
  *'"hook_event_name"'*) ;;
  *) echo "not a hook event" >&2; exit 2 ;;
esac
case "$in" in
  *.env*) printf '%s\n' '{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"secret"}}' ;;
esac
exit 0
`

// Broken hooks, each failing one way Claude Code reads as "run the tool".
const (
	allowsSecretHook = `#!/bin/sh
cat >/dev/null
printf '%s\n' '{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"allow"}}'
`
	garbageExit1Hook = `#!/bin/sh
in=$(cat)
case "$in" in
  *'"hook_event_name"'*) ;;
  *) echo "cannot parse" >&2; exit 1 ;;
esac
case "$in" in
  *.env*) printf '%s\n' '{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny"}}' ;;
esac
`
	deniesEverythingHook = `#!/bin/sh
cat >/dev/null
exit 2
`
	slowHook = `#!/bin/sh
cat >/dev/null
sleep 30
`
)

func mustWrite(tb testing.TB, path, data string, mode os.FileMode) string {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		tb.Fatal(err)
	}
	return path
}

// mustCompile compiles the baseline's tier with hookCommand as warden
// install does.
func mustCompile(tb testing.TB, tier, hookCommand string) *Expected {
	tb.Helper()
	r, err := settings.Compile(policy.Baseline(), settings.Options{Tier: tier, HookCommand: hookCommand})
	if err != nil {
		tb.Fatal(err)
	}
	files, err := r.Files(settings.FormatLinux, false)
	if err != nil {
		tb.Fatal(err)
	}
	return &Expected{Result: r, Files: files}
}

// mustInstall installs the baseline's tier into dir with warden install's
// code and returns what it compiled.
func mustInstall(tb testing.TB, dir, tier, hookCommand string) *Expected {
	tb.Helper()
	exp := mustCompile(tb, tier, hookCommand)
	if _, err := settings.Install(exp.Result, exp.Files, settings.InstallOptions{Dir: dir}); err != nil {
		tb.Fatal(err)
	}
	return exp
}

// hookSettings writes managed settings (not by warden install) that run
// command for PreToolUse with matcher "*".
func hookSettings(tb testing.TB, dir, command string, timeout int) {
	tb.Helper()
	doc := map[string]any{"hooks": map[string]any{"PreToolUse": []any{map[string]any{
		"matcher": "*", "hooks": []any{map[string]any{"type": "command", "command": command, "timeout": timeout}}}}}}
	b, _ := json.Marshal(doc)
	mustWrite(tb, filepath.Join(dir, settings.SettingsFile), string(b), 0o644)
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runOne runs the check id of the table against cfg.
func runOne(t *testing.T, id string, cfg Config) Result {
	t.Helper()
	rep := Run(context.Background(), cfg)
	for _, r := range rep.Checks {
		if r.ID == id {
			if r.Status == Fail && rep.Healthy {
				t.Errorf("report healthy=%v with %s %s", rep.Healthy, id, r.Status)
			}
			return r
		}
	}
	t.Fatalf("no check %s in the report", id)
	return Result{}
}

func baseConfig(t *testing.T) Config {
	home := t.TempDir()
	return Config{
		Dir:       filepath.Join(t.TempDir(), "claude-code"),
		Home:      home,
		Project:   t.TempDir(),
		Getenv:    env(map[string]string{"HOME": home}),
		ClaudeWhy: "test: no client",
		Spool:     filepath.Join(home, "audit.jsonl"),
	}
}

func TestCheckManagedSettings(t *testing.T) {
	hook := mustWrite(t, filepath.Join(t.TempDir(), "warden-hook"), goodHook, 0o755)
	tests := []struct {
		name   string
		setup  func(t *testing.T, cfg *Config)
		want   Status
		substr []string // in evidence, fix or detail
	}{
		{"Pass", func(t *testing.T, cfg *Config) {
			cfg.Expected = mustInstall(t, cfg.Dir, "ci", hook)
		}, Pass, []string{"equals what tier ci"}},
		{"NoneInstalled", func(t *testing.T, cfg *Config) {
			cfg.Tier = "ci"
			cfg.Expected = mustCompile(t, "ci", hook)
		}, Fail, []string{"no managed settings", "sudo warden install --tier ci"}},
		{"DriftOtherTier", func(t *testing.T, cfg *Config) {
			mustInstall(t, cfg.Dir, "ci", hook)
			cfg.Expected = mustCompile(t, "production-adjacent", hook)
		}, Fail, []string{"differs from what tier production-adjacent", "replace", "--- ", "+++ ", "sudo warden install --tier production-adjacent"}},
		{"DriftEditedByHand", func(t *testing.T, cfg *Config) {
			cfg.Expected = mustInstall(t, cfg.Dir, "ci", hook)
			p := filepath.Join(cfg.Dir, settings.SettingsFile)
			b, _ := os.ReadFile(p)
			b = bytes.Replace(b, []byte(`"deny": [`), []byte(`"deny": [ "Bash(hand-edit:*)",`), 1)
			mustWrite(t, p, string(b), 0o644)
		}, Fail, []string{"differs", "-    \"deny\": [ \"Bash(hand-edit:*)\",\n+    \"deny\": [\n"}},
		{"NotWrittenByWarden", func(t *testing.T, cfg *Config) {
			hookSettings(t, cfg.Dir, hook, 10)
			cfg.Expected = mustCompile(t, "ci", hook)
		}, Fail, []string{"not written by warden install", "--force"}},
		{"Unparseable", func(t *testing.T, cfg *Config) {
			mustWrite(t, filepath.Join(cfg.Dir, settings.SettingsFile), "{not json", 0o644)
		}, Fail, []string{"parse"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig(t)
			tt.setup(t, &cfg)
			r := runOne(t, "managed-settings", cfg)
			if r.Status != tt.want {
				t.Fatalf("status %s, want %s: %s\nfix: %s\n%s", r.Status, tt.want, r.Evidence, r.Fix, r.Detail)
			}
			all := r.Evidence + "\n" + r.Fix + "\n" + r.Detail
			for _, s := range tt.substr {
				if !strings.Contains(all, s) {
					t.Errorf("%q not in\n%s", s, all)
				}
			}
		})
	}
}

func TestCheckHookCommands(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("hook commands run with /bin/sh")
	}
	bin := t.TempDir()
	tests := []struct {
		name    string
		command func() string
		timeout int
		want    Status
		substr  []string
	}{
		{"Pass", func() string { return mustWrite(t, filepath.Join(bin, "good"), goodHook, 0o755) }, 10, Pass,
			[]string{"secret read denied", "<- a Read of a synthetic secret (.env): deny", "<- Bash ls: none", "<- input that is not JSON: exit2"}},
		{"PassQuotedWithArgs", func() string {
			return "'" + mustWrite(t, filepath.Join(bin, "dir with space", "good"), goodHook, 0o755) + "' --tier ci"
		}, 10, Pass, []string{"secret read denied"}},
		{"MissingBinary", func() string { return filepath.Join(bin, "no-such-hook") + " --tier ci" }, 10, Fail,
			[]string{"does not exist", "runs every tool unchecked"}},
		{"NotOnPath", func() string { return "warden-hook-not-installed-anywhere --tier ci" }, 10, Fail,
			[]string{"not found in PATH"}},
		{"NotExecutable", func() string { return mustWrite(t, filepath.Join(bin, "noexec"), goodHook, 0o644) }, 10, Fail,
			[]string{"not executable"}},
		{"AllowsSecretRead", func() string { return mustWrite(t, filepath.Join(bin, "allows"), allowsSecretHook, 0o755) }, 10, Fail,
			[]string{"answered allow to a Read of a synthetic secret", "answered allow to input that is not JSON"}},
		{"GarbageExit1FailsOpen", func() string { return mustWrite(t, filepath.Join(bin, "exit1"), garbageExit1Hook, 0o755) }, 10, Fail,
			[]string{"answered error to input that is not JSON: the client lets it run"}},
		{"DeniesLs", func() string { return mustWrite(t, filepath.Join(bin, "denyall"), deniesEverythingHook, 0o755) }, 10, Fail,
			[]string{"answered exit2 to Bash ls: want no opinion or allow"}},
		{"TimesOut", func() string { return mustWrite(t, filepath.Join(bin, "slow"), slowHook, 0o755) }, 1, Fail,
			[]string{"answered timeout to a Read of a synthetic secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig(t)
			hookSettings(t, cfg.Dir, tt.command(), tt.timeout)
			r := runOne(t, "hook-commands", cfg)
			if r.Status != tt.want {
				t.Fatalf("status %s, want %s: %s\n%s", r.Status, tt.want, r.Evidence, r.Detail)
			}
			all := r.Evidence + "\n" + r.Detail
			for _, s := range tt.substr {
				if !strings.Contains(all, s) {
					t.Errorf("%q not in\n%s", s, all)
				}
			}
		})
	}
	t.Run("NoHooks", func(t *testing.T) {
		cfg := baseConfig(t)
		mustWrite(t, filepath.Join(cfg.Dir, settings.SettingsFile), `{"permissions":{"deny":["Bash(curl:*)"]}}`, 0o644)
		if r := runOne(t, "hook-commands", cfg); r.Status != Fail || !strings.Contains(r.Evidence, "no command hooks") {
			t.Errorf("%s: %s", r.Status, r.Evidence)
		}
	})
}

// TestCheckHookCommands_SpoolIsolated: the canaries run with a spool of
// their own, so the user's audit spool gets nothing.
func TestCheckHookCommands_SpoolIsolated(t *testing.T) {
	bin := t.TempDir()
	record := filepath.Join(t.TempDir(), "spool-seen")
	hook := mustWrite(t, filepath.Join(bin, "rec"), "#!/bin/sh\necho \"$WARDEN_SPOOL $WARDEN_SHIP\" >> "+record+"\n"+strings.TrimPrefix(goodHook, "#!/bin/sh\n"), 0o755)
	cfg := baseConfig(t)
	real := filepath.Join(cfg.Home, "real-audit.jsonl")
	cfg.Environ = []string{"PATH=/usr/bin:/bin", "WARDEN_SPOOL=" + real}
	hookSettings(t, cfg.Dir, hook, 10)
	if r := runOne(t, "hook-commands", cfg); r.Status != Pass {
		t.Fatalf("%s: %s", r.Status, r.Evidence)
	}
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.Contains(l, real) || !strings.HasSuffix(l, "canary-audit.jsonl 0") {
			t.Errorf("hook ran with %q, want a scratch spool and WARDEN_SHIP=0", l)
		}
	}
}

func TestCheckHookSettings(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string // relative to "managed", "home" or "project"
		want   Status
		substr string
	}{
		{"Pass", map[string]string{
			"managed/managed-settings.json": `{"hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":"command","command":"warden-hook"}]}]}}`,
			"home/.claude/settings.json":    `{"permissions":{"allow":["Read"]}}`,
		}, Pass, "user"},
		{"DisableAllHooksInUserSettings", map[string]string{
			"managed/managed-settings.json": `{"hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":"command","command":"warden-hook"}]}]}}`,
			"home/.claude/settings.json":    `{"disableAllHooks": true}`,
		}, Warn, "disableAllHooks: true in user settings"},
		{"DisableAllHooksInManagedSettings", map[string]string{
			"managed/managed-settings.json": `{"disableAllHooks": true, "hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":"command","command":"warden-hook"}]}]}}`,
		}, Fail, "disableAllHooks: true in managed settings"},
		{"DisableAllHooksWithUserHooksOnly", map[string]string{
			"home/.claude/settings.json": `{"disableAllHooks": true, "hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":"command","command":"warden-hook"}]}]}}`,
		}, Fail, "no managed hooks: the client runs no Warden hook"},
		{"DisableAllHooksInProjectLocal", map[string]string{
			"project/.claude/settings.local.json": `{"disableAllHooks": true}`,
		}, Fail, "disableAllHooks: true in local settings"},
		{"DisableAllHooksFalse", map[string]string{
			"home/.claude/settings.json": `{"disableAllHooks": false}`,
		}, Pass, ""},
		{"ManagedOnlyWithUserHooks", map[string]string{
			"managed/managed-settings.json": `{"allowManagedHooksOnly": true}`,
			"home/.claude/settings.json":    `{"hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":"command","command":"warden-hook"}]}]}}`,
		}, Fail, "allowManagedHooksOnly"},
		{"ManagedOnlyWithManagedHooks", map[string]string{
			"managed/managed-settings.json": `{"allowManagedHooksOnly": true, "hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":"command","command":"warden-hook"}]}]}}`,
			"home/.claude/settings.json":    `{"hooks":{"Stop":[{"matcher":"*","hooks":[{"type":"command","command":"other"}]}]}}`,
		}, Pass, ""},
		{"UnparseableProjectSettings", map[string]string{
			"project/.claude/settings.json": `{"hooks":`,
		}, Warn, "project settings unreadable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig(t)
			roots := map[string]string{"managed": cfg.Dir, "home": cfg.Home, "project": cfg.Project}
			for rel, data := range tt.files {
				top, rest, _ := strings.Cut(rel, "/")
				mustWrite(t, filepath.Join(roots[top], rest), data, 0o644)
			}
			r := runOne(t, "hook-settings", cfg)
			if r.Status != tt.want || !strings.Contains(r.Evidence, tt.substr) {
				t.Errorf("%s (want %s with %q): %s", r.Status, tt.want, tt.substr, r.Evidence)
			}
		})
	}
}

func TestCheckClientHooks_Skip(t *testing.T) {
	r := runOne(t, "client-hooks", baseConfig(t))
	if r.Status != Skip || r.Evidence != "test: no client" {
		t.Errorf("%s: %s", r.Status, r.Evidence)
	}
}

func TestReadStream(t *testing.T) {
	tests := []struct {
		file         string
		id           string
		deniedByHook bool
		decision     string
		source       string
		noVerdict    bool
	}{
		{"denied-by-hook.jsonl", "toolu_0000", true, "reject", "hook", false},
		{"denied-by-hook-exit2.jsonl", "toolu_0000", true, "reject", "hook", false},
		{"allowed.jsonl", "toolu_0000", false, "accept", "config", false},
		{"denied-by-rule.jsonl", "toolu_0000", false, "reject", "config", false},
		{"hook-command-missing.jsonl", "toolu_0000", false, "accept", "config", true},
		{"denied-by-hook.jsonl", "toolu_other", false, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.id, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "stream", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			v := ReadStream(b, tt.id)
			if v.DeniedByHook() != tt.deniedByHook || v.Decision != tt.decision || v.Source != tt.source || (len(v.NoVerdict) > 0) != tt.noVerdict {
				t.Errorf("got %+v", v)
			}
			if v.Version != "2.1.330" {
				t.Errorf("version %q", v.Version)
			}
		})
	}
}

func TestReadAnswer(t *testing.T) {
	tests := []struct {
		exit   int
		stdout string
		want   Answer
	}{
		{0, `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"R"}}`, AnswerDeny},
		{0, `{"hookSpecificOutput":{"permissionDecision":"ask"}}`, AnswerAsk},
		{0, `{"hookSpecificOutput":{"permissionDecision":"allow"}}`, AnswerAllow},
		{0, `{"decision":"block","reason":"R"}`, AnswerBlock},
		{0, "", AnswerNone},
		{0, "  \n", AnswerNone},
		{0, `{}`, AnswerNone},
		{0, `{"Decision":"block"}`, AnswerNone},
		{0, `{"hookSpecificOutput":{"PermissionDecision":"deny"}}`, AnswerNone},
		{0, `{"hookSpecificOutput":{"permissionDecision":"DENY"}}`, AnswerNone},
		{0, `{"hookSpecificOutput":"deny","decision":"block"}`, AnswerBlock},
		{0, `{this is not json`, AnswerInvalid},
		{0, `"deny"`, AnswerInvalid},
		{2, ``, AnswerExit2},
		{2, `{"hookSpecificOutput":{"permissionDecision":"allow"}}`, AnswerExit2},
		{1, `{"hookSpecificOutput":{"permissionDecision":"deny"}}`, AnswerError},
		{127, ``, AnswerError},
	}
	for _, tt := range tests {
		if got := ReadAnswer(tt.exit, []byte(tt.stdout)); got != tt.want {
			t.Errorf("ReadAnswer(%d, %q) = %s, want %s", tt.exit, tt.stdout, got, tt.want)
		}
	}
}

func TestExecutable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/usr/local/bin/warden-hook --tier ci", "/usr/local/bin/warden-hook"},
		{"'/opt/my dir/warden-hook' --tier 'ci'", "/opt/my dir/warden-hook"},
		{`"/opt/x y/hook" a`, "/opt/x y/hook"},
		{`/opt/x\ y/hook a`, "/opt/x y/hook"},
		{"warden-hook;rm -rf /", "warden-hook"},
		{"  hook", "hook"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Executable(tt.in); got != tt.want {
			t.Errorf("Executable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		matcher, tool string
		want          bool
	}{
		{"*", "Read", true}, {"", "Bash", true}, {"Read", "Read", true}, {"Read", "Bash", false},
		{"Read|Write", "Write", true}, {"Bash", "", true}, {"mcp__.*", "Read", false}, {"(", "(", true},
	}
	for _, tt := range tests {
		if got := matches(tt.matcher, tt.tool); got != tt.want {
			t.Errorf("matches(%q, %q) = %v", tt.matcher, tt.tool, got)
		}
	}
}

func TestCheckEnrollment(t *testing.T) {
	key, err := clientstate.NewDeviceKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	device := clientstate.DeviceFile{DeviceID: "dev_42ab", Name: "laptop", Server: "https://warden.example",
		PublicKey: base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))}
	tests := []struct {
		name, config string
		device       bool
		breakKey     bool
		want         Status
		substr       string
	}{
		{"NotEnrolledStandalone", "", false, false, Warn, "not enrolled"},
		{"NotEnrolledWithServer", `{"server":"https://warden.example"}`, false, false, Warn, "unverified"},
		{"Enrolled", `{"server":"https://warden.example","device_id":"dev_42ab"}`, true, false, Pass, "enrolled as dev_42ab (laptop)"},
		{"ConfigNamesAnotherDevice", `{"server":"https://warden.example","device_id":"dev_7"}`, true, false, Fail, "names device dev_7"},
		{"KeyMissing", `{"server":"https://warden.example","device_id":"dev_42ab"}`, true, true, Fail, "does not load"},
		{"Broken", `{"server":`, false, false, Fail, "client configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig(t)
			state := filepath.Join(cfg.Home, "state")
			cfg.Getenv = env(map[string]string{"XDG_STATE_HOME": state})
			if tt.config != "" {
				mustWrite(t, filepath.Join(state, "warden", "warden-client.json"), tt.config, 0o600)
			}
			if tt.device {
				dir := filepath.Join(state, "warden")
				if err := clientstate.SaveDevice(dir, key, device); err != nil {
					t.Fatal(err)
				}
				if tt.breakKey {
					keyPath, _, _ := clientstate.DevicePaths(dir)
					os.Remove(keyPath)
				}
			}
			r := runOne(t, "enrollment", cfg)
			if r.Status != tt.want || !strings.Contains(r.Evidence, tt.substr) {
				t.Errorf("%s: %s", r.Status, r.Evidence)
			}
		})
	}
}

func TestCheckServer(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer bad.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	tests := []struct {
		name, server string
		want         Status
		substr       string
	}{
		{"Pass", ok.URL + "/", Pass, "200"},
		{"Unhealthy", bad.URL, Fail, "503"},
		{"Unreachable", closedURL, Fail, "GET " + closedURL + "/healthz"},
		{"NoServer", "", Skip, "no server configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig(t)
			cfg.Getenv = env(map[string]string{"WARDEN_SERVER": tt.server, "XDG_STATE_HOME": filepath.Join(cfg.Home, "state")})
			cfg.HTTP = &http.Client{Timeout: 2 * time.Second}
			r := runOne(t, "server", cfg)
			if r.Status != tt.want || !strings.Contains(r.Evidence, tt.substr) {
				t.Errorf("%s: %s", r.Status, r.Evidence)
			}
		})
	}
}

func TestReport_Text(t *testing.T) {
	rep := &Report{Checks: []Result{
		{ID: "a", Status: Pass, Evidence: "fine"},
		{ID: "b", Status: Fail, Evidence: "bad\x1b[31m\nline", Fix: "do this", Detail: "-x\n+y"},
	}}
	var b bytes.Buffer
	if err := rep.WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	want := "PASS  a                 fine\n" +
		"FAIL  b                 bad?[31m line\n" +
		"                        fix: do this\n" +
		"        | -x\n        | +y\n" +
		"NOT healthy: fix the failed checks above\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func FuzzReadAnswer(f *testing.F) {
	f.Add(0, []byte(`{"hookSpecificOutput":{"permissionDecision":"deny"}}`))
	f.Add(0, []byte(`{"decision":"block"}`))
	f.Add(2, []byte(""))
	f.Add(0, []byte("{this is not json"))
	f.Fuzz(func(t *testing.T, exit int, out []byte) {
		a := ReadAnswer(exit, out)
		if exit != 0 && exit != 2 && a != AnswerError {
			t.Fatalf("exit %d read as %s", exit, a)
		}
		if exit == 0 && a.Blocks() && !bytes.Contains(out, []byte("deny")) && !bytes.Contains(out, []byte("ask")) && !bytes.Contains(out, []byte("block")) && !bytes.Contains(out, []byte(`\u`)) {
			t.Fatalf("%q read as blocking %s", out, a)
		}
	})
}

func FuzzReadStream(f *testing.F) {
	for _, name := range []string{"denied-by-hook.jsonl", "allowed.jsonl", "hook-command-missing.jsonl"} {
		b, err := os.ReadFile(filepath.Join("testdata", "stream", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		v := ReadStream(out, "toolu_0000")
		if v.DeniedByHook() && !bytes.Contains(out, []byte("toolu_0000")) {
			t.Fatalf("denied by hook without the call id: %+v", v)
		}
	})
}

func TestCheckSpoolAndPolicyCache(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		server      string
		lines       int
		state       string // the shipper's state file ("" for none)
		spool       Status
		spoolSubstr string
		policy      Status
	}{
		{"NoServer", "", 3, "", Skip, "3 events pending", Skip},
		{"Draining", "https://warden.example", 0, `{"version":1,"delivered":5,"last_success":"2026-12-07T11:59:00Z"}`, Pass, "5 delivered", Warn},
		{"Stuck", "https://warden.example", 3,
			`{"version":1,"last_error":"POST /v1/audit: 401 Unauthorized","last_error_time":"2026-12-07T11:58:00Z","failures":9,"last_success":"2026-12-07T10:00:00Z"}`,
			Fail, "not draining: last delivery 2026-12-07T10:00:00Z, last error POST /v1/audit: 401 Unauthorized", Warn},
		{"Drops", "https://warden.example", 0, `{"version":1,"drops":7,"last_success":"2026-12-07T11:59:00Z"}`, Warn, "7 dropped by rotation", Warn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig(t)
			cfg.Now = func() time.Time { return now }
			cfg.Getenv = env(map[string]string{"WARDEN_SERVER": tt.server, "XDG_STATE_HOME": filepath.Join(cfg.Home, "state")})
			mustWrite(t, cfg.Spool, strings.Repeat(`{"event":"x"}`+"\n", tt.lines), 0o600)
			if tt.state != "" {
				mustWrite(t, cfg.Spool+".ship.json", tt.state, 0o600)
			}
			rep := Run(context.Background(), cfg)
			for _, r := range rep.Checks {
				switch r.ID {
				case "spool":
					if r.Status != tt.spool || !strings.Contains(r.Evidence, tt.spoolSubstr) {
						t.Errorf("spool: %s: %s", r.Status, r.Evidence)
					}
				case "policy-cache":
					if r.Status != tt.policy {
						t.Errorf("policy-cache: %s: %s", r.Status, r.Evidence)
					}
				}
			}
		})
	}
}

func TestCheckPolicyCache(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	const server = "https://warden.example"
	tests := []struct {
		name    string
		fetched time.Duration // before now; 0 caches nothing
		checked time.Duration // policy_checked_at before now; 0 leaves it out
		damage  bool
		want    Status
		substr  string
	}{
		{"Fresh", 2 * time.Hour, time.Minute, false, Pass, "last checked 1m0s ago"},
		{"Stale", 3 * time.Hour, 2 * time.Hour, false, Warn, "stale"},
		{"None", 0, 0, false, Warn, "no policy cached"},
		{"Unreadable", time.Minute, 0, true, Fail, "hooks deny every call"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig(t)
			cfg.Now = func() time.Time { return now }
			stateHome := filepath.Join(cfg.Home, "state")
			cfg.Getenv = env(map[string]string{"WARDEN_SERVER": server, "XDG_STATE_HOME": stateHome})
			cache := clientstate.PolicyCache{Dir: filepath.Join(stateHome, "warden")}
			if tt.fetched > 0 {
				if _, err := cache.Store(policyfile.Parse, server, `"e1"`, "", policy.BaselineYAML(), now.Add(-tt.fetched)); err != nil {
					t.Fatal(err)
				}
			}
			if tt.damage {
				mustWrite(t, cache.JSONPath(), "{damaged", 0o600)
			}
			st := `{"version":1}`
			if tt.checked > 0 {
				st = `{"version":1,"policy_checked_at":"` + now.Add(-tt.checked).Format(time.RFC3339) + `"}`
			}
			mustWrite(t, cfg.Spool+".ship.json", st, 0o600)
			r := runOne(t, "policy-cache", cfg)
			if r.Status != tt.want || !strings.Contains(r.Evidence, tt.substr) {
				t.Errorf("%s: %s", r.Status, r.Evidence)
			}
		})
	}
}

// fakeClaude writes a stand-in for the claude executable that records its
// arguments and environment in dir/run and prints out as its stream-json.
func fakeClaude(t *testing.T, out string, exit int) (path, record string) {
	t.Helper()
	dir := t.TempDir()
	record = filepath.Join(dir, "run")
	stream := mustWrite(t, filepath.Join(dir, "stream.jsonl"), out, 0o644)
	script := "#!/bin/sh\n{ echo \"args: $*\"; echo \"pwd: $(pwd)\"; env; } > " + record + "\ncat " + stream + "\necho 'client says hi' >&2\nexit " + fmt.Sprint(exit) + "\n"
	return mustWrite(t, filepath.Join(dir, "claude"), script, 0o755), record
}

func TestCheckClientHooks_Probe(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in client is a shell script")
	}
	const id = "toolu_warden_doctor_probe"
	denied := `{"type":"system","subtype":"init","claude_code_version":"2.1.330"}
{"type":"user","message":{"role":"user","content":[{"type":"tool_result","content":"PreToolUse:Bash hook error: secret","is_error":true,"tool_use_id":"` + id + `"}]},"tool_result_meta":[{"id":"` + id + `","permission_decision":{"decision":"reject","source":"hook","reason_type":"hook"}}]}
`
	ran := `{"type":"system","subtype":"init","claude_code_version":"2.1.330"}
{"type":"system","subtype":"informational","content":"A hook gave no usable answer, so it didn't check this action.","level":"warning","tag":"hook_no_verdict","hook_no_verdict":{"hook_event":"PreToolUse","tool_use_id":"` + id + `","timed_out":false}}
{"type":"user","message":{"role":"user","content":[{"type":"tool_result","content":"WARDEN_DOCTOR_CANARY=x","is_error":false,"tool_use_id":"` + id + `"}]},"tool_result_meta":[{"id":"` + id + `","permission_decision":{"decision":"accept","source":"config","reason_type":"subcommandResults"}}]}
`
	byRule := `{"type":"user","message":{"role":"user","content":[{"type":"tool_result","content":"Permission to use Bash has been denied.","is_error":true,"tool_use_id":"` + id + `"}]},"tool_result_meta":[{"id":"` + id + `","permission_decision":{"decision":"reject","source":"config"}}]}
`
	tests := []struct {
		name   string
		out    string
		exit   int
		want   Status
		substr string
	}{
		{"DeniedByHook", denied, 0, Pass, "2.1.330 ran a scripted `cat .env`: refused by a hook"},
		{"Ran", ran, 0, Fail, `it RAN (decision "accept", source "config"): no hook refused it; client warnings: A hook gave no usable answer`},
		{"DeniedByRuleOnly", byRule, 0, Fail, "refused by config, not by a hook"},
		{"OtherCallOnly", strings.ReplaceAll(denied, id, "toolu_other"), 0, Fail, "no result for the call"},
		{"ClientFails", "", 1, Fail, "exited 1 before the probe call: client says hi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig(t)
			real := filepath.Join(cfg.Home, "real-audit.jsonl")
			cfg.Environ = []string{"PATH=/usr/bin:/bin", "HOME=" + cfg.Home, "WARDEN_SPOOL=" + real,
				"ANTHROPIC_BASE_URL=https://api.anthropic.com", "ANTHROPIC_AUTH_TOKEN=real-secret"}
			var record string
			cfg.Claude, record = fakeClaude(t, tt.out, tt.exit)
			r := runOne(t, "client-hooks", cfg)
			if r.Status != tt.want || !strings.Contains(r.Evidence, tt.substr) {
				t.Errorf("%s: %s", r.Status, r.Evidence)
			}
			b, err := os.ReadFile(record)
			if err != nil {
				t.Fatal(err)
			}
			run := string(b)
			for _, want := range []string{"args: -p [warden-fakemodel-script:warden-doctor-probe] warden doctor probe", "--output-format stream-json --verbose",
				"ANTHROPIC_BASE_URL=http://127.0.0.1:", "WARDEN_SHIP=0", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "HOME=" + cfg.Home} {
				if !strings.Contains(run, want) {
					t.Errorf("client run lacks %q:\n%s", want, run)
				}
			}
			for _, bad := range []string{real, "api.anthropic.com", "real-secret"} {
				if strings.Contains(run, bad) {
					t.Errorf("client run has %q:\n%s", bad, run)
				}
			}
		})
	}
}
