// Package postgres is the Store on PostgreSQL (pgx), for a server with
// several replicas or more data than one file should hold. It passes the
// same contract suite as store/sqlite and follows the same migrations
// contract: numbered files in migrations/, in its own dialect, applied at
// Open under an advisory lock so that replicas starting together apply each
// once.
//
// Batches go in as one INSERT ... SELECT FROM unnest(arrays) ... ON
// CONFLICT DO NOTHING RETURNING id: one round trip per batch, duplicates
// skipped by the primary key, and the returned IDs say which rows are new,
// so session summaries count each event once. Rows are written in ID order
// and sessions in session order, so concurrent batches lock in one order;
// a deadlock or serialization failure all the same is retried.
//
// Durability is PostgreSQL's: with synchronous_commit on (its default) a
// commit returns after the WAL is flushed.
//
// The package knows records and SQL; nothing of HTTP or OTLP.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// PoolSize bounds the connections a DB opens.
const PoolSize = 8

// retries bounds how often a transaction is retried after a deadlock or
// serialization failure.
const retries = 5

// DB is a Store on PostgreSQL.
type DB struct {
	pool *pgxpool.Pool
	now  func() time.Time
	log  *slog.Logger
}

var _ store.Store = (*DB)(nil)

// Open connects to databaseURL (a postgres:// URL or key=value string;
// search_path in it selects the schema) and applies pending migrations.
func Open(ctx context.Context, databaseURL string, opts store.Options) (*DB, error) {
	opts = opts.WithDefaults()
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// pgx's message may echo the URL, password included.
		return nil, errors.New("open postgres store: malformed database URL")
	}
	cfg.MaxConns = PoolSize
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	db := &DB{pool: p, now: opts.Now, log: opts.Logger.With("component", "store", "backend", "postgres")}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres store %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return db, nil
}

func (db *DB) migrate(ctx context.Context) error {
	migrations, err := rows.Migrations(migrationFS, "migrations")
	if err != nil {
		return err
	}
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	// One lock per schema: replicas opening together wait for each other.
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock(hashtext('warden.migrate.' || current_schema()))`); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	defer c.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext('warden.migrate.' || current_schema()))`)
	if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text    NOT NULL,
		applied_ns bigint  NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range migrations {
		err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_ns) VALUES ($1, $2, $3)`,
				m.Version, m.Name, db.now().UnixNano()); err != nil {
				return err
			}
			db.log.Info("migration applied", "migration", m.Name)
			return nil
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// tx runs fn in a read-committed transaction, retrying on deadlock and
// serialization failure, and commits when fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return db.txOpts(ctx, pgx.TxOptions{}, fn)
}

// read runs fn in a read-only repeatable-read transaction: one snapshot
// for queries that must agree.
func (db *DB) read(ctx context.Context, fn func(pgx.Tx) error) error {
	return db.txOpts(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

func (db *DB) txOpts(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	for attempt := 1; ; attempt++ {
		err := pgx.BeginTxFunc(ctx, c, opts, fn)
		if err == nil || attempt == retries || !retryable(err) {
			return err
		}
		db.log.Debug("transaction retried", "attempt", attempt, "err", err)
	}
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// isUniqueViolation reports a unique constraint violation.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// conn runs fn with a pooled connection, outside a transaction.
func (db *DB) conn(ctx context.Context, fn func(*pgx.Conn) error) error {
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return fn(c.Conn())
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.conn(ctx, func(c *pgx.Conn) error { return c.Ping(ctx) }); err != nil {
		return fmt.Errorf("ping postgres store: %w", err)
	}
	return nil
}

// ProbeWrite implements store.Store.
func (db *DB) ProbeWrite(ctx context.Context) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO probe (id, time_ns) VALUES (1, $1)
			ON CONFLICT (id) DO UPDATE SET time_ns = excluded.time_ns`, db.now().UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("write probe to postgres store: %w", err)
	}
	return nil
}

// Close closes the pool's connections.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}
