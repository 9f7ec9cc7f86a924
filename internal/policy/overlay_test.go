package policy

import (
	"maps"
	"strings"
	"testing"
)

func TestApplyOverlays(t *testing.T) {
	base := baselineYAML
	out, p, err := ApplyOverlays("baseline", base, []Overlay{
		{Kind: OverlayRevokeMCPServer, Target: "github"},
		{Kind: OverlayRevokeMCPServer, Target: "notes"},
		{Kind: OverlayRepositoryTier, Target: "git@github.com:acme/payments*", Tier: "regulated"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) == string(base) {
		t.Fatal("document unchanged")
	}
	for _, tier := range p.TierNames() {
		rs, err := p.Ruleset(tier)
		if err != nil {
			t.Fatal(err)
		}
		rules := rs.Rules()
		for _, id := range []string{"mcp.github.read", "mcp.github.write", "mcp.notes.read", "mcp.notes.write"} {
			if rules[id] != Deny {
				t.Errorf("tier %s: %s is %v, want deny", tier, id, rules[id])
			}
		}
	}
	if got := p.TierFor("/home/dev/payments", "git@github.com:acme/payments-api.git"); got != "regulated" {
		t.Errorf("overlaid repository in tier %q, want regulated", got)
	}
	if got := p.TierFor("/home/dev/app", "git@github.com:acme/app.git"); got != p.DefaultTier {
		t.Errorf("other repository in tier %q, want the default %q", got, p.DefaultTier)
	}
	// The base document is untouched, and no overlays give it back.
	if again, _, err := ApplyOverlays("baseline", base, nil); err != nil || string(again) != string(base) {
		t.Errorf("no overlays: %v", err)
	}
	for name, o := range map[string]Overlay{
		"UnknownTier": {Kind: OverlayRepositoryTier, Target: "x", Tier: "platinum"},
		"UnknownKind": {Kind: "revoke_everything", Target: "x"},
		"NoServer":    {Kind: OverlayRevokeMCPServer},
	} {
		if _, _, err := ApplyOverlays("baseline", base, []Overlay{o}); err == nil {
			t.Errorf("%s: applied", name)
		} else if name == "UnknownTier" && !strings.Contains(err.Error(), "platinum") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestApplyOverlays_Pause: a pause leaves the policy's rules as they are
// (it is served signed, apart) but must name a tier the policy has.
func TestApplyOverlays_Pause(t *testing.T) {
	_, p, err := ApplyOverlays("baseline", baselineYAML, []Overlay{{Kind: OverlayPause, Target: "ci", Tier: "ci"}})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Parse("baseline", baselineYAML)
	for _, tier := range want.TierNames() {
		a, _ := want.Ruleset(tier)
		b, err := p.Ruleset(tier)
		if err != nil || !maps.Equal(a.Rules(), b.Rules()) {
			t.Errorf("tier %s changed by a pause (%v)", tier, err)
		}
	}
	for _, tc := range []struct {
		o    Overlay
		want string
	}{
		{Overlay{Kind: OverlayPause, Target: "gold", Tier: "gold"}, `unknown tier "gold"`},
		{Overlay{Kind: OverlayPause, Target: "x"}, "needs a tier"},
		{Overlay{Kind: "stop"}, "want one of revoke_mcp_server, repository_tier, pause"},
	} {
		if _, _, err := ApplyOverlays("baseline", baselineYAML, []Overlay{tc.o}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.want)
		}
	}
}

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
