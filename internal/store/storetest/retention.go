package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

func testDeleteBefore(t *testing.T, open opener) {
	s, _ := open(t)
	// old: entirely before the cut. spanning: starts before, ends after.
	// recent: after. Plus events and points without a session.
	mustAppend(t, s,
		Event("old-1", "old", 0, "user_prompt", 1),
		Event("old-2", "old", time.Hour, "api_request", 2),
		Event("span-1", "spanning", time.Hour, "user_prompt", 1),
		Event("span-2", "spanning", 3*time.Hour, "api_request", 2),
		Event("new-1", "recent", 3*time.Hour, "user_prompt", 1),
		Event("loose-old", "", time.Hour, "plugin_loaded", 0),
		Event("loose-new", "", 3*time.Hour, "plugin_loaded", 0),
	)
	mustAppendMetrics(t, s,
		Metric("m-old", "old", record.MetricCostUsage, nil, 1, time.Hour),
		Metric("m-span", "spanning", record.MetricCostUsage, nil, 2, time.Hour),
		Metric("m-loose-old", "", record.MetricCostUsage, nil, 4, time.Hour),
		Metric("m-loose-new", "", record.MetricCostUsage, nil, 8, 3*time.Hour),
	)
	if _, err := s.QuarantineSession(ctx(), "old", "r", "admin"); err != nil {
		t.Fatal(err)
	}

	n, err := s.DeleteBefore(ctx(), T0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// old-1, old-2, loose-old; m-old, m-loose-old.
	if n != 5 {
		t.Errorf("deleted %d, want 5", n)
	}
	_, err = s.Session(ctx(), "old")
	wantCode(t, err, store.ENotFound)
	_, err = s.SessionEvents(ctx(), "old")
	wantCode(t, err, store.ENotFound)
	if got := ids(mustSessionEvents(t, s, "spanning")); !equal(got, []string{"span-1", "span-2"}) {
		t.Errorf("spanning session events %v: a session goes whole or not at all", got)
	}
	if sum := mustSession(t, s, "spanning"); sum.Rollup.CostUSD != 2 || sum.Counts.Events != 2 {
		t.Errorf("spanning summary %+v", sum)
	}
	rollups, err := s.UserRollups(ctx(), store.RollupFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// m-loose-new has no user; m-span belongs to u-spanning.
	want := []record.UserRollup{{UserID: "u-", Rollup: record.Rollup{CostUSD: 8}}, {UserID: "u-spanning", Rollup: record.Rollup{CostUSD: 2}}}
	if !equal(rollups, want) {
		t.Errorf("rollups %+v, want %+v", rollups, want)
	}
	if _, err := s.Quarantine(ctx(), "old"); err != nil {
		t.Errorf("quarantine is control state and stays: %v", err)
	}
	if n, err := s.DeleteBefore(ctx(), T0.Add(2*time.Hour)); err != nil || n != 0 {
		t.Errorf("again: %d, %v; want 0", n, err)
	}
	if n, err := s.DeleteBefore(ctx(), time.Time{}); err != nil || n != 0 {
		t.Errorf("zero time: %d, %v; want 0", n, err)
	}
	// A deleted event's ID may arrive again (a late replay) and is stored.
	if n := mustAppend(t, s, Event("old-1", "old", 0, "user_prompt", 1)); n != 1 {
		t.Errorf("replay after retention inserted %d, want 1", n)
	}
}

// testConcurrent appends overlapping batches from several goroutines, as
// hooks re-shipping spools and replicas re-sending do: every event must be
// stored exactly once and every session's count must match.
func testConcurrent(t *testing.T, open opener) {
	s, _ := open(t)
	const (
		workers  = 8
		sessions = 5
		unique   = 2000
		batch    = 100
	)
	all := make([]record.Event, unique)
	for i := range all {
		all[i] = Event(idN("e", i), idN("s", i%sessions), time.Duration(i)*time.Millisecond, "tool_decision", i)
	}
	points := make([]record.MetricPoint, unique/10)
	for i := range points {
		points[i] = Metric(idN("m", i), idN("s", i%sessions), record.MetricTokenUsage, map[string]string{"type": "input"}, 1, time.Duration(i)*time.Millisecond)
	}
	var (
		wg                  sync.WaitGroup
		mu                  sync.Mutex
		inserted, insertedM int
		errs                []error
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker covers every event, starting at its own offset
			// and in steps that overlap the previous batch by half.
			for off := 0; off < unique; off += batch / 2 {
				start := (off + w*unique/workers) % unique
				end := min(start+batch, unique)
				n, err := s.AppendEvents(ctx(), all[start:end])
				m, merr := s.AppendMetrics(ctx(), points[start/10:end/10])
				mu.Lock()
				inserted += n
				insertedM += m
				if err != nil || merr != nil {
					errs = append(errs, fmt.Errorf("worker %d batch %d: %v, %v", w, start, err, merr))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if inserted != unique || insertedM != len(points) {
		t.Errorf("inserted %d events and %d points, want %d and %d", inserted, insertedM, unique, len(points))
	}
	for i := range sessions {
		id := idN("s", i)
		events := mustSessionEvents(t, s, id)
		seen := map[string]bool{}
		for _, e := range events {
			if seen[e.ID] {
				t.Errorf("%s: event %s twice", id, e.ID)
			}
			seen[e.ID] = true
		}
		if len(events) != unique/sessions {
			t.Errorf("%s: %d events, want %d", id, len(events), unique/sessions)
		}
		sum := mustSession(t, s, id)
		if sum.Counts.Events != unique/sessions || sum.Counts.ToolDecisions != unique/sessions {
			t.Errorf("%s: counts %+v, want %d events", id, sum.Counts, unique/sessions)
		}
		if sum.Rollup.Tokens.Input != float64(len(points)/sessions) {
			t.Errorf("%s: %v input tokens, want %d", id, sum.Rollup.Tokens.Input, len(points)/sessions)
		}
	}
}
