package storetest

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// consoleData stores three sessions for the console's queries: s1 (team
// red, tier strict, repo app, two denials by rule egress and one ask by
// rule push, on day 0), s2 (team blue, repo lib, host other, one allow,
// on day 1, with an API error on its second attempt), s3 (no hook audit,
// days 0 to 2).
func consoleData(t *testing.T, s store.Store) {
	t.Helper()
	hook := func(id, session string, off time.Duration, decision, rule, tier, repo, host string) record.Event {
		e := HookEvent(id, session, off, decision)
		e.Audit.RuleID, e.Audit.Tier, e.Audit.Repository, e.Audit.Host = rule, tier, repo, host
		return e
	}
	otlp := func(id, session string, off time.Duration, kind, tool, team string, attrs map[string]any) record.Event {
		e := Event(id, session, off, kind, 1)
		e.Tool = tool
		if team != "" {
			e.Resource["team"] = team
		}
		for k, v := range attrs {
			e.Attrs[k] = v
		}
		return e
	}
	mustAppend(t, s,
		otlp("c-1", "s1", time.Minute, "tool_decision", "Bash", "red", nil),
		otlp("c-2", "s1", 2*time.Minute, "tool_decision", "Bash", "red", nil),
		otlp("c-3", "s1", 3*time.Minute, "tool_decision", "Read", "red", nil),
		hook("h-1", "s1", time.Minute, "deny", "egress", "strict", "app", "devbox"),
		hook("h-2", "s1", 2*time.Minute, "deny", "egress", "strict", "app", "devbox"),
		hook("h-3", "s1", 3*time.Minute, "ask", "push", "strict", "app", "devbox"),
		otlp("c-4", "s2", 25*time.Hour, "tool_decision", "mcp__github__create_issue", "blue", nil),
		otlp("c-5", "s2", 25*time.Hour, "api_request", "", "blue", nil),
		otlp("c-6", "s2", 25*time.Hour+time.Second, "api_error", "", "blue", map[string]any{"attempt": float64(2)}),
		otlp("c-7", "s2", 25*time.Hour+2*time.Second, "api_error", "", "blue", map[string]any{"attempt": float64(1)}),
		hook("h-4", "s2", 25*time.Hour, "allow", "", "", "lib", "other"),
		otlp("c-8", "s3", time.Hour, "user_prompt", "", "", nil),
		otlp("c-9", "s3", 49*time.Hour, "user_prompt", "", "", nil),
	)
	mustAppendMetrics(t, s,
		Metric("m-1", "s1", "claude_code.cost.usage", map[string]string{"model": "opus"}, 1.5, time.Minute),
		Metric("m-2", "s2", "claude_code.cost.usage", map[string]string{"model": "haiku"}, 0.25, 25*time.Hour),
		Metric("m-3", "s2", "claude_code.token.usage", map[string]string{"model": "haiku", "type": "input"}, 1000, 25*time.Hour),
	)
}

