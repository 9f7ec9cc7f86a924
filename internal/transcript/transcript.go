// Package transcript reads Claude Code's own record of a session and turns
// it into record.Events, so that `warden record --transcript` builds the
// same record.RunRecord offline that the server builds from telemetry and
// hook audit online.
//
// Two formats are read, told apart line by line: the session file Claude
// Code writes under ~/.claude/projects/<dir>/<session_id>.jsonl (records
// with sessionId, message, toolUseResult, permissionDecision), and the
// stream-json of `claude -p --output-format stream-json --verbose` (system
// init, assistant and user lines with tool_result_meta, result). Both are
// JSONL of messages whose content blocks hold tool_use and tool_result.
//
// Events use the vocabulary of Claude Code's telemetry (user_prompt,
// api_request, tool_decision, tool_result), because the transcript is the
// client's own account of the same things; a refusal whose text quotes
// Warden's answer ("Warden: … [rule R, policy P@V]") also becomes the hook
// decision it quotes. Like the hook, events keep metadata only: commands
// and URLs redacted, tool inputs reduced to their paths, no tool output.
//
// Boundaries: transcript reads an io.Reader and speaks record types; it
// does no other I/O and knows nothing of servers or stores.
package transcript

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// Formats of a transcript.
const (
	FormatSession    = "session"     // ~/.claude/projects/<dir>/<session_id>.jsonl
	FormatStreamJSON = "stream-json" // claude -p --output-format stream-json --verbose
)

// MaxLineBytes bounds one line of a transcript.
const MaxLineBytes = 64 << 20

// Bounds on what an event keeps, in bytes (as the hook's audit events).
const (
	maxPathBytes   = 4096
	maxURLBytes    = 2048
	maxPromptBytes = 8192
)

// Transcript is one session as read from a transcript.
type Transcript struct {
	Format    string
	SessionID string
	// Cwd, Branch and Version are the session's working directory, git
	// branch and Claude Code version, as first recorded.
	Cwd     string
	Branch  string
	Version string
	// Events are in transcript order.
	Events []record.Event
	// CostUSD is the session's cost when the transcript states it (the
	// stream's result line, the session file's cost-state).
	CostUSD float64
	// Tokens are the stream result's totals (zero for a session file,
	// whose api_request events carry them).
	Tokens                   record.Tokens
	LinesAdded, LinesRemoved float64
	firstTime, lastTime      time.Time
	permissionMode           string
}

// line is one transcript line; fields of both formats.
type line struct {
	Type      string `json:"type"`
	Subtype   string `json:"subtype"`
	SessionID string `json:"session_id"` // stream-json
	SessionId string `json:"sessionId"`  // session file
	Timestamp string `json:"timestamp"`
	Cwd       string `json:"cwd"`
	GitBranch string `json:"gitBranch"`
	Version   string `json:"version"`
	// system/permission_denied (stream): who refused the call.
	ToolUseID          string `json:"tool_use_id"`
	DecisionReasonType string `json:"decision_reason_type"`
	// system/init (stream); PermissionMode is on prompts too (session).
	ClaudeCodeVersion string `json:"claude_code_version"`
	PermissionMode    string `json:"permissionMode"`

	PromptID string `json:"promptId"`
	IsMeta   bool   `json:"isMeta"`
	// Message is a message object on assistant and user lines, text on
	// some system lines.
	Message json.RawMessage `json:"message"`

	// The session file's permission decision for the tool results of a
	// user line.
	PermissionDecision *decision `json:"permissionDecision"`
	// The stream's, per tool_use id.
	ToolResultMeta []struct {
		ID                 string    `json:"id"`
		PermissionDecision *decision `json:"permission_decision"`
	} `json:"tool_result_meta"`

	// result (stream) and cost-state (session file)
	TotalCostUSD      *float64 `json:"total_cost_usd"`
	TotalCostUSDCamel *float64 `json:"totalCostUSD"`
	TotalLinesAdded   *float64 `json:"totalLinesAdded"`
	TotalLinesRemoved *float64 `json:"totalLinesRemoved"`
	Usage             *usage   `json:"usage"`
}

