package storetest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// rollupMix is a seeded mix of what the overview counts, and the oracle
// that computes store.Stats from it directly, without a store: what the
// store keeps (first of each ID, in append order; retention's purges) is
// modelled here, so that a store whose rollups drift from its raw rows
// fails the comparison.
type rollupMix struct {
	events []record.Event       // stored, in the order appended, unique by ID
	points []record.MetricPoint // likewise
	seen   map[string]bool      // IDs stored (events and points)
}

// Values are multiples of 1/64 well within 2^53, so that sums are exact
// in any order and the comparison can be exact; a store sums float64s in
// whatever order its rows come, which in general rounds differently.
var mixCosts = []float64{0.25, 0.125, 1.5, 0.015625, 2}

// rollupBatches returns the mix's batches: sessions over five days from
// T0 minus two days, a session of December 1969 (a day before the Unix
// epoch, so negative nanoseconds), session-less events and points, a
// session whose team arrives in a batch after its denials, repeated IDs
// within a batch and across batches, and a repeated ID whose content
// differs (the first stored stands).
func rollupBatches(r *rand.Rand) (events [][]record.Event, points [][]record.MetricPoint) {
	decisions := []string{"deny", "ask", "allow", "none", ""}
	rules := []string{"egress", "push", "secrets", "rm-rf", ""}
	tools := []string{"Bash", "Read", "Edit", "mcp__github__create_issue", "Write", ""}
	attempts := []any{nil, float64(1), float64(2), int64(3), "2", float64(1.5), true}
	models := []string{"opus", "haiku", "sonnet", ""}
	repos := []string{"app", "lib", ""}
	teams := []string{"red", "blue", ""}
	n := 0
	id := func(p string) string { n++; return fmt.Sprintf("%s-%04d", p, n) }
	session := func(sid string, start time.Time, span time.Duration, calls int, team, repo string, lateTeam bool) {
		var hooks, otlp []record.Event
		var pts []record.MetricPoint
		user := "u-" + sid
		if sid == "" {
			user = ""
		}
		at := func() time.Time { return start.Add(time.Duration(r.Int64N(int64(span)))) }
		for range calls {
			t := at()
			e := HookEvent(id("h"), sid, 0, decisions[r.IntN(len(decisions))])
			e.Time, e.Audit.Time = t, t
			e.UserID = user
			e.Tool = tools[r.IntN(len(tools))]
			e.Kind = []string{"PreToolUse", "PreToolUse", "PostToolUse"}[r.IntN(3)]
			e.Audit.RuleID, e.Audit.Repository = rules[r.IntN(len(rules))], repo
			hooks = append(hooks, e)
			for _, kind := range []string{"tool_decision", "api_request", "api_error", "user_prompt"} {
				if r.IntN(3) == 0 {
					continue
				}
				o := Event(id("o"), sid, 0, kind, r.IntN(100))
				o.Time, o.UserID = at(), user
				if kind == "tool_decision" {
					o.Tool = tools[r.IntN(len(tools))]
				}
				if a := attempts[r.IntN(len(attempts))]; a != nil {
					o.Attrs["attempt"] = a
				}
				if team != "" {
					o.Resource["team"] = team
				}
				otlp = append(otlp, o)
			}
			for _, name := range []string{record.MetricCostUsage, record.MetricTokenUsage, record.MetricActiveTime} {
				if r.IntN(2) == 0 {
					continue
				}
				var attrs map[string]string
				if m := models[r.IntN(len(models))]; m != "" {
					attrs = map[string]string{"model": m}
				}
				p := Metric(id("m"), sid, name, attrs, mixCosts[r.IntN(len(mixCosts))], 0)
				p.Time = at()
				p.Start, p.UserID = p.Time.Add(-time.Second), user
				if name == record.MetricTokenUsage {
					p.Value *= 1024
				}
				pts = append(pts, p)
			}
		}
		if lateTeam {
			// The denials first, the telemetry naming the team after.
			events = append(events, hooks, otlp)
		} else {
			events = append(events, append(hooks, otlp...))
		}
		points = append(points, pts)
	}
	day := T0.Truncate(store.Day)
	for i := range 12 {
		start := day.Add(time.Duration(i%5-2) * store.Day).Add(time.Duration(r.IntN(20)) * time.Hour)
		span := time.Duration(1+r.IntN(40)) * time.Hour
		session(fmt.Sprintf("mix-%02d", i), start, span, 4+r.IntN(8), teams[i%len(teams)], repos[i%len(repos)], i%4 == 1)
	}
	session("mix-1969", time.Date(1969, 12, 31, 1, 0, 0, 0, time.UTC), 20*time.Hour, 6, "red", "app", false)
	session("", day.Add(-2*store.Day), 4*store.Day, 10, "", "", false)

	// Replays: a whole batch again, part of another inside a third, one
	// event repeated within its own batch, and an ID reused for different
	// content (a denial that would count if the copy replaced the first).
	events = append(events, events[0])
	events = append(events, append(slices.Clone(events[3][:2]), events[5]...))
	events[6] = append(events[6], events[6][0])
	changed := events[0][1] // a hook event: a session's batches start with them
	audit := *changed.Audit
	audit.RuleID, audit.Repository, audit.Decision = "changed", "changed", "deny"
	changed.Decision, changed.Kind, changed.Tool, changed.Audit = "deny", "PreToolUse", "Bash", &audit
	events = append(events, []record.Event{changed})
	points = append(points, points[1], append(slices.Clone(points[4]), points[4]...))
	return events, points
}

