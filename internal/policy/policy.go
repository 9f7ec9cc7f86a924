// Package policy holds Warden's policy format: the YAML document a platform
// or security engineer writes, its validation (every error with file:line:col),
// tier inheritance, exceptions, the embedded baseline, and the resolved
// Ruleset the engine decides from.
//
// It knows what a policy says, not how actions are analysed: the engine
// interprets Rulesets. No I/O beyond reading the policy file itself.
package policy

import "time"

// FormatVersion is the only policy format version this build reads.
const FormatVersion = 1

// Policy is one policy document as written (after decoding and validation).
type Policy struct {
	Version     int    `yaml:"version" json:"version"`
	Name        string `yaml:"name" json:"name"`
	Revision    string `yaml:"revision" json:"revision"` // the policy version shown in every decision
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Guidance is the organisation's rules of conduct, compiled into a
	// managed CLAUDE.md beside the settings.
	Guidance    string `yaml:"guidance,omitempty" json:"guidance,omitempty"`
	DefaultTier string `yaml:"default_tier" json:"default_tier"`

	// Settings are managed-settings choices for every tier (compiled by
	// `warden compile`; the engine ignores them). A tier's own settings
	// override them key by key. The keys are those of SettingSpecs.
	Settings map[string]any `yaml:"settings,omitempty" json:"settings,omitempty"`

	// Rules at the top level apply to every tier.
	Rules `yaml:",inline" json:",inline"`

	// Tiers in the order they were written. A tier inherits every rule of
	// its parents and of the top level, then adds its own.
	Tiers []Tier `yaml:"tiers" json:"tiers"`

	Exceptions   []Exception `yaml:"exceptions,omitempty" json:"exceptions,omitempty"`
	Repositories []RepoTier  `yaml:"repositories,omitempty" json:"repositories,omitempty"`

	// File is where the policy was loaded from ("builtin:baseline" for the
	// embedded one). Not part of the document.
	File string `yaml:"-" json:"-"`

	// meta locates fields in the source for errors and warnings; nil for a
	// Policy built in Go.
	meta *meta
}

// Rules are the rule sections that may appear at the top level and in tiers.
type Rules struct {
	Permissions Permissions `yaml:"permissions,omitempty" json:"permissions,omitempty"`
	Commands    Commands    `yaml:"commands,omitempty" json:"commands,omitempty"`
	Paths       []PathRule  `yaml:"paths,omitempty" json:"paths,omitempty"`
	MCP         MCP         `yaml:"mcp,omitempty" json:"mcp,omitempty"`
	Web         Web         `yaml:"web,omitempty" json:"web,omitempty"`
	Conditions  []Condition `yaml:"conditions,omitempty" json:"conditions,omitempty"`
}

// Permissions are Claude Code native permission rule strings, accepted
// verbatim with Claude Code's documented meaning (Bash(npm run test *),
// Read(./.env), Edit(//etc/**), WebFetch(domain:example.com), mcp__github).
type Permissions struct {
	Deny  []string `yaml:"deny,omitempty" json:"deny,omitempty"`
	Ask   []string `yaml:"ask,omitempty" json:"ask,omitempty"`
	Allow []string `yaml:"allow,omitempty" json:"allow,omitempty"`
}

// Command classes by effect. The engine assigns them to each simple command;
// the policy decides what each class gets.
const (
	ClassEgress           = "egress"               // curl, wget, nc, scp, rsync to a remote, /dev/tcp, interpreter network use
	ClassDestructive      = "destructive"          // rm -rf of /, ~, the repository root; dd/mkfs on devices
	ClassPrivileged       = "privileged"           // sudo, doas, su, pkexec
	ClassPackageInstall   = "package-install"      // npm install, pip install, go get, cargo add, ...
	ClassPublish          = "publish"              // npm publish, cargo publish, twine upload, gh release
	ClassInfrastructure   = "infrastructure"       // docker, kubectl, terraform, helm, pulumi, cloud CLIs
	ClassInfraApply       = "infrastructure-apply" // terraform apply/destroy, kubectl delete, pulumi destroy
	ClassDatabase         = "database"             // psql, mysql, mongosh, redis-cli, migration tools
	ClassVCSWrite         = "vcs-write"            // git push
	ClassVCSForcePush     = "vcs-force-push"       // git push --force, +ref, --force-with-lease, --mirror
	ClassVCSPushProtected = "vcs-push-protected"   // git push to main, master, release branches
	// ClassDeleteOutside is a recursive delete outside the repository and
	// the temporary directories (rm -rf ~/Documents, shutil.rmtree('/srv/x')).
	ClassDeleteOutside = "delete-outside-workspace"
	// ClassPersistence makes code run again later: crontab, at, systemd
	// and launchd units, git hooks directories.
	ClassPersistence = "persistence"
	// ClassEnvSecrets prints secrets in bulk or from a credential tool:
	// env, printenv, set, history, gh auth token, aws configure get.
	ClassEnvSecrets = "environment-secrets"
	// ClassSecretVariable prints an environment variable named as a
	// secret: printenv AWS_SECRET_ACCESS_KEY, echo $GITHUB_TOKEN.
	ClassSecretVariable = "secret-variable"
	// ClassWardenTamper disables or evades Warden or its telemetry:
	// killing it, unsetting WARDEN_* or OTEL_*, a nested agent with its
	// permissions bypassed.
	ClassWardenTamper = "warden-tamper"
	// ClassLocalDiscard destroys uncommitted work or local history: git
	// reset --hard, git clean -f, git checkout -- PATH, git stash drop.
	ClassLocalDiscard = "local-discard"
)

