package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/condition"
	"github.com/wardenhq/warden/internal/console"
	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/fixture"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
	"github.com/wardenhq/warden/internal/settings"
)

// defaultCorpus is the policy test corpus policy diff runs when --corpus
// is not given.
const defaultCorpus = "testdata/corpus"

// decisionChange is one corpus case decided differently by two policies.
type decisionChange struct {
	Tier     string
	Case     Result
	Old, New engine.Decision
}

// tierDiff is what changes in one tier.
type tierDiff struct {
	Tier      string
	OnlyIn    string // "old" or "new" when the tier exists in one policy only
	Decisions []decisionChange
	Settings  []settings.SettingChange
}

// diffPolicies compares two policies tier by tier: the decisions of every
// corpus case, and the compiled managed settings.
func diffPolicies(oldP, newP *policy.Policy, tiers []string, cases []fixture.Case) ([]tierDiff, error) {
	var out []tierDiff
	for _, tier := range tiers {
		d := tierDiff{Tier: tier}
		inOld, inNew := slices.Contains(oldP.TierNames(), tier), slices.Contains(newP.TierNames(), tier)
		switch {
		case !inOld && !inNew:
			return nil, fmt.Errorf("unknown tier %q (old tiers: %v; new tiers: %v)", tier, oldP.TierNames(), newP.TierNames())
		case !inOld:
			d.OnlyIn = "new"
		case !inNew:
			d.OnlyIn = "old"
		}
		if d.OnlyIn != "" {
			out = append(out, d)
			continue
		}
		oldE, err := loadTierEngine(oldP, tier)
		if err != nil {
			return nil, err
		}
		newE, err := loadTierEngine(newP, tier)
		if err != nil {
			return nil, err
		}
		oldR, newR := RunCases(oldE, cases), RunCases(newE, cases)
		for i := range oldR {
			if oldR[i].Evidence.Verdict != newR[i].Evidence.Verdict {
				d.Decisions = append(d.Decisions, decisionChange{Tier: tier, Case: newR[i], Old: oldR[i].Evidence, New: newR[i].Evidence})
			}
		}
		opts := settings.Options{Tier: tier}
		oc, err := settings.Compile(oldP, opts)
		if err != nil {
			return nil, fmt.Errorf("old policy: %w", err)
		}
		nc, err := settings.Compile(newP, opts)
		if err != nil {
			return nil, fmt.Errorf("new policy: %w", err)
		}
		d.Settings = settings.DiffSettings(oc.Settings, nc.Settings)
		out = append(out, d)
	}
	return out, nil
}

func loadTierEngine(p *policy.Policy, tier string) (*engine.Engine, error) {
	rs, err := p.Ruleset(tier)
	if err != nil {
		return nil, err
	}
	return engine.New(rs, engine.Options{FS: engine.NoFS{}, Conditions: condition.NewEvaluator(rs)}), nil
}

func printPolicyDiff(w io.Writer, diffs []tierDiff, ncases int) (changes int) {
	for _, d := range diffs {
		switch d.OnlyIn {
		case "old":
			fmt.Fprintf(w, "tier %s: removed\n", d.Tier)
			changes++
			continue
		case "new":
			fmt.Fprintf(w, "tier %s: added\n", d.Tier)
			changes++
			continue
		}
		if len(d.Decisions) == 0 && len(d.Settings) == 0 {
			fmt.Fprintf(w, "tier %s: no change (%d cases, managed settings identical)\n", d.Tier, ncases)
			continue
		}
		fmt.Fprintf(w, "tier %s: %d of %d decisions change, %d managed-settings changes\n", d.Tier, len(d.Decisions), ncases, len(d.Settings))
		for _, c := range d.Decisions {
			fmt.Fprintf(w, "  %s (%s): %s -> %s\n", c.Case.ID, inputText(c.Case.Input), c.Old.Verdict, c.New.Verdict)
			if c.Old.RuleID == c.New.RuleID {
				fmt.Fprintf(w, "      rule: %s\n", ruleOf(c.New))
			} else {
				fmt.Fprintf(w, "      old: %s\n      new: %s\n", ruleOf(c.Old), ruleOf(c.New))
			}
		}
		if len(d.Settings) > 0 {
			fmt.Fprintf(w, "  managed settings:\n")
			for _, s := range d.Settings {
				fmt.Fprintf(w, "    %s\n", s)
			}
		}
		changes += len(d.Decisions) + len(d.Settings)
	}
	return changes
}

