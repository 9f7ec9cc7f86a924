package storetest

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// TestDevice returns a device to enroll, with a fixed key derived from seed.
func TestDevice(id string, seed byte) record.Device {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return record.Device{
		ID: id, Name: "laptop " + id, PublicKey: key.Public().(ed25519.PublicKey),
		CredentialHash: "cred-" + id, EnrolledAt: T0.Add(time.Duration(seed) * time.Second),
	}
}

func testDevices(t *testing.T, open opener) {
	enrollTok := func(id, hash string, scopes ...string) record.Token {
		return record.Token{ID: id, Hash: hash, Scopes: scopes, CreatedAt: T0}
	}
	t.Run("EnrollConsumesToken", func(t *testing.T) {
		s, clock := open(t)
		if err := s.CreateToken(ctx(), enrollTok("e1", "eh1", record.ScopeEnroll)); err != nil {
			t.Fatal(err)
		}
		d, err := s.EnrollDevice(ctx(), "eh1", TestDevice("dev_01", 1))
		if err != nil {
			t.Fatal(err)
		}
		if d.EnrolledWith != "e1" || d.Revoked() {
			t.Errorf("enrolled %+v, want enrolled with e1, live", d)
		}
		// One-time: the token no longer authenticates nor enrolls.
		_, err = s.TokenByHash(ctx(), "eh1")
		wantCode(t, err, store.ENotFound)
		_, err = s.EnrollDevice(ctx(), "eh1", TestDevice("dev_02", 2))
		wantCode(t, err, store.ENotFound)
		if _, err := s.Device(ctx(), "dev_02"); store.ErrorCode(err) != store.ENotFound {
			t.Errorf("second enrollment stored a device (err %v)", err)
		}

		got, err := s.Device(ctx(), "dev_01")
		if err != nil {
			t.Fatal(err)
		}
		want := TestDevice("dev_01", 1)
		if got.Name != want.Name || !bytes.Equal(got.PublicKey, want.PublicKey) || got.CredentialHash != want.CredentialHash ||
			!got.EnrolledAt.Equal(want.EnrolledAt) || got.EnrolledWith != "e1" {
			t.Errorf("Device = %+v, want %+v", got, want)
		}
		byCred, err := s.DeviceByCredential(ctx(), "cred-dev_01")
		if err != nil || byCred.ID != "dev_01" {
			t.Fatalf("DeviceByCredential = %+v, %v", byCred, err)
		}

		clock.Set(T0.Add(2000 * time.Hour))
		if err := s.RevokeDevice(ctx(), "dev_01"); err != nil {
			t.Fatal(err)
		}
		clock.Set(T0.Add(3000 * time.Hour))
		if err := s.RevokeDevice(ctx(), "dev_01"); err != nil {
			t.Fatal(err)
		}
		_, err = s.DeviceByCredential(ctx(), "cred-dev_01")
		wantCode(t, err, store.ENotFound)
		got, err = s.Device(ctx(), "dev_01")
		if err != nil || !got.RevokedAt.Equal(T0.Add(2000*time.Hour)) {
			t.Errorf("revoked device = %+v, %v; want revoked at the first revocation", got, err)
		}
		wantCode(t, s.RevokeDevice(ctx(), "dev_99"), store.ENotFound)
		list, err := s.ListDevices(ctx())
		if err != nil || len(list) != 1 || list[0].ID != "dev_01" || !list[0].Revoked() {
			t.Errorf("ListDevices = %+v, %v", list, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s, _ := open(t)
		for _, tok := range []record.Token{
			enrollTok("i1", "ih1", record.ScopeIngest),
			enrollTok("a1", "ah1", record.ScopeAdmin),
		} {
			if err := s.CreateToken(ctx(), tok); err != nil {
				t.Fatal(err)
			}
		}
		for _, hash := range []string{"ih1", "ah1", "nope"} {
			_, err := s.EnrollDevice(ctx(), hash, TestDevice("dev_01", 1))
			wantCode(t, err, store.ENotFound)
		}
		if err := s.CreateToken(ctx(), enrollTok("e1", "eh1", record.ScopeEnroll)); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx(), "e1"); err != nil {
			t.Fatal(err)
		}
		_, err := s.EnrollDevice(ctx(), "eh1", TestDevice("dev_01", 1))
		wantCode(t, err, store.ENotFound)
		if list, _ := s.ListDevices(ctx()); len(list) != 0 {
			t.Errorf("devices %+v, want none", list)
		}
		// The ingest token was not consumed.
		if _, err := s.TokenByHash(ctx(), "ih1"); err != nil {
			t.Errorf("ingest token consumed by a refused enrollment: %v", err)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s, _ := open(t)
		for _, tok := range []record.Token{enrollTok("e1", "eh1", record.ScopeEnroll), enrollTok("e2", "eh2", record.ScopeEnroll)} {
			if err := s.CreateToken(ctx(), tok); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.EnrollDevice(ctx(), "eh1", TestDevice("dev_01", 1)); err != nil {
			t.Fatal(err)
		}
		_, err := s.EnrollDevice(ctx(), "eh2", TestDevice("dev_01", 2))
		wantCode(t, err, store.EConflict)
		// The refused enrollment left its token usable.
		if _, err := s.EnrollDevice(ctx(), "eh2", TestDevice("dev_02", 2)); err != nil {
			t.Errorf("enroll with the token a conflict left: %v", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s, _ := open(t)
		if err := s.CreateToken(ctx(), enrollTok("e1", "eh1", record.ScopeEnroll)); err != nil {
			t.Fatal(err)
		}
		for name, mod := range map[string]func(*record.Device){
			"ID":      func(d *record.Device) { d.ID = "laptop" },
			"Name":    func(d *record.Device) { d.Name = "" },
			"Key":     func(d *record.Device) { d.PublicKey = d.PublicKey[:31] },
			"NoCred":  func(d *record.Device) { d.CredentialHash = "" },
			"NoTime":  func(d *record.Device) { d.EnrolledAt = time.Time{} },
			"NULName": func(d *record.Device) { d.Name = "a\x00b" },
		} {
			t.Run(name, func(t *testing.T) {
				d := TestDevice("dev_01", 1)
				mod(&d)
				_, err := s.EnrollDevice(ctx(), "eh1", d)
				wantCode(t, err, store.EInvalid)
			})
		}
		if _, err := s.TokenByHash(ctx(), "eh1"); err != nil {
			t.Errorf("invalid enrollment consumed the token: %v", err)
		}
	})
	// Many enrollments race for one token: exactly one device is enrolled.
	t.Run("OneTimeUnderRace", func(t *testing.T) {
		s, _ := open(t)
		if err := s.CreateToken(ctx(), enrollTok("e1", "eh1", record.ScopeEnroll)); err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.EnrollDevice(ctx(), "eh1", TestDevice(fmt.Sprintf("dev_0%x", i), byte(i+1)))
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case store.ErrorCode(err) != store.ENotFound:
				t.Errorf("enrollment failed with %v, want not_found", err)
			}
		}
		list, err := s.ListDevices(ctx())
		if err != nil {
			t.Fatal(err)
		}
		if ok != 1 || len(list) != 1 {
			t.Errorf("%d enrollments succeeded, %d devices stored; want exactly 1 each", ok, len(list))
		}
	})
	t.Run("ChainLinks", func(t *testing.T) {
		s, _ := open(t)
		link := func(id string, seq uint64, status string) record.Event {
			e := HookEvent(id, "s1", time.Duration(seq)*time.Second, record.DecisionDeny)
			e.Verification = &record.Verification{Verified: status == "", Reason: status, DeviceID: "dev_01", Seq: seq,
				Hash: "h" + id, Prev: "p" + id}
			return e
		}
		unsigned := HookEvent("u1", "s1", 0, record.DecisionAllow)
		unsigned.Verification = &record.Verification{Reason: record.UnverifiedUnsigned}
		forged := link("f1", 2, record.UnverifiedBadSignature)
		if n := mustAppend(t, s, link("e1", 1, ""), link("e2", 2, ""), link("e3", 3, record.UnverifiedChainGap), unsigned, forged); n != 5 {
			t.Fatalf("inserted %d, want 5", n)
		}
		// A duplicate event does not add or change its link.
		mustAppend(t, s, link("e2", 2, record.UnverifiedChainFork))
		got, err := s.ChainLinks(ctx(), "dev_01", 2, 3)
		if err != nil {
			t.Fatal(err)
		}
		want := []record.ChainLink{
			{DeviceID: "dev_01", Seq: 2, Hash: "he2", Prev: "pe2", EventID: "e2"},
			{DeviceID: "dev_01", Seq: 3, Hash: "he3", Prev: "pe3", EventID: "e3", Status: record.UnverifiedChainGap},
		}
		if len(got) != len(want) {
			t.Fatalf("ChainLinks = %+v, want %+v (no link for a bad signature)", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("link %d = %+v, want %+v", i, got[i], want[i])
			}
		}
		// A large batch (stores may insert links in chunks): every link,
		// in order, with its values.
		var big []record.Event
		for i := range 150 {
			e := link(fmt.Sprintf("b%03d", i), uint64(100+i), "")
			e.Verification.DeviceID = "dev_03"
			big = append(big, e)
		}
		mustAppend(t, s, big...)
		bl, err := s.ChainLinks(ctx(), "dev_03", 0, 1<<63)
		if err != nil || len(bl) != 150 {
			t.Fatalf("large batch: %d links (%v), want 150", len(bl), err)
		}
		for i, l := range bl {
			id := fmt.Sprintf("b%03d", i)
			if l.Seq != uint64(100+i) || l.EventID != id || l.Hash != "h"+id || l.Prev != "p"+id {
				t.Errorf("large batch link %d = %+v", i, l)
			}
		}
		if other, err := s.ChainLinks(ctx(), "dev_02", 0, 1<<64-1); err != nil || len(other) != 0 {
			t.Errorf("other device's links = %+v, %v", other, err)
		}
		// The verification travels with the stored event.
		events, err := s.SessionEvents(ctx(), "s1")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Verification == nil {
				t.Errorf("event %s lost its verification", e.ID)
			} else if e.ID == "e2" && (!e.Verification.Verified || e.Verification.Reason != "") {
				t.Errorf("event e2 verification = %+v, want the first one stored", e.Verification)
			}
		}
	})
}
