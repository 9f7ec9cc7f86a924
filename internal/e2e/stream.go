// Package e2e is the harness that runs the real Claude Code client against a
// scripted model (package fakemodel) and reads back what happened to every
// tool call: the pinned client install, the unprivileged test user, a
// scratch HOME and project holding canary secrets, a loopback listener
// standing in for an exfiltration target, an iptables egress guard, the
// settings that wire a hook to every event, the client runner and the
// stream-json parser.
//
// The pure parts (stream-json parser, settings writer, spool reader, path
// mapping) are tested by plain `go test`; the suite that runs the client is
// behind the build tag e2e and is run by scripts/e2e.sh.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Outcome is what became of one tool call, as the client's stream-json
// output reports it.
type Outcome string

// Outcomes of a tool call.
const (
	// OutcomeRan: the permission check accepted the call and the tool ran
	// (its own result may still be an error, such as a non-zero exit).
	OutcomeRan Outcome = "ran"
	// OutcomeDeniedByHook: a PreToolUse hook denied it (JSON deny, exit 2 or
	// legacy decision block).
	OutcomeDeniedByHook Outcome = "denied_by_hook"
	// OutcomeAskedByHook: a hook answered ask; headless, nobody can approve,
	// so the client refused it.
	OutcomeAskedByHook Outcome = "asked_by_hook"
	// OutcomeNeedsApproval: the client's own permission flow wanted approval
	// that nobody headless can give.
	OutcomeNeedsApproval Outcome = "needs_approval"
	// OutcomeDeniedByRule: a permission rule (project, user or managed
	// settings) refused it.
	OutcomeDeniedByRule Outcome = "denied_by_rule"
	// OutcomeNotRun: refused before any permission check, e.g. a call to a
	// tool the session does not have, or input the tool rejected.
	OutcomeNotRun Outcome = "not_run"
	// OutcomeNoResult: the stream has the tool_use but no tool_result.
	OutcomeNoResult Outcome = "no_result"
	// OutcomeUnknown: a tool_result the parser cannot classify.
	OutcomeUnknown Outcome = "unknown"
)

// Refused reports whether the call was kept from running for any reason.
func (o Outcome) Refused() bool {
	switch o {
	case OutcomeDeniedByHook, OutcomeAskedByHook, OutcomeNeedsApproval, OutcomeDeniedByRule, OutcomeNotRun:
		return true
	}
	return false
}

// Call is one tool_use of the model and what became of it.
type Call struct {
	ID    string
	Name  string
	Input json.RawMessage
	// Parent is the tool_use id of the subagent call it ran under ("" for
	// the main agent).
	Parent string

	Outcome Outcome

	// From tool_result_meta[].permission_decision.
	Decision   string // accept | reject
	Source     string // hook | config
	ReasonType string // hook | mode | rule | subcommandResults | ...
	// NonExecutionKind is tool_result_meta[].non_execution_kind
	// (permission-rule, user-rejected).
	NonExecutionKind string

	// HasResult is set once the tool_result line is seen.
	HasResult bool
	// IsError and Result are the tool_result block's is_error and text.
	IsError bool
	Result  string
	// ToolUseResult is the top-level tool_use_result of the user line: the
	// structured tool response, or an "Error: ..." string.
	ToolUseResult json.RawMessage

	// PermissionDenied is the system/permission_denied line for this call.
	PermissionDenied *PermissionDenied
	// InDenials reports whether result.permission_denials lists the call.
	InDenials bool
	// NoVerdict is the hook_no_verdict warning for this call (a hook timed
	// out or gave no usable answer), if any.
	NoVerdict *NoVerdict
}

// HookVerdict returns the verdict a PreToolUse hook gave this call as far as
// the stream shows it: "deny", "ask", "allow", or "" when no hook decided.
func (c *Call) HookVerdict() string {
	switch {
	case c.Decision == "reject" && c.Source == "hook":
		return "deny"
	case c.Decision == "accept" && c.Source == "hook":
		return "allow"
	case c.PermissionDenied != nil && c.PermissionDenied.DecisionReasonType == "hook":
		return "ask"
	}
	return ""
}

// PermissionDenied is a system/permission_denied line.
type PermissionDenied struct {
	ToolName           string `json:"tool_name"`
	ToolUseID          string `json:"tool_use_id"`
	DecisionReasonType string `json:"decision_reason_type"`
	DecisionReason     string `json:"decision_reason"`
	Message            string `json:"message"`
}

// NoVerdict is the hook_no_verdict payload of a system/informational warning.
type NoVerdict struct {
	HookEvent string `json:"hook_event"`
	ToolUseID string `json:"tool_use_id"`
	TimedOut  bool   `json:"timed_out"`
	Content   string `json:"-"`
}

// Init is the system/init line.
type Init struct {
	SessionID      string   `json:"session_id"`
	Cwd            string   `json:"cwd"`
	Model          string   `json:"model"`
	PermissionMode string   `json:"permissionMode"`
	Version        string   `json:"claude_code_version"`
	APIKeySource   string   `json:"apiKeySource"`
	Tools          []string `json:"tools"`
}

