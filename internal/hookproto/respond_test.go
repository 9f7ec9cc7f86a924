package hookproto

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/golden"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
)

// testNow is the fixed clock of every test.
var testNow = time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC)

var testMeta = Meta{Policy: "baseline", PolicyVersion: "2026.11", Tier: "standard"}

// fakeDecider answers with a fixed verdict (or fn) and remembers what it
// was asked.
type fakeDecider struct {
	verdict policy.Verdict
	fn      func(engine.Action) engine.Decision

	mu      sync.Mutex
	actions []engine.Action
}

var _ Decider = (*fakeDecider)(nil)

func (f *fakeDecider) Decide(a engine.Action) engine.Decision {
	f.mu.Lock()
	f.actions = append(f.actions, a)
	f.mu.Unlock()
	if f.fn != nil {
		return f.fn(a)
	}
	if f.verdict == policy.None {
		return engine.Decision{}
	}
	return engine.Decision{Verdict: f.verdict, RuleID: "test-" + f.verdict.String(), Reason: fmt.Sprintf("test %s for %s", f.verdict, a.Tool)}
}

func (f *fakeDecider) seen() []engine.Action {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]engine.Action{}, f.actions...)
}

func fixtureFiles(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(golden.Fixtures(tb, ""), "hooks", "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) == 0 {
		tb.Fatal("no hook fixtures found")
	}
	return files
}

func mustDecode(tb testing.TB, s string) *Input {
	tb.Helper()
	in, err := Decode(strings.NewReader(s))
	if err != nil {
		tb.Fatal(err)
	}
	return in
}

func testEnv() Env {
	return Env{Start: testNow, Now: func() time.Time { return testNow.Add(250 * time.Microsecond) }, Home: "/home/dev"}
}

// TestRespond_RecordsOnlyCallersIdentity: the user and host of every event
// are exactly what the caller passed, empty included. The stand-in runner
// that central decisions used before Respond fell back to the service
// process's own uid for an empty user (overwritten afterwards, but computed
// from the wrong machine); Respond must never look anything up itself.
func TestRespond_RecordsOnlyCallersIdentity(t *testing.T) {
	for _, id := range []struct{ user, host string }{{"", ""}, {"alice", "laptop"}} {
		check := func(t *testing.T, what string, evs []record.AuditEventV1) {
			t.Helper()
			if len(evs) == 0 {
				t.Fatalf("%s: no events", what)
			}
			for i, ev := range evs {
				if ev.User != id.user || ev.Host != id.host {
					t.Errorf("%s: event %d records user %q host %q, want %q %q", what, i, ev.User, ev.Host, id.user, id.host)
				}
			}
		}
		t.Run(fmt.Sprintf("User%q", id.user), func(t *testing.T) {
			env := testEnv()
			env.User, env.Host = id.user, id.host
			for _, file := range fixtureFiles(t) {
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				in := mustDecode(t, string(data))
				pol := Policy{Decider: &fakeDecider{verdict: policy.Deny}, Meta: testMeta}
				check(t, filepath.Base(file), Respond(in, pol, env).Events)
				check(t, filepath.Base(file)+" with a load error", Respond(in, Policy{Err: errors.New("broken")}, env).Events)
			}
			for _, mode := range []FailMode{FailClosed, FailOpen, FailDeny} {
				env.Fail = mode
				check(t, "Fail of undecoded input", Fail(nil, testMeta, record.FailureInputInvalid, "Warden: bad input", env).Events)
			}
		})
	}
}

// TestRespond_OnlyTheCallersClock: the events carry env.Start and durations
// from env.Now; with no clock they are 0, and the same inputs give the same
// response.
func TestRespond_OnlyTheCallersClock(t *testing.T) {
	in := mustDecode(t, `{"hook_event_name":"PreToolUse","session_id":"s1","cwd":"/w","tool_name":"Bash","tool_input":{"command":"ls"}}`)
	pol := Policy{Decider: &fakeDecider{verdict: policy.Allow}, Meta: testMeta}
	env := testEnv()
	r := Respond(in, pol, env)
	if ev := r.Events[0]; !ev.Time.Equal(testNow) || ev.DurationUS != 250 {
		t.Errorf("time %v duration %d µs, want %v and 250", ev.Time, ev.DurationUS, testNow)
	}
	env.Now = nil
	ids := func() *bytes.Reader { return bytes.NewReader(bytes.Repeat([]byte{7}, 64)) }
	env.Rand = ids()
	a := Respond(in, pol, env)
	env.Rand = ids()
	b := Respond(in, pol, env)
	if a.Events[0].DurationUS != 0 {
		t.Errorf("duration %d without a clock, want 0", a.Events[0].DurationUS)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("two responses to the same call differ:\n%+v\n%+v", a, b)
	}
}

