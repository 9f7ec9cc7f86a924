package ship

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/record"
)

// TestRefreshPauses: a signed list with a pause is cached as served; an
// empty one, a server without the list (404) or a machine without a
// pinned key for this server leaves no cache; a list signed by another
// key is refused and the cache kept; a failing server keeps the cache
// (its pauses end at their until anyway).
func TestRefreshPauses(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{5}, 32))
	forged := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{6}, 32))
	var (
		mu     sync.Mutex
		status = http.StatusOK
		signer = key
		pauses = []record.Pause{{ID: "1", Tier: "ci", Until: now.Add(time.Hour), Reason: "x", By: "token:a", Time: now}}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path != PausesPath || r.Header.Get("Authorization") != "Bearer "+testToken {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		if status != http.StatusOK {
			http.Error(w, "down", status)
			return
		}
		b, err := record.SignPauses(signer, record.PauseListV1{IssuedAt: now, Pauses: pauses})
		if err != nil {
			t.Error(err)
		}
		w.Write(b)
	}))
	defer srv.Close()
	set := func(s int, k ed25519.PrivateKey, p []record.Pause) {
		mu.Lock()
		status, signer, pauses = s, k, p
		mu.Unlock()
	}
	c := &client{http: srv.Client(), server: srv.URL, token: testToken}
	dir := t.TempDir()
	enroll := func(server string, pin bool) {
		f := clientstate.DeviceFile{DeviceID: "dev_0011223344556677", Name: "x", Server: server}
		if pin {
			f.ServerKey = base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
		}
		if err := clientstate.SaveDevice(dir, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)), f); err != nil {
			t.Fatal(err)
		}
	}
	cache := clientstate.PauseCache{Dir: dir}
	cached := func() bool {
		_, err := os.Stat(cache.Path())
		return err == nil
	}
	ctx := context.Background()

	enroll(srv.URL, true)
	if err := refreshPauses(ctx, c, dir); err != nil || !cached() {
		t.Fatalf("first refresh: %v, cached %v", err, cached())
	}
	if l, err := cache.Load(key.Public().(ed25519.PublicKey)); err != nil || len(l.Pauses) != 1 {
		t.Fatalf("cached list: %+v, %v", l, err)
	}
	set(http.StatusOK, forged, pauses)
	if err := refreshPauses(ctx, c, dir); err == nil || !cached() {
		t.Errorf("forged list: %v, cached %v; want an error and the old list kept", err, cached())
	}
	set(http.StatusServiceUnavailable, key, pauses)
	if err := refreshPauses(ctx, c, dir); err == nil || !cached() {
		t.Errorf("failing server: %v, cached %v", err, cached())
	}
	set(http.StatusOK, key, nil)
	if err := refreshPauses(ctx, c, dir); err != nil || cached() {
		t.Errorf("no pause: %v, cached %v", err, cached())
	}
	set(http.StatusOK, key, pauses)
	refreshPauses(ctx, c, dir)
	set(http.StatusNotFound, key, pauses)
	if err := refreshPauses(ctx, c, dir); err != nil || cached() {
		t.Errorf("server without the list: %v, cached %v", err, cached())
	}
	set(http.StatusOK, key, pauses)
	refreshPauses(ctx, c, dir)
	enroll("https://other.example", true)
	if err := refreshPauses(ctx, c, dir); err != nil || cached() {
		t.Errorf("key pinned for another server: %v, cached %v", err, cached())
	}
	enroll(srv.URL, false)
	if err := refreshPauses(ctx, c, dir); err != nil || cached() {
		t.Errorf("no pinned key: %v, cached %v", err, cached())
	}
}
