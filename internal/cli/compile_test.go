package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/settings"
)

// runCLI runs the command line in-process with getenv as the environment
// and returns the exit code and outputs, as Main would.
func runCLI(t *testing.T, getenv map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return getenv[k] }}
	root := newRootCmd(env)
	root.SetArgs(args)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.ExecuteContext(context.Background())
	code := ExitOK
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
			if ee.err != nil {
				fmt.Fprintf(&stderr, "Error: %v\n", ee.err)
			}
		} else {
			code = ExitUsage
			fmt.Fprintf(&stderr, "Error: %v\n", err)
		}
	}
	return code, stdout.String(), stderr.String()
}

func TestCompileCmd(t *testing.T) {
	t.Run("WritesTreeAndReport", func(t *testing.T) {
		out := t.TempDir()
		code, stdout, stderr := runCLI(t, map[string]string{"WARDEN_TOKEN": "s3cret"}, "",
			"compile", "--tier", "ci", "--out", out, "--fragments", "--hook-command", "/usr/local/bin/warden",
			"--server", "https://warden.example.com", "--token-env", "WARDEN_TOKEN")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, f := range []string{"managed-settings.d/10-permissions.json", "managed-settings.d/20-hooks.json", "managed-settings.d/40-env.json", "CLAUDE.md", settings.ReportFile} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
		if !strings.Contains(stdout, "Enforced by the hook only") || !strings.Contains(stdout, "paths.secrets: .env.*") {
			t.Errorf("stdout lacks the report:\n%s", stdout)
		}
		if !strings.Contains(stderr, "note: the token from $WARDEN_TOKEN is in "+filepath.Join(out, clientstate.ClientConfigName)+" only") {
			t.Errorf("no token note: %s", stderr)
		}
		hooks, _ := os.ReadFile(filepath.Join(out, "managed-settings.d/20-hooks.json"))
		if !strings.Contains(string(hooks), `"/usr/local/bin/warden hook --tier ci"`) {
			t.Errorf("hooks: %s", hooks)
		}
		// The token is in the client configuration, not in the settings'
		// env (which every command the agent runs inherits).
		envFile, _ := os.ReadFile(filepath.Join(out, "managed-settings.d/40-env.json"))
		if strings.Contains(string(envFile), "s3cret") || !strings.Contains(string(envFile), `"otelHeadersHelper": "/usr/local/bin/warden otel-headers"`) {
			t.Errorf("env: %s", envFile)
		}
		cc, err := clientstate.LoadClientConfig(filepath.Join(out, clientstate.ClientConfigName))
		if err != nil || cc.Server != "https://warden.example.com" || cc.Token != "s3cret" {
			t.Errorf("client configuration %+v (%v)", cc, err)
		}
	})
	t.Run("Formats", func(t *testing.T) {
		for format, file := range map[string]string{"macos": settings.ProfileFile, "windows": settings.RegistryFile, "linux": settings.SettingsFile} {
			out := t.TempDir()
			if code, _, stderr := runCLI(t, nil, "", "compile", "--format", format, "--out", out); code != ExitOK {
				t.Fatalf("%s: exit %d: %s", format, code, stderr)
			}
			if _, err := os.Stat(filepath.Join(out, file)); err != nil {
				t.Errorf("%s: %v", format, err)
			}
		}
	})
	policyFile := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(policyFile, []byte(validPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string
	}{
		{"NoOut", []string{"compile"}, nil, ExitUsage, "--out DIR is required"},
		{"UnknownTier", []string{"compile", "--tier", "prod", "--out", "OUT"}, nil, ExitFailure, `unknown tier "prod"`},
		{"BadFormat", []string{"compile", "--format", "bsd", "--out", "OUT"}, nil, ExitUsage, "want linux, macos or windows"},
		{"FragmentsNotForMacOS", []string{"compile", "--format", "macos", "--fragments", "--out", "OUT"}, nil, ExitUsage, "fragments"},
		{"TokenWithoutServer", []string{"compile", "--token-env", "T", "--out", "OUT"}, nil, ExitUsage, "--token-env and --token-file need --server"},
		{"EmptyToken", []string{"compile", "--server", "https://w.example", "--token-env", "T", "--out", "OUT"}, nil, ExitUsage, "empty or not set"},
		{"TeamWithoutServer", []string{"compile", "--team", "pay", "--out", "OUT"}, nil, ExitUsage, "--team needs --server"},
		{"Strict", []string{"compile", "--strict", "--out", "OUT"}, nil, ExitFailure, "can be enforced by the hook only; nothing written"},
		{"Unwritable", []string{"compile", "--out", "/proc/warden-test/out"}, nil, ExitFailure, "write /proc/warden-test/out"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "OUT", out)
			}
			code, _, stderr := runCLI(t, tt.env, "", args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d with %q", code, stderr, tt.code, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
		})
	}
}