// TestRespond_Git: the caller's repository reaches the engine and the
// event; without one, cwd stands alone.
func TestRespond_Git(t *testing.T) {
	in := mustDecode(t, `{"hook_event_name":"PreToolUse","cwd":"/w/app/src","tool_name":"Bash","tool_input":{"command":"git push"}}`)
	dec := &fakeDecider{verdict: policy.Ask}
	env := testEnv()
	env.Git = Git{Root: "/w/app", Remote: "https://github.com/org/app.git", Branch: "main"}
	ev := Respond(in, Policy{Decider: dec, Meta: testMeta}, env).Events[0]
	if ev.Repository != env.Git.Remote || ev.Branch != "main" {
		t.Errorf("repository %q branch %q", ev.Repository, ev.Branch)
	}
	if a := dec.seen()[0]; a.Repo != "/w/app" || a.Remote != env.Git.Remote || a.Branch != "main" {
		t.Errorf("engine saw repo %q remote %q branch %q", a.Repo, a.Remote, a.Branch)
	}
	env.Git = Git{Root: "/w/app", Detached: true}
	if ev := Respond(in, Policy{Decider: dec, Meta: testMeta}, env).Events[0]; ev.Repository != "/w/app" || ev.Branch != "HEAD" {
		t.Errorf("detached: repository %q branch %q", ev.Repository, ev.Branch)
	}
}

// TestRespond_LoadError: a policy that did not load fails a decision
// event as env.Fail says, and PostToolBatch records every call with the
// failure.
func TestRespond_LoadError(t *testing.T) {
	lerr := &LoadError{Path: "/etc/warden/policy.yaml", Err: errors.New("line 3: bad")}
	const reason = "Warden: policy /etc/warden/policy.yaml could not be loaded: line 3: bad — fix the file or run 'warden policy check /etc/warden/policy.yaml'"
	pre := mustDecode(t, `{"hook_event_name":"PreToolUse","cwd":"/w","tool_name":"Bash","tool_input":{"command":"ls"}}`)
	r := Respond(pre, Policy{Err: lerr}, testEnv())
	if want := string(DenyAnswer(EventPreToolUse, reason)); string(r.Answer) != want {
		t.Errorf("answer %s, want %s", r.Answer, want)
	}
	if ev := r.Events[0]; ev.Failure != record.FailurePolicyLoad || ev.Decision != record.DecisionDeny || ev.Command != "ls" {
		t.Errorf("event %+v", ev)
	}

	batch := mustDecode(t, `{"hook_event_name":"PostToolBatch","cwd":"/w","tool_calls":[`+
		`{"tool_name":"Bash","tool_input":{"command":"ls"},"tool_use_id":"t1"},{"tool_name":"Nope","tool_input":{},"tool_use_id":"t2"}]}`)
	r = Respond(batch, Policy{Err: lerr}, testEnv())
	if r.Answer != nil || r.Note != reason+" (recorded only; PostToolBatch does not decide)" {
		t.Errorf("answer %s note %q", r.Answer, r.Note)
	}
	if len(r.Events) != 2 {
		t.Fatalf("%d events, want 2", len(r.Events))
	}
	for i, ev := range r.Events {
		if ev.Failure != record.FailurePolicyLoad || !ev.ObservedOnly || ev.ToolUseID != fmt.Sprintf("t%d", i+1) || ev.Reason != reason {
			t.Errorf("event %d %+v", i, ev)
		}
	}
	if r.Events[0].EventID == r.Events[1].EventID {
		t.Error("two calls share an event ID")
	}
}

