// Package catalog is Warden's knowledge of programs, as typed data: for
// each program (or subcommand path such as `git submodule foreach`) its
// names, its option grammar, what each operand and option value is (a path
// read or written, shell code, a command to run, a remote host, plain
// data...) and the command classes it belongs to.
//
// One argv parser (Parse) turns any call into a Call: the row that
// describes it, its subcommand path, and every argument typed. The engine
// judges Calls (resolved paths against path rules, classes against the
// tier); the settings compiler derives Claude Code's native rules from the
// same rows, so the two cannot drift apart.
//
// It is a leaf package: it imports only the standard library, knows nothing
// of policy verdicts, and builds nothing at init (the rows are static data;
// the name index is built on first use, once per process).
package catalog

import (
	"strings"
	"sync"
)

// Kind is what an operand or option value is.
type Kind uint8

const (
	// Unset: for Operands.Rest, plain data; for Operands.Last, as Rest.
	Unset Kind = iota
	// Data is a pattern, message, name or number: never a path.
	Data
	// Read is a path the program reads.
	Read
	// Write is a path the program writes (creates or changes).
	Write
	// ReadWrite is a path read and rewritten in place.
	ReadWrite
	// Delete is a path the program removes.
	Delete
	// Shell is shell code the program runs (sh -c VALUE).
	Shell
	// Code is interpreter code in the row's Lang.
	Code
	// Exec starts a command: this word is a program, the words after it
	// its arguments.
	Exec
	// Remote is a URL or a remote host or host:path.
	Remote
	// Assign is a NAME=value environment assignment for what runs next.
	Assign
	// Script is a file of code the program runs (bash x.sh, python x.py).
	Script
	// Config is a git-style key=value configuration item.
	Config
	// EnvName names an environment variable (printenv NAME, unset NAME).
	EnvName
	// Device is a device or file the program overwrites wholesale
	// (mkfs /dev/sda, shred FILE).
	Device
	// Maybe is an argument of unknown meaning that may be a path: read
	// when it looks like one. The default for programs not described.
	Maybe
	// Opaque names code Warden cannot see (a library to preload, a
	// directory of programs, a makefile fragment): the call asks.
	Opaque
	// RevPath is a path, or REV:PATH naming a file in git history: read.
	RevPath
	// Mount is a container mount or secret source (SRC:DST, src=SRC,...):
	// the host side is read.
	Mount
	// Package names a package to run: downloaded when it carries a
	// version or a URL (pkg@1.2, https://...), else local.
	Package
	// SecretName names a stored value a credential tool prints: secret
	// when the name says so (aws configure get aws_secret_access_key).
	SecretName
	// ToolCmd is a command in the tool's own language (vim -c, gdb -ex,
	// sqlite3 dot-commands) whose escapes (!cmd, shell cmd, .shell)
	// run shell code.
	ToolCmd
)

var kindNames = [...]string{"unset", "data", "read", "write", "read-write", "delete", "shell", "code",
	"exec", "remote", "assign", "script", "config", "env-name", "device", "maybe", "opaque", "rev-path",
	"mount", "package", "secret-name", "tool-command"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind?"
}

// ParseKind returns the Kind named s (as String spells it).
func ParseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if n == s && i != int(Unset) {
			return Kind(i), true
		}
	}
	return Unset, false
}

// KindNames lists the names ParseKind accepts.
func KindNames() []string { return append([]string(nil), kindNames[1:]...) }

// ArgMode says whether an option takes a value.
type ArgMode uint8

const (
	// Flag takes no value.
	Flag ArgMode = iota
	// Value takes one: attached (-oX, --opt=X) or as the next word.
	Value
	// Attached takes an optional value only when attached (-i.bak,
	// --in-place=.bak); it never takes the next word.
	Attached
	// Value2 takes the next two words (jq --arg NAME VALUE); the second is
	// of the option's Kind, the first is data.
	Value2
)

// Mark is a property an option gives the call, for the engine's
// judgements (a recursive delete, an in-place edit).
type Mark uint32

