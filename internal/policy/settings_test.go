package policy

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSettings_Keys(t *testing.T) {
	if !slices.IsSorted(SettingsKeys) || len(SettingsKeys) != len(SettingSpecs) {
		t.Errorf("SettingsKeys = %q", SettingsKeys)
	}
	schema := string(Schema())
	for _, k := range SettingsKeys {
		if SettingSpecs[k].To == "" {
			t.Errorf("%s: no To", k)
		}
		if !strings.Contains(schema, `"`+k+`": {`) {
			t.Errorf("%s is missing from policy.schema.json", k)
		}
	}
}

func TestCheckSetting(t *testing.T) {
	good := map[string]any{
		"default_mode":               "plan",
		"disable_bypass_permissions": false,
		"additional_directories":     []any{"../shared"},
		"allowed_http_hook_urls":     []any{"https://hooks.example.com/*"},
		"http_hook_allowed_env_vars": []any{"HOOK_SECRET", "_X1"},
		"cleanup_period_days":        30,
		"force_login_method":         "claudeai",
		"force_login_org_uuid":       "0d6f2f9e-0000-4000-8000-000000000000",
		"blocked_marketplaces":       []any{map[string]any{"source": "github", "repo": "evil/*"}},
		"strict_known_marketplaces":  []any{map[string]any{"source": "git", "url": "https://git.example.com/m.git"}},
		"enabled_plugins":            map[string]any{"formatter@acme-tools": true},
		"https_proxy":                "https://proxy.example.com:8080",
		"no_proxy":                   []any{"localhost", ".internal.example.com"},
		"cert_store":                 []any{"bundled", "system"},
	}
	for k, v := range good {
		if err := checkSetting(k, v); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	if err := checkSetting("force_login_org_uuid", []any{"a", "b"}); err != nil {
		t.Errorf("list of UUIDs: %v", err)
	}

	bad := []struct {
		key  string
		v    any
		want string
	}{
		{"sandbx", true, `did you mean "sandbox"`},
		{"default_mode", "yolo", "want one of default, acceptEdits"},
		{"sandbox", "yes", "want true or false, got yes"},
		{"cleanup_period_days", 0, "at least 1"},
		{"cleanup_period_days", 1.5, "at least 1"},
		{"additional_directories", "../x", "want a list of strings"},
		{"company_announcements", []any{""}, `item 0: want a non-empty string, got ""`},
		{"http_hook_allowed_env_vars", []any{"HOOK-SECRET"}, "not an environment variable name"},
		{"force_login_method", "sso", "want one of claudeai, console, gateway"},
		{"force_login_org_uuid", []any{}, "non-empty list"},
		{"blocked_marketplaces", []any{"evil/market"}, "want a mapping"},
		{"blocked_marketplaces", []any{map[string]any{"repo": "x/y"}}, "source: want one of"},
		{"enabled_plugins", map[string]any{"formatter": true}, "want plugin@marketplace"},
		{"enabled_plugins", map[string]any{"f@m": "yes"}, "want true or false"},
		{"https_proxy", "proxy.example.com:8080", "http or https URL"},
		{"cert_store", []any{"windows"}, "want one of bundled, system"},
		{"plugin_trust_message", " ", "non-empty string"},
	}
	for _, tt := range bad {
		err := checkSetting(tt.key, tt.v)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s = %v: got %v, want an error containing %q", tt.key, tt.v, err, tt.want)
		}
	}
}

// TestSettings_TopLevel: organisation-wide settings apply to every tier;
// a tier overrides them key by key, and errors are located.
func TestSettings_TopLevel(t *testing.T) {
	src := `version: 1
name: org
revision: "1"
default_tier: dev
settings:
  company_announcements: [Read go/ai first]
  cleanup_period_days: 30
  https_proxy: https://proxy.example.com:8080
tiers:
  - name: dev
  - name: vault
    inherits: dev
    settings:
      cleanup_period_days: 7
`
	p, err := Parse("org.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	dev, _ := p.Ruleset("dev")
	vault, _ := p.Ruleset("vault")
	if got := dev.Settings["cleanup_period_days"]; got != 30 {
		t.Errorf("dev cleanup_period_days = %v", got)
	}
	want := map[string]any{"company_announcements": []any{"Read go/ai first"}, "cleanup_period_days": 7,
		"https_proxy": "https://proxy.example.com:8080"}
	if !reflect.DeepEqual(vault.Settings, want) {
		t.Errorf("vault settings = %v, want %v", vault.Settings, want)
	}

	_, err = Parse("org.yaml", []byte(strings.Replace(src, "cleanup_period_days: 30", "cleanup_period_days: -1", 1)))
	if err == nil || !strings.Contains(err.Error(), "org.yaml:7:24: settings.cleanup_period_days: want a whole number of at least 1, got -1") {
		t.Errorf("bad top-level setting: %v", err)
	}
}
