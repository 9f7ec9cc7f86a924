package policy

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// PermissionModes are Claude Code's permission modes, the values of the
// default_mode setting.
var PermissionModes = []string{"default", "acceptEdits", "plan", "auto", "dontAsk", "bypassPermissions"}

// settingKind is the type of a settings value.
type settingKind int

const (
	settingBool         settingKind = iota
	settingString                   // a non-empty string
	settingURL                      // an http(s) URL
	settingEnum                     // one of values
	settingStrings                  // a list of non-empty strings
	settingStringOrMany             // a string or a list of strings
	settingEnumList                 // a list of values
	settingEnvNames                 // a list of environment variable names
	settingPositiveInt              // an integer of at least 1
	settingSources                  // a list of marketplace source mappings
	settingPlugins                  // a mapping of plugin@marketplace to true or false
)

// SettingSpec describes one settings key: its type and what it compiles to
// in Claude Code's managed settings.
type SettingSpec struct {
	kind   settingKind
	Values []string // the allowed values of an enum or enum list
	// To is the managed setting (or environment variable) it compiles to.
	To string
}

// MarketplaceSources are the values of "source" in a marketplace source
// mapping (blocked_marketplaces, strict_known_marketplaces), as Claude Code
// 2.1.330 reads them.
var MarketplaceSources = []string{"directory", "file", "git", "github", "hostPattern", "npm", "settings", "url"}

// LoginMethods are the values of force_login_method.
var LoginMethods = []string{"claudeai", "console", "gateway"}

// CertStores are the sources of CLAUDE_CODE_CERT_STORE.
var CertStores = []string{"bundled", "system"}

// SettingSpecs are the managed-settings choices a policy may make, at the top
// level (every tier) or in a tier (merged key by key along its lineage). The
// engine ignores them; `warden compile` turns them into Claude Code managed
// settings. See docs/policy.md and docs/settings.md.
var SettingSpecs = map[string]SettingSpec{
	"default_mode":                        {kind: settingEnum, Values: PermissionModes, To: "permissions.defaultMode"},
	"disable_bypass_permissions":          {kind: settingBool, To: `permissions.disableBypassPermissionsMode "disable" (default: true)`},
	"additional_directories":              {kind: settingStrings, To: "permissions.additionalDirectories"},
	"allow_managed_permission_rules_only": {kind: settingBool, To: "allowManagedPermissionRulesOnly"},
	"allow_managed_hooks_only":            {kind: settingBool, To: "allowManagedHooksOnly"},
	"allowed_http_hook_urls":              {kind: settingStrings, To: "allowedHttpHookUrls"},
	"http_hook_allowed_env_vars":          {kind: settingEnvNames, To: "httpHookAllowedEnvVars"},
	"allow_managed_mcp_servers_only":      {kind: settingBool, To: "allowManagedMcpServersOnly"},
	"sandbox":                             {kind: settingBool, To: "sandbox.enabled (with sandbox.network domains from web)"},
	"sandbox_managed_domains_only":        {kind: settingBool, To: "sandbox.network.allowManagedDomainsOnly"},
	"force_remote_settings_refresh":       {kind: settingBool, To: "forceRemoteSettingsRefresh"},
	"cleanup_period_days":                 {kind: settingPositiveInt, To: "cleanupPeriodDays"},
	"company_announcements":               {kind: settingStrings, To: "companyAnnouncements"},
	"available_models":                    {kind: settingStrings, To: "availableModels"},
	"force_login_method":                  {kind: settingEnum, Values: LoginMethods, To: "forceLoginMethod"},
	"force_login_org_uuid":                {kind: settingStringOrMany, To: "forceLoginOrgUUID"},
	"blocked_marketplaces":                {kind: settingSources, To: "blockedMarketplaces"},
	"strict_known_marketplaces":           {kind: settingSources, To: "strictKnownMarketplaces"},
	"enabled_plugins":                     {kind: settingPlugins, To: "enabledPlugins"},
	"plugin_trust_message":                {kind: settingString, To: "pluginTrustMessage"},
	"telemetry_log_user_prompts":          {kind: settingBool, To: "env OTEL_LOG_USER_PROMPTS (default off)"},
	"telemetry_log_tool_details":          {kind: settingBool, To: "env OTEL_LOG_TOOL_DETAILS (default off)"},
	"telemetry_team":                      {kind: settingString, To: "env OTEL_RESOURCE_ATTRIBUTES team=... (the console's blocks per team)"},
	"https_proxy":                         {kind: settingURL, To: "env HTTPS_PROXY"},
	"http_proxy":                          {kind: settingURL, To: "env HTTP_PROXY"},
	"no_proxy":                            {kind: settingStrings, To: "env NO_PROXY (joined with commas)"},
	"node_extra_ca_certs":                 {kind: settingString, To: "env NODE_EXTRA_CA_CERTS"},
	"cert_store":                          {kind: settingEnumList, Values: CertStores, To: "env CLAUDE_CODE_CERT_STORE (joined with commas)"},
}

