package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The captures in testdata/stream-json are copies of shared/fixtures/stream-json,
// produced by Claude Code 2.1.330 (see shared/fixtures/README.md).

func mustParseFile(tb testing.TB, name string) *Transcript {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", "stream-json", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	tr, err := ParseStream(f)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return tr
}

func TestParseStream_Fixtures(t *testing.T) {
	type want struct {
		id        string
		name      string
		outcome   Outcome
		verdict   string
		inDenials bool
		isError   bool
		result    string // substring of the tool_result text
		noVerdict string // "timeout", "unusable" or ""
	}
	tests := []struct {
		file  string
		mode  string
		calls []want
	}{
		{"allowed.jsonl", "default", []want{
			{id: "toolu_0000", name: "Bash", outcome: OutcomeRan, result: "hi"},
		}},
		{"allowed-by-hook.jsonl", "default", []want{
			{id: "toolu_0000", name: "Bash", outcome: OutcomeRan, verdict: "allow", result: "(Bash completed with no output)"},
		}},
		{"ask-by-hook-headless.jsonl", "acceptEdits", []want{
			{id: "toolu_0000", name: "Bash", outcome: OutcomeAskedByHook, verdict: "ask", inDenials: true, isError: true, result: "warden test reason: ask"},
		}},
		{"denied-by-hook.jsonl", "acceptEdits", []want{
			{id: "toolu_0000", name: "Bash", outcome: OutcomeDeniedByHook, verdict: "deny", inDenials: true, isError: true, result: "PreToolUse:Bash hook error: warden test reason: deny"},
		}},
		{"denied-by-hook-exit2.jsonl", "default", []want{
			{id: "toolu_0000", name: "Bash", outcome: OutcomeDeniedByHook, verdict: "deny", inDenials: true, isError: true, result: "warden blocked via exit 2 (stderr text)\n"},
		}},
		{"denied-by-managed-rule.jsonl", "bypassPermissions", []want{
			{id: "toolu_0000", name: "Bash", outcome: OutcomeDeniedByRule, inDenials: true, isError: true, result: "has been denied"},
			{id: "toolu_0100", name: "Bash", outcome: OutcomeDeniedByRule, inDenials: true, isError: true, result: "wget"},
			{id: "toolu_0200", name: "Bash", outcome: OutcomeRan, result: "managed-ok"},
		}},
		{"denied-by-rule.jsonl", "acceptEdits", []want{
			{id: "toolu_0000", name: "Bash", outcome: OutcomeDeniedByRule, inDenials: true, isError: true, result: "rm -f"},
			{id: "toolu_0100", name: "Read", outcome: OutcomeDeniedByRule, inDenials: true, isError: true, result: "denied by your permission settings"},
		}},
		{"hook-allow-vs-deny-rule.jsonl", "acceptEdits", []want{
			{id: "toolu_0000", name: "Bash", outcome: OutcomeDeniedByRule, inDenials: true, isError: true},
		}},
		{"hook-command-missing.jsonl", "acceptEdits", []want{
			{id: "toolu_0000", name: "Bash", outcome: OutcomeRan, noVerdict: "unusable"},
		}},
		{"hook-timeout.jsonl", "acceptEdits", []want{
			{id: "toolu_0000", name: "Bash", outcome: OutcomeRan, noVerdict: "timeout"},
		}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".jsonl"), func(t *testing.T) {
			tr := mustParseFile(t, tt.file)
			if tr.Init == nil || tr.Init.Version != "2.1.330" || tr.Init.SessionID == "" {
				t.Fatalf("init = %+v", tr.Init)
			}
			if tt.mode != "" && tr.Init.PermissionMode != tt.mode {
				t.Errorf("permission mode %q, want %q", tr.Init.PermissionMode, tt.mode)
			}
			if tr.Result == nil || tr.Result.Subtype != "success" || tr.Result.TerminalReason != "completed" {
				t.Fatalf("result = %+v", tr.Result)
			}
			if got, want := len(tr.Calls), len(tt.calls); got != want {
				t.Fatalf("%d calls, want %d", got, want)
			}
			if got := tr.Texts[len(tr.Texts)-1]; got != "done" {
				t.Errorf("last text %q, want done", got)
			}
			if len(tr.Hooks) != 1 || tr.Hooks[0].Event != "SessionStart" || tr.Hooks[0].Outcome != "success" {
				t.Errorf("hooks = %+v", tr.Hooks)
			}
			for i, w := range tt.calls {
				c := tr.Calls[i]
				if tr.Call(w.id) != c {
					t.Errorf("Call(%q) is not call %d", w.id, i)
				}
				if c.ID != w.id || c.Name != w.name {
					t.Errorf("call %d = %s %s, want %s %s", i, c.ID, c.Name, w.id, w.name)
				}
				if c.Outcome != w.outcome {
					t.Errorf("%s: outcome %q, want %q", c.ID, c.Outcome, w.outcome)
				}
				if got := c.HookVerdict(); got != w.verdict {
					t.Errorf("%s: hook verdict %q, want %q", c.ID, got, w.verdict)
				}
				if c.InDenials != w.inDenials {
					t.Errorf("%s: in permission_denials %v, want %v", c.ID, c.InDenials, w.inDenials)
				}
				if c.IsError != w.isError {
					t.Errorf("%s: is_error %v, want %v", c.ID, c.IsError, w.isError)
				}
				if !strings.Contains(c.Result, w.result) {
					t.Errorf("%s: result %q does not contain %q", c.ID, c.Result, w.result)
				}
				if len(c.ToolUseResult) == 0 {
					t.Errorf("%s: no tool_use_result", c.ID)
				}
				if c.Outcome.Refused() == (c.Outcome == OutcomeRan) {
					t.Errorf("%s: Refused() = %v for %s", c.ID, c.Outcome.Refused(), c.Outcome)
				}
				switch w.noVerdict {
				case "":
					if c.NoVerdict != nil {
						t.Errorf("%s: unexpected no-verdict warning %+v", c.ID, c.NoVerdict)
					}
				case "timeout", "unusable":
					if c.NoVerdict == nil || c.NoVerdict.TimedOut != (w.noVerdict == "timeout") || c.NoVerdict.HookEvent != "PreToolUse" || c.NoVerdict.Content == "" {
						t.Errorf("%s: no-verdict warning %+v, want %s", c.ID, c.NoVerdict, w.noVerdict)
					}
					if len(tr.Warnings) != 1 {
						t.Errorf("warnings = %q", tr.Warnings)
					}
				}
			}
		})
	}
}

