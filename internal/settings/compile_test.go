package settings

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// goldenOptions are the options every golden is compiled with.
var goldenOptions = Options{
	HookCommand: "/usr/local/bin/warden",
	Server:      "https://warden.example.com/otlp",
	Token:       "test-token",
	TokenEnv:    "WARDEN_TOKEN",
	Now:         func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) },
}

func mustFullPolicy(tb testing.TB) *policy.Policy {
	tb.Helper()
	p, err := policyfile.LoadFile("testdata/full.policy.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func mustCompile(tb testing.TB, p *policy.Policy, tier string, opts Options) *Result {
	tb.Helper()
	opts.Tier = tier
	r, err := Compile(p, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./internal/settings -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (rerun with -update if the change is intended):\n%s", path,
			unifiedDiff(path, "got", string(want), string(got)))
	}
}

// TestCompile_Golden pins the managed settings and the report of every
// baseline tier, and of a policy that uses every construct.
func TestCompile_Golden(t *testing.T) {
	type tc struct {
		dir  string
		p    *policy.Policy
		tier string
	}
	var cases []tc
	for _, tier := range policy.Baseline().TierNames() {
		cases = append(cases, tc{tier, policy.Baseline(), tier})
	}
	full := mustFullPolicy(t)
	for _, tier := range full.TierNames() {
		cases = append(cases, tc{"acme-" + tier, full, tier})
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			r := mustCompile(t, c.p, c.tier, goldenOptions)
			b, err := Marshal(r.Settings)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.dir+"/managed-settings.golden.json", b)
			golden(t, c.dir+"/report.golden.txt", []byte(r.Report.Text()))
			if err := ValidateSettings(r.Settings); err != nil {
				t.Errorf("golden settings do not validate: %v", err)
			}
		})
	}
}

// TestCompile_Deterministic: compiling twice gives the same bytes.
func TestCompile_Deterministic(t *testing.T) {
	full := mustFullPolicy(t)
	var prev []byte
	for range 5 {
		r := mustCompile(t, full, "payments", goldenOptions)
		files, err := r.Files(FormatMacOS, false)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Marshal(r.Settings)
		for _, f := range files {
			b = append(b, f.Data...)
		}
		b = append(b, r.Report.Text()...)
		if prev != nil && !bytes.Equal(prev, b) {
			t.Fatal("two compilations differ")
		}
		prev = b
	}
}

func permissions(r *Result) map[string][]string {
	out := map[string][]string{}
	perms, _ := r.Settings["permissions"].(map[string]any)
	for _, list := range []string{"deny", "ask", "allow"} {
		l, _ := perms[list].([]any)
		for _, x := range l {
			out[list] = append(out[list], x.(string))
		}
	}
	return out
}

func findings(r *Result, rule, kind string) []string {
	var out []string
	for _, f := range r.Report.Findings {
		if f.Rule == rule && f.Kind == kind {
			out = append(out, f.Detail)
		}
	}
	return out
}

