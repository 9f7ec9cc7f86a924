package sqlite_test

import (
	"context"
	"testing"

	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/sqlite"
	"github.com/wardenhq/warden/internal/store/storetest"
)

func mustOpen(tb testing.TB, dir string, opts store.Options) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), dir, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts store.Options) store.Store {
		return mustOpen(t, t.TempDir(), opts)
	})
}

// TestStore_LegacyValues: points of 1e308 stored before the value bound
// leave sums finite.
func TestStore_LegacyValues(t *testing.T) {
	storetest.LegacyValues(t, func(t *testing.T, opts store.Options) store.Store {
		return mustOpen(t, t.TempDir(), opts)
	}, func(t *testing.T, s store.Store, id string, v float64) {
		if err := sqlite.SetMetricValue(s.(*sqlite.DB), id, v); err != nil {
			t.Fatal(err)
		}
	})
}

// TestStore_RollupBackfill: migration 0008 fills the overview's rollups
// from the events and points a database held before it.
func TestStore_RollupBackfill(t *testing.T) {
	dir := t.TempDir()
	storetest.RollupBackfill(t, func(t *testing.T) store.Store {
		return mustOpen(t, dir, store.Options{})
	}, func(t *testing.T, s store.Store) {
		if err := sqlite.UndoRollups(s.(*sqlite.DB)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestProbeWrite_ReadOnly: a database that answers but refuses writes
// passes Ping and fails ProbeWrite.
func TestProbeWrite_ReadOnly(t *testing.T) {
	db := mustOpen(t, t.TempDir(), store.Options{})
	if err := sqlite.SetReadOnly(db); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if err := db.ProbeWrite(context.Background()); err == nil {
		t.Error("ProbeWrite passed on a read-only database")
	}
}

// TestCrash: an acknowledged append survives a SIGKILL of the process.
func TestCrash(t *testing.T) {
	dir := storetest.CrashTarget()
	if dir == "" {
		dir = t.TempDir()
	}
	storetest.Crash(t, dir, 30, func(ctx context.Context, dir string) (store.Store, error) {
		return sqlite.Open(ctx, dir, store.Options{})
	})
}

func BenchmarkAppendEvents(b *testing.B) {
	storetest.BenchmarkAppendEvents(b, func(b *testing.B) store.Store {
		return mustOpen(b, b.TempDir(), store.Options{})
	})
}
