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