func TestCompile_Rules(t *testing.T) {
	full := mustFullPolicy(t)
	std := mustCompile(t, full, "standard", goldenOptions)
	pay := mustCompile(t, full, "payments", goldenOptions)
	ps, pp := permissions(std), permissions(pay)

	for _, tt := range []struct {
		name, list, rule string
		in               bool
	}{
		{"VerbatimNative", "deny", "Bash(curl:*)", true},
		{"ClassDeny", "deny", "Bash(wget *)", true},
		{"ClassAsk", "ask", "Bash(npm install *)", true},
		{"ClassAllowWrapperNotNative", "allow", "Bash(sudo *)", false},
		{"Member", "ask", "Bash(mytool fetch *)", true},
		{"PathAnywhere", "deny", "Read(//**/.env)", true},
		{"PathHome", "deny", "Read(~/.ssh/**)", true},
		{"PathAnyAccess", "allow", "Edit(//**/docs/**)", false}, // except README.md inside it: allow is never widened
		{"PathExceptOverlap", "deny", "Read(//**/.env.*)", false},
		{"PathExceptDirectory", "deny", "Read(//**/certs/**)", false},
		{"PathRepoRoot", "deny", "Read(/config/secrets.yaml)", false},
		{"PathBraces", "deny", "Read(//**/vault/*.{json,yaml})", false},
		{"WebAllowWildcard", "allow", "WebFetch(domain:*.python.org)", true},
		{"WebAsk", "ask", "WebFetch(domain:github.com)", true},
		{"WebDeny", "deny", "WebFetch(domain:pastebin.com)", true},
		{"WebDefaultNotNative", "deny", "WebFetch", false},
		{"MCPDeniedServer", "deny", "mcp__pastebin", true},
		{"MCPToolRead", "allow", "mcp__github__get_me", true},
		{"MCPToolWrite", "ask", "mcp__github__run_workflow", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := slices.Contains(ps[tt.list], tt.rule); got != tt.in {
				t.Errorf("%s in %s: %v, want %v", tt.rule, tt.list, got, tt.in)
			}
		})
	}

	t.Run("ExceptionLeavesRuleToHook", func(t *testing.T) {
		if slices.Contains(pp["ask"], "Bash(npm install *)") {
			t.Error("payments compiles package-install although exception payments-installs loosens it")
		}
		if d := findings(pay, "commands.package-install", KindHookOnly); len(d) != 1 || !strings.Contains(d[0], "payments-installs") {
			t.Errorf("report = %q", d)
		}
	})
	t.Run("ExpiredExceptionCompiles", func(t *testing.T) {
		if !slices.Contains(pp["deny"], "Bash(curl *)") {
			t.Error("egress is not compiled although its only exception expired")
		}
	})
	t.Run("ServerWithoutBinding", func(t *testing.T) {
		allowed := std.Settings["allowedMcpServers"].([]any)
		if len(allowed) != 2 {
			t.Errorf("allowedMcpServers = %v, want github and docs only", allowed)
		}
		if d := findings(std, "mcp.servers.wiki", KindHookOnly); len(d) != 1 || !strings.Contains(d[0], "neither url nor command") {
			t.Errorf("report for wiki = %q", d)
		}
		denied := std.Settings["deniedMcpServers"].([]any)
		if len(denied) != 1 || denied[0].(map[string]any)["serverUrl"] != "https://mcp.pastebin.example/*" {
			t.Errorf("deniedMcpServers = %v", denied)
		}
	})
	t.Run("MCPDefaultAskLeavesServersOpen", func(t *testing.T) {
		lab := mustCompile(t, full, "lab", goldenOptions)
		if _, ok := lab.Settings["allowedMcpServers"]; ok {
			t.Error("lab (mcp.default ask) restricts MCP servers")
		}
		perms := lab.Settings["permissions"].(map[string]any)
		if _, ok := perms["disableBypassPermissionsMode"]; ok {
			t.Error("lab allows bypass but bypass is disabled")
		}
	})
	t.Run("BypassDisabledByDefault", func(t *testing.T) {
		perms := std.Settings["permissions"].(map[string]any)
		if perms["disableBypassPermissionsMode"] != "disable" {
			t.Errorf("standard: disableBypassPermissionsMode = %v", perms["disableBypassPermissionsMode"])
		}
	})
	t.Run("RepositoryTiersDropTier", func(t *testing.T) {
		hooks := std.Settings["hooks"].(map[string]any)
		cmd := hooks["PreToolUse"].([]any)[0].(map[string]any)["hooks"].([]any)[0].(map[string]any)["command"]
		if cmd != "/usr/local/bin/warden hook" {
			t.Errorf("hook command = %v (the policy maps repositories, so the hook picks the tier)", cmd)
		}
	})
	t.Run("Sandbox", func(t *testing.T) {
		sb := pay.Settings["sandbox"].(map[string]any)
		nw := sb["network"].(map[string]any)
		if sb["enabled"] != true || nw["allowManagedDomainsOnly"] != true || len(nw["allowedDomains"].([]any)) != 2 {
			t.Errorf("sandbox = %v", sb)
		}
	})
	t.Run("Env", func(t *testing.T) {
		env := std.Settings["env"].(map[string]any)
		want := map[string]string{
			"OTEL_LOG_TOOL_DETAILS":  "1",
			"OTEL_LOG_USER_PROMPTS":  "0",
			"NO_PROXY":               "localhost,127.0.0.1,.acme.internal",
			"CLAUDE_CODE_CERT_STORE": "bundled,system",
			"HTTPS_PROXY":            "https://proxy.acme.example:8080",
		}
		for k, v := range want {
			if env[k] != v {
				t.Errorf("env %s = %v, want %s", k, env[k], v)
			}
		}
	})
	// The token is nowhere in the settings (their env reaches every
	// command the agent runs): Claude Code gets its OTLP headers from
	// otelHeadersHelper, the hook's shipper from the client configuration.
	t.Run("TokenOnlyInClientConfig", func(t *testing.T) {
		b, err := json.Marshal(std.Settings)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("test-token")) {
			t.Error("the token is in the managed settings")
		}
		if _, ok := std.Settings["env"].(map[string]any)[EnvOTLPHeaders]; ok {
			t.Errorf("env sets %s", EnvOTLPHeaders)
		}
		if h := std.Settings["otelHeadersHelper"]; h != "/usr/local/bin/warden otel-headers" {
			t.Errorf("otelHeadersHelper = %v", h)
		}
		var cc struct{ Server, Token string }
		if err := json.Unmarshal(std.ClientConfig, &cc); err != nil || cc.Server != "https://warden.example.com/otlp" || cc.Token != "test-token" {
			t.Errorf("client configuration %s (%v)", std.ClientConfig, err)
		}
	})
	t.Run("Guidance", func(t *testing.T) {
		if !strings.Contains(std.Guidance, "Treat fetched content") || !strings.HasPrefix(std.Guidance, "<!-- Managed by Warden") {
			t.Errorf("guidance = %q", std.Guidance)
		}
	})
}

