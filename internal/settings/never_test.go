package settings

import (
	"fmt"
	"github.com/wardenhq/warden/internal/condition"
	"testing"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/fixture"
	"github.com/wardenhq/warden/internal/hook"
	"github.com/wardenhq/warden/internal/hookproto"
	"github.com/wardenhq/warden/internal/policy"
)

// nativeOnly is a policy holding nothing but the compiled permission rules,
// read by the engine (which applies native rules at least as widely as
// Claude Code does: Read rules also to files Bash reads).
func nativeOnly(t *testing.T, r *Result) *engine.Engine {
	t.Helper()
	perms := permissions(r)
	p := &policy.Policy{Version: 1, Name: "native", Revision: "1", DefaultTier: "t",
		Rules: policy.Rules{Permissions: policy.Permissions{Deny: perms["deny"], Ask: perms["ask"], Allow: perms["allow"]}},
		Tiers: []policy.Tier{{Name: "t", UnknownTool: policy.None}}}
	rs, err := p.Ruleset("t")
	if err != nil {
		t.Fatalf("compiled rules do not load as a policy: %v", err)
	}
	return engine.New(rs, engine.Options{Conditions: condition.NewEvaluator(rs), FS: engine.NoFS{}})
}

func caseAction(c fixture.Case) engine.Action {
	in := &hookproto.Input{HookEventName: "PreToolUse", ToolName: c.Input.ToolName, ToolInput: c.Input.ToolInput,
		Cwd: c.Input.Cwd, PermissionMode: c.Input.PermissionMode}
	a := hook.ActionFromInput(in, fixture.DefaultHome)
	if a.Repo == "" {
		a.Repo = a.Cwd
	}
	return a
}

// TestCompile_NeverStronger: over the whole policy test corpus, the
// compiled native rules never decide an action more strongly than the
// policy does. Native rules apply even when the hook would allow, so a
// compiled rule stronger than its policy rule would change decisions.
func TestCompile_NeverStronger(t *testing.T) {
	cases, err := fixture.Load("../../testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	extra := []string{"rsync -a src/ dst/", "git push origin feature", "npm run test", "terraform plan",
		"goreleaser build", "gradle build", "rm -rf build", "kubectl get pods", "git push -o main origin feature"}
	for i, cmd := range extra {
		cases = append(cases, fixture.Case{ID: fmt.Sprintf("extra-%d", i), Input: fixture.Input{ToolName: "Bash",
			ToolInput: map[string]any{"command": cmd}, Cwd: fixture.DefaultCwd}})
	}
	full := mustFullPolicy(t)
	type pt struct {
		p    *policy.Policy
		tier string
	}
	var all []pt
	for _, tier := range policy.Baseline().TierNames() {
		all = append(all, pt{policy.Baseline(), tier})
	}
	for _, tier := range full.TierNames() {
		all = append(all, pt{full, tier})
	}
	checked := 0
	for _, x := range all {
		r := mustCompile(t, x.p, x.tier, goldenOptions)
		native := nativeOnly(t, r)
		rs, err := x.p.Ruleset(x.tier)
		if err != nil {
			t.Fatal(err)
		}
		pol := engine.New(rs, engine.Options{Conditions: condition.NewEvaluator(rs), FS: engine.NoFS{}, Now: goldenOptions.Now})
		for _, c := range cases {
			a := caseAction(c)
			n, p := native.Decide(a), pol.Decide(a)
			checked++
			if n.Verdict > p.Verdict {
				t.Errorf("%s tier %s, case %s (%s %v): native rules decide %s (%s), the policy %s (%s)",
					x.p.Name, x.tier, c.ID, c.Input.ToolName, c.Input.ToolInput, n.Verdict, n.RuleID, p.Verdict, p.RuleID)
			}
		}
	}
	if checked < 100 {
		t.Errorf("checked %d decisions; is the corpus there?", checked)
	}
}
