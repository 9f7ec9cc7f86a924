package policy

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite generated files (baseline_gen.go, docs/policy.schema.json)")

func TestBaseline(t *testing.T) {
	p, err := Parse(BaselineFile, baselineYAML)
	if err != nil {
		t.Fatalf("embedded baseline is invalid:\n%s", mustErrors(t, err).Pretty())
	}
	if ws := p.Warnings(time.Now()); len(ws) > 0 {
		t.Errorf("baseline has warnings: %v", ws)
	}
	if got, want := p.TierNames(), []string{"low-risk", "production-adjacent", "regulated", "privileged-infra", "ci"}; !slices.Equal(got, want) {
		t.Errorf("tiers = %q, want %q", got, want)
	}
	if p.DefaultTier != "production-adjacent" {
		t.Errorf("default_tier = %q", p.DefaultTier)
	}
	if p.Guidance == "" || p.Revision == "" || p.Name != "baseline" {
		t.Errorf("name %q, revision %q, guidance %d bytes", p.Name, p.Revision, len(p.Guidance))
	}
	if !bytes.HasPrefix(BaselineYAML(), []byte("# yaml-language-server: $schema="+SchemaURL+"\n")) {
		t.Error("baseline.yaml does not start with the schema modeline")
	}
}

// TestBaseline_Decisions pins the baseline's decisions per tier: the corpus
// tests behaviour through the engine; this pins the policy it reads.
func TestBaseline_Decisions(t *testing.T) {
	common := map[string]Verdict{
		ClassEgress: Deny, ClassDestructive: Deny, ClassInfraApply: Deny, ClassVCSForcePush: Deny,
		ClassPrivileged: Ask, ClassPackageInstall: Ask, ClassPublish: Ask, ClassInfrastructure: Ask,
		ClassDatabase: Ask, ClassVCSWrite: Ask, ClassVCSPushProtected: Ask, ClassDeleteOutside: Ask,
		ClassPersistence: Ask, ClassEnvSecrets: Ask, ClassSecretVariable: Deny, ClassWardenTamper: Deny,
		ClassLocalDiscard: Ask,
	}
	ci := map[string]Verdict{}
	for c, v := range common {
		ci[c] = v
	}
	ci[ClassVCSPushProtected], ci[ClassPublish], ci[ClassDatabase] = Deny, Deny, Deny

	tests := []struct {
		tier        string
		classes     map[string]Verdict
		blockConfig bool
		settings    map[string]any
	}{
		{"low-risk", common, false, map[string]any{"default_mode": "default", "disable_bypass_permissions": true}},
		{"production-adjacent", common, false, map[string]any{"default_mode": "default", "disable_bypass_permissions": true}},
		{"regulated", common, true, map[string]any{"default_mode": "default", "disable_bypass_permissions": true, "sandbox": true,
			"sandbox_managed_domains_only": true, "allow_managed_permission_rules_only": true, "allow_managed_hooks_only": true,
			"allow_managed_mcp_servers_only": true}},
		{"privileged-infra", common, true, map[string]any{"default_mode": "default", "disable_bypass_permissions": true,
			"allow_managed_permission_rules_only": true, "allow_managed_hooks_only": true, "allow_managed_mcp_servers_only": true}},
		{"ci", ci, false, map[string]any{"default_mode": "default", "disable_bypass_permissions": false,
			"allow_managed_hooks_only": true, "allow_managed_mcp_servers_only": true}},
	}
	for _, tt := range tests {
		t.Run(tt.tier, func(t *testing.T) {
			rs, err := Baseline().Ruleset(tt.tier)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rs.Classes, tt.classes) {
				t.Errorf("classes = %v\nwant %v", rs.Classes, tt.classes)
			}
			if rs.FailOpen || rs.UnknownTool != Ask || rs.BlockConfigChange != tt.blockConfig {
				t.Errorf("FailOpen %v, UnknownTool %v, BlockConfigChange %v", rs.FailOpen, rs.UnknownTool, rs.BlockConfigChange)
			}
			if !reflect.DeepEqual(rs.Settings, tt.settings) {
				t.Errorf("settings = %v, want %v", rs.Settings, tt.settings)
			}
			// CI denies deploys with infrastructure apply (seed 003's CI
			// section); other tiers leave them to the infrastructure class.
			deploys := 0
			for _, m := range rs.Members {
				if m.Class == ClassInfraApply {
					deploys++
				}
			}
			if (tt.tier == "ci") != (deploys > 0) {
				t.Errorf("%d deploy commands in infrastructure-apply", deploys)
			}
			rules := rs.Rules()
			for id, want := range map[string]Verdict{
				"paths.secrets": Deny, "paths.control-plane": Ask, "web.allow": Allow, "web.default": Ask,
				"mcp.default": Deny, "mcp.github.read": Allow, "mcp.github.write": Ask,
				"mcp.filesystem.read": Allow, "mcp.filesystem.write": Ask,
				"native:Bash(git status)": Allow, "native:Bash(pwd)": Allow,
			} {
				if got := rules[id]; got != want {
					t.Errorf("%s = %v, want %v", id, got, want)
				}
			}
			if len(rs.Native) != 10 {
				t.Errorf("%d native rules, want the 10 read-only allows", len(rs.Native))
			}
			for _, n := range rs.Native {
				if n.Verdict != Allow {
					t.Errorf("native %s is %v; the baseline only allows natively", n.Raw, n.Verdict)
				}
			}
		})
	}

	rs, _ := Baseline().Ruleset("")
	secrets, plane := rs.Paths[0], rs.Paths[1]
	if secrets.Access != AccessRead || secrets.Reason != "reads a secret" || len(secrets.Patterns) < 60 ||
		!slices.Equal(secrets.Except, []string{".env.example", ".env.sample", ".env.template"}) {
		t.Errorf("secrets = %+v", secrets)
	}
	for _, pat := range []string{".env", ".env.*", "~/.ssh/**", "~/.kube/**", "*.pem", "id_ed25519", "~/.config/gh/hosts.yml", "~/.password-store/**", "//run/secrets/**"} {
		if !slices.Contains(secrets.Patterns, pat) {
			t.Errorf("secrets lacks %s", pat)
		}
	}
	const authWords = "<{*auth,*authn,*authz,*authent*,*authoriz*,*authoris*,oauth*}>"
	if plane.Access != AccessWrite {
		t.Errorf("control-plane access = %s", plane.Access)
	}
	for _, pat := range []string{".github/workflows/**", ".claude/**", ".mcp.json", "*.tf", "helm/**", authWords, authWords + "/**", "yarn.lock"} {
		if !slices.Contains(plane.Patterns, pat) {
			t.Errorf("control-plane lacks %s", pat)
		}
	}
	if got := rs.Web.Allow; !slices.Equal(got, []string{"docs.python.org", "go.dev", "pkg.go.dev", "developer.mozilla.org", "docs.github.com"}) {
		t.Errorf("web.allow = %q", got)
	}
}

