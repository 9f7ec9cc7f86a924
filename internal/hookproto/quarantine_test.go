package hookproto

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
)

// TestRespond_Quarantine: a quarantined session's decision events are
// denied, naming the quarantine, whatever the policy says or whether it
// loaded, fail-open included; events that decide nothing are recorded as
// before.
func TestRespond_Quarantine(t *testing.T) {
	q := &record.Quarantine{SessionID: "s1", Reason: "exfiltration attempt", By: "rule:exfil", Time: time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)}
	env := testEnv()
	env.Quarantine = q
	allow := Policy{Decider: &fakeDecider{verdict: policy.Allow}, Meta: testMeta}
	broken := Policy{Err: errors.New("bad policy"), Meta: Meta{FailOpen: true}}
	failOpen := env
	failOpen.Fail = FailOpen
	permission := `{"session_id":"s1","hook_event_name":"PermissionRequest","tool_name":"Bash","cwd":"/home/dev/app","tool_input":{"command":"ls"}}`
	post := `{"session_id":"s1","hook_event_name":"PostToolUse","tool_name":"Bash","tool_use_id":"t1","cwd":"/home/dev/app","tool_input":{"command":"ls"},"tool_response":{}}`
	for _, tc := range []struct {
		name, input string
		pol         Policy
		env         Env
		deny        string // substring of the answer; "" for no answer
	}{
		{"PreToolUse", bashInput("ls"), allow, env, `"permissionDecision":"deny"`},
		{"PermissionRequest", permission, allow, env, `"behavior":"deny"`},
		{"PolicyFailedOpen", bashInput("ls"), broken, failOpen, `"permissionDecision":"deny"`},
		{"PostToolUse", post, allow, env, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Respond(mustDecode(t, tc.input), tc.pol, tc.env)
			if tc.deny == "" {
				if r.Answer != nil {
					t.Errorf("answer %s, want none", r.Answer)
				}
				return
			}
			if !strings.Contains(string(r.Answer), tc.deny) {
				t.Fatalf("answer %s, want %s", r.Answer, tc.deny)
			}
			for _, want := range []string{"quarantined", "rule:exfil", "exfiltration attempt", QuarantineRuleID} {
				if !strings.Contains(r.Reason, want) {
					t.Errorf("reason %q lacks %q", r.Reason, want)
				}
			}
			ev := r.Events[0]
			if ev.Decision != record.DecisionDeny || ev.RuleID != QuarantineRuleID || ev.Tool != "Bash" {
				t.Errorf("audit %+v", ev)
			}
		})
	}
	// Without a quarantine the same call is allowed.
	if r := Respond(mustDecode(t, bashInput("ls")), allow, testEnv()); !strings.Contains(string(r.Answer), `"allow"`) {
		t.Errorf("no quarantine: %s", r.Answer)
	}
}