// Result is the final result line.
type Result struct {
	Subtype           string   `json:"subtype"`
	IsError           bool     `json:"is_error"`
	NumTurns          int      `json:"num_turns"`
	Result            string   `json:"result"`
	StopReason        string   `json:"stop_reason"`
	TerminalReason    string   `json:"terminal_reason"`
	SessionID         string   `json:"session_id"`
	PermissionDenials []Denial `json:"permission_denials"`
}

// Denial is one entry of result.permission_denials.
type Denial struct {
	ToolName  string          `json:"tool_name"`
	ToolUseID string          `json:"tool_use_id"`
	ToolInput json.RawMessage `json:"tool_input"`
}

// HookRun is a system/hook_started line with its hook_response, if any.
type HookRun struct {
	ID       string
	Name     string // e.g. SessionStart:startup
	Event    string
	Outcome  string // success, error, ... ("" while no response was seen)
	ExitCode int
	Stdout   string
	Stderr   string
}

// Transcript is a parsed stream-json run.
type Transcript struct {
	Init   *Init
	Calls  []*Call // in the order of the model's tool_use blocks
	Result *Result
	// Texts are the assistant's text blocks, in order.
	Texts []string
	// Hooks are the hook runs the stream reports (SessionStart only, in
	// this client).
	Hooks []*HookRun
	// Warnings are system/informational lines of level warning, by content.
	Warnings []string
	// Lines counts the lines read; Types counts them by type or type/subtype.
	Lines int
	Types map[string]int

	byID  map[string]*Call
	hooks map[string]*HookRun
}

// Call returns the call with tool_use id, or nil.
func (t *Transcript) Call(id string) *Call { return t.byID[id] }

// streamLine is the union of the stream-json line shapes read here.
type streamLine struct {
	Type            string  `json:"type"`
	Subtype         string  `json:"subtype"`
	ParentToolUseID *string `json:"parent_tool_use_id"`
	// Message is an object on assistant and user lines, a string on
	// system/permission_denied lines.
	Message        json.RawMessage `json:"message"`
	ToolUseResult  json.RawMessage `json:"tool_use_result"`
	ToolResultMeta []resultMeta    `json:"tool_result_meta"`

	// system/informational
	Level     string     `json:"level"`
	Tag       string     `json:"tag"`
	Content   string     `json:"content"`
	NoVerdict *NoVerdict `json:"hook_no_verdict"`

	// system/hook_started, system/hook_response
	HookID   string `json:"hook_id"`
	HookName string `json:"hook_name"`
	Event    string `json:"hook_event"`
	Outcome  string `json:"outcome"`
	ExitCode int    `json:"exit_code"`
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
}

type streamMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type streamBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
}

type resultMeta struct {
	ID                 string `json:"id"`
	NonExecutionKind   string `json:"non_execution_kind"`
	PermissionDecision *struct {
		Decision   string `json:"decision"`
		Source     string `json:"source"`
		ReasonType string `json:"reason_type"`
	} `json:"permission_decision"`
}

// maxLine bounds one stream-json line (a Read of a large file is one line).
const maxLine = 64 << 20

