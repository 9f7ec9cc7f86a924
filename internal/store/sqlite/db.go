// Package sqlite is the Store on SQLite (modernc.org/sqlite, pure Go): one
// database file, dir/warden.db, for a single server or a small team.
//
// It keeps one writer connection, so appends queue in the process instead of
// contending for SQLite's lock, and a small pool of readers, which WAL lets
// read while the writer writes. Each append is one transaction. Schema
// changes are the numbered files in migrations/, applied at Open.
//
// Durability: WAL mode with synchronous=NORMAL. A commit appends the
// transaction's frames to the WAL with write(2) before it returns, and
// fsyncs only at checkpoints. So an acknowledged append survives a SIGKILL
// or panic of the server: the frames sit in the kernel's page cache, which
// outlives the process, and the next Open replays them (TestCrash kills a
// child mid-stream to check). It does not survive a power loss or kernel
// crash before the next checkpoint: the database stays consistent but the
// last commits may roll back. synchronous=FULL would close that window with
// an fsync per commit, which on this project's machines cut
// BenchmarkAppendEvents from about 29,000 to 5,000 events/s; deployments that need power-loss
// durability for every acknowledged event use PostgreSQL, whose group
// commit amortizes the fsync over concurrent clients.
//
// The package knows records and SQL; nothing of HTTP or OTLP.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the database file's name in the data directory.
const FileName = "warden.db"

// busyTimeoutMS is how long a connection waits for another process's lock
// before SQLITE_BUSY.
const busyTimeoutMS = 10000

// readers bounds the read pool.
const readers = 4

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is a Store on SQLite.
type DB struct {
	w *sql.DB // one connection: every write goes through it
	r *sql.DB // readers
	// Statements of the append path, prepared once on the writer: SQLite
	// parses SQL on every prepare, which dominated single-event appends
	// (a central decision stores one event per call).
	insertEventStmt   *sql.Stmt
	upsertSessionStmt *sql.Stmt
	insertLinkStmt    *sql.Stmt
	insertLinksStmt   *sql.Stmt
	upsertRollupStmt  *sql.Stmt
	upsertDenialsStmt *sql.Stmt
	syncDenialsStmt   *sql.Stmt
	countBlocksStmt   *sql.Stmt
	moveBlocksStmt    *sql.Stmt
	now               func() time.Time
	log               *slog.Logger
	path              string
}

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed) the database in dir, creating dir too, and
// applies pending migrations. A directory or file it cannot write fails
// with an *AccessError naming it, its owner and the fix.
func Open(ctx context.Context, dir string, opts store.Options) (*DB, error) {
	opts = opts.WithDefaults()
	if err := checkAccess(dir); err != nil {
		var ae *AccessError
		if errors.As(err, &ae) {
			return nil, err // it says all there is to say
		}
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db := &DB{now: opts.Now, log: opts.Logger.With("component", "store", "backend", "sqlite"), path: path}
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}

	var err error
	if db.w, err = sql.Open("sqlite", dsn(path, true)); err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)
	if db.r, err = sql.Open("sqlite", dsn(path, false)); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	db.r.SetMaxOpenConns(readers)
	db.r.SetMaxIdleConns(readers)

	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	if db.insertEventStmt, err = db.w.PrepareContext(ctx, insertEvent); err == nil {
		db.upsertSessionStmt, err = db.w.PrepareContext(ctx, upsertSession)
	}
	if err == nil {
		db.insertLinkStmt, err = db.w.PrepareContext(ctx, insertLink)
	}
	if err == nil {
		db.insertLinksStmt, err = db.w.PrepareContext(ctx, insertLinksChunk)
	}
	if err == nil {
		db.upsertRollupStmt, err = db.w.PrepareContext(ctx, upsertRollup)
	}
	if err == nil {
		db.upsertDenialsStmt, err = db.w.PrepareContext(ctx, upsertDenials)
	}
	if err == nil {
		db.syncDenialsStmt, err = db.w.PrepareContext(ctx, syncDenials)
	}
	if err == nil {
		db.countBlocksStmt, err = db.w.PrepareContext(ctx, countBlocks)
	}
	if err == nil {
		db.moveBlocksStmt, err = db.w.PrepareContext(ctx, moveBlocks)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite store %s: prepare: %w", path, err)
	}
	return db, nil
}

// createPrivate creates the database file, empty (which SQLite reads as
// an empty database), readable by its owner only, unless it exists.
// SQLite would create it 0644, and gives its -wal and -shm files the
// database file's mode: they hold every record, tokens' hashes included.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// dsn returns the connection string: WAL, NORMAL sync, a busy timeout, and
// for the writer BEGIN IMMEDIATE so a transaction takes the write lock at
// its start instead of failing on upgrade.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

func (db *DB) migrate(ctx context.Context) error {
	migrations, err := rows.Migrations(migrationFS, "migrations")
	if err != nil {
		return err
	}
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_ns INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range migrations {
		err := db.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_ns) VALUES (?, ?, ?)`,
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

// tx runs fn in a write transaction, committing when it returns nil.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Ping checks that both pools answer.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite store: %w", err)
	}
	if err := db.r.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite store: %w", err)
	}
	return nil
}

// ProbeWrite implements store.Store.
func (db *DB) ProbeWrite(ctx context.Context) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO probe (id, time_ns) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET time_ns = excluded.time_ns`, db.now().UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("write probe to sqlite store %s: %w", db.path, err)
	}
	return nil
}

// Close closes both pools. It is safe on a partly opened DB.
func (db *DB) Close() error {
	for _, st := range []*sql.Stmt{db.insertEventStmt, db.upsertSessionStmt, db.insertLinkStmt, db.insertLinksStmt,
		db.upsertRollupStmt, db.upsertDenialsStmt, db.syncDenialsStmt,
		db.countBlocksStmt, db.moveBlocksStmt} {
		if st != nil {
			st.Close()
		}
	}
	var err error
	if db.r != nil {
		err = db.r.Close()
	}
	if db.w != nil {
		if werr := db.w.Close(); err == nil {
			err = werr
		}
	}
	if err != nil {
		return fmt.Errorf("close sqlite store: %w", err)
	}
	return nil
}
