package hookproto

import (
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
)

// TestPaused: during a pause only the denials of policy.PausedRules
// stand; every other verdict, deny or ask or allow, becomes no opinion
// with the pause as its reason.
func TestPaused(t *testing.T) {
	p := &record.Pause{Tier: "ci", Until: time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC), Reason: "INC-7\nhook outage", By: "token:alice"}
	for _, tc := range []struct {
		in   engine.Decision
		want policy.Verdict
	}{
		{engine.Decision{Verdict: policy.Deny, RuleID: "commands.warden-tamper", Reason: "kills Warden"}, policy.Deny},
		{engine.Decision{Verdict: policy.Deny, RuleID: "paths.warden", Reason: "writes Warden's state"}, policy.Deny},
		{engine.Decision{Verdict: policy.Deny, RuleID: "paths.warden-state", Reason: "reads the key"}, policy.Deny},
		{engine.Decision{Verdict: policy.Deny, RuleID: "commands.vcs-force-push", Reason: "force push"}, policy.None},
		{engine.Decision{Verdict: policy.Ask, RuleID: "commands.warden-tamper", Reason: "odd"}, policy.None},
		{engine.Decision{Verdict: policy.Allow, RuleID: "native:Bash(ls)"}, policy.None},
		{engine.Decision{Verdict: policy.Deny, RuleID: "engine.parse-error"}, policy.None},
	} {
		got := Paused(tc.in, p)
		if got.Verdict != tc.want {
			t.Errorf("%s %s: %v, want %v", tc.in.Verdict, tc.in.RuleID, got.Verdict, tc.want)
			continue
		}
		want := "Warden is paused for tier ci until 2026-12-07T14:00:00Z by token:alice"
		if !strings.Contains(got.Reason, want) {
			t.Errorf("%s: reason %q lacks %q", tc.in.RuleID, got.Reason, want)
		}
		if tc.want == policy.None && (got.RuleID != "" || !strings.HasSuffix(got.Reason, ": INC-7 hook outage")) {
			t.Errorf("%s: no-opinion decision %+v", tc.in.RuleID, got)
		}
	}
}