type message struct {
	ID      string          `json:"id"`
	Role    string          `json:"role"`
	Model   string          `json:"model"`
	Content json.RawMessage `json:"content"`
	Usage   *usage          `json:"usage"`
}

type usage struct {
	InputTokens         float64 `json:"input_tokens"`
	OutputTokens        float64 `json:"output_tokens"`
	CacheReadTokens     float64 `json:"cache_read_input_tokens"`
	CacheCreationTokens float64 `json:"cache_creation_input_tokens"`
}

type decision struct {
	Decision string `json:"decision"`
	Source   string `json:"source"`
}

type block struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
}

// call is a tool_use waiting for its result.
type call struct {
	id    string
	tool  string
	input map[string]any
	time  time.Time
}

// reader accumulates a Transcript.
type reader struct {
	t     *Transcript
	calls map[string]*call
	order []string // tool_use ids in order, for calls that never got a result
	// lastMessage is the id of the last assistant message: one message
	// may span several lines, one per content block.
	lastMessage string
	// deniedBy is the stream's decision_reason_type of refused calls.
	deniedBy map[string]string
	seq      int
}

// Read reads a transcript in either format. Lines that are not JSON fail
// the read with their line number, except a torn last line (a session
// file still being written), which is skipped. Line types it does not
// know are skipped.
func Read(r io.Reader) (*Transcript, error) {
	rd := &reader{t: &Transcript{}, calls: map[string]*call{}, deniedBy: map[string]string{}}
	br := bufio.NewReaderSize(r, 64<<10)
	n := 0
	var torn error
	for {
		raw, err := readLine(br)
		if len(bytes.TrimSpace(raw)) > 0 {
			n++
			if torn != nil {
				return nil, torn
			}
			var l line
			var typeErr *json.UnmarshalTypeError
			switch jerr := json.Unmarshal(raw, &l); {
			case errors.As(jerr, &typeErr):
				// JSON of a shape this reader does not know: a line type
				// or field of another client version. Skip it.
			case jerr != nil:
				torn = fmt.Errorf("line %d: %w", n, jerr)
			default:
				rd.line(&l)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
	}
	if n == 0 {
		return nil, errors.New("empty transcript")
	}
	if rd.t.Format == "" {
		return nil, errors.New("not a Claude Code transcript: no session or stream-json lines")
	}
	rd.finish()
	return rd.t, nil
}

func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		frag, err := br.ReadSlice('\n')
		buf = append(buf, frag...)
		if len(buf) > MaxLineBytes {
			return nil, fmt.Errorf("line longer than %d bytes", MaxLineBytes)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return buf, err
	}
}

func (rd *reader) line(l *line) {
	t := rd.t
	if t.Format == "" {
		switch {
		case l.SessionId != "" || l.PermissionDecision != nil:
			t.Format = FormatSession
		case l.SessionID != "" || l.Type == "result":
			t.Format = FormatStreamJSON
		}
	}
	setFirst(&t.SessionID, first(l.SessionId, l.SessionID))
	setFirst(&t.Cwd, l.Cwd)
	setFirst(&t.Branch, l.GitBranch)
	setFirst(&t.Version, first(l.ClaudeCodeVersion, l.Version))
	at := parseTime(l.Timestamp)
	if at.IsZero() {
		at = t.lastTime
	}
	if !at.IsZero() {
		if t.firstTime.IsZero() || at.Before(t.firstTime) {
			t.firstTime = at
		}
		if at.After(t.lastTime) {
			t.lastTime = at
		}
	}
	if l.PermissionMode != "" {
		t.permissionMode = l.PermissionMode
	}

	switch l.Type {
	case "system":
		if l.Subtype == "permission_denied" {
			rd.deniedBy[l.ToolUseID] = l.DecisionReasonType
		}
	case "assistant":
		rd.assistant(l, at)
	case "user":
		rd.user(l, at)
	case "result":
		if l.TotalCostUSD != nil {
			t.CostUSD = *l.TotalCostUSD
		}
		if u := l.Usage; u != nil {
			t.Tokens = record.Tokens{Input: u.InputTokens, Output: u.OutputTokens, CacheRead: u.CacheReadTokens, CacheCreation: u.CacheCreationTokens}
		}
	case "cost-state":
		if l.TotalCostUSDCamel != nil {
			t.CostUSD = *l.TotalCostUSDCamel
		}
		if l.TotalLinesAdded != nil {
			t.LinesAdded = *l.TotalLinesAdded
		}
		if l.TotalLinesRemoved != nil {
			t.LinesRemoved = *l.TotalLinesRemoved
		}
	}
}

// msg decodes a line's message object; nil when it is not one.
func (l *line) msg() *message {
	var m message
	if len(l.Message) == 0 || l.Message[0] != '{' || json.Unmarshal(l.Message, &m) != nil {
		return nil
	}
	return &m
}

func (rd *reader) assistant(l *line, at time.Time) {
	m := l.msg()
	if m == nil {
		return
	}
	if m.Model != "" && m.Model != "<synthetic>" {
		if key := first(m.ID, strconv.Itoa(rd.seq)); key != rd.lastMessage {
			rd.lastMessage = key
			attrs := map[string]any{"model": m.Model}
			if u := m.Usage; u != nil && rd.t.Format == FormatSession {
				attrs["input_tokens"] = u.InputTokens
				attrs["output_tokens"] = u.OutputTokens
				attrs["cache_read_tokens"] = u.CacheReadTokens
				attrs["cache_creation_tokens"] = u.CacheCreationTokens
			}
			rd.add(record.Event{Kind: "api_request", Time: at, Attrs: attrs}, "api_request", key)
		}
	}
	for _, b := range blocks(m.Content) {
		if b.Type != "tool_use" || b.ID == "" {
			continue
		}
		var in map[string]any
		json.Unmarshal(b.Input, &in)
		if _, seen := rd.calls[b.ID]; !seen {
			rd.order = append(rd.order, b.ID)
		}
		rd.calls[b.ID] = &call{id: b.ID, tool: b.Name, input: in, time: at}
	}
}

func (rd *reader) user(l *line, at time.Time) {
	m := l.msg()
	if m == nil {
		return
	}
	var text string
	if json.Unmarshal(m.Content, &text) == nil {
		if !l.IsMeta {
			rd.prompt(l, text, at)
		}
		return
	}
	var texts []string
	for _, b := range blocks(m.Content) {
		switch b.Type {
		case "text":
			// The client's own notes in the user turn are not prompts.
			if !strings.HasPrefix(b.Text, "[Request interrupted") {
				texts = append(texts, b.Text)
			}
		case "tool_result":
			rd.result(l, b, at)
		}
	}
	if len(texts) > 0 && !l.IsMeta {
		rd.prompt(l, strings.Join(texts, "\n"), at)
	}
}

func (rd *reader) prompt(l *line, text string, at time.Time) {
	n := len([]rune(text))
	rd.add(record.Event{Kind: "user_prompt", Time: at, PromptID: l.PromptID, Attrs: map[string]any{
		"prompt":        record.RedactBounded(text, maxPromptBytes),
		"prompt_length": float64(n),
	}}, "user_prompt", strconv.Itoa(rd.seq))
}

// result joins a tool_result with its tool_use: a tool_decision with
// Claude Code's permission decision, Warden's quoted answer when the call
// was refused with one, and a tool_result when the tool ran.
func (rd *reader) result(l *line, b block, at time.Time) {
	c := rd.calls[b.ToolUseID]
	if c == nil {
		c = &call{id: b.ToolUseID, time: at}
	}
	delete(rd.calls, b.ToolUseID)
	content := resultText(b.Content)

	d := l.PermissionDecision
	for _, m := range l.ToolResultMeta {
		if m.ID == b.ToolUseID && m.PermissionDecision != nil {
			d = m.PermissionDecision
		}
	}
	verdict, source := "", ""
	if d != nil {
		verdict, source = d.Decision, d.Source
	}
	if verdict == "reject" && rd.deniedBy[b.ToolUseID] == "hook" {
		// A hook's ask that nobody could answer: the client reports its
		// own refusal, the stream says a hook caused it.
		source = "hook"
	}
	quoted, wardenDecision := parseWarden(content)
	if verdict == "" {
		// Older transcripts carry no decision: read it from the result.
		switch {
		case wardenDecision != "":
			verdict, source = "reject", "hook"
		case strings.HasPrefix(content, "Permission to use ") && strings.Contains(content, " has been denied"),
			strings.Contains(content, "denied by your permission settings"):
			verdict, source = "reject", "config"
		default:
			verdict = "accept"
		}
	}
	if verdict == "reject" && wardenDecision != "" {
		rd.wardenEvent(c, quoted, wardenDecision)
	}
	rd.decision(c, verdict, source, c.time)
	if verdict != "reject" {
		rd.add(record.Event{Kind: "tool_result", Time: at, Tool: c.tool, Attrs: map[string]any{
			"tool_use_id": c.id,
			"success":     !b.IsError,
		}}, "tool_result", c.id)
	}
}

// decision adds the tool_decision of c.
func (rd *reader) decision(c *call, verdict, source string, at time.Time) {
	attrs := map[string]any{"tool_use_id": c.id}
	if source != "" {
		attrs["source"] = source
	}
	if rd.t.permissionMode != "" {
		attrs["permission_mode"] = rd.t.permissionMode
	}
	if in := reducedInput(c.input); in != "" {
		attrs["tool_input"] = in
	}
	if cmd := str(c.input, "command"); cmd != "" && c.tool == "Bash" {
		attrs["full_command"] = record.NormalizeCommand(cmd)
	}
	if server, tool, ok := mcpName(c.tool); ok {
		attrs["mcp_server_name"], attrs["mcp_tool_name"] = server, tool
	}
	rd.add(record.Event{Kind: "tool_decision", Time: at, Tool: c.tool, Decision: verdict, Attrs: attrs}, "tool_decision", c.id)
}

// wardenEvent adds the hook decision a refused call's result quotes.
func (rd *reader) wardenEvent(c *call, q wardenQuote, decision string) {
	a := &record.AuditEventV1{
		Schema:        record.SchemaAuditV1,
		HookEvent:     "PreToolUse",
		SessionID:     rd.t.SessionID,
		ToolUseID:     c.id,
		Time:          c.time.UTC(),
		Cwd:           rd.t.Cwd,
		Branch:        rd.t.Branch,
		Tool:          c.tool,
		Decision:      decision,
		Reason:        record.RedactBounded(q.reason, record.MaxReasonBytes),
		RuleID:        q.rule,
		Policy:        q.policy,
		PolicyVersion: q.version,
	}
	a.PermissionMode = rd.t.permissionMode
	if c.tool == "Bash" {
		a.Command = record.NormalizeCommand(str(c.input, "command"))
	}
	a.Path = rd.path(first(str(c.input, "file_path"), str(c.input, "notebook_path")))
	a.URL = record.RedactBounded(str(c.input, "url"), maxURLBytes)
	if server, tool, ok := mcpName(c.tool); ok {
		a.MCPServer, a.MCPTool = server, tool
	}
	a.EventID = rd.id("hook", c.id)
	rd.t.Events = append(rd.t.Events, record.Event{ID: a.EventID, Source: record.SourceHook, Kind: a.HookEvent,
		Time: a.Time, SessionID: rd.t.SessionID, Tool: c.tool, Decision: decision, Audit: a})
}

// add appends an event of Claude Code's own record.
func (rd *reader) add(e record.Event, kind, key string) {
	rd.seq++
	e.Source = record.SourceOTLP
	e.SessionID = rd.t.SessionID
	e.ID = rd.id(kind, key+"/"+strconv.Itoa(rd.seq))
	rd.t.Events = append(rd.t.Events, e)
}

// id derives a stable event ID from the session and the event's place.
func (rd *reader) id(kind, key string) string {
	sum := sha256.Sum256([]byte(rd.t.SessionID + "\x00" + kind + "\x00" + key))
	return hex.EncodeToString(sum[:16])
}

// finish adds the decisions of calls that never got a result (the
// session ended first), resolves relative paths and stamps the client's
// version on every event.
func (rd *reader) finish() {
	for _, id := range rd.order {
		if c := rd.calls[id]; c != nil {
			rd.decision(c, "", "", c.time)
		}
	}
	resource := map[string]any{"service.name": "claude-code"}
	if rd.t.Version != "" {
		resource["service.version"] = rd.t.Version
	}
	for i := range rd.t.Events {
		e := &rd.t.Events[i]
		e.SessionID = rd.t.SessionID
		if e.Source == record.SourceOTLP {
			e.Resource = resource
		}
		if e.Audit != nil {
			e.Audit.SessionID = rd.t.SessionID
		}
		if s, ok := e.Attrs["tool_input"].(string); ok {
			e.Attrs["tool_input"] = rd.resolveInput(s)
		}
	}
}

// reducedInput keeps the fields of a tool input a run record uses (what
// was touched, not what was written), as the JSON string telemetry sends.
func reducedInput(in map[string]any) string {
	out := map[string]any{}
	for _, k := range []string{"file_path", "notebook_path", "path", "url", "pattern"} {
		if v, ok := in[k].(string); ok && v != "" {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return ""
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// resolveInput makes the paths of a reduced input absolute against the
// session's cwd, as the hook records them.
func (rd *reader) resolveInput(s string) string {
	var in map[string]any
	if json.Unmarshal([]byte(s), &in) != nil {
		return s
	}
	for _, k := range []string{"file_path", "notebook_path", "path"} {
		if v, ok := in[k].(string); ok {
			in[k] = rd.path(v)
		}
	}
	if v, ok := in["url"].(string); ok {
		in["url"] = record.RedactBounded(v, maxURLBytes)
	}
	b, _ := json.Marshal(in)
	return string(b)
}

func (rd *reader) path(p string) string {
	if p != "" && !path.IsAbs(p) && !strings.HasPrefix(p, "~") && rd.t.Cwd != "" {
		p = path.Join(rd.t.Cwd, p)
	}
	return record.Truncate(p, maxPathBytes)
}

// wardenQuote is Warden's answer as a refused call's result quotes it.
type wardenQuote struct {
	reason, rule, policy, version string
}

// wardenAnswer matches Warden's reason as Claude Code passes it to the
// model: after "PreToolUse:<Tool> hook error: " for a deny (and after the
// hook command in brackets for exit 2), alone for an ask refused because
// nobody could answer. The tags at the end name rule and policy.
// It is compiled on first use: every package's init runs on every hook call.
var wardenAnswer = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?s)^(PreToolUse:\S+ hook error: (?:\[[^\]\n]*\]: )?)?Warden: (.*?)(?: \[((?:rule|policy) [^\]]*)\])?\s*$`)
})

// parseWarden reads Warden's answer out of a result, with the decision it
// stands for: deny when Claude Code reports it as a hook error, ask when
// the reason stands alone.
func parseWarden(content string) (wardenQuote, string) {
	m := wardenAnswer().FindStringSubmatch(content)
	if m == nil {
		return wardenQuote{}, ""
	}
	q := wardenQuote{reason: m[2]}
	for _, tag := range strings.Split(m[3], ", ") {
		switch {
		case strings.HasPrefix(tag, "rule "):
			q.rule = strings.TrimPrefix(tag, "rule ")
		case strings.HasPrefix(tag, "policy "):
			label := strings.TrimPrefix(tag, "policy ")
			if i := strings.LastIndexByte(label, '@'); i > 0 {
				q.policy, q.version = label[:i], label[i+1:]
			} else {
				q.policy = label
			}
		}
	}
	if m[1] != "" {
		return q, record.DecisionDeny
	}
	return q, record.DecisionAsk
}

// mcpName splits mcp__<server>__<tool>.
func mcpName(tool string) (server, name string, ok bool) {
	rest, found := strings.CutPrefix(tool, "mcp__")
	if !found {
		return "", "", false
	}
	server, name, ok = strings.Cut(rest, "__")
	return server, name, ok && server != ""
}

func blocks(raw json.RawMessage) []block {
	var bs []block
	if json.Unmarshal(raw, &bs) != nil {
		return nil
	}
	return bs
}

// resultText is a tool_result's content as text: a string, or the text of
// its text blocks.
func resultText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []string
	for _, b := range blocks(raw) {
		if b.Type == "text" {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func setFirst(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}
