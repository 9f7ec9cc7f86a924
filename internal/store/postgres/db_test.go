package postgres_test

import (
	"context"
	"testing"

	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/postgres"
	"github.com/wardenhq/warden/internal/store/postgres/pgtest"
	"github.com/wardenhq/warden/internal/store/storetest"
)

func mustOpen(tb testing.TB, databaseURL string, opts store.Options) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), databaseURL, opts)
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
	pgtest.URL(t)
	storetest.Run(t, func(t *testing.T, opts store.Options) store.Store {
		return mustOpen(t, pgtest.Schema(t), opts)
	})
}

// TestCrash: an acknowledged append survives a SIGKILL of the process.
func TestCrash(t *testing.T) {
	target := storetest.CrashTarget()
	if target == "" {
		target = pgtest.Schema(t)
	}
	storetest.Crash(t, target, 30, func(ctx context.Context, url string) (store.Store, error) {
		return postgres.Open(ctx, url, store.Options{})
	})
}

func BenchmarkAppendEvents(b *testing.B) {
	storetest.BenchmarkAppendEvents(b, func(b *testing.B) store.Store {
		return mustOpen(b, pgtest.Schema(b), store.Options{})
	})
}
