package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
)

// mcpStub is a stdio MCP server (newline-delimited JSON-RPC) that offers
// whatever tools it is told to on its command line and records every
// tools/call it receives as one JSON line in a log file:
//
//	mcp-stub LOG SERVER TOOL...
//
// Its tools accept any object and answer "stub SERVER/TOOL ok", or the
// text $MCP_STUB_REPLIES (a JSON object) holds for the tool. The log is how
// a test proves that a refused MCP call never reached the server.
const mcpStub = `#!/usr/bin/python3
import json, sys
import os
log, server, names = sys.argv[1], sys.argv[2], sys.argv[3:]
replies = json.loads(os.environ.get("MCP_STUB_REPLIES") or "{}")
tools = [{"name": n, "description": "stub tool " + n,
          "inputSchema": {"type": "object", "additionalProperties": True}} for n in names]
def send(o):
    sys.stdout.write(json.dumps(o) + "\n"); sys.stdout.flush()
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    msg = json.loads(line)
    mid, method = msg.get("id"), msg.get("method")
    if mid is None:
        continue
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": mid, "result": {"protocolVersion": msg["params"].get("protocolVersion", "2025-06-18"),
              "capabilities": {"tools": {}}, "serverInfo": {"name": server, "version": "0.0.1"}}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": mid, "result": {"tools": tools}})
    elif method == "tools/call":
        p = msg.get("params", {})
        with open(log, "a") as f:
            f.write(json.dumps({"server": server, "tool": p.get("name"), "arguments": p.get("arguments")}) + "\n")
        text = replies.get(p.get("name"), "stub " + server + "/" + str(p.get("name")) + " ok")
        send({"jsonrpc": "2.0", "id": mid, "result": {"content": [{"type": "text", "text": text}], "isError": False}})
    elif method == "ping":
        send({"jsonrpc": "2.0", "id": mid, "result": {}})
    else:
        send({"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": "method not found"}})
`

// MCPPrefix starts every MCP tool name: mcp__<server>__<tool>.
const MCPPrefix = "mcp__"

// MCPServer is one stub server: its name and the tools it offers.
type MCPServer struct {
	Name  string
	Tools []string
	// Replies are the texts some tools answer with, by tool name: what a
	// poisoned tool result says, for instance.
	Replies map[string]string
}

// mcpName is what the client accepts as a server or tool name.
var mcpName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// MCPServersFor groups MCP tool names (mcp__server__tool) into stub servers,
// sorted by name, each tool once. The server is the text between the
// prefix and the next "__", so mcp__evil__github__get_issue is tool
// github__get_issue of server evil, as the client names it. Names that are
// not MCP tool names, or that the client could not offer, are returned in
// bad.
func MCPServersFor(toolNames []string) (servers []MCPServer, bad []string) {
	byName := map[string]*MCPServer{}
	for _, n := range toolNames {
		server, tool, ok := SplitMCP(n)
		if !ok {
			bad = append(bad, n)
			continue
		}
		s := byName[server]
		if s == nil {
			s = &MCPServer{Name: server}
			byName[server] = s
		}
		if !slices.Contains(s.Tools, tool) {
			s.Tools = append(s.Tools, tool)
		}
	}
	for _, s := range byName {
		slices.Sort(s.Tools)
		servers = append(servers, *s)
	}
	slices.SortFunc(servers, func(a, b MCPServer) int { return strings.Compare(a.Name, b.Name) })
	return servers, bad
}

// SplitMCP splits mcp__server__tool into server and tool.
func SplitMCP(toolName string) (server, tool string, ok bool) {
	rest, ok := strings.CutPrefix(toolName, MCPPrefix)
	if !ok {
		return "", "", false
	}
	server, tool, ok = strings.Cut(rest, "__")
	if !ok || !mcpName.MatchString(server) || !mcpName.MatchString(tool) {
		return "", "", false
	}
	return server, tool, true
}

// mcpConfig is the client's --mcp-config document.
type mcpConfig struct {
	MCPServers map[string]mcpServerConfig `json:"mcpServers"`
}

type mcpServerConfig struct {
	Type    string            `json:"type"`
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env,omitempty"`
}

// MCPConfig returns the --mcp-config document that starts the stub at
// stub once per server, each logging its calls to log.
func MCPConfig(stub, log string, servers []MCPServer) ([]byte, error) {
	if len(servers) == 0 {
		return nil, errors.New("mcp config: no servers")
	}
	c := mcpConfig{MCPServers: make(map[string]mcpServerConfig, len(servers))}
	for _, s := range servers {
		if !mcpName.MatchString(s.Name) {
			return nil, fmt.Errorf("mcp config: bad server name %q", s.Name)
		}
		if _, dup := c.MCPServers[s.Name]; dup {
			return nil, fmt.Errorf("mcp config: server %q twice", s.Name)
		}
		args := append([]string{log, s.Name}, s.Tools...)
		sc := mcpServerConfig{Type: "stdio", Command: stub, Args: args}
		if len(s.Replies) > 0 {
			b, err := json.Marshal(s.Replies)
			if err != nil {
				return nil, fmt.Errorf("mcp config: replies of %s: %w", s.Name, err)
			}
			sc.Env = map[string]string{"MCP_STUB_REPLIES": string(b)}
		}
		c.MCPServers[s.Name] = sc
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode mcp config: %w", err)
	}
	return append(b, '\n'), nil
}

// InstallMCPStub installs the stub MCP server into the scratch bin
// directory and returns its path.
func (h *Harness) InstallMCPStub() (string, error) {
	return h.WriteExecutable("mcp-stub", []byte(mcpStub))
}

// MCPCall is one tools/call a stub server received.
type MCPCall struct {
	Server    string         `json:"server"`
	Tool      string         `json:"tool"`
	Arguments map[string]any `json:"arguments"`
}

// ReadMCPLog reads a stub's call log; a log that does not exist means no
// call was made.
func ReadMCPLog(path string) ([]MCPCall, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read mcp log: %w", err)
	}
	var out []MCPCall
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var c MCPCall
		if err := json.Unmarshal(line, &c); err != nil {
			return out, fmt.Errorf("read mcp log %s line %d: %w", path, n, err)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}
