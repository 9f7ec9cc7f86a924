package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/settings"
)

// compileFlags are the flags compile and install share.
type compileFlags struct {
	policy, tier       string
	hookCommand        string
	hookPolicy         string
	server, tokenEnv   string
	tokenFile          string
	team               string
	fragments          bool
	hookCommandDefault string // the default the command documents
	// policyPath is where the compiled policy will be on the machines the
	// settings go to: the hooks' --policy unless --hook-policy says.
	policyPath string
}

func (f *compileFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.policy, "policy", "", `policy file, or "baseline" (default $WARDEN_POLICY, else the baseline)`)
	fl.StringVar(&f.tier, "tier", "", "tier to compile (default: the policy's default tier)")
	fl.BoolVar(&f.fragments, "fragments", false, "write managed-settings.d/ fragments (10-permissions.json, 20-hooks.json, ...) instead of one managed-settings.json")
	fl.StringVar(&f.hookCommand, "hook-command", "", "the warden executable the managed hooks run (default "+f.hookCommandDefault+")")
	fl.StringVar(&f.hookPolicy, "hook-policy", "", "where the hook reads the policy on the target machines: a .json path gets the compiled policy ("+policy.CompiledFileName+"), any other the policy's YAML, which warden-hook hands to warden on every call, at several times the cost (default: "+policy.CompiledFileName+" in the managed-settings directory; none for the baseline)")
	fl.StringVar(&f.server, "server", "", "the Warden server's base URL: Claude Code's OpenTelemetry and the hook's audit go there (written into "+clientstate.ClientConfigName+")")
	fl.StringVar(&f.tokenFile, "token-file", "", "file holding the server's ingest token (as --token-env; - reads standard input)")
	fl.StringVar(&f.team, "team", "", "team of the machines these settings go to, sent with Claude Code's telemetry (OTEL_RESOURCE_ATTRIBUTES team=...) for the console's per-team figures; overrides the tier's telemetry_team setting (needs --server)")
	fl.StringVar(&f.tokenEnv, "token-env", "", "name of the environment variable holding the server's ingest token (written into "+clientstate.ClientConfigName+", never into the settings: see docs/deploy.md)")
}

// compile loads the policy and compiles the tier.
func (f *compileFlags) compile(env *Env) (*settings.Result, error) {
	if f.tokenEnv != "" && f.tokenFile != "" {
		return nil, withCode(ExitUsage, errors.New("give --token-env or --token-file, not both"))
	}
	if (f.tokenEnv != "" || f.tokenFile != "") && f.server == "" {
		return nil, withCode(ExitUsage, errors.New("--token-env and --token-file need --server"))
	}
	if f.team != "" && f.server == "" {
		return nil, withCode(ExitUsage, errors.New("--team needs --server: the team travels with the telemetry sent there"))
	}
	p, err := loadPolicy(env, f.policy)
	if err != nil {
		return nil, withCode(ExitFailure, err)
	}
	opts := settings.Options{Tier: f.tier, HookCommand: f.hookCommand, HookPolicy: f.hookPolicy, Server: f.server, TokenEnv: f.tokenEnv, Team: f.team}
	if opts.HookPolicy == "" && p.File != policy.BaselineFile {
		// The hooks read the policy compiled beside the settings: no
		// YAML parse on any hook call.
		opts.HookPolicy = f.policyPath
	}
	if f.tokenEnv != "" {
		opts.Token = env.Getenv(f.tokenEnv)
		if opts.Token == "" {
			return nil, withCode(ExitUsage, fmt.Errorf("--token-env %s: the variable is empty or not set", f.tokenEnv))
		}
	}
	if f.tokenFile != "" {
		var b []byte
		if f.tokenFile == "-" {
			b, err = io.ReadAll(io.LimitReader(env.Stdin, 64<<10))
		} else {
			b, err = os.ReadFile(f.tokenFile)
		}
		if err != nil {
			return nil, withCode(ExitUsage, fmt.Errorf("--token-file: %w", err))
		}
		opts.Token = strings.TrimSpace(string(b))
		if opts.Token == "" {
			return nil, withCode(ExitUsage, fmt.Errorf("--token-file %s is empty", f.tokenFile))
		}
	}
	r, err := settings.Compile(p, opts)
	if err != nil {
		return nil, withCode(ExitFailure, err)
	}
	return r, nil
}

