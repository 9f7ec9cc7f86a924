package policy

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocs_Examples parses every YAML example of docs/policy.md that is a
// rule section, inside a minimal policy, so the documentation cannot drift
// from the format.
func TestDocs_Examples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	head := "version: 1\nname: docs\nrevision: \"1\"\ndefault_tier: t\n"
	checked := 0
	for _, b := range blocks {
		body := b[1]
		var src string
		switch {
		case strings.HasPrefix(body, "tiers:"), strings.HasPrefix(body, "settings:"):
			src = strings.Replace(head, "default_tier: t", "default_tier: low-risk", 1) + body
		case strings.HasPrefix(body, "exceptions:"):
			src = head + "tiers: [{name: t}, {name: regulated}]\ncommands: {classes: {database: deny, local-discard: ask}}\n" + body
		case strings.HasPrefix(body, "repositories:"):
			src = head + "tiers: [{name: t}, {name: regulated}, {name: privileged-infra}, {name: production-adjacent}]\n" + body
		default:
			first, _, _ := strings.Cut(body, ":")
			if !strings.Contains("permissions commands paths mcp web conditions", first) || strings.Contains(first, "\n") {
				continue
			}
			src = head + "tiers: [{name: t}]\n" + body
		}
		checked++
		if _, err := Parse("docs/policy.md example", []byte(src)); err != nil {
			t.Errorf("example does not parse:\n%s\n%v", body, err)
		}
	}
	if checked < 10 {
		t.Errorf("checked %d examples, want at least 10: has docs/policy.md changed shape?", checked)
	}
}

// TestDocs_ClassesAndBuiltins: every command class has a row in the class
// table of docs/policy.md and every built-in rule id a row in the table of
// built-in rules, so a class or rule added to the engine cannot ship
// undocumented.
func TestDocs_ClassesAndBuiltins(t *testing.T) {
	doc, err := os.ReadFile("../../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Classes {
		if !strings.Contains(string(doc), "\n| `"+c+"` | ") {
			t.Errorf("command class %s has no row in docs/policy.md's class table", c)
		}
	}
	for _, id := range BuiltinRuleIDs {
		if !strings.Contains(string(doc), "\n| `"+id+"` | ") {
			t.Errorf("built-in rule %s has no row in docs/policy.md's table of built-in rules", id)
		}
	}
}
