package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// TestConsoleSpeed measures the console's server time on SQLite with a
// large store: the overview and the session list with
// $WARDEN_CONSOLE_BENCH_EVENTS events (about; default 1,000,000) over 30
// days, and one session of 5,000 events. It runs only when
// WARDEN_CONSOLE_BENCH is set (scripts/bench.sh; figures in
// docs/benchmarks.md), and logs p50 and p95 of 20 requests each, then how
// long a retention run over the oldest day and a half takes.
func TestConsoleSpeed(t *testing.T) {
	if os.Getenv("WARDEN_CONSOLE_BENCH") == "" {
		t.Skip("set WARDEN_CONSOLE_BENCH=1 to measure the console with a million events")
	}
	events := 1_000_000
	if v := os.Getenv("WARDEN_CONSOLE_BENCH_EVENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(err)
		}
		events = n
	}
	cs := startConsoleServer(t, t.TempDir())
	now := time.Now().UTC()
	st := time.Now()
	// A session of 12 calls stores about 50 events.
	seed(t, cs.store, now, seedSpec{sessions: events / 50, calls: 12, span: 30 * 24 * time.Hour})
	var big []record.Event
	var points []record.MetricPoint
	// 1,300 calls store a little over 5,000 events: the target
	// names a session of 5,000.
	sessionEvents(&big, &points, "big-session", 1, now.Add(-2*time.Hour), 1300, nil)
	if len(big) < 5000 {
		t.Fatalf("big-session has %d events, want at least 5,000", len(big))
	}
	if _, err := cs.store.AppendEvents(t.Context(), big); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded about %d events (%d in big-session) in %v", events, len(big), time.Since(st).Round(time.Second))

	h := cs.srv.Handler()
	cookie := signInCookie(t, h, cs.tokens[record.ScopeRead])
	measure := func(path string) {
		var ds []time.Duration
		for range 20 {
			req := httptest.NewRequest("GET", path, nil)
			req.AddCookie(cookie)
			w := httptest.NewRecorder()
			st := time.Now()
			h.ServeHTTP(w, req)
			ds = append(ds, time.Since(st))
			if w.Code != http.StatusOK {
				t.Fatalf("%s: %d", path, w.Code)
			}
		}
		slices.Sort(ds)
		t.Logf("%-40s p50 %6.1f ms  p95 %6.1f ms", path, ms(ds[len(ds)/2]), ms(ds[len(ds)*95/100]))
	}
	measure("/")
	measure("/?days=30")
	measure("/sessions")
	measure("/sessions?denials=1&repository=" + url.QueryEscape(seedRepos[0]))
	measure("/sessions/big-session")

	// Retention, which rebuilds the per-day rollups of the days it purges:
	// the first day and a half of the thirty.
	st = time.Now()
	n, err := cs.store.DeleteBefore(t.Context(), now.Add(-28*24*time.Hour-12*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("retention: deleted %d rows, rollups rebuilt, in %.1f ms", n, ms(time.Since(st)))
	measure("/?days=30")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// signInCookie signs in through the handler and returns the session
// cookie.
func signInCookie(t *testing.T, h http.Handler, token string) *http.Cookie {
	t.Helper()
	req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.Name == "warden_console" {
			return c
		}
	}
	t.Fatalf("sign-in: %d %s", w.Code, w.Body)
	return nil
}