// inputText shows a case's tool input as compact JSON, without escaping
// shell characters such as < and &.
func inputText(in fixture.Input) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(in.ToolInput); err != nil {
		return in.ToolName
	}
	return in.ToolName + " " + strings.TrimSpace(b.String())
}

func ruleOf(d engine.Decision) string {
	if d.RuleID == "" {
		return "no rule"
	}
	return d.RuleID + ": " + d.Reason
}

func newPolicyDiffCmd(env *Env) *cobra.Command {
	var corpus, tier string
	var exitCode bool
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Show which decisions and managed settings change between two policies",
		Long: `Diff runs the policy test corpus (` + defaultCorpus + ` unless --corpus) through
both policies, tier by tier, and prints every case whose decision changes,
with the rule behind each side; then it compiles both into managed settings
and prints every key that changes ("+" added, "-" removed, "~" changed; list
items compared as sets). "baseline" names the built-in policy.

Without --tier every tier of either policy is compared. With --exit-code it
exits 1 when anything changes, for CI.`,
		Example: `  warden policy diff baseline policy.yaml
  warden policy diff --tier ci old.yaml new.yaml
  warden policy diff --corpus my-cases/ --exit-code main.yaml branch.yaml`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ps [2]*policy.Policy
			for i, a := range args {
				p, err := loadPolicyArg(a)
				if err != nil {
					return withCode(ExitFailure, err)
				}
				ps[i] = p
			}
			path := corpus
			if path == "" {
				path = defaultCorpus
			}
			var cases []fixture.Case
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && corpus == "" {
				fmt.Fprintf(env.Stderr, "note: no corpus at %s; comparing managed settings only (give --corpus DIR)\n", path)
			} else {
				cs, err := fixture.Load(path)
				if err != nil {
					return withCode(ExitFailure, fmt.Errorf("load corpus %s: %w", path, err))
				}
				cases = cs
			}
			tiers := []string{tier}
			if tier == "" {
				tiers = ps[0].TierNames()
				for _, t := range ps[1].TierNames() {
					if !slices.Contains(tiers, t) {
						tiers = append(tiers, t)
					}
				}
			}
			diffs, err := diffPolicies(ps[0], ps[1], tiers, cases)
			if err != nil {
				return withCode(ExitFailure, err)
			}
			if n := printPolicyDiff(env.Stdout, diffs, len(cases)); n > 0 && exitCode {
				return withCode(ExitFailure, nil)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&corpus, "corpus", "", "policy test cases: a file or directory (default "+defaultCorpus+")")
	fl.StringVar(&tier, "tier", "", "compare this tier only")
	fl.BoolVar(&exitCode, "exit-code", false, "exit 1 when anything changes")
	return cmd
}

// loadPolicyArg loads a policy named on the command line: "baseline" or a file.
func loadPolicyArg(name string) (*policy.Policy, error) {
	if name == baselineName {
		return policy.Baseline(), nil
	}
	p, err := policyfile.Load(name)
	if err != nil {
		var errs *policy.Errors
		if errors.As(err, &errs) {
			return nil, fmt.Errorf("policy %s is invalid:\n%s", name, errs.Pretty())
		}
		return nil, fmt.Errorf("load policy %s: %w", name, err)
	}
	return p, nil
}

// consolePolicyDiff gives the console's revision diff the settings half of
// policy diff: each tier's compiled managed settings compared, and the
// YAML's unified diff.
var consolePolicyDiff = console.PolicyDiff{
	Tier: func(oldP, newP *policy.Policy, tier string) ([]string, error) {
		a, err := settings.Compile(oldP, settings.Options{Tier: tier})
		if err != nil {
			return nil, fmt.Errorf("compile the old revision's tier %s: %w", tier, err)
		}
		b, err := settings.Compile(newP, settings.Options{Tier: tier})
		if err != nil {
			return nil, fmt.Errorf("compile the new revision's tier %s: %w", tier, err)
		}
		var out []string
		for _, c := range settings.DiffSettings(a.Settings, b.Settings) {
			out = append(out, c.String())
		}
		return out, nil
	},
	Text: settings.UnifiedDiff,
}