func (m *rollupMix) append(tb testing.TB, s store.Store, events []record.Event) {
	tb.Helper()
	want := 0
	for _, e := range events {
		if !m.seen[e.ID] {
			m.seen[e.ID] = true
			m.events = append(m.events, e)
			want++
		}
	}
	if n := mustAppend(tb, s, events...); n != want {
		tb.Fatalf("AppendEvents stored %d, want %d", n, want)
	}
}

func (m *rollupMix) appendMetrics(tb testing.TB, s store.Store, points []record.MetricPoint) {
	tb.Helper()
	want := 0
	for _, p := range points {
		if !m.seen[p.ID] {
			m.seen[p.ID] = true
			m.points = append(m.points, p)
			want++
		}
	}
	if n := mustAppendMetrics(tb, s, points...); n != want {
		tb.Fatalf("AppendMetrics stored %d, want %d", n, want)
	}
}

// lastTimes is each session's last event or point time.
func (m *rollupMix) lastTimes() map[string]time.Time {
	last := map[string]time.Time{}
	see := func(sid string, t time.Time) {
		if sid != "" && t.After(last[sid]) {
			last[sid] = t
		}
	}
	for _, e := range m.events {
		see(e.SessionID, e.Time)
	}
	for _, p := range m.points {
		see(p.SessionID, p.Time)
	}
	return last
}

// deleteBefore is what DeleteBefore(cut) leaves: sessions whose last time
// is before it go whole, session-less rows before it go. It returns how
// many rows went, and the events that went.
func (m *rollupMix) deleteBefore(cut time.Time) (int, []record.Event) {
	last := m.lastTimes()
	gone := func(sid string, t time.Time) bool {
		if sid == "" {
			return t.Before(cut)
		}
		return last[sid].Before(cut)
	}
	n := len(m.events) + len(m.points)
	var events []record.Event
	m.events = slices.DeleteFunc(m.events, func(e record.Event) bool {
		if gone(e.SessionID, e.Time) {
			events = append(events, e)
			delete(m.seen, e.ID)
			return true
		}
		return false
	})
	m.points = slices.DeleteFunc(m.points, func(p record.MetricPoint) bool {
		if gone(p.SessionID, p.Time) {
			delete(m.seen, p.ID)
			return true
		}
		return false
	})
	return n - len(m.events) - len(m.points), events
}

// retry is whether an api_error's attempt is a number above 1, as it
// reads once stored as JSON.
func retry(e record.Event) bool {
	b, err := json.Marshal(e.Attrs["attempt"])
	if err != nil {
		return false
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return false
	}
	f, ok := v.(float64)
	return ok && f > 1
}

