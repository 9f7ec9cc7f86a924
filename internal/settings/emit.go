package settings

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/policy"
)

// web compiles the WebFetch host lists into WebFetch(domain:...) rules.
// Claude Code matches "*.example.com" against subdomains only, as the
// policy does.
func (c *compiler) web() {
	for _, l := range []struct {
		id    string
		v     policy.Verdict
		hosts []string
	}{{"web.deny", policy.Deny, c.rs.Web.Deny}, {"web.ask", policy.Ask, c.rs.Web.Ask}, {"web.allow", policy.Allow, c.rs.Web.Allow}} {
		if len(l.hosts) == 0 || c.exempt(l.id) {
			continue
		}
		for _, h := range l.hosts {
			c.add(l.v, "WebFetch(domain:"+h+")")
		}
	}
	switch d := c.rs.Web.Default; d {
	case policy.Deny, policy.Ask:
		c.report.add("web.default", KindHookOnly, fmt.Sprintf("WebFetch of other hosts gets %s from the hook; a native WebFetch %s rule would also override the allowed hosts (Claude Code checks deny and ask before allow)", d, d))
	case policy.Allow:
		c.report.add("web.default", KindHookOnly, "WebFetch of other hosts is allowed by the hook; a native WebFetch allow rule would also skip prompts the policy leaves to Claude Code")
	}
}

// mcp compiles the MCP servers: bindings by URL or exact command into
// allowedMcpServers (when unlisted servers are denied) and
// deniedMcpServers (servers whose every tool is denied), and per-tool
// rules for tools the policy classifies by name.
func (c *compiler) mcp() map[string]any {
	out := map[string]any{}
	if b, ok := c.setting("allow_managed_mcp_servers_only").(bool); ok {
		out["allowManagedMcpServersOnly"] = b
	}
	lockdown := c.rs.MCP.Default == policy.Deny && !c.exempt("mcp.default")
	var allowed, denied []any
	for _, s := range c.rs.MCP.Servers {
		id := "mcp.servers." + s.Name
		var entry map[string]any
		switch {
		case s.URL != "":
			entry = map[string]any{"serverUrl": s.URL}
		case len(s.Command) > 0:
			cmd := make([]any, len(s.Command))
			for i, a := range s.Command {
				cmd[i] = a
			}
			entry = map[string]any{"serverCommand": cmd}
		}
		if entry == nil {
			msg := "has neither url nor command, so managed settings cannot bind it (never by name alone: any server can take a name)"
			if lockdown {
				msg += "; it is left out of allowedMcpServers, so Claude Code will not connect it"
			}
			c.report.add(id, KindHookOnly, msg)
		}
		everyToolDenied := s.Read == policy.Deny && s.Write == policy.Deny
		if everyToolDenied {
			if !c.exempt("mcp."+s.Name+".read") && !c.exempt("mcp."+s.Name+".write") {
				c.add(policy.Deny, "mcp__"+s.Name)
				if entry != nil {
					denied = append(denied, entry)
				}
			}
			continue
		}
		if entry != nil && lockdown {
			allowed = append(allowed, entry)
		}
		explicit := 0
		for _, tool := range sortedKeys(s.Tools) {
			kind := s.Tools[tool]
			v, rule := s.Read, "mcp."+s.Name+".read"
			if kind == "write" {
				v, rule = s.Write, "mcp."+s.Name+".write"
			}
			if v == policy.None || c.loosened[rule] != nil {
				continue
			}
			c.add(v, "mcp__"+s.Name+"__"+tool)
			explicit++
		}
		msg := fmt.Sprintf("tools of %s are read (%s) or write (%s) by the verbs in their names; native rules cannot classify tool names, so the hook decides", s.Name, s.Read, s.Write)
		if explicit > 0 {
			msg = fmt.Sprintf("%d tools classified by name compiled as mcp__%s__TOOL rules; %s", explicit, s.Name, msg)
		}
		c.report.add("mcp."+s.Name, KindPartial, msg)
	}
	switch {
	case lockdown:
		out["allowedMcpServers"] = nonNil(allowed)
	case c.rs.MCP.Default != policy.None:
		c.report.add("mcp.default", KindHookOnly, fmt.Sprintf("tools of unlisted servers get %s from the hook; servers are not restricted natively (only mcp.default: deny compiles to allowedMcpServers)", c.rs.MCP.Default))
	}
	if len(denied) > 0 {
		out["deniedMcpServers"] = denied
	}
	return out
}

