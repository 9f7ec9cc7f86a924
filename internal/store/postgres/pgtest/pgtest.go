// Package pgtest gives tests a PostgreSQL of their own: the server named by
// WARDEN_TEST_DATABASE_URL (scripts/postgres.sh starts one), and in it a
// fresh schema per call, dropped at cleanup, so tests and concurrent runs
// never see each other's rows. Without the variable a test skips, except
// under CI (testenv.CI: CI=true, CI=1, ...), where it fails: CI must never
// pass by skipping the PostgreSQL leg. It is linked only into tests.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardenhq/warden/internal/testenv"
)

// EnvURL names the variable holding the test server's URL.
const EnvURL = "WARDEN_TEST_DATABASE_URL"

// URL returns the test server's URL, skipping tb when it is unset, or
// failing it under CI.
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		msg := EnvURL + " is unset: start a server with `eval \"$(bash scripts/postgres.sh start)\"`"
		testenv.Missing(tb, msg)
	}
	return u
}

// Schema creates a schema of its own in the test server and returns a URL
// whose connections use it (search_path); the schema is dropped when tb
// ends.
func Schema(tb testing.TB) string {
	tb.Helper()
	base := URL(tb)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	name := "warden_test_" + hex.EncodeToString(b[:])
	exec(tb, base, `CREATE SCHEMA `+name)
	tb.Cleanup(func() { exec(tb, base, `DROP SCHEMA `+name+` CASCADE`) })

	if strings.Contains(base, "://") {
		u, err := url.Parse(base)
		if err != nil {
			tb.Fatalf("parse %s: %v", EnvURL, err)
		}
		q := u.Query()
		q.Set("search_path", name)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " search_path=" + name
}

func exec(tb testing.TB, dsn, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect to %s: %v", EnvURL, err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}
