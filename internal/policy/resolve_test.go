package policy

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const mergeSrc = `
version: 1
name: merge
revision: "7"
default_tier: child
permissions:
  deny: [Bash(curl *)]
  allow: [Bash(ls)]
commands:
  classes: {egress: deny, database: ask}
  members: [{class: publish, command: mytool release}]
paths:
  - {id: secrets, access: read, decision: deny, patterns: [.env]}
  - {id: docs, access: write, decision: allow, patterns: [docs/**]}
mcp:
  default: deny
  servers:
    - {name: github, url: "https://example.com/mcp"}
web:
  allow: [go.dev]
conditions:
  - {id: c1, decision: ask, reason: r1, when: 'action.tool == "Bash"'}
tiers:
  - name: base
    failure: closed
    unknown_tool: deny
    block_config_change: true
    settings: {default_mode: default, sandbox: false}
    permissions:
      deny: [Bash(curl *), Bash(wget *)]
    commands:
      classes: {database: deny}
    web:
      allow: [GO.dev, pkg.go.dev]
      default: ask
  - name: extra
    paths:
      - {id: secrets, access: any, decision: ask, patterns: [secrets/**]}
    commands:
      members: [{class: publish, command: other}]
    mcp:
      servers:
        - {name: github, command: [gh-mcp], write: deny, write_words: [push]}
  - name: child
    inherits: [base, extra]
    block_config_change: false
    settings: {sandbox: true}
    commands:
      classes: {egress: ask}
    conditions:
      - {id: c1, decision: deny, reason: r2, when: 'action.tool == "Read"'}
  - name: open
    inherits: base
    failure: open
    unknown_tool: none
exceptions:
  - {id: all-tiers, rule: commands.egress, decision: ask, owner: o, reason: r, expires: 2099-01-01}
  - {id: base-only, rule: paths.secrets, decision: ask, tiers: [base], owner: o, reason: r, expires: 2099-01-01}
`

