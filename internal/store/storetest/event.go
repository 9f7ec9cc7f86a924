package storetest

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

func testAppendEvents(t *testing.T, open opener) {
	t.Run("RoundTrip", func(t *testing.T) {
		s, _ := open(t)
		n := 0
		prompt := 12
		in := []record.Event{
			Event("e1", "s1", time.Second, "tool_decision", 1),
			HookEvent("e2", "s1", 2*time.Second, record.DecisionDeny),
			{
				ID: "e3", Source: record.SourceOTLP, Kind: "raw", Time: T0.Add(3 * time.Second).In(time.FixedZone("CET", 3600)),
				SessionID: "s1", PromptID: "p1", Raw: json.RawMessage(`{"body":{"stringValue":"x"}}`),
				Attrs: map[string]any{"nested": map[string]any{"a": []any{1.5, "two", true, nil}}, "big": 1e15},
			},
		}
		in[1].Audit.PromptLength = &prompt
		n = mustAppend(t, s, in...)
		if n != 3 {
			t.Errorf("inserted %d, want 3", n)
		}
		got := mustSessionEvents(t, s, "s1")
		if len(got) != len(in) {
			t.Fatalf("got %d events, want %d", len(got), len(in))
		}
		for i := range in {
			if g, w := canon(t, got[i]), canon(t, in[i]); g != w {
				t.Errorf("event %d:\ngot  %s\nwant %s", i, g, w)
			}
			if loc := got[i].Time.Location(); loc != time.UTC {
				t.Errorf("event %d: time in %v, want UTC", i, loc)
			}
		}
	})
	t.Run("Empty", func(t *testing.T) {
		s, _ := open(t)
		if n := mustAppend(t, s); n != 0 {
			t.Errorf("inserted %d, want 0", n)
		}
	})
	t.Run("DuplicatesSkipped", func(t *testing.T) {
		s, _ := open(t)
		a, b, c := Event("a", "s1", 1, "api_request", 1), Event("b", "s1", 2, "api_request", 2), Event("c", "s1", 3, "api_request", 3)
		if n := mustAppend(t, s, a, b); n != 2 {
			t.Errorf("first batch inserted %d, want 2", n)
		}
		changed := b
		changed.Kind = "api_error" // a replay never overwrites
		if n := mustAppend(t, s, b, changed, c, c); n != 1 {
			t.Errorf("replayed batch inserted %d, want 1 (only c)", n)
		}
		if n := mustAppend(t, s, a, b, c); n != 0 {
			t.Errorf("full replay inserted %d, want 0", n)
		}
		got := mustSessionEvents(t, s, "s1")
		if want := []string{"a", "b", "c"}; !equal(ids(got), want) {
			t.Errorf("events %v, want %v", ids(got), want)
		}
		if got[1].Kind != "api_request" {
			t.Errorf("replay overwrote event b: kind %q", got[1].Kind)
		}
		sum := mustSession(t, s, "s1")
		if sum.Counts.Events != 3 || sum.Counts.APIRequests != 3 || sum.Counts.APIErrors != 0 {
			t.Errorf("counts %+v: duplicates counted", sum.Counts)
		}
	})
	t.Run("Unicode", func(t *testing.T) {
		s, _ := open(t)
		e := Event("ünï-😀", "séssion-日本", time.Second, "user_prompt", 1)
		e.Attrs["prompt"] = "héllo wörld 😀 \u2028 \t \"quoted\" \\ <b>"
		e.Attrs["\u00e9\u0301"] = "combining"
		e.Tool = "mcp__ñotes__read"
		mustAppend(t, s, e)
		got := mustSessionEvents(t, s, "séssion-日本")
		if len(got) != 1 || canon(t, got[0]) != canon(t, e) {
			t.Errorf("got %v, want %s", got, canon(t, e))
		}
	})
	t.Run("LargeAttrs", func(t *testing.T) {
		s, _ := open(t)
		e := Event("big", "s1", time.Second, "tool_result", 1)
		e.Attrs["tool_input"] = strings.Repeat("x", store.MaxEventBytes/2)
		mustAppend(t, s, e)
		if got := mustSessionEvents(t, s, "s1"); len(got) != 1 || got[0].Attrs["tool_input"] != e.Attrs["tool_input"] {
			t.Error("large attribute did not round-trip")
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		nul := Event("nul", "s\x00", 1, "x", 1)
		badUTF8 := Event("bad", "s\xff", 1, "x", 1)
		huge := Event("huge", "s1", 1, "x", 1)
		huge.Attrs["x"] = strings.Repeat("y", store.MaxEventBytes)
		nan := Event("nan", "s1", 1, "x", 1)
		nan.Attrs["x"] = math.NaN()
		zero := Event("zero", "s1", 1, "x", 1)
		zero.Time = time.Time{}
		far := Event("far", "s1", 1, "x", 1)
		far.Time = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
		longID := Event(strings.Repeat("i", store.MaxIDBytes+1), "s1", 1, "x", 1)
		noKind := Event("nokind", "s1", 1, "", 1)
		noSource := Event("nosource", "s1", 1, "x", 1)
		noSource.Source = ""
		for name, bad := range map[string]record.Event{
			"EmptyID": Event("", "s1", 1, "x", 1), "NUL": nul, "BadUTF8": badUTF8, "Huge": huge, "NaN": nan,
			"ZeroTime": zero, "FarTime": far, "LongID": longID, "NoKind": noKind, "NoSource": noSource,
		} {
			t.Run(name, func(t *testing.T) {
				s, _ := open(t)
				good := Event("good", "s1", 1, "x", 1)
				n, err := s.AppendEvents(ctx(), []record.Event{good, bad})
				wantCode(t, err, store.EInvalid)
				if n != 0 {
					t.Errorf("inserted %d, want 0", n)
				}
				// The batch is atomic: the valid event was not stored either.
				_, err = s.SessionEvents(ctx(), "s1")
				wantCode(t, err, store.ENotFound)
				if store.ValidateEvent(&bad) == nil {
					t.Error("ValidateEvent accepted it")
				}
			})
		}
	})
}

func testSessionEvents(t *testing.T, open opener) {
	t.Run("Order", func(t *testing.T) {
		s, _ := open(t)
		// Same time: sequence decides; same time and sequence: arrival.
		mustAppend(t, s,
			Event("z-late", "s1", 3*time.Second, "api_request", 1),
			Event("y-seq2", "s1", time.Second, "tool_decision", 2),
			Event("x-seq1", "s1", time.Second, "tool_decision", 1),
		)
		mustAppend(t, s, HookEvent("a-hook", "s1", time.Second, record.DecisionAllow))
		mustAppend(t, s, Event("b-early", "s1", 0, "user_prompt", 0))
		mustAppend(t, s, Event("other", "s2", 0, "user_prompt", 0))
		got := ids(mustSessionEvents(t, s, "s1"))
		want := []string{"b-early", "a-hook", "x-seq1", "y-seq2", "z-late"}
		if !equal(got, want) {
			t.Errorf("order %v, want %v", got, want)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s, _ := open(t)
		_, err := s.SessionEvents(ctx(), "nope")
		wantCode(t, err, store.ENotFound)
	})
	t.Run("MetricsOnly", func(t *testing.T) {
		s, _ := open(t)
		mustAppendMetrics(t, s, Metric("m1", "s1", record.MetricCostUsage, nil, 0.5, time.Second))
		got, err := s.SessionEvents(ctx(), "s1")
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("got %v, %v; want an empty slice", got, err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s, _ := open(t)
		_, err := s.SessionEvents(ctx(), "")
		wantCode(t, err, store.EInvalid)
	})
}
