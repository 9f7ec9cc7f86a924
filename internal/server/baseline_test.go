package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/detect"
	"github.com/wardenhq/warden/internal/record"
)

// TestDetect_RuleAboveBaseline runs the built-in rollout.rule-above-baseline
// in the server: a policy rule that denied two calls a day for a week and
// twenty today raises one alert grouped by that rule, linking today's
// decisions; evaluating again records nothing new; a server without a
// week of history raises nothing.
func TestDetect_RuleAboveBaseline(t *testing.T) {
	const rule = "rollout.rule-above-baseline"
	post := func(ts *testServer, prefix string, n int, session string) {
		t.Helper()
		var body bytes.Buffer
		for i := range n {
			ev := newAudit(fmt.Sprintf("%s-%d", prefix, i), session, ts.clock.Now())
			ev.Decision, ev.RuleID, ev.Command = record.DecisionDeny, "commands.egress", "curl https://x.example/"+prefix
			body.Write(auditLine(t, ev))
			ts.clock.Add(time.Second)
		}
		if r := ts.do("POST", "/v1/audit", ts.tokens[record.ScopeIngest], body.Bytes(), "Content-Type", ContentTypeNDJSON); r.status != http.StatusOK {
			t.Fatalf("post audit: %d %s", r.status, r.body)
		}
		ts.syncDecisions()
	}
	alerts := func(ts *testServer) []record.Alert {
		t.Helper()
		var list AlertList
		ts.do("GET", "/api/v1/alerts?rule="+rule, ts.tokens[record.ScopeRead], nil).json(t, &list)
		return list.Alerts
	}

	t.Run("fires once per window", func(t *testing.T) {
		ts := startServer(t, withRules(detect.Builtin), withManualDetect())
		ctx := context.Background()
		// t0 is 09:00 UTC: a day's posts stay within its UTC day.
		post(ts, "day0", 2, "w0")
		for day := 1; day <= 7; day++ {
			ts.clock.Add(24*time.Hour - 2*time.Second)
			post(ts, fmt.Sprintf("day%d", day), 2, fmt.Sprintf("w%d", day))
		}
		ts.clock.Add(24 * time.Hour)
		post(ts, "today", 19, "today")
		ts.s.detector.evaluateBaselines(ctx)
		if got := alerts(ts); len(got) != 0 {
			t.Fatalf("19 denials today, under min_count 20: %+v", got)
		}
		post(ts, "more", 1, "today")
		ts.s.detector.evaluateBaselines(ctx)
		got := alerts(ts)
		if len(got) != 1 {
			t.Fatalf("20 denials against a mean of 2 a day: got %d alerts, want 1: %+v", len(got), got)
		}
		a, err := ts.store.Alert(ctx, got[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.GroupBy != "rule" || a.Group != "commands.egress" || len(a.EventIDs) != detect.BaselineSample || a.Count != 1 {
			t.Errorf("alert = group %s=%s, %d events, count %d; want rule=commands.egress, %d events, count 1",
				a.GroupBy, a.Group, len(a.EventIDs), a.Count, detect.BaselineSample)
		}
		if !strings.Contains(a.Title, "rule commands.egress had 20 decisions") || !strings.Contains(a.Title, "mean of 2.0 per 24h over the 7d before") {
			t.Errorf("title does not give the figures: %q", a.Title)
		}
		for _, id := range a.EventIDs {
			if !strings.HasPrefix(id, "today-") && !strings.HasPrefix(id, "more-") {
				t.Errorf("alert links %s, not one of today's decisions", id)
			}
		}
		post(ts, "later", 5, "today")
		ts.s.detector.evaluateBaselines(ctx)
		a, err = ts.store.Alert(ctx, got[0].ID)
		if err != nil || a.Count != 1 {
			t.Errorf("the same window again: count %d, %v; want 1", a.Count, err)
		}
	})

	t.Run("no history", func(t *testing.T) {
		ts := startServer(t, withRules(detect.Builtin), withManualDetect())
		post(ts, "burst", 50, "s")
		ts.s.detector.evaluateBaselines(context.Background())
		if got := alerts(ts); len(got) != 0 {
			t.Fatalf("a store with no week of history: %+v", got)
		}
	})
}