func nonNil(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

// hooks wires every event to `warden hook`.
func (c *compiler) hooks() (map[string]any, error) {
	cmd, err := c.hookCommand()
	if err != nil {
		return nil, err
	}
	hooks := map[string]any{}
	for _, ev := range HookEvents {
		hooks[ev] = []any{map[string]any{
			"matcher": "*",
			"hooks":   []any{map[string]any{"type": "command", "command": cmd, "timeout": HookTimeout}},
		}}
	}
	return hooks, nil
}

// hookCommand is the command line of the managed hooks: the tier is named
// unless the policy maps repositories to tiers, in which case the hook
// picks it per session.
func (c *compiler) hookCommand() (string, error) {
	exe := c.opts.HookCommand
	if exe == "" {
		exe = DefaultHookCommand
	}
	if strings.ContainsAny(exe, "\n\r\x00") {
		return "", fmt.Errorf("hook command %q contains a line break or NUL", exe)
	}
	parts := []string{shellQuote(exe)}
	if !IsHookBinary(exe) {
		parts = append(parts, "hook") // warden hook
	}
	if c.opts.HookPolicy != "" {
		if strings.ContainsAny(c.opts.HookPolicy, "\n\r\x00") {
			return "", fmt.Errorf("hook policy path %q contains a line break or NUL", c.opts.HookPolicy)
		}
		parts = append(parts, "--policy", shellQuote(c.opts.HookPolicy))
	}
	if len(c.p.Repositories) == 0 {
		parts = append(parts, "--tier", shellQuote(c.rs.Tier))
	}
	return strings.Join(parts, " "), nil
}

// tokenName names the token in messages: "the token from $VAR" when
// Options.TokenEnv says where it came from.
func (c *compiler) tokenName() string {
	if c.opts.TokenEnv == "" {
		return "the token"
	}
	return "the token from $" + c.opts.TokenEnv
}

// otelHeadersCommand is the otelHeadersHelper command: the hook's
// executable with the otel-headers subcommand (warden and warden-hook both
// have it).
func (c *compiler) otelHeadersCommand() (string, error) {
	exe := c.opts.HookCommand
	if exe == "" {
		exe = DefaultHookCommand
	}
	if strings.ContainsAny(exe, "\n\r\x00") {
		return "", fmt.Errorf("hook command %q contains a line break or NUL", exe)
	}
	return shellQuote(exe) + " " + OTelHeadersArg, nil
}

// IsHookBinary reports an executable that is the hook-only binary
// (warden-hook), which takes the hook's flags without a subcommand.
func IsHookBinary(exe string) bool {
	base := exe[strings.LastIndexAny(exe, "/\\")+1:]
	return strings.TrimSuffix(base, ".exe") == "warden-hook"
}

// shellQuote quotes s for the POSIX shell Claude Code runs hook commands
// with, when it holds anything but plain path characters.
func shellQuote(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r)) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sandbox compiles the Bash sandbox and its network domains: the policy's
// allowed hosts may be reached from sandboxed commands, its denied hosts
// never.
func (c *compiler) sandbox() {
	on, set := c.setting("sandbox").(bool)
	managedOnly, _ := c.setting("sandbox_managed_domains_only").(bool)
	if !set && !managedOnly {
		return
	}
	sb := map[string]any{}
	if set {
		sb["enabled"] = on
	}
	network := map[string]any{}
	if on {
		if hosts := anyStrings(c.rs.Web.Allow); len(hosts) > 0 {
			network["allowedDomains"] = hosts
		}
		if hosts := anyStrings(c.rs.Web.Deny); len(hosts) > 0 {
			network["deniedDomains"] = hosts
		}
	}
	if managedOnly {
		network["allowManagedDomainsOnly"] = true
	}
	if len(network) > 0 {
		sb["network"] = network
	}
	c.out["sandbox"] = sb
}