// tokenSource names where the token came from, for messages.
func (f *compileFlags) tokenSource() string {
	if f.tokenFile != "" {
		return f.tokenFile
	}
	return "$" + f.tokenEnv
}

func newCompileCmd(env *Env) *cobra.Command {
	f := &compileFlags{hookCommandDefault: settings.DefaultHookCommand}
	var out, format string
	var strict bool
	cmd := &cobra.Command{
		Use:   "compile --out DIR [flags]",
		Short: "Compile a policy tier into Claude Code managed settings",
		Long: `Compile turns one tier of a policy into Claude Code's managed settings:
the permission rules Claude Code's native syntax can express exactly (the
policy's own rules plus rules derived from command classes, path rules, web
hosts and MCP tools), defaultMode and bypass lockdown, hooks that send every
event to "warden-hook --tier TIER" (the hook-only binary; --hook-command
names another, or warden, whose hook subcommand is then used), MCP server bindings by URL or exact
command, the Bash sandbox, telemetry to a Warden server, proxy and CA
variables, the organisation's managed keys, and a managed CLAUDE.md from the
policy's guidance.

A policy other than the built-in baseline is also written compiled, as
` + policy.CompiledFileName + `: validated once and checksummed, so that no hook call
parses YAML. The hooks read it with --policy from the managed-settings
directory (/etc/claude-code/` + policy.CompiledFileName + ` for linux), where it must be
deployed with the settings; --hook-policy names another place. Compile
again whenever the policy changes: a hook denies every call over a
compiled policy that is stale or damaged.

Rules native syntax cannot express exactly are not dropped: they stay with
the hook, and the report (printed, and written to DIR/` + settings.ReportFile + `)
lists every one and why. With --strict any such rule is an error.

Formats: linux (the /etc/claude-code tree; --fragments for managed-settings.d),
macos (a configuration profile for MDM, payload type com.anthropic.claudecode),
windows (a .reg file for HKLM\SOFTWARE\Policies\ClaudeCode). The output is
validated against the schema of what Claude Code accepts, and written
atomically: nothing is half-written on error. See docs/settings.md.`,
		Example: `  warden compile --tier production-adjacent --out dist/claude-code
  warden compile --policy policy.yaml --tier ci --out dist/ci --fragments \
      --hook-command /usr/local/bin/warden-hook --server https://warden.acme.example --token-env WARDEN_INGEST_TOKEN
  warden compile --policy policy.yaml --tier regulated --format macos --out dist/macos`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return withCode(ExitUsage, errors.New("--out DIR is required"))
			}
			fm := settings.Format(format)
			if !slices.Contains(settings.Formats, fm) {
				return withCode(ExitUsage, fmt.Errorf("--format %q: want linux, macos or windows", format))
			}
			f.policyPath = settings.ManagedPath(fm, policy.CompiledFileName)
			r, err := f.compile(env)
			if err != nil {
				return err
			}
			if strict {
				if n := r.Report.Count(settings.KindHookOnly); n > 0 {
					fmt.Fprint(env.Stdout, r.Report.Text())
					return withCode(ExitFailure, fmt.Errorf("--strict: %d rules can be enforced by the hook only; nothing written", n))
				}
			}
			files, err := r.Files(fm, f.fragments)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			report := r.Report.Text()
			files = append(files, settings.File{Path: settings.ReportFile, Data: []byte(report), Mode: 0o644})
			if err := settings.Write(out, files); err != nil {
				return withCode(ExitFailure, err)
			}
			var names []string
			for _, file := range files {
				names = append(names, filepath.Join(out, filepath.FromSlash(file.Path)))
			}
			fmt.Fprintf(env.Stdout, "Wrote %s\n\n%s", strings.Join(names, "\n      "), report)
			if f.tokenEnv != "" || f.tokenFile != "" {
				fmt.Fprintf(env.Stderr, "note: the token from %s is in %s only (not in the settings' env): deploy it beside the managed settings; it is readable by the users of the machines it reaches\n", f.tokenSource(), filepath.Join(out, clientstate.ClientConfigName))
			}
			return nil
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&out, "out", "", "output directory (required)")
	fl.StringVar(&format, "format", string(settings.FormatLinux), "delivery format: linux, macos or windows")
	fl.BoolVar(&strict, "strict", false, "fail when any rule can be enforced by the hook only")
	return cmd
}
