package hookproto

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/policy"
)

// preToolUseOutput is PreToolUse's answer. Verified on 2.1.330: deny blocks,
// ask blocks headless (prompts interactively), allow runs the tool unless a
// deny rule matches (shared/spec/claude-code.md, section b).
type preToolUseOutput struct {
	HookSpecificOutput struct {
		HookEventName            string `json:"hookEventName"`
		PermissionDecision       string `json:"permissionDecision"`
		PermissionDecisionReason string `json:"permissionDecisionReason"`
	} `json:"hookSpecificOutput"`
}

// permissionRequestOutput is PermissionRequest's answer. The hooks reference
// (code.claude.com/docs/en/hooks, "PermissionRequest decision control")
// documents hookSpecificOutput.decision with behavior "allow" or "deny"; for
// deny, message "tells Claude why the permission was denied" and an optional
// interrupt stops Claude. Warden only ever denies here, without interrupt.
type permissionRequestOutput struct {
	HookSpecificOutput struct {
		HookEventName string `json:"hookEventName"`
		Decision      struct {
			Behavior string `json:"behavior"`
			Message  string `json:"message,omitempty"`
		} `json:"decision"`
	} `json:"hookSpecificOutput"`
}

// blockOutput is ConfigChange's answer. The hooks reference ("ConfigChange
// decision control") documents exit code 2 or top-level {"decision":"block",
// "reason":...}: the new settings are not applied to the running session,
// except policy_settings changes, which cannot be blocked. Warden uses the
// JSON form with exit 0, its one way of answering everywhere else too.
type blockOutput struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

func preToolUseAnswer(v policy.Verdict, reason string) []byte {
	var o preToolUseOutput
	o.HookSpecificOutput.HookEventName = EventPreToolUse
	o.HookSpecificOutput.PermissionDecision = v.String()
	o.HookSpecificOutput.PermissionDecisionReason = reason
	return encode(o)
}

func permissionRequestDeny(reason string) []byte {
	var o permissionRequestOutput
	o.HookSpecificOutput.HookEventName = EventPermissionRequest
	o.HookSpecificOutput.Decision.Behavior = "deny"
	o.HookSpecificOutput.Decision.Message = reason
	return encode(o)
}

func configChangeBlock(reason string) []byte {
	return encode(blockOutput{Decision: "block", Reason: reason})
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

func encode(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only strings and fixed structs are encoded here: unreachable.
		panic("hookproto: encode answer: " + err.Error())
	}
	return b.Bytes()
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