// TestRespond_BatchPanic: an engine panic on one call of a batch spoils
// only that call's record.
func TestRespond_BatchPanic(t *testing.T) {
	batch := mustDecode(t, `{"hook_event_name":"PostToolBatch","cwd":"/w","tool_calls":[`+
		`{"tool_name":"Bash","tool_input":{"command":"boom"}},{"tool_name":"Bash","tool_input":{"command":"ls"}}]}`)
	dec := &fakeDecider{fn: func(a engine.Action) engine.Decision {
		if a.Command == "boom" {
			panic("engine bug")
		}
		return engine.Decision{Verdict: policy.Allow}
	}}
	r := Respond(batch, Policy{Decider: dec, Meta: testMeta}, testEnv())
	if len(r.Events) != 2 || r.Answer != nil {
		t.Fatalf("answer %s, %d events", r.Answer, len(r.Events))
	}
	if ev := r.Events[0]; ev.Failure != record.FailurePanic || ev.Reason != "panic: engine bug" || ev.Decision != record.DecisionNone {
		t.Errorf("panicking call %+v", ev)
	}
	if ev := r.Events[1]; ev.Failure != "" || ev.Decision != record.DecisionAllow {
		t.Errorf("next call %+v", ev)
	}
}

// TestFail answers each way env.Fail says, for each kind of event.
func TestFail(t *testing.T) {
	const reason = "Warden: bad input"
	preDeny := string(DenyAnswer(EventPreToolUse, reason))
	permDeny := string(DenyAnswer(EventPermissionRequest, reason))
	tests := []struct {
		name     string
		in       *Input
		mode     FailMode
		want     string // answer
		wantNote string
	}{
		{"ClosedUndecoded", nil, FailClosed, preDeny, reason},
		{"ClosedPreToolUse", &Input{HookEventName: EventPreToolUse, ToolName: "Read", ToolInput: map[string]any{"file_path": "/x"}}, FailClosed, preDeny, reason},
		{"ClosedPermissionRequest", &Input{HookEventName: EventPermissionRequest, ToolName: "Bash"}, FailClosed, permDeny, reason},
		{"ClosedRecordOnly", &Input{HookEventName: EventStop}, FailClosed, "", reason + " (recorded only; Stop does not decide)"},
		{"OpenPreToolUse", &Input{HookEventName: EventPreToolUse, ToolName: "Bash"}, FailOpen, "", reason + " (failing open)"},
		{"OpenUndecoded", nil, FailOpen, "", reason + " (failing open)"},
		{"DenyUndecoded", nil, FailDeny, preDeny, reason},
		{"DenyPermissionRequest", &Input{HookEventName: EventPermissionRequest, ToolName: "Bash"}, FailDeny, permDeny, reason},
		{"DenyRecordOnly", &Input{HookEventName: EventStop}, FailDeny, preDeny, reason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv()
			env.Fail, env.User = tt.mode, "u"
			r := Fail(tt.in, testMeta, record.FailureInputInvalid, reason, env)
			if string(r.Answer) != tt.want {
				t.Errorf("answer %s, want %s", r.Answer, tt.want)
			}
			if r.Note != tt.wantNote || r.Reason != reason {
				t.Errorf("note %q reason %q, want %q %q", r.Note, r.Reason, tt.wantNote, reason)
			}
			if len(r.Events) != 1 {
				t.Fatalf("%d events, want 1", len(r.Events))
			}
			ev := r.Events[0]
			wantDecision := record.DecisionNone
			if tt.want != "" {
				wantDecision = record.DecisionDeny
			}
			if ev.Decision != wantDecision || ev.Failure != record.FailureInputInvalid || ev.Reason != reason || ev.User != "u" ||
				ev.Schema != record.SchemaAuditV1 || len(ev.EventID) != 32 || !ev.Time.Equal(testNow) || ev.DurationUS != 250 {
				t.Errorf("event %+v", ev)
			}
			if ev.Policy != testMeta.Policy || ev.Tier != testMeta.Tier {
				t.Errorf("event policy %q tier %q, want the meta's", ev.Policy, ev.Tier)
			}
			if tt.in != nil && tt.in.ToolName == "Read" && ev.Path != "/x" {
				t.Errorf("event path %q, want the call's", ev.Path)
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
