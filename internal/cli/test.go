package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/fixture"
	"github.com/wardenhq/warden/internal/hook"
	"github.com/wardenhq/warden/internal/hookproto"
)

type testFlags struct {
	policy, tier string
	json         bool
	verbose      bool
}

func newTestCmd(env *Env) *cobra.Command {
	var f testFlags
	cmd := &cobra.Command{
		Use:   "test [flags] PATH...",
		Short: "Run policy test fixtures and report expected vs actual decisions",
		Long: `Test runs red-team and regression fixtures (YAML or JSONL files, or
directories of them) against a policy and prints, for every case that does not
get its expected decision, the fixture, the expected and actual decision, the
evidence (rule and reason), the owner, the fix and the retest status. It exits
1 on any mismatch.

Fixtures are decided as if on a machine with no files: the cases must not
depend on this machine's file system.`,
		Example: `  warden test testdata/corpus
  warden test --policy policy.yaml --tier ci testdata/corpus/attack
  warden test --json my-cases.jsonl`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTest(env, &f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.policy, "policy", "", "policy file (default $WARDEN_POLICY, else the built-in baseline)")
	fl.StringVar(&f.tier, "tier", "", "tier to decide under (default: the policy's default tier)")
	fl.BoolVar(&f.json, "json", false, "print one red-team record per case as JSON lines")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "print passing cases too")
	return cmd
}

// Result is the red-team record of one case (seed 003: fixture, expected,
// actual, evidence, owner, fix, retest).
type Result struct {
	ID       string          `json:"id"`
	Pos      string          `json:"fixture"`
	Input    fixture.Input   `json:"input"`
	Expected fixture.Want    `json:"expected"`
	Actual   string          `json:"actual"`
	Pass     bool            `json:"pass"`
	Evidence engine.Decision `json:"evidence"`
	Owner    string          `json:"owner"`
	Fix      string          `json:"fix,omitempty"`
	Retest   string          `json:"retest,omitempty"`
	Tags     []string        `json:"tags,omitempty"`
}

// RunCases decides every case with eng, deterministically (no file system).
func RunCases(eng *engine.Engine, cases []fixture.Case) []Result {
	out := make([]Result, 0, len(cases))
	for _, c := range cases {
		dec := eng.Decide(CaseAction(c))
		actual := dec.Verdict.String()
		out = append(out, Result{ID: c.ID, Pos: c.Pos(), Input: c.Input, Expected: c.Want, Actual: actual,
			Pass: c.Want.Matches(actual), Evidence: dec, Owner: c.Owner, Fix: c.Fix, Retest: c.Retest, Tags: c.Tags})
	}
	return out
}

// CaseAction is the engine action of a fixture: its cwd is the repository
// root, and home is fixture.DefaultHome.
func CaseAction(c fixture.Case) engine.Action {
	in := &hookproto.Input{HookEventName: "PreToolUse", ToolName: c.Input.ToolName, ToolInput: c.Input.ToolInput,
		Cwd: c.Input.Cwd, PermissionMode: c.Input.PermissionMode}
	a := hook.ActionFromInput(in, fixture.DefaultHome)
	if a.Repo == "" {
		a.Repo = a.Cwd
	}
	return a
}

func runTest(env *Env, f *testFlags, paths []string) error {
	eng, err := loadEngine(env, f.policy, f.tier, engine.Options{FS: engine.NoFS{}, Trace: true})
	if err != nil {
		return withCode(ExitFailure, err)
	}
	var cases []fixture.Case
	for _, p := range paths {
		cs, err := fixture.Load(p)
		if err != nil {
			return withCode(ExitFailure, fmt.Errorf("load fixtures %s: %w", p, err))
		}
		cases = append(cases, cs...)
	}
	results := RunCases(eng, cases)
	failed := 0
	for _, r := range results {
		if !r.Pass {
			failed++
		}
	}
	if f.json {
		enc := json.NewEncoder(env.Stdout)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
	} else {
		for _, r := range results {
			if !r.Pass || f.verbose {
				printResult(env.Stdout, r)
			}
		}
		printSummary(env.Stdout, results)
	}
	if failed > 0 {
		return withCode(ExitFailure, nil)
	}
	return nil
}

func printResult(w io.Writer, r Result) {
	status := "PASS"
	if !r.Pass {
		status = "FAIL"
	}
	fmt.Fprintf(w, "%s %s (%s)\n", status, r.ID, r.Pos)
	fmt.Fprintf(w, "  input:    %s\n", describeInput(r.Input))
	fmt.Fprintf(w, "  expected: %s\n", r.Expected)
	fmt.Fprintf(w, "  actual:   %s\n", r.Actual)
	if r.Evidence.RuleID != "" {
		fmt.Fprintf(w, "  evidence: %s: %s\n", r.Evidence.RuleID, r.Evidence.Reason)
	}
	if !r.Pass {
		for _, s := range r.Evidence.Trace {
			if s.Kind == "command" || s.Kind == "path" || s.Kind == "rule" {
				fmt.Fprintf(w, "            %s %s\n", s.Kind, s.Detail)
			}
		}
	}
	fmt.Fprintf(w, "  owner:    %s\n", r.Owner)
	if r.Fix != "" {
		fmt.Fprintf(w, "  fix:      %s\n", r.Fix)
	}
	if r.Retest != "" {
		fmt.Fprintf(w, "  retest:   %s\n", r.Retest)
	}
}

func describeInput(in fixture.Input) string {
	b, _ := json.Marshal(in.ToolInput)
	return in.ToolName + " " + string(b)
}

// printSummary ends with the plain "N passed, N failed" line CI reads.
func printSummary(w io.Writer, results []Result) {
	var attacks, attacksOK, benign, benignFlagged, passed int
	for _, r := range results {
		if r.Pass {
			passed++
		}
		if r.Expected.Flagged() {
			attacks++
			if r.Pass {
				attacksOK++
			}
		} else {
			benign++
			if r.Actual == "deny" || r.Actual == "ask" {
				benignFlagged++
			}
		}
	}
	if attacks > 0 {
		fmt.Fprintf(w, "expected deny/ask: %d/%d at the expected strength\n", attacksOK, attacks)
	}
	if benign > 0 {
		fmt.Fprintf(w, "expected allow/pass: %d/%d flagged (%.2f%%)\n", benignFlagged, benign, 100*float64(benignFlagged)/float64(benign))
	}
	fmt.Fprintf(w, "%s\n", strings.TrimSpace(fmt.Sprintf("fixtures: %d passed, %d failed", passed, len(results)-passed)))
}
