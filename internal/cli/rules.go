package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/detect"
)

// builtinRules names the built-in rule pack on the command line.
const builtinRules = "builtin"

func newRulesCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Check, test and show detection rules",
		Long: `Rules works with detection rules: YAML files of match, sequence, threshold
and absence rules over session events, each carrying its own tests. The
server evaluates them on ingest (warden serve --rules DIR) and records alerts.
"builtin" names the built-in pack. See docs/detect.md.`,
		Example: `  warden rules check rules/
  warden rules test rules/
  warden rules test builtin
  warden rules show builtin`,
	}
	cmd.AddCommand(newRulesCheckCmd(env), newRulesTestCmd(env), newRulesShowCmd(env))
	return cmd
}

// loadRules loads a rule directory, or the built-in pack for "builtin".
func loadRules(dir string) (*detect.Set, error) {
	if dir == builtinRules {
		return detect.Builtin()
	}
	return detect.LoadDir(dir)
}

func newRulesCheckCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "check DIR...",
		Short: "Validate rule files: every error with file:line:col",
		Long: `Check loads every rule file (*.yaml, *.yml) in each DIR and below, compiles
every CEL expression and reads every fixture the tests name, without running
the tests. It prints every error as file:line:col with the source line, and a
warning for each suppression that has expired.

Exit status: 0 when valid, 1 when a file is invalid, 3 when valid with
warnings.`,
		Example: `  warden rules check rules/
  warden rules check builtin`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			invalid, warnings := 0, 0
			for _, dir := range args {
				set, err := loadRules(dir)
				if err != nil {
					invalid++
					printPolicyErrors(env, err)
					continue
				}
				set.WarnExpired(time.Now())
				for _, w := range set.Warnings {
					fmt.Fprintf(env.Stderr, "warning: %s\n", w.Pretty())
				}
				warnings += len(set.Warnings)
				tests := 0
				for _, r := range set.Rules {
					tests += len(r.Tests)
				}
				fmt.Fprintf(env.Stdout, "%s: ok (%d rules, %d tests, %d warnings)\n", dir, len(set.Rules), tests, len(set.Warnings))
			}
			switch {
			case invalid > 0:
				return withCode(ExitFailure, fmt.Errorf("%d of %d rule directories invalid", invalid, len(args)))
			case warnings > 0:
				return withCode(ExitFindings, nil)
			}
			return nil
		},
	}
}

func newRulesTestCmd(env *Env) *cobra.Command {
	var asJSON, verbose bool
	cmd := &cobra.Command{
		Use:   "test DIR...",
		Short: "Run every rule's tests and report expected vs actual alerts",
		Long: `Test loads the rules in each DIR and runs every rule's tests: each test's
events (inline, or a session fixture exported with 'warden record SESSION
--fixture') are evaluated against its rule, offline, by event time, and the
alerts counted. It prints, for every test that does not get its expected
alerts, the rule, the test, the expected and actual alerts and the events
each alert matched. It exits 1 on any mismatch.`,
		Example: `  warden rules test rules/
  warden rules test -v builtin
  warden rules test --json rules/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var results []detect.TestResult
			for _, dir := range args {
				set, err := loadRules(dir)
				if err != nil {
					printPolicyErrors(env, err)
					return withCode(ExitFailure, fmt.Errorf("load rules %s: fix the errors above, then run again", dir))
				}
				results = append(results, set.RunTests()...)
			}
			failed := 0
			for _, r := range results {
				if !r.Pass {
					failed++
				}
			}
			if asJSON {
				enc := json.NewEncoder(env.Stdout)
				for _, r := range results {
					if err := enc.Encode(r); err != nil {
						return err
					}
				}
			} else {
				for _, r := range results {
					if !r.Pass || verbose {
						printRuleResult(env.Stdout, r)
					}
				}
				fmt.Fprintf(env.Stdout, "rule tests: %d passed, %d failed\n", len(results)-failed, failed)
			}
			if failed > 0 {
				return withCode(ExitFailure, nil)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one result per test as JSON lines")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print passing tests too")
	return cmd
}

func printRuleResult(w io.Writer, r detect.TestResult) {
	status := "PASS"
	if !r.Pass {
		status = "FAIL"
	}
	fmt.Fprintf(w, "%s %s: %s (%s)\n", status, r.Rule, r.Name, r.Pos)
	fmt.Fprintf(w, "  expected: %d alerts", r.Want)
	if len(r.WantEvents) > 0 {
		fmt.Fprintf(w, ", the first on events %s", strings.Join(r.WantEvents, ", "))
	}
	fmt.Fprintf(w, "\n  actual:   %d alerts\n", r.Got)
	for _, a := range r.Alerts {
		fmt.Fprintf(w, "            %s %s=%q events %s\n", a.Severity, a.GroupBy, a.Group, strings.Join(a.EventIDs, ", "))
	}
}

func newRulesShowCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "show builtin|DIR",
		Short: "Print the built-in rule pack, or a summary of a rule directory",
		Long: `Show prints the built-in rule pack's files exactly as embedded, comments and
tests included ("builtin"), or one line per rule of a rule directory after
checking it.`,
		Example: `  warden rules show builtin
  warden rules show builtin > rules/builtin.yaml   # a starting point`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] != builtinRules {
				set, err := detect.LoadDir(args[0])
				if err != nil {
					printPolicyErrors(env, err)
					return withCode(ExitFailure, fmt.Errorf("%s is not a valid rule directory", args[0]))
				}
				for _, r := range set.Rules {
					fmt.Fprintf(env.Stdout, "%-40s %-9s %-9s %s\n", r.ID, r.Kind, r.Severity, r.Title)
				}
				return nil
			}
			files, err := detect.BuiltinFiles()
			if err != nil {
				return withCode(ExitFailure, err)
			}
			names := make([]string, 0, len(files))
			for n := range files {
				names = append(names, n)
			}
			sort.Strings(names)
			// One document: each file's leading comments, then its rules
			// under a single rules: key, so the output loads as a rule file.
			var body strings.Builder
			body.WriteString("# Warden's built-in detection rules (warden rules show builtin).\nrules:\n")
			for _, n := range names {
				pre, rest, ok := strings.Cut(string(files[n]), "\nrules:\n")
				if !ok {
					return withCode(ExitFailure, fmt.Errorf("built-in %s: no rules: list", n))
				}
				fmt.Fprintf(&body, "  # --- %s\n", n)
				for _, line := range strings.Split(pre, "\n") {
					fmt.Fprintf(&body, "  %s\n", line)
				}
				body.WriteString(rest)
				if !strings.HasSuffix(rest, "\n") {
					body.WriteString("\n")
				}
			}
			if _, err := io.WriteString(env.Stdout, body.String()); err != nil {
				return err
			}
			return nil
		},
	}
}
