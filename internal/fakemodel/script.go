// Package fakemodel is a scripted stand-in for the Anthropic Messages API.
//
// A Server is given scripts of tool calls. Each request of the agent's main
// loop is answered with the next scripted tool_use block, streamed as
// server-sent events exactly as the real API streams it; when a script is
// exhausted the turn ends with a text message (stop_reason end_turn). Side
// requests the client makes on its own (requests without tools, count_tokens,
// WebSearch's nested request) get short canned answers and never advance a
// script. Every request is recorded for assertions.
//
// The next step of a conversation is derived from the conversation itself:
// the first scripted tool_use id not yet present in the request's assistant
// messages. A retried request therefore gets the same answer, and several
// conversations, even concurrent ones, can share one Server: each picks its
// script by a marker (see Marker) in its first user message.
package fakemodel

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Step is one scripted model turn: a single tool_use block.
type Step struct {
	// ID is the tool_use id. Empty means one is assigned from the script key
	// and the step's index ("toolu_0003", "toolu_k1_0003").
	ID string
	// Name is the tool name as the model calls it: Bash, Read, Write, ...
	Name string
	// Input is the tool input; it is encoded to JSON as given.
	Input any
	// Text, when set, is streamed as a text block before the tool_use block.
	Text string
}

// ToolUse returns a step that calls tool name with input.
func ToolUse(name string, input any) Step {
	return Step{Name: name, Input: input}
}

// Bash returns a step that runs command with the Bash tool.
func Bash(command string) Step {
	return ToolUse("Bash", map[string]any{"command": command, "description": "scripted step"})
}

// Read returns a step that reads path with the Read tool.
func Read(path string) Step {
	return ToolUse("Read", map[string]any{"file_path": path})
}

// script is a validated, encoded Step list.
type script struct {
	key   string
	steps []encodedStep
}

type encodedStep struct {
	id    string
	name  string
	input json.RawMessage
	text  string
}

const markerPrefix = "[warden-fakemodel-script:"

// Marker returns the text that selects the script registered under key when
// it appears in a conversation's first user message (put it in the prompt).
func Marker(key string) string {
	return markerPrefix + key + "]"
}

// markerKey returns the script key named by the first marker in text.
func markerKey(text string) (string, bool) {
	i := strings.Index(text, markerPrefix)
	if i < 0 {
		return "", false
	}
	rest := text[i+len(markerPrefix):]
	j := strings.IndexByte(rest, ']')
	if j < 0 {
		return "", false
	}
	return rest[:j], true
}

func newScript(key string, steps []Step) (*script, error) {
	if strings.ContainsAny(key, "]\n") {
		return nil, fmt.Errorf("script key %q: must not contain ']' or a newline", key)
	}
	sc := &script{key: key}
	seen := make(map[string]int, len(steps))
	for i, st := range steps {
		if st.Name == "" {
			return nil, fmt.Errorf("script %q step %d: tool name is empty", key, i)
		}
		id := st.ID
		if id == "" {
			id = DefaultID(key, i)
		}
		if j, dup := seen[id]; dup {
			return nil, fmt.Errorf("script %q step %d: tool_use id %q already used by step %d", key, i, id, j)
		}
		seen[id] = i
		in := st.Input
		if in == nil {
			in = map[string]any{}
		}
		raw, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("script %q step %d: encode input: %w", key, i, err)
		}
		if len(raw) == 0 || raw[0] != '{' {
			return nil, fmt.Errorf("script %q step %d: input must encode to a JSON object, got %s", key, i, raw)
		}
		sc.steps = append(sc.steps, encodedStep{id: id, name: st.Name, input: raw, text: st.Text})
	}
	return sc, nil
}

// DefaultID is the tool_use id given to step i of the script under key when
// the step has no ID of its own.
func DefaultID(key string, i int) string {
	if key == "" {
		return fmt.Sprintf("toolu_%04d", i)
	}
	return fmt.Sprintf("toolu_%s_%04d", key, i)
}

// next returns the index of the first step whose id is not in done, or
// len(steps) when every step has been answered.
func (sc *script) next(done map[string]bool) int {
	for i, st := range sc.steps {
		if !done[st.id] {
			return i
		}
	}
	return len(sc.steps)
}
