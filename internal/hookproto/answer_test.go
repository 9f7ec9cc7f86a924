package hookproto

import (
	"bytes"
	"encoding/json"
	"testing"

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

func encodeByReflection(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// checkAnswers compares the hand-written answers with encoding/json's.
func checkAnswers(t *testing.T, reason string) {
	t.Helper()
	for _, v := range []policy.Verdict{policy.Deny, policy.Ask, policy.Allow} {
		var o preToolUseOutput
		o.HookSpecificOutput.HookEventName = EventPreToolUse
		o.HookSpecificOutput.PermissionDecision = v.String()
		o.HookSpecificOutput.PermissionDecisionReason = reason
		if got, want := preToolUseAnswer(v, reason), encodeByReflection(o); !bytes.Equal(got, want) {
			t.Fatalf("preToolUseAnswer(%v, %q) = %s, want %s", v, reason, got, want)
		}
	}
	var p permissionRequestOutput
	p.HookSpecificOutput.HookEventName = EventPermissionRequest
	p.HookSpecificOutput.Decision.Behavior = "deny"
	p.HookSpecificOutput.Decision.Message = reason
	if got, want := permissionRequestDeny(reason), encodeByReflection(p); !bytes.Equal(got, want) {
		t.Fatalf("permissionRequestDeny(%q) = %s, want %s", reason, got, want)
	}
	if got, want := configChangeBlock(reason), encodeByReflection(blockOutput{Decision: "block", Reason: reason}); !bytes.Equal(got, want) {
		t.Fatalf("configChangeBlock(%q) = %s, want %s", reason, got, want)
	}
}

// TestAnswers_Encoding: the answers are what encoding/json writes.
func TestAnswers_Encoding(t *testing.T) {
	for _, r := range []string{"", "Warden: `cat .env` reads a secret [rule paths.secrets, policy baseline@2026.1]",
		"<script>&amp;", "quote \" backslash \\ tab\t nl\n", "\x00\x1f", "bad\xff", "\u2028\u2029", "é✓😀"} {
		checkAnswers(t, r)
	}
}

// FuzzAnswers: any reason encodes as encoding/json encodes it.
func FuzzAnswers(f *testing.F) {
	f.Add("<&> \u2028 \xff")
	f.Fuzz(checkAnswers)
}
