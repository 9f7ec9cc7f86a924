package hook

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports enforces the package's boundaries: besides the standard
// library, hook may import only engine, policy and record, and it never
// reaches the network, a database or another process.
func TestImports(t *testing.T) {
	allowed := map[string]bool{
		"github.com/wardenhq/warden/internal/engine": true,
		"github.com/wardenhq/warden/internal/policy": true,
		"github.com/wardenhq/warden/internal/record": true,
	}
	forbidden := []string{"net", "os/exec", "database/sql", "plugin"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			std := !strings.Contains(strings.Split(path, "/")[0], ".")
			if !std && !allowed[path] {
				t.Errorf("%s imports %s; hook may import only the standard library, engine, policy and record", file, path)
			}
			for _, bad := range forbidden {
				if path == bad || strings.HasPrefix(path, bad+"/") {
					t.Errorf("%s imports %s", file, path)
				}
			}
		}
	}
}
