package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/doctor"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/settings"
)

func newDoctorCmd(env *Env) *cobra.Command {
	cf := &compileFlags{hookCommandDefault: "the executable the installed hooks run, else the warden-hook beside this warden"}
	var (
		root, dir, claude, project, spool string
		asJSON, verbose                   bool
		clientTimeout                     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "doctor [flags]",
		Short: "Check that Warden's hooks are installed, current, wired into Claude Code and firing",
		Long: `Doctor checks this machine and prints one line per check with its
evidence and, when it does not pass, the fix:

  managed-settings  the managed settings are installed by warden install and
                    equal what the policy compiles to for the tier (the
                    tier defaults to the installed one; drift is shown as
                    a diff)
  hook-commands     every managed hook command exists, is executable and,
                    run as Claude Code runs it (sh -c, the event on stdin,
                    its timeout), denies a synthetic secret read, leaves
                    ls alone and refuses garbage input (fail-closed)
  hook-settings     no settings file sets disableAllHooks, and
                    allowManagedHooksOnly does not drop the only hooks
  client-hooks      the real claude client, run headless against a
                    loopback model stand-in, has a hook refuse a scripted
                    cat .env (skipped without a claude executable)
  enrollment        the device is enrolled (a device id in the client
                    configuration)
  server            the configured server answers GET /healthz
  spool             the audit spool drains (backlog, drops, last error)
  policy-cache      the policy cached from the server is fresh

Canary inputs and the client probe run in a temporary project, with the
audit spool redirected and shipping off: they do not reach the audit.

Exit status: 0 when no check fails (warnings and skips included), 1 when a
check fails, 2 on usage errors. --json prints the report for fleet tooling.
See docs/doctor.md.`,
		Example: `  warden doctor
  warden doctor --policy /etc/warden/policy.yaml --tier production-adjacent
  warden doctor --json --claude off
  warden doctor --root build/rootfs --tier ci --claude off`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			home := homeDir(env)
			if project == "" {
				wd, err := os.Getwd()
				if err != nil {
					return withCode(ExitUsage, fmt.Errorf("current directory: %w (give --project)", err))
				}
				project = wd
			}
			cfg := doctor.Config{
				Root: root, Dir: dir, Tier: cf.tier,
				Home: home, Project: project, Getenv: env.Getenv,
				ClientTimeout: clientTimeout, Spool: spool,
			}
			installed := dir
			if installed == "" {
				installed = settings.DefaultDir()
			}
			if root != "" {
				installed = filepath.Join(root, installed)
			}
			manifest := doctor.ReadManifest(installed)
			if cf.tier == "" && manifest != nil {
				cf.tier = manifest.Tier
				cfg.Tier = manifest.Tier
			}
			exp, err := expectedSettings(env, cf, installed, manifest, dir)
			if err != nil {
				return err
			}
			cfg.Expected = exp
			switch claude {
			case "off":
				cfg.ClaudeWhy = "--claude off"
			case "":
				p, err := exec.LookPath("claude")
				if err != nil {
					cfg.ClaudeWhy = "no claude executable on PATH (give --claude PATH)"
				} else {
					cfg.Claude = p
				}
			default:
				if fi, err := os.Stat(claude); err != nil || fi.IsDir() {
					return withCode(ExitUsage, fmt.Errorf("--claude %s: not an executable file", claude))
				}
				cfg.Claude = claude
			}
			rep := doctor.Run(cmd.Context(), cfg)
			if asJSON {
				err = rep.WriteJSON(env.Stdout)
			} else {
				err = rep.WriteText(env.Stdout, verbose)
			}
			if err != nil {
				return withCode(ExitFailure, err)
			}
			if !rep.Healthy {
				return withCode(ExitFailure, nil)
			}
			return nil
		},
	}
	cf.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&root, "root", "", "prefix every path with DIR (tests, image builds)")
	fl.StringVar(&dir, "dir", "", "managed-settings directory to check (default: "+settings.DefaultDir()+")")
	fl.StringVar(&claude, "claude", "", `claude executable for the client check (default: claude on PATH; "off" skips the check)`)
	fl.DurationVar(&clientTimeout, "client-timeout", 3*time.Minute, "how long the client check may take")
	fl.StringVar(&project, "project", "", "project whose .claude/ settings are checked (default: the current directory)")
	fl.StringVar(&spool, "spool", "", "audit spool file (default $WARDEN_SPOOL, else ~/.local/state/warden/audit.jsonl)")
	fl.BoolVar(&asJSON, "json", false, "print the report as JSON")
	fl.BoolVarP(&verbose, "verbose", "v", false, "print each check's details (canary answers, client output), not only for failures")
	return cmd
}

// expectedSettings compiles what warden install would install in the
// directory installed. Flags that only install knows (the hook command,
// the server and its token) default to what is installed: the hook
// command from the installed hooks, and the installed client
// configuration is compared only when --server is given.
func expectedSettings(env *Env, cf *compileFlags, installed string, m *settings.Manifest, dir string) (*doctor.Expected, error) {
	if cf.hookCommand == "" {
		cf.hookCommand = doctor.InstalledHookExecutable(installed)
	}
	if cf.hookCommand == "" {
		if exe, err := siblingHook(); err == nil {
			cf.hookCommand = exe
		} else {
			cf.hookCommand = settings.DefaultHookCommand
		}
	}
	pdir := dir
	if pdir == "" {
		pdir = settings.DefaultDir()
	}
	cf.policyPath = filepath.Join(pdir, policy.CompiledFileName)
	r, err := cf.compile(env)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) && ee.code == ExitUsage {
			return nil, err
		}
		return &doctor.Expected{Err: err}, nil
	}
	files, err := r.Files(settings.FormatLinux, cf.fragments || doctor.HasFragments(installed))
	if err != nil {
		return &doctor.Expected{Err: err}, nil
	}
	if cf.server == "" && m != nil {
		// The client configuration holds the machine's token: without
		// --server it is kept as installed, not compared.
		for _, f := range m.Files {
			if f.Path != clientstate.ClientConfigName {
				continue
			}
			if b, err := os.ReadFile(filepath.Join(installed, f.Path)); err == nil {
				files = append(files, settings.File{Path: f.Path, Data: b, Mode: 0o644})
			}
		}
	}
	return &doctor.Expected{Result: r, Files: files}, nil
}
