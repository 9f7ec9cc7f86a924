package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// scanRepo writes the done-when repository of internal/scan into a
// temporary directory.
func scanRepo(t *testing.T, name string) string {
	t.Helper()
	a, err := txtar.ParseFile(filepath.Join("..", "scan", "testdata", "repos", name))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range a.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestScanCmd(t *testing.T) {
	repo := scanRepo(t, "done-when.txtar")
	clean := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   string
		jsonBody bool
	}{
		{name: "TextFailsOnHigh", args: []string{"scan", repo}, code: ExitFailure,
			stdout: []string{".claude/settings.json:5:7: HIGH WS101", ".mcp.json:7:5: HIGH WS111", ".github/workflows/claude.yml:12:86: HIGH WS131", "fix: "}},
		{name: "SARIF", args: []string{"scan", "--format", "sarif", repo}, code: ExitFailure, jsonBody: true,
			stdout: []string{`"version": "2.1.0"`, `"ruleId": "WS101"`, `"ruleId": "WS111"`, `"ruleId": "WS131"`}},
		{name: "JSON", args: []string{"scan", "--format", "json", "--fail-on", "none", repo}, code: ExitOK, jsonBody: true,
			stdout: []string{`"rule_id": "WS131"`, `"line": 12`}},
		{name: "FailOnCritical", args: []string{"scan", "--fail-on", "critical", repo}, code: ExitOK},
		{name: "Clean", args: []string{"scan", "--fail-on", "info", clean}, code: ExitOK, stdout: []string{"No findings."}},
		{name: "Checklist", args: []string{"scan", "--checklist", "--fail-on", "none", repo}, code: ExitOK,
			stdout: []string{"seed 003 Quick Checklist", "[fail   ] QC07", "[unknown] QC13", "seed 004 Mini scorecard"}},
		{name: "BadFormat", args: []string{"scan", "--format", "xml", repo}, code: ExitUsage, stderr: "--format"},
		{name: "BadFailOn", args: []string{"scan", "--fail-on", "severe", repo}, code: ExitUsage, stderr: "unknown severity"},
		{name: "BadTier", args: []string{"scan", "--tier", "nope", repo}, code: ExitUsage, stderr: "the policy has tiers"},
		{name: "BadPolicy", args: []string{"scan", "--policy", filepath.Join(clean, "missing.yaml"), repo}, code: ExitUsage, stderr: "missing.yaml"},
		{name: "NoSuchRepo", args: []string{"scan", filepath.Join(clean, "nope")}, code: ExitUsage, stderr: "nope"},
		{name: "MachineMissing", args: []string{"scan", "--machine", "--root", clean, "--managed-dir", "/etc/claude-code", "--min-version", "0.0.1"}, code: ExitFailure,
			stdout: []string{"HIGH WS201", "no managed settings in /etc/claude-code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, map[string]string{"HOME": "/nonexistent-home"}, "", tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			if tt.stderr != "" && !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr)
			}
			if tt.jsonBody && !json.Valid([]byte(stdout)) {
				t.Errorf("stdout is not JSON:\n%s", stdout)
			}
		})
	}
}
