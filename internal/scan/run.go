package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/policy"
)

// DefaultMinVersion is the oldest Claude Code a scan accepts by default: the
// version Warden's protocol facts were observed on (shared/spec/claude-code.md).
const DefaultMinVersion = "2.1.330"

// Process is one running process, as the machine checks see it.
type Process struct {
	PID  int
	UID  int
	Name string // the executable's base name (comm)
	Args []string
}

// Probe is everything a scan reads from outside the repository: tests
// replace each part.
type Probe struct {
	// Root prefixes every machine path (managed settings, /.dockerenv,
	// home credential files); "" is the real root.
	Root string
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
	// Run runs a program and returns its standard output (exec when nil).
	// The scanner runs only git and claude --version.
	Run func(ctx context.Context, dir, name string, args ...string) ([]byte, error)
	// UID is the current user id (os.Getuid when nil); -1 when it says
	// nothing about who runs Claude Code (scanning an image's root).
	UID func() int
	// Processes lists running processes (from /proc under Root when nil).
	Processes func() ([]Process, error)
}

// Options configure a scan.
type Options struct {
	// Repo is the repository directory to scan; "" scans no repository.
	Repo string
	// Machine runs the machine checks.
	Machine bool
	// Container treats the machine as a container meant to be isolated;
	// it is also detected (/.dockerenv, /run/.containerenv).
	Container bool
	// Checklist adds the seeds' checklist and scorecard to the report.
	Checklist bool
	// Policy is what the scan judges against (policy.Baseline() when nil).
	Policy *policy.Policy
	// Tier overrides the tier: for a repository, Policy.TierFor of its
	// path and origin; for the machine, the installed manifest's tier,
	// else the policy's default.
	Tier string
	// MinVersion is the oldest acceptable Claude Code (DefaultMinVersion when "").
	MinVersion string
	// ManagedDir is where managed settings are read (settings.DefaultDir()
	// when ""), under Probe.Root.
	ManagedDir string
	// Expected compiles the managed settings this machine should have for
	// a tier, as warden compile would, given the installed ones (whose
	// hook command and server the caller may reuse: see InstalledBinding);
	// nil skips the drift check (reported in the checklist as unknown).
	Expected func(tier string, installed map[string]any) (map[string]any, error)
	// Home is the user's home directory ($HOME when "").
	Home string
	// Version is Warden's version, for the report.
	Version string
	Probe   Probe
}

// scanCtx is the state one scan shares between its checks.
type scanCtx struct {
	ctx    context.Context
	opts   Options
	probe  Probe
	pol    *policy.Policy
	rs     *policy.Ruleset
	tier   string
	repo   string // absolute repository root, "" when none
	origin string // the repository's origin remote, "" when none
	home   string

	findings []Finding
	errs     []string

	// machine state gathered by checkManaged, for the checklist
	managed      *managedState
	clientVer    string
	container    bool
	containerWhy string

	// repository state, for the checklist
	settingsSeen  []string
	settingsCache *[]jsonDoc
	tracked       []string
	trackedOK     *bool
	mcpSeen       bool
	workflows     int
	eng           *engine.Engine
}

// add records a finding of the running check, at its default severity
// unless sev is given.
func (c *scanCtx) add(id string, f Finding) {
	f.RuleID = id
	c.findings = append(c.findings, f)
}

func (c *scanCtx) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

// machinePath is p under the probe's root.
func (c *scanCtx) machinePath(p string) string {
	if c.probe.Root == "" {
		return p
	}
	return filepath.Join(c.probe.Root, filepath.FromSlash(p))
}