// stats is the oracle: store.Stats computed from the mix over [lo, hi)
// (whole UTC days) with top.
func (m *rollupMix) stats(lo, hi time.Time, top int) *store.Stats {
	st := store.NewStats(lo.UTC(), hi.UTC())
	idx := func(t time.Time) int {
		for i, d := range st.Days {
			if !t.Before(d.Day) && t.Before(d.Day.Add(store.Day)) {
				return i
			}
		}
		return -1
	}
	// Sessions: the first seen user, the first seen team and repository
	// (append order; within one batch the store goes by ID, and the mix
	// gives a session one team and one repository), first and last times.
	type sess struct {
		user, team, repo string
		first, last      time.Time
	}
	sessions := map[string]*sess{}
	get := func(sid string, t time.Time) *sess {
		s := sessions[sid]
		if s == nil {
			s = &sess{first: t, last: t}
			sessions[sid] = s
		}
		if t.Before(s.first) {
			s.first = t
		}
		if t.After(s.last) {
			s.last = t
		}
		return s
	}
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	for _, e := range m.events {
		if e.SessionID == "" {
			continue
		}
		s := get(e.SessionID, e.Time)
		fill(&s.user, e.UserID)
		if t, ok := e.Resource["team"].(string); ok {
			fill(&s.team, t)
		}
		if e.Audit != nil {
			fill(&s.repo, e.Audit.Repository)
		}
	}
	for _, p := range m.points {
		if p.SessionID != "" {
			fill(&get(p.SessionID, p.Time).user, p.UserID)
		}
	}
	users := make([]map[string]bool, len(st.Days))
	for i := range users {
		users[i] = map[string]bool{}
	}
	for _, s := range sessions {
		for i := range st.Days {
			d := &st.Days[i]
			if s.first.Before(d.Day.Add(store.Day)) && !s.last.Before(d.Day) {
				d.Sessions++
				if s.user != "" {
					users[i][s.user] = true
				}
			}
		}
	}
	for i := range users {
		st.Days[i].Users = int64(len(users[i]))
	}

	rules, tools, hookTools, teams, repos := map[string]int64{}, map[string]int64{}, map[string]int64{}, map[string]int64{}, map[string]int64{}
	ruleDays := map[string]map[int]int64{}
	for _, e := range m.events {
		i := idx(e.Time)
		if i < 0 {
			continue
		}
		d := &st.Days[i]
		if e.Source == record.SourceHook && e.Decision != "" {
			d.Decisions[e.Decision]++
			rule := ""
			if e.Audit != nil {
				rule = e.Audit.RuleID
			}
			if (e.Decision == "deny" || e.Decision == "ask") && rule != "" {
				rules[rule]++
				if ruleDays[rule] == nil {
					ruleDays[rule] = map[int]int64{}
				}
				ruleDays[rule][i]++
			}
			if e.Decision == "deny" && e.SessionID != "" {
				teams[sessions[e.SessionID].team]++
				repos[sessions[e.SessionID].repo]++
			}
		}
		switch {
		case e.Kind == "tool_decision" && e.Tool != "":
			tools[e.Tool]++
		case e.Kind == "PreToolUse" && e.Tool != "":
			hookTools[e.Tool]++
		case e.Kind == "api_request":
			d.APIRequests++
		case e.Kind == "api_error":
			d.APIErrors++
			if retry(e) {
				d.Retries++
			}
		}
	}
	rank := func(m map[string]int64) []store.Count {
		out := []store.Count{}
		for k, v := range m {
			out = append(out, store.Count{Name: k, N: v})
		}
		slices.SortFunc(out, func(a, b store.Count) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Name, b.Name)) })
		return out[:min(len(out), top)]
	}
	st.TopRules, st.Tools, st.HookTools = rank(rules), rank(tools), rank(hookTools)
	st.BlocksByTeam, st.BlocksByRepository = rank(teams), rank(repos)
	for i, d := range st.Days {
		for _, r := range st.TopRules {
			if n := ruleDays[r.Name][i]; n > 0 {
				st.DecisionsByRule = append(st.DecisionsByRule, store.RuleDay{Day: d.Day, Rule: r.Name, N: n})
			}
		}
	}
	slices.SortFunc(st.DecisionsByRule, func(a, b store.RuleDay) int {
		return cmp.Or(a.Day.Compare(b.Day), cmp.Compare(a.Rule, b.Rule))
	})
	models := map[string]*store.ModelStats{}
	for _, p := range m.points {
		i := idx(p.Time)
		if i < 0 || (p.Name != record.MetricCostUsage && p.Name != record.MetricTokenUsage) {
			continue
		}
		ms := models[p.Attrs["model"]]
		if ms == nil {
			ms = &store.ModelStats{Model: p.Attrs["model"]}
			models[p.Attrs["model"]] = ms
		}
		if p.Name == record.MetricCostUsage {
			st.Days[i].CostUSD += p.Value
			ms.CostUSD += p.Value
		} else {
			ms.Tokens += p.Value
		}
	}
	for _, ms := range models {
		st.Models = append(st.Models, *ms)
	}
	slices.SortFunc(st.Models, func(a, b store.ModelStats) int {
		return cmp.Or(cmp.Compare(b.CostUSD, a.CostUSD), cmp.Compare(b.Tokens, a.Tokens), cmp.Compare(a.Model, b.Model))
	})
	st.Models = st.Models[:min(len(st.Models), top)]
	return st
}

