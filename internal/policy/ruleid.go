package policy

import (
	"slices"
	"sort"
	"strings"
)

// Rule ids name the rule behind every decision; exceptions refer to them.
// Each section of a policy has its own form:
//
//	native:<raw rule>        native:Bash(curl *)
//	commands.<class>         commands.egress
//	paths.<id>               paths.secrets
//	mcp.<server>.read        mcp.github.read
//	mcp.<server>.write       mcp.github.write
//	mcp.default              tools of servers not listed
//	web.allow, web.ask, web.deny, web.default
//	conditions.<id>          conditions.no-prod-hosts
//	tier.unknown_tool        tools the policy does not know
//
// and the engine's built-in rules below.
const (
	RuleMCPDefault  = "mcp.default"
	RuleWebAllow    = "web.allow"
	RuleWebAsk      = "web.ask"
	RuleWebDeny     = "web.deny"
	RuleWebDefault  = "web.default"
	RuleUnknownTool = "tier.unknown_tool"
)

// Built-in engine rules: decisions the engine makes from its analysis rather
// than from a policy section. They are valid exception targets.
const (
	// RuleDynamicProgram: the program a command runs cannot be known
	// statically ($X, $(...) as the program, eval of a non-literal).
	RuleDynamicProgram = "engine.dynamic-program"
	// RuleParseError: the Bash command does not parse.
	RuleParseError = "engine.parse-error"
	// RulePipeToShell: downloaded or generated text is piped into a shell.
	RulePipeToShell = "engine.pipe-to-shell"
	// RuleInterpreter: an interpreter runs code that cannot be analysed
	// (python -c, node -e with dynamic text, ...).
	RuleInterpreter = "engine.interpreter"
	// RuleUnknownProgramArg: a program Warden does not know is given an
	// argument that is itself a command Warden would ask or deny.
	RuleUnknownProgramArg = "engine.unknown-program-argument"
)

// BuiltinRuleIDs lists the engine's built-in rule ids.
var BuiltinRuleIDs = []string{RuleDynamicProgram, RuleParseError, RulePipeToShell, RuleInterpreter, RuleUnknownProgramArg}

// IsBuiltinRule reports whether id is one of BuiltinRuleIDs.
func IsBuiltinRule(id string) bool { return slices.Contains(BuiltinRuleIDs, id) }

// NativeRuleID is the rule id of a native permission rule string.
func NativeRuleID(raw string) string { return "native:" + raw }

// ClassRuleID is the rule id of a command class decision.
func ClassRuleID(class string) string { return "commands." + class }

// PathRuleID is the rule id of a path rule.
func PathRuleID(id string) string { return "paths." + id }

// MCPReadRuleID is the rule id of a server's read decision.
func MCPReadRuleID(server string) string { return "mcp." + server + ".read" }

// MCPWriteRuleID is the rule id of a server's write decision.
func MCPWriteRuleID(server string) string { return "mcp." + server + ".write" }

// ConditionRuleID is the rule id of a CEL condition.
func ConditionRuleID(id string) string { return "conditions." + id }

// RuleID is the rule id of the path rule.
func (r PathRule) RuleID() string { return PathRuleID(r.ID) }

// RuleID is the rule id of the condition.
func (c Condition) RuleID() string { return ConditionRuleID(c.ID) }

// Rules returns every rule of the Ruleset by id with its decision. A native
// rule string in several lists gets the strongest; web.allow, web.ask and
// web.deny exist when their list is not empty; mcp.default and web.default
// when set; tier.unknown_tool always.
func (rs *Ruleset) Rules() map[string]Verdict {
	m := map[string]Verdict{RuleUnknownTool: rs.UnknownTool}
	for _, n := range rs.Native {
		m[n.ID()] = Max(m[n.ID()], n.Verdict)
	}
	for c, v := range rs.Classes {
		m[ClassRuleID(c)] = v
	}
	for _, p := range rs.Paths {
		m[p.RuleID()] = p.Decision
	}
	if rs.MCP.Default != None {
		m[RuleMCPDefault] = rs.MCP.Default
	}
	for _, s := range rs.MCP.Servers {
		m[MCPReadRuleID(s.Name)] = s.Read
		m[MCPWriteRuleID(s.Name)] = s.Write
	}
	for id, l := range map[string][]string{RuleWebAllow: rs.Web.Allow, RuleWebAsk: rs.Web.Ask, RuleWebDeny: rs.Web.Deny} {
		if len(l) > 0 {
			v, _ := ParseVerdict(strings.TrimPrefix(id, "web."))
			m[id] = v
		}
	}
	if rs.Web.Default != None {
		m[RuleWebDefault] = rs.Web.Default
	}
	for _, c := range rs.Conditions {
		m[c.RuleID()] = c.Decision
	}
	return m
}

// RuleIDs lists, sorted, every rule id defined by the policy in any of its
// tiers (engine built-ins excluded: see BuiltinRuleIDs). Exceptions must
// name one of these or a built-in.
func RuleIDs(p *Policy) []string {
	seen := map[string]bool{}
	for _, rs := range p.rulesets() {
		for id := range rs.Rules() {
			seen[id] = true
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// rulesets resolves every tier leniently (invalid parts skipped), in tier
// order; with no tiers, the top-level rules alone.
func (p *Policy) rulesets() []*Ruleset {
	if len(p.Tiers) == 0 {
		return []*Ruleset{p.resolve(-1)}
	}
	out := make([]*Ruleset, len(p.Tiers))
	for i := range p.Tiers {
		out[i] = p.resolve(i)
	}
	return out
}