const (
	Recursive    Mark = 1 << iota // -r: whole directory trees
	Force                         // -f: no confirmation, overwrite, discard
	InPlace                       // sed -i: Read operands are also written
	GivesPattern                  // grep -e/-f: no operand is the pattern
	DryRun                        // -n / --dry-run: changes nothing
	Create                        // tar -c
	DeleteExtra                   // rsync --delete: removes files at the target
	NoInstall                     // npx --no-install: runs only what is installed
	Hidden                        // rg --hidden / -u: dotfiles included
	Staged                        // git restore --staged: the index, not the work tree
	Worktree                      // git restore --worktree
	Global                        // npm -g, git config --global
	ListOnly                      // crontab -l: only shows
	Deref                         // grep -R: follows symlinks
	Remove                        // git branch -d: removes something
	Raw                           // kubectl config view --raw: secrets unredacted
	Configured                    // git diff --ext-diff: runs a program named in configuration
)

// Style is an option grammar.
type Style uint8

const (
	// GNU: short options cluster (-rf), long options take =value or the
	// next word, options may follow operands, "--" ends them.
	GNU Style = iota
	// POSIX: like GNU, but the first operand ends the options (ssh HOST
	// CMD..., wrappers).
	POSIX
	// Words: options are whole words, never clustered (find -name, java
	// -jar, go test -run); "-x=v" still splits at "=".
	Words
)

var styleNames = [...]string{"gnu", "posix", "words"}

func (s Style) String() string {
	if int(s) < len(styleNames) {
		return styleNames[s]
	}
	return "style?"
}

// ParseStyle returns the Style named s (as String spells it).
func ParseStyle(s string) (Style, bool) {
	for i, n := range styleNames {
		if n == s {
			return Style(i), true
		}
	}
	return GNU, false
}

// StyleNames lists the names ParseStyle accepts.
func StyleNames() []string { return append([]string(nil), styleNames[:]...) }

// Opt describes one option.
type Opt struct {
	// Names are the spellings, space-separated: "-o --output".
	Names string
	Arg   ArgMode
	// Kind is what the value is (Data when unset).
	Kind Kind
	// Class is the command class the call gets when the option is given.
	Class string
	Why   string
	Mark  Mark
}

// Operands says what each operand of a row is.
type Operands struct {
	// Lead are the kinds of the first operands, in order.
	Lead []Kind
	// Rest is the kind of every later operand (Data when unset).
	Rest Kind
	// Last, when set, is the kind of the last operand after Lead, when
	// there are at least two (cp SRC... DST).
	Last Kind
	// LeadUnless drops Lead when an option with one of these marks was
	// given (grep -e PATTERN: every operand is then a file).
	LeadUnless Mark
}

// Task is a class given by an operand's value wherever it stands, for
// build tools whose operands are goals (mvn clean deploy, rake db:migrate).
type Task struct {
	// Names are the goals, space-separated; a trailing "*" matches a prefix.
	Names string
	Class string
	Why   string
}

// Program is one row: a program, or a subcommand of its parent row.
type Program struct {
	// Names are the spellings, space-separated, canonical first. For a
	// subcommand, the words that select it ("install i add").
	Names string
	// Class is the class every call of the row belongs to; subcommands
	// inherit their parents' classes.
	Class string
	Why   string
	// Extra are further classes every call of the row belongs to,
	// unconditionally (Requires, Unless, NeedsOperand apply to Class
	// alone): a policy member's class, beside a built-in row's own.
	Extra []Hit
	// Requires: the row's Class applies only when options with all of
	// these marks were given (git clean needs -f).
	Requires Mark
	// Unless: the row's Class does not apply when an option with one of
	// these marks was given (git clean -n, npx --no-install).
	Unless Mark
	// NeedsOperand: the row's Class applies only with an operand (npm
	// init PKG runs a package; npm init alone writes package.json).
	NeedsOperand bool
	// Bare is a class the row gets when called with no operand at all
	// (yarn alone installs).
	Bare string
	// Tasks give classes by operand value (mvn deploy).
	Tasks []Task
	// RunsPackage: the Exec operand names a package that is downloaded
	// unless the project has it installed (npx eslint runs
	// node_modules/.bin/eslint when it exists).
	RunsPackage bool
	// Stdin is what the program reads on standard input, when that is
	// code (at reads commands, sqlite3 reads dot-commands).
	Stdin Kind
	// Tamper: an argument naming Warden makes the call warden-tamper
	// (pkill warden, systemctl stop warden).
	Tamper bool
	Style  Style
	// Lang is the language of Code values ("python", "awk", "sh").
	Lang string
	Opts []Opt
	// Operands type the operands; for a row with Subs, the operands after
	// a first one that names no subcommand.
	Operands Operands
	Subs     []Program
	// Also are further subcommands this row shares with others (npm,
	// pnpm and yarn share install, publish, run...); Subs win.
	Also []Program
	// Note says what the row models, for explain and the docs.
	Note string
	// From says where the row was written when it is not Warden's own
	// ("policy member deployctl"), for explain.
	From string
}

