package scan

// Check is one row of the check table.
type Check struct {
	ID string
	// Name is the rule's identifier-like name (SARIF reportingDescriptor.name).
	Name     string
	Title    string
	Severity Severity // the default; a finding may be graded up or down, and says why
	Category Category
	Scope    Scope
	// Help says why it matters and how to fix it.
	Help string
	// Seed names the guidance the check comes from.
	Seed string
	run  func(c *scanCtx)
}

// Check ids.
const (
	IDBroadAllow           = "WS101"
	IDPermissiveMode       = "WS102"
	IDRepoHooks            = "WS103"
	IDProjectMCPAuto       = "WS104"
	IDMCPUncatalogued      = "WS111"
	IDMCPUnpinned          = "WS112"
	IDTrackedSecret        = "WS121"
	IDCIBypass             = "WS131"
	IDCITier               = "WS132"
	IDGitDriver            = "WS141"
	IDGitHooks             = "WS142"
	IDConfigParse          = "WS199"
	IDManagedMissing       = "WS201"
	IDManagedDrift         = "WS202"
	IDBypassEnabled        = "WS203"
	IDTelemetryOff         = "WS204"
	IDRunsAsRoot           = "WS205"
	IDContainerCreds       = "WS206"
	IDClientOutdated       = "WS207"
	IDClientVersionUnknown = "WS208"
)

const (
	seed003 = "seed 003 (Claude Code Security Best Practices)"
	seed004 = "seed 004 (Claude Code Safety in Enterprise)"
)

// Checks returns the check table, in report order.
func Checks() []Check { return checks }

// CheckByID returns the check with id, or nil.
func CheckByID(id string) *Check {
	for i := range checks {
		if checks[i].ID == id {
			return &checks[i]
		}
	}
	return nil
}

