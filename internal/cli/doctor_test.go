package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/doctor"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/settings"
)

// doctorHook stands in for warden-hook: it denies a call naming .env and
// refuses input that is not a hook event with exit 2.
const doctorHook = `#!/bin/sh
in=$(cat)
case "$in" in
  *'"hook_event_name"'*) ;;
  *) exit 2 ;;
esac
case "$in" in
  *.env*) printf '%s\n' '{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"secret"}}' ;;
esac
`

// doctorMachine installs the baseline's ci tier under a temporary root, as
// warden install does, with a stand-in hook named warden-hook.
func doctorMachine(t *testing.T) (root string, getenv map[string]string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("hooks run with /bin/sh")
	}
	root = t.TempDir()
	hook := filepath.Join(t.TempDir(), "bin", "warden-hook")
	if err := os.MkdirAll(filepath.Dir(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hook, []byte(doctorHook), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := settings.Compile(policy.Baseline(), settings.Options{Tier: "ci", HookCommand: hook})
	if err != nil {
		t.Fatal(err)
	}
	files, err := r.Files(settings.FormatLinux, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := settings.Install(r, files, settings.InstallOptions{Root: root}); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	return root, map[string]string{"HOME": home, "XDG_STATE_HOME": filepath.Join(home, "state")}
}

func TestDoctor_Healthy(t *testing.T) {
	root, getenv := doctorMachine(t)
	code, stdout, stderr := runCLI(t, getenv, "", "doctor", "--root", root, "--claude", "off", "--json", "--project", t.TempDir())
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var rep doctor.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout)
	}
	want := map[string]doctor.Status{
		"managed-settings": doctor.Pass, "hook-commands": doctor.Pass, "hook-settings": doctor.Pass,
		"client-hooks": doctor.Skip, "enrollment": doctor.Warn, "server": doctor.Skip,
	}
	if !rep.Healthy || len(rep.Checks) != len(doctor.Checks) {
		t.Errorf("healthy=%v, %d checks", rep.Healthy, len(rep.Checks))
	}
	for _, c := range rep.Checks {
		if w, ok := want[c.ID]; ok && c.Status != w {
			t.Errorf("%s: %s (%s), want %s", c.ID, c.Status, c.Evidence, w)
		}
	}
}

func TestDoctor_Fails(t *testing.T) {
	root, getenv := doctorMachine(t)
	tests := []struct {
		name   string
		args   []string
		substr []string
	}{
		{"DriftOtherTier", []string{"--root", root, "--tier", "production-adjacent"},
			[]string{"FAIL  managed-settings", "differs from what tier production-adjacent", "fix: sudo warden install --tier production-adjacent", "        | --- "}},
		{"NothingInstalled", []string{"--root", t.TempDir(), "--tier", "ci"},
			[]string{"FAIL  managed-settings  no managed settings", "fix: sudo warden install --tier ci", "FAIL  hook-commands"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"doctor", "--claude", "off", "--project", t.TempDir()}, tt.args...)
			code, stdout, stderr := runCLI(t, getenv, "", args...)
			if code != ExitFailure {
				t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
			}
			for _, s := range tt.substr {
				if !strings.Contains(stdout, s) {
					t.Errorf("%q not in\n%s", s, stdout)
				}
			}
			if !strings.HasSuffix(stdout, "NOT healthy: fix the failed checks above\n") {
				t.Errorf("no verdict line:\n%s", stdout)
			}
		})
	}
}

func TestDoctor_Usage(t *testing.T) {
	for _, args := range [][]string{
		{"doctor", "extra"},
		{"doctor", "--no-such-flag"},
		{"doctor", "--claude", "/nonexistent/claude"},
		{"doctor", "--token-env", "X", "--claude", "off"},
	} {
		code, stdout, stderr := runCLI(t, map[string]string{"HOME": t.TempDir()}, "", args...)
		if code != ExitUsage || !strings.Contains(stderr, "Error:") {
			t.Errorf("%v: exit %d, want 2\n%s%s", args, code, stdout, stderr)
		}
	}
}