// Name is the canonical name.
func (p *Program) Name() string {
	name, _, _ := strings.Cut(p.Names, " ")
	return name
}

// Each calls f with every spelling in a space-separated name list.
func Each(names string, f func(string)) {
	for names != "" {
		var n string
		n, names, _ = strings.Cut(names, " ")
		if n != "" {
			f(n)
		}
	}
}

// Command classes the catalogue assigns; the policy package defines the
// same names (a test holds them equal).
const (
	Egress         = "egress"
	Destructive    = "destructive"
	Privileged     = "privileged"
	PackageInstall = "package-install"
	Publish        = "publish"
	Infrastructure = "infrastructure"
	InfraApply     = "infrastructure-apply"
	Database       = "database"
	VCSWrite       = "vcs-write"
	VCSForcePush   = "vcs-force-push"
	VCSPushProtect = "vcs-push-protected"
	DeleteOutside  = "delete-outside-workspace"
	Persistence    = "persistence"
	EnvSecrets     = "environment-secrets"
	SecretVariable = "secret-variable"
	WardenTamper   = "warden-tamper"
	LocalDiscard   = "local-discard"
)

// has reports whether the space-separated list holds name. It runs for
// every option word of every command: an index search, not a split.
func has(names, name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(names); {
		j := strings.Index(names[i:], name)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(name)
		if (j == 0 || names[j-1] == ' ') && (end == len(names) || names[end] == ' ') {
			return true
		}
		i = j + 1
	}
	return false
}

// Catalog is a set of rows with a name index. The built-in one is
// Builtin(); a policy adds its own rows with With.
type Catalog struct {
	rows  []*Program
	index map[string]*Program
}

// Builtin returns Warden's own catalogue. The index is built on first
// use: every hook call is a new process, and most calls need no Bash.
var Builtin = sync.OnceValue(func() *Catalog {
	// The rows are indexed where they stand, not copied: every hook process
	// builds this index, and copying 250 rows of 288 bytes into fresh heap
	// cost more than indexing them.
	c := &Catalog{index: make(map[string]*Program, 1024)}
	for _, f := range families() {
		for i := range f {
			c.add(&f[i])
		}
	}
	return c
})

// New indexes rows: a later row's name replaces an earlier one's.
func New(rows []Program) *Catalog {
	c := &Catalog{index: make(map[string]*Program, 3*len(rows)/2)}
	for i := range rows {
		c.add(&rows[i])
	}
	return c
}

func (c *Catalog) add(p *Program) {
	c.rows = append(c.rows, p)
	Each(p.Names, func(n string) { c.index[n] = p })
}

// With returns a catalogue of c's rows and extra, extra winning on a name.
func (c *Catalog) With(extra []Program) *Catalog {
	if len(extra) == 0 {
		return c
	}
	n := &Catalog{rows: append([]*Program(nil), c.rows...), index: make(map[string]*Program, len(c.index)+len(extra))}
	for k, v := range c.index {
		n.index[k] = v
	}
	for i := range extra {
		n.add(&extra[i])
	}
	return n
}

// Rows returns every row, in order.
func (c *Catalog) Rows() []*Program { return c.rows }

// Lookup finds the row of a program by its base name, trying in turn the
// name as given, lower-cased (case-insensitive file systems run CURL as
// curl), without ".exe", without a version suffix (python3.12, pip3,
// wget2) and before its first dot (mkfs.ext4).
func (c *Catalog) Lookup(name string) *Program {
	if p := c.index[name]; p != nil || name == "" {
		return p
	}
	n := strings.ToLower(name)
	n = strings.TrimSuffix(n, ".exe")
	if p := c.index[n]; p != nil {
		return p
	}
	if v := strings.TrimRight(n, "0123456789.-_"); v != n && v != "" {
		if p := c.index[v]; p != nil {
			return p
		}
	}
	if i := strings.IndexByte(n, '.'); i > 0 {
		return c.index[n[:i]]
	}
	return nil
}

// allRows is every built-in row, family by family.
func allRows() []Program {
	var out []Program
	for _, f := range families() {
		out = append(out, f...)
	}
	return out
}

// families are the built-in rows, one table per family, in index order.
func families() [][]Program {
	return [][]Program{filePrograms, vcsPrograms, buildPrograms, infraPrograms, netPrograms, execPrograms, systemPrograms, morePrograms}
}
