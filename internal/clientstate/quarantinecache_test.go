package clientstate

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

func TestQuarantineCache(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	list := record.QuarantineListV1{Schema: record.SchemaQuarantineListV1, GeneratedAt: now,
		Sessions: []record.Quarantine{{SessionID: "s1", Reason: "exfil", By: "admin", Time: now}}}
	t.Run("RoundTrip", func(t *testing.T) {
		c := QuarantineCache{Dir: t.TempDir()}
		if err := c.Store("https://w.example/", list, now); err != nil {
			t.Fatal(err)
		}
		cq, err := c.Load("https://w.example")
		if err != nil {
			t.Fatal(err)
		}
		if q := cq.Lookup("s1"); q == nil || q.Reason != "exfil" {
			t.Errorf("Lookup(s1) = %+v", q)
		}
		if q := cq.Lookup("s2"); q != nil {
			t.Errorf("Lookup(s2) = %+v, want nil", q)
		}
		if fi, err := os.Stat(c.Path()); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("cache file: %v, %v", fi, err)
		}
	})
	t.Run("ErrNoQuarantineCache", func(t *testing.T) {
		c := QuarantineCache{Dir: t.TempDir()}
		if _, err := c.Load("https://w.example"); !errors.Is(err, ErrNoQuarantineCache) {
			t.Errorf("empty dir: %v", err)
		}
		if err := c.Store("https://w.example", list, now); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Load("https://other.example"); !errors.Is(err, ErrNoQuarantineCache) {
			t.Errorf("another server's: %v", err)
		}
	})
	t.Run("Corrupt", func(t *testing.T) {
		c := QuarantineCache{Dir: t.TempDir()}
		if err := os.WriteFile(c.Path(), []byte("{not json"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Load("https://w.example"); err == nil || errors.Is(err, ErrNoQuarantineCache) {
			t.Errorf("corrupt cache: %v", err)
		}
	})
	t.Run("BadList", func(t *testing.T) {
		c := QuarantineCache{Dir: t.TempDir()}
		if err := c.Store("https://w.example", list, now); err != nil {
			t.Fatal(err)
		}
		for name, bad := range map[string]record.QuarantineListV1{
			"Schema":    {Schema: "other", Sessions: list.Sessions},
			"NoSession": {Schema: record.SchemaQuarantineListV1, Sessions: []record.Quarantine{{Reason: "x"}}},
			"TooLarge": {Schema: record.SchemaQuarantineListV1, Sessions: []record.Quarantine{
				{SessionID: "s", Reason: strings.Repeat("r", MaxQuarantineCacheBytes)}}},
		} {
			if err := c.Store("https://w.example", bad, now); err == nil {
				t.Errorf("%s: stored", name)
			}
		}
		// A refused list leaves the cache as it was.
		if cq, err := c.Load("https://w.example"); err != nil || cq.Lookup("s1") == nil {
			t.Errorf("cache after refused lists: %+v, %v", cq, err)
		}
	})
}
