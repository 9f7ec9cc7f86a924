package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	sqlitelib "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// TestOpen_Pragmas pins the settings durability and concurrency rest on:
// WAL, synchronous=NORMAL (1) on the writer, a busy timeout, and readers that
// cannot write.
func TestOpen_Pragmas(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "1"},
		{"busy_timeout", "10000"},
	} {
		var got string
		if err := db.w.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("writer %s = %s, want %s", tc.pragma, got, tc.want)
		}
	}
	// The reader sees the writer's database, and refuses to write to it
	// because it is query-only, not for any other reason.
	var tokens int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM tokens`).Scan(&tokens); err != nil {
		t.Fatalf("reader cannot read the tokens table: %v", err)
	}
	_, err = db.r.ExecContext(ctx, `DELETE FROM tokens`)
	var se *sqlitelib.Error
	if !errors.As(err, &se) || se.Code() != sqlite3.SQLITE_READONLY {
		t.Errorf("reader DELETE: %v, want SQLITE_READONLY (query_only)", err)
	}
	var n int
	if err := db.w.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != migrationCount(t) {
		t.Errorf("schema_migrations: %d rows, %v; want one per migration, %d", n, err, migrationCount(t))
	}
}

// TestOpen_Reopen: a second Open applies no migration twice and sees the
// data of the first.
func TestOpen_Reopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for range 2 {
		db, err := Open(ctx, dir, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != migrationCount(t) {
		t.Errorf("schema_migrations: %d rows, %v; want one per migration, %d", n, err, migrationCount(t))
	}
}

func migrationCount(t *testing.T) int {
	t.Helper()
	m, err := rows.Migrations(migrationFS, "migrations")
	if err != nil || len(m) == 0 {
		t.Fatalf("migrations: %d, %v", len(m), err)
	}
	return len(m)
}

// TestOpen_Private: the database file and its -wal and -shm files are
// created readable and writable by their owner only, whatever the umask.
func TestOpen_Private(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	db, err := Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.ProbeWrite(context.Background()); err != nil { // the WAL exists once written
		t.Fatal(err)
	}
	for _, name := range []string{FileName, FileName + "-wal", FileName + "-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s created %#o, want 0600", name, mode)
		}
	}
}