// Classes lists every command class the engine knows, in documentation order.
var Classes = []string{
	ClassEgress, ClassDestructive, ClassPrivileged, ClassPackageInstall, ClassPublish,
	ClassInfrastructure, ClassInfraApply, ClassDatabase, ClassVCSWrite, ClassVCSForcePush,
	ClassVCSPushProtected, ClassDeleteOutside, ClassPersistence, ClassEnvSecrets, ClassSecretVariable,
	ClassWardenTamper, ClassLocalDiscard,
}

// Commands decides command classes and extends them.
type Commands struct {
	// Classes maps a class name to its decision.
	Classes map[string]Verdict `yaml:"classes,omitempty" json:"classes,omitempty"`
	// Members add commands to classes and describe programs beyond the
	// engine's built-in knowledge.
	Members []ClassMember `yaml:"members,omitempty" json:"members,omitempty"`
}

// ClassMember extends the engine's knowledge of commands. Command is a
// program name optionally followed by subcommand words
// ("ansible-playbook", "mytool release").
//
// A member with only Class puts the commands it names in the class: a
// simple command whose parsed subcommand path (global options skipped,
// kubectl -n prod apply) or whose first arguments are these words.
//
// A member with grammar (Aliases, Style, Options, Operands) describes the
// program, or the subcommand its last word names, to the program
// catalogue with the vocabulary of the catalogue's own rows
// (docs/catalog.md): every call is then parsed by it, its option values
// and operands typed (a path read, shell code, a command...) and judged
// like a built-in program's. Its Class, optional then, holds for every
// call of the row. A member naming a program the catalogue knows extends
// that program's row (Ruleset.Catalog says how).
type ClassMember struct {
	Class   string `yaml:"class,omitempty" json:"class,omitempty"`
	Command string `yaml:"command" json:"command"`
	// Aliases are further spellings of what the member describes: the
	// program, or its last subcommand word.
	Aliases []string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
	// Style is the option grammar: gnu (the default for a program; -rf
	// clusters, --opt=v or --opt v, options after operands), posix (the
	// first operand ends the options) or words (whole-word options,
	// find -name). A subcommand takes its parent's unless it says.
	Style   string         `yaml:"style,omitempty" json:"style,omitempty"`
	Options []MemberOption `yaml:"options,omitempty" json:"options,omitempty"`
	// Operands type the operands by position.
	Operands MemberOperands `yaml:"operands,omitempty" json:"operands,omitzero"`
}

// HasGrammar reports whether the member describes a program to the
// catalogue, beyond putting it in a class.
func (m *ClassMember) HasGrammar() bool {
	return len(m.Aliases) > 0 || m.Style != "" || len(m.Options) > 0 || !m.Operands.IsZero()
}

// MemberOption is an option of a member's program.
type MemberOption struct {
	// Names are the spellings: "-c", "--config".
	Names []string `yaml:"names" json:"names"`
	// Value is the kind of the option's value (a catalogue kind: read,
	// write, shell, exec...), or none (the default) for a flag.
	Value string `yaml:"value,omitempty" json:"value,omitempty"`
	// Class is a command class the call gets when the option is given.
	Class string `yaml:"class,omitempty" json:"class,omitempty"`
}

// MemberOperands are the kinds of a member's operands: Lead the first
// ones in order, Rest every later one, Last the last one after Lead when
// there are at least two (cp SRC... DST). Operands a member leaves
// untyped are maybe, as those of a program the catalogue does not know.
type MemberOperands struct {
	Lead []string `yaml:"lead,omitempty" json:"lead,omitempty"`
	Rest string   `yaml:"rest,omitempty" json:"rest,omitempty"`
	Last string   `yaml:"last,omitempty" json:"last,omitempty"`
}

// IsZero reports operands left unsaid.
func (o MemberOperands) IsZero() bool { return len(o.Lead) == 0 && o.Rest == "" && o.Last == "" }

// Access says which use of a path a PathRule governs.
type Access string

const (
	AccessRead  Access = "read"  // Read tool, cat/grep/cp source, < redirection, source, ...
	AccessWrite Access = "write" // Edit/Write/NotebookEdit tools, > redirection, tee, cp/mv target, sed -i
	AccessAny   Access = "any"
)

