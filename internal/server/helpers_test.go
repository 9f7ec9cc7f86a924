package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/postgres"
	"github.com/wardenhq/warden/internal/store/postgres/pgtest"
	"github.com/wardenhq/warden/internal/store/sqlite"
	"github.com/wardenhq/warden/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestMain checks that servers leave no goroutine behind after Shutdown.
func TestMain(m *testing.M) {
	if os.Getenv(crashEnv) != "" || os.Getenv(loadEnv) != "" {
		// A crash or load child serves until killed or stopped; goleak
		// has nothing to check.
		os.Exit(m.Run())
	}
	goleak.VerifyTestMain(m)
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// backend opens a store for a test.
type backend struct {
	name string
	open func(t testing.TB) store.Store
}

func sqliteBackend() backend {
	return backend{"sqlite", func(t testing.TB) store.Store {
		s, err := sqlite.Open(context.Background(), t.TempDir(), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}}
}

func postgresBackend() backend {
	return backend{"postgres", func(t testing.TB) store.Store {
		s, err := postgres.Open(context.Background(), pgtest.Schema(t), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}}
}

// forEachBackend runs f on SQLite and on PostgreSQL (which skips without
// WARDEN_TEST_DATABASE_URL, and fails under CI).
func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range []backend{sqliteBackend(), postgresBackend()} {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

// testServer is a started server on loopback with one token per scope.
type testServer struct {
	t      testing.TB
	s      *Server
	store  store.Store
	clock  *clock
	url    string
	tokens map[string]string // scope -> secret
	client *http.Client
}

type testOption func(*Options)

func withConfig(f func(*Config)) testOption { return func(o *Options) { f(&o.Config) } }

func withStore(s store.Store) testOption { return func(o *Options) { o.Store = s } }

func testConfig(dir string) Config {
	cfg := DefaultConfig(func(string) string { return "" }, "")
	cfg.Addr, cfg.GRPCAddr, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", dir
	return cfg
}

// startServer starts a server on SQLite in a temporary directory, with the
// decision journal as warden serve has it (or on the store given, with
// the group-commit writer), the baseline policy and a test clock.
func startServer(t testing.TB, opts ...testOption) *testServer {
	t.Helper()
	c := newClock()
	o := Options{
		Config:     testConfig(t.TempDir()),
		Policy:     policy.Baseline(),
		PolicyYAML: policy.BaselineYAML(),
		Logger:     slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now:        c.Now,
	}
	for _, f := range opts {
		f(&o)
	}
	if o.Store == nil {
		o.Store = sqliteBackend().open(t)
		if o.Journal == "" {
			o.Journal = filepath.Join(o.Config.DataDir, JournalFile)
		}
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		s.Shutdown(context.Background())
		t.Fatal(err)
	}
	ts := &testServer{t: t, s: s, store: o.Store, clock: c, url: "http://" + s.Addr(),
		tokens: map[string]string{}, client: &http.Client{Timeout: 30 * time.Second}}
	t.Cleanup(func() {
		ts.client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	for _, scope := range record.Scopes {
		ts.tokens[scope] = ts.newToken(scope)
	}
	return ts
}

// newToken creates a token with the given scopes.
func (ts *testServer) newToken(scopes ...string) string {
	ts.t.Helper()
	secret, tok, err := NewToken(rand.Reader, "test-"+strings.Join(scopes, "-"), scopes, t0)
	if err != nil {
		ts.t.Fatal(err)
	}
	if err := ts.store.CreateToken(context.Background(), tok); err != nil {
		ts.t.Fatal(err)
	}
	return secret
}

// response is an HTTP answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %d is not JSON: %v\n%s", r.status, err, r.body)
	}
}

// errorCode returns the code of an API error body ("" when it is not one).
func (r response) errorCode() string {
	var e errorBody
	if json.Unmarshal(r.body, &e) != nil {
		return ""
	}
	return e.Error.Code
}

// do sends a request; token is a secret ("" for none); header pairs follow.
func (ts *testServer) do(method, path, token string, body []byte, header ...string) response {
	ts.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.url+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// fixture reads a file of shared/fixtures (the real Claude Code
// captures), skipping locally and failing under CI when they are missing.
func fixture(tb testing.TB, rel string) []byte {
	tb.Helper()
	dir := os.Getenv("WARDEN_FIXTURES")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			tb.Fatal(err)
		}
		for d := wd; ; d = filepath.Dir(d) {
			cand := filepath.Join(d, "shared", "fixtures")
			if fi, err := os.Stat(cand); err == nil && fi.IsDir() {
				dir = cand
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if dir == "" {
		testenv.Missing(tb, "shared/fixtures not found; set WARDEN_FIXTURES to run")
	}
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func gzipped(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// auditLine is one NDJSON line of an audit event.
func auditLine(tb testing.TB, ev record.AuditEventV1) []byte {
	tb.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return append(b, '\n')
}

// newAudit is a valid audit event of session with a given id.
func newAudit(id, session string, at time.Time) record.AuditEventV1 {
	return record.AuditEventV1{Schema: record.SchemaAuditV1, EventID: id, Time: at, HookEvent: "PreToolUse",
		SessionID: session, Tool: "Bash", Command: "go test ./...", Decision: record.DecisionAllow, User: "dev"}
}

// sessionEvents returns the stored events of a session (none when the
// store has never seen it).
func (ts *testServer) sessionEvents(session string) []record.Event {
	ts.t.Helper()
	ts.syncDecisions()
	events, err := ts.store.SessionEvents(context.Background(), session)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		ts.t.Fatal(err)
	}
	return events
}

// syncDecisions waits until the decisions answered so far are in the store
// (the journal stores them in the background).
func (ts *testServer) syncDecisions() {
	ts.t.Helper()
	if err := ts.s.writer.sync(context.Background()); err != nil {
		ts.t.Fatal(err)
	}
}

// crashEnv carries the data directory to a crash child (TestCrash); its
// presence makes the test binary a child.
const crashEnv = "WARDEN_SERVER_CRASH_DIR"
