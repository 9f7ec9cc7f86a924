package cli

import (
	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/condition"
	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/hookcmd"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
	"github.com/wardenhq/warden/internal/yamlfile"
)

// newHookCmd is `warden hook`: the hook command of internal/hookcmd, with
// the CEL evaluator warden-hook leaves out.
func newHookCmd(env *Env) *cobra.Command {
	var f hookcmd.Flags
	cmd := &cobra.Command{
		Use:     "hook",
		Short:   hookcmd.Short,
		Long:    hookcmd.Long,
		Example: hookcmd.Example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			hookcmd.IgnoreSignals()
			henv := hookcmd.Env{Stdin: env.Stdin, Stdout: env.Stdout, Stderr: env.Stderr, Getenv: env.Getenv}
			opts := hookcmd.Options{
				Conditions: func(rs *policy.Ruleset) engine.Conditions { return condition.NewEvaluator(rs) },
				YAML:       yamlfile.First,
				LoadYAML:   policyfile.LoadFile,
			}
			if code := hookcmd.Run(cmd.Context(), henv, f, opts); code != 0 {
				return withCode(code, nil)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Policy, "policy", "", hookcmd.FlagHelp.Policy)
	fl.StringVar(&f.Tier, "tier", "", hookcmd.FlagHelp.Tier)
	fl.StringVar(&f.Spool, "spool", "", hookcmd.FlagHelp.Spool)
	return cmd
}

// newOTelHeadersCmd is `warden otel-headers`, what Claude Code's
// otelHeadersHelper runs (warden-hook otel-headers is the same).
func newOTelHeadersCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   hookcmd.OTelHeadersArg,
		Short: "Print the OpenTelemetry headers for Claude Code's otelHeadersHelper",
		Long:  hookcmd.OTelHeadersHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			hookcmd.IgnoreSignals()
			henv := hookcmd.Env{Stdin: env.Stdin, Stdout: env.Stdout, Stderr: env.Stderr, Getenv: env.Getenv}
			if code := hookcmd.OTelHeaders(henv); code != 0 {
				return withCode(code, nil)
			}
			return nil
		},
	}
}
