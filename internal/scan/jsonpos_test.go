package scan

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseJSON_Positions(t *testing.T) {
	data := []byte("{\n  \"a\": [1, \"x\",\n    {\"b\": null}],\r\n\t\"c\": true\n}")
	n, err := ParseJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  Pos
		want Pos
	}{
		{"root", n.Pos, Pos{1, 1}},
		{"key a", n.Members[0].KeyPos, Pos{2, 3}},
		{"array", n.Get("a").Pos, Pos{2, 8}},
		{"1", n.Get("a").Items[0].Pos, Pos{2, 9}},
		{"x", n.Get("a").Items[1].Pos, Pos{2, 12}},
		{"object", n.Get("a").Items[2].Pos, Pos{3, 5}},
		{"null", n.Get("a").Items[2].Get("b").Pos, Pos{3, 11}},
		{"key c", n.Members[1].KeyPos, Pos{4, 2}},
		{"true", n.Get("c").Pos, Pos{4, 7}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s at %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestParseJSON_Errors(t *testing.T) {
	tests := []struct {
		name, in string
		want     Pos
	}{
		{"TrailingComma", "{\"a\": 1,\n}", Pos{2, 1}},
		{"Unterminated", "{\"a\": [1, 2", Pos{1, 12}},
		{"TwoValues", "{} {}", Pos{1, 4}},
		{"Empty", "", Pos{1, 1}},
		{"TooDeep", strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1), Pos{1, maxJSONDepth + 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseJSON([]byte(tt.in))
			se, ok := err.(*SyntaxError)
			if !ok {
				t.Fatalf("error %v (%T), want *SyntaxError", err, err)
			}
			if se.Pos != tt.want {
				t.Errorf("at %v, want %v (%v)", se.Pos, tt.want, se)
			}
		})
	}
}

func TestParseJSON_DuplicateKeyLastWins(t *testing.T) {
	n, err := ParseJSON([]byte(`{"m": "default", "m": "bypassPermissions"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Get("m").Str; got != "bypassPermissions" {
		t.Errorf("Get = %q, want the last value, as encoding/json and Claude Code keep it", got)
	}
}

func ExampleParseJSON() {
	n, _ := ParseJSON([]byte("{\n  \"permissions\": {\"allow\": [\"Bash(*)\"]}\n}"))
	rule := n.Get("permissions").Get("allow").Items[0]
	fmt.Printf("%s at %d:%d\n", rule.Str, rule.Pos.Line, rule.Pos.Col)
	// Output: Bash(*) at 2:29
}

// offset converts a position back to a byte offset.
func offset(data []byte, p Pos) int {
	li := newLineIndex(data)
	return li[p.Line-1] + p.Col - 1
}

// FuzzParseJSON checks the position parser against encoding/json: it
// accepts exactly the valid documents (within its depth bound), never
// panics, and every position it reports points at the first byte of the
// value or key it belongs to.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,"x",{"b":null}],"c":true}`, "{\n\"permissions\":{\"allow\":[\"Bash(*)\"]}}", `{"a":1,}`, `"\u00e9"`, `{"a" : { "b" :[ ] } }`} {
		f.Add([]byte(s))
	}
	for _, dir := range []string{"testdata/repos"} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err == nil {
				for _, part := range strings.Split(string(b), "\n-- ") {
					if _, body, ok := strings.Cut(part, " --\n"); ok && strings.HasPrefix(strings.TrimSpace(body), "{") {
						f.Add([]byte(body))
					}
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseJSON(data)
		valid := json.Valid(data)
		if err == nil && !valid {
			t.Fatalf("ParseJSON accepted invalid JSON %q", data)
		}
		if err != nil {
			if valid && !strings.Contains(err.Error(), "nested deeper") {
				t.Fatalf("ParseJSON rejected valid JSON %q: %v", data, err)
			}
			return
		}
		var walk func(n *Node)
		walk = func(n *Node) {
			off := offset(data, n.Pos)
			if off < 0 || off >= len(data) {
				t.Fatalf("position %v outside the input", n.Pos)
			}
			want := map[Kind]string{KindNull: "n", KindBool: "tf", KindNumber: "-0123456789", KindString: `"`, KindArray: "[", KindObject: "{"}[n.Kind]
			if !strings.ContainsRune(want, rune(data[off])) {
				t.Fatalf("node of kind %d at %v starts with %q", n.Kind, n.Pos, data[off])
			}
			for _, it := range n.Items {
				walk(it)
			}
			for _, m := range n.Members {
				if k := offset(data, m.KeyPos); data[k] != '"' {
					t.Fatalf("key %q at %v starts with %q", m.Key, m.KeyPos, data[k])
				}
				walk(m.Value)
			}
		}
		walk(n)
	})
}

// FuzzRepoConfig runs every repository check over fuzzed project settings
// and .mcp.json: hostile configuration never panics the scanner, and every
// finding in those files points inside them.
func FuzzRepoConfig(f *testing.F) {
	for _, s := range []string{
		`{"permissions":{"allow":["Bash(*)","mcp__*"],"defaultMode":"bypassPermissions"},"hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"command":"x"}]}]}}`,
		`{"mcpServers":{"a":{"command":"npx","args":["-y","p"]},"b":{"url":"https://x/*"}}}`,
		`{"hooks":{"A":{"hooks":1}},"mcpServers":{"a":{"command":"x"}},"permissions":{"allow":{"x":1}}}`,
		`{"hooks":[],"permissions":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		for _, rel := range []string{".claude/settings.json", ".mcp.json"} {
			p := filepath.Join(dir, rel)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		r, err := Run(t.Context(), Options{Repo: dir, Probe: fakeProbe{}.probe()})
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, fd := range r.Findings {
			if fd.File != ".mcp.json" && fd.File != ".claude/settings.json" {
				continue
			}
			if fd.Line < 0 || fd.Line > lines {
				t.Fatalf("finding %s at line %d of a %d-line file", fd.RuleID, fd.Line, lines)
			}
		}
	})
}

// FuzzCIWorkflow runs the CI checks over fuzzed workflow files: YAML the
// scanner does not expect never panics it.
func FuzzCIWorkflow(f *testing.F) {
	for _, s := range []string{
		"jobs:\n  j:\n    steps:\n      - run: claude --dangerously-skip-permissions\n",
		"jobs:\n  j:\n    steps:\n      - uses: anthropics/claude-code-action@v1\n        with:\n          claude_args: [--permission-mode, bypassPermissions]\n",
		"review:\n  script:\n    - |\n      claude -p \"${{ x }}\" \\\n        --dangerously-skip-permissions\n",
		"jobs: [1, 2]\n", "a: &x [*x]\n", "jobs:\n  j:\n    steps: {run: 1}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		for _, rel := range []string{".github/workflows/a.yml", ".gitlab-ci.yml"} {
			p := filepath.Join(dir, rel)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := Run(t.Context(), Options{Repo: dir, Probe: fakeProbe{}.probe()}); err != nil {
			t.Fatal(err)
		}
	})
}
