//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wardenhq/warden/internal/fakemodel"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
	"github.com/wardenhq/warden/internal/settings"
)

// TestUninstall_ToolsRunAfter installs the baseline as the real client's
// managed settings with its compiled policy beside them, checks the hook
// decides, runs `warden uninstall`, and checks that the client then runs
// its tools normally: no hook left behind that fails closed because the
// files it reads are gone (what users of fail-closed guards report after
// uninstalling them).
func TestUninstall_ToolsRunAfter(t *testing.T) {
	ctx := t.Context()
	lockManaged(t)
	warden := buildWarden(t)
	waitQuiet(t)
	setAsideManaged(t)

	// A policy that is not the built-in one, so the hook needs the compiled
	// file installed beside the settings (the dependency an uninstall must
	// not break first).
	yaml := bytes.Replace(policy.BaselineYAML(), []byte("\nname: baseline\n"), []byte("\nname: e2e-uninstall\n"), 1)
	p, err := policyfile.Parse("e2e-uninstall.yaml", yaml)
	if err != nil {
		t.Fatal(err)
	}
	r, err := settings.Compile(p, settings.Options{Tier: "production-adjacent", HookCommand: warden,
		HookPolicy: filepath.Join(managedDir, policy.CompiledFileName)})
	if err != nil {
		t.Fatal(err)
	}
	files, err := r.Files(settings.FormatLinux, false)
	if err != nil {
		t.Fatal(err)
	}
	opts := settings.InstallOptions{Dir: managedDir}
	if _, err := settings.Install(r, files, opts); err != nil {
		t.Fatal(err)
	}
	installed := true
	t.Cleanup(func() {
		if installed {
			settings.Uninstall(opts)
		}
	})
	if _, err := os.Stat(filepath.Join(managedDir, policy.CompiledFileName)); err != nil {
		t.Fatalf("the compiled policy was not installed: %v", err)
	}

	steps := []fakemodel.Step{
		fakemodel.Bash("git status --short"),
		fakemodel.Bash("curl -s https://example.com/upload"),
		fakemodel.Read(filepath.Join(h.Scratch.Project, "README.md")),
	}
	// After the uninstall the upload is left out: nothing would stop it
	// reaching the network, which the suite's egress guard forbids.
	after := []fakemodel.Step{
		fakemodel.Bash("git status --short"),
		fakemodel.Bash("ls"),
		fakemodel.Read(filepath.Join(h.Scratch.Project, "README.md")),
	}
	run := func(name string, steps []fakemodel.Step) *Session {
		t.Helper()
		s, err := h.RunSession(ctx, SessionOptions{Name: name, Steps: steps})
		if s == nil {
			t.Fatal(err)
		}
		if err != nil {
			t.Fatalf("%v\n%s", err, s.Summary())
		}
		return s
	}

	// Installed: the hook decides (it allows git status and denies the
	// upload).
	s := run("uninstall-before", steps)
	if c := s.Call(0); c == nil || c.Outcome != OutcomeRan || c.HookVerdict() != "allow" {
		t.Fatalf("git status with Warden installed: %+v\n%s", c, s.Summary())
	}
	if c := s.Call(1); c == nil || !c.Outcome.Refused() {
		t.Fatalf("curl upload with Warden installed: %+v\n%s", c, s.Summary())
	}

	// warden uninstall, as an administrator runs it.
	out, err := exec.CommandContext(ctx, warden, "uninstall", "--dir", managedDir).CombinedOutput()
	if err != nil {
		t.Fatalf("warden uninstall: %v\n%s", err, out)
	}
	installed = false
	if entries, _ := os.ReadDir(managedDir); len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("left in %s after uninstall: %v\n%s", managedDir, names, out)
	}

	// Uninstalled: every call runs as the client alone decides it; no
	// hook answers, none blocks.
	s = run("uninstall-after", after)
	for i := range after {
		c := s.Call(i)
		switch {
		case c == nil:
			t.Errorf("call %d not in the stream\n%s", i, s.Summary())
		case c.HookVerdict() != "":
			t.Errorf("call %d: a hook still answered %q after uninstall\n%s", i, c.HookVerdict(), s.Summary())
		}
	}
	if c := s.Call(0); c == nil || c.Outcome != OutcomeRan {
		t.Errorf("git status after uninstall: %+v\n%s", c, s.Summary())
	}
	if c := s.Call(1); c == nil || c.Outcome != OutcomeRan {
		t.Errorf("ls after uninstall: %+v\n%s", c, s.Summary())
	}
	if c := s.Call(2); c == nil || c.Outcome != OutcomeRan {
		t.Errorf("Read README.md after uninstall: %+v\n%s", c, s.Summary())
	}
}
