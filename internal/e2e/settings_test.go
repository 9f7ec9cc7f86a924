package e2e

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestHookSettings_Golden(t *testing.T) {
	s := HookSettings(Command("/opt/warden e2e/bin/warden", "hook", "--policy", "/etc/warden/policy.yaml"), 30)
	got, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "settings", "all-events.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("settings differ from %s (rerun with -update to accept):\n%s", golden, got)
	}

	// The shape the client reads: every event, matcher "*", one command hook.
	var doc map[string]any
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	hooks := doc["hooks"].(map[string]any)
	if len(hooks) != len(HookEvents) {
		t.Errorf("%d events wired, want %d", len(hooks), len(HookEvents))
	}
	for _, ev := range HookEvents {
		ms, ok := hooks[ev].([]any)
		if !ok || len(ms) != 1 {
			t.Errorf("%s: matchers %v", ev, hooks[ev])
			continue
		}
		m := ms[0].(map[string]any)
		h := m["hooks"].([]any)[0].(map[string]any)
		if m["matcher"] != "*" || h["type"] != "command" || h["timeout"] != 30.0 ||
			h["command"] != "'/opt/warden e2e/bin/warden' hook --policy /etc/warden/policy.yaml" {
			t.Errorf("%s: %v", ev, m)
		}
	}
	if doc["skipWebFetchPreflight"] != true {
		t.Error("skipWebFetchPreflight not set")
	}
}

func TestHookSettings_Events(t *testing.T) {
	s := HookSettings("/bin/true", 0, "PreToolUse")
	if len(s.Hooks) != 1 || s.Hooks["PreToolUse"][0].Hooks[0].Timeout != 0 {
		t.Errorf("hooks = %+v", s.Hooks)
	}
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "timeout") {
		t.Errorf("zero timeout written: %s", b)
	}
}

func TestSettings_Validate(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
		want string // "" for valid
	}{
		{"Valid", Settings{Permissions: &Permissions{Deny: []string{"Bash(curl:*)"}, DefaultMode: "acceptEdits"}, Hooks: HookSettings("x", 5).Hooks}, ""},
		{"UnknownEvent", HookSettings("x", 5, "PreToolUses"), "hooks.PreToolUses: unknown event"},
		{"EmptyCommand", HookSettings(" ", 5, "Stop"), "hooks.Stop[0].hooks[0].command: empty"},
		{"NegativeTimeout", HookSettings("x", -1, "Stop"), "timeout: -1 is negative"},
		{"BadType", Settings{Hooks: map[string][]HookMatcher{"Stop": {{Matcher: "*", Hooks: []HookCommand{{Type: "prompt", Command: "x"}}}}}}, `type: "prompt", want command`},
		{"NoHooks", Settings{Hooks: map[string][]HookMatcher{"Stop": {{Matcher: "*"}}}}, "hooks.Stop[0]: no hooks"},
		{"BadMode", Settings{Permissions: &Permissions{DefaultMode: "bogusMode"}}, `unknown mode "bogusMode"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
			if _, merr := tt.s.Marshal(); (merr != nil) != (tt.want != "") {
				t.Errorf("Marshal() error = %v", merr)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/usr/bin/warden", "/usr/bin/warden"},
		{"--policy=/a/b.yaml", "--policy=/a/b.yaml"},
		{"", "''"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"$HOME", "'$HOME'"},
	}
	for _, tt := range tests {
		if got := ShellQuote(tt.in); got != tt.want {
			t.Errorf("ShellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