// TestBaseline_Generated keeps baseline_gen.go, the pre-decoded form
// Baseline() returns, identical to what parsing baseline.yaml gives.
// Regenerate with: go test ./internal/policy -run TestBaseline_Generated -update
func TestBaseline_Generated(t *testing.T) {
	p, err := Parse(BaselineFile, baselineYAML)
	if err != nil {
		t.Fatal(err)
	}
	src, err := generateBaseline(p)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("baseline_gen.go", src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cur, err := os.ReadFile("baseline_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cur, src) {
		t.Fatal("baseline_gen.go is stale; run: go test ./internal/policy -run TestBaseline_Generated -update")
	}
	parsed := *p
	parsed.meta = nil
	if got := Baseline(); !reflect.DeepEqual(*got, parsed) {
		t.Errorf("Baseline() differs from parsing baseline.yaml:\n%+v\n%+v", *got, parsed)
	}
	// The generated form has no source positions, so it cannot tell an
	// explicit "block_config_change: false" or "unknown_tool: none" from an
	// absent one; resolving every tier both ways proves the baseline does
	// not depend on that.
	for _, tier := range p.TierNames() {
		want, err := p.Ruleset(tier)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Baseline().Ruleset(tier)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("tier %s resolves differently from the generated baseline:\n%+v\n%+v", tier, got, want)
		}
	}
}

