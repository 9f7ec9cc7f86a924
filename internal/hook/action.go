package hook

import (
	"os"
	"path/filepath"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/hookproto"
)

// ActionFromInput turns a tool event into the engine's Action as
// hookproto.Action does, with Home given and Repo the nearest ancestor of
// cwd holding .git (found with stat calls only).
func ActionFromInput(in *hookproto.Input, home string) engine.Action {
	return hookproto.Action(in, home, FindRepo(in.Cwd))
}

// FindRepo returns the nearest directory at or above dir that contains a
// .git entry (a directory, or a file pointing at a worktree's git dir), or ""
// when there is none or dir is not absolute. It only stats.
func FindRepo(dir string) string {
	if dir == "" || !filepath.IsAbs(dir) {
		return ""
	}
	dir = filepath.Clean(dir)
	for {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
