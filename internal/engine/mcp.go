package engine

import (
	"fmt"
	"strings"

	"github.com/wardenhq/warden/internal/policy"
)

// defaultWriteWords mark an MCP tool as write-capable by its name.
var defaultWriteWords = []string{"create", "delete", "update", "push", "write", "merge"}

// splitMCPTool splits "mcp__server__tool". Server names may contain single
// underscores, so the split is at the first "__" after the prefix.
func splitMCPTool(name string) (server, tool string) {
	rest := strings.TrimPrefix(name, "mcp__")
	if i := strings.Index(rest, "__"); i >= 0 {
		return rest[:i], rest[i+2:]
	}
	return rest, ""
}

func (e *Engine) decideMCP(d *decision) {
	u := d.newUnit()
	a := d.a
	server, tool := a.MCPServer, a.MCPTool
	if server == "" {
		server, tool = splitMCPTool(a.Tool)
	}
	d.note("mcp", "server %s tool %s", server, tool)
	var srv *policy.MCPServer
	for i := range e.rs.MCP.Servers {
		if e.rs.MCP.Servers[i].Name == server {
			srv = &e.rs.MCP.Servers[i]
			break
		}
	}
	if srv == nil {
		if v := e.rs.MCP.Default; v != policy.None {
			d.match(u, v, "mcp.default", fmt.Sprintf("MCP server %q is not approved by the policy (tool %s)", server, tool))
		}
	} else {
		write := isWriteTool(srv, tool)
		if write {
			v := srv.Write
			if v == policy.None {
				v = policy.Ask
			}
			d.match(u, v, "mcp."+server+".write", fmt.Sprintf("MCP tool %s of server %s can write", tool, server))
		} else {
			v := srv.Read
			if v == policy.None {
				v = policy.Allow
			}
			d.match(u, v, "mcp."+server+".read", fmt.Sprintf("MCP tool %s of approved server %s reads", tool, server))
		}
	}
	e.nativeTool(d, u)
	e.conditions(d, u, nil)
}

func isWriteTool(srv *policy.MCPServer, tool string) bool {
	if c, ok := srv.Tools[tool]; ok {
		return c == "write"
	}
	words := srv.WriteWords
	if len(words) == 0 {
		words = defaultWriteWords
	}
	lt := strings.ToLower(tool)
	for _, w := range words {
		if strings.Contains(lt, strings.ToLower(w)) {
			return true
		}
	}
	return false
}
