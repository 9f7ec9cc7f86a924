package hookproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Hook event names Warden handles specially. Any other event is recorded.
const (
	EventPreToolUse         = "PreToolUse"
	EventPermissionRequest  = "PermissionRequest"
	EventPostToolUse        = "PostToolUse"
	EventPostToolUseFailure = "PostToolUseFailure"
	EventPostToolBatch      = "PostToolBatch"
	EventUserPromptSubmit   = "UserPromptSubmit"
	EventSessionStart       = "SessionStart"
	EventSessionEnd         = "SessionEnd"
	EventStop               = "Stop"
	EventConfigChange       = "ConfigChange"
)

// MaxInputBytes bounds the hook input. Larger input is an error, never
// truncated and decided on.
const MaxInputBytes = 1 << 20

// ErrInputTooLarge is returned by Decode for input over MaxInputBytes.
var ErrInputTooLarge = errors.New("hook input is larger than 1 MiB")

// Input is the JSON object Claude Code writes to a command hook's stdin, as
// observed on Claude Code 2.1.330 (shared/spec/claude-code.md). Fields the
// client adds in later versions are ignored; fields are filled only for the
// events that carry them.
type Input struct {
	// Common to every event.
	SessionID      string `json:"session_id"`
	TranscriptPath string `json:"transcript_path"`
	Cwd            string `json:"cwd"`
	HookEventName  string `json:"hook_event_name"`
	PromptID       string `json:"prompt_id,omitempty"`
	PermissionMode string `json:"permission_mode,omitempty"`
	// Effort is {"level":"medium"}; kept raw because no decision depends on it.
	Effort json.RawMessage `json:"effort,omitempty"`

	// Tool events: PreToolUse, PermissionRequest, PostToolUse, PostToolUseFailure.
	ToolName string `json:"tool_name,omitempty"`
	// RawToolInput is tool_input exactly as sent; ToolInput is it decoded
	// when it is a JSON object.
	RawToolInput json.RawMessage `json:"tool_input,omitempty"`
	ToolInput    map[string]any  `json:"-"`
	ToolUseID    string          `json:"tool_use_id,omitempty"`
	MCPServer    *MCPServer      `json:"mcp_server,omitempty"`
	// ToolResponse (PostToolUse) is never decoded, logged or recorded.
	ToolResponse json.RawMessage `json:"tool_response,omitempty"`
	DurationMS   json.Number     `json:"duration_ms,omitempty"`
	// Error and IsInterrupt come with PostToolUseFailure.
	Error       string `json:"error,omitempty"`
	IsInterrupt bool   `json:"is_interrupt,omitempty"`
	// PermissionSuggestions (PermissionRequest) are the "always allow"
	// options the user would see; kept raw.
	PermissionSuggestions json.RawMessage `json:"permission_suggestions,omitempty"`

	// ToolCalls (PostToolBatch) lists every call of the batch, including
	// calls that were refused or named tools that do not exist.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`

	// Prompt (UserPromptSubmit) is the full prompt text; only its length is
	// ever recorded.
	Prompt string `json:"prompt,omitempty"`
	// Source is SessionStart's ("startup", ...) or ConfigChange's
	// ("user_settings", ...).
	Source string `json:"source,omitempty"`
	// Reason is SessionEnd's ("other", ...).
	Reason string `json:"reason,omitempty"`
	// FilePath is the settings file a ConfigChange is about.
	FilePath string `json:"file_path,omitempty"`

	// Stop.
	StopHookActive       bool            `json:"stop_hook_active,omitempty"`
	LastAssistantMessage string          `json:"last_assistant_message,omitempty"`
	BackgroundTasks      json.RawMessage `json:"background_tasks,omitempty"`
	SessionCrons         json.RawMessage `json:"session_crons,omitempty"`

	// MessageDisplay.
	TurnID    string `json:"turn_id,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	Index     *int   `json:"index,omitempty"`
	Final     bool   `json:"final,omitempty"`
	Delta     string `json:"delta,omitempty"`
}

// MCPServer is the mcp_server object of MCP tool events.
type MCPServer struct {
	Name   string `json:"name"`
	Source string `json:"source,omitempty"` // "dynamic" for --mcp-config servers
}

// ToolCall is one entry of PostToolBatch's tool_calls.
type ToolCall struct {
	ToolName     string          `json:"tool_name"`
	RawToolInput json.RawMessage `json:"tool_input,omitempty"`
	ToolInput    map[string]any  `json:"-"`
	ToolUseID    string          `json:"tool_use_id,omitempty"`
	// ToolResponse is the text the model got; never recorded.
	ToolResponse json.RawMessage `json:"tool_response,omitempty"`
}

// Decides reports whether the event asks the hook for a permission decision
// (and must therefore fail closed).
func Decides(event string) bool {
	return event == EventPreToolUse || event == EventPermissionRequest
}

// Decode reads one hook input from r. It reads at most MaxInputBytes+1 bytes
// and fails with ErrInputTooLarge beyond the limit. The input must be exactly
// one JSON object with a hook_event_name; decision events (PreToolUse,
// PermissionRequest) also need tool_name and a tool_input object, and Bash a
// string tool_input.command.
//
// When the input is a JSON object but a field is missing or of the wrong
// type, Decode returns what it could decode (at least the event name)
// together with the error, so the caller can still answer as that event
// expects; otherwise the Input is nil.
func Decode(r io.Reader) (*Input, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read hook input: %w", err)
	}
	if len(data) > MaxInputBytes {
		return nil, ErrInputTooLarge
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("hook input is empty")
	}
	if data[0] != '{' {
		return nil, errors.New("hook input is not a JSON object")
	}
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&fields); err != nil {
		return nil, fmt.Errorf("hook input is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("hook input has data after the JSON object")
	}
	var in Input
	if err := in.decodeFields(fields); err != nil {
		return eventOnly(data), err
	}
	return &in, in.validate()
}

// decodeFields fills in from the input's fields, each decoded on its own.
// Decoding the object into Input by reflection would build encoding/json's
// field cache of a 30-field struct in every hook process, the costliest
// part of reading the input on a cold process. Keys match exactly, as
// Claude Code writes them (decoding into the struct would also take other
// cases); a later duplicate wins, as there. The first field of the wrong
// type is the error, after every field has been tried.
func (in *Input) decodeFields(fields map[string]json.RawMessage) error {
	var first error
	set := func(key string, v any) {
		raw, ok := fields[key]
		if !ok {
			return
		}
		if err := json.Unmarshal(raw, v); err != nil && first == nil {
			first = fmt.Errorf("hook input field %s: %w", key, err)
		}
	}
	set("session_id", &in.SessionID)
	set("transcript_path", &in.TranscriptPath)
	set("cwd", &in.Cwd)
	set("hook_event_name", &in.HookEventName)
	set("prompt_id", &in.PromptID)
	set("permission_mode", &in.PermissionMode)
	set("effort", &in.Effort)
	set("tool_name", &in.ToolName)
	set("tool_input", &in.RawToolInput)
	set("tool_use_id", &in.ToolUseID)
	set("mcp_server", &in.MCPServer)
	set("tool_response", &in.ToolResponse)
	set("duration_ms", &in.DurationMS)
	set("error", &in.Error)
	set("is_interrupt", &in.IsInterrupt)
	set("permission_suggestions", &in.PermissionSuggestions)
	set("tool_calls", &in.ToolCalls)
	set("prompt", &in.Prompt)
	set("source", &in.Source)
	set("reason", &in.Reason)
	set("file_path", &in.FilePath)
	set("stop_hook_active", &in.StopHookActive)
	set("last_assistant_message", &in.LastAssistantMessage)
	set("background_tasks", &in.BackgroundTasks)
	set("session_crons", &in.SessionCrons)
	set("turn_id", &in.TurnID)
	set("message_id", &in.MessageID)
	set("index", &in.Index)
	set("final", &in.Final)
	set("delta", &in.Delta)
	return first
}

// eventOnly salvages the event name from input that is JSON but does not
// fit Input (a field of an unexpected type), so the failure is answered the
// way that event expects. It returns nil when even that is impossible.
func eventOnly(data []byte) *Input {
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return nil
	}
	var name string
	if json.Unmarshal(fields["hook_event_name"], &name) != nil || name == "" {
		return nil
	}
	return &Input{HookEventName: name}
}

func (in *Input) validate() error {
	if in.HookEventName == "" {
		return errors.New("hook input has no hook_event_name")
	}
	m, err := objectOrNil(in.RawToolInput)
	in.ToolInput = m
	for i := range in.ToolCalls {
		// PostToolBatch is observed, not decided: a malformed entry is
		// recorded as far as it goes.
		in.ToolCalls[i].ToolInput, _ = objectOrNil(in.ToolCalls[i].RawToolInput)
	}
	if !Decides(in.HookEventName) {
		return nil
	}
	switch {
	case in.ToolName == "":
		return fmt.Errorf("%s input has no tool_name", in.HookEventName)
	case err != nil:
		return fmt.Errorf("%s input for %s: %w", in.HookEventName, in.ToolName, err)
	case in.ToolInput == nil:
		return fmt.Errorf("%s input for %s has no tool_input", in.HookEventName, in.ToolName)
	}
	if in.ToolName == "Bash" {
		if _, ok := in.ToolInput["command"].(string); !ok {
			return fmt.Errorf("%s input for Bash has no tool_input.command string", in.HookEventName)
		}
	}
	return nil
}

// objectOrNil decodes raw when it is a JSON object; it returns nil for an
// absent or null value and an error for anything else.
func objectOrNil(raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, errors.New("tool_input is not a JSON object")
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode tool_input: %w", err)
	}
	return m, nil
}

// forCall returns a copy of a PostToolBatch input describing one of its
// calls, so it can be turned into an Action like any tool event.
func (in *Input) forCall(c ToolCall) *Input {
	cp := *in
	cp.ToolCalls = nil
	cp.ToolName = c.ToolName
	cp.RawToolInput = c.RawToolInput
	cp.ToolInput = c.ToolInput
	cp.ToolUseID = c.ToolUseID
	cp.ToolResponse = nil
	cp.MCPServer = nil // not sent per call; the tool name says it all
	return &cp
}
