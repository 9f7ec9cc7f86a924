package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/wardenhq/warden/internal/condition"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/hookproto"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// faultStore fails chosen operations, as a database that went away would.
type faultStore struct {
	store.Store
	failQuarantine atomic.Bool
	failAppend     atomic.Bool
	failWrite      atomic.Bool // the database answers but cannot be written

	mu       sync.Mutex
	appended []record.Event // every event stored, with or without a session
}

func (f *faultStore) ProbeWrite(ctx context.Context) error {
	if f.failWrite.Load() {
		return errors.New("attempt to write a readonly database")
	}
	return f.Store.ProbeWrite(ctx)
}

var errDown = errors.New("connection refused")

func (f *faultStore) Quarantine(ctx context.Context, id string) (*record.Quarantine, error) {
	if f.failQuarantine.Load() {
		return nil, errDown
	}
	return f.Store.Quarantine(ctx, id)
}

func (f *faultStore) AppendEvents(ctx context.Context, events []record.Event) (int, error) {
	if f.failAppend.Load() {
		return 0, errDown
	}
	n, err := f.Store.AppendEvents(ctx, events)
	if err == nil {
		f.mu.Lock()
		f.appended = append(f.appended, events...)
		f.mu.Unlock()
	}
	return n, err
}

// failures returns the stored events that record a failure.
func (f *faultStore) failures(failure string) []record.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []record.Event
	for _, e := range f.appended {
		if e.Audit != nil && e.Audit.Failure == failure {
			out = append(out, e)
		}
	}
	return out
}

// decision is the part of a hook answer the tests look at.
type decision struct {
	HookSpecificOutput struct {
		HookEventName            string `json:"hookEventName"`
		PermissionDecision       string `json:"permissionDecision"`
		PermissionDecisionReason string `json:"permissionDecisionReason"`
		Decision                 struct {
			Behavior string `json:"behavior"`
			Message  string `json:"message"`
		} `json:"decision"`
	} `json:"hookSpecificOutput"`
}

func (ts *testServer) decide(token string, body []byte, query string) (response, decision) {
	ts.t.Helper()
	r := ts.do("POST", "/v1/hooks/claude-code"+query, token, body, "Content-Type", "application/json")
	if r.status != http.StatusOK {
		ts.t.Fatalf("central decision answered %d, want 200 always: %s", r.status, r.body)
	}
	var d decision
	r.json(ts.t, &d)
	return r, d
}

// pre is a PreToolUse hook input for session.
func pre(session, tool string, input map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"session_id": session, "transcript_path": "/home/dev/.claude/projects/-home-dev-app/" + session + ".jsonl",
		"cwd": "/home/dev/app", "hook_event_name": "PreToolUse", "permission_mode": "default",
		"tool_name": tool, "tool_input": input, "tool_use_id": "toolu_" + session,
	})
	return b
}

