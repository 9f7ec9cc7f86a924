package clientstate

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// TestPauseCache: Store keeps a verified list with pauses byte for byte,
// removes the file for an empty one and refuses (changing nothing) one
// signed by another key; Load verifies again, so a file replaced behind
// the shipper's back is refused.
func TestPauseCache(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32))
	pub := key.Public().(ed25519.PublicKey)
	forged := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, 32))
	sign := func(k ed25519.PrivateKey, pauses ...record.Pause) []byte {
		b, err := record.SignPauses(k, record.PauseListV1{IssuedAt: now, Pauses: pauses})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	p := record.Pause{ID: "1", Tier: "ci", Until: now.Add(time.Hour), Reason: "x", By: "token:a", Time: now}
	c := PauseCache{Dir: t.TempDir()}
	if _, err := c.Load(pub); !errors.Is(err, ErrNoPauseCache) {
		t.Fatalf("empty: %v", err)
	}
	data := sign(key, p)
	if _, err := c.Store(pub, data); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(c.Path()); !bytes.Equal(got, data) {
		t.Error("cache is not the list as served")
	}
	if fi, _ := os.Stat(c.Path()); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	if l, err := c.Load(pub); err != nil || len(l.Pauses) != 1 {
		t.Fatalf("load: %+v, %v", l, err)
	}
	if _, err := c.Store(pub, sign(forged, p)); !errors.Is(err, record.ErrPauseSignature) {
		t.Errorf("forged store: %v", err)
	}
	if got, _ := os.ReadFile(c.Path()); !bytes.Equal(got, data) {
		t.Error("a refused list changed the cache")
	}
	if err := os.WriteFile(c.Path(), sign(forged, p), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load(pub); !errors.Is(err, record.ErrPauseSignature) {
		t.Errorf("forged file: %v", err)
	}
	if _, err := c.Store(pub, sign(key)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.Path()); !os.IsNotExist(err) {
		t.Errorf("empty list left a cache: %v", err)
	}
}

func TestServerKey(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := ServerKey(dir); !errors.Is(err, ErrNoServerKey) {
		t.Errorf("not enrolled: %v", err)
	}
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32))
	f := DeviceFile{DeviceID: "dev_0011223344556677", Name: "x", Server: "https://w.example"}
	if err := SaveDevice(dir, key, f); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ServerKey(dir); !errors.Is(err, ErrNoServerKey) {
		t.Errorf("no key pinned: %v", err)
	}
	f.ServerKey = "bm90IGEga2V5"
	SaveDevice(dir, key, f)
	if _, _, err := ServerKey(dir); err == nil || errors.Is(err, ErrNoServerKey) {
		t.Errorf("bad key: %v", err)
	}
	f.ServerKey = base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	SaveDevice(dir, key, f)
	pub, srv, err := ServerKey(dir)
	if err != nil || !pub.Equal(key.Public()) || srv != "https://w.example" {
		t.Errorf("pinned: %v %s %v", pub, srv, err)
	}
}