func TestPolicy_Ruleset(t *testing.T) {
	p := mustParse(t, "merge.yaml", mergeSrc)

	t.Run("Child", func(t *testing.T) {
		rs, err := p.Ruleset("")
		if err != nil {
			t.Fatal(err)
		}
		if rs.Tier != "child" || rs.Policy != "merge" || rs.Revision != "7" {
			t.Errorf("identity = %s/%s/%s", rs.Policy, rs.Revision, rs.Tier)
		}
		var native []string
		for _, n := range rs.Native {
			native = append(native, n.Verdict.String()+" "+n.Raw)
		}
		if want := []string{"deny Bash(curl *)", "allow Bash(ls)", "deny Bash(wget *)"}; !slices.Equal(native, want) {
			t.Errorf("Native = %q, want %q (appended, deduplicated)", native, want)
		}
		if got := rs.Classes; got["egress"] != Ask || got["database"] != Deny {
			t.Errorf("Classes = %v, want egress ask (child), database deny (base)", got)
		}
		if len(rs.Members) != 2 {
			t.Errorf("Members = %v, want both appended", rs.Members)
		}
		if len(rs.Paths) != 2 || rs.Paths[0].ID != "secrets" || rs.Paths[0].Decision != Ask || rs.Paths[1].ID != "docs" {
			t.Errorf("Paths = %+v, want secrets replaced in place by extra's, then docs", rs.Paths)
		}
		if s := rs.MCP.Servers; len(s) != 1 || s[0].URL != "" || s[0].Write != Deny || s[0].Read != Allow || !slices.Equal(s[0].WriteWords, []string{"push"}) {
			t.Errorf("MCP.Servers = %+v, want extra's github with read defaulted to allow", s)
		}
		if rs.MCP.Default != Deny {
			t.Errorf("MCP.Default = %v, want deny", rs.MCP.Default)
		}
		if !slices.Equal(rs.Web.Allow, []string{"go.dev", "pkg.go.dev"}) || rs.Web.Default != Ask {
			t.Errorf("Web = %+v, want allow [go.dev pkg.go.dev] (lower-cased, deduplicated), default ask", rs.Web)
		}
		if len(rs.Conditions) != 1 || rs.Conditions[0].Reason != "r2" {
			t.Errorf("Conditions = %+v, want c1 replaced by child's", rs.Conditions)
		}
		if rs.FailOpen || rs.UnknownTool != Deny {
			t.Errorf("FailOpen = %v, UnknownTool = %v; want false, deny (inherited)", rs.FailOpen, rs.UnknownTool)
		}
		if rs.BlockConfigChange {
			t.Error("BlockConfigChange = true, want false (child sets it explicitly)")
		}
		if rs.Settings["default_mode"] != "default" || rs.Settings["sandbox"] != true {
			t.Errorf("Settings = %v, want default_mode inherited, sandbox overridden", rs.Settings)
		}
		if len(rs.Exceptions) != 1 || rs.Exceptions[0].ID != "all-tiers" {
			t.Errorf("Exceptions = %+v, want only all-tiers", rs.Exceptions)
		}
	})

	t.Run("Base", func(t *testing.T) {
		rs, err := p.Ruleset("base")
		if err != nil {
			t.Fatal(err)
		}
		if !rs.BlockConfigChange || rs.Classes["egress"] != Deny {
			t.Errorf("BlockConfigChange = %v, egress = %v", rs.BlockConfigChange, rs.Classes["egress"])
		}
		if len(rs.Exceptions) != 2 {
			t.Errorf("Exceptions = %d, want 2", len(rs.Exceptions))
		}
		if s := rs.MCP.Servers[0]; s.Write != Ask || s.Read != Allow {
			t.Errorf("server defaults = %+v, want read allow and write ask", s)
		}
	})

	t.Run("Open", func(t *testing.T) {
		rs, err := p.Ruleset("open")
		if err != nil {
			t.Fatal(err)
		}
		if !rs.FailOpen || rs.UnknownTool != None || !rs.BlockConfigChange {
			t.Errorf("FailOpen = %v, UnknownTool = %v, BlockConfigChange = %v; want true, none (set explicitly), true", rs.FailOpen, rs.UnknownTool, rs.BlockConfigChange)
		}
	})

	t.Run("UnknownTier", func(t *testing.T) {
		_, err := p.Ruleset("prod")
		if err == nil || !strings.Contains(err.Error(), `unknown tier "prod" (tiers: base, extra, child, open)`) {
			t.Errorf("error = %v", err)
		}
	})

	t.Run("Defaults", func(t *testing.T) {
		rs, err := mustParse(t, "m.yaml", "version: 1\nname: m\nrevision: r\ndefault_tier: t\ntiers: [{name: t}]\n").Ruleset("t")
		if err != nil {
			t.Fatal(err)
		}
		if rs.FailOpen || rs.UnknownTool != Ask || rs.BlockConfigChange {
			t.Errorf("defaults = %+v, want fail closed, unknown_tool ask", rs)
		}
	})

	t.Run("InvalidNativeRule", func(t *testing.T) {
		p := &Policy{Name: "go", DefaultTier: "t", Tiers: []Tier{{Name: "t"}}}
		p.Permissions.Deny = []string{"Bash("}
		if _, err := p.Ruleset(""); err == nil {
			t.Error("Ruleset succeeded with an invalid native rule")
		}
	})
}

func TestPolicy_Ruleset_Diamond(t *testing.T) {
	p := mustParse(t, "d.yaml", `
version: 1
name: d
revision: "1"
default_tier: leaf
tiers:
  - name: root
    commands: {classes: {egress: deny}}
  - name: left
    inherits: root
    commands: {classes: {egress: ask}}
  - name: right
    inherits: root
  - name: leaf
    inherits: [left, right]
`)
	rs, err := p.Ruleset("leaf")
	if err != nil {
		t.Fatal(err)
	}
	if got := rs.Classes["egress"]; got != Ask {
		t.Errorf("egress = %v, want ask: root merges once, before left", got)
	}
}