// TestDecide answers as the local hook does, from the captured inputs,
// and stores every decision as a hook event.
func TestDecide(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, withStore(b.open(t)))
		ingest := ts.tokens[record.ScopeIngest]

		body := fixture(t, "hooks/pretooluse-bash-env.json")
		r, d := ts.decide(ingest, body, "")
		if d.HookSpecificOutput.PermissionDecision != "deny" || !strings.Contains(d.HookSpecificOutput.PermissionDecisionReason, "paths.secrets") ||
			r.header.Get("X-Warden-Decision") != "deny" {
			t.Errorf("cat .env: %s", r.body)
		}
		// The same engine, policy and decision core as `warden hook`:
		// compare with hookproto.Respond on the baseline directly.
		in, err := hookproto.Decode(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := policy.Baseline().Ruleset("")
		want := hookproto.Respond(in, hookproto.Policy{
			Decider: engine.New(rs, engine.Options{Conditions: condition.NewEvaluator(rs), FS: engine.NoFS{}}),
			Meta:    hookproto.Meta{Policy: rs.Policy, PolicyVersion: rs.Revision, Tier: rs.Tier},
		}, hookproto.Env{Home: hookproto.HomeFromTranscript(in.TranscriptPath), Fail: hookproto.FailDeny}).Answer
		if !bytes.Equal(r.body, want) {
			t.Errorf("answer\n%s\nwant the hook's\n%s", r.body, want)
		}
		var sid struct {
			SessionID string `json:"session_id"`
		}
		json.Unmarshal(body, &sid)
		events := ts.sessionEvents(sid.SessionID)
		if len(events) != 1 || events[0].Source != record.SourceHook || events[0].Kind != "PreToolUse" ||
			events[0].Decision != "deny" || events[0].Audit.RuleID != "paths.secrets" || events[0].Audit.Command == "" {
			t.Errorf("stored %+v", events)
		}

		t.Run("NoOpinion", func(t *testing.T) {
			r, d := ts.decide(ingest, pre("quiet", "Read", map[string]any{"file_path": "/home/dev/app/README.md"}), "")
			if got := r.header.Get("X-Warden-Decision"); got != record.DecisionNone || d.HookSpecificOutput.PermissionDecision != "" {
				t.Errorf("reading a README: verdict %q, answer %s; want none and no permission decision", got, r.body)
			}
			if evs := ts.sessionEvents("quiet"); len(evs) != 1 || evs[0].Decision != record.DecisionNone {
				t.Errorf("stored %+v, want one decision none", evs)
			}
		})
		t.Run("PermissionRequest", func(t *testing.T) {
			r, _ := ts.decide(ingest, fixture(t, "hooks/permissionrequest-mcp.json"), "")
			if r.status != http.StatusOK || !json.Valid(r.body) {
				t.Errorf("%d %s", r.status, r.body)
			}
		})
		t.Run("RecordOnlyEvents", func(t *testing.T) {
			for _, f := range []string{"hooks/sessionstart.json", "hooks/userpromptsubmit.json", "hooks/posttoolbatch.json", "hooks/stop.json"} {
				r, _ := ts.decide(ingest, fixture(t, f), "")
				if strings.Contains(string(r.body), "deny") {
					t.Errorf("%s: %s", f, r.body)
				}
			}
		})
		t.Run("Tier", func(t *testing.T) {
			r, d := ts.decide(ingest, pre("tiered", "Bash", map[string]any{"command": "ls"}), "?tier=no-such-tier")
			if d.HookSpecificOutput.PermissionDecision != "deny" || !strings.Contains(d.HookSpecificOutput.PermissionDecisionReason, "no-such-tier") {
				t.Errorf("unknown tier: %s", r.body)
			}
			evs := ts.sessionEvents("tiered")
			if len(evs) != 1 || evs[0].Audit.Failure != record.FailurePolicyLoad {
				t.Errorf("stored %+v", evs)
			}
			for _, tier := range policy.Baseline().TierNames() {
				r, _ := ts.decide(ingest, pre("tier-"+tier, "Bash", map[string]any{"command": "ls"}), "?tier="+tier)
				if evs := ts.sessionEvents("tier-" + tier); len(evs) != 1 || evs[0].Audit.Tier != tier {
					t.Errorf("tier %s: %s, stored %+v", tier, r.body, evs)
				}
			}
		})
	})
}

