package policy

import "slices"

// PauseStateRule is the id of the path rule a paused ruleset adds: any
// access to Warden's own state and configuration is denied.
const PauseStateRule = "warden-state"

// PausedRules are the rule IDs whose denials stand while Warden's
// decisions are paused (an administrator's signed pause, OverlayPause):
// a paused Warden must not let the agent un-pause, stop or uninstall it,
// rewrite its cached policy or pause list, or read its device key or
// client token. Every other decision of a paused tier is "no opinion".
var PausedRules = []string{
	"commands." + ClassWardenTamper,
	"paths.warden",
	"paths." + PauseStateRule,
}

// IsPausedRule reports whether a decision by rule stands during a pause.
func IsPausedRule(rule string) bool { return slices.Contains(PausedRules, rule) }

// pauseStatePatterns are Warden's files the paused ruleset denies every
// access to, beside the state directory the hook actually uses.
var pauseStatePatterns = []string{
	"device.key",
	"warden-client.json",
	"~/.local/state/warden",
	"~/.local/state/warden/**",
	"~/.config/warden/**",
	"//etc/warden/**",
	"//etc/claude-code/**",
	"//Library/Application Support/ClaudeCode/**",
}

// PausedRuleset is the ruleset a tier is decided under while it is
// paused: rs's identity (policy, revision, tier, failure mode) with only
// Warden's self-protection left, each a deny whatever rs says:
//
//   - the warden-tamper command class (killing Warden, `warden
//     uninstall`, `warden policy pause` and `resume`, unsetting WARDEN_*
//     and OTEL_*, nested agents with permissions bypassed);
//   - rs's own `warden` path rule, writes to Warden's state and to Claude
//     Code's managed settings, when rs has one;
//   - a `warden-state` path rule: any access, read or write, to
//     Warden's state directory (stateDir and the default one), its
//     configuration directories, the device key and the client
//     configuration.
//
// No native rule, MCP or web rule, condition, exception or unknown-tool
// decision is kept. The hook also answers only the denials of
// PausedRules while paused, so an engine verdict of another rule (a
// parse error's ask, say) gives no opinion.
func PausedRuleset(rs *Ruleset, stateDir string) *Ruleset {
	out := &Ruleset{
		Policy:            rs.Policy,
		Revision:          rs.Revision,
		Tier:              rs.Tier,
		FailOpen:          rs.FailOpen,
		BlockConfigChange: false,
		Classes:           map[string]Verdict{ClassWardenTamper: Deny},
		Members:           slices.Clone(rs.Members),
	}
	for _, p := range rs.Paths {
		if p.ID == "warden" {
			p.Decision = Deny
			out.Paths = append(out.Paths, p)
		}
	}
	patterns := slices.Clone(pauseStatePatterns)
	if stateDir != "" {
		patterns = append(patterns, "/"+stateDir, "/"+stateDir+"/**")
	}
	out.Paths = append(out.Paths, PathRule{
		ID:       PauseStateRule,
		Access:   AccessAny,
		Decision: Deny,
		Reason:   "touches Warden's own state while Warden is paused",
		Patterns: patterns,
	})
	return out
}