// rollupRanges are the Stats filters the comparison runs: the whole
// seeded period, single days, a range ending mid-period, the 1969 days,
// and a top of 2 (ties broken by name).
func rollupRanges() []store.StatsFilter {
	day := T0.Truncate(store.Day)
	return []store.StatsFilter{
		{Since: day.Add(-3 * store.Day), Until: day.Add(5 * store.Day)},
		{Since: day.Add(-3 * store.Day), Until: day.Add(5 * store.Day), Top: 2},
		{Since: day, Until: day.Add(store.Day)},
		{Since: day.Add(-store.Day), Until: day.Add(2 * store.Day)},
		{Since: day.Add(2 * store.Day), Until: day.Add(3 * store.Day), Top: 1},
		{Since: time.Date(1969, 12, 30, 0, 0, 0, 0, time.UTC), Until: time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)},
	}
}

// check compares Stats with the oracle over rollupRanges.
func (m *rollupMix) check(t *testing.T, s store.Store, when string) {
	t.Helper()
	for _, f := range rollupRanges() {
		got, err := s.Stats(ctx(), f)
		if err != nil {
			t.Fatalf("%s: Stats(%s, %s): %v", when, f.Since, f.Until, err)
		}
		top := f.Top
		if top == 0 {
			top = store.DefaultStatsTop
		}
		want := m.stats(f.Since, f.Until, top)
		if reflect.DeepEqual(got, want) {
			continue
		}
		gv, wv := reflect.ValueOf(*got), reflect.ValueOf(*want)
		for i := range gv.NumField() {
			if reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
				continue
			}
			g, _ := json.Marshal(gv.Field(i).Interface())
			w, _ := json.Marshal(wv.Field(i).Interface())
			t.Errorf("%s: Stats from %s to %s top %d: %s differs from the raw rows:\n got %s\nwant %s",
				when, f.Since.Format(time.DateOnly), f.Until.Format(time.DateOnly), f.Top, gv.Type().Field(i).Name, g, w)
		}
	}
}

// seedRollupMix appends the mix to s and returns it.
func seedRollupMix(t *testing.T, s store.Store) *rollupMix {
	t.Helper()
	m := &rollupMix{seen: map[string]bool{}}
	events, points := rollupBatches(rand.New(rand.NewPCG(14, 8)))
	for i := range max(len(events), len(points)) {
		if i < len(events) {
			m.append(t, s, events[i])
		}
		if i < len(points) {
			m.appendMetrics(t, s, points[i])
		}
	}
	return m
}

