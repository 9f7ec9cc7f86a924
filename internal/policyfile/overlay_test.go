package policyfile

import (
	"maps"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
)

func TestApplyOverlays(t *testing.T) {
	base := policy.BaselineYAML()
	out, p, err := ApplyOverlays("baseline", base, []policy.Overlay{
		{Kind: policy.OverlayRevokeMCPServer, Target: "github"},
		{Kind: policy.OverlayRevokeMCPServer, Target: "notes"},
		{Kind: policy.OverlayRepositoryTier, Target: "git@github.com:acme/payments*", Tier: "regulated"},
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
			if rules[id] != policy.Deny {
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
	for name, o := range map[string]policy.Overlay{
		"UnknownTier": {Kind: policy.OverlayRepositoryTier, Target: "x", Tier: "platinum"},
		"UnknownKind": {Kind: "revoke_everything", Target: "x"},
		"NoServer":    {Kind: policy.OverlayRevokeMCPServer},
	} {
		if _, _, err := ApplyOverlays("baseline", base, []policy.Overlay{o}); err == nil {
			t.Errorf("%s: applied", name)
		} else if name == "UnknownTier" && !strings.Contains(err.Error(), "platinum") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestApplyOverlays_Pause: a pause leaves the policy's rules as they are
// (it is served signed, apart) but must name a tier the policy has.
func TestApplyOverlays_Pause(t *testing.T) {
	_, p, err := ApplyOverlays("baseline", policy.BaselineYAML(), []policy.Overlay{{Kind: policy.OverlayPause, Target: "ci", Tier: "ci"}})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Parse("baseline", policy.BaselineYAML())
	for _, tier := range want.TierNames() {
		a, _ := want.Ruleset(tier)
		b, err := p.Ruleset(tier)
		if err != nil || !maps.Equal(a.Rules(), b.Rules()) {
			t.Errorf("tier %s changed by a pause (%v)", tier, err)
		}
	}
	for _, tc := range []struct {
		o    policy.Overlay
		want string
	}{
		{policy.Overlay{Kind: policy.OverlayPause, Target: "gold", Tier: "gold"}, `unknown tier "gold"`},
		{policy.Overlay{Kind: policy.OverlayPause, Target: "x"}, "needs a tier"},
		{policy.Overlay{Kind: "stop"}, "want one of revoke_mcp_server, repository_tier, pause"},
	} {
		if _, _, err := ApplyOverlays("baseline", policy.BaselineYAML(), []policy.Overlay{tc.o}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.want)
		}
	}
}
