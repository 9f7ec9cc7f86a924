package hook

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wardenhq/warden/internal/hookproto"
	"github.com/wardenhq/warden/internal/policy"
)

func mustWrite(tb testing.TB, path, data string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		tb.Fatal(err)
	}
}

const originConfig = `[core]
	repositoryformatversion = 0
	bare = false
[remote "upstream"]
	url = https://github.com/upstream/app.git
	fetch = +refs/heads/*:refs/remotes/upstream/*
[remote "origin"]
	url = https://dev:ghp_secret@github.com/org/app.git
[branch "main"]
	remote = origin
`

func TestReadGit(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "app")
	mustWrite(t, filepath.Join(repo, ".git", "HEAD"), "ref: refs/heads/feature/audit\n")
	mustWrite(t, filepath.Join(repo, ".git", "config"), originConfig)

	// A linked worktree: .git is a file naming <repo>/.git/worktrees/wt,
	// whose commondir leads back to the repository's config.
	wt := filepath.Join(root, "wt")
	mustWrite(t, filepath.Join(wt, ".git"), "gitdir: "+filepath.Join(repo, ".git", "worktrees", "wt")+"\n")
	mustWrite(t, filepath.Join(repo, ".git", "worktrees", "wt", "HEAD"), "ref: refs/heads/hotfix\n")
	mustWrite(t, filepath.Join(repo, ".git", "worktrees", "wt", "commondir"), "../..\n")

	// A submodule: a relative gitdir and its own config.
	sub := filepath.Join(repo, "lib")
	mustWrite(t, filepath.Join(sub, ".git"), "gitdir: ../.git/modules/lib\n")
	mustWrite(t, filepath.Join(repo, ".git", "modules", "lib", "HEAD"), "0123456789abcdef0123456789abcdef01234567\n")
	mustWrite(t, filepath.Join(repo, ".git", "modules", "lib", "config"), "[remote \"origin\"]\n\turl = git@github.com:org/lib.git\n")

	// No remote at all.
	local := filepath.Join(root, "local")
	mustWrite(t, filepath.Join(local, ".git", "HEAD"), "ref: refs/heads/main\n")
	mustWrite(t, filepath.Join(local, ".git", "config"), "[core]\n\tbare = false\n")

	tests := []struct {
		name                   string
		root                   string
		want                   hookproto.Git
		wantBranch, wantRepoID string
	}{
		{"Repository", repo, hookproto.Git{Root: repo, Remote: "https://github.com/org/app.git", Branch: "feature/audit"},
			"feature/audit", "https://github.com/org/app.git"},
		{"Worktree", wt, hookproto.Git{Root: wt, Remote: "https://github.com/org/app.git", Branch: "hotfix"},
			"hotfix", "https://github.com/org/app.git"},
		{"SubmoduleDetached", sub, hookproto.Git{Root: sub, Remote: "git@github.com:org/lib.git", Detached: true},
			"HEAD", "git@github.com:org/lib.git"},
		{"NoRemote", local, hookproto.Git{Root: local, Branch: "main"}, "main", local},
		{"NotARepository", "", hookproto.Git{}, "", ""},
		{"Broken", filepath.Join(root, "missing"), hookproto.Git{Root: filepath.Join(root, "missing")}, "", filepath.Join(root, "missing")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readGit(tt.root)
			if got != tt.want {
				t.Errorf("readGit = %+v\nwant %+v", got, tt.want)
			}
			// The audit event's forms of them.
			ev := hookproto.Event(&hookproto.Input{}, hookproto.Meta{}, hookproto.Env{Git: got})
			if ev.Branch != tt.wantBranch {
				t.Errorf("branch = %q, want %q", ev.Branch, tt.wantBranch)
			}
			if ev.Repository != tt.wantRepoID {
				t.Errorf("repository = %q, want %q", ev.Repository, tt.wantRepoID)
			}
		})
	}
}

func TestRemoteURL(t *testing.T) {
	tests := []struct{ name, config, want string }{
		{"OriginWins", originConfig, "https://dev:ghp_secret@github.com/org/app.git"},
		{"FirstWithoutOrigin", "[remote \"a\"]\n url = /srv/a.git\n[remote \"b\"]\n url = /srv/b.git\n", "/srv/a.git"},
		{"Quoted", "[remote \"origin\"]\n\turl = \"https://example.com/x y.git\" ; comment\n", "https://example.com/x y.git"},
		{"Comment", "[remote \"origin\"]\n\turl = https://example.com/x.git # mirror\n", "https://example.com/x.git"},
		{"KeyCase", "[remote \"origin\"]\n\tURL=https://example.com/x.git\n", "https://example.com/x.git"},
		{"OldSyntax", "[remote.origin]\n\turl = https://example.com/old.git\n", "https://example.com/old.git"},
		{"OtherSections", "[branch \"main\"]\n\turl = nope\n[core]\n\turl = nope\n", ""},
		{"None", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := remoteURL(tt.config); got != tt.want {
				t.Errorf("remoteURL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStripCredentials(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://dev:ghp_secret@github.com/org/app.git", "https://github.com/org/app.git"},
		{"https://ghp_token@github.com/org/app.git", "https://github.com/org/app.git"},
		{"https://x-access-token:tok@github.com/o/r", "https://github.com/o/r"},
		{"ssh://git@github.com/org/app.git", "ssh://git@github.com/org/app.git"},
		{"ssh://git:pw@host/app.git", "ssh://host/app.git"},
		{"git@github.com:org/app.git", "git@github.com:org/app.git"},
		{"/srv/git/app.git", "/srv/git/app.git"},
		{"https://example.com/path/@scope/pkg", "https://example.com/path/@scope/pkg"},
		{"https://github.com/org/app.git", "https://github.com/org/app.git"},
	}
	for _, tt := range tests {
		if got := stripCredentials(tt.in); got != tt.want {
			t.Errorf("stripCredentials(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestRun_AuditGitMetadata checks the audit event of a call made inside a
// repository: remote URL without credentials, branch, and the engine's
// Action.Repo.
func TestRun_AuditGitMetadata(t *testing.T) {
	repo := t.TempDir()
	mustWrite(t, filepath.Join(repo, ".git", "HEAD"), "ref: refs/heads/main\n")
	mustWrite(t, filepath.Join(repo, ".git", "config"), originConfig)
	cwd := filepath.Join(repo, "src")
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	dec := &fakeDecider{verdict: policy.Ask}
	h := newHarness(t, dec, testMeta)
	res := h.run(`{"hook_event_name":"PreToolUse","cwd":"` + cwd + `","tool_name":"Bash",` +
		`"tool_input":{"command":"git push https://dev:hunter2@github.com/org/app.git"}}`)
	evs := mustAuditEvents(t, res.audit)
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	ev := evs[0]
	if ev.Repository != "https://github.com/org/app.git" || ev.Branch != "main" || ev.Cwd != cwd {
		t.Errorf("repository %q branch %q cwd %q", ev.Repository, ev.Branch, ev.Cwd)
	}
	if want := "git push https://dev:[REDACTED]@github.com/org/app.git"; ev.Command != want {
		t.Errorf("command = %q, want %q", ev.Command, want)
	}
	if got := dec.seen(); len(got) != 1 || got[0].Repo != repo {
		t.Errorf("engine saw %+v, want Repo %q", got, repo)
	}
}
