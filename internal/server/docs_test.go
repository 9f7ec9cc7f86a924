package server

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
)

// tierInDocs finds the tiers the docs name in a central-decision URL
// (?tier=NAME) or a --tier flag; placeholders in capitals are left alone.
var tierInDocs = regexp.MustCompile(`(?:claude-code\?tier=|--tier[ =])([a-z0-9][a-z0-9_-]*)`)

// TestDocs_Tiers: every tier the user docs put in a hook URL or a --tier
// flag exists in the baseline, which the examples run against: an unknown
// ?tier= makes every central decision a deny.
func TestDocs_Tiers(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	files = append(files, filepath.Join("..", "..", "README.md"))
	seen := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tierInDocs.FindAllSubmatch(b, -1) {
			seen++
			if _, err := policy.Baseline().Ruleset(string(m[1])); err != nil {
				t.Errorf("%s: %s: %v", filepath.Base(file), m[0], err)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no tier found in the docs: the pattern no longer matches them")
	}
}
