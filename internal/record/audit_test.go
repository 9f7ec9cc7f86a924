package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAuditEventV1_MarshalJSON(t *testing.T) {
	t.Run("ToolCall", func(t *testing.T) {
		ev := AuditEventV1{
			Schema:        SchemaAuditV1,
			EventID:       "00112233445566778899aabbccddeeff",
			Time:          time.Date(2026, 11, 23, 1, 2, 3, 456789000, time.UTC),
			HookEvent:     "PreToolUse",
			SessionID:     "s1",
			ToolUseID:     "toolu_1",
			User:          "dev",
			Host:          "devbox",
			Repository:    "https://github.com/org/app.git",
			Branch:        "main",
			Cwd:           "/home/dev/app",
			Tool:          "Bash",
			Command:       "curl -u a:[REDACTED] https://x",
			Decision:      DecisionDeny,
			Reason:        "network egress",
			RuleID:        "egress",
			Policy:        "baseline",
			PolicyVersion: "1",
			DurationUS:    42,
		}
		want := `{"schema":"warden.audit.v1","event_id":"00112233445566778899aabbccddeeff",` +
			`"time":"2026-11-23T01:02:03.456789Z","hook_event":"PreToolUse","session_id":"s1",` +
			`"tool_use_id":"toolu_1","user":"dev","host":"devbox","repository":"https://github.com/org/app.git",` +
			`"branch":"main","cwd":"/home/dev/app","tool":"Bash","command":"curl -u a:[REDACTED] https://x",` +
			`"decision":"deny","reason":"network egress","rule_id":"egress","policy":"baseline",` +
			`"policy_version":"1","duration_us":42}`
		mustMarshalEqual(t, ev, want)
	})
	t.Run("Extras", func(t *testing.T) {
		n := 0
		ev := AuditEventV1{
			Schema: SchemaAuditV1, EventID: "e", Time: time.Unix(0, 0).UTC(), HookEvent: "UserPromptSubmit",
			Decision: DecisionNone, PromptLength: &n, EndReason: "other", Source: "startup",
			FilePath: "/f", Error: "boom", ObservedOnly: true, Failure: FailurePanic,
		}
		want := `{"schema":"warden.audit.v1","event_id":"e","time":"1970-01-01T00:00:00Z",` +
			`"hook_event":"UserPromptSubmit","decision":"none","failure":"panic","duration_us":0,` +
			`"prompt_length":0,"source":"startup","end_reason":"other","file_path":"/f","error":"boom",` +
			`"observed_only":true}`
		mustMarshalEqual(t, ev, want)
	})
}

func mustMarshalEqual(tb testing.TB, v any, want string) {
	tb.Helper()
	got, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	if string(got) != want {
		tb.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestNewEventID(t *testing.T) {
	at := time.UnixMilli(0x0123456789ab)
	t.Run("TimeThenReader", func(t *testing.T) {
		got := NewEventID(bytes.NewReader(bytes.Repeat([]byte{0xcd}, 16)), at)
		if want := "0123456789ab" + strings.Repeat("cd", 10); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("SortsByTime", func(t *testing.T) {
		// Later events sort after earlier ones whatever their random bits.
		a := NewEventID(bytes.NewReader(bytes.Repeat([]byte{0xff}, 16)), at)
		b := NewEventID(bytes.NewReader(make([]byte, 16)), at.Add(time.Millisecond))
		if a >= b {
			t.Errorf("id %q of the earlier event does not sort before %q", a, b)
		}
	})
	t.Run("BeforeEpoch", func(t *testing.T) {
		got := NewEventID(bytes.NewReader(make([]byte, 16)), time.Unix(-5, 0))
		if want := strings.Repeat("0", 32); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("Random", func(t *testing.T) {
		a, b := NewEventID(nil, at), NewEventID(nil, at)
		if len(a) != 32 || a == b {
			t.Errorf("ids %q and %q: want two different 32-digit ids", a, b)
		}
	})
	t.Run("ReaderFails", func(t *testing.T) {
		if got := NewEventID(failingReader{}, at); len(got) != 32 || !strings.HasPrefix(got, "0123456789ab") {
			t.Errorf("got %q, want a 32-digit id of the event's time", got)
		}
	})
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }
