//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/doctor"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/settings"
)

// runDoctor runs `warden doctor --json` as the test user, with the real
// client, and returns its exit code and report.
func runDoctor(t *testing.T, warden string) (int, *doctor.Report) {
	t.Helper()
	env, err := ClientEnv(h.User, h.Scratch.Home, h.ModelURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), warden, "doctor", "--json", "--tier", "ci", "--hook-command", warden,
		"--claude", h.Client.Path, "--project", h.Scratch.Project, "--client-timeout", "2m")
	cmd.Dir = h.Scratch.Project
	cmd.Env = env
	cmd.SysProcAttr = sysProcAttr(h.User)
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := cmd.ProcessState.ExitCode()
	var rep doctor.Report
	if jerr := json.Unmarshal(stdout.Bytes(), &rep); jerr != nil {
		t.Fatalf("doctor exit %d (%v), output not JSON: %v\n%s\nstderr:\n%s", code, err, jerr, stdout.Bytes(), stderr.Bytes())
	}
	if err := h.CheckGuard(t.Context()); err != nil {
		t.Fatal(err)
	}
	return code, &rep
}

func status(rep *doctor.Report, id string) doctor.Result {
	for _, c := range rep.Checks {
		if c.ID == id {
			return c
		}
	}
	return doctor.Result{ID: id, Status: "missing"}
}

// TestDoctor_ClientVerdicts proves doctor's client-hooks verdicts against
// the real client: with Warden's managed hooks installed and firing it
// passes; with settings that make the client drop them (disableAllHooks in
// a managed fragment, allowManagedHooksOnly with the hooks only in user
// settings) it fails, because the client really lets the probe call run.
// disableAllHooks in user settings leaves the managed hooks running in
// 2.1.330, which doctor reports as a warning and the probe confirms.
func TestDoctor_ClientVerdicts(t *testing.T) {
	lockManaged(t)
	warden := buildWarden(t)
	waitQuiet(t)
	setAsideManaged(t)

	r, err := settings.Compile(policy.Baseline(), settings.Options{Tier: "ci", HookCommand: warden})
	if err != nil {
		t.Fatal(err)
	}
	files, err := r.Files(settings.FormatLinux, false)
	if err != nil {
		t.Fatal(err)
	}
	opts := settings.InstallOptions{Dir: managedDir}
	install := func(t *testing.T) {
		t.Helper()
		if _, err := settings.Install(r, files, opts); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := settings.Uninstall(opts); err != nil {
				t.Errorf("uninstall: %v", err)
			}
		})
	}
	userSettings := filepath.Join(h.Scratch.Home, ".claude", "settings.json")
	writeUser := func(t *testing.T, doc string) {
		t.Helper()
		if err := h.Scratch.WriteUserFile(userSettings, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(userSettings) })
	}
	writeManaged := func(t *testing.T, rel, doc string) {
		t.Helper()
		p := filepath.Join(managedDir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(p) })
	}
	userHooks := `{"hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":"command","command":"` + warden + ` hook --tier ci","timeout":30}]}]}}`

	tests := []struct {
		name  string
		setup func(t *testing.T)
		code  int
		want  map[string]doctor.Status
	}{
		{"HooksFiring", install, 0, map[string]doctor.Status{
			"managed-settings": doctor.Pass, "hook-commands": doctor.Pass, "hook-settings": doctor.Pass, "client-hooks": doctor.Pass}},
		{"DisableAllHooksInManagedFragment", func(t *testing.T) {
			install(t)
			writeManaged(t, filepath.Join(settings.FragmentsDir, "50-other-team.json"), `{"disableAllHooks": true}`)
		}, 1, map[string]doctor.Status{
			"hook-commands": doctor.Pass, "hook-settings": doctor.Fail, "client-hooks": doctor.Fail}},
		{"ManagedOnlyWithUserHooks", func(t *testing.T) {
			writeManaged(t, settings.SettingsFile, `{"allowManagedHooksOnly": true}`)
			writeUser(t, userHooks)
		}, 1, map[string]doctor.Status{
			"hook-commands": doctor.Fail, "hook-settings": doctor.Fail, "client-hooks": doctor.Fail}},
		{"UserHooksDisabledInTheirFile", func(t *testing.T) {
			writeUser(t, `{"disableAllHooks": true,`+userHooks[1:])
		}, 1, map[string]doctor.Status{
			"managed-settings": doctor.Fail, "hook-settings": doctor.Fail, "client-hooks": doctor.Fail}},
		{"UserDisableAllHooksKeepsManaged", func(t *testing.T) {
			install(t)
			writeUser(t, `{"disableAllHooks": true}`)
		}, 0, map[string]doctor.Status{
			"managed-settings": doctor.Pass, "hook-settings": doctor.Warn, "client-hooks": doctor.Pass}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup(t)
			code, rep := runDoctor(t, warden)
			for id, want := range tt.want {
				if got := status(rep, id); got.Status != want {
					t.Errorf("%s: %s, want %s: %s\n%s", id, got.Status, want, got.Evidence, got.Detail)
				}
			}
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if t.Failed() || testing.Verbose() {
				var b bytes.Buffer
				rep.WriteText(&b, true)
				t.Logf("doctor:\n%s", b.String())
			}
		})
	}
}