func anyStrings(l []string) []any {
	if len(l) == 0 {
		return nil
	}
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

// Telemetry environment the settings set when a server is given. Prompt
// and tool-detail logging are written as "0" unless the policy turns them
// on, so a user's own environment cannot turn them on: Claude Code gives
// the managed env block precedence over the user's.
const (
	EnvEnableTelemetry = "CLAUDE_CODE_ENABLE_TELEMETRY"
	EnvOTLPHeaders     = "OTEL_EXPORTER_OTLP_HEADERS"
	// OTelHeadersArg is the subcommand of warden and warden-hook that
	// otelHeadersHelper runs.
	OTelHeadersArg    = "otel-headers"
	EnvOTLPEndpoint   = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvLogUserPrompts = "OTEL_LOG_USER_PROMPTS"
	EnvLogToolDetails = "OTEL_LOG_TOOL_DETAILS"
	// EnvResourceAttributes carries the team (Options.Team, the
	// telemetry_team setting).
	EnvResourceAttributes = "OTEL_RESOURCE_ATTRIBUTES"
)

// ResourceValue percent-encodes a value for OTEL_RESOURCE_ATTRIBUTES (W3C
// Baggage: no space, '"', ',', ';', '\\' or non-ASCII unencoded; '%' and
// '=' encoded too so that no decoder misreads them).
func ResourceValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~/:@+", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// env compiles telemetry, proxy and certificate variables.
func (c *compiler) env() error {
	env := map[string]any{}
	if c.opts.Server != "" {
		u, err := url.Parse(c.opts.Server)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("server %q: want an http or https URL (the Warden server's OTLP endpoint)", c.opts.Server)
		}
		env[EnvEnableTelemetry] = "1"
		env["OTEL_METRICS_EXPORTER"] = "otlp"
		env["OTEL_LOGS_EXPORTER"] = "otlp"
		env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
		env[EnvOTLPEndpoint] = strings.TrimSuffix(c.opts.Server, "/")
		env[EnvLogUserPrompts] = onOff(c.boolSetting("telemetry_log_user_prompts", false))
		env[EnvLogToolDetails] = onOff(c.boolSetting("telemetry_log_tool_details", false))
		team := c.opts.Team
		if team == "" {
			team, _ = c.setting("telemetry_team").(string)
		}
		if team = strings.TrimSpace(team); team != "" {
			env[EnvResourceAttributes] = "team=" + ResourceValue(team)
		}
		// No token in env: Claude Code passes env to every command the
		// agent runs. Claude Code 2.1.330 runs otelHeadersHelper (a
		// command; its stdout is a JSON object of headers) for the OTLP
		// exporter's headers: warden otel-headers prints the
		// Authorization header from the client configuration, which the
		// hook's shipper reads too.
		helper, err := c.otelHeadersCommand()
		if err != nil {
			return err
		}
		c.out["otelHeadersHelper"] = helper
		cc := clientstate.ClientConfig{Server: clientstate.ServerURL(c.opts.Server), Token: c.opts.Token}
		if c.opts.Token != "" {
			if strings.ContainsAny(c.opts.Token, "\r\n\x00") {
				return fmt.Errorf("%s holds a line break or NUL", c.tokenName())
			}
			c.report.add("telemetry", KindNote, fmt.Sprintf("%s is written into %s (not into the settings' env); deploy it beside the managed settings, or as %s in each user's Warden state directory (mode 0600): the hook's shipper and otelHeadersHelper read it, and the baseline policy denies the agent reading it", c.tokenName(), clientstate.ClientConfigName, clientstate.ClientConfigName))
		} else {
			c.report.add("telemetry", KindNote, fmt.Sprintf("no token: %s names the server only; the hook ships no audit without a token, and the server must accept unauthenticated telemetry", clientstate.ClientConfigName))
		}
		b, err := json.MarshalIndent(cc, "", "  ")
		if err != nil {
			return err
		}
		c.clientConfig = append(b, '\n')
	} else if c.setting("telemetry_log_user_prompts") != nil || c.setting("telemetry_log_tool_details") != nil {
		c.report.add("telemetry", KindNote, "telemetry_log_* settings apply only with a server (--server)")
	}
	for key, name := range map[string]string{"https_proxy": "HTTPS_PROXY", "http_proxy": "HTTP_PROXY", "node_extra_ca_certs": "NODE_EXTRA_CA_CERTS"} {
		if s, ok := c.setting(key).(string); ok {
			env[name] = s
		}
	}
	for key, name := range map[string]string{"no_proxy": "NO_PROXY", "cert_store": "CLAUDE_CODE_CERT_STORE"} {
		if l := c.strings(key); len(l) > 0 {
			parts := make([]string, len(l))
			for i, x := range l {
				parts[i] = x.(string)
			}
			env[name] = strings.Join(parts, ",")
		}
	}
	if len(env) > 0 {
		c.out["env"] = env
	}
	return nil
}

func onOff(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// organisation copies the managed keys that the policy states directly.
func (c *compiler) organisation() {
	for key, name := range map[string]string{
		"allow_managed_permission_rules_only": "allowManagedPermissionRulesOnly",
		"allow_managed_hooks_only":            "allowManagedHooksOnly",
		"force_remote_settings_refresh":       "forceRemoteSettingsRefresh",
		"cleanup_period_days":                 "cleanupPeriodDays",
		"force_login_method":                  "forceLoginMethod",
		"plugin_trust_message":                "pluginTrustMessage",
		"allowed_http_hook_urls":              "allowedHttpHookUrls",
		"http_hook_allowed_env_vars":          "httpHookAllowedEnvVars",
		"company_announcements":               "companyAnnouncements",
		"available_models":                    "availableModels",
		"blocked_marketplaces":                "blockedMarketplaces",
		"strict_known_marketplaces":           "strictKnownMarketplaces",
		"enabled_plugins":                     "enabledPlugins",
	} {
		if v := c.setting(key); v != nil {
			c.out[name] = v
		}
	}
	switch v := c.setting("force_login_org_uuid").(type) {
	case string:
		c.out["forceLoginOrgUUID"] = []any{v}
	case []any:
		c.out["forceLoginOrgUUID"] = v
	}
}
