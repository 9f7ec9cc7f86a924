package settings

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports enforces the package's boundaries: besides the standard
// library it imports only policy, the JSON Schema validator and the glob
// matcher policy uses. The engine's classes are known through classTable,
// never through the engine itself.
func TestImports(t *testing.T) {
	allowed := map[string]bool{
		"github.com/wardenhq/warden/internal/policy": true,
		"github.com/google/jsonschema-go/jsonschema": true,
		"github.com/bmatcuk/doublestar/v4":           true,
	}
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
				t.Errorf("%s imports %s; settings may import only the standard library, policy, jsonschema and doublestar", file, path)
			}
			if path == "net/http" || path == "os/exec" {
				t.Errorf("%s imports %s", file, path)
			}
		}
	}
}
