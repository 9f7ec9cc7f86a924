package hook

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindRepo(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "app")
	nested := filepath.Join(repo, "src", "pkg")
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	worktree := filepath.Join(root, "wt")
	if err := os.MkdirAll(worktree, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(worktree, ".git"), []byte("gitdir: "+repo+"/.git/worktrees/wt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, dir, want string }{
		{"Root", repo, repo},
		{"Nested", nested, repo},
		{"Unclean", nested + "/../pkg/", repo},
		{"GitFile", worktree, worktree},
		{"Outside", root, ""},
		{"Relative", "app/src", ""},
		{"Empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FindRepo(tt.dir); got != tt.want {
				t.Errorf("FindRepo(%q) = %q, want %q", tt.dir, got, tt.want)
			}
		})
	}
}
