// Package settings compiles one tier of a Warden policy into Claude Code's
// managed settings: the permission rules Claude Code's native syntax can
// express exactly, the hook wiring that sends every event to `warden hook`,
// MCP server bindings, the Bash sandbox, telemetry and proxy environment,
// the organisation's managed keys, a managed CLAUDE.md and the compiled
// policy the hooks read; and a report of every rule only the hook
// enforces. It renders the result for delivery (a
// Linux file tree with optional managed-settings.d fragments, a macOS
// configuration profile, a Windows registry file), validates it against a
// JSON Schema of what it emits, writes it atomically, installs it with
// backups and a manifest, and diffs two compilations.
//
// Boundaries: settings imports policy and the JSON Schema validator only. It
// knows the engine's command classes through its own table (classes.go),
// never the engine's internals. Compile is pure; only Write, Install and
// Uninstall touch the file system.
package settings

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/policy"
)

// DefaultHookCommand is the hook executable managed hooks run when
// Options.HookCommand is empty: the hook-only binary, found on the PATH of
// Claude Code. A warden executable works too (its hook subcommand is added).
const DefaultHookCommand = "warden-hook"

// HookTimeout is the timeout, in seconds, of every managed hook. Claude
// Code runs the tool unchecked when a hook times out, so it is well above
// the hook's own watchdog (hook.DefaultDeadline, 5 s), which answers deny
// first.
const HookTimeout = 10

// HookEvents are the events the managed hooks are registered for, in
// settings order: every event Warden reads (decides, records or blocks).
var HookEvents = []string{
	"PreToolUse", "PostToolUse", "PostToolUseFailure", "PostToolBatch", "PermissionRequest",
	"UserPromptSubmit", "SessionStart", "SessionEnd", "Stop", "ConfigChange",
}

// Options configure Compile.
type Options struct {
	// Tier is the tier to compile; "" is the policy's default tier.
	Tier string
	// HookCommand is the executable the managed hooks run: warden-hook,
	// or warden, whose hook subcommand is then added (DefaultHookCommand
	// when empty). It is shell-quoted when needed.
	HookCommand string
	// HookPolicy is where the hook reads the policy on the machines the
	// settings go to ("" leaves it to $WARDEN_POLICY or the baseline). A
	// .json path is the compiled policy, which Compile then produces
	// (Result.CompiledPolicy); any other path is the policy's YAML.
	HookPolicy string
	// Server is the OTLP/HTTP endpoint of a Warden server; empty sends no
	// telemetry.
	Server string
	// Token is the bearer token for Server, written into the client
	// configuration (Result.ClientConfig), never into the settings: their
	// env reaches every command the agent runs. Take it from the
	// environment or a file, never from a command-line argument.
	Token string
	// TokenEnv names the environment variable Token came from, for the
	// report.
	TokenEnv string
	// Team names the team of the machines these settings go to, sent with
	// Claude Code's telemetry as the resource attribute team
	// (OTEL_RESOURCE_ATTRIBUTES) so that the server attributes sessions
	// and blocks to it. It overrides the tier's telemetry_team setting;
	// both need Server.
	Team string
	// Now is the clock exception expiry is judged by (time.Now when nil).
	Now func() time.Time
}

// Result is one compiled tier.
type Result struct {
	Policy   string
	Revision string
	Tier     string
	// Settings is the managed-settings document as JSON values
	// (map[string]any, []any, string, bool, int); it has passed
	// ValidateSettings.
	Settings map[string]any
	// Guidance is the managed CLAUDE.md ("" when the policy has none).
	Guidance string
	// CompiledPolicy is the policy in the compiled form the hooks read
	// (policy.EncodeCompiled), delivered as policy.CompiledFileName; nil
	// unless Options.HookPolicy names a compiled policy.
	CompiledPolicy []byte
	// ClientConfig is the client configuration (clientstate.ClientConfig,
	// as JSON: the server URL and the token) that the hook's shipper and
	// otelHeadersHelper read, delivered as clientstate.ClientConfigName;
	// nil without Options.Server.
	ClientConfig []byte
	Report       *Report
}

