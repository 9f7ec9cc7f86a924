package policy

import (
	"testing"
)

// TestPausedRuleset: the paused ruleset keeps the policy's identity and
// only Warden's self-protection, each a deny.
func TestPausedRuleset(t *testing.T) {
	rs, err := Baseline().Ruleset("low-risk")
	if err != nil {
		t.Fatal(err)
	}
	p := PausedRuleset(rs, "/home/dev/.local/state/warden")
	if p.Policy != rs.Policy || p.Tier != "low-risk" || p.Revision != rs.Revision {
		t.Errorf("identity %s %s %s", p.Policy, p.Revision, p.Tier)
	}
	got := p.Rules()
	for id, v := range got {
		if v != None && !IsPausedRule(id) {
			t.Errorf("rule %s (%v) survives a pause", id, v)
		}
	}
	for _, id := range PausedRules {
		if got[id] != Deny {
			t.Errorf("%s is %v, want deny", id, got[id])
		}
	}
	if len(p.Native) != 0 || len(p.Conditions) != 0 || len(p.Exceptions) != 0 || p.UnknownTool != None || p.BlockConfigChange {
		t.Errorf("paused ruleset keeps more than self-protection: %+v", p)
	}
}