var checks = []Check{
	{ID: IDBroadAllow, Name: "BroadAllowRule", Title: "Broad allow rule in project settings", Severity: SeverityHigh, Category: CategoryPermissions, Scope: ScopeRepo,
		Seed: seed003 + ": Common Mistakes, \"Allowing Bash(*) or broad package-manager wildcards without tests\"; Permission Rule Design",
		Help: "A project allow rule that admits any command of a program that runs code (Bash(*), Bash(npm *), Bash(git *), Bash(python *)) or every tool of any MCP server (mcp__*) lets the agent run arbitrary code without a prompt; repository files are writable by the agent and by anyone who can open a pull request. Replace it with narrow rules for the exact commands (Bash(npm run test *), Bash(git status)) or leave the decision to the managed policy; set allow_managed_permission_rules_only in the tier to make Claude Code ignore project allow rules.",
		run:  checkSettingsAllow},
	{ID: IDPermissiveMode, Name: "PermissiveDefaultMode", Title: "Permissive defaultMode for the repository's tier", Severity: SeverityHigh, Category: CategoryPermissions, Scope: ScopeRepo,
		Seed: seed003 + ": Permission Modes, \"Disable bypassPermissions outside approved containers\"",
		Help: "permissions.defaultMode in project settings sets the mode every session in the repository starts in. bypassPermissions skips every prompt, dontAsk refuses what is not allowed without asking, acceptEdits accepts file edits unprompted. Remove it, or choose a mode no looser than the tier's default_mode; on ordinary machines the managed settings should disable bypass (disable_bypass_permissions).",
		run:  checkSettingsMode},
	{ID: IDRepoHooks, Name: "RepositoryHooks", Title: "Repository-defined hooks", Severity: SeverityMedium, Category: CategoryHooks, Scope: ScopeRepo,
		Seed: seed003 + ": Hooks As Security Policy, \"Avoid relying on repository-controlled hooks for security-sensitive decisions\"",
		Help: "Hooks in project settings, and settings such as apiKeyHelper and statusLine, run commands written in the repository on the developer's machine; hooks can also approve tool calls. Review them like code, keep security hooks in managed settings, and set allow_managed_hooks_only in the tier so repository hooks are ignored.",
		run:  func(c *scanCtx) { checkSettingsHooks(c); checkSettingsCommands(c) }},
	{ID: IDProjectMCPAuto, Name: "ProjectMCPServersAutoApproved", Title: "Project MCP servers approved in bulk", Severity: SeverityMedium, Category: CategoryMCP, Scope: ScopeRepo,
		Seed: seed003 + ": MCP Security, \"Protect project-scoped .mcp.json\"",
		Help: "enableAllProjectMcpServers starts every server a checked-in .mcp.json names, including ones added later by a pull request, without asking. Remove it and approve servers one by one, or set allow_managed_mcp_servers_only in the tier.",
		run:  checkSettingsMCPAuto},
	{ID: IDMCPUncatalogued, Name: "UncataloguedMCPServer", Title: "Project MCP server outside the policy's catalogue", Severity: SeverityHigh, Category: CategoryMCP, Scope: ScopeRepo,
		Seed: seed003 + ": MCP Security, \"Match remote servers by URL ... local stdio servers by exact command\"",
		Help: "A server in .mcp.json that the policy's mcp.servers does not list by URL or exact command runs with the developer's credentials and feeds untrusted text to the agent. Add it to the policy's catalogue (with url or command) after review, or remove it; allow_managed_mcp_servers_only in the tier makes Claude Code refuse it.",
		run:  checkMCPServers},
	{ID: IDMCPUnpinned, Name: "UnpinnedMCPPackage", Title: "Unpinned npx MCP server", Severity: SeverityMedium, Category: CategoryMCP, Scope: ScopeRepo,
		Seed: seed003 + ": MCP Security, \"Pin versions or package sources where possible\"",
		Help: "npx -y PACKAGE without @VERSION downloads and runs whatever the registry serves today, on every start. Pin an exact version (npx -y package@1.2.3) and bind that exact command in the policy's catalogue.",
		run:  nil}, // reported by checkMCPServers
	{ID: IDTrackedSecret, Name: "TrackedSecretFile", Title: "Secret file tracked by git", Severity: SeverityHigh, Category: CategorySecrets, Scope: ScopeRepo,
		Seed: seed003 + ": Secure Baseline, \"Deny reads from secret files\"; " + seed004 + ": \"Separate secrets from working directories\"",
		Help: "A file the policy protects as a secret is committed: everyone with the repository has it, and its history keeps it after deletion. Remove it (git rm --cached), rotate what it held, and add it to .gitignore.",
		run:  checkTrackedSecrets},
	{ID: IDCIBypass, Name: "CIPermissionsBypassed", Title: "CI runs Claude Code with permissions bypassed", Severity: SeverityHigh, Category: CategoryCI, Scope: ScopeRepo,
		Seed: seed003 + ": CI/CD And Non-Interactive Runs",
		Help: "--dangerously-skip-permissions or --permission-mode bypassPermissions in a CI job turns off every permission rule that is not managed, with the job's tokens in reach. Run the job under Warden's ci tier (warden install --tier ci in the image) and drop the flag; the ci tier's managed deny rules still apply.",
		run:  checkCI},
	{ID: IDCITier, Name: "CIOutsideCITier", Title: "CI runs Claude Code outside the ci tier", Severity: SeverityMedium, Category: CategoryCI, Scope: ScopeRepo,
		Seed: seed003 + ": CI/CD And Non-Interactive Runs, \"Restrict MCP to a fixed managed set\"",
		Help: "The job runs claude but nothing in it installs Warden's ci tier (warden install --tier ci, or warden compile --tier ci), so no managed policy or hook is known to judge its tool calls. Install the ci tier in the job or its image.",
		run:  nil}, // reported by checkCI
	{ID: IDGitDriver, Name: "GitAttributeDriver", Title: "Git attribute driver runs a configured program", Severity: SeverityMedium, Category: CategoryGit, Scope: ScopeRepo,
		Seed: seed003 + ": Bash Tool Security, \"Watch for commands that look safe but delegate to hidden behavior\"",
		Help: "A filter, diff or merge driver named in .gitattributes runs the program configured for it in git config whenever git checks out, diffs or merges the files: git status or git diff, often allowed without a prompt, then runs code. Check what the drivers run on developer machines and CI, or remove the attribute.",
		run:  checkGitAttributes},
	{ID: IDGitHooks, Name: "CommittedGitHooks", Title: "Committed git hooks", Severity: SeverityMedium, Category: CategoryGit, Scope: ScopeRepo,
		Seed: seed003 + ": Hooks As Security Policy; Threat Model, \"A repository-controlled hook changes tool behavior\"",
		Help: "Git hooks checked into the repository (.githooks/, .husky/, or a core.hooksPath set in committed configuration) run on commit, checkout and push once enabled: a pull request that edits them changes what runs on every developer's machine. Review them as code and protect them with CODEOWNERS.",
		run:  checkGitHooks},
	{ID: IDConfigParse, Name: "UnparseableConfig", Title: "Configuration file does not parse", Severity: SeverityMedium, Category: CategoryPermissions, Scope: ScopeRepo,
		Seed: seed003 + ": Managed Settings",
		Help: "The file could not be parsed, so the scanner could not check it and Claude Code may ignore it or part of it. Fix the syntax.",
		run:  nil}, // reported by the checks that read files
	{ID: IDManagedMissing, Name: "ManagedSettingsMissing", Title: "Managed settings not installed", Severity: SeverityHigh, Category: CategoryManaged, Scope: ScopeMachine,
		Seed: seed003 + ": Quick Checklist, \"Managed settings are active and verified\"",
		Help: "Claude Code reads no managed settings on this machine, so no organisation policy, hook or lockdown applies. Install them: warden install --tier TIER (see docs/settings.md).",
		run:  checkManaged},
	{ID: IDManagedDrift, Name: "ManagedSettingsDrift", Title: "Managed settings differ from the policy", Severity: SeverityHigh, Category: CategoryManaged, Scope: ScopeMachine,
		Seed: seed003 + ": Managed Settings, \"Policy changes are versioned, reviewed, and retested\"",
		Help: "The installed managed settings are not what warden compile produces for this machine's tier: the policy changed since they were installed, or someone edited them. Reinstall: warden install --tier TIER (warden install --dry-run shows the change).",
		run:  nil}, // reported by checkManaged
	{ID: IDBypassEnabled, Name: "BypassModeNotDisabled", Title: "Bypass permissions mode not disabled", Severity: SeverityHigh, Category: CategoryManaged, Scope: ScopeMachine,
		Seed: seed003 + ": Quick Checklist, \"Bypass permissions are disabled on ordinary machines\"",
		Help: "The tier disables bypass mode but the managed settings do not set permissions.disableBypassPermissionsMode to \"disable\", so anyone can start claude --dangerously-skip-permissions. Reinstall the tier's managed settings.",
		run:  nil}, // reported by checkManaged
	{ID: IDTelemetryOff, Name: "TelemetryOff", Title: "Telemetry not enabled by managed settings", Severity: SeverityMedium, Category: CategoryTelemetry, Scope: ScopeMachine,
		Seed: seed003 + ": Quick Checklist, \"OpenTelemetry reaches the collector\"",
		Help: "The managed env does not set CLAUDE_CODE_ENABLE_TELEMETRY=1 with an OTLP endpoint, so the server sees nothing from this machine (a user-level setting can be turned off by the user). Compile with --server and reinstall.",
		run:  nil}, // reported by checkManaged
	{ID: IDRunsAsRoot, Name: "RunsAsRoot", Title: "Claude Code runs as root", Severity: SeverityHigh, Category: CategoryIsolation, Scope: ScopeMachine,
		Seed: seed004 + ": \"Do not run as root\"; \"Block running the tool as root in managed environments\"",
		Help: "An agent running as root can read every credential and change the managed settings and Warden itself. Run Claude Code as an ordinary user (a non-root user in containers: USER in the Dockerfile).",
		run:  checkRoot},
	{ID: IDContainerCreds, Name: "CredentialsInContainer", Title: "Credentials present in an isolated container", Severity: SeverityHigh, Category: CategoryIsolation, Scope: ScopeMachine,
		Seed: seed003 + ": Sandboxing And Dev Containers, \"No host credential directories mounted by default\"; Common Mistakes",
		Help: "A container meant to isolate the agent holds credential files (cloud, SSH, Kubernetes, registry, package tokens): whatever the agent can run can use them. Do not mount them; give the job short-lived, scoped credentials through the CI system instead.",
		run:  checkContainerCreds},
	{ID: IDClientOutdated, Name: "ClientOutdated", Title: "Claude Code older than the minimum version", Severity: SeverityMedium, Category: CategoryClient, Scope: ScopeMachine,
		Seed: seed003 + ": Sandboxing And Dev Containers, \"Approved tool versions\"",
		Help: "This Claude Code is older than the version the policy was verified against: settings keys, hook events and lockdowns Warden relies on may not exist in it. Update it (claude update, or npm install -g @anthropic-ai/claude-code@latest).",
		run:  checkClientVersion},
	{ID: IDClientVersionUnknown, Name: "ClientVersionUnknown", Title: "Claude Code version unknown", Severity: SeverityInfo, Category: CategoryClient, Scope: ScopeMachine,
		Seed: seed003 + ": Sandboxing And Dev Containers, \"Approved tool versions\"",
		Help: "claude --version could not be run or its output was not understood, so the version was not checked. Make sure claude is on the PATH of the user who runs it.",
		run:  nil}, // reported by checkClientVersion
}