// PathRule decides an access to a set of paths. Patterns are gitignore-style
// globs: a pattern without a slash matches the base name anywhere ("*.pem",
// ".env"); "dir/**" matches under a directory named dir anywhere; "~/" is the
// home directory; a leading "/" anchors at the repository root; "//" is the
// file-system root.
type PathRule struct {
	ID       string   `yaml:"id" json:"id"`
	Access   Access   `yaml:"access" json:"access"`
	Decision Verdict  `yaml:"decision" json:"decision"`
	Reason   string   `yaml:"reason,omitempty" json:"reason,omitempty"`
	Patterns []string `yaml:"patterns" json:"patterns"`
	Except   []string `yaml:"except,omitempty" json:"except,omitempty"`
}

// MCP decides calls to MCP server tools.
type MCP struct {
	// Default is the decision for tools of servers not listed (deny in the baseline).
	Default Verdict     `yaml:"default,omitempty" json:"default,omitempty"`
	Servers []MCPServer `yaml:"servers,omitempty" json:"servers,omitempty"`
}

// MCPServer is one approved server. The hook sees only the server's name;
// URL and Command bind that name to the real server in the compiled managed
// settings (allowedMcpServers), so a look-alike cannot borrow the name.
type MCPServer struct {
	Name    string   `yaml:"name" json:"name"`
	URL     string   `yaml:"url,omitempty" json:"url,omitempty"`
	Command []string `yaml:"command,omitempty" json:"command,omitempty"`
	// Read is the decision for read tools (default allow).
	Read Verdict `yaml:"read,omitempty" json:"read,omitempty"`
	// Write is the decision for write-capable tools (default ask).
	Write Verdict `yaml:"write,omitempty" json:"write,omitempty"`
	// WriteWords mark a tool as write-capable when its name has one of them
	// as a word (or run of words), in addition to the built-in verb
	// vocabulary (docs/policy.md).
	WriteWords []string `yaml:"write_words,omitempty" json:"write_words,omitempty"`
	// Tools classifies tools explicitly: "read" or "write"; it wins over
	// the words of the name.
	Tools map[string]string `yaml:"tools,omitempty" json:"tools,omitempty"`
}

// Web decides WebFetch by the URL's host. Entries are host names
// ("go.dev") or wildcards ("*.python.org", which does not match python.org).
type Web struct {
	Allow   []string `yaml:"allow,omitempty" json:"allow,omitempty"`
	Ask     []string `yaml:"ask,omitempty" json:"ask,omitempty"`
	Deny    []string `yaml:"deny,omitempty" json:"deny,omitempty"`
	Default Verdict  `yaml:"default,omitempty" json:"default,omitempty"`
}

// Condition is a CEL rule over the parsed action, for anything the other
// sections cannot say.
type Condition struct {
	ID       string  `yaml:"id" json:"id"`
	Decision Verdict `yaml:"decision" json:"decision"`
	Reason   string  `yaml:"reason" json:"reason"`
	// Tools restricts the condition to these tool names (cheap prefilter;
	// empty means every tool).
	Tools []string `yaml:"tools,omitempty" json:"tools,omitempty"`
	When  string   `yaml:"when" json:"when"`
}

// Tier is a repository risk tier.
type Tier struct {
	Name        string   `yaml:"name" json:"name"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	Inherits    []string `yaml:"inherits,omitempty" json:"inherits,omitempty"`
	// Failure is what the hook does when Warden itself fails: "closed"
	// (deny, the default) or "open" (no opinion).
	Failure string `yaml:"failure,omitempty" json:"failure,omitempty"`
	// UnknownTool decides tools the policy does not know (ask in the baseline).
	UnknownTool Verdict `yaml:"unknown_tool,omitempty" json:"unknown_tool,omitempty"`
	// BlockConfigChange blocks mid-session settings changes (ConfigChange).
	BlockConfigChange bool `yaml:"block_config_change,omitempty" json:"block_config_change,omitempty"`
	// Settings holds managed-settings choices for this tier (compiled by
	// `warden compile`; the engine ignores them).
	Settings map[string]any `yaml:"settings,omitempty" json:"settings,omitempty"`

	Rules `yaml:",inline" json:",inline"`
}

// Exception is a named, owned, expiring loosening of one rule for some tiers
// or repositories. An expired exception no longer applies.
type Exception struct {
	ID       string   `yaml:"id" json:"id"`
	Rule     string   `yaml:"rule" json:"rule"`         // the rule id it loosens
	Decision Verdict  `yaml:"decision" json:"decision"` // the weaker decision it grants
	Tiers    []string `yaml:"tiers,omitempty" json:"tiers,omitempty"`
	// Repositories are globs over the repository path or its git remote.
	Repositories []string `yaml:"repositories,omitempty" json:"repositories,omitempty"`
	Owner        string   `yaml:"owner" json:"owner"`
	Reason       string   `yaml:"reason" json:"reason"`
	Expires      Date     `yaml:"expires" json:"expires"`
}

// RepoTier maps repositories to a tier, by path glob or git remote glob.
type RepoTier struct {
	Path   string `yaml:"path,omitempty" json:"path,omitempty"`
	Remote string `yaml:"remote,omitempty" json:"remote,omitempty"`
	Tier   string `yaml:"tier" json:"tier"`
}

// Date is a calendar day (YYYY-MM-DD); an exception expires at the end of it, UTC.
type Date struct{ time.Time }
