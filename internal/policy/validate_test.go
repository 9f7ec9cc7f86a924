package policy

import (
	"strings"
	"testing"
	"time"
)

func TestPolicy_Warnings(t *testing.T) {
	p := mustParse(t, "w.yaml", `version: 1
name: w
revision: "1"
default_tier: t
commands:
  classes: {egress: deny, publish: ask, database: ask}
mcp:
  servers:
    - name: named-only
tiers: [{name: t}]
exceptions:
  - id: expired
    rule: commands.egress
    decision: ask
    owner: a@example.com
    reason: r
    expires: 2026-11-22
  - id: soon
    rule: commands.publish
    decision: allow
    owner: b@example.com
    reason: r
    expires: 2026-12-06
  - id: later
    rule: commands.database
    decision: allow
    owner: c@example.com
    reason: r
    expires: 2026-12-07
`)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	got := p.Warnings(now)
	want := []string{
		`w.yaml:9:7: mcp.servers[0]: MCP server "named-only" is approved by name only`,
		`w.yaml:17:14: exceptions[0].expires: exception "expired" expired on 2026-11-22 and no longer applies`,
		`w.yaml:23:14: exceptions[1].expires: exception "soon" expires in 14 day(s), at the end of 2026-12-06 (owner b@example.com)`,
	}
	if len(got) != len(want) {
		t.Fatalf("Warnings = %d:\n%v\nwant %d", len(got), got, len(want))
	}
	for i := range want {
		if !strings.Contains(got[i].String(), want[i]) {
			t.Errorf("warning %d = %s\nwant %s", i, got[i], want[i])
		}
	}
	if !strings.Contains(got[1].Pretty(), "   17 |     expires: 2026-11-22\n") {
		t.Errorf("Pretty() lacks the source line:\n%s", got[1].Pretty())
	}
}

func TestException_Expired(t *testing.T) {
	e := Exception{Expires: mustDate(t, "2026-03-31")}
	tests := []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2026, 3, 31, 23, 59, 59, 0, time.UTC), false},
		{time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2026, 3, 31, 20, 0, 0, 0, time.FixedZone("UTC-5", -5*3600)), true}, // 01:00 UTC on April 1
	}
	for _, tt := range tests {
		if got := e.Expired(tt.now); got != tt.want {
			t.Errorf("Expired(%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
	if !(Exception{}).Expired(time.Now()) {
		t.Error("an exception without expiry must count as expired")
	}
}

func TestPolicy_Validate_Programmatic(t *testing.T) {
	p := &Policy{Version: FormatVersion, Name: "go", Revision: "1", DefaultTier: "t", Tiers: []Tier{{Name: "t", Inherits: []string{"nope"}}}}
	err := p.Validate()
	errs := mustErrors(t, err)
	if len(errs.List) != 1 || errs.List[0].Error() != `<policy>: tiers[0].inherits[0]: unknown tier "nope" (tiers: t)` {
		t.Errorf("Validate() = %v", err)
	}
	p.Tiers[0].Inherits = nil
	if err := p.Validate(); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
}

func TestValidID(t *testing.T) {
	for s, want := range map[string]bool{
		"secrets": true, "control-plane": true, "a.b_c-9": true, "9a": true,
		"": false, "-a": false, "a b": false, "a/b": false, strings.Repeat("a", 101): false,
	} {
		if got := validID(s); got != want {
			t.Errorf("validID(%q) = %v, want %v", s, got, want)
		}
	}
}
