package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

func testTokens(t *testing.T, open opener) {
	tok := func(id, hash string, scopes ...string) record.Token {
		return record.Token{ID: id, Name: "ci " + id, Hash: hash, Scopes: scopes, CreatedAt: T0.Add(time.Duration(len(id)) * time.Second)}
	}
	t.Run("CreateAndFind", func(t *testing.T) {
		s, _ := open(t)
		in := tok("t1", "h1", record.ScopeRead, record.ScopeIngest, record.ScopeRead)
		if err := s.CreateToken(ctx(), in); err != nil {
			t.Fatal(err)
		}
		got, err := s.TokenByHash(ctx(), "h1")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "t1" || got.Name != "ci t1" || got.Hash != "h1" || !got.CreatedAt.Equal(in.CreatedAt) || got.Revoked() {
			t.Errorf("got %+v", got)
		}
		if !equal(got.Scopes, []string{record.ScopeIngest, record.ScopeRead}) || !got.HasScope(record.ScopeIngest) || got.HasScope(record.ScopeAdmin) {
			t.Errorf("scopes %v, want [ingest read]", got.Scopes)
		}
		_, err = s.TokenByHash(ctx(), "h2")
		wantCode(t, err, store.ENotFound)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s, _ := open(t)
		if err := s.CreateToken(ctx(), tok("t1", "h1", record.ScopeAdmin)); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.CreateToken(ctx(), tok("t1", "h2", record.ScopeAdmin)), store.EConflict)
		wantCode(t, s.CreateToken(ctx(), tok("t2", "h1", record.ScopeAdmin)), store.EConflict)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s, _ := open(t)
		for name, bad := range map[string]record.Token{
			"Scope":    tok("t1", "h1", "root"),
			"NoScopes": tok("t1", "h1"),
			"NoID":     tok("", "h1", record.ScopeRead),
			"NoHash":   tok("t1", "", record.ScopeRead),
			"NoTime":   {ID: "t1", Hash: "h1", Scopes: []string{record.ScopeRead}},
		} {
			t.Run(name, func(t *testing.T) {
				wantCode(t, s.CreateToken(ctx(), bad), store.EInvalid)
			})
		}
		tokens, err := s.ListTokens(ctx())
		if err != nil || len(tokens) != 0 {
			t.Errorf("ListTokens: %v, %v; want none", tokens, err)
		}
	})
	t.Run("Revoke", func(t *testing.T) {
		s, clock := open(t)
		for _, in := range []record.Token{tok("t22", "h2", record.ScopeRead), tok("t1", "h1", record.ScopeIngest)} {
			if err := s.CreateToken(ctx(), in); err != nil {
				t.Fatal(err)
			}
		}
		revokedAt := T0.Add(time.Hour)
		clock.Set(revokedAt)
		if err := s.RevokeToken(ctx(), "t1"); err != nil {
			t.Fatal(err)
		}
		clock.Set(T0.Add(2 * time.Hour))
		if err := s.RevokeToken(ctx(), "t1"); err != nil {
			t.Errorf("revoking again: %v", err)
		}
		_, err := s.TokenByHash(ctx(), "h1")
		wantCode(t, err, store.ENotFound)
		wantCode(t, s.RevokeToken(ctx(), "nope"), store.ENotFound)

		tokens, err := s.ListTokens(ctx())
		if err != nil {
			t.Fatal(err)
		}
		if len(tokens) != 2 || tokens[0].ID != "t1" || tokens[1].ID != "t22" {
			t.Fatalf("ListTokens %+v, want t1 then t22 (creation order)", tokens)
		}
		if !tokens[0].RevokedAt.Equal(revokedAt) || tokens[1].Revoked() {
			t.Errorf("revoked at %v and %v, want %v and live", tokens[0].RevokedAt, tokens[1].RevokedAt, revokedAt)
		}
		if _, err := s.TokenByHash(ctx(), "h2"); err != nil {
			t.Errorf("live token: %v", err)
		}
	})
}

