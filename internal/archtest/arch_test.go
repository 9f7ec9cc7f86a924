// Package archtest enforces Warden's architecture: every package documents
// its role, and the decision path stays free of network, storage and
// telemetry dependencies (STYLE.md, "Dependencies point one way").
package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/wardenhq/warden"

// forbidden lists, per package, import path prefixes it must not reach,
// directly or through its dependencies.
var forbidden = map[string][]string{
	// The hook-only binary: what every tool call starts links no command
	// line framework, CEL, YAML parser, server, storage, network client or
	// telemetry.
	"cmd/warden-hook": {"github.com/spf13/cobra", "cel.dev", "go.yaml.in/yaml", "gopkg.in/yaml", module + "/internal/yamlfile", module + "/internal/policyfile",
		"google.golang.org/grpc", "modernc.org/sqlite", "github.com/jackc/pgx",
		"go.opentelemetry.io", "github.com/prometheus", "net/http", "crypto/tls", "database/sql", module + "/internal/server",
		module + "/internal/store", module + "/internal/otlp", module + "/internal/condition", module + "/internal/cli", module + "/internal/ship"},
	"internal/engine":  {"go.yaml.in/yaml", "cel.dev", "net/http", "database/sql", "github.com/jackc/pgx", "google.golang.org/grpc", "go.opentelemetry.io", "modernc.org/sqlite", module + "/internal/hook", module + "/internal/cli"},
	"internal/policy":  {"go.yaml.in/yaml", "cel.dev", "net/http", "database/sql", "github.com/jackc/pgx", "google.golang.org/grpc", "go.opentelemetry.io", "modernc.org/sqlite", module + "/internal/engine"},
	"internal/shell":   {"net/http", "database/sql", "google.golang.org/grpc", "go.opentelemetry.io", module + "/internal/policy", module + "/internal/engine"},
	"internal/hook":    {"cel.dev", "net/http", "database/sql", "github.com/jackc/pgx", "google.golang.org/grpc", "modernc.org/sqlite", module + "/internal/cli"},
	"internal/fixture": {"net/http", "database/sql", module + "/internal/cli"},
	"internal/otlp":    {"database/sql", "github.com/jackc/pgx", "modernc.org/sqlite", module + "/internal/store", module + "/internal/engine", module + "/internal/server"},
	"internal/store":   {"net/http", "google.golang.org/grpc", module + "/internal/otlp", module + "/internal/engine", module + "/internal/server"},
	// The shipper reads and writes the client's files through clientstate,
	// never through the hook protocol or the engine.
	"internal/ship": {module + "/internal/hook", module + "/internal/hookcmd", module + "/internal/engine", module + "/internal/store", module + "/internal/server"},
	// The central service decides through hookproto alone: the local hook
	// process (which reads this machine's .git files, environment and uid
	// as the client's) is never linked into it.
	// The scanner reads files and runs git and claude --version; it sends
	// nothing and stores nothing.
	"internal/scan":   {"net/http", "database/sql", "github.com/jackc/pgx", "google.golang.org/grpc", "modernc.org/sqlite", module + "/internal/store", module + "/internal/server", module + "/internal/cli", module + "/internal/ship"},
	"internal/server": {module + "/internal/hook", module + "/internal/hookcmd", module + "/internal/clientstate", module + "/internal/ship"},
}

func root(t *testing.T) string {
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDependencies(t *testing.T) {
	for pkg, bad := range forbidden {
		cmd := exec.Command("go", "list", "-deps", "./"+pkg)
		cmd.Dir = root(t)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps ./%s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range bad {
				if dep == b || strings.HasPrefix(dep, b+"/") {
					t.Errorf("%s depends on %s, which it must not", pkg, dep)
				}
			}
		}
	}
}

// TestPackageDocs: every package has exactly one package comment.
func TestPackageDocs(t *testing.T) {
	base := root(t)
	err := filepath.WalkDir(base, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != base {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			return nil
		}
		docs, pkg := 0, ""
		files, _ := filepath.Glob(filepath.Join(path, "*.go"))
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments|parser.PackageClauseOnly)
			if err != nil {
				return err
			}
			pkg = f.Name.Name
			if f.Doc != nil {
				docs++
			}
		}
		if pkg != "" && docs != 1 {
			rel, _ := filepath.Rel(base, path)
			t.Errorf("package %s (%s) has %d package comments, want exactly 1", pkg, rel, docs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
