package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
)

// baselineName names the built-in policy wherever a policy file is expected.
const baselineName = "baseline"

func newPolicyCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Show, check and describe Warden policies; pause and resume them (admin)",
		Long: `A Warden policy is one YAML file that decides deny / ask / allow for every
Claude Code tool call, by repository tier. Start from the built-in baseline,
edit it, and check it before you deploy it. See docs/policy.md.`,
		Example: `  warden policy show baseline > policy.yaml
  warden policy check policy.yaml
  warden policy schema > policy.schema.json`,
		Args: cobra.NoArgs, // an unknown subcommand is a usage error, not help
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newPolicyShowCmd(env), newPolicyCheckCmd(env), newPolicySchemaCmd(env), newPolicyDiffCmd(env),
		newPolicyPauseCmd(env), newPolicyResumeCmd(env))
	return cmd
}

func newPolicyShowCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "show [NAME|FILE]",
		Short: "Print a policy: the built-in baseline or a file, as written",
		Long: `Show prints the built-in baseline policy (NAME "baseline", the default)
exactly as embedded, comments included, or a policy file after checking that
it loads. To show a file named "baseline" in the current directory, write
./baseline.`,
		Example: `  warden policy show                      # the baseline
  warden policy show baseline > policy.yaml
  warden policy show /etc/warden/policy.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := baselineName
			if len(args) == 1 {
				name = args[0]
			}
			if name == baselineName {
				_, err := env.Stdout.Write(policy.BaselineYAML())
				return err
			}
			data, err := os.ReadFile(name)
			if err != nil {
				return withCode(ExitFailure, fmt.Errorf("show policy: %w", err))
			}
			parse := policyfile.Parse
			if policy.IsCompiledPath(name) {
				parse = policy.DecodeCompiled
			}
			if _, err := parse(name, data); err != nil {
				printPolicyErrors(env, err)
				return withCode(ExitFailure, fmt.Errorf("%s is not a valid policy", name))
			}
			_, err = env.Stdout.Write(data)
			return err
		},
	}
}

func newPolicyCheckCmd(env *Env) *cobra.Command {
	var now string
	cmd := &cobra.Command{
		Use:   "check FILE...",
		Short: "Validate policy files: every error with file:line:col",
		Long: `Check loads and validates each policy file without running anything. It
prints every error it finds as file:line:col with the source line, and
warnings such as exceptions that expire within 14 days or have expired.

Exit status: 0 when every file is valid and has no warnings, 1 when a file
is invalid, 3 when the files are valid but have warnings. "baseline" checks
the built-in policy. A .json file is a policy compiled by warden compile:
check says whether this Warden reads it (its format and checksum).`,
		Example: `  warden policy check policy.yaml
  warden policy check policies/*.yaml
  warden policy check --now 2026-12-01 policy.yaml   # warnings as of a day`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			at := time.Now()
			if now != "" {
				d, err := policy.ParseDate(now)
				if err != nil {
					return fmt.Errorf("--now: %w", err)
				}
				at = d.Time
			}
			return runPolicyCheck(env, args, at)
		},
	}
	cmd.Flags().StringVar(&now, "now", "", "judge exception expiry as of this day (YYYY-MM-DD, default today)")
	return cmd
}

func runPolicyCheck(env *Env, files []string, now time.Time) error {
	invalid, warnings := 0, 0
	for _, f := range files {
		var p *policy.Policy
		var err error
		if f == baselineName {
			p, err = policyfile.Parse(policy.BaselineFile, policy.BaselineYAML())
		} else {
			p, err = policyfile.Load(f)
		}
		if err != nil {
			invalid++
			printPolicyErrors(env, err)
			continue
		}
		ws := p.Warnings(now)
		for _, w := range ws {
			fmt.Fprintf(env.Stderr, "warning: %s\n", w.Pretty())
		}
		warnings += len(ws)
		fmt.Fprintf(env.Stdout, "%s: ok (policy %s revision %s, %d tiers, %d exceptions, %d warnings)\n",
			f, p.Name, p.Revision, len(p.Tiers), len(p.Exceptions), len(ws))
	}
	switch {
	case invalid > 0:
		return withCode(ExitFailure, fmt.Errorf("%d of %d policy files invalid", invalid, len(files)))
	case warnings > 0:
		fmt.Fprintf(env.Stderr, "%d warnings\n", warnings)
		return withCode(ExitFindings, nil)
	}
	return nil
}

// printPolicyErrors prints every located error with its source line, or
// the error itself when it is not about the document (a missing file).
func printPolicyErrors(env *Env, err error) {
	var errs *policy.Errors
	if errors.As(err, &errs) {
		fmt.Fprintln(env.Stderr, errs.Pretty())
		return
	}
	fmt.Fprintln(env.Stderr, err)
}

func newPolicySchemaCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the policy format's JSON Schema",
		Long: `Schema prints the JSON Schema (draft 2020-12) of the policy format, for
editors and CI. Point an editor at it with a modeline in the policy file:

  # yaml-language-server: $schema=` + policy.SchemaURL + `

The schema checks structure as you type; warden policy check checks more
(rule ids, inheritance, CEL conditions, exception targets).`,
		Example: `  warden policy schema > policy.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := env.Stdout.Write(policy.Schema())
			return err
		},
	}
}