// Compile compiles one tier of p. It fails on an unknown tier, options it
// cannot honour, and settings that do not pass the schema of what Claude
// Code accepts; rules native syntax cannot express are not errors but
// findings in the Report.
func Compile(p *policy.Policy, opts Options) (*Result, error) {
	rs, err := p.Ruleset(opts.Tier)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	c := &compiler{
		p:         p,
		rs:        rs,
		opts:      opts,
		now:       now(),
		loosened:  map[string][]policy.Exception{},
		seenRules: map[string]bool{},
		report:    &Report{Policy: rs.Policy, Revision: rs.Revision, Tier: rs.Tier},
		out:       map[string]any{},
	}
	for _, e := range rs.Exceptions {
		if !e.Expired(c.now) {
			c.loosened[e.Rule] = append(c.loosened[e.Rule], e)
		}
	}
	if err := c.compile(); err != nil {
		return nil, fmt.Errorf("compile policy %s tier %s: %w", rs.Policy, rs.Tier, err)
	}
	if err := ValidateSettings(c.out); err != nil {
		return nil, fmt.Errorf("compile policy %s tier %s: the compiled settings are invalid (a Warden bug; please report it): %w", rs.Policy, rs.Tier, err)
	}
	c.report.sort()
	r := &Result{
		Policy:   rs.Policy,
		Revision: rs.Revision,
		Tier:     rs.Tier,
		Settings: c.out,
		Guidance: guidance(p, rs),
		Report:   c.report,

		ClientConfig: c.clientConfig,
	}
	if policy.IsCompiledPath(opts.HookPolicy) {
		if r.CompiledPolicy, err = policy.EncodeCompiled(p); err != nil {
			return nil, fmt.Errorf("compile policy %s: %w", rs.Policy, err)
		}
	}
	return r, nil
}

type compiler struct {
	p    *policy.Policy
	rs   *policy.Ruleset
	opts Options
	now  time.Time
	// loosened maps a rule id to the live exceptions that loosen it.
	loosened map[string][]policy.Exception

	deny, ask, allow []any
	seenRules        map[string]bool

	report *Report
	out    map[string]any
	// clientConfig is the client configuration file (with a server).
	clientConfig []byte
}

// setting returns the tier's value for a settings key, or nil.
func (c *compiler) setting(key string) any { return c.rs.Settings[key] }

func (c *compiler) boolSetting(key string, def bool) bool {
	if b, ok := c.setting(key).(bool); ok {
		return b
	}
	return def
}

// add puts a native rule in the list for v (deny, ask, allow), once.
func (c *compiler) add(v policy.Verdict, rule string) {
	key := v.String() + "\x00" + rule
	if c.seenRules[key] {
		return
	}
	c.seenRules[key] = true
	switch v {
	case policy.Deny:
		c.deny = append(c.deny, rule)
	case policy.Ask:
		c.ask = append(c.ask, rule)
	case policy.Allow:
		c.allow = append(c.allow, rule)
	}
}

// exempt reports whether a live exception loosens ruleID, and records
// that the rule is left to the hook.
func (c *compiler) exempt(ruleID string) bool {
	es := c.loosened[ruleID]
	if len(es) == 0 {
		return false
	}
	var names []string
	for _, e := range es {
		where := "every repository"
		if len(e.Repositories) > 0 {
			where = strings.Join(e.Repositories, ", ")
		}
		names = append(names, fmt.Sprintf("%s (owner %s, until %s, for %s)", e.ID, e.Owner, e.Expires.Format("2006-01-02"), where))
	}
	c.report.add(ruleID, KindHookOnly, "loosened by exception "+strings.Join(names, "; ")+
		"; native rules cannot be scoped to repositories or expire, so the hook alone enforces it")
	return true
}

func (c *compiler) compile() error {
	c.nativeRules()
	c.classes()
	c.paths()
	c.web()
	mcp := c.mcp()
	c.hookOnlySections()

	perms := map[string]any{}
	for name, list := range map[string][]any{"deny": c.deny, "ask": c.ask, "allow": c.allow} {
		if len(list) > 0 {
			perms[name] = list
		}
	}
	if m, ok := c.setting("default_mode").(string); ok {
		perms["defaultMode"] = m
	}
	if c.boolSetting("disable_bypass_permissions", true) {
		perms["disableBypassPermissionsMode"] = "disable"
	}
	if dirs := c.strings("additional_directories"); len(dirs) > 0 {
		perms["additionalDirectories"] = dirs
	}
	if len(perms) > 0 {
		c.out["permissions"] = perms
	}

	hooks, err := c.hooks()
	if err != nil {
		return err
	}
	c.out["hooks"] = hooks
	for k, v := range mcp {
		c.out[k] = v
	}
	c.sandbox()
	if err := c.env(); err != nil {
		return err
	}
	c.organisation()
	c.report.Rules = len(c.deny) + len(c.ask) + len(c.allow)
	c.report.Deny, c.report.Ask, c.report.Allow = len(c.deny), len(c.ask), len(c.allow)
	return nil
}

