package hookproto

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

func TestDecode_Fixtures(t *testing.T) {
	for _, file := range fixtureFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			in, err := Decode(strings.NewReader(string(b)))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if in.HookEventName == "" || in.SessionID == "" || in.Cwd == "" {
				t.Errorf("common fields missing: %+v", in)
			}
			if in.ToolName != "" && in.ToolInput == nil {
				t.Errorf("%s: tool_input not decoded", in.ToolName)
			}
			for _, c := range in.ToolCalls {
				if c.ToolName == "" || c.ToolInput == nil {
					t.Errorf("tool call not decoded: %+v", c)
				}
			}
		})
	}
}

func TestDecode(t *testing.T) {
	t.Run("UnknownFieldsIgnored", func(t *testing.T) {
		in, err := Decode(strings.NewReader(`{"hook_event_name":"Stop","new_field":{"x":[1,2]},"scratchpad_dir":"/tmp/s"}`))
		if err != nil || in.HookEventName != "Stop" {
			t.Fatalf("Decode = %+v, %v", in, err)
		}
	})
	t.Run("ExactlyMaxBytes", func(t *testing.T) {
		head := `{"hook_event_name":"Stop","last_assistant_message":"`
		tail := `"}`
		s := head + strings.Repeat("a", MaxInputBytes-len(head)-len(tail)) + tail
		if _, err := Decode(strings.NewReader(s)); err != nil {
			t.Fatalf("Decode of %d bytes: %v", len(s), err)
		}
	})
	t.Run("ErrInputTooLarge", func(t *testing.T) {
		s := `{"hook_event_name":"Stop"}` + strings.Repeat(" ", MaxInputBytes)
		if _, err := Decode(strings.NewReader(s)); !errors.Is(err, ErrInputTooLarge) {
			t.Fatalf("err = %v, want ErrInputTooLarge", err)
		}
	})
	t.Run("ReadError", func(t *testing.T) {
		_, err := Decode(iotest.ErrReader(errors.New("EIO")))
		if err == nil || !strings.Contains(err.Error(), "read hook input: EIO") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("NullIsNotAnObject", func(t *testing.T) {
		if in, err := Decode(strings.NewReader("null")); err == nil || in != nil {
			t.Fatalf("Decode(null) = %+v, %v", in, err)
		}
	})
	t.Run("PartialInputOnMissingField", func(t *testing.T) {
		in, err := Decode(strings.NewReader(`{"hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":{}}`))
		if err == nil || in == nil || in.HookEventName != EventPermissionRequest || in.ToolName != "Bash" {
			t.Fatalf("Decode = %+v, %v; want the partial input and an error", in, err)
		}
	})
	t.Run("EventSalvagedFromTypeError", func(t *testing.T) {
		in, err := Decode(strings.NewReader(`{"hook_event_name":"PreToolUse","cwd":7}`))
		if err == nil || in == nil || in.HookEventName != EventPreToolUse {
			t.Fatalf("Decode = %+v, %v; want the event name and an error", in, err)
		}
	})
	t.Run("RecordOnlyEventsAreLenient", func(t *testing.T) {
		in, err := Decode(strings.NewReader(`{"hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":"ls"}`))
		if err != nil || in.ToolInput != nil {
			t.Fatalf("Decode = %+v, %v; want no error and no tool input", in, err)
		}
	})
	t.Run("BatchCallWithoutObjectInput", func(t *testing.T) {
		in, err := Decode(strings.NewReader(`{"hook_event_name":"PostToolBatch","tool_calls":[` +
			`{"tool_name":"Bash","tool_input":"ls"},{"tool_name":"Read","tool_input":{"file_path":"/x"}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if in.ToolCalls[0].ToolInput != nil || in.ToolCalls[1].ToolInput["file_path"] != "/x" {
			t.Errorf("tool calls = %+v", in.ToolCalls)
		}
	})
	t.Run("NonBashNeedsNoCommand", func(t *testing.T) {
		if _, err := Decode(strings.NewReader(`{"hook_event_name":"PreToolUse","tool_name":"Task","tool_input":{}}`)); err != nil {
			t.Fatal(err)
		}
	})
}