func TestParseStream_PermissionDeniedLine(t *testing.T) {
	tr := mustParseFile(t, "ask-by-hook-headless.jsonl")
	pd := tr.Call("toolu_0000").PermissionDenied
	if pd == nil || pd.DecisionReasonType != "hook" || pd.DecisionReason != "warden test reason: ask" || pd.ToolName != "Bash" {
		t.Errorf("permission_denied = %+v", pd)
	}
	if got := tr.Types["system/permission_denied"]; got != 1 {
		t.Errorf("counted %d permission_denied lines, want 1", got)
	}
	tr = mustParseFile(t, "denied-by-hook.jsonl")
	c := tr.Call("toolu_0000")
	if c.PermissionDenied != nil {
		t.Errorf("hook deny has a permission_denied line: %+v", c.PermissionDenied)
	}
	if c.NonExecutionKind != "permission-rule" || c.Source != "hook" || c.ReasonType != "hook" || c.Decision != "reject" {
		t.Errorf("meta = %q %q %q %q", c.NonExecutionKind, c.Decision, c.Source, c.ReasonType)
	}
}

func TestParseStream_Classify(t *testing.T) {
	const pre = `{"type":"assistant","message":{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Glob","input":{"pattern":"*"}}]},"parent_tool_use_id":null}` + "\n"
	tests := []struct {
		name string
		user string
		want Outcome
	}{
		{"UnknownTool", `{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":"<tool_use_error>Error: No such tool available: Glob.</tool_use_error>"}]}}`, OutcomeNotRun},
		{"NeedsApproval", `{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":"needs approval"}]},"tool_result_meta":[{"id":"t1","non_execution_kind":"user-rejected","permission_decision":{"decision":"reject","source":"config"}}]}`, OutcomeNeedsApproval},
		{"RanWithError", `{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":[{"type":"text","text":"Exit code 7"}]}]},"tool_result_meta":[{"id":"t1","permission_decision":{"decision":"accept","source":"config","reason_type":"mode"}}]}`, OutcomeRan},
		{"NoMetaNoError", `{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"?"}]}}`, OutcomeUnknown},
		{"NoResult", ``, OutcomeNoResult},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := ParseStream(strings.NewReader(pre + tt.user + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			c := tr.Call("t1")
			if c == nil || c.Outcome != tt.want {
				t.Fatalf("outcome = %+v, want %s", c, tt.want)
			}
		})
	}
	t.Run("ResultBlocksJoined", func(t *testing.T) {
		tr, err := ParseStream(strings.NewReader(pre + tests[2].user))
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.Call("t1").Result; got != "Exit code 7" {
			t.Errorf("result %q", got)
		}
	})
}

func TestParseStream_Errors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"NotJSON", "{\"type\":\"system\"}\nnot json\n", "line 2"},
		{"NoType", "{}\n", "no type"},
		{"DuplicateToolUse", strings.Repeat(`{"type":"assistant","message":{"content":[{"type":"tool_use","id":"a","name":"Bash"}]}}`+"\n", 2), "twice"},
		{"AssistantWithoutMessage", `{"type":"assistant"}`, "without message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseStream(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	t.Run("BlankLinesIgnored", func(t *testing.T) {
		tr, err := ParseStream(strings.NewReader("\n\n{\"type\":\"future_line\"}\n\n"))
		if err != nil || tr.Lines != 1 || tr.Types["future_line"] != 1 {
			t.Errorf("tr = %+v, err = %v", tr, err)
		}
	})
}

func FuzzParseStream(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "stream-json", "*.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := ParseStream(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		for _, c := range tr.Calls {
			if tr.Call(c.ID) != c || c.Outcome == "" {
				t.Fatalf("call %q inconsistent: %+v", c.ID, c)
			}
		}
	})
}
