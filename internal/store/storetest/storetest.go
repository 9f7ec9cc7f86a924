// Package storetest is the contract every store.Store implementation must
// pass: one suite, Run, that the SQLite and PostgreSQL stores run against
// real databases, plus helpers shared by their tests (a clock, event
// builders, the crash test). It imports testing and is linked only into
// tests.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// NewStore opens an empty store for one test, closing it in t.Cleanup, with
// the given options (the suite injects its clock).
type NewStore func(t *testing.T, opts store.Options) store.Store

// T0 is the suite's reference time: every record time is an offset from it.
var T0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// Clock is a settable clock for the suite: Now returns the last time Set.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the time last Set.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set sets the time Now returns.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Run runs the contract suite against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	open := func(t *testing.T) (store.Store, *Clock) {
		t.Helper()
		c := &Clock{}
		c.Set(T0.Add(1000 * time.Hour))
		return newStore(t, store.Options{Now: c.Now}), c
	}
	t.Run("Ping", func(t *testing.T) {
		s, _ := open(t)
		if err := s.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ProbeWrite", func(t *testing.T) {
		s, _ := open(t)
		for range 2 { // the row is written, then overwritten
			if err := s.ProbeWrite(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("AppendEvents", func(t *testing.T) { testAppendEvents(t, open) })
	t.Run("SessionEvents", func(t *testing.T) { testSessionEvents(t, open) })
	t.Run("Session", func(t *testing.T) { testSession(t, open) })
	t.Run("ListSessions", func(t *testing.T) { testListSessions(t, open) })
	t.Run("AppendMetrics", func(t *testing.T) { testAppendMetrics(t, open) })
	t.Run("Rollups", func(t *testing.T) { testRollups(t, open) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, open) })
	t.Run("Devices", func(t *testing.T) { testDevices(t, open) })
	t.Run("Quarantine", func(t *testing.T) { testQuarantine(t, open) })
	t.Run("Policy", func(t *testing.T) { testPolicy(t, open) })
	t.Run("DeleteBefore", func(t *testing.T) { testDeleteBefore(t, open) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open) })
	t.Run("Alerts", func(t *testing.T) { testAlerts(t, open) })
	t.Run("Overlays", func(t *testing.T) { testOverlays(t, open) })
	t.Run("PauseOverlays", func(t *testing.T) { testPauseOverlays(t, open) })
	t.Run("ServerKey", func(t *testing.T) { testServerKey(t, open) })
	t.Run("Stats", func(t *testing.T) { testStats(t, open) })
	t.Run("StatsRollups", func(t *testing.T) { testStatsRollups(t, open) })
	t.Run("StatsRollupsConcurrent", func(t *testing.T) { testStatsRollupsConcurrent(t, open) })
	t.Run("SessionFilters", func(t *testing.T) { testSessionFilters(t, open) })
	t.Run("Reviews", func(t *testing.T) { testReviews(t, open) })
	t.Run("DecisionCounts", func(t *testing.T) { testDecisionCounts(t, open) })
	t.Run("Fleet", func(t *testing.T) { testFleet(t, open) })
}

type opener func(t *testing.T) (store.Store, *Clock)

// Event returns an OTLP event of kind in session at T0 plus offset, with
// the event.sequence attribute Claude Code sends.
func Event(id, session string, offset time.Duration, kind string, seq int) record.Event {
	return record.Event{
		ID: id, Source: record.SourceOTLP, Kind: kind, Time: T0.Add(offset), SessionID: session,
		UserID:   "u-" + session,
		Attrs:    map[string]any{"event.sequence": float64(seq), "terminal.type": "tmux"},
		Resource: map[string]any{"service.name": "claude-code", "service.version": "2.1.330"},
	}
}

// HookEvent returns a hook audit event in session at T0 plus offset with the
// given decision.
func HookEvent(id, session string, offset time.Duration, decision string) record.Event {
	at := T0.Add(offset)
	return record.Event{
		ID: id, Source: record.SourceHook, Kind: "PreToolUse", Time: at, SessionID: session,
		UserID: "u-" + session, Tool: "Bash", Decision: decision,
		Audit: &record.AuditEventV1{
			Schema: record.SchemaAuditV1, EventID: id, Time: at, HookEvent: "PreToolUse",
			SessionID: session, User: "dev", Host: "devbox", Repository: "https://github.com/org/app.git",
			Branch: "main", Tool: "Bash", Command: "curl https://example.com", Decision: decision,
			RuleID: "egress", DurationUS: 42,
		},
	}
}

// Metric returns a metric point in session at T0 plus offset, covering the
// second before it.
func Metric(id, session, name string, attrs map[string]string, v float64, offset time.Duration) record.MetricPoint {
	at := T0.Add(offset)
	return record.MetricPoint{
		ID: id, Name: name, SessionID: session, UserID: "u-" + session, Attrs: attrs,
		Value: v, Start: at.Add(-time.Second), Time: at,
	}
}

func ctx() context.Context { return context.Background() }

func mustAppend(tb testing.TB, s store.Store, events ...record.Event) int {
	tb.Helper()
	n, err := s.AppendEvents(ctx(), events)
	if err != nil {
		tb.Fatalf("AppendEvents: %v", err)
	}
	return n
}

func mustAppendMetrics(tb testing.TB, s store.Store, points ...record.MetricPoint) int {
	tb.Helper()
	n, err := s.AppendMetrics(ctx(), points)
	if err != nil {
		tb.Fatalf("AppendMetrics: %v", err)
	}
	return n
}

func mustSessionEvents(tb testing.TB, s store.Store, id string) []record.Event {
	tb.Helper()
	events, err := s.SessionEvents(ctx(), id)
	if err != nil {
		tb.Fatalf("SessionEvents(%q): %v", id, err)
	}
	return events
}

func mustSession(tb testing.TB, s store.Store, id string) *record.SessionSummary {
	tb.Helper()
	sum, err := s.Session(ctx(), id)
	if err != nil {
		tb.Fatalf("Session(%q): %v", id, err)
	}
	return sum
}

// wantCode fails unless err carries code.
func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := store.ErrorCode(err); got != code {
		tb.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	sentinel := map[string]error{store.ENotFound: store.ErrNotFound, store.EConflict: store.ErrConflict, store.EInvalid: store.ErrInvalid}[code]
	if sentinel != nil && !errors.Is(err, sentinel) {
		tb.Fatalf("error %v: errors.Is(err, %v) is false", err, sentinel)
	}
}

// canon is the JSON form two events must share to be equal once stored:
// what a store returns is the event as encoding/json decodes it, in UTC.
func canon(tb testing.TB, e record.Event) string {
	tb.Helper()
	e.Time = e.Time.UTC()
	b, err := json.Marshal(e)
	if err != nil {
		tb.Fatal(err)
	}
	var back record.Event
	if err := json.Unmarshal(b, &back); err != nil {
		tb.Fatal(err)
	}
	b, err = json.Marshal(back)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func ids(events []record.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func sessionIDs(sessions []record.SessionSummary) []string {
	out := make([]string, len(sessions))
	for i, s := range sessions {
		out[i] = s.SessionID
	}
	return out
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func idN(prefix string, i int) string { return fmt.Sprintf("%s-%05d", prefix, i) }
