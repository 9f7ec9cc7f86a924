// Package engine decides deny / ask / allow for one action of a coding agent
// from a resolved policy Ruleset, and explains why.
//
// It is pure decision logic: it imports only policy, catalog and shell,
// and touches the file system only through the FS interface (to follow
// symlinks, expand globs where files exist, and read the scripts,
// package.json scripts and Makefile, just and Task recipes a command runs).
// It knows nothing of HTTP, storage or the hook protocol.
package engine

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wardenhq/warden/internal/catalog"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
	"github.com/wardenhq/warden/internal/yamltree"
)

// FS is the engine's read-only view of the file system.
type FS interface {
	Lstat(name string) (fs.FileInfo, error)
	EvalSymlinks(path string) (string, error)
	ReadDir(name string) ([]fs.DirEntry, error)
	Glob(pattern string) ([]string, error)
	// ReadFile returns the content of the regular file name, following
	// symlinks, reading at most max bytes. A larger file yields its first
	// max bytes and an error wrapping ErrFileTooLarge; anything but a
	// regular file (a directory, FIFO or device) is an error, never a wait.
	ReadFile(name string, max int64) ([]byte, error)
}

// ErrFileTooLarge is returned (wrapped) by FS.ReadFile for a file larger
// than the bound it was given.
var ErrFileTooLarge = errors.New("file larger than the bound")

// errNotRegular is returned by OSFS.ReadFile for what is not a regular file.
var errNotRegular = errors.New("not a regular file")

// OSFS is the real file system.
type OSFS struct{}

func (OSFS) Lstat(name string) (fs.FileInfo, error)     { return os.Lstat(name) }
func (OSFS) EvalSymlinks(p string) (string, error)      { return filepath.EvalSymlinks(p) }
func (OSFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }
func (OSFS) Glob(pattern string) ([]string, error)      { return filepath.Glob(pattern) }

// ReadFile opens name without blocking (a FIFO would otherwise stall the
// hook until a writer came) and reads at most max bytes of it.
func (OSFS) ReadFile(name string, max int64) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read %s: %w", name, errNotRegular)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return data[:max], fmt.Errorf("read %s: %w (%d bytes)", name, ErrFileTooLarge, max)
	}
	return data, nil
}

// NoFS is a file system with nothing in it, for deterministic tests and
// for deciding about machines other than this one.
type NoFS struct{}

func (NoFS) Lstat(name string) (fs.FileInfo, error)     { return nil, fs.ErrNotExist }
func (NoFS) EvalSymlinks(p string) (string, error)      { return "", fs.ErrNotExist }
func (NoFS) ReadDir(name string) ([]fs.DirEntry, error) { return nil, fs.ErrNotExist }
func (NoFS) Glob(pattern string) ([]string, error)      { return nil, nil }
func (NoFS) ReadFile(string, int64) ([]byte, error)     { return nil, fs.ErrNotExist }

// Options are an Engine's dependencies.
type Options struct {
	FS  FS               // default OSFS
	Now func() time.Time // default time.Now; decides exception expiry
	// Trace records the evidence of each decision (warden explain, warden
	// test). The hook leaves it off: it needs only the reason.
	Trace bool
	// Conditions evaluates the policy's CEL conditions
	// (condition.NewEvaluator). Nil, as in the hook-only binary, makes a
	// condition that applies fail closed: that binary hands such calls to
	// warden before deciding.
	Conditions Conditions
	// YAML parses the first document of a YAML file (yamlfile.First), for
	// the Taskfiles and pnpm workspaces a command runs. Nil, as in the
	// hook-only binary, which does not link a YAML parser: a decision
	// that needs one asks, and says so in Decision.Lacks, for that binary
	// to hand the call to warden.
	YAML func([]byte) (*yamltree.Node, error)
}

// LacksYAML is Decision.Lacks when the engine had no YAML parser for a
// file the call runs.
const LacksYAML = "yaml"

// Conditions evaluates the conditions of the engine's Ruleset by index.
type Conditions interface {
	Eval(i int, a *policy.CELAction) (bool, error)
}

// Engine decides actions under one Ruleset. It is safe for concurrent use.
type Engine struct {
	rs  *policy.Ruleset
	fs  FS
	now func() time.Time
	// paths and catalog are built on first use: every hook call is a new
	// process, and the calls that decide nothing (PostToolUse, SessionStart,
	// ...) or touch no path should not pay for them.
	paths   func() *pathMatcher
	catalog func() *catalog.Catalog
	conds   Conditions
	yaml    func([]byte) (*yamltree.Node, error)
	trace   bool
	// fixed and fixedN cache fixedInstances per home directory.
	fixed  sync.Map
	fixedN atomic.Int32
}

