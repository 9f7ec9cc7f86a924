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
