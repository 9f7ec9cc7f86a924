package hookproto

import (
	"reflect"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/engine"
)

func TestAction(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  engine.Action // Cwd, Home, PermissionMode and Input are checked separately
	}{
		{"Bash", `{"tool_name":"Bash","tool_input":{"command":"ls -la","description":"list"}}`,
			engine.Action{Tool: "Bash", Command: "ls -la"}},
		{"Read", `{"tool_name":"Read","tool_input":{"file_path":"/home/dev/app/.env","limit":10}}`,
			engine.Action{Tool: "Read", Path: "/home/dev/app/.env"}},
		{"Write", `{"tool_name":"Write","tool_input":{"file_path":"new.txt","content":"x"}}`,
			engine.Action{Tool: "Write", Path: "new.txt"}},
		{"Edit", `{"tool_name":"Edit","tool_input":{"file_path":"/a","old_string":"x","new_string":"y"}}`,
			engine.Action{Tool: "Edit", Path: "/a"}},
		{"MultiEdit", `{"tool_name":"MultiEdit","tool_input":{"file_path":"/a","edits":[]}}`,
			engine.Action{Tool: "MultiEdit", Path: "/a"}},
		{"NotebookEdit", `{"tool_name":"NotebookEdit","tool_input":{"notebook_path":"/nb.ipynb","new_source":"x"}}`,
			engine.Action{Tool: "NotebookEdit", Path: "/nb.ipynb"}},
		{"GlobDefaultsToCwd", `{"tool_name":"Glob","tool_input":{"pattern":"**/*.go"}}`,
			engine.Action{Tool: "Glob", Path: "/home/dev/app", Pattern: "**/*.go"}},
		{"GrepWithPath", `{"tool_name":"Grep","tool_input":{"pattern":"needle","path":"/etc"}}`,
			engine.Action{Tool: "Grep", Path: "/etc", Pattern: "needle"}},
		{"WebFetch", `{"tool_name":"WebFetch","tool_input":{"url":"https://example.com/","prompt":"p"}}`,
			engine.Action{Tool: "WebFetch", URL: "https://example.com/"}},
		{"WebSearch", `{"tool_name":"WebSearch","tool_input":{"query":"q"}}`,
			engine.Action{Tool: "WebSearch", Query: "q"}},
		{"MCP", `{"tool_name":"mcp__notes__read_note","tool_input":{"name":"x"},"mcp_server":{"name":"notes","source":"dynamic"}}`,
			engine.Action{Tool: "mcp__notes__read_note", MCPServer: "notes", MCPTool: "read_note"}},
		{"MCPUnderscoreServerNoHint", `{"tool_name":"mcp__my_server__do_thing","tool_input":{}}`,
			engine.Action{Tool: "mcp__my_server__do_thing", MCPServer: "my_server", MCPTool: "do_thing"}},
		{"MCPDoubleUnderscoreServerHint", `{"tool_name":"mcp__a__b__c","tool_input":{},"mcp_server":{"name":"a__b"}}`,
			engine.Action{Tool: "mcp__a__b__c", MCPServer: "a__b", MCPTool: "c"}},
		{"MCPInconsistentHint", `{"tool_name":"mcp__a__b__c","tool_input":{},"mcp_server":{"name":"other"}}`,
			engine.Action{Tool: "mcp__a__b__c", MCPServer: "a", MCPTool: "b__c"}},
		{"MCPNoTool", `{"tool_name":"mcp__lonely","tool_input":{}}`,
			engine.Action{Tool: "mcp__lonely", MCPServer: "lonely"}},
		{"OtherTool", `{"tool_name":"Task","tool_input":{"prompt":"p"}}`,
			engine.Action{Tool: "Task"}},
		{"WrongFieldType", `{"tool_name":"Read","tool_input":{"file_path":7}}`,
			engine.Action{Tool: "Read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := `{"hook_event_name":"PostToolUse","cwd":"/home/dev/app","permission_mode":"default",` + tt.input[1:]
			in, err := Decode(strings.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			got := Action(in, "/home/dev", "/home/dev/app")
			if got.Cwd != "/home/dev/app" || got.Home != "/home/dev" || got.Repo != "/home/dev/app" || got.PermissionMode != "default" {
				t.Errorf("context = cwd %q home %q repo %q mode %q", got.Cwd, got.Home, got.Repo, got.PermissionMode)
			}
			if !reflect.DeepEqual(got.Input, in.ToolInput) {
				t.Errorf("Input = %v, want tool_input %v", got.Input, in.ToolInput)
			}
			got.Cwd, got.Home, got.PermissionMode, got.Input, got.Repo = "", "", "", nil, ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