func testStats(t *testing.T, open opener) {
	s, _ := open(t)
	consoleData(t, s)
	day0 := T0.Truncate(store.Day)
	st, err := s.Stats(ctx(), store.StatsFilter{Since: day0, Until: day0.Add(72 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Days) != 3 || !st.Days[0].Day.Equal(T0.Truncate(store.Day)) {
		t.Fatalf("days %+v, want 3 from %s", st.Days, T0.Truncate(store.Day))
	}
	// T0 is 09:00: s1 and s3 are active on day 0, s2 and s3 on day 1, s3 on day 2.
	for i, want := range []int64{2, 2, 1} {
		if d := st.Days[i]; d.Sessions != want || d.Users != want {
			t.Errorf("day %d: %d sessions, %d users, want %d each", i, d.Sessions, d.Users, want)
		}
	}
	if d := st.Days[0].Decisions; d["deny"] != 2 || d["ask"] != 1 || d["allow"] != 0 {
		t.Errorf("day 0 decisions %v", d)
	}
	if d := st.Days[1].Decisions; d["allow"] != 1 || len(d) != 1 {
		t.Errorf("day 1 decisions %v", d)
	}
	if d := st.Days[1]; d.APIRequests != 1 || d.APIErrors != 2 || d.Retries != 1 || d.CostUSD != 0.25 {
		t.Errorf("day 1 api %+v", d)
	}
	if st.Days[0].CostUSD != 1.5 {
		t.Errorf("day 0 cost %v", st.Days[0].CostUSD)
	}
	wantCounts := func(name string, got []store.Count, want string) {
		t.Helper()
		var parts []string
		for _, c := range got {
			parts = append(parts, c.Name+"="+itoa(c.N))
		}
		if g := strings.Join(parts, " "); g != want {
			t.Errorf("%s: %q, want %q", name, g, want)
		}
	}
	wantCounts("top rules", st.TopRules, "egress=2 push=1")
	wantCounts("tools", st.Tools, "Bash=2 Read=1 mcp__github__create_issue=1")
	wantCounts("hook tools", st.HookTools, "Bash=4")
	wantCounts("blocks by team", st.BlocksByTeam, "red=2")
	wantCounts("blocks by repository", st.BlocksByRepository, "app=2")
	if len(st.DecisionsByRule) != 2 || st.DecisionsByRule[0].Rule != "egress" || st.DecisionsByRule[0].N != 2 {
		t.Errorf("decisions by rule %+v", st.DecisionsByRule)
	}
	if len(st.Models) != 2 || st.Models[0].Model != "opus" || st.Models[1].Tokens != 1000 {
		t.Errorf("models %+v", st.Models)
	}

	// Top bounds the lists; a range outside the data is empty, not an error.
	st, err = s.Stats(ctx(), store.StatsFilter{Since: T0, Until: T0.Add(72 * time.Hour), Top: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantCounts("top 1 rules", st.TopRules, "egress=2")
	wantCounts("top 1 tools", st.Tools, "Bash=2")
	st, err = s.Stats(ctx(), store.StatsFilter{Since: day0.Add(-30 * 24 * time.Hour), Until: day0.Add(-29 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Days) != 1 || st.Days[0].Sessions != 0 || len(st.TopRules) != 0 {
		t.Errorf("empty range: %+v", st)
	}
	for name, f := range map[string]store.StatsFilter{
		"NoRange":  {},
		"Reversed": {Since: T0, Until: T0.Add(-time.Hour)},
		"TooLong":  {Since: T0, Until: T0.Add(400 * 24 * time.Hour)},
	} {
		if _, err := s.Stats(ctx(), f); store.ErrorCode(err) != store.EInvalid {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func testSessionFilters(t *testing.T, open opener) {
	s, _ := open(t)
	consoleData(t, s)
	s1 := mustSession(t, s, "s1")
	if s1.Tier != "strict" || s1.Team != "red" || s1.Repository != "app" {
		t.Errorf("s1 summary: tier %q team %q repository %q", s1.Tier, s1.Team, s1.Repository)
	}
	if s1.Counts.Conflicts != 0 {
		t.Errorf("s1 has %d conflicts before any is recorded", s1.Counts.Conflicts)
	}
	// s2 has an alert (an ended one counts too) and s3 conflicts; s1's
	// conflicts were counted and then cleared by a later run record.
	a := mustRecord(t, s, Hit("chain.x", "s2", time.Minute, "c-4"))
	if _, err := s.SetAlertStatus(ctx(), a.Alert.ID, record.AlertResolved, "bob", "done"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id string
		n  int
	}{{"s3", 2}, {"s1", 1}, {"s1", 0}} {
		if err := s.SetSessionConflicts(ctx(), c.id, c.n); err != nil {
			t.Fatalf("SetSessionConflicts(%s, %d): %v", c.id, c.n, err)
		}
	}
	if got := mustSession(t, s, "s3").Counts.Conflicts; got != 2 {
		t.Errorf("s3 conflicts %d, want 2", got)
	}
	wantCode(t, s.SetSessionConflicts(ctx(), "never-seen", 1), store.ENotFound)
	wantCode(t, s.SetSessionConflicts(ctx(), "s1", -1), store.EInvalid)
	wantCode(t, s.SetSessionConflicts(ctx(), "", 1), store.EInvalid)
	for _, tc := range []struct {
		name string
		f    store.SessionFilter
		want string
	}{
		{"All", store.SessionFilter{}, "s2 s3 s1"},
		{"Repository", store.SessionFilter{Repository: "lib"}, "s2"},
		{"Host", store.SessionFilter{Host: "devbox"}, "s1"},
		{"Tier", store.SessionFilter{Tier: "strict"}, "s1"},
		{"Team", store.SessionFilter{Team: "blue"}, "s2"},
		{"HasDenials", store.SessionFilter{HasDenials: true}, "s1"},
		{"User", store.SessionFilter{UserID: "u-s3"}, "s3"},
		{"HasAlerts", store.SessionFilter{HasAlerts: true}, "s2"},
		{"HasConflicts", store.SessionFilter{HasConflicts: true}, "s3"},
		{"Combined", store.SessionFilter{Repository: "app", HasDenials: true, Tier: "other"}, ""},
		{"AlertsAndDenials", store.SessionFilter{HasAlerts: true, HasDenials: true}, ""},
		{"AlertsAndRepository", store.SessionFilter{HasAlerts: true, Repository: "lib"}, "s2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := s.ListSessions(ctx(), tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(sessionIDs(page.Sessions), " "); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	// Filters hold across pages.
	page, err := s.ListSessions(ctx(), store.SessionFilter{Limit: 1})
	if err != nil || len(page.Sessions) != 1 || page.Next == "" {
		t.Fatalf("page 1: %+v, %v", page, err)
	}
	page2, err := s.ListSessions(ctx(), store.SessionFilter{Limit: 1, Cursor: page.Next, HasDenials: true})
	if err != nil || strings.Join(sessionIDs(page2.Sessions), " ") != "s1" {
		t.Errorf("page 2 with denials: %+v, %v", page2, err)
	}
	page2, err = s.ListSessions(ctx(), store.SessionFilter{Limit: 1, Cursor: page.Next, HasConflicts: true})
	if err != nil || strings.Join(sessionIDs(page2.Sessions), " ") != "s3" {
		t.Errorf("page 2 with conflicts: %+v, %v", page2, err)
	}
}

func testReviews(t *testing.T, open opener) {
	s, clock := open(t)
	_, err := s.Review(ctx(), "s1")
	wantCode(t, err, store.ENotFound)
	r, err := s.SetReview(ctx(), record.Review{SessionID: "s1", Decision: record.ReviewIncident,
		Comment: "exfiltration <attempt>", Reviewer: "token:tok_1 (ana)"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Time.Equal(clock.Now()) || r.Reviewer != "token:tok_1 (ana)" {
		t.Errorf("stored %+v", r)
	}
	clock.Set(clock.Now().Add(time.Hour))
	if _, err := s.SetReview(ctx(), record.Review{SessionID: "s1", Decision: record.ReviewApproved, Reviewer: "token:tok_2"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Review(ctx(), "s1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Decision != record.ReviewApproved || got.Comment != "" || got.Reviewer != "token:tok_2" || !got.Time.Equal(clock.Now()) {
		t.Errorf("after replacing: %+v", got)
	}
	for name, bad := range map[string]record.Review{
		"Decision": {SessionID: "s1", Decision: "lgtm", Reviewer: "x"},
		"Reviewer": {SessionID: "s1", Decision: record.ReviewApproved},
		"Session":  {Decision: record.ReviewApproved, Reviewer: "x"},
		"Comment":  {SessionID: "s1", Decision: record.ReviewApproved, Reviewer: "x", Comment: strings.Repeat("x", record.MaxReviewCommentBytes+1)},
		"NUL":      {SessionID: "s1", Decision: record.ReviewApproved, Reviewer: "x", Comment: "a\x00b"},
	} {
		_, err := s.SetReview(ctx(), bad)
		if store.ErrorCode(err) != store.EInvalid {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if got, _ := s.Review(ctx(), "s1"); got.Decision != record.ReviewApproved {
		t.Errorf("a refused review changed the stored one: %+v", got)
	}
}
