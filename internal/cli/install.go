package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/settings"
)

// installFlags are the flags install and uninstall share.
type installFlags struct {
	user, dryRun, force bool
	root, dir           string
}

func (f *installFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.user, "user", false, "the user's ~/.claude/settings.json (merged) instead of the managed settings")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print what would change, with diffs, and change nothing")
	fl.BoolVar(&f.force, "force", false, "replace files Warden did not write (or that changed since), keeping a backup")
	fl.StringVar(&f.root, "root", "", "prefix every path with DIR (tests, image builds)")
	fl.StringVar(&f.dir, "dir", "", "directory to install into (default: "+settings.DefaultDir()+"; with --user, ~/.claude)")
}

func (f *installFlags) options(env *Env) settings.InstallOptions {
	o := settings.InstallOptions{Root: f.root, Dir: f.dir, User: f.user, Force: f.force, DryRun: f.dryRun}
	if o.User && o.Dir == "" {
		o.Dir = filepath.Join(homeDir(env), ".claude")
	}
	return o
}

// printPlan prints what an install or uninstall did (or would do).
func printPlan(w io.Writer, plan *settings.Plan, dryRun bool) {
	verb := map[string]string{"create": "created", "replace": "replaced", "remove": "removed", "restore": "restored", "keep": "unchanged"}
	if dryRun {
		verb = map[string]string{"create": "would create", "replace": "would replace", "remove": "would remove", "restore": "would restore", "keep": "unchanged"}
	}
	for _, n := range plan.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	for _, c := range plan.Changes {
		fmt.Fprintf(w, "%s %s", verb[c.Op], c.Path)
		if c.Backup != "" {
			fmt.Fprintf(w, " (previous content kept in %s)", c.Backup)
		}
		fmt.Fprintln(w)
		if dryRun && c.Diff != "" {
			fmt.Fprint(w, c.Diff)
		}
	}
	if !plan.Changed() && len(plan.Changes) > 0 {
		fmt.Fprintf(w, "%s is up to date\n", plan.Dir)
	}
}

func newInstallCmd(env *Env) *cobra.Command {
	cf := &compileFlags{hookCommandDefault: "the path of this warden executable"}
	var f installFlags
	cmd := &cobra.Command{
		Use:   "install [flags]",
		Short: "Compile a policy tier and install it where Claude Code reads managed settings",
		Long: `Install compiles a tier (as warden compile does) and puts the files where
Claude Code reads them: the managed-settings directory by default
(` + settings.DefaultDir() + ` here), or, with --user, merged into the user's
~/.claude/settings.json (user settings can be changed by the user: use managed
settings to enforce).

Install never overwrites or removes a file it did not write: it records what
it wrote, with hashes, in ` + settings.ManifestName + ` beside the files, and refuses to
touch anything else (or anything changed since) unless --force, which first
keeps a copy in ` + settings.BackupDirName + `/. Installing the same policy again
changes nothing. warden uninstall removes what install wrote and restores the
backups. --dry-run prints the diff and changes nothing. --root prefixes every
path, for tests and image builds. See docs/settings.md.`,
		Example: `  sudo warden install --policy /etc/warden/policy.yaml --tier production-adjacent
  sudo warden install --tier ci --dry-run
  warden install --root build/rootfs --tier ci --fragments --hook-command /usr/local/bin/warden
  warden install --user --tier low-risk`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cf.hookCommand == "" {
				exe, err := os.Executable()
				if err == nil {
					exe, err = filepath.EvalSymlinks(exe)
				}
				if err != nil {
					return withCode(ExitFailure, fmt.Errorf("find this warden executable for the hooks: %w (set --hook-command)", err))
				}
				cf.hookCommand = exe
			}
			if f.user && cf.fragments {
				return withCode(ExitUsage, fmt.Errorf("--fragments is for managed settings; --user merges one settings.json"))
			}
			r, err := cf.compile(env)
			if err != nil {
				return err
			}
			var files []settings.File
			if !f.user {
				if files, err = r.Files(settings.FormatLinux, cf.fragments); err != nil {
					return withCode(ExitFailure, err)
				}
			}
			plan, err := settings.Install(r, files, f.options(env))
			if plan != nil {
				printPlan(env.Stdout, plan, f.dryRun)
			}
			if err != nil {
				return withCode(ExitFailure, err)
			}
			if n := r.Report.Count(settings.KindHookOnly); n > 0 && !f.dryRun {
				fmt.Fprintf(env.Stdout, "%d rules are enforced by the hook only; see warden compile for the report\n", n)
			}
			return nil
		},
	}
	cf.register(cmd)
	f.register(cmd)
	return cmd
}

func newUninstallCmd(env *Env) *cobra.Command {
	var f installFlags
	cmd := &cobra.Command{
		Use:   "uninstall [flags]",
		Short: "Remove what warden install wrote and restore what it replaced",
		Long: `Uninstall removes the files warden install recorded in its manifest and
restores the backups of the files it replaced. Files changed since Warden
wrote them are refused unless --force. With nothing installed it does
nothing.`,
		Example: `  sudo warden uninstall
  warden uninstall --user
  warden uninstall --root build/rootfs --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			plan, err := settings.Uninstall(f.options(env))
			if plan != nil {
				printPlan(env.Stdout, plan, f.dryRun)
			}
			if err != nil {
				return withCode(ExitFailure, err)
			}
			return nil
		},
	}
	f.register(cmd)
	return cmd
}
