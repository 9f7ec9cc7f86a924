package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan"
	"github.com/wardenhq/warden/internal/settings"
)

// scanProbe lets tests replace what warden scan reads from the machine.
var scanProbe = func() scan.Probe { return scan.Probe{} }

func newScanCmd(env *Env) *cobra.Command {
	var (
		policyFlag, tier, format, failOn, minVersion string
		machine, container, checklist, report        bool
		managedDir, hookCommand, server, root, token string
	)
	cmd := &cobra.Command{
		Use:   "scan [DIR] [flags]",
		Short: "Check a repository and this machine against the policy and the seeds' checklists",
		Long: `Scan checks a repository's Claude Code configuration, and with --machine this
machine, against a Warden policy (the built-in baseline unless --policy).

Repository checks (DIR, default the git repository of the current directory):
  .claude/settings.json and settings.local.json: broad allow rules (Bash(*),
  Bash(npm *), any program the catalogue knows to run code, mcp__*), a
  permissive defaultMode for the repository's tier, repository hooks;
  .mcp.json servers outside the policy's MCP catalogue and unpinned npx
  servers; secret files tracked by git (judged by the hook's own path rules);
  CI workflows that run claude with permissions bypassed or outside the ci
  tier; .gitattributes filter/diff/merge drivers and committed git hooks.

Machine checks (--machine): managed settings installed and equal to what
warden compile produces for the tier (a diff when not), bypass mode disabled
where the tier says so, telemetry on, Claude Code running as root,
credential files in a container meant to be isolated (--container, or
detected), and Claude Code older than --min-version. With --machine and no
DIR, only the machine is scanned.

--checklist adds seed 003's quick checklist and seed 004's scorecard, each
item pass, fail or unknown with its evidence; what a local scan cannot see
(the server, the SIEM, the identity provider) is unknown, never a pass.

The tier is the policy's choice for the repository (its repositories list,
by path or origin remote), the installed manifest's for a machine-only
scan, or --tier. Output is text, json or sarif (SARIF 2.1.0 for code
scanning). Exit codes: 0 when no finding is at or above --fail-on (default
high; none never fails), 1 when one is, 2 on usage errors. See docs/scan.md.

--report sends the results to a Warden server (POST /api/v1/scans), where
the console's devices page shows the fleet's posture. It reports to
--server, else $WARDEN_SERVER, else the server this machine is enrolled or
configured with, using the credential of 'warden enroll' (sent only to the
server it was enrolled with), else --token or $WARDEN_TOKEN (a token with
ingest scope; such a report shows as unverified). A report that cannot be
sent exits 1 after the output is written.`,
		Example: `  warden scan                                   # the current repository, baseline policy
  warden scan --policy policy.yaml ../api --format sarif > warden.sarif
  warden scan --fail-on medium                  # CI gate: fail on medium or worse
  sudo warden scan --machine --checklist        # this machine, with the seeds' checklist
  warden scan --machine --container             # a container meant to be isolated
  warden scan --machine --root build/rootfs     # an image's file system before it ships
  warden scan --machine --report                # send this machine's posture to the server`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(scan.Formats, format) {
				return withCode(ExitUsage, fmt.Errorf("--format %q: want %s", format, strings.Join(scan.Formats, ", ")))
			}
			var threshold scan.Severity
			never := failOn == "none"
			if !never {
				s, err := scan.ParseSeverity(failOn)
				if err != nil {
					return withCode(ExitUsage, fmt.Errorf("--fail-on: %w (or none)", err))
				}
				threshold = s
			}
			p, err := loadPolicy(env, policyFlag)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if tier != "" && !slices.Contains(p.TierNames(), tier) {
				return withCode(ExitUsage, fmt.Errorf("--tier %q: the policy has tiers %s", tier, strings.Join(p.TierNames(), ", ")))
			}
			var target reportTarget
			if report {
				if target, err = resolveReportTarget(env, server, token); err != nil {
					return withCode(ExitUsage, err)
				}
			} else if token != "" {
				return withCode(ExitUsage, errors.New("--token is for --report"))
			}
			repo := ""
			switch {
			case len(args) == 1:
				repo = args[0]
			case !machine:
				repo, err = currentRepo(cmd.Context())
				if err != nil {
					return withCode(ExitUsage, err)
				}
			}
			probe := scanProbe()
			probe.Root = root
			if root != "" {
				// Another file system: the user running this scan is not
				// the one its Claude Code will run as.
				probe.UID = func() int { return -1 }
			}
			probe.Getenv = env.Getenv
			dir := managedDir
			if dir == "" {
				dir = settings.DefaultDir()
			}
			opts := scan.Options{
				Repo: repo, Machine: machine, Container: container, Checklist: checklist,
				Policy: p, Tier: tier, MinVersion: minVersion, ManagedDir: dir, Home: homeDir(env),
				Version: Version, Probe: probe,
				Expected: func(t string, installed map[string]any) (map[string]any, error) {
					hc, srv := scan.InstalledBinding(installed)
					if hookCommand != "" {
						hc = hookCommand
					}
					if server != "" {
						srv = server
					}
					o := settings.Options{Tier: t, HookCommand: hc, Server: srv}
					if p.File != policy.BaselineFile {
						o.HookPolicy = filepath.Join(dir, policy.CompiledFileName)
					}
					r, err := settings.Compile(p, o)
					if err != nil {
						return nil, err
					}
					return r.Settings, nil
				},
			}
			rep, err := scan.Run(cmd.Context(), opts)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if err := scan.Write(env.Stdout, rep, format); err != nil {
				return withCode(ExitFailure, fmt.Errorf("write report: %w", err))
			}
			if report {
				if err := sendReport(cmd.Context(), env.Stderr, target, rep); err != nil {
					return withCode(ExitFailure, err)
				}
			}
			if !never && rep.AtLeast(threshold) {
				return withCode(ExitFailure, nil)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&policyFlag, "policy", "", `policy file, or "baseline" (default $WARDEN_POLICY, else the baseline)`)
	fl.StringVar(&tier, "tier", "", "judge against this tier (default: the policy's tier for the repository, or the installed one)")
	fl.StringVar(&format, "format", "text", "output format: text, json or sarif")
	fl.StringVar(&failOn, "fail-on", "high", "exit 1 when a finding at or above this severity exists: critical, high, medium, low, info, or none")
	fl.BoolVar(&machine, "machine", false, "check this machine: managed settings, bypass lockdown, telemetry, root, container credentials, Claude Code version")
	fl.BoolVar(&container, "container", false, "treat this machine as a container meant to be isolated (also detected from /.dockerenv and /run/.containerenv)")
	fl.BoolVar(&checklist, "checklist", false, "add seed 003's quick checklist and seed 004's scorecard, each item pass, fail or unknown")
	fl.StringVar(&minVersion, "min-version", scan.DefaultMinVersion, "oldest acceptable Claude Code version")
	fl.StringVar(&managedDir, "managed-dir", "", "managed-settings directory (default "+settings.DefaultDir()+")")
	fl.StringVar(&hookCommand, "hook-command", "", "the hook executable the settings were compiled with (default: read from the installed settings)")
	fl.StringVar(&server, "server", "", "the Warden server: the one the settings were compiled with (default: read from the installed settings) and where --report sends (default $WARDEN_SERVER, else the enrolled one)")
	fl.BoolVar(&report, "report", false, "send the results to the Warden server, for the console's devices page")
	fl.StringVar(&token, "token", "", "with --report: a token with ingest scope, used instead of the enrolled device's credential (default $WARDEN_TOKEN when not enrolled)")
	fl.StringVar(&root, "root", "", "prefix for every machine path (an image's root file system)")
	return cmd
}

// currentRepo is the root of the git repository of the working directory,
// or the working directory when it is not in one.
func currentRepo(ctx context.Context) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	out, err := exec.CommandContext(ctx, "git", "-c", "core.fsmonitor=false", "-C", wd, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) || errors.Is(err, exec.ErrNotFound) {
			return wd, nil
		}
		return "", fmt.Errorf("git rev-parse: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
