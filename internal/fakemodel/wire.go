package fakemodel

import (
	"encoding/json"
	"strings"
)

// messagesRequest is the part of a Messages API request body the server reads.
type messagesRequest struct {
	Model    string        `json:"model"`
	Stream   bool          `json:"stream"`
	Messages []wireMessage `json:"messages"`
	Tools    []wireTool    `json:"tools"`
}

type wireMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type wireTool struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// wireBlock is any content block; only the fields of the types read here.
type wireBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
}

// blocks decodes message content, which is either a string or a block list.
func blocks(content json.RawMessage) []wireBlock {
	c := strings.TrimSpace(string(content))
	if c == "" || c == "null" {
		return nil
	}
	if c[0] == '"' {
		var s string
		if json.Unmarshal(content, &s) != nil {
			return nil
		}
		return []wireBlock{{Type: "text", Text: s}}
	}
	var bs []wireBlock
	if json.Unmarshal(content, &bs) != nil {
		return nil
	}
	return bs
}

// contentText flattens a tool_result's content (a string or a list of
// blocks) to its text.
func contentText(content json.RawMessage) string {
	var sb strings.Builder
	for i, b := range blocks(content) {
		if b.Type != "text" {
			continue
		}
		if i > 0 && sb.Len() > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(b.Text)
	}
	return sb.String()
}

// isWebSearch reports whether tools is the set WebSearch sends with its own
// nested request: server-side web_search tools only.
func isWebSearch(tools []wireTool) bool {
	if len(tools) == 0 {
		return false
	}
	for _, t := range tools {
		if !strings.HasPrefix(t.Type, "web_search") {
			return false
		}
	}
	return true
}

// firstUserText returns the text of the conversation's first user message.
func firstUserText(msgs []wireMessage) string {
	for _, m := range msgs {
		if m.Role != "user" {
			continue
		}
		var sb strings.Builder
		for _, b := range blocks(m.Content) {
			if b.Type == "text" {
				sb.WriteString(b.Text)
				sb.WriteByte('\n')
			}
		}
		return sb.String()
	}
	return ""
}

// answeredToolUses returns the ids of the tool_use blocks in the
// conversation's assistant messages.
func answeredToolUses(msgs []wireMessage) map[string]bool {
	ids := make(map[string]bool)
	for _, m := range msgs {
		if m.Role != "assistant" {
			continue
		}
		for _, b := range blocks(m.Content) {
			if b.Type == "tool_use" && b.ID != "" {
				ids[b.ID] = true
			}
		}
	}
	return ids
}

// ToolResult is one tool_result block the client sent back to the model.
type ToolResult struct {
	ToolUseID string
	IsError   bool
	// Text is the result's text content (text blocks joined by newlines).
	Text string
}

// toolResults returns the tool_result blocks of every user message.
func toolResults(msgs []wireMessage) []ToolResult {
	var out []ToolResult
	for _, m := range msgs {
		if m.Role != "user" {
			continue
		}
		for _, b := range blocks(m.Content) {
			if b.Type == "tool_result" {
				out = append(out, ToolResult{ToolUseID: b.ToolUseID, IsError: b.IsError, Text: contentText(b.Content)})
			}
		}
	}
	return out
}

// apiError is the Messages API error body.
type apiError struct {
	Type  string       `json:"type"`
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// usage is the token usage reported on every answer; the numbers are fixed
// so cost lines in the client's output stay deterministic.
type usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// message is a complete assistant message (non-streaming answers, and the
// envelope of message_start with empty content).
type message struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	Role         string          `json:"role"`
	Model        string          `json:"model"`
	Content      []responseBlock `json:"content"`
	StopReason   *string         `json:"stop_reason"`
	StopSequence *string         `json:"stop_sequence"`
	Usage        usage           `json:"usage"`
}

// responseBlock is a text or tool_use block of an answer.
type responseBlock struct {
	Type  string          `json:"type"`
	Text  *string         `json:"text,omitempty"`
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
}

func textBlock(s string) responseBlock { return responseBlock{Type: "text", Text: &s} }
