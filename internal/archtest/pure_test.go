package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// pureForbidden are the standard packages through which code reaches the
// operating system: files, processes, the environment, the network, the
// process's identity and the system's randomness.
var pureForbidden = []string{"os", "os/exec", "os/user", "os/signal", "syscall", "io/fs", "io/ioutil", "path/filepath",
	"net", "net/http", "crypto/rand", "database/sql", "plugin"}

// pure lists packages that must not read the clock themselves: the caller
// passes the time in, so that every caller records alike and tests fix it.
var pure = []string{"internal/hookproto"}

// clockReads are the time functions that read or wait on the clock.
var clockReads = map[string]bool{"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "Tick": true, "NewTimer": true, "NewTicker": true}

// TestPureCore: the decision core reads no clock of its own (its imports
// are held by directImports).
func TestPureCore(t *testing.T) {
	for _, pkg := range pure {
		files, err := filepath.Glob(filepath.Join(root(t), pkg, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", pkg, err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			name := ""
			for _, imp := range f.Imports {
				if path, _ := strconv.Unquote(imp.Path.Value); path == "time" {
					name = "time"
					if imp.Name != nil {
						name = imp.Name.Name
					}
				}
			}
			if name == "" {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == name && clockReads[sel.Sel.Name] {
					t.Errorf("%s: %s reads the clock (time.%s); take the time from the caller", fset.Position(sel.Pos()), pkg, sel.Sel.Name)
				}
				return true
			})
		}
	}
}
