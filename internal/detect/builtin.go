package detect

import (
	"embed"
	"fmt"
	"io/fs"
	"sync"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

var builtin struct {
	once sync.Once
	set  *Set
	err  error
}

// Builtin returns the built-in rule pack, loaded on first use.
func Builtin() (*Set, error) {
	builtin.once.Do(func() {
		builtin.set, builtin.err = LoadFS(builtinFS, "builtin", "builtin")
		if builtin.err != nil {
			builtin.err = fmt.Errorf("built-in rules: %w", builtin.err)
		}
	})
	return builtin.set, builtin.err
}

// BuiltinFiles returns the built-in pack's files by name, for `warden rules
// show builtin`.
func BuiltinFiles() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := fs.WalkDir(builtinFS, "builtin", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := builtinFS.ReadFile(p)
		out[p] = b
		return err
	})
	return out, err
}
