package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

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

// TestStore_LegacyValues: points of 1e308 stored before the value bound
// leave sums finite (PostgreSQL fails a sum that overflows).
func TestStore_LegacyValues(t *testing.T) {
	url := pgtest.Schema(t)
	storetest.LegacyValues(t, func(t *testing.T, opts store.Options) store.Store {
		return mustOpen(t, url, opts)
	}, func(t *testing.T, _ store.Store, id string, v float64) {
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `UPDATE metric_points SET value = $1 WHERE id = $2`, v, id); err != nil {
			t.Fatal(err)
		}
	})
}

// TestStore_RollupBackfill: migration 0008 fills the overview's rollups
// from the events and points a database held before it.
func TestStore_RollupBackfill(t *testing.T) {
	url := pgtest.Schema(t)
	storetest.RollupBackfill(t, func(t *testing.T) store.Store {
		return mustOpen(t, url, store.Options{})
	}, func(t *testing.T, _ store.Store) {
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP TABLE rollup_days; DROP TABLE rollup_denials;
			DROP INDEX sessions_last; CREATE INDEX sessions_last ON sessions (last_ns);
			DELETE FROM schema_migrations WHERE version = 8`); err != nil {
			t.Fatal(err)
		}
	})
}

// TestProbeWrite_Fails: a database that answers but whose writes fail (a
// full disk; here a trigger that refuses them) passes Ping and fails
// ProbeWrite.
func TestProbeWrite_Fails(t *testing.T) {
	url := pgtest.Schema(t)
	db := mustOpen(t, url, store.Options{})
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `
		CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$;
		CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON probe FOR EACH ROW EXECUTE FUNCTION refuse();`); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if err := db.ProbeWrite(context.Background()); err == nil {
		t.Error("ProbeWrite passed on a database whose writes fail")
	}
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
