package settings

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/catalog"
	"github.com/wardenhq/warden/internal/condition"
	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
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
	e := engine.New(rs, engine.Options{Conditions: condition.NewEvaluator(rs), FS: engine.NoFS{}})
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

// nativeMatches is Claude Code's Bash rule match as observed on 2.1.330:
// "*" matches any run of characters, a trailing " *" also the bare command.
func nativeMatches(pattern, cmd string) bool {
	if bare, ok := strings.CutSuffix(pattern, " *"); ok && cmd == bare {
		return true
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(cmd, parts[0]) {
		return false
	}
	rest := cmd[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(rest, p)
		}
		j := strings.Index(rest, p)
		if j < 0 {
			return false
		}
		rest = rest[j+len(p):]
	}
	return rest == ""
}

// TestClasses_CatalogueCovered is the other direction of TestClasses_Subset:
// every catalogue row whose class holds for every call (the engine decides
// `NAME x1` in the class) has a native pattern that matches that call, so a
// program added to the catalogue gets its native rule.
func TestClasses_CatalogueCovered(t *testing.T) {
	var walk func(row *catalog.Program, prefix string)
	walk = func(row *catalog.Program, prefix string) {
		catalog.Each(row.Names, func(n string) {
			if !nativeWord(n) {
				return
			}
			cmd := strings.TrimSpace(prefix + " " + n)
			if row.Class != "" && row.Requires == 0 && row.Unless == 0 && !row.NeedsOperand && !row.RunsPackage {
				sample := cmd + " x1"
				if d := decideClass(t, row.Class, sample); d.Verdict != policy.Deny {
					t.Errorf("%s: the engine does not put %q in the class of its row (%s by %q)", row.Class, sample, d.Verdict, d.RuleID)
				}
				covered := false
				for _, p := range classTable()[row.Class].Patterns {
					covered = covered || nativeMatches(p, sample)
				}
				if !covered {
					t.Errorf("%s: no native pattern matches %q", row.Class, sample)
				}
			}
			for _, subs := range [][]catalog.Program{row.Subs, row.Also} {
				for i := range subs {
					walk(&subs[i], cmd)
				}
			}
		})
	}
	for _, row := range catalog.Builtin().Rows() {
		walk(row, "")
	}
}

// memberPolicy has members with grammar: a new program with an alias and
// a subcommand, a subcommand added to a built-in program, a class an
// option gives (the hook's alone), and a class-only member.
const memberPolicy = `version: 1
name: m
revision: "1"
default_tier: t
commands:
  members:
    - command: deployctl
      class: infrastructure
      aliases: [dctl]
      options:
        - names: [-c, --config]
          value: read
        - names: [--force]
          class: infrastructure-apply
      operands: {lead: [data], rest: read}
    - command: deployctl up
      class: infrastructure-apply
      aliases: [apply]
    - command: kubectl neat
      class: publish
      operands: {rest: read}
    - command: mytool release
      class: publish
tiers:
  - name: t
`

// TestClasses_MemberPatterns: the classes members give their rows compile
// to native patterns with every spelling, and every command such a
// pattern matches is in the class for the engine (TestClasses_Subset for
// the policy's own rows).
func TestClasses_MemberPatterns(t *testing.T) {
	p, err := policyfile.Parse("m.yaml", []byte(memberPolicy))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := p.Ruleset("")
	if err != nil {
		t.Fatal(err)
	}
	got := memberPatterns(rs.Catalog())
	want := map[string][]string{
		policy.ClassInfrastructure: {"deployctl *", "dctl *"},
		policy.ClassInfraApply:     {"deployctl up *", "dctl up *", "deployctl apply *", "dctl apply *"},
		policy.ClassPublish:        {"kubectl neat *", "oc neat *", "kubecolor neat *"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("memberPatterns =\n%v\nwant\n%v", got, want)
	}
	for class, pats := range got {
		for _, pat := range pats {
			for _, cmd := range samples(pat) {
				tier := p.Tiers[0]
				tier.Commands.Classes = map[string]policy.Verdict{class: policy.Deny}
				q := *p
				q.Tiers = []policy.Tier{tier}
				rs, err := q.Ruleset("")
				if err != nil {
					t.Fatal(err)
				}
				d := engine.New(rs, engine.Options{Conditions: condition.NewEvaluator(rs), FS: engine.NoFS{}}).Decide(engine.Action{Tool: "Bash", Command: cmd,
					Cwd: "/home/dev/app", Home: "/home/dev", Repo: "/home/dev/app"})
				if d.Verdict != policy.Deny || d.RuleID != "commands."+class {
					t.Errorf("%s: pattern %q matches %q, which the engine decides %s by %q", class, pat, cmd, d.Verdict, d.RuleID)
				}
			}
		}
	}
}