// New returns an Engine for rs.
func New(rs *policy.Ruleset, opts Options) *Engine {
	if opts.FS == nil {
		opts.FS = OSFS{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	// The policy's members with grammar are rows over the built-in
	// catalogue, built once, on first use, for every decision.
	return &Engine{rs: rs, fs: opts.FS, now: opts.Now, conds: opts.Conditions, yaml: opts.YAML, trace: opts.Trace,
		paths:   sync.OnceValue(func() *pathMatcher { return newPathMatcher(rs) }),
		catalog: sync.OnceValue(rs.Catalog)}
}

// Ruleset returns the rules the engine decides by.
func (e *Engine) Ruleset() *policy.Ruleset { return e.rs }

// finding is one rule's opinion about (part of) an action.
type finding struct {
	verdict policy.Verdict
	ruleID  string
	reason  string
	// exception is the id of the exception that loosened this finding
	// ("" when none did), for the Decision to name.
	exception string
}

// unit collects the findings about one indivisible part of an action: the
// whole action for most tools, one simple command for Bash.
type unit struct {
	findings []finding
	// fromFile: the command was read from a file the action runs (a
	// script, a package script, a recipe). Silent, it does not revoke an
	// explicit allow of the command that runs the file: the allow rule
	// approved that command, and its files can only make it stricter.
	fromFile bool
}

func (u *unit) add(f finding) {
	u.findings = append(u.findings, f)
}

// strongest returns the unit's decisive finding: deny > ask > allow > none;
// the first written wins among equals.
func (u *unit) strongest() finding {
	var best finding
	for _, f := range u.findings {
		if f.verdict > best.verdict {
			best = f
		}
	}
	return best
}

// decision is the state of one Decide call.
type decision struct {
	e *Engine
	a *Action
	// lacks is what the engine lacked to decide it (Decision.Lacks).
	lacks string
	units []*unit
	trace []Step
	// noGuess turns off the unknown-program guess, in the scratch
	// decisions the guess itself makes.
	noGuess bool
	// vectors are the Via labels of code run through an exec vector (a
	// pager, an editor, a config value, interpreter code): a script file
	// run there is code Warden cannot see.
	vectors map[string]bool
	// secretFeeds are the echo/printf commands whose output a program
	// reads as a secret on standard input (echo $T | gh auth login
	// --with-token): they hand the secret over, they do not print it.
	secretFeeds map[*shell.Command]bool
	// gitAliases are the aliases `git config alias.NAME VALUE` defines
	// earlier in the same call (git config alias.pf 'push -f' && git pf).
	gitAliases map[string]string
	// helpers are the vectors that name a pager, editor or helper program
	// (PAGER, core.editor, GIT_SSH_COMMAND), which never needs a shell.
	helpers map[string]bool
	// links the Bash call creates (ln), followed like the file system's
	links []link
	// files read to decide the code a command runs from files (scriptfiles.go)
	files *fileState
	// touched is Decision.Touched, when the Action asked for it
	touched *Touched
}

func (d *decision) note(kind, format string, args ...any) {
	if !d.e.trace {
		return
	}
	d.trace = append(d.trace, Step{Kind: kind, Detail: fmt.Sprintf(format, args...)})
}

// vector records that commands reached through label are run by an exec vector.
func (d *decision) vector(label string) {
	if d.vectors == nil {
		d.vectors = map[string]bool{}
	}
	d.vectors[label] = true
}

// helperVector records a vector whose value names a helper program.
func (d *decision) helperVector(label string) {
	if d.helpers == nil {
		d.helpers = map[string]bool{}
	}
	d.helpers[label] = true
}

// envVector reports a command run as a pager, editor or helper program.
func (d *decision) envVector(c *shell.Command) bool {
	for _, v := range c.Via {
		if d.helpers[v] {
			return true
		}
	}
	return false
}

// inVector reports a command reached through an exec vector.
func (d *decision) inVector(c *shell.Command) bool {
	for _, v := range c.Via {
		if d.vectors[v] {
			return true
		}
	}
	return false
}

func (d *decision) newUnit() *unit {
	u := &unit{}
	d.units = append(d.units, u)
	return u
}

// match records that a rule matched, after applying any exception, and adds
// it to the unit. The finding carries the exception it was loosened by, so
// the Decision names the exception of the finding that decided.
func (d *decision) match(u *unit, v policy.Verdict, ruleID, reason string) {
	f := finding{verdict: v, ruleID: ruleID, reason: reason}
	if ex := d.e.exceptionFor(ruleID, d.a); ex != nil && ex.Decision < v {
		f.reason = fmt.Sprintf("%s; loosened from %s to %s by exception %q (owner %s, expires %s: %s)",
			reason, v, ex.Decision, ex.ID, ex.Owner, ex.Expires.Format("2006-01-02"), ex.Reason)
		f.verdict = ex.Decision
		f.exception = ex.ID
	}
	if d.e.trace {
		d.trace = append(d.trace, Step{Kind: "rule", Detail: f.reason, Verdict: f.verdict, RuleID: ruleID})
	}
	u.add(f)
}

// Decide returns the policy's decision for a, with its evidence. Across the
// parts of one action (the simple commands of a Bash script) any deny wins,
// then any ask; the action is allowed only when every part is allowed, and
// otherwise the policy has no opinion.
func (e *Engine) Decide(a Action) Decision {
	d := &decision{e: e, a: &a}
	e.dispatch(d)
	return d.result()
}

func (d *decision) result() Decision {
	rs := d.e.rs
	out := Decision{Policy: rs.Policy, PolicyVersion: rs.Revision, Tier: rs.Tier, Trace: d.trace, Touched: d.touched, Lacks: d.lacks}
	var deny, ask *finding
	allowAll := len(d.units) > 0
	for _, u := range d.units {
		f := u.strongest()
		switch f.verdict {
		case policy.Deny:
			if deny == nil {
				deny = &f
			}
		case policy.Ask:
			if ask == nil {
				ask = &f
			}
		case policy.None:
			if !u.fromFile {
				allowAll = false
			}
		}
	}
	var chosen *finding
	switch {
	case deny != nil:
		chosen = deny
	case ask != nil:
		chosen = ask
	case allowAll:
		// Every part allowed: report the first part's allow.
		f := d.units[0].strongest()
		chosen = &f
	}
	if chosen != nil {
		out.Verdict, out.RuleID, out.Reason, out.Exception = chosen.verdict, chosen.ruleID, chosen.reason, chosen.exception
	}
	return out
}

// exceptionFor returns the active exception that loosens ruleID for a, or nil.
func (e *Engine) exceptionFor(ruleID string, a *Action) *policy.Exception {
	if len(e.rs.Exceptions) == 0 {
		return nil
	}
	return e.rs.Exception(ruleID, a.Repo, a.Remote, e.now())
}

// builtinSafe are Claude Code tools with no side effect the policy governs.
const builtinSafe nameList = "Task Agent TodoWrite TodoRead ToolSearch Skill ListAgents ExitPlanMode EnterPlanMode BashOutput KillShell KillBash TaskStop TaskOutput SendMessage ReportFindings CronDelete CronList ScheduleWakeup Monitor EnterWorktree ExitWorktree Workflow AskUserQuestion SlashCommand WebSearch"

func (e *Engine) dispatch(d *decision) {
	a := d.a
	d.note("action", "tool %s", a.Tool)
	switch {
	case a.Tool == "Bash":
		e.decideBash(d)
	case a.Tool == "Read" || a.Tool == "NotebookRead" || a.Tool == "LS":
		e.decideFileTool(d, policy.AccessRead, a.Path)
	case a.Tool == "Glob" || a.Tool == "Grep":
		e.decideSearchTool(d)
	case a.Tool == "Write" || a.Tool == "Edit" || a.Tool == "MultiEdit" || a.Tool == "NotebookEdit":
		e.decideFileTool(d, policy.AccessWrite, a.Path)
	case a.Tool == "WebFetch":
		e.decideWebFetch(d)
	case strings.HasPrefix(a.Tool, "mcp__"):
		e.decideMCP(d)
	case a.Tool == "CronCreate":
		// Schedules prompts to run later, unattended: persistence.
		u := d.newUnit()
		if v := e.rs.Classes[policy.ClassPersistence]; v != policy.None {
			d.match(u, v, "commands."+policy.ClassPersistence, "CronCreate schedules an agent run for later (persistence)")
		}
		e.nativeTool(d, u)
		e.conditions(d, u, nil)
	case builtinSafe.has(a.Tool):
		u := d.newUnit()
		e.nativeTool(d, u)
		e.conditions(d, u, nil)
	default:
		u := d.newUnit()
		e.nativeTool(d, u)
		e.conditions(d, u, nil)
		if u.strongest().verdict == policy.None && e.rs.UnknownTool != policy.None {
			d.match(u, e.rs.UnknownTool, policy.RuleUnknownTool,
				fmt.Sprintf("tool %s is not known to the policy", a.Tool))
		}
	}
}
