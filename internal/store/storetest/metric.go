package storetest

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

func testAppendMetrics(t *testing.T, open opener) {
	t.Run("DuplicatesSkipped", func(t *testing.T) {
		s, _ := open(t)
		a := Metric("m1", "s1", record.MetricCostUsage, map[string]string{"model": "claude"}, 0.5, time.Second)
		b := Metric("m2", "s1", record.MetricCostUsage, map[string]string{"model": "claude"}, 0.25, 2*time.Second)
		if n := mustAppendMetrics(t, s, a, a); n != 1 {
			t.Errorf("inserted %d, want 1", n)
		}
		if n := mustAppendMetrics(t, s, a, b); n != 1 {
			t.Errorf("replay inserted %d, want 1", n)
		}
		if got := mustSession(t, s, "s1").Rollup.CostUSD; got != 0.75 {
			t.Errorf("cost %v, want 0.75 (each point once)", got)
		}
	})
	t.Run("SessionFromMetrics", func(t *testing.T) {
		s, _ := open(t)
		p := Metric("m1", "s1", record.MetricActiveTime, map[string]string{"type": "cli"}, 3, time.Minute)
		p.Start = time.Time{} // a point without a start is kept
		mustAppendMetrics(t, s, p)
		got := mustSession(t, s, "s1")
		if got.UserID != "u-s1" || !got.FirstTime.Equal(T0.Add(time.Minute)) || got.Counts.Events != 0 || got.Rollup.ActiveSeconds != 3 {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("BoundValuesSumFinite", func(t *testing.T) {
		s, _ := open(t)
		var points []record.MetricPoint
		for i := range 5 {
			points = append(points, Metric(idN("m", i), "s1", record.MetricCostUsage, nil, store.MaxMetricValue, time.Duration(i)*time.Second))
		}
		points = append(points, Metric("neg", "s1", record.MetricActiveTime, nil, -store.MaxMetricValue, time.Second))
		mustAppendMetrics(t, s, points...)
		got := mustSession(t, s, "s1").Rollup
		if got.CostUSD != 5*store.MaxMetricValue || got.ActiveSeconds != -store.MaxMetricValue {
			t.Errorf("rollup %+v, want cost 5e15 and active seconds -1e15", got)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		good := Metric("good", "s1", record.MetricCostUsage, nil, 1, time.Second)
		mk := func(f func(*record.MetricPoint)) record.MetricPoint {
			p := Metric("bad", "s1", record.MetricCostUsage, nil, 1, time.Second)
			f(&p)
			return p
		}
		for name, bad := range map[string]record.MetricPoint{
			"EmptyID":  mk(func(p *record.MetricPoint) { p.ID = "" }),
			"NoName":   mk(func(p *record.MetricPoint) { p.Name = "" }),
			"NaN":      mk(func(p *record.MetricPoint) { p.Value = math.NaN() }),
			"Inf":      mk(func(p *record.MetricPoint) { p.Value = math.Inf(1) }),
			"Huge":     mk(func(p *record.MetricPoint) { p.Value = 1e308 }),
			"HugeNeg":  mk(func(p *record.MetricPoint) { p.Value = -math.Nextafter(store.MaxMetricValue, math.Inf(1)) }),
			"ZeroTime": mk(func(p *record.MetricPoint) { p.Time = time.Time{} }),
			"NUL":      mk(func(p *record.MetricPoint) { p.UserID = "u\x00" }),
			"HugeAttr": mk(func(p *record.MetricPoint) {
				p.Attrs = map[string]string{"x": strings.Repeat("y", store.MaxEventBytes)}
			}),
		} {
			t.Run(name, func(t *testing.T) {
				s, _ := open(t)
				n, err := s.AppendMetrics(ctx(), []record.MetricPoint{good, bad})
				wantCode(t, err, store.EInvalid)
				if n != 0 {
					t.Errorf("inserted %d", n)
				}
				_, err = s.Session(ctx(), "s1")
				wantCode(t, err, store.ENotFound)
				if store.ValidateMetric(&bad) == nil {
					t.Error("ValidateMetric accepted it")
				}
			})
		}
	})
}

// usage returns the metric points of a session that used every rollup
// component, at minute offsets from start.
func usage(prefix, session string, start time.Duration) []record.MetricPoint {
	at := func(i int) time.Duration { return start + time.Duration(i)*time.Minute }
	m := func(i int, name string, attrs map[string]string, v float64) record.MetricPoint {
		return Metric(idN(prefix, i), session, name, attrs, v, at(i))
	}
	tok := func(typ string) map[string]string { return map[string]string{"type": typ, "model": "claude-x"} }
	return []record.MetricPoint{
		m(0, record.MetricSessionCount, map[string]string{"start_type": "fresh"}, 1),
		m(1, record.MetricTokenUsage, tok("input"), 100),
		m(2, record.MetricTokenUsage, tok("input"), 50),
		m(3, record.MetricTokenUsage, tok("output"), 20),
		m(4, record.MetricTokenUsage, tok("cacheRead"), 1000),
		m(5, record.MetricTokenUsage, tok("cacheCreation"), 300),
		m(6, record.MetricCostUsage, map[string]string{"model": "claude-x"}, 0.125),
		m(7, record.MetricCostUsage, map[string]string{"model": "claude-x"}, 0.375),
		m(8, record.MetricActiveTime, map[string]string{"type": "cli"}, 12),
		m(9, record.MetricActiveTime, map[string]string{"type": "user"}, 30),
		m(10, record.MetricLinesOfCode, map[string]string{"type": "added"}, 40),
		m(11, record.MetricLinesOfCode, map[string]string{"type": "removed"}, 7),
		m(12, record.MetricCommitCount, nil, 1),
		m(13, record.MetricPullRequestCount, nil, 1),
		m(14, record.MetricCodeEditDecision, map[string]string{"decision": "accept", "tool_name": "Edit"}, 3),
		m(15, record.MetricCodeEditDecision, map[string]string{"decision": "reject", "tool_name": "Write"}, 1),
		m(16, "claude_code.something.new", map[string]string{"type": "input"}, 99), // stored, not rolled up
	}
}

// usageRollup is the rollup of one usage session.
var usageRollup = record.Rollup{
	Sessions: 1, CostUSD: 0.5,
	Tokens:        record.Tokens{Input: 150, Output: 20, CacheRead: 1000, CacheCreation: 300},
	ActiveSeconds: 42, LinesAdded: 40, LinesRemoved: 7, Commits: 1, PullRequests: 1,
	CodeEditsAccepted: 3, CodeEditsRejected: 1,
}

func scale(r record.Rollup, k float64) record.Rollup {
	return record.Rollup{
		Sessions: r.Sessions * k, CostUSD: r.CostUSD * k,
		Tokens:        record.Tokens{Input: r.Tokens.Input * k, Output: r.Tokens.Output * k, CacheRead: r.Tokens.CacheRead * k, CacheCreation: r.Tokens.CacheCreation * k},
		ActiveSeconds: r.ActiveSeconds * k, LinesAdded: r.LinesAdded * k, LinesRemoved: r.LinesRemoved * k,
		Commits: r.Commits * k, PullRequests: r.PullRequests * k,
		CodeEditsAccepted: r.CodeEditsAccepted * k, CodeEditsRejected: r.CodeEditsRejected * k,
	}
}

func testRollups(t *testing.T, open opener) {
	// u-s1 has two sessions (at 0 and 2h), u-s2 one (at 1h); each replays
	// its points once more, which must not count.
	setup := func(t *testing.T) store.Store {
		s, _ := open(t)
		a, b := usage("a", "s1", 0), usage("b", "s2", time.Hour)
		c := usage("c", "s1b", 2*time.Hour)
		for i := range c {
			c[i].UserID = "u-s1"
		}
		for _, batch := range [][]record.MetricPoint{a, b, c, a[:5], b[3:]} {
			mustAppendMetrics(t, s, batch...)
		}
		return s
	}
	t.Run("Session", func(t *testing.T) {
		s := setup(t)
		for _, id := range []string{"s1", "s2", "s1b"} {
			if got := mustSession(t, s, id).Rollup; got != usageRollup {
				t.Errorf("%s: got  %+v\nwant %+v", id, got, usageRollup)
			}
		}
		page, err := s.ListSessions(ctx(), store.SessionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, sum := range page.Sessions {
			if sum.Rollup != usageRollup {
				t.Errorf("listed %s: got %+v", sum.SessionID, sum.Rollup)
			}
		}
	})
	t.Run("Users", func(t *testing.T) {
		s := setup(t)
		for _, tc := range []struct {
			name string
			f    store.RollupFilter
			want []record.UserRollup
		}{
			{"All", store.RollupFilter{}, []record.UserRollup{{UserID: "u-s1", Rollup: scale(usageRollup, 2)}, {UserID: "u-s2", Rollup: usageRollup}}},
			{"User", store.RollupFilter{UserID: "u-s2"}, []record.UserRollup{{UserID: "u-s2", Rollup: usageRollup}}},
			{"Window", store.RollupFilter{Since: T0.Add(time.Hour), Until: T0.Add(2 * time.Hour)}, []record.UserRollup{{UserID: "u-s2", Rollup: usageRollup}}},
			// Points count by their end time: [0, 2m) holds points 0 and 1.
			{"Partial", store.RollupFilter{Until: T0.Add(2 * time.Minute)}, []record.UserRollup{{UserID: "u-s1", Rollup: record.Rollup{Sessions: 1, Tokens: record.Tokens{Input: 100}}}}},
			{"None", store.RollupFilter{Since: T0.Add(24 * time.Hour)}, []record.UserRollup{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.UserRollups(ctx(), tc.f)
				if err != nil {
					t.Fatal(err)
				}
				if got == nil || !equal(got, tc.want) {
					t.Errorf("got  %+v\nwant %+v", got, tc.want)
				}
			})
		}
	})
}

// SetValue overwrites the value of the stored metric point id behind the
// store's back, as a point stored before store.MaxMetricValue existed
// would have it.
type SetValue func(t *testing.T, s store.Store, id string, v float64)

// LegacyValues checks that points stored before the value bound (two
// claude_code.cost.usage points of 1e308, whose sum overflows a float64)
// leave every sum finite, so that the sessions holding them can still be
// listed and answered as JSON.
func LegacyValues(t *testing.T, newStore NewStore, set SetValue) {
	s := newStore(t, store.Options{})
	mustAppendMetrics(t, s,
		Metric("a", "s1", record.MetricCostUsage, nil, 1, time.Second),
		Metric("b", "s1", record.MetricCostUsage, nil, 1, 2*time.Second),
		Metric("c", "s1", record.MetricActiveTime, nil, 1, 3*time.Second))
	set(t, s, "a", 1e308)
	set(t, s, "b", 1e308)
	set(t, s, "c", -1e308)
	check := func(where string, r record.Rollup) {
		t.Helper()
		if math.IsInf(r.CostUSD, 0) || math.IsNaN(r.CostUSD) || r.CostUSD <= 0 ||
			math.IsInf(r.ActiveSeconds, 0) || r.ActiveSeconds >= 0 {
			t.Errorf("%s: rollup %+v, want a finite positive cost and finite negative active time", where, r)
		}
	}
	check("Session", mustSession(t, s, "s1").Rollup)
	page, err := s.ListSessions(ctx(), store.SessionFilter{})
	if err != nil || len(page.Sessions) != 1 {
		t.Fatalf("ListSessions: %+v, %v", page, err)
	}
	check("ListSessions", page.Sessions[0].Rollup)
	users, err := s.UserRollups(ctx(), store.RollupFilter{})
	if err != nil || len(users) != 1 {
		t.Fatalf("UserRollups: %+v, %v", users, err)
	}
	check("UserRollups", users[0].Rollup)
}
