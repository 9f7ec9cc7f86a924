package policy

import (
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