// TestDecide_Failures: every failure is a 200 deny saying why, recorded
// where the store allows, never a 4xx or 5xx that Claude Code would read
// as "run the tool".
func TestDecide_Failures(t *testing.T) {
	fs := &faultStore{Store: sqliteBackend().open(t)}
	ts := startServer(t, withStore(fs), withConfig(func(c *Config) { c.DecideTimeout = 200 * time.Millisecond }))
	ingest := ts.tokens[record.ScopeIngest]
	body := pre("f1", "Bash", map[string]any{"command": "ls"})

	wantDeny := func(t *testing.T, r response, d decision, reason string) {
		t.Helper()
		if d.HookSpecificOutput.PermissionDecision != "deny" || !strings.Contains(d.HookSpecificOutput.PermissionDecisionReason, reason) {
			t.Errorf("answer %s, want a deny mentioning %q", r.body, reason)
		}
	}
	t.Run("NoToken", func(t *testing.T) {
		r, d := ts.decide("", body, "")
		wantDeny(t, r, d, "refused this hook's token")
	})
	t.Run("WrongScope", func(t *testing.T) {
		r, d := ts.decide(ts.tokens[record.ScopeRead], body, "")
		wantDeny(t, r, d, "lacks scope ingest")
		if len(ts.sessionEvents("f1")) != 0 {
			t.Error("a request without an ingest token was recorded")
		}
	})
	t.Run("BadJSON", func(t *testing.T) {
		for _, in := range []string{`{"hook_event_name":"PreToolUse",`, `[]`, ``, `{"hook_event_name":"PreToolUse","session_id":"f2","tool_name":"Bash","tool_input":"ls"}`} {
			r, d := ts.decide(ingest, []byte(in), "")
			wantDeny(t, r, d, "could not read this hook call")
		}
		evs := ts.sessionEvents("f2")
		if len(evs) != 1 || evs[0].Audit.Failure != record.FailureInputInvalid || evs[0].Decision != "deny" {
			t.Errorf("stored %+v", evs)
		}
		// Garbage without a session or an event name is recorded too,
		// as a failure of hook event "unknown".
		var unknown int
		for _, e := range fs.failures(record.FailureInputInvalid) {
			if e.Kind == HookEventUnknown && e.Decision == "deny" && e.SessionID == "" {
				unknown++
			}
		}
		if unknown != 3 {
			t.Errorf("%d garbage inputs recorded, want 3 (all but the one naming its event)", unknown)
		}
	})
	t.Run("TooLarge", func(t *testing.T) {
		big := pre("f3", "Bash", map[string]any{"command": strings.Repeat("x", hookproto.MaxInputBytes)})
		r, d := ts.decide(ingest, big, "")
		wantDeny(t, r, d, "larger than 1 MiB")
	})
	t.Run("PermissionRequestShape", func(t *testing.T) {
		r, d := ts.decide("", fixture(t, "hooks/permissionrequest-mcp.json"), "")
		if d.HookSpecificOutput.Decision.Behavior != "deny" {
			t.Errorf("PermissionRequest failure: %s, want behavior deny", r.body)
		}
	})
	t.Run("QuarantineLookupFails", func(t *testing.T) {
		fs.failQuarantine.Store(true)
		defer fs.failQuarantine.Store(false)
		r, d := ts.decide(ingest, pre("f4", "Bash", map[string]any{"command": "ls"}), "")
		wantDeny(t, r, d, "quarantined")
	})
	t.Run("StoreDown", func(t *testing.T) {
		fs.failAppend.Store(true)
		defer fs.failAppend.Store(false)
		r, d := ts.decide(ingest, pre("f5", "Read", map[string]any{"file_path": "/home/dev/app/README.md"}), "")
		wantDeny(t, r, d, "could not record this decision")
	})
	t.Run("Panic", func(t *testing.T) {
		defer ts.setDecider(deciderFunc(func(engine.Action) engine.Decision { panic("engine bug") }))()
		r, d := ts.decide(ingest, pre("f6", "Bash", map[string]any{"command": "ls"}), "")
		wantDeny(t, r, d, "engine bug")
		if evs := ts.sessionEvents("f6"); len(evs) != 1 || evs[0].Audit.Failure != record.FailurePanic {
			t.Errorf("stored %+v", evs)
		}
	})
	t.Run("ClientHome", func(t *testing.T) {
		// ~ is the client's home, read from the transcript path, never
		// the service's; the repository is unknown here.
		var seen []engine.Action
		var mu sync.Mutex
		defer ts.setDecider(deciderFunc(func(a engine.Action) engine.Decision {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, a)
			return engine.Decision{}
		}))()
		in := pre("f8", "Read", map[string]any{"file_path": "~/.ssh/id_rsa"})
		in = bytes.Replace(in, []byte("/home/dev/.claude/"), []byte("/home/alice/.claude/"), 1)
		ts.decide(ingest, in, "")
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != 1 || seen[0].Home != "/home/alice" || seen[0].Repo != "" {
			t.Errorf("actions %+v, want one with home /home/alice and no repository", seen)
		}
		if evs := ts.sessionEvents("f8"); len(evs) != 1 || evs[0].Audit.User != "" || evs[0].Audit.Host != "" {
			t.Errorf("stored %+v, want no user or host: the service does not know them", evs)
		}
	})
	t.Run("Timeout", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		defer ts.setDecider(deciderFunc(func(engine.Action) engine.Decision {
			<-release
			return engine.Decision{Verdict: policy.Allow}
		}))()
		r, d := ts.decide(ingest, pre("f7", "Bash", map[string]any{"command": "ls"}), "")
		wantDeny(t, r, d, "no decision within 200ms")
		if evs := ts.sessionEvents("f7"); len(evs) != 1 || evs[0].Audit.Failure != record.FailureTimeout {
			t.Errorf("stored %+v", evs)
		}
	})
	if got := metricValue(t, ts, `warden_decision_failures_total{failure="input_invalid"}`); got != 4 {
		t.Errorf("input_invalid failures %v, want 4", got)
	}
}