// SettingsKeys are the keys a settings map may hold, sorted.
var SettingsKeys = func() []string {
	keys := make([]string, 0, len(SettingSpecs))
	for k := range SettingSpecs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}()

// checkSetting checks one settings value against its key's spec.
func checkSetting(key string, v any) error {
	spec, ok := SettingSpecs[key]
	if !ok {
		msg := fmt.Sprintf("unknown setting %q", key)
		if s := suggest(key, SettingsKeys); s != "" {
			return fmt.Errorf("%s (did you mean %q?)", msg, s)
		}
		return fmt.Errorf("%s (want one of %s)", msg, strings.Join(SettingsKeys, ", "))
	}
	switch spec.kind {
	case settingBool:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("want true or false, got %v", show(v))
		}
	case settingString:
		if s, ok := v.(string); !ok || strings.TrimSpace(s) == "" {
			return fmt.Errorf("want a non-empty string, got %v", show(v))
		}
	case settingURL:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want an http or https URL, got %v", show(v))
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("want an http or https URL, got %q", s)
		}
	case settingEnum:
		if s, ok := v.(string); !ok || !slices.Contains(spec.Values, s) {
			return fmt.Errorf("want one of %s, got %v", strings.Join(spec.Values, ", "), show(v))
		}
	case settingStrings, settingEnvNames, settingEnumList:
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("want a list of strings, got %v", show(v))
		}
		for i, x := range list {
			s, ok := x.(string)
			switch {
			case !ok || strings.TrimSpace(s) == "":
				return fmt.Errorf("item %d: want a non-empty string, got %v", i, show(x))
			case spec.kind == settingEnvNames && !validEnvName(s):
				return fmt.Errorf("item %d: %q is not an environment variable name", i, s)
			case spec.kind == settingEnumList && !slices.Contains(spec.Values, s):
				return fmt.Errorf("item %d: want one of %s, got %q", i, strings.Join(spec.Values, ", "), s)
			}
		}
	case settingStringOrMany:
		if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
			return nil
		}
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return fmt.Errorf("want a string or a non-empty list of strings, got %v", show(v))
		}
		for i, x := range list {
			if s, ok := x.(string); !ok || strings.TrimSpace(s) == "" {
				return fmt.Errorf("item %d: want a non-empty string, got %v", i, show(x))
			}
		}
	case settingPositiveInt:
		if n, ok := v.(int); !ok || n < 1 {
			return fmt.Errorf("want a whole number of at least 1, got %v", show(v))
		}
	case settingSources:
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("want a list of marketplace sources ({source: github, repo: owner/name}), got %v", show(v))
		}
		for i, x := range list {
			m, ok := x.(map[string]any)
			if !ok {
				return fmt.Errorf("item %d: want a mapping like {source: github, repo: owner/name}, got %v", i, show(x))
			}
			src, _ := m["source"].(string)
			if !slices.Contains(MarketplaceSources, src) {
				return fmt.Errorf("item %d: source: want one of %s, got %v", i, strings.Join(MarketplaceSources, ", "), show(m["source"]))
			}
		}
	case settingPlugins:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("want a mapping of plugin@marketplace to true or false, got %v", show(v))
		}
		for _, k := range sortedKeys(m) {
			if name, market, ok := strings.Cut(k, "@"); !ok || name == "" || market == "" {
				return fmt.Errorf("%q: want plugin@marketplace", k)
			}
			if _, ok := m[k].(bool); !ok {
				return fmt.Errorf("%s: want true or false, got %v", k, show(m[k]))
			}
		}
	}
	return nil
}

// show prints a settings value for a message.
func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case string:
		if strings.TrimSpace(x) == "" {
			return fmt.Sprintf("%q", x)
		}
		return x
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprint(v)
}

func validEnvName(s string) bool {
	for i, c := range s {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// settings validates a settings map at path ("settings" or
// "tiers[i].settings").
func (v *validator) settings(path string, s map[string]any) {
	for _, k := range sortedKeys(s) {
		if err := checkSetting(k, s[k]); err != nil {
			if strings.HasPrefix(err.Error(), "unknown setting") {
				v.l.key(path+"."+k, "%v", err)
			} else {
				v.l.add(path+"."+k, "%v", err)
			}
		}
	}
}
