package storetest

import (
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

func testSession(t *testing.T, open opener) {
	t.Run("Summary", func(t *testing.T) {
		s, _ := open(t)
		decision := func(id string, offset time.Duration, d string) record.Event {
			e := Event(id, "s1", offset, "tool_decision", int(offset/time.Second))
			e.Decision = d
			return e
		}
		otlp := Event("o1", "s1", 5*time.Second, "user_prompt", 1)
		otlp.UserID = "" // the first event with a user names the session's user
		failed := HookEvent("h4", "s1", 40*time.Second, record.DecisionDeny)
		failed.Audit.Failure = record.FailurePolicyLoad
		mustAppend(t, s, otlp,
			HookEvent("h1", "s1", 10*time.Second, record.DecisionDeny),
			HookEvent("h2", "s1", 20*time.Second, record.DecisionAsk),
			HookEvent("h3", "s1", 30*time.Second, record.DecisionAllow),
			decision("d1", 11*time.Second, "reject"),
			decision("d2", 21*time.Second, "accept"),
			Event("a1", "s1", 22*time.Second, "api_request", 22),
			Event("a2", "s1", 23*time.Second, "api_error", 23),
		)
		mustAppend(t, s, failed, Event("late", "s1", time.Second, "hook_registered", 0))
		mustAppendMetrics(t, s, Metric("m1", "s1", record.MetricCostUsage, nil, 0.25, 50*time.Second))

		got := mustSession(t, s, "s1")
		want := record.SessionSummary{
			SessionID: "s1", UserID: "u-s1", Host: "devbox", Repository: "https://github.com/org/app.git", Branch: "main",
			FirstTime: T0.Add(time.Second), LastTime: T0.Add(50 * time.Second),
			Counts: record.SessionCounts{
				Events: 10, HookEvents: 4, ToolDecisions: 2, Rejections: 1, Denials: 2, Asks: 1,
				Failures: 1, APIRequests: 1, APIErrors: 1,
			},
			Rollup: record.Rollup{CostUSD: 0.25},
		}
		if *got != want {
			t.Errorf("got  %+v\nwant %+v", *got, want)
		}
	})
	t.Run("LateSessionStart", func(t *testing.T) {
		// Evidence is append-only: a SessionStart that arrives after the
		// session's first event (a forged, backdated one) is stored, but
		// moves neither the session's start nor its user.
		s, _ := open(t)
		sessionStart := func(id string, offset time.Duration, user string) record.Event {
			e := HookEvent(id, "s1", offset, record.DecisionNone)
			e.Kind, e.Audit.HookEvent, e.UserID, e.Audit.User = "SessionStart", "SessionStart", user, user
			return e
		}
		// In one batch the first event (by ID, the arrival order) counts.
		mustAppend(t, s, sessionStart("a-start", 10*time.Second, "alice"), HookEvent("b-call", "s1", 11*time.Second, record.DecisionDeny),
			sessionStart("c-start", 5*time.Second, "mallory"))
		mustAppend(t, s, sessionStart("d-start", time.Second, "mallory"))
		mustAppend(t, s, sessionStart("e-start", 2*time.Second, "mallory"), Event("f-otlp", "s1", 9*time.Second, "api_request", 1))
		got := mustSession(t, s, "s1")
		if !got.FirstTime.Equal(T0.Add(9*time.Second)) || got.UserID != "alice" || got.Counts.Events != 6 {
			t.Errorf("summary %+v: want first time T0+9s (the telemetry event), user alice, 6 events", *got)
		}
		events := mustSessionEvents(t, s, "s1")
		if len(events) != 6 {
			t.Fatalf("%d events, want 6: late SessionStarts are kept", len(events))
		}
		arrival := map[string]int64{}
		for _, e := range events {
			if e.Arrival <= 0 {
				t.Errorf("event %s: arrival %d, want > 0", e.ID, e.Arrival)
			}
			arrival[e.ID] = e.Arrival
		}
		for _, pair := range [][2]string{{"a-start", "b-call"}, {"b-call", "c-start"}, {"c-start", "d-start"}, {"d-start", "e-start"}} {
			if arrival[pair[0]] >= arrival[pair[1]] {
				t.Errorf("arrival %v: %s should precede %s", arrival, pair[0], pair[1])
			}
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s, _ := open(t)
		mustAppend(t, s, Event("e1", "", 0, "plugin_loaded", 0)) // no session: no summary
		_, err := s.Session(ctx(), "s1")
		wantCode(t, err, store.ENotFound)
		page, err := s.ListSessions(ctx(), store.SessionFilter{})
		if err != nil || len(page.Sessions) != 0 {
			t.Errorf("ListSessions: %v, %v; want none", page.Sessions, err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s, _ := open(t)
		_, err := s.Session(ctx(), "")
		wantCode(t, err, store.EInvalid)
	})
}

func testListSessions(t *testing.T, open opener) {
	// Five sessions an hour apart, s0 first; s3 belongs to another user.
	setup := func(t *testing.T) store.Store {
		s, _ := open(t)
		for i := range 5 {
			id := idN("s", i)
			a := Event(idN("a", i), id, time.Duration(i)*time.Hour, "user_prompt", 1)
			b := Event(idN("b", i), id, time.Duration(i)*time.Hour+10*time.Minute, "api_request", 2)
			if i == 3 {
				a.UserID, b.UserID = "other", "other"
			}
			mustAppend(t, s, a, b)
		}
		return s
	}
	list := func(t *testing.T, s store.Store, f store.SessionFilter) store.SessionPage {
		t.Helper()
		page, err := s.ListSessions(ctx(), f)
		if err != nil {
			t.Fatalf("ListSessions(%+v): %v", f, err)
		}
		return page
	}
	t.Run("NewestFirst", func(t *testing.T) {
		s := setup(t)
		page := list(t, s, store.SessionFilter{})
		want := []string{"s-00004", "s-00003", "s-00002", "s-00001", "s-00000"}
		if got := sessionIDs(page.Sessions); !equal(got, want) || page.Next != "" {
			t.Errorf("got %v next %q, want %v and no next", got, page.Next, want)
		}
		if c := page.Sessions[0].Counts; c.Events != 2 || c.APIRequests != 1 {
			t.Errorf("counts %+v, want 2 events, 1 API request", c)
		}
	})
	t.Run("Filters", func(t *testing.T) {
		s := setup(t)
		for _, tc := range []struct {
			name string
			f    store.SessionFilter
			want []string
		}{
			// Active in the range: s1 ends at 1h10m, so Since 1h05m keeps it.
			{"Since", store.SessionFilter{Since: T0.Add(65 * time.Minute)}, []string{"s-00004", "s-00003", "s-00002", "s-00001"}},
			{"SinceAfterEnd", store.SessionFilter{Since: T0.Add(71 * time.Minute)}, []string{"s-00004", "s-00003", "s-00002"}},
			{"Until", store.SessionFilter{Until: T0.Add(2 * time.Hour)}, []string{"s-00001", "s-00000"}},
			{"Window", store.SessionFilter{Since: T0.Add(90 * time.Minute), Until: T0.Add(3*time.Hour + time.Nanosecond)}, []string{"s-00003", "s-00002"}},
			{"User", store.SessionFilter{UserID: "other"}, []string{"s-00003"}},
			{"UserAndTime", store.SessionFilter{UserID: "other", Until: T0.Add(time.Hour)}, []string{}},
			{"FarBounds", store.SessionFilter{Since: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), Until: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, []string{"s-00004", "s-00003", "s-00002", "s-00001", "s-00000"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := sessionIDs(list(t, s, tc.f).Sessions); !equal(got, tc.want) {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			})
		}
	})
	t.Run("Pages", func(t *testing.T) {
		s := setup(t)
		// A sixth session starting at the same time as s2 tests the
		// session ID tie-break across a page boundary.
		mustAppend(t, s, Event("tie", "s-00002b", 2*time.Hour, "user_prompt", 1))
		var got []string
		f := store.SessionFilter{Limit: 2}
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
			page := list(t, s, f)
			if len(page.Sessions) > 2 {
				t.Fatalf("page of %d, limit 2", len(page.Sessions))
			}
			got = append(got, sessionIDs(page.Sessions)...)
			if page.Next == "" {
				break
			}
			f.Cursor = page.Next
		}
		want := []string{"s-00004", "s-00003", "s-00002b", "s-00002", "s-00001", "s-00000"}
		if !equal(got, want) {
			t.Errorf("paged %v, want %v", got, want)
		}
	})
	t.Run("Quarantined", func(t *testing.T) {
		s := setup(t)
		if _, err := s.QuarantineSession(ctx(), "s-00001", "exfiltration", "admin"); err != nil {
			t.Fatal(err)
		}
		for _, sum := range list(t, s, store.SessionFilter{}).Sessions {
			if sum.Quarantined != (sum.SessionID == "s-00001") {
				t.Errorf("%s: quarantined %v", sum.SessionID, sum.Quarantined)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s := setup(t)
		for name, f := range map[string]store.SessionFilter{
			"Cursor":         {Cursor: "not a cursor"},
			"CursorNoID":     {Cursor: "MTIz"}, // "123"
			"NegativeLimit":  {Limit: -1},
			"CursorGarbage":  {Cursor: "!!!"},
			"CursorBadInt64": {Cursor: "eDp5"}, // "x:y"
		} {
			t.Run(name, func(t *testing.T) {
				_, err := s.ListSessions(ctx(), f)
				wantCode(t, err, store.EInvalid)
			})
		}
	})
	t.Run("LimitClamped", func(t *testing.T) {
		s := setup(t)
		if got := list(t, s, store.SessionFilter{Limit: store.MaxLimit + 1}); len(got.Sessions) != 5 {
			t.Errorf("got %d sessions, want 5", len(got.Sessions))
		}
	})
}