type deciderFunc func(engine.Action) engine.Decision

// setDecider makes the default tier decide with dec, and returns the
// function that restores the policy's engine.
func (ts *testServer) setDecider(dec hookproto.Decider) func() {
	e := ts.s.engines.Load()
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.m[""]
	e.m[""] = &tierEngine{dec: dec, meta: old.meta}
	return func() {
		e.mu.Lock()
		e.m[""] = old
		e.mu.Unlock()
	}
}

func (f deciderFunc) Decide(a engine.Action) engine.Decision { return f(a) }

// TestQuarantine: an administrator's quarantine makes every later action
// of the session deny with the reason, until released.
func TestQuarantine(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, withStore(b.open(t)))
		ingest, admin, read := ts.tokens[record.ScopeIngest], ts.tokens[record.ScopeAdmin], ts.tokens[record.ScopeRead]
		const s = "/api/v1/sessions/q1/quarantine"
		readme := pre("q1", "Read", map[string]any{"file_path": "/home/dev/app/README.md"})

		if _, d := ts.decide(ingest, readme, ""); d.HookSpecificOutput.PermissionDecision == "deny" {
			t.Fatal("README denied before any quarantine")
		}
		if r := ts.do("GET", s, read, nil); r.status != http.StatusNotFound {
			t.Errorf("GET before: %d %s", r.status, r.body)
		}
		for _, bad := range []string{`{}`, `{"reason": ""}`, `{"reason": 1}`, `{"reason":"x","extra":1}`, `not json`} {
			if r := ts.do("POST", s, admin, []byte(bad), "Content-Type", "application/json"); r.status != http.StatusBadRequest {
				t.Errorf("%s: %d %s, want 400", bad, r.status, r.body)
			}
		}
		r := ts.do("POST", s, admin, []byte(`{"reason":"exfiltration suspected, INC-42"}`), "Content-Type", "application/json")
		var q record.Quarantine
		r.json(t, &q)
		if r.status != http.StatusOK || q.SessionID != "q1" || !strings.HasPrefix(q.By, "token:tok_") {
			t.Fatalf("POST: %d %s", r.status, r.body)
		}
		for _, in := range [][]byte{readme, pre("q1", "Bash", map[string]any{"command": "ls"})} {
			r, d := ts.decide(ingest, in, "")
			if d.HookSpecificOutput.PermissionDecision != "deny" ||
				!strings.Contains(d.HookSpecificOutput.PermissionDecisionReason, "exfiltration suspected, INC-42") ||
				!strings.Contains(d.HookSpecificOutput.PermissionDecisionReason, QuarantineRuleID) {
				t.Errorf("quarantined: %s", r.body)
			}
		}
		if _, d := ts.decide(ingest, pre("q2", "Read", map[string]any{"file_path": "/home/dev/app/README.md"}), ""); d.HookSpecificOutput.PermissionDecision == "deny" {
			t.Error("another session was denied")
		}
		if r := ts.do("GET", s, read, nil); r.status != http.StatusOK {
			t.Errorf("GET: %d %s", r.status, r.body)
		}
		ts.syncDecisions()
		sum, err := ts.store.Session(context.Background(), "q1")
		if err != nil || !sum.Quarantined || sum.Counts.Denials != 2 {
			t.Errorf("summary %+v, %v", sum, err)
		}
		if r := ts.do("DELETE", s, admin, nil); r.status != http.StatusNoContent {
			t.Errorf("DELETE: %d %s", r.status, r.body)
		}
		if _, d := ts.decide(ingest, readme, ""); d.HookSpecificOutput.PermissionDecision == "deny" {
			t.Error("still denied after release")
		}
		if r := ts.do("DELETE", s, admin, nil); r.status != http.StatusNotFound {
			t.Errorf("DELETE again: %d %s, want 404", r.status, r.body)
		}
	})
}

