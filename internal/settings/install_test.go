package settings

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
)

// tree reads every file under dir (relative slash paths to contents).
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustFiles(t *testing.T, r *Result, fragments bool) []File {
	t.Helper()
	files, err := r.Files(FormatLinux, fragments)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestInstall_RoundTrip installs under a temporary root over a managed
// file Warden did not write, reinstalls, switches to fragments and
// uninstalls, and checks the machine is back as it was.
func TestInstall_RoundTrip(t *testing.T) {
	root := t.TempDir()
	opts := InstallOptions{Root: root, Dir: "/etc/claude-code"}
	dir := filepath.Join(root, "etc/claude-code")
	if err := os.MkdirAll(filepath.Join(dir, "managed-settings.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	theirs := `{"permissions": {"deny": ["Bash(rm:*)"]}}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, SettingsFile), []byte(theirs), 0o644); err != nil {
		t.Fatal(err)
	}
	dropin := `{"permissions": {"deny": ["Bash(wget:*)"]}}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "managed-settings.d/05-theirs.json"), []byte(dropin), 0o644); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)

	r := mustCompile(t, policy.Baseline(), "production-adjacent", Options{})
	files := mustFiles(t, r, false)

	t.Run("RefusesForeignFile", func(t *testing.T) {
		_, err := Install(r, files, opts)
		var ie *InstallError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "Warden did not write it") {
			t.Fatalf("err = %v", err)
		}
		if got := tree(t, dir); len(got) != len(before) || got[SettingsFile] != theirs {
			t.Errorf("a refused install changed files: %v", got)
		}
	})
	t.Run("DryRunWritesNothing", func(t *testing.T) {
		o := opts
		o.Force, o.DryRun = true, true
		plan, err := Install(r, files, o)
		if err != nil {
			t.Fatal(err)
		}
		var diff string
		for _, c := range plan.Changes {
			if c.Path == filepath.Join(dir, SettingsFile) {
				diff = c.Diff
			}
		}
		if !plan.Changed() || !strings.Contains(diff, "-{\"permissions\": {\"deny\": [\"Bash(rm:*)\"]}}") {
			t.Errorf("plan = %+v", plan.Changes)
		}
		if got := tree(t, dir); len(got) != len(before) {
			t.Errorf("dry run wrote files: %v", got)
		}
	})
	t.Run("ForceBacksUp", func(t *testing.T) {
		o := opts
		o.Force = true
		plan, err := Install(r, files, o)
		if err != nil {
			t.Fatal(err)
		}
		got := tree(t, dir)
		if got[BackupDirName+"/"+SettingsFile] != theirs {
			t.Errorf("backup = %q", got[BackupDirName+"/"+SettingsFile])
		}
		want, _ := Marshal(r.Settings)
		if got[SettingsFile] != string(want) || got[GuidanceFile] != r.Guidance {
			t.Error("installed files differ from the compiled ones")
		}
		if got["managed-settings.d/05-theirs.json"] != dropin {
			t.Error("another team's drop-in was touched")
		}
		if !strings.Contains(got[ManifestName], `"sha256"`) || len(plan.Changes) != 2 {
			t.Errorf("manifest = %s, changes %+v", got[ManifestName], plan.Changes)
		}
	})
	t.Run("Idempotent", func(t *testing.T) {
		mid := tree(t, dir)
		plan, err := Install(r, files, opts)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Changed() {
			t.Errorf("second install changes %+v", plan.Changes)
		}
		if got := tree(t, dir); got[ManifestName] != mid[ManifestName] {
			t.Error("second install rewrote the manifest")
		}
	})
	t.Run("RefusesChangedFile", func(t *testing.T) {
		p := filepath.Join(dir, GuidanceFile)
		if err := os.WriteFile(p, []byte("edited by hand\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Install(r, files, opts)
		if err == nil || !strings.Contains(err.Error(), "changed since Warden wrote it") {
			t.Errorf("err = %v", err)
		}
		if err := os.WriteFile(p, []byte(r.Guidance), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("SwitchToFragments", func(t *testing.T) {
		plan, err := Install(r, mustFiles(t, r, true), opts)
		if err != nil {
			t.Fatal(err)
		}
		got := tree(t, dir)
		if got[SettingsFile] != theirs {
			t.Errorf("the replaced managed-settings.json was not restored when Warden moved to fragments: %q", got[SettingsFile])
		}
		if _, ok := got["managed-settings.d/10-permissions.json"]; !ok {
			t.Error("no fragments")
		}
		ops := map[string]int{}
		for _, c := range plan.Changes {
			ops[c.Op]++
		}
		if ops["restore"] != 1 || ops["create"] < 3 {
			t.Errorf("ops = %v", ops)
		}
	})
	t.Run("Uninstall", func(t *testing.T) {
		if _, err := Uninstall(opts); err != nil {
			t.Fatal(err)
		}
		after := tree(t, dir)
		if len(after) != len(before) {
			t.Errorf("after uninstall: %v, want %v", keys(after), keys(before))
		}
		for k, v := range before {
			if after[k] != v {
				t.Errorf("%s = %q, want %q", k, after[k], v)
			}
		}
		plan, err := Uninstall(opts)
		if err != nil || len(plan.Notes) != 1 || plan.Changed() {
			t.Errorf("second uninstall: %+v, %v", plan, err)
		}
	})
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestInstall_UnwritableDestination(t *testing.T) {
	if os.Geteuid() == 0 {
		// Root writes through permissions; make the directory a file instead.
		root := t.TempDir()
		if err := os.WriteFile(filepath.Join(root, "etc"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		r := mustCompile(t, policy.Baseline(), "", Options{})
		_, err := Install(r, mustFiles(t, r, false), InstallOptions{Root: root, Dir: "/etc/claude-code"})
		if err == nil {
			t.Fatal("no error")
		}
		return
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc/claude-code"), 0o555); err != nil {
		t.Fatal(err)
	}
	r := mustCompile(t, policy.Baseline(), "", Options{})
	_, err := Install(r, mustFiles(t, r, false), InstallOptions{Root: root, Dir: "/etc/claude-code"})
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("err = %v", err)
	}
	if got := tree(t, filepath.Join(root, "etc/claude-code")); len(got) != 0 {
		t.Errorf("left behind %v", got)
	}
}

// TestInstall_User merges into the user's settings, keeps the user's own
// keys, reinstalls without piling up, and uninstall restores the file.
func TestInstall_User(t *testing.T) {
	root := t.TempDir()
	opts := InstallOptions{Root: root, Dir: "/home/dev/.claude", User: true}
	dir := filepath.Join(root, "home/dev/.claude")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	mine := `{"model": "opus", "permissions": {"allow": ["Bash(make test)"]}, "env": {"EDITOR": "vim"}}`
	if err := os.WriteFile(filepath.Join(dir, UserSettingsFile), []byte(mine), 0o600); err != nil {
		t.Fatal(err)
	}
	r := mustCompile(t, policy.Baseline(), "regulated", Options{Server: "http://127.0.0.1:4318"})
	plan, err := Install(r, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Notes) == 0 || !strings.Contains(plan.Notes[0], "allowManagedHooksOnly") {
		t.Errorf("notes = %q", plan.Notes)
	}
	read := func() map[string]any {
		b, err := os.ReadFile(filepath.Join(dir, UserSettingsFile))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	got := read()
	allow := got["permissions"].(map[string]any)["allow"].([]any)
	if got["model"] != "opus" || allow[0] != "Bash(make test)" || got["env"].(map[string]any)["EDITOR"] != "vim" {
		t.Errorf("user keys lost: %v", got)
	}
	if got["hooks"] == nil || got["allowManagedHooksOnly"] != nil {
		t.Errorf("hooks %v, allowManagedHooksOnly %v", got["hooks"] != nil, got["allowManagedHooksOnly"])
	}
	n := len(allow)
	if _, err := Install(r, nil, opts); err != nil {
		t.Fatal(err)
	}
	if got := read(); len(got["permissions"].(map[string]any)["allow"].([]any)) != n {
		t.Error("reinstalling piled up rules")
	}
	if _, err := Uninstall(opts); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, UserSettingsFile)); string(b) != mine {
		t.Errorf("after uninstall: %s", b)
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestName)); !errors.Is(err, os.ErrNotExist) {
		t.Error("manifest left behind")
	}
}

// TestInstall_UserCompiledPolicy: a user install puts the compiled policy
// the hooks read beside settings.json, records it, removes it when a
// later install no longer needs it, and uninstall removes it.
func TestInstall_UserCompiledPolicy(t *testing.T) {
	root := t.TempDir()
	opts := InstallOptions{Root: root, Dir: "/home/dev/.claude", User: true}
	dir := filepath.Join(root, "home/dev/.claude")
	compiledPath := filepath.Join(dir, policy.CompiledFileName)
	full := mustFullPolicy(t)
	r := mustCompile(t, full, "standard", Options{HookPolicy: "/home/dev/.claude/" + policy.CompiledFileName})
	plan, err := Install(r, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	// The compiled policy the hook reads is written before the settings
	// that wire the hook (TestInstall_HookOrder).
	if len(plan.Changes) != 2 || plan.Changes[0].Op != "create" || plan.Changes[0].Path != compiledPath {
		t.Errorf("plan = %+v", plan.Changes)
	}
	if p, err := policy.LoadCompiled(compiledPath); err != nil || p.Name != full.Name {
		t.Fatalf("installed compiled policy: %v, %v", p, err)
	}
	m, err := readManifest(dir)
	if err != nil || m == nil || len(m.Files) != 2 || m.Files[1].Path != policy.CompiledFileName {
		t.Fatalf("manifest %+v, %v", m, err)
	}
	if plan, err := Install(r, nil, opts); err != nil || plan.Changed() {
		t.Errorf("reinstall changed %+v, %v", plan, err)
	}
	// The baseline needs none: the file Warden installed goes.
	if _, err := Install(mustCompile(t, policy.Baseline(), "ci", Options{}), nil, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(compiledPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("compiled policy left behind: %v", err)
	}
	if _, err := Install(r, nil, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := Uninstall(opts); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind after uninstall: %v", entries)
	}
}

func TestDiffSettings(t *testing.T) {
	a := map[string]any{"permissions": map[string]any{"ask": []any{"Bash(npm install *)"}, "defaultMode": "default"},
		"env": map[string]any{"X": "1"}}
	b := map[string]any{"permissions": map[string]any{"deny": []any{"Bash(npm install *)"}, "defaultMode": "plan"},
		"env": map[string]any{"X": "1"}, "cleanupPeriodDays": 7}
	var got []string
	for _, c := range DiffSettings(a, b) {
		got = append(got, c.String())
	}
	want := []string{
		`+ cleanupPeriodDays 7`,
		`- permissions.ask [["Bash(npm install *)"]]`,
	}
	_ = want
	joined := strings.Join(got, "\n")
	for _, w := range []string{`+ cleanupPeriodDays 7`, `- permissions.ask ["Bash(npm install *)"]`,
		`~ permissions.defaultMode "default" -> "plan"`, `+ permissions.deny ["Bash(npm install *)"]`} {
		if !strings.Contains(joined, w) {
			t.Errorf("diff lacks %q:\n%s", w, joined)
		}
	}
	if len(DiffSettings(a, a)) != 0 {
		t.Error("a document differs from itself")
	}
	c := map[string]any{"permissions": map[string]any{"ask": []any{"Bash(npm install *)", "Bash(pip install *)"}, "defaultMode": "default"},
		"env": map[string]any{"X": "1"}}
	d := DiffSettings(a, c)
	if len(d) != 1 || d[0].String() != `+ permissions.ask[] "Bash(pip install *)"` {
		t.Errorf("list item diff = %v", d)
	}
}

func TestUnifiedDiff(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\n"
	b := "a\nb\nc\nD\ne\nf\ng\nh\ni\n"
	got := unifiedDiff("x", "y", a, b)
	want := "--- x\n+++ y\n@@ -1,8 +1,9 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n h\n+i\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if unifiedDiff("x", "y", a, a) != "" {
		t.Error("equal texts differ")
	}
}

// TestInstall_HookOrder: an install writes what the hooks read (the
// compiled policy, the client configuration) before the settings that wire
// the hooks, and an uninstall removes those settings first, so that no
// moment leaves a hook wired without its files (it would fail closed and
// block every tool call).
func TestInstall_HookOrder(t *testing.T) {
	for _, fragments := range []bool{false, true} {
		root := t.TempDir()
		opts := InstallOptions{Root: root, Dir: "/etc/claude-code"}
		full := mustFullPolicy(t)
		r := mustCompile(t, full, "standard", Options{HookPolicy: "/etc/claude-code/" + policy.CompiledFileName,
			Server: "https://warden.example", Token: "wdn_test"})
		files := mustFiles(t, r, fragments)
		plan, err := Install(r, files, opts)
		if err != nil {
			t.Fatal(err)
		}
		checkHookOrder(t, "install", plan, root, false)
		if plan, err = Uninstall(opts); err != nil {
			t.Fatal(err)
		}
		checkHookOrder(t, "uninstall", plan, root, true)
	}
}

// checkHookOrder fails unless every change to a file that wires hooks comes
// after (install) or before (uninstall) every other change, and both kinds
// occur, including a file the hooks read.
func checkHookOrder(t *testing.T, what string, plan *Plan, root string, wiringFirst bool) {
	t.Helper()
	var kinds []bool
	reads := false
	for _, c := range plan.Changes {
		rel, err := filepath.Rel(filepath.Join(root, "etc/claude-code"), c.Path)
		if err != nil {
			t.Fatal(err)
		}
		rel = filepath.ToSlash(rel)
		kinds = append(kinds, wiresHooks(rel))
		reads = reads || rel == policy.CompiledFileName
	}
	if !reads || !slices.Contains(kinds, true) {
		t.Fatalf("%s: no compiled policy or no settings among %+v", what, plan.Changes)
	}
	for i := 1; i < len(kinds); i++ {
		if kinds[i] != kinds[i-1] && kinds[i] == wiringFirst {
			t.Errorf("%s: order %v (true: wires hooks) in %+v", what, kinds, plan.Changes)
			return
		}
	}
}
