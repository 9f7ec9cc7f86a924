package otlp_test

import (
	"fmt"

	"github.com/wardenhq/warden/internal/otlp"
)

// A tool_decision record as Claude Code 2.1.330 sends it over OTLP/HTTP
// JSON with OTEL_LOG_TOOL_DETAILS=1: an MCP tool appears as "mcp_tool",
// its server and tool name only in tool_parameters.
const toolDecision = `{"resourceLogs":[{
  "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}},
                            {"key":"service.version","value":{"stringValue":"2.1.330"}}]},
  "scopeLogs":[{"scope":{"name":"com.anthropic.claude_code.events","version":"2.1.330"},
    "logRecords":[{"timeUnixNano":"1795395431318000000","body":{"stringValue":"claude_code.tool_decision"},
      "attributes":[
        {"key":"session.id","value":{"stringValue":"1d566173-308b-4e96-92c4-2fc71cc326fc"}},
        {"key":"event.name","value":{"stringValue":"tool_decision"}},
        {"key":"event.sequence","value":{"intValue":61}},
        {"key":"decision","value":{"stringValue":"reject"}},
        {"key":"source","value":{"stringValue":"config"}},
        {"key":"tool_name","value":{"stringValue":"mcp_tool"}},
        {"key":"tool_parameters","value":{"stringValue":"{\"mcp_server_name\":\"notes\",\"mcp_tool_name\":\"write_note\"}"}}]}]}]}]}`

func ExampleDecodeLogs() {
	events, err := otlp.DecodeLogs([]byte(toolDecision), otlp.ContentTypeJSON)
	if err != nil {
		fmt.Println(err)
		return
	}
	ev := events[0]
	fmt.Println(ev.Kind, ev.Time, ev.Tool, ev.Decision)
	fmt.Println(ev.Attrs["decision_source"], ev.Attrs["mcp_server_name"], ev.Attrs["mcp_tool_name"], ev.Attrs["event.sequence"])
	fmt.Println(ev.Resource["service.version"])
	// Output:
	// tool_decision 2026-11-23 00:57:11.318 +0000 UTC mcp_tool reject
	// config notes write_note 61
	// 2.1.330
}

func ExampleDecodeLogs_unsupported() {
	_, err := otlp.DecodeLogs([]byte("hello"), "text/plain")
	fmt.Println(err)
	// Output:
	// decode otlp logs: unsupported content type "text/plain"
}
