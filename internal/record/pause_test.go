package record

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	pauseT0  = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	pauseKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))
	pausePub = pauseKey.Public().(ed25519.PublicKey)
)

func samplePauses() PauseListV1 {
	return PauseListV1{PolicySHA256: strings.Repeat("a", 64), IssuedAt: pauseT0, Pauses: []Pause{
		{ID: "4", Tier: "ci", Until: pauseT0.Add(time.Hour), Reason: "INC-7", By: "token:alice", Time: pauseT0},
		{ID: "5", Tier: "ci", Until: pauseT0.Add(3 * time.Hour), Reason: "longer", By: "token:bob", Time: pauseT0},
		{ID: "6", Tier: "dev", Until: pauseT0.Add(2 * time.Hour), Reason: "dev", By: "token:alice", Time: pauseT0},
	}}
}

func mustSign(tb testing.TB, l PauseListV1) []byte {
	tb.Helper()
	b, err := SignPauses(pauseKey, l)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestSignPauses_RoundTrip(t *testing.T) {
	got, err := VerifyPauses(pausePub, mustSign(t, samplePauses()))
	if err != nil {
		t.Fatal(err)
	}
	want := samplePauses()
	want.Schema = SchemaPauseListV1
	if a, b := mustJSON(t, got), mustJSON(t, want); a != b {
		t.Errorf("round trip:\n got %s\nwant %s", a, b)
	}
}

func mustJSON(tb testing.TB, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// TestVerifyPauses_Rejects: anything but the exact bytes the key signed,
// and any list outside the bounds, is refused with the error that says
// which.
func TestVerifyPauses_Rejects(t *testing.T) {
	good := mustSign(t, samplePauses())
	var env SignedPauseV1
	if err := json.Unmarshal(good, &env); err != nil {
		t.Fatal(err)
	}
	edit := func(f func(e *SignedPauseV1)) []byte {
		e := env
		f(&e)
		b, _ := json.Marshal(e)
		return b
	}
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	resign := func(p string) []byte { // a payload signed properly, for the bound checks
		return edit(func(e *SignedPauseV1) {
			e.Payload = base64.StdEncoding.EncodeToString([]byte(p))
			e.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(pauseKey, pauseMessage([]byte(p))))
		})
	}
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, 32))
	for _, tc := range []struct {
		name string
		pub  ed25519.PublicKey
		data []byte
		want error
	}{
		{"OtherKey", other.Public().(ed25519.PublicKey), good, ErrPauseSignature},
		{"NoKey", nil, good, ErrPauseSignature},
		{"PayloadChanged", pausePub, edit(func(e *SignedPauseV1) {
			e.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(`"ci"`), []byte(`"prod"`), 1))
		}), ErrPauseSignature},
		{"SignedWithoutContext", pausePub, edit(func(e *SignedPauseV1) {
			e.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(pauseKey, payload))
		}), ErrPauseSignature},
		{"SignatureShort", pausePub, edit(func(e *SignedPauseV1) { e.Signature = "AAAA" }), ErrPauseMalformed},
		{"PayloadNotBase64", pausePub, edit(func(e *SignedPauseV1) { e.Payload = "!" }), ErrPauseMalformed},
		{"Schema", pausePub, edit(func(e *SignedPauseV1) { e.Schema = "warden.signed_pause_list.v2" }), ErrPauseMalformed},
		{"UnknownField", pausePub, []byte(strings.Replace(string(good), `{"schema"`, `{"paused":true,"schema"`, 1)), ErrPauseMalformed},
		{"Trailing", pausePub, append(append([]byte{}, good...), []byte(`{}`)...), ErrPauseMalformed},
		{"NotJSON", pausePub, []byte("pause everything"), ErrPauseMalformed},
		{"TooLarge", pausePub, make([]byte, MaxSignedPauseBytes+1), ErrPauseMalformed},
		{"ListSchema", pausePub, resign(`{"schema":"x","policy_sha256":"","issued_at":"2026-12-07T12:00:00Z","pauses":[]}`), ErrPauseMalformed},
		{"NoTier", pausePub, resign(`{"schema":"warden.pause_list.v1","policy_sha256":"","issued_at":"2026-12-07T12:00:00Z","pauses":[{"id":"1","tier":"","until":"2026-12-08T12:00:00Z","reason":"","by":"","time":"2026-12-07T12:00:00Z"}]}`), ErrPauseMalformed},
		{"NoUntil", pausePub, resign(`{"schema":"warden.pause_list.v1","policy_sha256":"","issued_at":"2026-12-07T12:00:00Z","pauses":[{"id":"1","tier":"ci","until":"0001-01-01T00:00:00Z","reason":"","by":"","time":"2026-12-07T12:00:00Z"}]}`), ErrPauseMalformed},
		{"NoTime", pausePub, resign(`{"schema":"warden.pause_list.v1","policy_sha256":"","issued_at":"2026-12-07T12:00:00Z","pauses":[{"id":"1","tier":"ci","until":"2026-12-08T12:00:00Z","reason":"","by":"","time":"0001-01-01T00:00:00Z"}]}`), ErrPauseMalformed},
		{"TooLong", pausePub, resign(`{"schema":"warden.pause_list.v1","policy_sha256":"","issued_at":"2026-12-07T12:00:00Z","pauses":[{"id":"1","tier":"ci","until":"2027-12-08T12:00:00Z","reason":"","by":"","time":"2026-12-07T12:00:00Z"}]}`), ErrPauseMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := VerifyPauses(tc.pub, tc.data); !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestPauseList_Active(t *testing.T) {
	l := samplePauses()
	for _, tc := range []struct {
		tier   string
		at     time.Time
		wantID string
	}{
		{"ci", pauseT0, "5"}, // the longest of two
		{"ci", pauseT0.Add(2 * time.Hour), "5"},
		{"ci", pauseT0.Add(3 * time.Hour), ""}, // ends at until
		{"dev", pauseT0.Add(time.Hour), "6"},
		{"prod", pauseT0, ""},
	} {
		got := l.Active(tc.tier, tc.at)
		if id := ""; got != nil {
			id = got.ID
			if id != tc.wantID {
				t.Errorf("Active(%s, %v) = %s, want %q", tc.tier, tc.at, id, tc.wantID)
			}
		} else if tc.wantID != "" {
			t.Errorf("Active(%s, %v) = nil, want %s", tc.tier, tc.at, tc.wantID)
		}
	}
	var none *PauseListV1
	if none.Active("ci", pauseT0) != nil {
		t.Error("nil list has a pause")
	}
}

// FuzzVerifyPauses: VerifyPauses reads bytes anyone with the user's
// rights can write; it must never panic, and whatever it accepts was
// signed by the key and keeps the list's bounds.
func FuzzVerifyPauses(f *testing.F) {
	f.Add(mustSign(f, samplePauses()))
	f.Add(mustSign(f, PauseListV1{}))
	f.Add([]byte(`{"schema":"warden.signed_pause_list.v1","key_id":"","payload":"e30=","signature":""}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := VerifyPauses(pausePub, data)
		if err != nil {
			if !errors.Is(err, ErrPauseSignature) && !errors.Is(err, ErrPauseMalformed) {
				t.Fatalf("error of neither kind: %v", err)
			}
			return
		}
		var env SignedPauseV1
		if json.Unmarshal(data, &env) != nil {
			t.Fatal("accepted bytes that do not decode")
		}
		payload, _ := base64.StdEncoding.DecodeString(env.Payload)
		sig, _ := base64.StdEncoding.DecodeString(env.Signature)
		if !ed25519.Verify(pausePub, pauseMessage(payload), sig) {
			t.Fatal("accepted a list the key did not sign")
		}
		if len(l.Pauses) > MaxPauses {
			t.Fatalf("accepted %d pauses", len(l.Pauses))
		}
		for _, p := range l.Pauses {
			if p.Tier == "" || p.Until.IsZero() || p.Time.IsZero() || p.Until.Sub(p.Time) > MaxPauseDuration+time.Minute {
				t.Fatalf("accepted pause %+v", p)
			}
		}
	})
}

func BenchmarkVerifyPauses(b *testing.B) {
	data := mustSign(b, samplePauses())
	for b.Loop() {
		if _, err := VerifyPauses(pausePub, data); err != nil {
			b.Fatal(err)
		}
	}
}
