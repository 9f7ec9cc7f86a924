package policyfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
)

func mustEncode(tb testing.TB) []byte {
	tb.Helper()
	b, err := policy.EncodeCompiled(policy.Baseline())
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestLoad_ByExtension: Load reads a .json file as the compiled form and
// anything else as YAML.
func TestLoad_ByExtension(t *testing.T) {
	dir := t.TempDir()
	compiledPath := filepath.Join(dir, policy.CompiledFileName)
	if err := os.WriteFile(compiledPath, mustEncode(t), 0o644); err != nil {
		t.Fatal(err)
	}
	yamlPath := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(yamlPath, policy.BaselineYAML(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{compiledPath, yamlPath} {
		p, err := Load(path)
		if err != nil || p.Name != "baseline" || p.File != path {
			t.Errorf("Load(%s) = %v, %v", path, p, err)
		}
	}
	// YAML in a .json file is not a compiled policy.
	wrong := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(wrong, policy.BaselineYAML(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(wrong); err == nil || !strings.Contains(err.Error(), "not a compiled policy") {
		t.Errorf("Load of YAML in a .json file: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "load policy") {
		t.Errorf("Load of a missing file: %v", err)
	}
}
