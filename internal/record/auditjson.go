package record

import (
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends ev's JSON encoding to b, byte for byte what
// json.Marshal writes (TestAuditJSON_Marshal and FuzzAuditJSON hold them
// equal). The hook encodes one event per process: encoding/json would
// first build its cache of this struct's 45 fields by reflection, about a
// sixth of a hook call's own instructions. A field added to AuditEventV1
// must be added here, in the same place; the test fails until it is.
func (ev *AuditEventV1) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"schema":`...)
	b = appendString(b, ev.Schema)
	b = append(b, `,"event_id":`...)
	b = appendString(b, ev.EventID)
	t, err := ev.Time.MarshalJSON()
	if err != nil {
		return nil, err
	}
	b = append(b, `,"time":`...)
	b = append(b, t...)
	b = append(b, `,"hook_event":`...)
	b = appendString(b, ev.HookEvent)
	b = appendOptString(b, "session_id", ev.SessionID)
	b = appendOptString(b, "tool_use_id", ev.ToolUseID)
	b = appendOptString(b, "prompt_id", ev.PromptID)
	b = appendOptString(b, "user", ev.User)
	b = appendOptString(b, "host", ev.Host)
	b = appendOptString(b, "repository", ev.Repository)
	b = appendOptString(b, "branch", ev.Branch)
	b = appendOptString(b, "cwd", ev.Cwd)
	b = appendOptString(b, "root", ev.Root)
	b = appendOptString(b, "permission_mode", ev.PermissionMode)
	b = appendOptString(b, "tool", ev.Tool)
	b = appendOptString(b, "command", ev.Command)
	b = appendOptString(b, "path", ev.Path)
	b = appendOptString(b, "url", ev.URL)
	b = appendOptString(b, "mcp_server", ev.MCPServer)
	b = appendOptString(b, "mcp_tool", ev.MCPTool)
	b = appendOptStrings(b, "reads", ev.Reads)
	b = appendOptStrings(b, "writes", ev.Writes)
	b = appendOptStrings(b, "unmodelled", ev.Unmodelled)
	if ev.PathsOmitted != 0 {
		b = append(b, `,"paths_omitted":`...)
		b = strconv.AppendInt(b, int64(ev.PathsOmitted), 10)
	}
	b = appendOptBool(b, "tests", ev.Tests)
	b = append(b, `,"decision":`...)
	b = appendString(b, ev.Decision)
	b = appendOptString(b, "reason", ev.Reason)
	b = appendOptString(b, "rule_id", ev.RuleID)
	b = appendOptString(b, "exception", ev.Exception)
	b = appendOptString(b, "policy", ev.Policy)
	b = appendOptString(b, "policy_version", ev.PolicyVersion)
	b = appendOptString(b, "tier", ev.Tier)
	b = appendOptString(b, "failure", ev.Failure)
	b = append(b, `,"duration_us":`...)
	b = strconv.AppendInt(b, ev.DurationUS, 10)
	b = appendOptString(b, "hand_off", ev.HandOff)
	b = appendOptBool(b, "paused", ev.Paused)
	b = appendOptString(b, "pause_reason", ev.PauseReason)
	b = appendOptString(b, "pause_ignored", ev.PauseIgnored)
	if ev.PromptLength != nil {
		b = append(b, `,"prompt_length":`...)
		b = strconv.AppendInt(b, int64(*ev.PromptLength), 10)
	}
	b = appendOptString(b, "source", ev.Source)
	b = appendOptString(b, "end_reason", ev.EndReason)
	b = appendOptString(b, "file_path", ev.FilePath)
	b = appendOptString(b, "error", ev.Error)
	b = appendOptBool(b, "observed_only", ev.ObservedOnly)
	return append(b, '}'), nil
}

// appendOptString appends ,"key":"s" unless s is empty (omitempty).
func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, s)
}

// appendOptStrings appends ,"key":[...] unless ss is empty (omitempty).
func appendOptStrings(b []byte, key string, ss []string) []byte {
	if len(ss) == 0 {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':', '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendOptBool appends ,"key":true when v (omitempty).
func appendOptBool(b []byte, key string, v bool) []byte {
	if !v {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	return append(b, `":true`...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does by
// default: <, > and & escaped for HTML, invalid UTF-8 as U+FFFD, and
// U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte { return AppendJSONString(b, s, true) }

// AppendJSONString appends s as a JSON string, byte for byte as
// encoding/json writes it with SetEscapeHTML(html).
func AppendJSONString(b []byte, s string, html bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!html || c != '<' && c != '>' && c != '&') {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
