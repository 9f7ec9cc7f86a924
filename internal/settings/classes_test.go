package settings

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/policy"
)

// TestClasses_Complete: every command class the policy format knows has an
// entry, and every entry is a class.
func TestClasses_Complete(t *testing.T) {
	for _, c := range policy.Classes {
		e, ok := classTable()[c]
		if !ok {
			t.Errorf("class %s has no entry in classTable", c)
			continue
		}
		if len(e.Patterns) == 0 && e.HookOnly == "" {
			t.Errorf("class %s: no patterns and no hook-only note", c)
		}
	}
	if len(classTable()) != len(policy.Classes) {
		t.Errorf("classTable has %d entries for %d classes", len(classTable()), len(policy.Classes))
	}
}

// samples returns commands a Bash pattern matches: every "*" replaced by an
// argument, and the bare command for a trailing " *".
func samples(pattern string) []string {
	out := []string{strings.ReplaceAll(pattern, "*", "x1")}
	if bare, ok := strings.CutSuffix(pattern, " *"); ok && !strings.Contains(bare, "*") {
		out = append(out, bare)
	}
	if strings.Count(pattern, "*") > 0 {
		out = append(out, strings.ReplaceAll(pattern, "*", "a b"))
	}
	return out
}

// decideClass decides command with a policy in which only class is denied.
func decideClass(t *testing.T, class, command string) engine.Decision {
	t.Helper()
	p := &policy.Policy{Version: 1, Name: "t", Revision: "1", DefaultTier: "t", Tiers: []policy.Tier{{
		Name:  "t",
		Rules: policy.Rules{Commands: policy.Commands{Classes: map[string]policy.Verdict{class: policy.Deny}}},
	}}}
	rs, err := p.Ruleset("t")
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(rs, engine.Options{FS: engine.NoFS{}})
	return e.Decide(engine.Action{Tool: "Bash", Command: command, Cwd: "/home/dev/app", Home: "/home/dev",
		Repo: "/home/dev/app", Branch: "feature"})
}

// TestClasses_Subset: every command a class's native pattern matches is in
// that class for the engine, so a compiled rule never decides a command the
// policy does not put in the class.
func TestClasses_Subset(t *testing.T) {
	for class, e := range classTable() {
		for _, pat := range e.Patterns {
			if strings.HasSuffix(pat, ":*") {
				t.Errorf("%s: %q ends in :*, which Claude Code reads as the legacy prefix form", class, pat)
			}
			for _, cmd := range samples(pat) {
				d := decideClass(t, class, cmd)
				if d.Verdict != policy.Deny || d.RuleID != "commands."+class {
					t.Errorf("%s: pattern %q matches %q, which the engine decides %s by %q", class, pat, cmd, d.Verdict, d.RuleID)
				}
			}
		}
	}
}

// TestClasses_SubsetFailsOnBroadPattern shows the subset check can fail:
// "rsync *" matches local copies, which are not egress.
func TestClasses_SubsetFailsOnBroadPattern(t *testing.T) {
	if d := decideClass(t, policy.ClassEgress, "rsync -a src/ dst/"); d.Verdict == policy.Deny {
		t.Fatalf("a local rsync is egress for the engine (%s); the subset check would not catch a broad pattern", d.RuleID)
	}
}
