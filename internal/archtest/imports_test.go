package archtest

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// directImports holds, for packages whose boundaries are narrow, the
// non-standard packages they may import directly and the standard ones
// they must not: the hook runs on every tool call and must stay small and
// free of network and process code (shipping lives in internal/ship), and
// so must the client's files it shares with the shipper; the decision core
// reaches nothing outside the process; the
// record types are shared by every layer, the settings compiler knows
// programs only through the catalogue the engine decides by (not the
// engine itself), and the catalogue and the atomic file writer are leaves.
var directImports = map[string]struct {
	allowed   []string
	forbidden []string
}{
	"internal/hook": {
		allowed:   []string{module + "/internal/engine", module + "/internal/hookproto", module + "/internal/record"},
		forbidden: []string{"net", "net/http", "os/exec", "database/sql", "plugin"},
	},
	// The decision core does no I/O of its own: the caller passes the
	// clock, identity and repository in (see also TestPureCore).
	"internal/hookproto": {
		allowed:   []string{module + "/internal/engine", module + "/internal/policy", module + "/internal/record"},
		forbidden: pureForbidden,
	},
	"internal/clientstate": {
		allowed:   []string{module + "/internal/policy", module + "/internal/record", module + "/internal/atomicfile"},
		forbidden: []string{"net", "net/http", "os/exec", "database/sql"},
	},
	"internal/atomicfile": {
		allowed:   []string{},
		forbidden: []string{"net", "net/http", "os/exec"},
	},
	"internal/record": {
		forbidden: []string{"os", "net", "net/http", "os/exec", "database/sql"},
	},
	"internal/catalog": {
		allowed:   []string{},
		forbidden: []string{"os", "net", "net/http", "os/exec", "database/sql"},
	},
	"internal/settings": {
		allowed:   []string{module + "/internal/policy", module + "/internal/catalog", module + "/internal/atomicfile", module + "/internal/clientstate", "github.com/google/jsonschema-go/jsonschema", "github.com/bmatcuk/doublestar/v4"},
		forbidden: []string{"net", "net/http", "os/exec"},
	},
}

func TestDirectImports(t *testing.T) {
	for pkg, rule := range directImports {
		files, err := filepath.Glob(filepath.Join(root(t), pkg, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", pkg, err)
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
				if !std && rule.allowed != nil && !contains(rule.allowed, path) {
					t.Errorf("%s imports %s; %s may import only the standard library and %s", filepath.Base(file), path, pkg, strings.Join(rule.allowed, ", "))
				}
				if contains(rule.forbidden, path) {
					t.Errorf("%s (%s) imports %s, which it must not", filepath.Base(file), pkg, path)
				}
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
