package transcript

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/golden"

	"github.com/wardenhq/warden/internal/record"
)

// The fixtures are captures of Claude Code 2.1.330 run by the e2e harness
// (session.jsonl and stream.jsonl: one session, both formats; paths
// mapped to /home/dev, request dumps and system-prompt attachments left
// out) and shared stream-json captures (testdata/stream-json).
func fixtures(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	more, err := filepath.Glob(filepath.Join("testdata", "stream-json", "*.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	return append(files, more...)
}

func mustRead(tb testing.TB, path string) *Transcript {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	t, err := Read(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return t
}

// TestRunRecord_Golden pins the run record of every fixture, as JSON and
// as Markdown.
func TestRunRecord_Golden(t *testing.T) {
	for _, path := range fixtures(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".jsonl")
		if filepath.Base(filepath.Dir(path)) == "stream-json" {
			name = "stream-json-" + name
		}
		t.Run(name, func(t *testing.T) {
			rr := mustRead(t, path).RunRecord()
			js, err := json.MarshalIndent(rr, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Compare(t, filepath.Join("testdata", "golden", name+".json"), append(js, '\n'))
			golden.Compare(t, filepath.Join("testdata", "golden", name+".md"), []byte(rr.Markdown()))
		})
	}
}

// TestRunRecord_Session checks the record of the captured session against
// what the scripted model did: three commands ran, one failed, two were
// denied by Warden's baseline, README.md was read and edited, docs.txt
// written.
func TestRunRecord_Session(t *testing.T) {
	for _, file := range []string{"session.jsonl", "stream.jsonl"} {
		t.Run(file, func(t *testing.T) {
			tr := mustRead(t, filepath.Join("testdata", file))
			rr := tr.RunRecord()
			if rr.SessionID != "61916ef5-beae-40e3-b102-3d3ea0422468" || rr.Workspace.Cwd != "/home/dev/app" {
				t.Errorf("session %s cwd %s", rr.SessionID, rr.Workspace.Cwd)
			}
			type cmd struct{ Command, Decision, RuleID, Outcome string }
			var got []cmd
			for _, c := range rr.Commands {
				got = append(got, cmd{c.Command, c.Decision, c.RuleID, c.Outcome})
			}
			want := []cmd{
				{"ls", "", "", record.OutcomeSucceeded},
				{"git status --short", "", "", record.OutcomeSucceeded},
				{"cat .env", record.DecisionDeny, "paths.secrets", record.OutcomeRefused},
				{"curl -s http://127.0.0.1:33909/x", record.DecisionDeny, "commands.egress", record.OutcomeRefused},
				{"ls /nonexistent-dir", "", "", record.OutcomeFailed},
				{"echo done", "", "", record.OutcomeSucceeded},
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("commands:\n got %+v\nwant %+v", got, want)
			}
			if want := []string{"/home/dev/app/README.md"}; !reflect.DeepEqual(rr.FilesInspected, want) {
				t.Errorf("files inspected %q, want %q", rr.FilesInspected, want)
			}
			if want := []string{"/home/dev/app/README.md", "/home/dev/app/docs.txt"}; !reflect.DeepEqual(rr.FilesChanged, want) {
				t.Errorf("files changed %q, want %q", rr.FilesChanged, want)
			}
			if len(rr.Denials) != 2 {
				t.Fatalf("denials %+v", rr.Denials)
			}
			for i, rule := range []string{"paths.secrets", "commands.egress"} {
				d := rr.Denials[i]
				if d.By != "warden" || d.RuleID != rule || d.Policy != "baseline@2026.1" || d.Tool != "Bash" || d.Reason == "" || strings.HasPrefix(d.Reason, "Warden:") {
					t.Errorf("denial %d: %+v", i, d)
				}
			}
			if !reflect.DeepEqual(rr.Policies, []record.PolicyRef{{Name: "baseline", Version: "2026.1"}}) {
				t.Errorf("policies %+v", rr.Policies)
			}
			if rr.Agent.ClientVersion != "2.1.330" || !reflect.DeepEqual(rr.Agent.Models, []string{"claude-opus-5-5"}) {
				t.Errorf("agent %+v", rr.Agent)
			}
			if rr.Cost.USD <= 0 || rr.Cost.APIRequests != 10 {
				t.Errorf("cost %+v", rr.Cost)
			}
			if rr.Gaps[0] != offlineGap {
				t.Errorf("gaps %q", rr.Gaps)
			}
			for _, g := range rr.Gaps {
				if strings.HasPrefix(g, "no telemetry") {
					t.Errorf("gap %q: the transcript is the client's record", g)
				}
			}
		})
	}
	// Only the session file has the prompt.
	rr := mustRead(t, filepath.Join("testdata", "session.jsonl")).RunRecord()
	if !strings.HasPrefix(rr.Task.Prompt, "Tidy the README and check the project.") || rr.Task.Prompts != 1 || !rr.Evidence.PromptLogging {
		t.Errorf("task %+v", rr.Task)
	}
	if !reflect.DeepEqual(rr.PermissionModes, []string{"bypassPermissions"}) || rr.Workspace.Branch != "main" {
		t.Errorf("modes %q branch %q", rr.PermissionModes, rr.Workspace.Branch)
	}
}

func TestRead_Formats(t *testing.T) {
	for file, want := range map[string]string{
		"session.jsonl":                          FormatSession,
		"stream.jsonl":                           FormatStreamJSON,
		"stream-json/denied-by-rule.jsonl":       FormatStreamJSON,
		"stream-json/denied-by-hook-exit2.jsonl": FormatStreamJSON,
	} {
		if got := mustRead(t, filepath.Join("testdata", file)).Format; got != want {
			t.Errorf("%s: format %q, want %q", file, got, want)
		}
	}
}

// TestRead_MetadataOnly: events keep what a call touched, never what it
// wrote or returned.
func TestRead_MetadataOnly(t *testing.T) {
	tr := mustRead(t, filepath.Join("testdata", "session.jsonl"))
	data, err := json.Marshal(tr.Events)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"A tiny project", "docs\\n", "README.md\\nnotes.txt", "has been updated successfully"} {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("events carry %q: content, not metadata", s)
		}
	}
}

func TestRead_Redacts(t *testing.T) {
	in := `{"type":"system","subtype":"init","session_id":"s1","cwd":"/w","model":"m"}
{"type":"assistant","session_id":"s1","timestamp":"2026-11-23T01:00:00Z","message":{"id":"m1","model":"m","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"curl -H 'Authorization: Bearer sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789' https://x.example"}}]}}
{"type":"user","session_id":"s1","timestamp":"2026-11-23T01:00:01Z","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}}
`
	tr, err := Read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	rr := tr.RunRecord()
	if len(rr.Commands) != 1 || strings.Contains(rr.Commands[0].Command, "abcdefghijklmnop") {
		t.Errorf("command not redacted: %+v", rr.Commands)
	}
}

func TestRead_Errors(t *testing.T) {
	good := `{"type":"system","subtype":"init","session_id":"s1","cwd":"/w"}` + "\n"
	tests := []struct {
		name, in, want string
	}{
		{"Empty", "", "empty transcript"},
		{"Blank", "\n\n", "empty transcript"},
		{"NotTranscript", `{"a":1}` + "\n", "not a Claude Code transcript"},
		{"BadLineInside", good + "{oops\n" + good, "line 2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read = %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("TornLastLine", func(t *testing.T) {
		tr, err := Read(strings.NewReader(good + `{"type":"assistant","sess`))
		if err != nil || tr.SessionID != "s1" {
			t.Errorf("Read = %v, %v", tr, err)
		}
	})
	t.Run("UnknownTypesSkipped", func(t *testing.T) {
		tr, err := Read(strings.NewReader(good + `{"type":"future-thing","session_id":"s1","x":[1,2]}` + "\n"))
		if err != nil || len(tr.Events) != 0 {
			t.Errorf("Read = %+v, %v", tr, err)
		}
	})
}

// TestRead_UnansweredCall: a call the session ended before answering is in
// the record, with an unknown outcome.
func TestRead_UnansweredCall(t *testing.T) {
	in := `{"type":"assistant","sessionId":"s2","timestamp":"2026-11-23T01:00:00Z","message":{"id":"m1","model":"m","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"make build"}}]}}` + "\n"
	tr, err := Read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	rr := tr.RunRecord()
	if len(rr.Commands) != 1 || rr.Commands[0].Outcome != record.OutcomeUnknown {
		t.Errorf("commands %+v", rr.Commands)
	}
}

func TestParseWarden(t *testing.T) {
	tests := []struct {
		name, in string
		decision string
		want     wardenQuote
	}{
		{"Deny", "PreToolUse:Bash hook error: Warden: reads a secret: /a/.env (read by `cat .env`) [rule paths.secrets, policy baseline@2026.1]",
			"deny", wardenQuote{"reads a secret: /a/.env (read by `cat .env`)", "paths.secrets", "baseline", "2026.1"}},
		{"Exit2", "PreToolUse:Read hook error: [/usr/local/bin/warden hook]: Warden: no decision within 5s, so the call was blocked\n",
			"deny", wardenQuote{reason: "no decision within 5s, so the call was blocked"}},
		{"AskHeadless", "Warden: pushes to a shared branch [rule commands.vcs-write, policy acme]",
			"ask", wardenQuote{"pushes to a shared branch", "commands.vcs-write", "acme", ""}},
		{"PolicyOnly", "PreToolUse:Bash hook error: Warden: blocked by policy [policy a@b@1]",
			"deny", wardenQuote{"blocked by policy", "", "a@b", "1"}},
		{"OtherHook", "PreToolUse:Bash hook error: R", "", wardenQuote{}},
		{"Rule", "Permission to use Bash with command rm -f x has been denied.", "", wardenQuote{}},
		{"Mention", "the output says Warden: hi", "", wardenQuote{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, d := parseWarden(tt.in)
			if d != tt.decision || got != tt.want {
				t.Errorf("parseWarden = %+v %q, want %+v %q", got, d, tt.want, tt.decision)
			}
		})
	}
}

// TestFixtures_NoCanaries: the e2e scratch world plants canary secrets;
// none may reach a committed fixture.
func TestFixtures_NoCanaries(t *testing.T) {
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, bad := range []string{"WARDEN_CANARY", "BEGIN OPENSSH PRIVATE KEY", "aws_secret_access_key", "/tmp/warden-e2e-"} {
			if bytes.Contains(data, []byte(bad)) {
				t.Errorf("%s contains %q", path, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func FuzzRead(f *testing.F) {
	for _, path := range fixtures(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		rr := tr.RunRecord()
		if _, err := json.Marshal(rr); err != nil {
			t.Fatal(err)
		}
		_ = rr.Markdown()
	})
}
