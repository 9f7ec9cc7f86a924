package engine_test

import (
	"github.com/wardenhq/warden/internal/condition"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/fixture"
	"github.com/wardenhq/warden/internal/hook"
	"github.com/wardenhq/warden/internal/hookproto"
	"github.com/wardenhq/warden/internal/policy"
)

// corpusDir is the attack and benign corpus the baseline must decide
// (testdata/corpus/README.md).
const corpusDir = "../../testdata/corpus"

// Floors of the corpus, so that a loader or layout change that drops cases
// cannot make the corpus bar pass by testing less.
const (
	minAttack = 400
	minBenign = 400
)

// baselineEngine decides under the built-in baseline on a machine with no
// files, as `warden test` does.
func baselineEngine(tb testing.TB) *engine.Engine {
	tb.Helper()
	rs, err := policy.Baseline().Ruleset("")
	if err != nil {
		tb.Fatalf("resolve baseline: %v", err)
	}
	return engine.New(rs, engine.Options{Conditions: condition.NewEvaluator(rs), FS: engine.NoFS{}, Trace: true})
}

// caseAction is the action a fixture describes, normalised by the hook's
// own ActionFromInput: home is fixture.DefaultHome and the cwd is the
// repository root (the corpus's world, testdata/corpus/README.md).
func caseAction(c fixture.Case) engine.Action {
	in := &hookproto.Input{HookEventName: "PreToolUse", ToolName: c.Input.ToolName, ToolInput: c.Input.ToolInput,
		Cwd: c.Input.Cwd, PermissionMode: c.Input.PermissionMode}
	a := hook.ActionFromInput(in, fixture.DefaultHome)
	if a.Repo == "" {
		a.Repo = a.Cwd
	}
	return a
}

// TestCorpus_Baseline is the corpus bar: the baseline decides every attack
// case at its expected strength and lets every benign case through, with no
// file system. Run one case with -run 'TestCorpus_Baseline/<id>'.
func TestCorpus_Baseline(t *testing.T) {
	cases, err := fixture.Load(corpusDir)
	if err != nil {
		t.Fatalf("load corpus: %v", err)
	}
	e := baselineEngine(t)
	var attacks, benign int
	for _, c := range cases {
		if c.Want.Flagged() {
			attacks++
		} else {
			benign++
		}
		t.Run(c.ID, func(t *testing.T) {
			d := e.Decide(caseAction(c))
			if got := d.Verdict.String(); !c.Want.Matches(got) {
				t.Errorf("%s: want %s, got %s: %s: %s%s", c.Pos(), c.Want, got, d.RuleID, d.Reason, ruleSteps(d))
			}
		})
	}
	if attacks < minAttack || benign < minBenign {
		t.Errorf("corpus too small: %d attack and %d benign cases, want at least %d and %d", attacks, benign, minAttack, minBenign)
	}
	t.Logf("%d attack and %d benign cases decided", attacks, benign)
}

// ruleSteps lists the rules a decision's trace matched, for failure messages.
func ruleSteps(d engine.Decision) string {
	var b strings.Builder
	for _, s := range d.Trace {
		if s.Kind == "rule" {
			b.WriteString("\n\t" + s.Verdict.String() + " " + s.RuleID + ": " + s.Detail)
		}
	}
	return b.String()
}
