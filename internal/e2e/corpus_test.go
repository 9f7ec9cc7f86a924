package e2e

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wardenhq/warden/internal/fixture"
)

var loadCorpus = sync.OnceValues(func() ([]fixture.Case, error) {
	return fixture.Load(filepath.Join("..", "..", "testdata", "corpus"))
})

func mustCorpus(tb testing.TB) []fixture.Case {
	tb.Helper()
	cases, err := loadCorpus()
	if err != nil {
		tb.Fatal(err)
	}
	return cases
}

func mustProjectTree(tb testing.TB) Tree {
	tb.Helper()
	t, err := LoadTree(filepath.Join("testdata", "project"))
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestSampleAttacks_Corpus(t *testing.T) {
	cases := mustCorpus(t)
	s := SampleAttacks(cases, AttackSampleSize)
	if len(s.Cases) < 100 {
		t.Errorf("sampled %d attack cases, want at least 100", len(s.Cases))
	}
	techs := map[string]bool{}
	pool := map[string]bool{}
	for _, c := range cases {
		if c.Want.Flagged() && !c.HasTag(fixture.TagDestructive) && c.Technique != "red-team" && !c.HasTag(TagSeed003) && FiresPreToolUse(c.Input.ToolName) {
			pool[c.Technique] = true
		}
	}
	for _, c := range s.Cases {
		techs[c.Technique] = true
		if !c.Want.Flagged() || c.HasTag(fixture.TagDestructive) || !FiresPreToolUse(c.Input.ToolName) || c.Technique == "red-team" || c.HasTag(TagSeed003) {
			t.Errorf("%s: sampled, but want=%s tags=%v tool=%s technique=%s", c.ID, c.Want, c.Tags, c.Input.ToolName, c.Technique)
		}
	}
	if len(s.Cases) >= len(pool) && len(techs) != len(pool) {
		t.Errorf("sample covers %d of %d techniques", len(techs), len(pool))
	}
	for _, c := range s.Observed {
		if FiresPreToolUse(c.Input.ToolName) || c.HasTag(fixture.TagDestructive) {
			t.Errorf("%s (%s): in the observed-only group", c.ID, c.Input.ToolName)
		}
	}
	if again := SampleAttacks(cases, AttackSampleSize); !reflect.DeepEqual(ids(again.Cases), ids(s.Cases)) {
		t.Error("the sample is not deterministic")
	}
	mustCoverTools(t, s.Cases, "Bash", "Read", "Edit", "Write", "WebFetch", "mcp")
	t.Logf("%d sampled across %d techniques, %d observed only; left out:\n%s", len(s.Cases), len(techs), len(s.Observed), SkipSummary(s.Skipped))
}

func TestSampleBenign_Corpus(t *testing.T) {
	cases := mustCorpus(t)
	s := SampleBenign(cases, BenignSampleSize)
	if len(s.Cases) < 50 {
		t.Errorf("sampled %d benign cases, want at least 50", len(s.Cases))
	}
	for _, c := range s.Cases {
		if c.Want.Flagged() || c.HasTag(fixture.TagDestructive) || c.Input.ToolName == "WebFetch" {
			t.Errorf("%s: sampled, but want=%s tags=%v tool=%s", c.ID, c.Want, c.Tags, c.Input.ToolName)
		}
	}
	mustCoverTools(t, s.Cases, "Bash", "Read", "Edit", "Write", "mcp")
	t.Logf("%d sampled; left out:\n%s", len(s.Cases), SkipSummary(s.Skipped))
}

func TestSeed003Cases_Corpus(t *testing.T) {
	run, skipped := Seed003Cases(mustCorpus(t))
	if len(run) < 15 {
		t.Errorf("%d seed 003 cases, want at least 15", len(run))
	}
	for _, sk := range skipped {
		if sk.Reason != SkipDestructive {
			t.Errorf("%s skipped: %s", sk.ID, sk.Reason)
		}
	}
}

// TestPrepareProject_Corpus: the project template holds what every case
// the suites run needs; a case it cannot prepare would be dropped silently
// otherwise.
func TestPrepareProject_Corpus(t *testing.T) {
	cases := mustCorpus(t)
	base := mustProjectTree(t)
	seed, _ := Seed003Cases(cases)
	attacks := append(SampleAttacks(cases, AttackSampleSize).Cases, seed...)
	if _, skips := PrepareProject(base, attacks, false); len(skips) > 0 {
		t.Errorf("attack cases that cannot be prepared: %v", skips)
	}
	_, skips := PrepareProject(base, benignOrder(SampleBenign(cases, BenignSampleSize).Cases), true)
	for _, s := range skips {
		if !strings.HasPrefix(s.Reason, SkipEditOrder) {
			t.Errorf("benign case that cannot be prepared: %v", s)
		}
	}
}

func TestPrepareProject(t *testing.T) {
	edit := func(id, file, old, repl string) fixture.Case {
		return fixture.Case{ID: id, Input: fixture.Input{ToolName: "Edit", Cwd: fixture.DefaultCwd,
			ToolInput: map[string]any{"file_path": file, "old_string": old, "new_string": repl, "replace_all": false}}}
	}
	base := Tree{"a.txt": "one\ntwo\n", "c.json": "{}\n", "dup.txt": "x x\n"}
	cases := []fixture.Case{
		edit("append", "a.txt", "three", "3"),
		edit("abs", "/home/dev/app/a.txt", "one", "1"),
		edit("after-apply", "a.txt", "1", "uno"),
		edit("json", "c.json", `"k"`, `"v"`),
		edit("dup", "dup.txt", "x", "y"),
		edit("outside", "/etc/hosts", "a", "b"),
		{ID: "nb", Input: fixture.Input{ToolName: "NotebookEdit", Cwd: fixture.DefaultCwd + "/src",
			ToolInput: map[string]any{"notebook_path": "nb.ipynb", "cell_id": "c2", "new_source": "x", "edit_mode": "replace"}}},
		{ID: "nb-cell", Input: fixture.Input{ToolName: "NotebookEdit", Cwd: fixture.DefaultCwd,
			ToolInput: map[string]any{"notebook_path": "src/nb.ipynb", "cell_id": "c9", "new_source": "x", "edit_mode": "replace"}}},
		{ID: "read", Input: fixture.Input{ToolName: "Read", Cwd: fixture.DefaultCwd, ToolInput: map[string]any{"file_path": "docs/x.md"}}},
		{ID: "read-secret", Input: fixture.Input{ToolName: "Read", Cwd: fixture.DefaultCwd, ToolInput: map[string]any{"file_path": ".env"}}},
	}
	got, skips := PrepareProject(base, cases, true)
	if want := "one\ntwo\nthree\n"; got["a.txt"] != want {
		t.Errorf("a.txt = %q, want %q", got["a.txt"], want)
	}
	var skipped []string
	for _, s := range skips {
		skipped = append(skipped, s.ID)
	}
	if want := []string{"json", "dup", "nb-cell"}; !slices.Equal(skipped, want) {
		t.Errorf("skipped %v, want %v (%v)", skipped, want, skips)
	}
	if !notebookHasCell(got["src/nb.ipynb"], "c2") {
		t.Errorf("notebook not made: %q", got["src/nb.ipynb"])
	}
	if got["docs/x.md"] == "" {
		t.Error("no placeholder for a Read")
	}
	if _, ok := got[".env"]; ok {
		t.Error("a placeholder where a secret is planted")
	}
	if _, ok := base["docs/x.md"]; ok {
		t.Error("PrepareProject changed its argument")
	}
	// A later edit whose missing text would match an earlier edit's
	// old_string a second time is left out, not prepared wrongly.
	order := []fixture.Case{edit("first", "o.txt", "a", "b"), edit("second", "o.txt", "cat", "dog")}
	if _, skips := PrepareProject(Tree{"o.txt": "a\n"}, order, true); len(skips) != 1 || skips[0].ID != "second" || !strings.HasPrefix(skips[0].Reason, SkipEditOrder) {
		t.Errorf("order skips = %v, want second left out", skips)
	}
	// Without apply, the second edit of the same text is not affected.
	if _, skips := PrepareProject(base, cases[:3], false); len(skips) != 0 {
		t.Errorf("skips %v", skips)
	}
	if pre := PreSteps(cases[6]); len(pre) != 1 || pre[0].Name != "Read" {
		t.Errorf("PreSteps = %+v", pre)
	}
}

func TestSpread(t *testing.T) {
	mk := func(id, tech, tool string) fixture.Case {
		return fixture.Case{ID: id, Technique: tech, Input: fixture.Input{ToolName: tool}}
	}
	cases := []fixture.Case{
		mk("b2", "b", "Bash"), mk("b3", "b", "Read"), mk("b1", "b", "Bash"),
		mk("a1", "a", "Bash"),
		mk("c2", "c", "Edit"), mk("c1", "c", "Edit"),
	}
	// Techniques take turns; within b, Bash and Read alternate.
	for n, want := range map[int]string{0: "", 2: "b2 c2", 4: "b2 c2 b3 a1", 9: "b2 c2 b3 a1 b1 c1"} {
		if got := strings.Join(ids(Spread(cases, n)), " "); got != want {
			t.Errorf("Spread(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestSkipSummary(t *testing.T) {
	got := SkipSummary([]Skip{{"a", "y"}, {"b", "x"}, {"c", "y"}})
	if want := "   1 x\n   2 y\n"; got != want {
		t.Errorf("SkipSummary = %q, want %q", got, want)
	}
}

func TestBashSkip(t *testing.T) {
	for cmd, want := range map[string]string{
		"git status && grep -rn x src/ | head": "",
		"cd web && npm run build":              "",
		"go test ./...":                        "runs go",
		"git fetch origin":                     "runs git fetch",
		"npm install left-pad":                 "runs npm install",
		"$CMD --help":                          SkipDynamic,
	} {
		got := bashSkip(cmd)
		if want == "" && got != "" || !strings.HasPrefix(got, want) {
			t.Errorf("bashSkip(%q) = %q, want %q", cmd, got, want)
		}
	}
}

// mustCoverTools fails unless cases call each of tools ("mcp": any MCP
// tool).
func mustCoverTools(t *testing.T, cases []fixture.Case, tools ...string) {
	t.Helper()
	seen := map[string]int{}
	for _, c := range cases {
		tool := c.Input.ToolName
		if strings.HasPrefix(tool, MCPPrefix) {
			tool = "mcp"
		}
		seen[tool]++
	}
	for _, tool := range tools {
		if seen[tool] == 0 {
			t.Errorf("the sample has no %s case (tools: %v)", tool, seen)
		}
	}
}

func ids(cs []fixture.Case) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}
