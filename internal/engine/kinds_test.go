package engine

import (
	"github.com/wardenhq/warden/internal/condition"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/yamlfile"
)

// TestPackageRunner_LocalBin: npx and bunx run a package the project has
// installed without downloading it, so a call that finds NAME in
// node_modules/.bin from the cwd up to the repository root is ordinary
// development; without it, the package is downloaded and run (ask).
func TestPackageRunner_LocalBin(t *testing.T) {
	repo := t.TempDir()
	sub := filepath.Join(repo, "packages", "web")
	for _, dir := range []string{filepath.Join(repo, "node_modules", ".bin"), sub} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(repo, "node_modules", ".bin", "eslint"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	rs, err := policy.Baseline().Ruleset("")
	if err != nil {
		t.Fatal(err)
	}
	e := New(rs, Options{Conditions: condition.NewEvaluator(rs), FS: OSFS{}, YAML: yamlfile.First})
	tests := []struct {
		cmd, cwd string
		want     policy.Verdict
	}{
		{"npx eslint .", repo, policy.None},
		{"npx eslint .", sub, policy.None}, // found in an ancestor inside the repository
		{"npx --yes eslint .", repo, policy.None},
		{"bunx eslint .", repo, policy.None},
		{"npx prettier --check .", repo, policy.Ask}, // not installed: downloaded
		{"npx create-react-app x", repo, policy.Ask},
		{"npx --no-install prettier --check .", repo, policy.None},
		{"npm exec --no -- prettier --check .", repo, policy.None},
		{"npx eslint@8 .", repo, policy.Ask}, // a version is fetched whatever is installed
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			d := e.Decide(Action{Tool: "Bash", Command: tt.cmd, Cwd: tt.cwd, Home: "/home/dev", Repo: repo})
			if d.Verdict != tt.want {
				t.Errorf("%s in %s: got %s (%s: %s), want %s", tt.cmd, tt.cwd, d.Verdict, d.RuleID, d.Reason, tt.want)
			}
		})
	}
}
