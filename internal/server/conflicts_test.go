package server

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// setCounter counts the conflict counts written to the store.
type setCounter struct {
	store.Store
	sets atomic.Int32
}

func (s *setCounter) SetSessionConflicts(ctx context.Context, id string, n int) error {
	s.sets.Add(1)
	return s.Store.SetSessionConflicts(ctx, id, n)
}

// TestConflictCounter: a session's count follows its run record's
// conflicts, and is written only when it changes.
func TestConflictCounter(t *testing.T) {
	st := &setCounter{Store: sqliteBackend().open(t)}
	ts := startServer(t, withStore(st))
	c := ts.s.conflicts
	ctx := context.Background()
	audit := func(id, decision string) record.Event {
		a := newAudit(id, "cc", t0)
		a.ToolUseID, a.Decision = "toolu_1", decision
		return auditToEvent(a)
	}
	add := func(events ...record.Event) {
		t.Helper()
		if _, err := ts.store.AppendEvents(ctx, events); err != nil {
			t.Fatal(err)
		}
		c.mark(events)
		c.count(ctx)
	}
	want := func(conflicts int64, sets int32) {
		t.Helper()
		sum, err := ts.store.Session(ctx, "cc")
		if err != nil {
			t.Fatal(err)
		}
		if sum.Counts.Conflicts != conflicts || st.sets.Load() != sets {
			t.Errorf("conflicts %d after %d writes, want %d after %d", sum.Counts.Conflicts, st.sets.Load(), conflicts, sets)
		}
	}
	add(audit("cc-1", record.DecisionDeny))
	want(0, 1) // first seen: stored once
	add(audit("cc-2", record.DecisionAllow))
	want(1, 2) // contradicts the deny
	c.mark([]record.Event{audit("cc-2", record.DecisionAllow)})
	c.count(ctx)
	want(1, 2) // unchanged: no write
	add(audit("cc-3", record.DecisionAsk))
	want(2, 3)
	// A session without a hook event has nothing to count.
	add(record.Event{ID: "o-1", Source: record.SourceOTLP, Kind: "user_prompt", Time: t0, SessionID: "telemetry-only"})
	want(2, 3)
}