// TestDecide_Concurrent: decisions from many clients at once are all
// answered and all stored, through the group-commit writer.
func TestDecide_Concurrent(t *testing.T) {
	ts := startServer(t)
	ingest := ts.tokens[record.ScopeIngest]
	const clients, each = 8, 25
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range each {
				body := pre("conc", "Bash", map[string]any{"command": "echo " + strings.Repeat("x", c+i)})
				r := ts.do("POST", "/v1/hooks/claude-code", ingest, body, "Content-Type", "application/json")
				if r.status != http.StatusOK {
					t.Errorf("%d %s", r.status, r.body)
				}
			}
		})
	}
	wg.Wait()
	if n := len(ts.sessionEvents("conc")); n != clients*each {
		t.Errorf("%d decisions stored, want %d", n, clients*each)
	}
}

// TestQuarantine_Replicas: two servers on one store, as replicas behind a
// load balancer. A quarantine set through one denies on the other once
// that one's cached state (quarantineTTL) is stale, and at once on the
// one it was set through; decisions of both land in one session.
func TestQuarantine_Replicas(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.open(t)
		a := startServer(t, withStore(st))
		r := startServer(t, withStore(st))
		r.tokens = a.tokens // one store, one set of tokens
		in := pre("rep", "Read", map[string]any{"file_path": "/home/dev/app/README.md"})
		for _, ts := range []*testServer{a, r} {
			if _, d := ts.decide(ts.tokens[record.ScopeIngest], in, ""); d.HookSpecificOutput.PermissionDecision == "deny" {
				t.Fatal("denied before the quarantine")
			}
		}
		if resp := a.do("POST", "/api/v1/sessions/rep/quarantine", a.tokens[record.ScopeAdmin], []byte(`{"reason":"stop"}`)); resp.status != http.StatusOK {
			t.Fatalf("%d %s", resp.status, resp.body)
		}
		if _, d := a.decide(a.tokens[record.ScopeIngest], in, ""); d.HookSpecificOutput.PermissionDecision != "deny" {
			t.Error("the replica that set the quarantine did not deny at once")
		}
		r.clock.Add(quarantineTTL)
		if _, d := r.decide(r.tokens[record.ScopeIngest], in, ""); d.HookSpecificOutput.PermissionDecision != "deny" {
			t.Error("the other replica did not deny after quarantineTTL")
		}
		if n := len(a.sessionEvents("rep")); n != 4 {
			t.Errorf("%d decisions stored from two replicas, want 4", n)
		}
	})
}