// Run scans what opts say and returns the report, findings sorted by file
// and position. An error means the scan could not be set up (no policy
// tier, a repository that is not a directory); problems found in files are
// findings, and checks that could not run are listed in Report.Errors.
func Run(ctx context.Context, opts Options) (*Report, error) {
	pr := opts.Probe
	if pr.Getenv == nil {
		pr.Getenv = os.Getenv
	}
	if pr.Run == nil {
		pr.Run = execRun
	}
	if pr.UID == nil {
		pr.UID = os.Getuid
	}
	if pr.Processes == nil {
		root := pr.Root
		pr.Processes = func() ([]Process, error) { return procProcesses(root) }
	}
	if opts.Policy == nil {
		opts.Policy = policy.Baseline()
	}
	if opts.MinVersion == "" {
		opts.MinVersion = DefaultMinVersion
	}
	if _, err := parseVersion(opts.MinVersion); err != nil {
		return nil, fmt.Errorf("minimum version %q: %w", opts.MinVersion, err)
	}
	c := &scanCtx{ctx: ctx, opts: opts, probe: pr, pol: opts.Policy}
	c.home = opts.Home
	if c.home == "" {
		c.home = pr.Getenv("HOME")
	}
	if opts.Repo == "" && !opts.Machine {
		return nil, errors.New("nothing to scan: give a repository or the machine")
	}
	if opts.Repo != "" {
		abs, err := filepath.Abs(opts.Repo)
		if err != nil {
			return nil, fmt.Errorf("repository %s: %w", opts.Repo, err)
		}
		st, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("repository %s: %w", opts.Repo, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("repository %s: not a directory", opts.Repo)
		}
		c.repo = abs
	}
	c.tier = opts.Tier
	if c.repo != "" {
		c.origin = c.gitOrigin()
	}
	if c.tier == "" && c.repo != "" {
		c.tier = c.pol.TierFor(filepath.ToSlash(c.repo), c.origin)
	}
	if c.tier == "" && opts.Machine {
		c.tier = c.installedTier()
	}
	if c.tier == "" {
		c.tier = c.pol.DefaultTier
	}
	rs, err := c.pol.Ruleset(c.tier)
	if err != nil {
		return nil, fmt.Errorf("tier %s: %w", c.tier, err)
	}
	c.rs = rs

	for i := range checks {
		ch := &checks[i]
		if ch.run == nil {
			continue
		}
		if ch.Scope == ScopeRepo && c.repo == "" || ch.Scope == ScopeMachine && !opts.Machine {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ch.run(c)
	}
	sortFindings(c.findings)
	rep := &Report{
		Tool: "warden", Version: opts.Version, Repo: c.repo, Policy: c.pol.Name, Revision: c.pol.Revision,
		Tier: c.tier, Machine: opts.Machine, Findings: c.findings, Errors: c.errs,
	}
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	if opts.Checklist {
		rep.Checklist = c.checklist()
	}
	return rep, nil
}

// readRepoFile reads a file of the repository, refusing anything that is not
// a regular file inside it (a symlink, a file under a symlinked directory
// that leads out, a FIFO) or is too large. A missing file is (nil, nil).
func (c *scanCtx) readRepoFile(rel string) ([]byte, error) {
	p := filepath.Join(c.repo, filepath.FromSlash(rel))
	st, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		root, rerr := filepath.EvalSymlinks(c.repo)
		if rerr != nil {
			root = c.repo
		}
		if r, err := filepath.Rel(root, real); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return nil, fmt.Errorf("%s: leads out of the repository (to %s); not read", rel, real)
		}
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", rel, st.Mode().Type())
	}
	if st.Size() > maxConfigSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", rel, maxConfigSize)
	}
	return os.ReadFile(p)
}

// gitOrigin is the repository's origin remote URL, "" when none.
func (c *scanCtx) gitOrigin() string {
	out, err := c.git("config", "--get", "remote.origin.url")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// lineCol finds text in line (1-based) of data and returns its column,
// or 1 when it is not there.
func lineCol(data []byte, line int, text string) int {
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) {
		return 1
	}
	if i := strings.Index(lines[line-1], text); i >= 0 {
		return i + 1
	}
	return 1
}

// gitSafe are options every git the scanner runs gets: a scanned directory
// may come with its own .git/config, and nothing in it may start a
// program (an fsmonitor command runs on index refreshes).
var gitSafe = []string{"-c", "core.fsmonitor=false"}

// git runs git in the repository with gitSafe.
func (c *scanCtx) git(args ...string) ([]byte, error) {
	return c.probe.Run(c.ctx, c.repo, "git", append(slices.Clone(gitSafe), args...)...)
}