// testStatsRollups checks that the overview's figures, which stores keep
// as per-day rollups maintained at append, equal a direct computation
// over the raw events and points stored: after a seeded mix with replays,
// after retention purges part of it, and after appends that follow the
// purge (a purged ID arriving again is stored and counted again).
func testStatsRollups(t *testing.T, open opener) {
	s, _ := open(t)
	m := seedRollupMix(t, s)
	if len(m.events) < 100 {
		t.Fatalf("the mix stored only %d events", len(m.events))
	}
	m.check(t, s, "after the appends")

	// Mid-period cut: some sessions go, the spanning ones stay whole, so
	// the cut's day keeps part of its rows.
	cut := T0.Truncate(store.Day).Add(-store.Day + 7*time.Hour)
	n, err := s.DeleteBefore(ctx(), cut)
	if err != nil {
		t.Fatal(err)
	}
	want, purged := m.deleteBefore(cut)
	if n != want || n == 0 {
		t.Fatalf("DeleteBefore deleted %d, want %d (and some)", n, want)
	}
	m.check(t, s, "after DeleteBefore")

	// Late rows after the purge: a purged session's event replayed (one
	// that is not a denial, in a session that had denials: the session
	// comes back without them), and new rows on days the purge rebuilt.
	denied := map[string]bool{}
	for _, e := range purged {
		if e.Decision == "deny" && e.SessionID != "" {
			denied[e.SessionID] = true
		}
	}
	var replay *record.Event
	for _, e := range purged {
		if denied[e.SessionID] && e.Decision != "deny" {
			replay = &e
			break
		}
	}
	if replay == nil {
		t.Fatal("the mix purged no session with denials")
	}
	m.append(t, s, []record.Event{*replay})
	events, points := rollupBatches(rand.New(rand.NewPCG(14, 8)))
	m.append(t, s, events[0])
	late := HookEvent("late-deny", "late", -2*store.Day, "deny")
	late.Audit.RuleID = "late"
	m.append(t, s, []record.Event{late})
	m.appendMetrics(t, s, points[0])
	m.check(t, s, "after appends that follow the purge")

	// A second purge of everything.
	if _, err := s.DeleteBefore(ctx(), T0.Add(30*store.Day)); err != nil {
		t.Fatal(err)
	}
	if _, purged := m.deleteBefore(T0.Add(30 * store.Day)); len(purged) == 0 || len(m.events) != 0 {
		t.Fatalf("oracle kept %d events", len(m.events))
	}
	m.check(t, s, "after purging everything")
}

// testStatsRollupsConcurrent appends the mix from four goroutines at once
// (its replays then race their originals): the rollups must still equal
// the raw rows, each stored once.
func testStatsRollupsConcurrent(t *testing.T, open opener) {
	s, _ := open(t)
	events, points := rollupBatches(rand.New(rand.NewPCG(14, 8)))
	events = events[:len(events)-1] // the reused ID with other content: which copy wins would be a race
	m := &rollupMix{seen: map[string]bool{}}
	for _, b := range events {
		for _, e := range b {
			if !m.seen[e.ID] {
				m.seen[e.ID] = true
				m.events = append(m.events, e)
			}
		}
	}
	for _, b := range points {
		for _, p := range b {
			if !m.seen[p.ID] {
				m.seen[p.ID] = true
				m.points = append(m.points, p)
			}
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(events)+len(points))
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < max(len(events), len(points)); i += 4 {
				if i < len(events) {
					if _, err := s.AppendEvents(ctx(), events[i]); err != nil {
						errs <- err
					}
				}
				if i < len(points) {
					if _, err := s.AppendMetrics(ctx(), points[i]); err != nil {
						errs <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	m.check(t, s, "after concurrent appends")
}

// RollupBackfill checks that a migration fills the rollups from the rows
// a database held before it: it stores the mix, lets reset take the
// database back to before the rollups (dropping their tables and the
// migration's record), reopens it through open (the same database each
// call), and compares the overview with the raw rows.
func RollupBackfill(t *testing.T, open func(t *testing.T) store.Store, reset func(t *testing.T, s store.Store)) {
	s := open(t)
	m := seedRollupMix(t, s)
	m.check(t, s, "before the reset")
	reset(t, s)
	if _, err := s.Stats(ctx(), rollupRanges()[0]); err == nil {
		t.Fatal("Stats answered with the rollup tables dropped: reset did not reset")
	}
	s = open(t)
	m.check(t, s, "after the migration's backfill")
	// And the backfilled rollups go on counting.
	extra := HookEvent("after-backfill", "mix-00", 0, "deny")
	m.append(t, s, []record.Event{extra})
	m.check(t, s, "after an append on the backfilled rollups")
}
