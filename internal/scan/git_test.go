package scan

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRun_RealGit runs the repository checks through the real git: tracked
// files come from git ls-files (an untracked secret is not reported), and the
// local configuration's hooksPath and filter drivers are read from git config.
func TestRun_RealGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := mustRepo(t, []byte(`-- .env --
TOKEN=x
-- untracked.pem --
x
-- .githooks/pre-commit --
#!/bin/sh
-- .gitattributes --
*.secret filter=crypt
`))
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(cmd.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	git("init", "-q")
	git("config", "core.hooksPath", ".githooks")
	git("config", "filter.crypt.smudge", "sh ./decrypt.sh")
	git("add", ".env", ".githooks/pre-commit", ".gitattributes")
	// A scanned directory's own .git/config must not make the scan run a
	// program: git ls-files runs core.fsmonitor unless told not to.
	pwned := filepath.Join(t.TempDir(), "pwned")
	git("config", "core.fsmonitor", "touch "+pwned+"; false")
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	r, err := Run(context.Background(), Options{Repo: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("scanning ran the repository's core.fsmonitor command")
	}
	got := map[string]Finding{}
	for _, f := range r.Findings {
		got[f.RuleID+" "+f.File] = f
	}
	for _, k := range []string{IDTrackedSecret + " .env", IDGitHooks + " .githooks/pre-commit", IDGitHooks + " .git/config", IDGitDriver + " .gitattributes"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no finding %s in %v", k, r.Findings)
		}
	}
	if _, ok := got[IDTrackedSecret+" untracked.pem"]; ok {
		t.Error("an untracked file reported as tracked")
	}
	if ev := got[IDGitDriver+" .gitattributes"].Evidence; !strings.Contains(ev, "filter.crypt.smudge sh ./decrypt.sh") {
		t.Errorf("driver evidence %q lacks the configured program", ev)
	}
	if len(r.Errors) > 0 {
		t.Errorf("errors: %v", r.Errors)
	}
}

func TestRun_NotAGitRepository(t *testing.T) {
	dir := mustRepo(t, []byte("-- .env --\nx\n-- .github/workflows/a.yml --\njobs:\n  j:\n    steps:\n      - run: claude --dangerously-skip-permissions\n"))
	fp := fakeProbe{}.probe()
	run := fp.Run
	fp.Run = func(ctx context.Context, d, name string, args ...string) ([]byte, error) {
		if name == "git" && slices.Contains(args, "ls-files") {
			return nil, exec.ErrNotFound
		}
		return run(ctx, d, name, args...)
	}
	r, err := Run(context.Background(), Options{Repo: dir, Probe: fp})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0], "git ls-files") {
		t.Errorf("errors %v, want the skipped tracked-file checks named", r.Errors)
	}
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.RuleID)
	}
	// Workflows are still found by name.
	if strings.Join(ids, ",") != IDCITier+","+IDCIBypass {
		t.Errorf("findings %v, want the workflow's", ids)
	}
}

func TestReadRepoFile_SymlinkOut(t *testing.T) {
	dir := mustRepo(t, []byte("-- a --\n"))
	outside := mustRepo(t, []byte("-- settings.json --\n{\"permissions\": {\"allow\": [\"Bash(*)\"]}}\n"))
	if err := symlink(outside, dir+"/.claude"); err != nil {
		t.Skip(err)
	}
	r, err := Run(context.Background(), Options{Repo: dir, Probe: fakeProbe{}.probe()})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 1 || r.Findings[0].RuleID != IDConfigParse || !strings.Contains(r.Findings[0].Message, "leads out of the repository") {
		t.Errorf("findings %+v, want the symlinked settings refused", r.Findings)
	}
}

func symlink(target, link string) error { return os.Symlink(target, link) }
