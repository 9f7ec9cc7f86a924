package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/atomicfile"
	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/policy"
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
  warden install --root build/rootfs --tier ci --fragments --hook-command /usr/local/bin/warden-hook
  warden install --user --tier low-risk
  sudo warden install --tier ci --server https://warden.acme.example --token-file /root/warden-ingest.token`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cf.hookCommand == "" {
				hookExe, err := siblingHook()
				if err != nil {
					return withCode(ExitFailure, err)
				}
				cf.hookCommand = hookExe
			}
			if err := checkHookPath(cf.hookCommand); err != nil {
				return withCode(ExitUsage, err)
			}
			if f.user && cf.fragments {
				return withCode(ExitUsage, fmt.Errorf("--fragments is for managed settings; --user merges one settings.json"))
			}
			// The compiled policy is installed with the settings, so the
			// hooks read it from the directory installed into (--root is
			// only where that directory is built).
			opts := f.options(env)
			dir := opts.Dir
			if dir == "" {
				dir = settings.DefaultDir()
			}
			cf.policyPath = filepath.Join(dir, policy.CompiledFileName)
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
			plan, err := settings.Install(r, files, opts)
			if plan != nil {
				printPlan(env.Stdout, plan, f.dryRun)
			}
			if err != nil {
				return withCode(ExitFailure, err)
			}
			if f.user && r.ClientConfig != nil {
				// User settings have no directory of their own for the
				// client configuration: it goes to the user's Warden state
				// directory, readable by the user alone.
				if err := installUserClientConfig(env, f, r.ClientConfig); err != nil {
					return withCode(ExitFailure, err)
				}
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

// installUserClientConfig writes the client configuration (server URL and
// token) to the user's Warden state directory, mode 0600, where the hook,
// its shipper and warden otel-headers find it.
func installUserClientConfig(env *Env, f installFlags, data []byte) error {
	dir := clientstate.Dir(env.Getenv, homeDir(env))
	if dir == "" {
		return fmt.Errorf("no Warden state directory for %s (set $HOME or $XDG_STATE_HOME)", clientstate.ClientConfigName)
	}
	path := filepath.Join(f.root, dir, clientstate.ClientConfigName)
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		fmt.Fprintf(env.Stdout, "unchanged %s\n", path)
		return nil
	}
	if f.dryRun {
		fmt.Fprintf(env.Stdout, "would write %s (mode 0600; the server URL and token)\n", path)
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s (mode 0600)\n", path)
	return nil
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

// siblingHook is the warden-hook executable beside this warden, which the
// installed hooks run: the hook-only binary starts faster on every call.
func siblingHook() (string, error) {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return "", fmt.Errorf("find this warden executable: %w (set --hook-command to the warden-hook binary)", err)
	}
	hookExe := filepath.Join(filepath.Dir(exe), "warden-hook")
	if fi, err := os.Stat(hookExe); err != nil || fi.IsDir() {
		return "", fmt.Errorf("no warden-hook beside %s: install both binaries (make build, or go install github.com/wardenhq/warden/cmd/warden-hook@latest next to warden), or set --hook-command", exe)
	}
	return hookExe, nil
}

// checkHookPath refuses a hook executable that will not be there when
// Claude Code runs it: one in the Go build cache (go run ./cmd/warden
// install) or a temporary directory. Claude Code runs every tool unchecked
// when the hook command is missing.
func checkHookPath(cmd string) error {
	if !filepath.IsAbs(cmd) {
		return nil // found on PATH where Claude Code runs
	}
	dirs := []string{os.TempDir(), "/tmp", "/var/tmp"}
	if cache, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, filepath.Join(cache, "go-build"))
	}
	if gocache := os.Getenv("GOCACHE"); gocache != "" {
		dirs = append(dirs, gocache)
	}
	for _, d := range dirs {
		if rel, err := filepath.Rel(d, cmd); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return fmt.Errorf("the hook command %s is in %s, which is cleaned or temporary: when it disappears Claude Code runs every tool unchecked; build the binaries into a lasting place (make build puts them in bin/) and run that warden install, or set --hook-command", cmd, d)
		}
	}
	if strings.Contains(cmd, string(filepath.Separator)+"go-build") {
		return fmt.Errorf("the hook command %s is in the Go build cache (go run?): when it is cleaned Claude Code runs every tool unchecked; build the binaries (make build) and run bin/warden install, or set --hook-command", cmd)
	}
	return nil
}
