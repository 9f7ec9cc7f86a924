package hook

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
)

// TestDecideRemote_SameAsRun feeds every captured hook input to Run and to
// DecideRemote with the same engine and policy: a central service must
// answer exactly as the local hook does, record the same audit events
// (apart from the identity the service cannot know) and ask the engine
// about the same actions, when the client's cwd is not a repository here.
func TestDecideRemote_SameAsRun(t *testing.T) {
	for _, file := range fixtureFiles(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			input, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			meta := testMeta
			meta.BlockConfigChange = true

			local := &fakeDecider{verdict: goldenVerdicts[name]}
			h := newHarness(t, local, meta)
			res := h.run(string(input))

			in, err := Decode(bytes.NewReader(input))
			if err != nil {
				t.Fatal(err)
			}
			remote := &fakeDecider{verdict: goldenVerdicts[name]}
			answer, events := DecideRemote(in, remote, meta, RemoteOptions{
				Now: func() time.Time { return testNow }, User: "dev", Host: "devbox",
			})
			if got, want := string(answer), res.stdout; got != want {
				t.Errorf("answer\n got %q\nwant %q", got, want)
			}
			if got, want := remote.seen(), local.seen(); !reflect.DeepEqual(got, want) {
				t.Errorf("actions\n got %+v\nwant %+v", got, want)
			}
			if len(events) != len(res.audit) {
				t.Fatalf("%d audit events, Run wrote %d", len(events), len(res.audit))
			}
			for i, line := range res.audit {
				var want record.AuditEventV1
				if err := json.Unmarshal([]byte(line), &want); err != nil {
					t.Fatal(err)
				}
				got := events[i]
				if len(got.EventID) != 32 {
					t.Errorf("event %d: event_id %q", i, got.EventID)
				}
				got.EventID, want.EventID = "", ""
				// Run read no git metadata either (the captured cwd does not
				// exist here), so only the duration may differ.
				got.DurationUS, want.DurationUS = 0, 0
				if !reflect.DeepEqual(got, want) {
					g, _ := json.Marshal(got)
					t.Errorf("event %d\n got %s\nwant %s", i, g, line)
				}
			}
		})
	}
}

// TestDecideRemote_Panic: an engine panic is a deny with the failure
// recorded, not a crash of the service.
func TestDecideRemote_Panic(t *testing.T) {
	in := &Input{HookEventName: EventPreToolUse, SessionID: "s1", ToolName: "Bash",
		ToolInput: map[string]any{"command": "ls"}}
	dec := &fakeDecider{fn: func(engine.Action) engine.Decision { panic("boom") }}
	answer, events := DecideRemote(in, dec, testMeta, RemoteOptions{Now: func() time.Time { return testNow }})
	if !strings.Contains(string(answer), `"permissionDecision":"deny"`) || !strings.Contains(string(answer), "boom") {
		t.Errorf("answer %s, want a deny naming the panic", answer)
	}
	if len(events) != 1 || events[0].Failure != record.FailurePanic || events[0].Decision != record.DecisionDeny ||
		events[0].SessionID != "s1" || events[0].Command != "ls" {
		t.Errorf("events %+v", events)
	}
}

// TestFailRemote answers deny in the shape of each event, also when the
// input did not decode.
func TestFailRemote(t *testing.T) {
	opts := RemoteOptions{Now: func() time.Time { return testNow }, User: "u"}
	for _, tc := range []struct {
		name string
		in   *Input
		want string
	}{
		{"Undecoded", nil, `"permissionDecision":"deny"`},
		{"PreToolUse", &Input{HookEventName: EventPreToolUse, ToolName: "Read", ToolInput: map[string]any{"file_path": "/x"}}, `"permissionDecision":"deny"`},
		{"PermissionRequest", &Input{HookEventName: EventPermissionRequest, ToolName: "Bash"}, `"behavior":"deny"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer, ev := FailRemote(tc.in, testMeta, record.FailureInputInvalid, "Warden: bad input", opts)
			if !strings.Contains(string(answer), tc.want) || !strings.Contains(string(answer), "Warden: bad input") {
				t.Errorf("answer %s, want %s", answer, tc.want)
			}
			if ev.Decision != record.DecisionDeny || ev.Failure != record.FailureInputInvalid || ev.User != "u" ||
				ev.Schema != record.SchemaAuditV1 || len(ev.EventID) != 32 || !ev.Time.Equal(testNow) {
				t.Errorf("event %+v", ev)
			}
			if ev.Policy != testMeta.Policy || ev.Tier != testMeta.Tier {
				t.Errorf("event policy %q tier %q, want the meta's", ev.Policy, ev.Tier)
			}
		})
	}
}

func TestHomeFromTranscript(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/home/dev/.claude/projects/-home-dev-app/0b7f.jsonl", "/home/dev"},
		{"/Users/a b/.claude/projects/x/y.jsonl", "/Users/a b"},
		{"/srv/claude/projects/x.jsonl", ""},
		{"/.claude/projects/x.jsonl", ""},
		{"", ""},
	} {
		if got := HomeFromTranscript(tc.in); got != tc.want {
			t.Errorf("HomeFromTranscript(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestDecideRemote_Home: ~ in a path is the client's home, from the
// transcript path, not the service's.
func TestDecideRemote_Home(t *testing.T) {
	in := &Input{HookEventName: EventPreToolUse, ToolName: "Read", Cwd: "/work",
		TranscriptPath: "/home/alice/.claude/projects/-work/s.jsonl", ToolInput: map[string]any{"file_path": "~/.ssh/id_rsa"}}
	dec := &fakeDecider{verdict: policy.None}
	DecideRemote(in, dec, testMeta, RemoteOptions{})
	if got := dec.seen(); len(got) != 1 || got[0].Home != "/home/alice" || got[0].Repo != "" {
		t.Errorf("actions %+v, want one with home /home/alice and no repository", got)
	}
}