func testQuarantine(t *testing.T, open opener) {
	t.Run("Lifecycle", func(t *testing.T) {
		s, clock := open(t)
		_, err := s.Quarantine(ctx(), "s1")
		wantCode(t, err, store.ENotFound)

		// A session may be quarantined before any of its events arrive.
		at := T0.Add(time.Hour)
		clock.Set(at)
		q, err := s.QuarantineSession(ctx(), "s1", "exfiltration attempt ✋", "rule:exfil")
		if err != nil {
			t.Fatal(err)
		}
		want := record.Quarantine{SessionID: "s1", Reason: "exfiltration attempt ✋", By: "rule:exfil", Time: at}
		if *q != want {
			t.Errorf("got %+v, want %+v", *q, want)
		}
		clock.Set(at.Add(time.Hour))
		again, err := s.QuarantineSession(ctx(), "s1", "second", "admin")
		if err != nil || *again != want {
			t.Errorf("again: %+v, %v; want the first quarantine %+v", again, err, want)
		}
		got, err := s.Quarantine(ctx(), "s1")
		if err != nil || !got.Time.Equal(want.Time) || got.Reason != want.Reason {
			t.Errorf("Quarantine: %+v, %v", got, err)
		}
		mustAppend(t, s, Event("e1", "s1", 0, "user_prompt", 1))
		if !mustSession(t, s, "s1").Quarantined {
			t.Error("summary not quarantined")
		}
		if err := s.ReleaseSession(ctx(), "s1"); err != nil {
			t.Fatal(err)
		}
		_, err = s.Quarantine(ctx(), "s1")
		wantCode(t, err, store.ENotFound)
		wantCode(t, s.ReleaseSession(ctx(), "s1"), store.ENotFound)
		if mustSession(t, s, "s1").Quarantined {
			t.Error("summary still quarantined")
		}
	})
	// Active: what hooks cache to deny a quarantined session locally:
	// the quarantines of sessions quarantined or active since a time,
	// most recently active first, bounded; a released one is gone.
	t.Run("Active", func(t *testing.T) {
		s, clock := open(t)
		list := func(since time.Time, limit int) []string {
			t.Helper()
			qs, err := s.ActiveQuarantines(ctx(), since, limit)
			if err != nil {
				t.Fatal(err)
			}
			ids := []string{}
			for _, q := range qs {
				ids = append(ids, q.SessionID)
			}
			return ids
		}
		if got := list(T0, 0); len(got) != 0 {
			t.Errorf("no quarantines: got %q", got)
		}
		// old: quarantined long ago, session idle since; busy:
		// quarantined long ago, active recently; fresh: quarantined
		// recently, before any event; free: active, not quarantined.
		mustAppend(t, s, Event("o1", "old", 0, "user_prompt", 1), Event("b1", "busy", 0, "user_prompt", 1),
			Event("b2", "busy", 3*time.Hour, "user_prompt", 2), Event("f1", "free", 3*time.Hour, "user_prompt", 1))
		clock.Set(T0.Add(time.Minute))
		for _, id := range []string{"old", "busy"} {
			if _, err := s.QuarantineSession(ctx(), id, "r "+id, "admin"); err != nil {
				t.Fatal(err)
			}
		}
		clock.Set(T0.Add(2 * time.Hour))
		if _, err := s.QuarantineSession(ctx(), "fresh", "r fresh", "rule:x"); err != nil {
			t.Fatal(err)
		}
		if got, want := list(T0.Add(time.Hour), 0), []string{"busy", "fresh"}; !slices.Equal(got, want) {
			t.Errorf("active since T0+1h: %q, want %q", got, want)
		}
		if got, want := list(T0, 0), []string{"busy", "fresh", "old"}; !slices.Equal(got, want) {
			t.Errorf("active since T0: %q, want %q", got, want)
		}
		if got, want := list(T0, 1), []string{"busy"}; !slices.Equal(got, want) {
			t.Errorf("limit 1: %q, want %q", got, want)
		}
		qs, err := s.ActiveQuarantines(ctx(), T0.Add(time.Hour), 0)
		if err != nil || len(qs) < 2 || qs[1] != (record.Quarantine{SessionID: "fresh", Reason: "r fresh", By: "rule:x", Time: T0.Add(2 * time.Hour)}) {
			t.Errorf("ActiveQuarantines: %+v, %v", qs, err)
		}
		if err := s.ReleaseSession(ctx(), "busy"); err != nil {
			t.Fatal(err)
		}
		if got, want := list(T0, 0), []string{"fresh", "old"}; !slices.Equal(got, want) {
			t.Errorf("after release: %q, want %q", got, want)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s, _ := open(t)
		for name, args := range map[string][3]string{
			"NoSession": {"", "r", "admin"},
			"NoBy":      {"s1", "r", ""},
			"BadReason": {"s1", "r\x00", "admin"},
			"Long":      {"s1", strings.Repeat("r", store.MaxReasonBytes+1), "admin"},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := s.QuarantineSession(ctx(), args[0], args[1], args[2])
				wantCode(t, err, store.EInvalid)
			})
		}
		_, err := s.Quarantine(ctx(), "")
		wantCode(t, err, store.EInvalid)
	})
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func testPolicy(t *testing.T, open opener) {
	t.Run("Versions", func(t *testing.T) {
		s, clock := open(t)
		_, err := s.CurrentPolicy(ctx())
		wantCode(t, err, store.ENotFound)

		at := T0.Add(time.Hour)
		clock.Set(at)
		v1 := []byte("version: 1\nrules: []\n# ünïcode\n")
		p1, err := s.PutPolicy(ctx(), "baseline", v1, digest(v1))
		if err != nil {
			t.Fatal(err)
		}
		if p1.Version < 1 || p1.Name != "baseline" || p1.SHA256 != digest(v1) || !bytes.Equal(p1.YAML, v1) || !p1.CreatedAt.Equal(at) {
			t.Errorf("put: %+v", p1)
		}
		clock.Set(at.Add(time.Hour))
		same, err := s.PutPolicy(ctx(), "baseline", v1, strings.ToUpper(digest(v1)))
		if err != nil || same.Version != p1.Version {
			t.Errorf("same bundle again: %+v, %v; want version %d", same, err, p1.Version)
		}
		v2 := []byte("version: 1\nrules: [x]\n")
		p2, err := s.PutPolicy(ctx(), "baseline", v2, digest(v2))
		if err != nil || p2.Version <= p1.Version {
			t.Fatalf("second bundle: %+v, %v", p2, err)
		}
		cur, err := s.CurrentPolicy(ctx())
		if err != nil || cur.Version != p2.Version || !bytes.Equal(cur.YAML, v2) {
			t.Errorf("current: %+v, %v; want version %d", cur, err, p2.Version)
		}
		all, err := s.Policies(ctx())
		if err != nil || len(all) != 2 || all[0].Version != p2.Version || all[1].Version != p1.Version ||
			!bytes.Equal(all[1].YAML, v1) || all[1].SHA256 != digest(v1) || !all[1].CreatedAt.Equal(at) {
			t.Errorf("policies: %+v, %v; want versions %d then %d", all, err, p2.Version, p1.Version)
		}
		// Going back to the first content is a new version.
		p3, err := s.PutPolicy(ctx(), "baseline", v1, digest(v1))
		if err != nil || p3.Version <= p2.Version {
			t.Errorf("back to v1: %+v, %v", p3, err)
		}
		empty, err := s.PutPolicy(ctx(), "empty", nil, digest(nil))
		if err != nil || empty.YAML == nil || len(empty.YAML) != 0 {
			t.Errorf("empty bundle: %+v, %v", empty, err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s, _ := open(t)
		y := []byte("rules: []\n")
		_, err := s.PutPolicy(ctx(), "p", y, digest([]byte("other")))
		wantCode(t, err, store.EInvalid)
		_, err = s.PutPolicy(ctx(), "", y, digest(y))
		wantCode(t, err, store.EInvalid)
		_, err = s.CurrentPolicy(ctx())
		wantCode(t, err, store.ENotFound)
	})
}