func TestCompileCmd_StrictExactPolicy(t *testing.T) {
	policyFile := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(policyFile, []byte(validPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, nil, "", "compile", "--strict", "--policy", policyFile, "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(filepath.Join(out, settings.SettingsFile))
	want := `"command": "warden-hook --policy /etc/claude-code/warden-policy.json --tier std"`
	if !strings.Contains(string(b), want) || !strings.Contains(stdout, "the hooks read the compiled policy /etc/claude-code/warden-policy.json") {
		t.Errorf("hook command: want %s in\n%s\n%s", want, b, stdout)
	}
}

// TestCompileCmd_CompiledPolicy: a policy file is written compiled beside
// the settings, and the hooks read it from where the format's managed
// settings go; it decides as its YAML does (internal/hookcmd tests that).
// --hook-policy names another place, or keeps the YAML.
func TestCompileCmd_CompiledPolicy(t *testing.T) {
	policyFile := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(policyFile, []byte(validPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		args     []string
		file     string // the settings file holding the hooks
		command  string
		compiled bool
	}{
		{"Linux", nil, settings.SettingsFile, `warden-hook --policy /etc/claude-code/warden-policy.json --tier std`, true},
		{"MacOS", []string{"--format", "macos"}, settings.PlistFile, `warden-hook --policy '/Library/Application Support/ClaudeCode/warden-policy.json' --tier std`, true},
		{"Windows", []string{"--format", "windows"}, settings.RegistryFile, `warden-hook --policy 'C:\\\\Program Files\\\\ClaudeCode\\\\warden-policy.json' --tier std`, true},
		{"HookPolicyJSON", []string{"--hook-policy", "/opt/warden/acme.json"}, settings.SettingsFile, `warden-hook --policy /opt/warden/acme.json --tier std`, true},
		{"HookPolicyYAML", []string{"--hook-policy", "/opt/warden/policy.yaml"}, settings.SettingsFile, `warden-hook --policy /opt/warden/policy.yaml --tier std`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			code, stdout, stderr := runCLI(t, nil, "", append([]string{"compile", "--policy", policyFile, "--out", out}, tt.args...)...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			b, _ := os.ReadFile(filepath.Join(out, tt.file))
			if !strings.Contains(string(b), tt.command) {
				t.Errorf("want the hooks to run %s in\n%s", tt.command, b)
			}
			compiled := filepath.Join(out, policy.CompiledFileName)
			p, err := policy.LoadCompiled(compiled)
			if !tt.compiled {
				if err == nil || strings.Contains(stdout, policy.CompiledFileName) {
					t.Errorf("a compiled policy was written for hooks that read the YAML:\n%s", stdout)
				}
				return
			}
			if err != nil || p.Name != "acme" || !strings.Contains(stdout, compiled) {
				t.Errorf("compiled policy: %v, %v; stdout:\n%s", p, err, stdout)
			}
		})
	}
	// The baseline is built into the hook: nothing to compile.
	out := t.TempDir()
	if code, stdout, stderr := runCLI(t, nil, "", "compile", "--out", out); code != ExitOK || strings.Contains(stdout, policy.CompiledFileName) {
		t.Errorf("baseline: exit %d, %s\n%s", code, stdout, stderr)
	}
}

// TestCompileCmd_CompiledPolicyChecked: warden policy check reads a
// compiled policy, and says a damaged one is to be recompiled.
func TestCompileCmd_CompiledPolicyChecked(t *testing.T) {
	policyFile := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(policyFile, []byte(validPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if code, _, stderr := runCLI(t, nil, "", "compile", "--policy", policyFile, "--out", out); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	compiled := filepath.Join(out, policy.CompiledFileName)
	if code, stdout, stderr := runCLI(t, nil, "", "policy", "check", compiled); code != ExitOK || !strings.Contains(stdout, "ok (policy acme revision 3") {
		t.Errorf("check: exit %d\n%s\n%s", code, stdout, stderr)
	}
	data, _ := os.ReadFile(compiled)
	if err := os.WriteFile(compiled, []byte(strings.Replace(string(data), `"egress":"deny"`, `"egress":"allow"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, nil, "", "policy", "check", compiled)
	if code != ExitFailure || !strings.Contains(stderr, compiled+": stale or damaged compiled policy (its checksum does not match its content): recompile with warden compile") {
		t.Errorf("damaged: exit %d\n%s", code, stderr)
	}
}

// TestInstallCmd round-trips install and uninstall under a temporary root.
func TestInstallCmd(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "etc/claude-code")
	base := []string{"--root", root, "--dir", "/etc/claude-code"}
	code, stdout, stderr := runCLI(t, nil, "", append([]string{"install", "--tier", "ci", "--dry-run", "--hook-command", "/usr/local/bin/warden"}, base...)...)
	if code != ExitOK || !strings.Contains(stdout, "would create "+filepath.Join(dir, settings.SettingsFile)) || !strings.Contains(stdout, `+  "hooks": {`) {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("dry run created the directory")
	}
	code, stdout, stderr = runCLI(t, nil, "", append([]string{"install", "--tier", "ci", "--hook-command", "/usr/local/bin/warden"}, base...)...)
	if code != ExitOK || !strings.Contains(stdout, "created "+filepath.Join(dir, settings.SettingsFile)) {
		t.Fatalf("install: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var m settings.Manifest
	b, err := os.ReadFile(filepath.Join(dir, settings.ManifestName))
	if err != nil || json.Unmarshal(b, &m) != nil || m.Tier != "ci" || len(m.Files) != 2 {
		t.Fatalf("manifest %s: %v", b, err)
	}
	code, stdout, _ = runCLI(t, nil, "", append([]string{"install", "--tier", "ci", "--hook-command", "/usr/local/bin/warden"}, base...)...)
	if code != ExitOK || !strings.Contains(stdout, "is up to date") {
		t.Errorf("second install: exit %d\n%s", code, stdout)
	}
	code, _, stderr = runCLI(t, nil, "", append([]string{"install", "--tier", "regulated", "--hook-command", "/usr/local/bin/warden"}, base...)...)
	if code != ExitOK {
		t.Errorf("switching tier: exit %d: %s", code, stderr)
	}
	code, stdout, stderr = runCLI(t, nil, "", append([]string{"uninstall"}, base...)...)
	if code != ExitOK || !strings.Contains(stdout, "removed "+filepath.Join(dir, settings.SettingsFile)) {
		t.Fatalf("uninstall: exit %d\n%s\n%s", code, stdout, stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
	// A file Warden did not write is refused.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, settings.SettingsFile), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, nil, "", append([]string{"install", "--hook-command", "/usr/local/bin/warden-hook"}, base...)...)
	if code != ExitFailure || !strings.Contains(stderr, "refusing to change") || !strings.Contains(stderr, "--force") {
		t.Errorf("foreign file: exit %d: %s", code, stderr)
	}
}

// TestInstallCmd_CompiledPolicy: install puts the compiled policy in the
// directory it installs into and wires the hooks to it there (not under
// --root, where the directory is only built); uninstall removes it.
func TestInstallCmd_CompiledPolicy(t *testing.T) {
	policyFile := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(policyFile, []byte(validPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	dir := filepath.Join(root, "etc/claude-code")
	base := []string{"--root", root, "--dir", "/etc/claude-code"}
	code, stdout, stderr := runCLI(t, nil, "", append([]string{"install", "--policy", policyFile, "--hook-command", "/usr/local/bin/warden-hook"}, base...)...)
	if code != ExitOK || !strings.Contains(stdout, "created "+filepath.Join(dir, policy.CompiledFileName)) {
		t.Fatalf("install: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if p, err := policy.LoadCompiled(filepath.Join(dir, policy.CompiledFileName)); err != nil || p.Name != "acme" {
		t.Errorf("installed compiled policy: %v, %v", p, err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, settings.SettingsFile))
	if want := `"command": "/usr/local/bin/warden-hook --policy /etc/claude-code/warden-policy.json --tier std"`; !strings.Contains(string(b), want) {
		t.Errorf("want %s in\n%s", want, b)
	}
	if code, _, stderr := runCLI(t, nil, "", append([]string{"uninstall"}, base...)...); code != ExitOK {
		t.Fatalf("uninstall: exit %d: %s", code, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestInstallCmd_HookPath: install refuses a hook executable that will
// vanish (the Go build cache of go run, a temporary directory), and by
// default wires the warden-hook beside warden, saying what to do when
// there is none (the test binary has none beside it).
func TestInstallCmd_HookPath(t *testing.T) {
	root := t.TempDir()
	base := []string{"--root", root, "--dir", "/etc/claude-code", "--tier", "ci", "--dry-run"}
	cache, _ := os.UserCacheDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"GoBuildCache", []string{"--hook-command", filepath.Join(cache, "go-build", "ab", "exe", "warden-hook")}, ExitUsage, "make build"},
		{"TempDir", []string{"--hook-command", filepath.Join(os.TempDir(), "x", "warden-hook")}, ExitUsage, "temporary"},
		{"NoSibling", nil, ExitFailure, "no warden-hook beside"},
		{"OnPath", []string{"--hook-command", "warden-hook"}, ExitOK, ""},
		{"Lasting", []string{"--hook-command", "/usr/local/bin/warden-hook"}, ExitOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, nil, "", append(append([]string{"install"}, tc.args...), base...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want %d with %q: %s", code, tc.code, tc.want, stderr)
			}
		})
	}
}

// TestInstallCmd_Server: install --server puts the server URL and token in
// warden-client.json (beside the managed settings; with --user, in the
// user's state directory, mode 0600) and nowhere in the settings.
func TestInstallCmd_Server(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("wdn_file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		args      []string
		env       map[string]string
		settings  string // relative to the root
		client    string // relative to the root; "" is the state directory
		wantToken string
		wantMode  os.FileMode
	}{
		{"Managed", []string{"--dir", "/etc/claude-code", "--token-env", "T"}, map[string]string{"T": "wdn_env"},
			"etc/claude-code/" + settings.SettingsFile, "etc/claude-code/" + clientstate.ClientConfigName, "wdn_env", 0o644},
		{"ManagedTokenFile", []string{"--dir", "/etc/claude-code", "--token-file", tokenFile}, nil,
			"etc/claude-code/" + settings.SettingsFile, "etc/claude-code/" + clientstate.ClientConfigName, "wdn_file", 0o644},
		{"User", []string{"--user", "--dir", "/home/u/.claude", "--token-env", "T"}, map[string]string{"T": "wdn_env"},
			"home/u/.claude/settings.json", "", "wdn_env", 0o600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			state := t.TempDir()
			env := map[string]string{"XDG_STATE_HOME": state}
			for k, v := range tc.env {
				env[k] = v
			}
			args := append([]string{"install", "--root", root, "--tier", "ci", "--hook-command", "/usr/local/bin/warden-hook",
				"--server", "https://warden.acme.example"}, tc.args...)
			// A dry run's diff goes to terminals and logs: never the token.
			code, stdout, stderr := runCLI(t, env, "", append(args, "--dry-run")...)
			if code != ExitOK || strings.Contains(stdout, tc.wantToken) || !strings.Contains(stdout, clientstate.ClientConfigName) {
				t.Fatalf("dry run: exit %d\n%s\n%s", code, stdout, stderr)
			}
			code, stdout, stderr = runCLI(t, env, "", args...)
			if code != ExitOK {
				t.Fatalf("install: exit %d\n%s\n%s", code, stdout, stderr)
			}
			b, err := os.ReadFile(filepath.Join(root, tc.settings))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), tc.wantToken) || !strings.Contains(string(b), `"otelHeadersHelper": "/usr/local/bin/warden-hook otel-headers"`) {
				t.Errorf("settings:\n%s", b)
			}
			client := filepath.Join(root, tc.client)
			if tc.client == "" {
				client = filepath.Join(root, state, "warden", clientstate.ClientConfigName)
			}
			cc, err := clientstate.LoadClientConfig(client)
			if err != nil || cc.Server != "https://warden.acme.example" || cc.Token != tc.wantToken {
				t.Fatalf("client configuration %+v: %v", cc, err)
			}
			if fi, err := os.Stat(client); err != nil || fi.Mode().Perm() != tc.wantMode {
				t.Errorf("client configuration mode %v, want %v (%v)", fi.Mode().Perm(), tc.wantMode, err)
			}
		})
	}
}
