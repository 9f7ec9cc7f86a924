package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const tieredPolicy = `version: 1
name: tiered
revision: "1"
default_tier: open
tiers:
  - name: open
  - name: strict
    commands:
      classes: {egress: deny}
repositories:
  - remote: github.com/acme/payments-*
    tier: strict
  - path: "**/vault-*"
    tier: strict
`

// TestHookCmd_RepositoryTier: without --tier, the hook decides under the
// tier the policy gives the session's repository, by remote or by path;
// --tier still wins.
func TestHookCmd_RepositoryTier(t *testing.T) {
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(tieredPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	repo := func(name, remote string) string {
		root := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Join(root, ".git"), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(root, ".git", "HEAD"), []byte("ref: refs/heads/main\n"), 0o644)
		cfg := "[core]\n\tbare = false\n"
		if remote != "" {
			cfg += "[remote \"origin\"]\n\turl = " + remote + "\n"
		}
		os.WriteFile(filepath.Join(root, ".git", "config"), []byte(cfg), 0o644)
		sub := filepath.Join(root, "src")
		os.MkdirAll(sub, 0o755)
		return sub
	}
	payments := repo("payments", "git@github.com:acme/payments-api.git")
	vault := repo("vault-keys", "")
	web := repo("web", "https://github.com/acme/web.git")
	env := map[string]string{"WARDEN_POLICY": policyFile, "WARDEN_SPOOL": filepath.Join(dir, "spool.jsonl")}
	input := func(cwd string) string {
		return `{"hook_event_name":"PreToolUse","session_id":"s","tool_name":"Bash","tool_input":{"command":"curl https://example.com"},"cwd":"` + cwd + `"}`
	}
	for _, tt := range []struct {
		name, cwd string
		args      []string
		deny      bool
	}{
		{"ByRemote", payments, nil, true},
		{"ByPath", vault, nil, true},
		{"Default", web, nil, false},
		{"FlagWins", payments, []string{"--tier", "open"}, false},
		{"NoRepository", dir, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, env, input(tt.cwd), append([]string{"hook"}, tt.args...)...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if got := strings.Contains(stdout, `"permissionDecision":"deny"`); got != tt.deny {
				t.Errorf("deny = %v, want %v; stdout %s stderr %s", got, tt.deny, stdout, stderr)
			}
		})
	}
	spool, _ := os.ReadFile(env["WARDEN_SPOOL"])
	if !strings.Contains(string(spool), `"tier":"strict"`) || !strings.Contains(string(spool), `"tier":"open"`) {
		t.Errorf("audit events do not name the chosen tiers:\n%s", spool)
	}
}