// strings returns a list setting as []any of strings (nil when unset).
func (c *compiler) strings(key string) []any {
	list, _ := c.setting(key).([]any)
	if len(list) == 0 {
		return nil
	}
	return slices.Clone(list)
}

// nativeRules compiles the policy's verbatim Claude Code rules.
func (c *compiler) nativeRules() {
	for _, n := range c.rs.Native {
		if c.exempt(n.ID()) {
			continue
		}
		c.add(n.Verdict, n.Raw)
	}
}

// classes compiles command classes and their policy members into Bash
// rules, in policy.Classes order.
func (c *compiler) classes() {
	members := memberPatterns(c.rs.Catalog())
	for _, class := range policy.Classes {
		v, ok := c.rs.Classes[class]
		id := "commands." + class
		if !ok || v == policy.None {
			continue
		}
		if c.exempt(id) {
			continue
		}
		if v == policy.Allow && class == policy.ClassPrivileged {
			// sudo runs another command: a native allow of "sudo *"
			// would also allow whatever it runs, which the policy decides
			// by that command's own classes.
			c.report.add(id, KindHookOnly, "allow: a native allow of sudo * would also allow the command sudo runs, which the hook decides by that command's own classes")
			continue
		}
		entry := classTable()[class]
		n := 0
		for _, pat := range entry.Patterns {
			c.add(v, "Bash("+pat+")")
			n++
		}
		for _, m := range c.rs.Members {
			if m.Class == class && !m.HasGrammar() {
				c.add(v, "Bash("+strings.Join(strings.Fields(m.Command), " ")+" *)")
				n++
			}
		}
		for _, pat := range members[class] {
			c.add(v, "Bash("+pat+")")
			n++
		}
		missed := commonHookOnly
		if entry.HookOnly != "" {
			missed += "; " + entry.HookOnly
		}
		if n == 0 {
			c.report.add(id, KindHookOnly, missed)
		} else {
			c.report.add(id, KindPartial, fmt.Sprintf("%s (%s); the hook alone sees %s", plural(n, "Bash rule"), v, missed))
		}
	}
}

// hookOnlySections reports what no native rule can say.
func (c *compiler) hookOnlySections() {
	for _, cond := range c.rs.Conditions {
		c.report.add("conditions."+cond.ID, KindHookOnly, "a CEL condition ("+cond.Decision.String()+"): native rules cannot evaluate it")
	}
	if c.rs.UnknownTool != policy.None {
		c.report.add("tier.unknown_tool", KindNote, "tools the policy does not know get "+c.rs.UnknownTool.String()+" from the hook; native rules can only name tools")
	}
	c.report.add("engine", KindNote, "the hook alone adds its own analysis of Bash (dynamic programs, pipes into a shell, unparsable commands, nested shells) and of paths reached by Bash commands")
	if c.rs.BlockConfigChange {
		c.report.add("tier.block_config_change", KindNote, "the hook blocks settings changes made during a session (ConfigChange)")
	}
	if c.rs.FailOpen {
		c.report.add("tier.failure", KindNote, "failure: open: when Warden itself fails the hook has no opinion and Claude Code's own rules decide")
	}
	switch hp := c.opts.HookPolicy; {
	case policy.IsCompiledPath(hp):
		c.report.add("hook", KindNote, "the hooks read the compiled policy "+hp+" ("+policy.CompiledFileName+
			" in this output: validated once and checksummed, so no hook call parses YAML): it must be there on every machine these settings reach; compile again when the policy changes, and after an upgrade of Warden that changes the compiled format (a hook denies every call over a stale or damaged one)")
	case hp != "":
		c.report.add("hook", KindNote, "the hooks read the policy from "+hp+": it must be there on every machine these settings reach; every hook call parses and validates its YAML (a .json --hook-policy, the default, reads a compiled policy instead)")
	}
	if len(c.p.Repositories) > 0 {
		c.report.add("repositories", KindNote, "the policy maps repositories to tiers: the hooks run without --tier so the hook picks the tier of each session's repository; the native rules are tier "+c.rs.Tier+"'s")
	}
}

// guidance is the managed CLAUDE.md: the policy's guidance with a header
// naming where it came from.
func guidance(p *policy.Policy, rs *policy.Ruleset) string {
	g := strings.TrimSpace(p.Guidance)
	if g == "" {
		return ""
	}
	return fmt.Sprintf("<!-- Managed by Warden: policy %s revision %s, tier %s. Changes here are overwritten; edit the policy's guidance. -->\n\n%s\n",
		rs.Policy, rs.Revision, rs.Tier, g)
}

// plural writes n and noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
