package engine

import "github.com/wardenhq/warden/internal/policy"

// Action is one thing a coding agent is about to do, normalised from a Claude
// Code tool call. Only the fields relevant to Tool are set.
type Action struct {
	// Tool is the Claude Code tool name: Bash, Read, Write, Edit, MultiEdit,
	// NotebookEdit, Glob, Grep, WebFetch, WebSearch, mcp__server__tool, ...
	Tool string `json:"tool"`

	Command string `json:"command,omitempty"` // Bash
	Path    string `json:"path,omitempty"`    // file tools (file_path, notebook_path, path)
	Pattern string `json:"pattern,omitempty"` // Glob / Grep pattern
	URL     string `json:"url,omitempty"`     // WebFetch
	Query   string `json:"query,omitempty"`   // WebSearch

	MCPServer string `json:"mcp_server,omitempty"` // from the tool name mcp__<server>__<tool>
	MCPTool   string `json:"mcp_tool,omitempty"`

	// Cwd is the session's working directory; relative paths resolve against it.
	Cwd string `json:"cwd,omitempty"`
	// Home is the user's home directory, for ~ and $HOME.
	Home string `json:"home,omitempty"`
	// Repo is the repository root that contains Cwd ("" when unknown).
	Repo string `json:"repo,omitempty"`
	// Branch is the checked-out branch of Repo ("" when unknown or detached).
	Branch string `json:"branch,omitempty"`
	// Remote is Repo's origin URL, for exceptions that name repositories by remote.
	Remote string `json:"remote,omitempty"`

	PermissionMode string `json:"permission_mode,omitempty"`

	// Input is the raw tool_input, exposed to CEL rules.
	Input map[string]any `json:"input,omitempty"`

	// Touches asks Decide to report, for a Bash command, what it reads,
	// writes and runs (Decision.Touched), from the same shell analysis the
	// decision uses: the hook records it for run records without parsing
	// the command twice.
	Touches bool `json:"-"`
}

// Decision is the engine's answer for one Action.
type Decision struct {
	Verdict policy.Verdict `json:"decision"`
	// RuleID names the rule that produced the verdict ("" when no rule matched).
	RuleID string `json:"rule_id,omitempty"`
	// Reason is a sentence a person understands, naming the offending
	// sub-command or path.
	Reason string `json:"reason,omitempty"`
	// Exception names the exception that loosened the verdict, if any.
	Exception string `json:"exception,omitempty"`

	Policy        string `json:"policy"`
	PolicyVersion string `json:"policy_version"`
	Tier          string `json:"tier"`

	// Trace is the evidence: sub-commands found, paths resolved, rules matched.
	Trace []Step `json:"trace,omitempty"`

	// Touched is what a Bash command reads, writes and runs, when the
	// Action asked for it (Action.Touches); nil otherwise.
	Touched *Touched `json:"-"`

	// Lacks names what this engine lacked to decide the call fully
	// (LacksYAML), "" when nothing: the verdict is then an ask standing in
	// for the real decision, which an engine with it would give.
	Lacks string `json:"-"`
}

// Step is one line of a decision's trace.
type Step struct {
	// Kind is what the step records: "command", "path", "rule", "note".
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
	// Verdict is set on "rule" steps.
	Verdict policy.Verdict `json:"decision,omitempty"`
	RuleID  string         `json:"rule_id,omitempty"`
}
