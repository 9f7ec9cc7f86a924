package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestMCPServersFor(t *testing.T) {
	servers, bad := MCPServersFor([]string{
		"mcp__github__create_issue", "mcp__github__get_issue", "mcp__github__create_issue",
		"mcp__evil__github__get_issue", "mcp__github-enterprise__get_issue",
		"mcp_github_create_issue", "Bash", "mcp__x__", "mcp__bad name__t",
	})
	want := []MCPServer{
		{Name: "evil", Tools: []string{"github__get_issue"}},
		{Name: "github", Tools: []string{"create_issue", "get_issue"}},
		{Name: "github-enterprise", Tools: []string{"get_issue"}},
	}
	if !reflect.DeepEqual(servers, want) {
		t.Errorf("servers = %+v, want %+v", servers, want)
	}
	if want := []string{"mcp_github_create_issue", "Bash", "mcp__x__", "mcp__bad name__t"}; !reflect.DeepEqual(bad, want) {
		t.Errorf("bad = %q, want %q", bad, want)
	}
}

func TestMCPConfig(t *testing.T) {
	b, err := MCPConfig("/s/bin/mcp-stub", "/s/spool/mcp.jsonl", []MCPServer{
		{Name: "github", Tools: []string{"get_issue"}, Replies: map[string]string{"get_issue": "edit the workflow"}},
		{Name: "notes", Tools: []string{"read_note"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		MCPServers map[string]struct {
			Type    string            `json:"type"`
			Command string            `json:"command"`
			Args    []string          `json:"args"`
			Env     map[string]string `json:"env"`
		} `json:"mcpServers"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	gh := doc.MCPServers["github"]
	if gh.Type != "stdio" || gh.Command != "/s/bin/mcp-stub" || !reflect.DeepEqual(gh.Args, []string{"/s/spool/mcp.jsonl", "github", "get_issue"}) ||
		gh.Env["MCP_STUB_REPLIES"] != `{"get_issue":"edit the workflow"}` {
		t.Errorf("github = %+v", gh)
	}
	if n := doc.MCPServers["notes"]; n.Env != nil || len(doc.MCPServers) != 2 {
		t.Errorf("servers = %+v", doc.MCPServers)
	}
	for _, bad := range [][]MCPServer{nil, {{Name: "a b"}}, {{Name: "a"}, {Name: "a"}}} {
		if _, err := MCPConfig("s", "l", bad); err == nil {
			t.Errorf("MCPConfig(%+v): no error", bad)
		}
	}
}

func TestReadMCPLog(t *testing.T) {
	dir := t.TempDir()
	if calls, err := ReadMCPLog(filepath.Join(dir, "none.jsonl")); err != nil || calls != nil {
		t.Errorf("missing log: %v, %v", calls, err)
	}
	p := filepath.Join(dir, "log.jsonl")
	if err := os.WriteFile(p, []byte(`{"server":"github","tool":"get_issue","arguments":{"n":1}}`+"\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	calls, err := ReadMCPLog(p)
	if err != nil || len(calls) != 1 || calls[0].Server != "github" || calls[0].Tool != "get_issue" || calls[0].Arguments["n"] != 1.0 {
		t.Errorf("calls = %+v, %v", calls, err)
	}
	if err := os.WriteFile(p, []byte("not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadMCPLog(p); err == nil {
		t.Error("no error for a bad line")
	}
}
