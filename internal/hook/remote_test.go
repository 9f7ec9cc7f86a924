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
	"github.com/wardenhq/warden/internal/hookproto"
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

			in, err := hookproto.Decode(bytes.NewReader(input))
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
	in := &hookproto.Input{HookEventName: hookproto.EventPreToolUse, SessionID: "s1", ToolName: "Bash",
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

// TestDecideRemote_Home: ~ in a path is the client's home, from the
// transcript path, not the service's.
func TestDecideRemote_Home(t *testing.T) {
	in := &hookproto.Input{HookEventName: hookproto.EventPreToolUse, ToolName: "Read", Cwd: "/work",
		TranscriptPath: "/home/alice/.claude/projects/-work/s.jsonl", ToolInput: map[string]any{"file_path": "~/.ssh/id_rsa"}}
	dec := &fakeDecider{verdict: policy.None}
	DecideRemote(in, dec, testMeta, RemoteOptions{})
	if got := dec.seen(); len(got) != 1 || got[0].Home != "/home/alice" || got[0].Repo != "" {
		t.Errorf("actions %+v, want one with home /home/alice and no repository", got)
	}
}
