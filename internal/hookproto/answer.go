package hookproto

import (
	"strings"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
)

// The answers, as Claude Code reads them. PreToolUse's: verified on
// 2.1.330, deny blocks, ask blocks headless (prompts interactively), allow
// runs the tool unless a deny rule matches (shared/spec/claude-code.md,
// section b). PermissionRequest's: the hooks reference
// (code.claude.com/docs/en/hooks, "PermissionRequest decision control")
// documents hookSpecificOutput.decision with behavior "allow" or "deny";
// for deny, message "tells Claude why the permission was denied". Warden
// only ever denies there, without interrupt. ConfigChange's: the
// reference documents exit code 2 or top-level {"decision":"block",
// "reason":...}; Warden uses the JSON form with exit 0, its one way of
// answering everywhere else too.
//
// They are written by hand, byte for byte what encoding/json writes for
// the structs of answer_test.go with HTML escaping off
// (TestAnswers_Encoding): a hook process would otherwise build
// encoding/json's cache of their fields by reflection to write one line.

func preToolUseAnswer(v policy.Verdict, reason string) []byte {
	b := append(make([]byte, 0, 128+len(reason)), `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":`...)
	b = record.AppendJSONString(b, v.String(), false)
	b = append(b, `,"permissionDecisionReason":`...)
	b = record.AppendJSONString(b, reason, false)
	return append(b, "}}\n"...)
}

func permissionRequestDeny(reason string) []byte {
	b := append(make([]byte, 0, 128+len(reason)), `{"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"deny"`...)
	if reason != "" {
		b = append(b, `,"message":`...)
		b = record.AppendJSONString(b, reason, false)
	}
	return append(b, "}}}\n"...)
}

func configChangeBlock(reason string) []byte {
	b := append(make([]byte, 0, 64+len(reason)), `{"decision":"block","reason":`...)
	b = record.AppendJSONString(b, reason, false)
	return append(b, "}\n"...)
}

// DenyAnswer is the fail-closed answer for an event: PermissionRequest's
// own shape (decision.behavior "deny"), else PreToolUse's
// (permissionDecision "deny"), which other events ignore, so it is also the
// answer when the event is unknown because the input did not parse.
func DenyAnswer(event, reason string) []byte {
	if event == EventPermissionRequest {
		return permissionRequestDeny(reason)
	}
	return preToolUseAnswer(policy.Deny, reason)
}

// decisionReason formats the reason shown to Claude and the user:
// "Warden: <reason> [rule <id>, policy <name>@<version>]".
func decisionReason(d engine.Decision, meta Meta) string {
	reason := strings.TrimSpace(d.Reason)
	if reason == "" {
		switch d.Verdict {
		case policy.Deny:
			reason = "blocked by policy"
		case policy.Ask:
			reason = "needs your approval under policy"
		default:
			reason = "allowed by policy"
		}
	}
	var tags []string
	if d.RuleID != "" {
		tags = append(tags, "rule "+d.RuleID)
	}
	if name := first(d.Policy, meta.Policy); name != "" {
		tags = append(tags, "policy "+policyLabel(name, first(d.PolicyVersion, meta.PolicyVersion)))
	}
	s := "Warden: " + reason
	if len(tags) > 0 {
		s += " [" + strings.Join(tags, ", ") + "]"
	}
	return s
}

// policyLabel is "name@version", or just the name when unversioned.
func policyLabel(name, version string) string {
	if name == "" {
		name = "(unnamed)"
	}
	if version == "" {
		return name
	}
	return name + "@" + version
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