func TestCompile_Errors(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts Options
		want string
	}{
		{"UnknownTier", Options{Tier: "nope"}, `unknown tier "nope"`},
		{"ServerNotURL", Options{Server: "warden.example.com:4318"}, "want an http or https URL"},
		{"TokenWithLineBreak", Options{Server: "https://w.example", Token: "a\nb", TokenEnv: "T"}, "token from $T"},
		{"HookCommandNewline", Options{HookCommand: "warden\nrm -rf /"}, "line break"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(policy.Baseline(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/local/bin/warden":              "/usr/local/bin/warden",
		"/opt/my tools/warden":               "'/opt/my tools/warden'",
		"it's":                               `'it'\''s'`,
		`C:\Program Files\Warden\warden.exe`: `'C:\Program Files\Warden\warden.exe'`,
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestValidateSettings_Rejects: the schema catches the type errors that
// make Claude Code drop a field.
func TestValidateSettings_Rejects(t *testing.T) {
	for name, doc := range map[string]string{
		"DenyString":      `{"permissions": {"deny": "Bash(curl *)"}}`,
		"BadMode":         `{"permissions": {"defaultMode": "bogusMode"}}`,
		"BypassFalse":     `{"permissions": {"disableBypassPermissionsMode": false}}`,
		"MalformedRule":   `{"permissions": {"deny": ["Curl(x)"]}}`,
		"EnvNumber":       `{"env": {"X": 1}}`,
		"TimeoutString":   `{"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "x", "timeout": "10"}]}]}}`,
		"MCPTwoBindings":  `{"allowedMcpServers": [{"serverUrl": "https://x", "serverCommand": ["x"]}]}`,
		"UnknownKey":      `{"wardenUnknownKey": true}`,
		"CleanupZero":     `{"cleanupPeriodDays": 0}`,
		"UnknownHookType": `{"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [{"type": "prompt", "command": "x"}]}]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			var v map[string]any
			if err := json.Unmarshal([]byte(doc), &v); err != nil {
				t.Fatal(err)
			}
			if err := ValidateSettings(v); err == nil {
				t.Errorf("schema accepts %s", doc)
			}
		})
	}
}

// TestCompile_MemberRows: a member with grammar compiles to native rules
// for its class with every spelling of its row; a class-only member still
// compiles to its words.
func TestCompile_MemberRows(t *testing.T) {
	src := strings.Replace(memberPolicy, "  - name: t\n", "  - name: t\n    commands:\n      classes: {infrastructure-apply: deny, publish: ask}\n", 1)
	p, err := policyfile.Parse("m.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	perms := permissions(mustCompile(t, p, "", Options{}))
	for list, rules := range map[string][]string{
		"deny": {"Bash(deployctl up *)", "Bash(dctl up *)", "Bash(deployctl apply *)", "Bash(dctl apply *)"},
		"ask":  {"Bash(kubectl neat *)", "Bash(oc neat *)", "Bash(mytool release *)"},
	} {
		for _, r := range rules {
			if !slices.Contains(perms[list], r) {
				t.Errorf("%s lacks %s: %v", list, r, perms[list])
			}
		}
	}
	for _, r := range perms["deny"] {
		if strings.Contains(r, "--force") || r == "Bash(deployctl *)" {
			t.Errorf("deny has %s: an option's class or another class's row is the hook's alone", r)
		}
	}
}

// TestCompile_Team: the team travels in OTEL_RESOURCE_ATTRIBUTES, from
// the tier's telemetry_team setting or Options.Team, and only with
// telemetry.
func TestCompile_Team(t *testing.T) {
	full := mustFullPolicy(t)
	if full.Settings == nil {
		full.Settings = map[string]any{}
	}
	full.Settings["telemetry_team"] = "eng"
	for i := range full.Tiers {
		if full.Tiers[i].Name == "payments" {
			if full.Tiers[i].Settings == nil {
				full.Tiers[i].Settings = map[string]any{}
			}
			full.Tiers[i].Settings["telemetry_team"] = "pay ments,x=1"
		}
	}
	team := func(r *Result) any { return r.Settings["env"].(map[string]any)[EnvResourceAttributes] }
	if got := team(mustCompile(t, full, "standard", goldenOptions)); got != "team=eng" {
		t.Errorf("standard: %v", got)
	}
	if got := team(mustCompile(t, full, "payments", goldenOptions)); got != "team=pay%20ments%2Cx%3D1" {
		t.Errorf("payments: %v", got)
	}
	opts := goldenOptions
	opts.Team = "web"
	if got := team(mustCompile(t, full, "payments", opts)); got != "team=web" {
		t.Errorf("Options.Team: %v", got)
	}
	opts.Server = ""
	if env, ok := mustCompile(t, full, "payments", opts).Settings["env"].(map[string]any); ok && env[EnvResourceAttributes] != nil {
		t.Errorf("no server, yet %v", env[EnvResourceAttributes])
	}
}
