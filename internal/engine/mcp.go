package engine

import (
	"fmt"
	"strings"

	"github.com/wardenhq/warden/internal/policy"
)

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
	}
	access := policy.AccessRead
	if srv != nil {
		write, why := mcpWriteTool(srv, tool)
		if write {
			access = policy.AccessWrite
			v := srv.Write
			if v == policy.None {
				v = policy.Ask
			}
			d.match(u, v, "mcp."+server+".write", fmt.Sprintf("MCP tool %s of server %s can write: %s", tool, server, why))
		} else {
			v := srv.Read
			if v == policy.None {
				v = policy.Allow
			}
			d.match(u, v, "mcp."+server+".read", fmt.Sprintf("MCP tool %s of approved server %s reads: %s", tool, server, why))
		}
	}
	// Secrets stay secret through any tool: paths in the tool's arguments
	// are file accesses like any other, in the same unit, so a deny of a
	// secret beats the read tool's allow (read_text_file of .env is a Read
	// of .env).
	via := "MCP tool " + server + "/" + tool
	for _, p := range mcpPaths(a.Input) {
		e.checkFile(d, u, fileAccess{raw: p, access: access, cwds: []string{a.Cwd}, via: via})
		if access == policy.AccessWrite {
			e.checkFile(d, u, fileAccess{raw: p, access: policy.AccessRead, cwds: []string{a.Cwd}, via: via})
		}
	}
	e.nativeTool(d, u)
	e.conditions(d, u, nil)
}

// mcpPaths returns the string arguments of an MCP call that name files:
// values (or lists of values) under keys such as path, paths, file,
// file_path, filename, source, destination, directory, and file: URIs.
func mcpPaths(input map[string]any) []string {
	var out []string
	var walk func(key string, v any, depth int)
	walk = func(key string, v any, depth int) {
		if depth > 4 {
			return
		}
		switch x := v.(type) {
		case string:
			if after, ok := strings.CutPrefix(x, "file://"); ok {
				out = append(out, after)
			} else if pathKey(key) && x != "" && len(x) < 4096 {
				out = append(out, x)
			}
		case []any:
			for _, it := range x {
				walk(key, it, depth+1)
			}
		case map[string]any:
			for k, it := range x {
				walk(k, it, depth+1)
			}
		}
	}
	for k, v := range input {
		walk(k, v, 0)
	}
	return out
}

func pathKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"path", "file", "dir", "source", "destination", "target", "uri"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}