// ParseStream reads the client's `--output-format stream-json --verbose`
// output. A line that is not JSON fails the parse with its line number;
// lines of types it does not know are counted and otherwise ignored.
func ParseStream(r io.Reader) (*Transcript, error) {
	t := &Transcript{Types: make(map[string]int), byID: make(map[string]*Call), hooks: make(map[string]*HookRun)}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		if err := t.line(raw); err != nil {
			return t, fmt.Errorf("stream-json line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return t, fmt.Errorf("stream-json line %d: %w", n+1, err)
	}
	t.finish()
	return t, nil
}

func (t *Transcript) line(raw []byte) error {
	var l streamLine
	if err := json.Unmarshal(raw, &l); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	if l.Type == "" {
		return fmt.Errorf("no type field")
	}
	t.Lines++
	key := l.Type
	if l.Subtype != "" && l.Type == "system" {
		key += "/" + l.Subtype
	}
	t.Types[key]++

	switch key {
	case "system/init":
		var in Init
		if err := json.Unmarshal(raw, &in); err != nil {
			return fmt.Errorf("init: %w", err)
		}
		t.Init = &in
	case "system/hook_started":
		h := &HookRun{ID: l.HookID, Name: l.HookName, Event: l.Event}
		t.hooks[l.HookID] = h
		t.Hooks = append(t.Hooks, h)
	case "system/hook_response":
		h := t.hooks[l.HookID]
		if h == nil {
			h = &HookRun{ID: l.HookID, Name: l.HookName, Event: l.Event}
			t.hooks[l.HookID] = h
			t.Hooks = append(t.Hooks, h)
		}
		h.Outcome, h.ExitCode, h.Stdout, h.Stderr = l.Outcome, l.ExitCode, l.Stdout, l.Stderr
	case "system/permission_denied":
		var pd PermissionDenied
		if err := json.Unmarshal(raw, &pd); err != nil {
			return fmt.Errorf("permission_denied: %w", err)
		}
		t.call(pd.ToolUseID).PermissionDenied = &pd
	case "system/informational":
		if l.Level == "warning" {
			t.Warnings = append(t.Warnings, l.Content)
		}
		if l.NoVerdict != nil && l.NoVerdict.ToolUseID != "" {
			nv := *l.NoVerdict
			nv.Content = l.Content
			t.call(nv.ToolUseID).NoVerdict = &nv
		}
	case "assistant":
		return t.assistant(l)
	case "user":
		return t.user(l)
	case "result":
		var res Result
		if err := json.Unmarshal(raw, &res); err != nil {
			return fmt.Errorf("result: %w", err)
		}
		t.Result = &res
	}
	return nil
}

// call returns the call with id, creating a placeholder when a line about it
// comes before its tool_use.
func (t *Transcript) call(id string) *Call {
	c := t.byID[id]
	if c == nil {
		c = &Call{ID: id}
		t.byID[id] = c
	}
	return c
}

// message decodes the message object of an assistant or user line.
func (l streamLine) message() (*streamMessage, error) {
	if len(l.Message) == 0 || string(l.Message) == "null" {
		return nil, fmt.Errorf("%s line without message", l.Type)
	}
	var m streamMessage
	if err := json.Unmarshal(l.Message, &m); err != nil {
		return nil, fmt.Errorf("%s message: %w", l.Type, err)
	}
	return &m, nil
}

func (t *Transcript) assistant(l streamLine) error {
	m, err := l.message()
	if err != nil {
		return err
	}
	bs, err := decodeBlocks(m.Content)
	if err != nil {
		return fmt.Errorf("assistant content: %w", err)
	}
	for _, b := range bs {
		switch b.Type {
		case "text":
			t.Texts = append(t.Texts, b.Text)
		case "tool_use":
			c := t.call(b.ID)
			if c.Name != "" {
				return fmt.Errorf("tool_use id %q appears twice", b.ID)
			}
			c.Name, c.Input = b.Name, b.Input
			if l.ParentToolUseID != nil {
				c.Parent = *l.ParentToolUseID
			}
			t.Calls = append(t.Calls, c)
		}
	}
	return nil
}

func (t *Transcript) user(l streamLine) error {
	m, err := l.message()
	if err != nil {
		return err
	}
	bs, err := decodeBlocks(m.Content)
	if err != nil {
		return fmt.Errorf("user content: %w", err)
	}
	var results []*Call
	for _, b := range bs {
		if b.Type != "tool_result" {
			continue
		}
		c := t.call(b.ToolUseID)
		c.HasResult = true
		c.IsError = b.IsError
		c.Result = blockText(b.Content)
		results = append(results, c)
	}
	// tool_use_result belongs to the line's single tool result.
	if len(results) == 1 && len(l.ToolUseResult) > 0 {
		results[0].ToolUseResult = l.ToolUseResult
	}
	for _, m := range l.ToolResultMeta {
		c := t.call(m.ID)
		c.NonExecutionKind = m.NonExecutionKind
		if pd := m.PermissionDecision; pd != nil {
			c.Decision, c.Source, c.ReasonType = pd.Decision, pd.Source, pd.ReasonType
		}
	}
	return nil
}

// finish marks denials and classifies every call.
func (t *Transcript) finish() {
	if t.Result != nil {
		for _, d := range t.Result.PermissionDenials {
			t.call(d.ToolUseID).InDenials = true
		}
	}
	for _, c := range t.byID {
		c.Outcome = classify(c)
	}
}

func classify(c *Call) Outcome {
	switch {
	case !c.HasResult:
		return OutcomeNoResult
	case c.Decision == "accept":
		return OutcomeRan
	case c.Decision == "reject" && c.Source == "hook":
		return OutcomeDeniedByHook
	case c.Decision == "reject" && c.NonExecutionKind == "user-rejected":
		if c.PermissionDenied != nil && c.PermissionDenied.DecisionReasonType == "hook" {
			return OutcomeAskedByHook
		}
		return OutcomeNeedsApproval
	case c.Decision == "reject":
		return OutcomeDeniedByRule
	case c.Decision == "" && c.IsError:
		return OutcomeNotRun
	}
	return OutcomeUnknown
}

// decodeBlocks decodes message content: a string or a list of blocks.
func decodeBlocks(content json.RawMessage) ([]streamBlock, error) {
	c := bytes.TrimSpace(content)
	if len(c) == 0 || bytes.Equal(c, []byte("null")) {
		return nil, nil
	}
	if c[0] == '"' {
		var s string
		if err := json.Unmarshal(c, &s); err != nil {
			return nil, err
		}
		return []streamBlock{{Type: "text", Text: s}}, nil
	}
	var bs []streamBlock
	if err := json.Unmarshal(c, &bs); err != nil {
		return nil, err
	}
	return bs, nil
}

// blockText flattens tool_result content to its text.
func blockText(content json.RawMessage) string {
	bs, err := decodeBlocks(content)
	if err != nil {
		return string(content)
	}
	var parts []string
	for _, b := range bs {
		if b.Type == "text" {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "\n")
}