func BenchmarkBaseline(b *testing.B) {
	b.Run("ParseYAML", func(b *testing.B) {
		for b.Loop() {
			if _, err := Parse(BaselineFile, baselineYAML); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Generated", func(b *testing.B) {
		for b.Loop() {
			_ = baselinePolicy()
		}
	})
	b.Run("Ruleset", func(b *testing.B) {
		p := Baseline()
		for b.Loop() {
			if _, err := p.Ruleset(""); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// generateBaseline prints p as the Go source of baselinePolicy.
func generateBaseline(p *Policy) ([]byte, error) {
	var b strings.Builder
	b.WriteString("// Code generated by TestBaseline_Generated from baseline.yaml; DO NOT EDIT.\n\npackage policy\n\n")
	b.WriteString("// baselinePolicy returns baseline.yaml as decoded by Parse, without the\n// YAML parse: Baseline() runs in every hook call that uses it.\n")
	b.WriteString("func baselinePolicy() *Policy {\n\treturn &")
	if err := goLiteral(&b, reflect.ValueOf(*p), false); err != nil {
		return nil, err
	}
	b.WriteString("\n}\n")
	return format.Source([]byte(b.String()))
}

var verdictConsts = map[Verdict]string{None: "None", Allow: "Allow", Ask: "Ask", Deny: "Deny"}
var accessConsts = map[Access]string{AccessRead: "AccessRead", AccessWrite: "AccessWrite", AccessAny: "AccessAny"}

func goType(t reflect.Type) string {
	s := strings.ReplaceAll(t.String(), "policy.", "")
	return strings.ReplaceAll(s, "interface {}", "any")
}

// goLiteral writes v as a Go expression in package policy, fields of
// structs by name and zero fields left out; elide drops the type of a
// composite literal inside a slice or map of that type (gofmt -s style).
func goLiteral(b *strings.Builder, v reflect.Value, elide bool) error {
	typ := goType(v.Type())
	if elide {
		typ = ""
	}
	switch x := v.Interface().(type) {
	case Verdict:
		b.WriteString(verdictConsts[x])
		return nil
	case Access:
		if c, ok := accessConsts[x]; ok {
			b.WriteString(c)
			return nil
		}
		return fmt.Errorf("unknown access %q", x)
	case Date:
		return fmt.Errorf("dates are not generated (the baseline has no exceptions)")
	}
	switch v.Kind() {
	case reflect.String:
		b.WriteString(strconv.Quote(v.String()))
	case reflect.Int:
		fmt.Fprintf(b, "%d", v.Int())
	case reflect.Bool:
		fmt.Fprintf(b, "%t", v.Bool())
	case reflect.Float64:
		fmt.Fprintf(b, "float64(%v)", v.Float())
	case reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return nil
		}
		return goLiteral(b, v.Elem(), false)
	case reflect.Slice:
		if v.IsNil() {
			b.WriteString("nil")
			return nil
		}
		b.WriteString(typ + "{")
		for i := 0; i < v.Len(); i++ {
			b.WriteString("\n")
			if err := goLiteral(b, v.Index(i), v.Type().Elem().Kind() != reflect.Interface); err != nil {
				return err
			}
			b.WriteString(",")
		}
		b.WriteString("\n}")
	case reflect.Map:
		if v.IsNil() {
			b.WriteString("nil")
			return nil
		}
		b.WriteString(typ + "{")
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			b.WriteString("\n" + strconv.Quote(k.String()) + ": ")
			if err := goLiteral(b, v.MapIndex(k), v.Type().Elem().Kind() != reflect.Interface); err != nil {
				return err
			}
			b.WriteString(",")
		}
		b.WriteString("\n}")
	case reflect.Struct:
		b.WriteString(typ + "{")
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() || v.Field(i).IsZero() {
				continue
			}
			b.WriteString("\n" + f.Name + ": ")
			if err := goLiteral(b, v.Field(i), false); err != nil {
				return err
			}
			b.WriteString(",")
		}
		b.WriteString("\n}")
	default:
		return fmt.Errorf("cannot generate %s", v.Type())
	}
	return nil
}
