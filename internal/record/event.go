package record

import (
	"encoding/json"
	"time"
)

// Event sources.
const (
	SourceOTLP = "otlp" // Claude Code's OpenTelemetry log records
	SourceHook = "hook" // Warden's own hook audit events (AuditEventV1)
)

// Event is one thing that happened in a Claude Code session, as stored: a
// typed OTLP log record (tool_decision, api_request, ...) or a hook audit
// event. The server joins a session's events into a RunRecord.
type Event struct {
	// ID is the deduplication key: the hook's event_id, or for OTLP a hash
	// of session.id, event.sequence, event.name and timestamp.
	ID     string `json:"id"`
	Source string `json:"source"`
	// Kind is the Claude Code event name without prefix (tool_decision,
	// tool_result, api_request, api_error, user_prompt, hook_execution_start,
	// hook_execution_complete, managed_settings_resolved, hook_registered,
	// plugin_loaded, mcp_server_connection, permission_mode_change, ...), the
	// hook event name for hook events (PreToolUse, ...), or "raw" for OTLP
	// records Warden does not know, which are kept, never rejected.
	Kind      string    `json:"kind"`
	Time      time.Time `json:"time"`
	SessionID string    `json:"session_id,omitempty"`
	UserID    string    `json:"user_id,omitempty"`
	PromptID  string    `json:"prompt_id,omitempty"`
	// Tool, Decision and Source of the decision for tool events
	// (tool_decision: accept/reject and config/hook; hook: deny/ask/allow/none).
	Tool     string `json:"tool,omitempty"`
	Decision string `json:"decision,omitempty"`
	// Attrs are the record's attributes with numbers and booleans that
	// arrived as strings parsed back (Claude Code sends many as strings).
	Attrs map[string]any `json:"attrs,omitempty"`
	// Resource holds the OTLP resource attributes (service.version, os.type,
	// host.arch, and CI attributes from OTEL_RESOURCE_ATTRIBUTES).
	Resource map[string]any `json:"resource,omitempty"`
	// Audit is the hook's event, for Source hook.
	Audit *AuditEventV1 `json:"audit,omitempty"`
	// Raw is the original record, for Kind raw.
	Raw json.RawMessage `json:"raw,omitempty"`
	// Verification is what the server established about a hook audit
	// event's signature and chain when it arrived (nil for OTLP events).
	Verification *Verification `json:"verification,omitempty"`
	// Encoded, when set, is this event as store.MarshalEvent encodes it,
	// kept by a caller that had to encode it anyway (the server's
	// decision journal) so that the store does not encode it again. It is
	// never encoded itself, and must be dropped if the event changes.
	Encoded []byte `json:"-"`
	// Arrival is the event's arrival order at the store (larger arrived
	// later), set by store.SessionEvents; 0 when unknown. It is never
	// encoded: a sender cannot claim it. The run record keeps the first
	// event to arrive where two disagree.
	Arrival int64 `json:"-"`
}

// MetricPoint is one data point of a Claude Code metric (delta temporality:
// each point is the change over [Start, Time]).
type MetricPoint struct {
	// ID deduplicates replays: a hash of name, attributes and times.
	ID        string            `json:"id"`
	Name      string            `json:"name"` // claude_code.token.usage, claude_code.cost.usage, ...
	Unit      string            `json:"unit,omitempty"`
	SessionID string            `json:"session_id,omitempty"`
	UserID    string            `json:"user_id,omitempty"`
	Attrs     map[string]string `json:"attrs,omitempty"` // type, model, decision, ...
	Value     float64           `json:"value"`
	Start     time.Time         `json:"start"`
	Time      time.Time         `json:"time"`
}
