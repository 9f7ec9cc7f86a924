package engine

import (
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/yamlfile"
)

// TestNoYAML: an engine without a YAML parser (warden-hook's) asks about a
// call whose Taskfile or pnpm workspace it would have to read, and says in
// Decision.Lacks that it lacked the parser; with one, the same calls are
// decided and lack nothing.
func TestNoYAML(t *testing.T) {
	files := map[string]string{
		"Taskfile.yml":          "version: '3'\ntasks:\n  build:\n    cmds:\n      - go build ./...\n",
		"package.json":          `{"scripts": {}}`,
		"pnpm-workspace.yaml":   "packages:\n  - 'apps/*'\n",
		"apps/web/package.json": `{"scripts": {"build": "vite build"}}`,
	}
	p := newProject(t, files)
	bare := New(p.e.rs, Options{FS: OSFS{}})
	for _, command := range []string{"task build", "pnpm -r run build", "sh -c 'task build'"} {
		full := p.decide(command, "")
		if full.Lacks != "" {
			t.Errorf("%s with a parser: Lacks = %q", command, full.Lacks)
		}
		got := bare.Decide(Action{Tool: "Bash", Command: command, Cwd: p.root, Repo: p.root, Home: p.home})
		if got.Lacks != LacksYAML || got.Verdict != policy.Ask || !strings.Contains(got.Reason, "does not parse YAML") {
			t.Errorf("%s without a parser: %s %q (Lacks %q), want ask naming YAML, Lacks %q", command, got.Verdict, got.Reason, got.Lacks, LacksYAML)
		}
	}
	if got := bare.Decide(Action{Tool: "Bash", Command: "go build ./...", Cwd: p.root, Repo: p.root, Home: p.home}); got.Lacks != "" {
		t.Errorf("a call that reads no YAML: Lacks = %q", got.Lacks)
	}
}

// TestWorkspacePackages: the packages list read from the tree is what
// decoding into struct{ Packages []string } gives, and the cases it
// refuses are ones where that decoding fails or it is not sure of it.
func TestWorkspacePackages(t *testing.T) {
	for _, tc := range []struct {
		doc    string
		refuse bool // workspacePackages refuses (for safety) what yaml decodes
	}{
		{doc: ""},
		{doc: "~\n"},
		{doc: "packages:\n  - 'apps/*'\n  - '!apps/skip'\n"},
		{doc: "packages: ['a', \"b\", c]\n"},
		{doc: "packages:\n"},
		{doc: "packages: null\n"},
		{doc: "other: 1\n"},
		{doc: "packages:\n  - 12\n  - true\n  - ~\n"},
		{doc: "base: &b ['x/*']\npackages: *b\n"},
		{doc: "packages:\n  - {a: 1}\n"},
		{doc: "packages: 'apps/*'\n"},
		{doc: "- a\n- b\n"},
		{doc: "just text\n"},
		{doc: "packages: [a]\npackages: [b]\n"},
		{doc: "<<: {packages: [a]}\n", refuse: true},
		{doc: "packages: [a\n"},
	} {
		var ws struct {
			Packages []string `yaml:"packages"`
		}
		werr := yaml.Unmarshal([]byte(tc.doc), &ws)
		if werr == nil && ws.Packages == nil {
			ws.Packages = []string{}
		}
		got, err := workspacePackages(yamlfile.First, []byte(tc.doc))
		switch {
		case tc.refuse:
			if err == nil {
				t.Errorf("%q: accepted %q, want it refused", tc.doc, got)
			}
		case (err == nil) != (werr == nil):
			t.Errorf("%q: error %v, yaml's %v", tc.doc, err, werr)
		case err == nil && !reflect.DeepEqual(got, ws.Packages):
			t.Errorf("%q: %q, yaml decodes %q", tc.doc, got, ws.Packages)
		}
	}
}