func TestPolicy_TierFor(t *testing.T) {
	p := mustParse(t, "t.yaml", `
version: 1
name: t
revision: "1"
default_tier: default
tiers: [{name: default}, {name: payments}, {name: scratch}, {name: both}]
repositories:
  - {remote: "github.com/acme/payments-*", tier: payments}
  - {path: "/home/*/scratch/**", tier: scratch}
  - {path: "/srv/**", remote: "git@github.com:acme/*.git", tier: both}
`)
	tests := []struct {
		name, path, remote, want string
	}{
		{"RemoteSCP", "/work/pay", "git@github.com:acme/payments-api.git", "payments"},
		{"RemoteHTTPS", "", "https://github.com/acme/payments-web", "payments"},
		{"RemoteSSH", "", "ssh://git@GitHub.com/acme/payments-web.git", "payments"},
		{"Path", "/home/dev/scratch/tool", "", "scratch"},
		{"PathAndRemote", "/srv/api", "https://github.com/acme/api.git", "both"},
		{"PathOnlyOfBoth", "/srv/api", "https://gitlab.com/acme/api.git", "default"},
		{"NoMatch", "/home/dev/app", "https://github.com/other/x", "default"},
		{"Empty", "", "", "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.TierFor(tt.path, tt.remote); got != tt.want {
				t.Errorf("TierFor(%q, %q) = %q, want %q", tt.path, tt.remote, got, tt.want)
			}
		})
	}
}

func TestNormalizeRemote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"git@github.com:acme/api.git", "github.com/acme/api"},
		{"https://github.com/acme/api.git", "github.com/acme/api"},
		{"ssh://git@github.com/acme/api", "github.com/acme/api"},
		{"https://user@GitLab.example.com/g/p/", "gitlab.example.com/g/p"},
		{"github.com/acme/*", "github.com/acme/*"},
	}
	for _, tt := range tests {
		if got := NormalizeRemote(tt.in); got != tt.want {
			t.Errorf("NormalizeRemote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRuleset_Exception(t *testing.T) {
	rs := &Ruleset{Exceptions: []Exception{
		{ID: "expired", Rule: "commands.egress", Decision: Ask, Expires: mustDate(t, "2026-01-31")},
		{ID: "other-repo", Rule: "commands.egress", Decision: Ask, Repositories: []string{"github.com/acme/other"}, Expires: mustDate(t, "2099-01-01")},
		{ID: "api", Rule: "commands.egress", Decision: Allow, Repositories: []string{"github.com/acme/api", "/srv/**"}, Expires: mustDate(t, "2099-01-01")},
	}}
	now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, rule, path, remote, want string
	}{
		{"ByRemote", "commands.egress", "", "git@github.com:acme/api.git", "api"},
		{"ByPath", "commands.egress", "/srv/x", "", "api"},
		{"OtherRule", "commands.publish", "/srv/x", "", ""},
		{"NoRepository", "commands.egress", "/home/dev/app", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if e := rs.Exception(tt.rule, tt.path, tt.remote, now); e != nil {
				got = e.ID
			}
			if got != tt.want {
				t.Errorf("Exception = %q, want %q", got, tt.want)
			}
		})
	}
	if e := rs.Exception("commands.egress", "", "", now.Add(-time.Nanosecond)); e == nil || e.ID != "expired" {
		t.Errorf("at the last instant of its day the exception still applies, got %v", e)
	}
}

func mustDate(tb testing.TB, s string) Date {
	tb.Helper()
	d, err := ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func TestRuleIDs(t *testing.T) {
	p := mustParse(t, "merge.yaml", mergeSrc)
	got := RuleIDs(p)
	want := []string{
		"commands.database", "commands.egress", "conditions.c1", "mcp.default", "mcp.github.read",
		"mcp.github.write", "native:Bash(curl *)", "native:Bash(ls)", "native:Bash(wget *)",
		"paths.docs", "paths.secrets", "tier.unknown_tool", "web.allow", "web.default",
	}
	if !slices.Equal(got, want) {
		t.Errorf("RuleIDs =\n%q\nwant\n%q", got, want)
	}
}
