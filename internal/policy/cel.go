package policy

import (
	"slices"
	"strings"
)

// ActionVar is the one variable a condition sees: a CELAction, declared to
// CEL as the object type policy.CELAction with exactly these fields (empty
// string or empty list when one does not apply), so that a field that does
// not exist, or a value of the wrong type, fails to compile instead of
// failing on every evaluation:
//
//	tool             string  Claude Code tool name: "Bash", "Read", "mcp__github__create_issue"
//	command          string  Bash command as written
//	path             string  file tools: the absolute path
//	url, host        string  WebFetch: the URL and its lower-cased host
//	mcp_server       string  MCP tools: server name ("github")
//	mcp_tool         string  MCP tools: tool name ("create_issue")
//	cwd, repo        string  session working directory; repository root ("" when unknown)
//	permission_mode  string  "default", "acceptEdits", "plan", "bypassPermissions", ...
//	tier             string  the tier being decided
//	input            map     the raw tool_input
//	commands         list    Bash: every simple command that could run, each
//	                         {program: string, args: list(string), text: string,
//	                          via: list(string), classes: list(string)}
//	paths            list    every path the action touches, each {path: string, access: "read"|"write"}
//	classes          list    union of the commands' classes
//
// Examples:
//
//	action.tool == "Bash" && action.commands.exists(c, c.program == "ssh" && c.args.exists(a, a.endsWith(".prod.internal")))
//	action.paths.exists(p, p.access == "write" && p.path.startsWith("/etc/"))
//	action.tier == "regulated" && action.host.endsWith(".pastebin.com")
const ActionVar = "action"

// ConditionCostLimit bounds the work one condition evaluation may do (CEL
// cost units); beyond it evaluation fails and the engine fails closed.
const ConditionCostLimit = 1_000_000

// ConditionIssue is one compile problem in a condition's when expression;
// Line is 1-based, Col 0-based within the expression.
type ConditionIssue struct {
	Line, Col int
	Msg       string
}

// ConditionChecker compiles a when expression and reports its problems;
// Parse checks every condition with it, reporting each issue at its place
// in the file. The CEL compiler lives in internal/condition, outside this
// package, so that the hook-only binary (which hands a call that needs a
// condition to warden) links no CEL: the warden binary sets this to
// condition.Check before it loads a policy; left nil, conditions are not
// compiled at load (they fail closed when evaluated).
var ConditionChecker func(expr string) []ConditionIssue

// AppliesTo reports whether the condition's tools prefilter admits tool: the
// list is empty, names tool exactly, or names its MCP server ("mcp__github"
// or "mcp__github__*" admit "mcp__github__create_issue").
func (c Condition) AppliesTo(tool string) bool {
	if len(c.Tools) == 0 || slices.Contains(c.Tools, tool) {
		return true
	}
	for _, t := range c.Tools {
		server := strings.TrimSuffix(t, "__*")
		if IsMCPTool(server) && strings.HasPrefix(tool, server+"__") {
			return true
		}
	}
	return false
}

// CELAction is what a condition sees as ActionVar. The engine fills it;
// CELEnv declares its fields to CEL under the names of their cel tags
// (ActionVar's documentation lists them).
type CELAction struct {
	Tool           string         `cel:"tool"`
	Command        string         `cel:"command"`
	Path           string         `cel:"path"`
	URL            string         `cel:"url"`
	Host           string         `cel:"host"`
	MCPServer      string         `cel:"mcp_server"`
	MCPTool        string         `cel:"mcp_tool"`
	Cwd            string         `cel:"cwd"`
	Repo           string         `cel:"repo"`
	PermissionMode string         `cel:"permission_mode"`
	Tier           string         `cel:"tier"`
	Input          map[string]any `cel:"input"`
	Commands       []CELCommand   `cel:"commands"`
	Paths          []CELPath      `cel:"paths"`
	Classes        []string       `cel:"classes"`
}

// CELCommand is one simple command of a Bash action.
type CELCommand struct {
	Program string   `cel:"program"`
	Args    []string `cel:"args"`
	Text    string   `cel:"text"`
	Via     []string `cel:"via"`
	Classes []string `cel:"classes"`
}

// CELPath is one path an action touches.
type CELPath struct {
	Path   string `cel:"path"`
	Access Access `cel:"access"` // read or write
}

// Activation returns the variables for cel.Program.Eval: ActionVar bound
// to a.
func (a *CELAction) Activation() map[string]any {
	return map[string]any{ActionVar: a}
}
