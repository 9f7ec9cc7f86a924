package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// Hit returns an alert hit of rule for session s, on events, last seen at
// T0 plus at.
func Hit(rule, session string, at time.Duration, events ...string) record.AlertHit {
	return record.AlertHit{Rule: rule, Title: "title of " + rule, Severity: "high", GroupBy: "session", Group: session,
		SessionID: session, UserID: "alice", Device: "laptop", Repository: "git@example.com:acme/app.git",
		EventIDs: events, First: T0, Last: T0.Add(at), Fingerprint: fmt.Sprintf("%s/%v", rule, events)}
}

func mustRecord(t *testing.T, s store.Store, h record.AlertHit) store.AlertResult {
	t.Helper()
	r, err := s.RecordAlert(ctx(), h)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func testAlerts(t *testing.T, open opener) {
	t.Run("Grouping", func(t *testing.T) {
		s, clock := open(t)
		clock.Set(T0.Add(time.Hour))
		r := mustRecord(t, s, Hit("chain.x", "s1", time.Minute, "e1", "e2"))
		if !r.NewHit || !r.NewAlert {
			t.Fatalf("first hit: %+v", r)
		}
		a := r.Alert
		want := record.Alert{ID: a.ID, Rule: "chain.x", Title: "title of chain.x", Severity: "high", GroupBy: "session", Group: "s1",
			SessionID: "s1", UserID: "alice", Device: "laptop", Repository: "git@example.com:acme/app.git",
			EventIDs: []string{"e1", "e2"}, FirstSeen: T0, LastSeen: T0.Add(time.Minute), Count: 1, Status: record.AlertOpen,
			History: []record.AlertChange{{Status: record.AlertOpen, By: "rule:chain.x", Time: T0.Add(time.Hour)}}}
		if !alertEqual(*a, want) {
			t.Errorf("got %+v\nwant %+v", *a, want)
		}
		// The same firing again (a re-evaluation, another replica): nothing changes.
		r = mustRecord(t, s, Hit("chain.x", "s1", time.Minute, "e1", "e2"))
		if r.NewHit || r.NewAlert || r.Alert.Count != 1 || r.Alert.ID != a.ID {
			t.Errorf("repeated hit: %+v", r)
		}
		// Another firing for the same session groups into the alert.
		r = mustRecord(t, s, Hit("chain.x", "s1", 5*time.Minute, "e2", "e3"))
		if !r.NewHit || r.NewAlert || r.Alert.ID != a.ID || r.Alert.Count != 2 ||
			!slices.Equal(r.Alert.EventIDs, []string{"e1", "e2", "e3"}) || !r.Alert.LastSeen.Equal(T0.Add(5*time.Minute)) {
			t.Errorf("grouped hit: %+v", r.Alert)
		}
		// Another session or rule: another alert.
		if r := mustRecord(t, s, Hit("chain.x", "s2", time.Minute, "f1")); !r.NewAlert || r.Alert.ID == a.ID {
			t.Errorf("other session: %+v", r)
		}
		if r := mustRecord(t, s, Hit("chain.y", "s1", time.Minute, "e1")); !r.NewAlert {
			t.Errorf("other rule: %+v", r)
		}
	})
	t.Run("Lifecycle", func(t *testing.T) {
		s, clock := open(t)
		a := mustRecord(t, s, Hit("chain.x", "s1", 0, "e1")).Alert
		_, err := s.SetAlertStatus(ctx(), a.ID, record.AlertOpen, "bob", "")
		if err != nil {
			t.Errorf("open to open is a no-op, got %v", err)
		}
		clock.Set(T0.Add(2 * time.Hour))
		got, err := s.SetAlertStatus(ctx(), a.ID, record.AlertAcknowledged, "bob", "looking ✋")
		if err != nil || got.Status != record.AlertAcknowledged || len(got.History) != 2 ||
			got.History[1] != (record.AlertChange{Status: record.AlertAcknowledged, By: "bob", Time: T0.Add(2 * time.Hour), Comment: "looking ✋"}) {
			t.Fatalf("ack: %+v, %v", got, err)
		}
		// Acknowledged alerts still group repeats.
		if r := mustRecord(t, s, Hit("chain.x", "s1", time.Minute, "e2")); r.NewAlert || r.Alert.Count != 2 {
			t.Errorf("hit on an acknowledged alert: %+v", r)
		}
		_, err = s.SetAlertStatus(ctx(), a.ID, record.AlertResolved, "carol", "fixed the policy")
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.SetAlertStatus(ctx(), a.ID, record.AlertAcknowledged, "bob", "")
		wantCode(t, err, store.EConflict)
		// A resolved alert stays resolved: its old firings change nothing,
		// a new one opens a new alert.
		if r := mustRecord(t, s, Hit("chain.x", "s1", 0, "e1")); r.NewHit || r.Alert.ID != a.ID || r.Alert.Status != record.AlertResolved {
			t.Errorf("old hit after resolve: %+v", r)
		}
		r := mustRecord(t, s, Hit("chain.x", "s1", time.Hour, "e9"))
		if !r.NewAlert || r.Alert.ID == a.ID {
			t.Errorf("new hit after resolve: %+v", r)
		}
		got, err = s.Alert(ctx(), a.ID)
		if err != nil || len(got.History) != 3 || got.History[2].By != "carol" || got.History[2].Status != record.AlertResolved {
			t.Errorf("history: %+v, %v", got, err)
		}
		_, err = s.Alert(ctx(), "999999")
		wantCode(t, err, store.ENotFound)
		_, err = s.Alert(ctx(), "x';--")
		wantCode(t, err, store.ENotFound)
		_, err = s.SetAlertStatus(ctx(), "999999", record.AlertResolved, "bob", "")
		wantCode(t, err, store.ENotFound)
		_, err = s.SetAlertStatus(ctx(), a.ID, "closed", "bob", "")
		wantCode(t, err, store.EInvalid)
		_, err = s.SetAlertStatus(ctx(), a.ID, record.AlertResolved, "", "")
		wantCode(t, err, store.EInvalid)
	})
	t.Run("List", func(t *testing.T) {
		s, _ := open(t)
		for i := range 5 {
			h := Hit("rule.a", fmt.Sprintf("s%d", i), time.Duration(i)*time.Minute, fmt.Sprintf("e%d", i))
			if i%2 == 1 {
				h.Rule, h.Severity, h.Fingerprint, h.UserID = "rule.b", "low", "b"+h.Fingerprint, "bob"
			}
			mustRecord(t, s, h)
		}
		page, err := s.ListAlerts(ctx(), store.AlertFilter{})
		if err != nil || len(page.Alerts) != 5 || page.Next != "" || page.Alerts[0].Group != "s4" {
			t.Fatalf("all: %+v, %v", page, err)
		}
		var ids []string
		cursor := ""
		for {
			p, err := s.ListAlerts(ctx(), store.AlertFilter{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range p.Alerts {
				ids = append(ids, a.Group)
			}
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		if !slices.Equal(ids, []string{"s4", "s3", "s2", "s1", "s0"}) {
			t.Errorf("paged: %v", ids)
		}
		for _, tc := range []struct {
			f    store.AlertFilter
			want int
		}{
			{store.AlertFilter{Rule: "rule.b"}, 2},
			{store.AlertFilter{Severity: "low"}, 2},
			{store.AlertFilter{UserID: "bob"}, 2},
			{store.AlertFilter{SessionID: "s2"}, 1},
			{store.AlertFilter{Status: record.AlertOpen}, 5},
			{store.AlertFilter{Status: record.AlertResolved}, 0},
			{store.AlertFilter{Since: T0.Add(3 * time.Minute)}, 2},
			{store.AlertFilter{Rule: "rule.a", Since: T0.Add(time.Minute)}, 2},
		} {
			p, err := s.ListAlerts(ctx(), tc.f)
			if err != nil || len(p.Alerts) != tc.want {
				t.Errorf("%+v: %d alerts, %v; want %d", tc.f, len(p.Alerts), err, tc.want)
			}
		}
		_, err = s.ListAlerts(ctx(), store.AlertFilter{Cursor: "garbage!"})
		wantCode(t, err, store.EInvalid)
		_, err = s.ListAlerts(ctx(), store.AlertFilter{Status: "closed"})
		wantCode(t, err, store.EInvalid)
	})
	t.Run("Counts", func(t *testing.T) {
		s, _ := open(t)
		got, err := s.AlertCounts(ctx())
		if err != nil || len(got) != 0 {
			t.Fatalf("no alerts: %+v, %v", got, err)
		}
		a := mustRecord(t, s, Hit("chain.x", "s1", 0, "e1")).Alert
		mustRecord(t, s, Hit("chain.x", "s1", time.Minute, "e2")) // grouped: one alert
		mustRecord(t, s, Hit("chain.x", "s2", 0, "f1"))
		low := Hit("chain.y", "s3", 0, "g1")
		low.Severity = "low"
		mustRecord(t, s, low)
		if _, err := s.SetAlertStatus(ctx(), a.ID, record.AlertAcknowledged, "bob", ""); err != nil {
			t.Fatal(err)
		}
		got, err = s.AlertCounts(ctx())
		if err != nil {
			t.Fatal(err)
		}
		want := []store.AlertCount{{Status: "acknowledged", Severity: "high", N: 1}, {Status: "open", Severity: "high", N: 1}, {Status: "open", Severity: "low", N: 1}}
		if !slices.Equal(got, want) {
			t.Errorf("counts %+v, want %+v", got, want)
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		s, _ := open(t)
		for name, h := range map[string]record.AlertHit{
			"NoFingerprint": func() record.AlertHit { h := Hit("r", "s", 0, "e"); h.Fingerprint = ""; return h }(),
			"NoEvents":      Hit("r", "s", 0),
			"Severity":      func() record.AlertHit { h := Hit("r", "s", 0, "e"); h.Severity = "urgent"; return h }(),
			"NUL":           func() record.AlertHit { h := Hit("r", "s", 0, "e"); h.Group = "a\x00b"; return h }(),
		} {
			_, err := s.RecordAlert(ctx(), h)
			if store.ErrorCode(err) != store.EInvalid {
				t.Errorf("%s: got %v, want invalid", name, err)
			}
		}
		for name, f := range map[string]store.AlertFilter{
			"RuleNUL":      {Rule: "a\x00b"},
			"SessionUTF8":  {SessionID: "\xff"},
			"UserTooLong":  {UserID: strings.Repeat("u", 2000)},
			"StatusClosed": {Status: "closed"},
		} {
			_, err := s.ListAlerts(ctx(), f)
			if store.ErrorCode(err) != store.EInvalid {
				t.Errorf("filter %s: got %v, want invalid", name, err)
			}
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		// Replicas evaluating the same session record the same firing at
		// once: exactly one records it, and one alert opens.
		s, _ := open(t)
		const n = 8
		var wg sync.WaitGroup
		results := make([]store.AlertResult, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = s.RecordAlert(ctx(), Hit("chain.x", "s1", 0, "e1", "e2"))
			}()
		}
		wg.Wait()
		newHits, newAlerts := 0, 0
		for i := range n {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if results[i].NewHit {
				newHits++
			}
			if results[i].NewAlert {
				newAlerts++
			}
		}
		if newHits != 1 || newAlerts != 1 {
			t.Errorf("%d new hits, %d new alerts; want 1 and 1", newHits, newAlerts)
		}
		p, err := s.ListAlerts(ctx(), store.AlertFilter{})
		if err != nil || len(p.Alerts) != 1 || p.Alerts[0].Count != 1 {
			t.Errorf("after concurrent recording: %+v, %v", p, err)
		}
	})
}

func alertEqual(a, b record.Alert) bool {
	if !a.FirstSeen.Equal(b.FirstSeen) || !a.LastSeen.Equal(b.LastSeen) || len(a.History) != len(b.History) {
		return false
	}
	for i := range a.History {
		if !a.History[i].Time.Equal(b.History[i].Time) || a.History[i].Status != b.History[i].Status ||
			a.History[i].By != b.History[i].By || a.History[i].Comment != b.History[i].Comment {
			return false
		}
	}
	a.FirstSeen, a.LastSeen, a.History, b.History = b.FirstSeen, b.LastSeen, nil, nil
	return slices.Equal(a.EventIDs, b.EventIDs) && fmt.Sprint(a) == fmt.Sprint(b)
}

func testOverlays(t *testing.T, open opener) {
	s, clock := open(t)
	clock.Set(T0.Add(time.Hour))
	if got, err := s.ListOverlays(ctx()); err != nil || len(got) != 0 {
		t.Fatalf("empty: %+v, %v", got, err)
	}
	a, err := s.AddOverlay(ctx(), record.PolicyOverlay{Kind: "revoke_mcp_server", Target: "notes", Reason: "alert 7 ✋", By: "token:secops"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.AddOverlay(ctx(), record.PolicyOverlay{Kind: "repository_tier", Target: "git@github.com:acme/pay*", Tier: "regulated", By: "token:secops"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ListOverlays(ctx())
	if err != nil || len(got) != 2 || got[0].ID != a.ID || got[1].Tier != "regulated" || got[0].Reason != "alert 7 ✋" || !got[0].Time.Equal(T0.Add(time.Hour)) {
		t.Fatalf("list: %+v, %v", got, err)
	}
	removed, err := s.RemoveOverlay(ctx(), a.ID, "token:secops", "false positive")
	if err != nil {
		t.Fatal(err)
	}
	if removed.ID != a.ID || removed.Target != "notes" || removed.Reason != "alert 7 ✋" {
		t.Errorf("removed: %+v", removed)
	}
	_, err = s.RemoveOverlay(ctx(), a.ID, "token:secops", "")
	wantCode(t, err, store.ENotFound)
	_, err = s.RemoveOverlay(ctx(), "nope", "token:secops", "")
	wantCode(t, err, store.ENotFound)
	_, err = s.RemoveOverlay(ctx(), b.ID, "", "")
	wantCode(t, err, store.EInvalid)
	if got, _ := s.ListOverlays(ctx()); len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("after remove: %+v", got)
	}
	_, err = s.AddOverlay(ctx(), record.PolicyOverlay{Kind: "revoke_mcp_server", By: "x"})
	wantCode(t, err, store.EInvalid)
}

// testPauseOverlays: a pause overlay keeps its until; every addition and
// removal is in the overlay log, newest first, with who and why, and a
// refused change leaves no log entry.
func testPauseOverlays(t *testing.T, open opener) {
	s, clock := open(t)
	clock.Set(T0.Add(time.Hour))
	until := T0.Add(5 * time.Hour)
	_, err := s.AddOverlay(ctx(), record.PolicyOverlay{Kind: "pause", Target: "dev", Tier: "dev", Reason: "hook outage", By: "token:alice"})
	wantCode(t, err, store.EInvalid) // a pause needs until
	p, err := s.AddOverlay(ctx(), record.PolicyOverlay{Kind: "pause", Target: "dev", Tier: "dev", Until: until, Reason: "hook outage", By: "token:alice"})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Until.Equal(until) {
		t.Errorf("added until %v, want %v", p.Until, until)
	}
	got, err := s.ListOverlays(ctx())
	if err != nil || len(got) != 1 || !got[0].Until.Equal(until) || got[0].Kind != "pause" || got[0].By != "token:alice" {
		t.Fatalf("list: %+v, %v", got, err)
	}
	clock.Set(T0.Add(2 * time.Hour))
	if _, err := s.RemoveOverlay(ctx(), p.ID, "token:bob", "fixed"); err != nil {
		t.Fatal(err)
	}
	log, err := s.OverlayLog(ctx(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 {
		t.Fatalf("log: %+v", log)
	}
	rm, add := log[0], log[1]
	if rm.Action != record.OverlayRemoved || rm.OverlayID != p.ID || rm.By != "token:bob" || rm.Reason != "fixed" ||
		!rm.Time.Equal(T0.Add(2*time.Hour)) || rm.Tier != "dev" || !rm.Until.Equal(until) {
		t.Errorf("removal logged as %+v", rm)
	}
	if add.Action != record.OverlayAdded || add.OverlayID != p.ID || add.By != "token:alice" || add.Reason != "hook outage" ||
		!add.Time.Equal(T0.Add(time.Hour)) || add.Kind != "pause" {
		t.Errorf("addition logged as %+v", add)
	}
	if one, _ := s.OverlayLog(ctx(), 1); len(one) != 1 || one[0].ID != rm.ID {
		t.Errorf("limit 1: %+v", one)
	}
}

// testServerKey: the first secret stored under a name is the one every
// later call gets back.
func testServerKey(t *testing.T, open opener) {
	s, _ := open(t)
	first, err := s.ServerKey(ctx(), store.PauseKeyName, []byte("seed-one"))
	if err != nil || string(first) != "seed-one" {
		t.Fatalf("first: %q, %v", first, err)
	}
	again, err := s.ServerKey(ctx(), store.PauseKeyName, []byte("seed-two"))
	if err != nil || string(again) != "seed-one" {
		t.Fatalf("second call got %q, %v; want the first seed", again, err)
	}
	other, err := s.ServerKey(ctx(), "other", []byte("x"))
	if err != nil || string(other) != "x" {
		t.Fatalf("other name: %q, %v", other, err)
	}
	_, err = s.ServerKey(ctx(), "", []byte("x"))
	wantCode(t, err, store.EInvalid)
	_, err = s.ServerKey(ctx(), "empty", nil)
	wantCode(t, err, store.EInvalid)
}
