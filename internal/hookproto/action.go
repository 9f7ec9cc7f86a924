package hookproto

import (
	"strings"

	"github.com/wardenhq/warden/internal/engine"
)

// Action turns a tool event into the engine's Action: Bash → Command; Read,
// Write, Edit, MultiEdit → Path (file_path); NotebookEdit → Path
// (notebook_path); Glob, Grep → Path (path, default cwd) and Pattern;
// WebFetch → URL; WebSearch → Query; mcp__<server>__<tool> → MCPServer and
// MCPTool. Cwd, PermissionMode and Input come from the event; home and
// repo (the repository root around cwd, "" when unknown) are given.
func Action(in *Input, home, repo string) engine.Action {
	a := engine.Action{
		Tool:           in.ToolName,
		Cwd:            in.Cwd,
		Home:           home,
		Repo:           repo,
		PermissionMode: in.PermissionMode,
		Input:          in.ToolInput,
	}
	str := func(key string) string {
		s, _ := in.ToolInput[key].(string)
		return s
	}
	switch in.ToolName {
	case "Bash":
		a.Command = str("command")
	case "Read", "Write", "Edit", "MultiEdit":
		a.Path = str("file_path")
	case "NotebookEdit":
		a.Path = str("notebook_path")
	case "Glob", "Grep":
		a.Path = str("path")
		if a.Path == "" {
			a.Path = in.Cwd
		}
		a.Pattern = str("pattern")
	case "WebFetch":
		a.URL = str("url")
	case "WebSearch":
		a.Query = str("query")
	default:
		if isMCPTool(in.ToolName) {
			name := ""
			if in.MCPServer != nil {
				name = in.MCPServer.Name
			}
			a.MCPServer, a.MCPTool = splitMCP(in.ToolName, name)
		}
	}
	return a
}

// actionWithGit is Action with the repository, branch and remote the
// caller read, for rules on protected branches and repository exceptions.
func actionWithGit(in *Input, home string, git Git) engine.Action {
	a := Action(in, home, git.Root)
	a.Branch = git.Branch
	a.Remote = git.Remote
	return a
}

const mcpPrefix = "mcp__"

func isMCPTool(name string) bool { return strings.HasPrefix(name, mcpPrefix) }

// splitMCP splits mcp__<server>__<tool>. Server names may contain single
// underscores, so the split is on the first "__" after the prefix, unless
// the hook's mcp_server.name (hint) is consistent with the tool name, in
// which case it wins (it may itself contain "__").
func splitMCP(toolName, hint string) (server, tool string) {
	rest := strings.TrimPrefix(toolName, mcpPrefix)
	if hint != "" {
		if t, ok := strings.CutPrefix(rest, hint+"__"); ok && t != "" {
			return hint, t
		}
	}
	server, tool, _ = strings.Cut(rest, "__")
	return server, tool
}
