package ship

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/record"
)

// TestRefreshQuarantines: the server's list replaces the cache; a server
// that lists none (404) leaves no cache; a failing server leaves the last
// list in force, so a quarantine holds while the server cannot be reached.
func TestRefreshQuarantines(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	status := http.StatusOK
	list := record.QuarantineListV1{Schema: record.SchemaQuarantineListV1, Sessions: []record.Quarantine{{SessionID: "s1", Reason: "r"}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != QuarantinesPath || r.Header.Get("Authorization") != "Bearer "+testToken {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		if status != http.StatusOK {
			http.Error(w, "down", status)
			return
		}
		json.NewEncoder(w).Encode(list)
	}))
	defer srv.Close()
	c := &client{http: srv.Client(), server: srv.URL, token: testToken}
	cache := clientstate.QuarantineCache{Dir: t.TempDir()}
	inCache := func() bool {
		t.Helper()
		cq, err := cache.Load(srv.URL)
		if errors.Is(err, clientstate.ErrNoQuarantineCache) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		return cq.Lookup("s1") != nil
	}
	if err := refreshQuarantines(context.Background(), c, cache, now); err != nil || !inCache() {
		t.Fatalf("first refresh: %v; s1 cached %v", err, inCache())
	}
	status = http.StatusServiceUnavailable
	if err := refreshQuarantines(context.Background(), c, cache, now); err == nil || !inCache() {
		t.Errorf("failing server: %v; s1 cached %v, want an error and the list kept", err, inCache())
	}
	status = http.StatusOK
	list.Sessions = nil
	if err := refreshQuarantines(context.Background(), c, cache, now); err != nil || inCache() {
		t.Errorf("after release: %v; s1 cached %v", err, inCache())
	}
	list.Sessions = []record.Quarantine{{SessionID: "s1"}}
	refreshQuarantines(context.Background(), c, cache, now)
	status = http.StatusNotFound
	if err := refreshQuarantines(context.Background(), c, cache, now); err != nil || inCache() {
		t.Errorf("server without the list: %v; s1 cached %v", err, inCache())
	}
}
