package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// testDecisionCounts checks the decision counts and samples that baseline
// detection rules read.
func testDecisionCounts(t *testing.T, open opener) {
	ctx := context.Background()
	s, _ := open(t)
	f := store.DecisionFilter{Since: T0, Until: T0.Add(72 * time.Hour), Decisions: []string{"deny", "ask"}, By: store.ByRule, Bucket: 24 * time.Hour}

	empty, err := s.DecisionCounts(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if !empty.Oldest.IsZero() || len(empty.Counts) != 0 {
		t.Fatalf("empty store: got %+v, want nothing", empty)
	}

	repos := map[string]string{"b1": "git@example.com:acme/app.git", "b2": "git@example.com:acme/lib.git", "b3": "git@example.com:acme/app.git"}
	hook := func(id, session string, off time.Duration, decision, rule string) record.Event {
		e := HookEvent(id, session, off, decision)
		e.Audit.RuleID, e.Audit.Repository = rule, repos[session]
		return e
	}
	team := func(id, session, name string) record.Event {
		e := Event(id, session, 0, "user_prompt", 1)
		e.Resource["team"] = name
		return e
	}
	mustAppend(t, s,
		hook("d-0", "b1", -time.Hour, "deny", "egress"),                // before Since: only Oldest
		hook("d-1", "b1", time.Minute, "deny", "egress"),               // day 0
		hook("d-2", "b1", 2*time.Minute, "ask", "egress"),              // day 0
		hook("d-3", "b1", 3*time.Minute, "allow", "egress"),            // not counted: allow
		hook("d-4", "b2", 25*time.Hour, "deny", "egress"),              // day 1
		hook("d-5", "b2", 25*time.Hour+time.Second, "deny", "secrets"), // day 1
		hook("d-6", "b2", 49*time.Hour, "deny", ""),                    // not counted: no rule
		hook("d-7", "b3", 71*time.Hour, "deny", "secrets"),             // day 2
		hook("d-8", "b3", 73*time.Hour, "deny", "secrets"),             // after Until
		Event("o-1", "b3", 71*time.Hour, "tool_decision", 1),           // telemetry: never counted
		team("t-1", "b1", "red"), team("t-2", "b2", "red"), team("t-3", "b3", "blue"),
	)
	// Stored twice: counted once.
	mustAppend(t, s, hook("d-1", "b1", time.Minute, "deny", "egress"))

	got, err := s.DecisionCounts(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Oldest.Equal(T0.Add(-time.Hour)) {
		t.Errorf("Oldest = %v, want %v", got.Oldest, T0.Add(-time.Hour))
	}
	want := []store.DecisionCount{{Key: "egress", Bucket: 0, Count: 2}, {Key: "egress", Bucket: 1, Count: 1}, {Key: "secrets", Bucket: 1, Count: 1}, {Key: "secrets", Bucket: 2, Count: 1}}
	if !slices.Equal(got.Counts, want) {
		t.Errorf("Counts = %+v, want %+v", got.Counts, want)
	}

	allow := f
	allow.Decisions = []string{"allow"}
	got, err = s.DecisionCounts(ctx, allow)
	if err != nil {
		t.Fatal(err)
	}
	if want := []store.DecisionCount{{Key: "egress", Bucket: 0, Count: 1}}; !slices.Equal(got.Counts, want) {
		t.Errorf("allow counts = %+v, want %+v", got.Counts, want)
	}

	byRepo := f
	byRepo.By = store.ByRepository
	got, err = s.DecisionCounts(ctx, byRepo)
	if err != nil {
		t.Fatal(err)
	}
	if want := []store.DecisionCount{{Key: "git@example.com:acme/app.git", Bucket: 0, Count: 2}, {Key: "git@example.com:acme/app.git", Bucket: 2, Count: 1},
		{Key: "git@example.com:acme/lib.git", Bucket: 1, Count: 2}, {Key: "git@example.com:acme/lib.git", Bucket: 2, Count: 1}}; !slices.Equal(got.Counts, want) {
		t.Errorf("counts by repository = %+v, want %+v", got.Counts, want)
	}
	byTeam := f
	byTeam.By = store.ByTeam
	got, err = s.DecisionCounts(ctx, byTeam)
	if err != nil {
		t.Fatal(err)
	}
	if want := []store.DecisionCount{{Key: "blue", Bucket: 2, Count: 1}, {Key: "red", Bucket: 0, Count: 2},
		{Key: "red", Bucket: 1, Count: 2}, {Key: "red", Bucket: 2, Count: 1}}; !slices.Equal(got.Counts, want) {
		t.Errorf("counts by team = %+v, want %+v", got.Counts, want)
	}
	teamSample := byTeam
	teamSample.Key, teamSample.Limit = "blue", 10
	if sample, err := s.DecisionSample(ctx, teamSample); err != nil || len(sample) != 1 || sample[0].ID != "d-7" {
		t.Errorf("team blue sample = %+v, %v; want d-7", sample, err)
	}

	sf := f
	sf.Key, sf.Limit = "egress", 2
	sample, err := s.DecisionSample(ctx, sf)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range sample {
		ids = append(ids, e.ID)
	}
	if want := []string{"d-4", "d-2"}; !slices.Equal(ids, want) {
		t.Errorf("sample ids = %v, want %v (most recent counted first, limit 2)", ids, want)
	}
	if len(sample) > 0 && (sample[0].Audit == nil || sample[0].Audit.RuleID != "egress") {
		t.Errorf("sample event not decoded whole: %+v", sample[0])
	}

	for _, bad := range []store.DecisionFilter{
		{Since: T0, Until: T0.Add(-time.Hour), Decisions: []string{"deny"}, By: store.ByRule, Bucket: time.Hour},
		{Since: T0, Until: T0.Add(time.Hour), By: store.ByRule, Bucket: time.Hour},
		{Since: T0, Until: T0.Add(time.Hour), Decisions: []string{"deny"}, By: store.ByRule},
		{Since: T0, Until: T0.Add(time.Hour), Decisions: []string{"deny"}, By: "rule_id; DROP TABLE events", Bucket: time.Hour},
	} {
		if _, err := s.DecisionCounts(ctx, bad); store.ErrorCode(err) != store.EInvalid {
			t.Errorf("DecisionCounts(%+v) = %v, want code invalid", bad, err)
		}
	}
	for _, bad := range []store.DecisionFilter{
		{Since: T0, Until: T0.Add(time.Hour), Decisions: []string{"deny"}, Limit: 1},
		{Since: T0, Until: T0.Add(time.Hour), Decisions: []string{"deny"}, Key: "x", Limit: store.MaxDecisionSample + 1},
	} {
		if _, err := s.DecisionSample(ctx, bad); store.ErrorCode(err) != store.EInvalid {
			t.Errorf("DecisionSample(%+v) = %v, want code invalid", bad, err)
		}
	}
}
